/**
 * What the topology diagrams draw, once, for both renderers (topology-mermaid.ts, topology-dot.ts):
 * one cluster per node with its underlay interface, bridges, veths and tunnel devices; pod
 * namespaces (dumped) as clusters inside their node; kubectl pods without dumps as pod boxes.
 * Only what the dumps (or captures) tie together is wired: a bridge to its ports (`master`), a veth
 * to its peer, a pod to its port (src/topology/pod-ports.ts; dotted and marked when only traffic
 * ties them; a pod no tie places hangs dashed off the bridge holding its subnet, "port unknown"),
 * a bridge to the tunnel device when the node routes remote pod subnets into it, the tunnel
 * device to the NIC it sits on, and the NICs of two nodes with a tunnel between them. Tunnels are
 * one edge per direction, as each node's own dumps configure it ("configured", not "healthy":
 * this graph knows no packets). Identifiers are numbered here, never built from input; labels are
 * raw text the renderers escape.
 */
import type { Host, TopoInterface, Topology } from '../topology/model.js';
import { podSubnetOf } from '../topology/overlay.js';
import { encapTie, routedTie } from '../topology/ties.js';
import { underlayInterface } from './summary.js';

export type NodeShape = 'interface' | 'bridge' | 'tunnel' | 'veth' | 'pod' | 'host';

export interface GraphNode {
  id: string;
  /** Lines of the label, raw. */
  label: string[];
  shape: NodeShape;
}

export interface GraphCluster {
  id: string;
  label: string;
  role: 'node' | 'pod';
  nodes: GraphNode[];
  clusters: GraphCluster[];
}

export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
  /**
   * port: bridge port; veth: veth pair; pod: a pod on its port; pod-inferred: tied by traffic only;
   * pod-unknown: port unknown, off the bridge of its subnet; routed: bridge to tunnel device by
   * routes; encap: tunnel device on its NIC; tunnel: one direction of a configured tunnel;
   * underlay: NIC to NIC between nodes with a tunnel.
   */
  style: 'port' | 'veth' | 'tunnel' | 'pod' | 'pod-inferred' | 'pod-unknown' | 'routed' | 'encap' | 'underlay';
  /** Tunnel edges are directed (from sends to to). */
  directed?: boolean;
}

export interface TopologyGraph {
  clusters: GraphCluster[];
  edges: GraphEdge[];
}

function addresses(i: TopoInterface): string[] {
  return i.addresses.filter((a) => a.family === 'inet').map((a) => `${a.address}/${a.prefixLength}`);
}

function shapeOf(i: TopoInterface): NodeShape {
  if (i.kind === 'bridge') return 'bridge';
  if (i.kind === 'vxlan' || i.kind === 'geneve' || i.kind === 'ipip' || i.kind === 'gre') return 'tunnel';
  if (i.kind === 'veth') return 'veth';
  return 'interface';
}

export function topologyGraph(t: Topology): TopologyGraph {
  let n = 0;
  const ids = new Map<string, string>(); // "host\0itf" -> id
  const key = (h: string, i: string) => `${h}\u0000${i}`;
  const clusterOf = (h: Host, c: number): GraphCluster => {
    const cl: GraphCluster = {
      id: `c${c}`,
      label: h.role === 'pod' ? `${h.name} (pod netns)` : `${h.name}${h.underlay ? ` ${h.underlay.address}` : ''}`,
      role: h.role,
      nodes: [],
      clusters: [],
    };
    for (const i of h.interfaces) {
      if (i.kind === 'loopback') continue;
      const id = `n${n++}`;
      ids.set(key(h.name, i.name), id);
      const label = [i.name, ...addresses(i)];
      if (i.vxlan?.vni !== undefined) label.push(`VNI ${i.vxlan.vni}${i.vxlan.port !== undefined ? ` port ${i.vxlan.port}` : ''}`);
      if (i.mtu !== undefined) label.push(`mtu ${i.mtu}`);
      cl.nodes.push({ id, label, shape: shapeOf(i) });
    }
    return cl;
  };
  const clusters: GraphCluster[] = [];
  const byName = new Map<string, GraphCluster>();
  let c = 0;
  for (const h of t.hosts.filter((x) => x.role === 'node')) {
    const cl = clusterOf(h, c++);
    clusters.push(cl);
    byName.set(h.name, cl);
  }
  for (const h of t.hosts.filter((x) => x.role === 'pod')) {
    const cl = clusterOf(h, c++);
    const parent = h.node ? byName.get(h.node) : undefined;
    (parent ? parent.clusters : clusters).push(cl);
    byName.set(h.name, cl);
  }
  const edges: GraphEdge[] = [];
  // Bridge ports, veth pairs.
  for (const h of t.hosts) {
    for (const i of h.interfaces) {
      const from = ids.get(key(h.name, i.name));
      if (!from) continue;
      if (i.master) {
        const to = ids.get(key(h.name, i.master));
        if (to) edges.push({ from, to, style: 'port' });
      }
      if (i.peer && i.peer.includes('/') && h.role === 'node') {
        const [ph, ...rest] = i.peer.split('/');
        const to = ids.get(key(ph, rest.join('/')));
        if (to) edges.push({ from, to, label: 'veth', style: 'veth' });
      }
    }
  }
  // Inside each node: bridge to tunnel device (by routes), tunnel device to its NIC.
  for (const h of t.hosts) {
    if (h.role !== 'node') continue;
    const nic = underlayInterface(h);
    const nicId = nic ? ids.get(key(h.name, nic.name)) : undefined;
    for (const v of h.interfaces.filter((i) => shapeOf(i) === 'tunnel')) {
      const vid = ids.get(key(h.name, v.name));
      if (!vid) continue;
      for (const b of h.interfaces.filter((i) => i.kind === 'bridge')) {
        const routes = routedTie(h, b, v);
        const bid = ids.get(key(h.name, b.name));
        if (!bid || !routes.length) continue;
        const dests = routes.map((r) => r.destination);
        edges.push({ from: bid, to: vid, label: `routes ${dests.slice(0, 2).join(', ')}${dests.length > 2 ? ` +${dests.length - 2}` : ''}`, style: 'routed' });
      }
      const tie = nic && nicId ? encapTie(v, nic, h) : undefined;
      if (tie && nicId) edges.push({ from: vid, to: nicId, label: tie === 'dev' ? `encap, dev ${nic!.name}` : tie === 'local' ? `encap, local ${v.vxlan?.local}` : 'encap', style: 'encap' });
    }
  }
  // Pods known only from kubectl/captures: a box on their port, else off their node's pod bridge.
  const dumped = new Set(t.hosts.filter((h) => h.role === 'pod').map((h) => h.name));
  for (const p of t.pods) {
    if (dumped.has(p.name) || !p.host) continue;
    const cl = byName.get(p.host);
    if (!cl) continue;
    const host = t.hosts.find((h) => h.name === p.host);
    // A hostNetwork pod is the node itself: no box.
    if (host?.interfaces.some((i) => i.addresses.some((a) => a.address === p.ip))) continue;
    const id = `n${n++}`;
    cl.nodes.push({ id, label: [`${p.namespace ? `${p.namespace}/` : ''}${p.name}`, p.ip], shape: 'pod' });
    const port = p.port ? ids.get(key(p.host, p.port.device)) : undefined;
    if (port && p.port) {
      edges.push({ from: id, to: port, label: p.port.inferred ? `inferred from traffic` : undefined, style: p.port.inferred ? 'pod-inferred' : 'pod' });
      continue;
    }
    const bridge = host ? podSubnetOf(host)?.bridge : undefined;
    const to = bridge ? ids.get(key(p.host, bridge)) : undefined;
    if (to) edges.push({ from: id, to, label: 'port unknown', style: 'pod-unknown' });
  }
  // Tunnels, one edge per direction as each node configures it; NIC to NIC under each pair.
  const done = new Set<string>();
  const wired = new Set<string>();
  for (const o of t.overlay) {
    const from = ids.get(key(o.host, o.device));
    for (const r of o.remotes) {
      if (!from || !r.host) continue;
      const remoteDev = t.overlay.find((x) => x.host === r.host && x.type === o.type)?.device ?? o.device;
      const to = ids.get(key(r.host, remoteDev));
      if (!to || from === to) continue;
      const dir = `${from}>${to}`;
      if (done.has(dir)) continue;
      done.add(dir);
      const parts = [o.type.toUpperCase()];
      if (r.vni ?? o.vni !== undefined) parts.push(`VNI ${r.vni ?? o.vni}`);
      if (o.port !== undefined) parts.push(`udp/${o.port}`);
      if (o.local && r.vtep) parts.push(`${o.local} > ${r.vtep}`);
      parts.push(`configured (${r.source})`);
      edges.push({ from, to, label: parts.join(' '), style: 'tunnel', directed: true });
      const a = t.hosts.find((h) => h.name === o.host);
      const b = t.hosts.find((h) => h.name === r.host);
      const na = a ? underlayInterface(a) : undefined;
      const nb = b ? underlayInterface(b) : undefined;
      const ia = na ? ids.get(key(o.host, na.name)) : undefined;
      const ib = nb ? ids.get(key(r.host, nb.name)) : undefined;
      const pair = [o.host, r.host].sort().join('\u0000');
      if (ia && ib && !wired.has(pair)) {
        wired.add(pair);
        const ends = [a?.underlay?.address, b?.underlay?.address];
        edges.push({ from: ia, to: ib, label: ends[0] && ends[1] ? `underlay ${ends[0]} - ${ends[1]}` : 'underlay', style: 'underlay' });
      }
    }
  }
  return { clusters, edges };
}
