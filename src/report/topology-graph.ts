/**
 * What the topology diagrams draw, once, for both renderers (topology-mermaid.ts, topology-dot.ts):
 * one cluster per node with its underlay interface, bridges, veths and tunnel devices; pod
 * namespaces (dumped) as clusters inside their node; kubectl pods without dumps as pod boxes on
 * their node's bridge; tunnels between VTEP devices as edges labelled with VNI and port.
 * Identifiers are numbered here, never built from input; labels are raw text the renderers escape.
 */
import type { Host, TopoInterface, Topology } from '../topology/model.js';
import { podSubnetOf } from '../topology/overlay.js';

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
  style: 'port' | 'veth' | 'tunnel' | 'pod';
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
  // Pods known only from kubectl/captures: a box on their node's pod bridge.
  const dumped = new Set(t.hosts.filter((h) => h.role === 'pod').map((h) => h.name));
  for (const p of t.pods) {
    if (dumped.has(p.name) || !p.host) continue;
    const cl = byName.get(p.host);
    if (!cl) continue;
    const id = `n${n++}`;
    cl.nodes.push({ id, label: [`${p.namespace ? `${p.namespace}/` : ''}${p.name}`, p.ip], shape: 'pod' });
    const host = t.hosts.find((h) => h.name === p.host);
    const bridge = host ? podSubnetOf(host)?.bridge : undefined;
    const to = bridge ? ids.get(key(p.host, bridge)) : undefined;
    if (to) edges.push({ from: id, to, style: 'pod' });
  }
  // Tunnels, once per pair of VTEP devices.
  const done = new Set<string>();
  for (const o of t.overlay) {
    const from = ids.get(key(o.host, o.device));
    for (const r of o.remotes) {
      if (!from || !r.host) continue;
      const remoteDev = t.overlay.find((x) => x.host === r.host && x.type === o.type)?.device ?? o.device;
      const to = ids.get(key(r.host, remoteDev));
      if (!to) continue;
      const pair = [from, to].sort().join('-');
      if (done.has(pair)) continue;
      done.add(pair);
      const parts = [o.type.toUpperCase()];
      if (o.vni !== undefined) parts.push(`VNI ${o.vni}`);
      if (o.port !== undefined) parts.push(`udp/${o.port}`);
      if (o.local && r.vtep) parts.push(`${o.local} - ${r.vtep}`);
      edges.push({ from, to, label: parts.join(' '), style: 'tunnel' });
    }
  }
  return { clusters, edges };
}
