/**
 * The picture both diagrams (Mermaid in Markdown, inline SVG in HTML) draw, computed once from
 * the topology: per node its underlay NIC, tunnel devices, bridges, veths and the pods behind
 * them; the tunnels between VTEPs (one per overlay remote, directed); and the links where packets
 * vanished (from lost / overlay-blocked findings). Names are raw: the renderers escape them.
 */
import type { Pod, TopoInterface } from '../topology/model.js';
import type { Report } from '../path/types.js';
import { lostLinks, nodeAddress, underlayInterface, type LostLink } from './summary.js';

export interface DiagramPod {
  name: string;
  ip?: string;
  namespace?: string;
  /** Set when the pod is also a host of the topology (a pod namespace dump). */
  host?: string;
}

export interface DiagramVeth {
  iface: TopoInterface;
  pod?: DiagramPod;
}

export interface DiagramNode {
  host: string;
  address?: string;
  nic?: TopoInterface;
  vteps: TopoInterface[];
  bridges: TopoInterface[];
  veths: DiagramVeth[];
  /** Pods of this node whose veth is unknown. */
  pods: DiagramPod[];
  /** False for a VTEP that no dump describes (drawn as a ghost box). */
  known: boolean;
}

export interface DiagramTunnel {
  from: string;
  to: string;
  fromDevice: string;
  toDevice?: string;
  type: string;
  vni?: number;
  port?: number;
  /** Set when packets vanished on this tunnel. */
  lost?: LostLink;
}

export interface Diagram {
  nodes: DiagramNode[];
  tunnels: DiagramTunnel[];
  /** Pods and pod hosts whose node is unknown. */
  unplaced: DiagramPod[];
  /** Lost links that are not on a tunnel (marked on the receiving host). */
  otherLost: LostLink[];
}

export function buildDiagram(report: Report): Diagram {
  const topo = report.topology;
  const lost = lostLinks(report);
  // Pods: kubectl / dump pods, merged with pod-role hosts of the same name.
  const pods = new Map<string, DiagramPod & { node?: string }>();
  const addPod = (p: Pod) => {
    if (!pods.has(p.name)) pods.set(p.name, { name: p.name, ip: p.ip, namespace: p.namespace, node: p.host });
  };
  topo.pods.forEach(addPod);
  for (const h of topo.hosts) {
    if (h.role !== 'pod') continue;
    const p = pods.get(h.name);
    const ip = h.interfaces.flatMap((i) => i.addresses).find((a) => a.family === 'inet' && !a.address.startsWith('127.'))?.address;
    if (p) {
      p.host = h.name;
      p.node ??= h.node;
      p.ip ??= ip;
    } else pods.set(h.name, { name: h.name, ip, host: h.name, node: h.node });
  }
  const used = new Set<string>();
  const nodes: DiagramNode[] = [];
  for (const h of topo.hosts) {
    if (h.role !== 'node') continue;
    const nic = underlayInterface(h);
    const vteps = h.interfaces.filter(
      (i) => i.kind === 'vxlan' || i.kind === 'geneve' || topo.overlay.some((o) => o.host === h.name && o.device === i.name),
    );
    const bridges = h.interfaces.filter((i) => i.kind === 'bridge');
    const veths: DiagramVeth[] = h.interfaces
      // Bridge ports (pods' veths); the underlay NIC is drawn once, below, even when it is a veth.
      .filter((i) => i.kind === 'veth' && i.name !== nic?.name)
      .map((iface) => {
        const peerName = iface.peer?.includes('/') ? iface.peer.slice(0, iface.peer.lastIndexOf('/')) : undefined;
        let pod = peerName !== undefined ? pods.get(peerName) : undefined;
        if (!pod && iface.linkNetns) pod = pods.get(iface.linkNetns);
        if (pod && !used.has(pod.name)) {
          used.add(pod.name);
          return { iface, pod };
        }
        return { iface };
      });
    nodes.push({ host: h.name, address: nodeAddress(topo, h.name), nic, vteps, bridges, veths, pods: [], known: true });
  }
  const unplaced: DiagramPod[] = [];
  for (const p of pods.values()) {
    if (used.has(p.name)) continue;
    const n = nodes.find((x) => x.host === p.node);
    if (n) n.pods.push(p);
    else unplaced.push(p);
  }
  // Tunnels: one per overlay remote; remotes without a known host become ghost nodes.
  const tunnels: DiagramTunnel[] = [];
  const seen = new Set<string>();
  for (const o of topo.overlay) {
    if (!nodes.some((n) => n.host === o.host)) {
      nodes.push({ host: o.host, address: o.local, vteps: [], bridges: [], veths: [], pods: [], known: true });
    }
    for (const r of o.remotes) {
      let to = r.host;
      if (to === undefined) {
        const addr = r.vtep ?? r.gateway ?? r.subnet;
        to = nodes.find((n) => n.address === addr)?.host ?? `VTEP ${addr}`;
      }
      if (!nodes.some((n) => n.host === to)) {
        nodes.push({ host: to, address: r.vtep, vteps: [], bridges: [], veths: [], pods: [], known: false });
      }
      const key = `${o.host}\u0000${to}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const back = topo.overlay.find((x) => x.host === to && x.type === o.type);
      tunnels.push({
        from: o.host,
        to,
        fromDevice: o.device,
        toDevice: back?.device,
        type: o.type,
        vni: o.vni,
        port: o.port,
        lost: lost.find((l) => l.overlay && l.from === o.host && l.to === to),
      });
    }
  }
  // Overlay-blocked links the overlay map does not list still get a tunnel, so the cross shows.
  for (const l of lost) {
    if (!l.overlay || tunnels.some((t) => t.lost === l)) continue;
    if (!nodes.some((n) => n.host === l.from) || !nodes.some((n) => n.host === l.to)) continue;
    const ov = topo.overlay.find((o) => o.host === l.from);
    tunnels.push({ from: l.from, to: l.to, fromDevice: ov?.device ?? '?', type: ov?.type ?? 'vxlan', vni: l.vni, port: l.port, lost: l });
  }
  const otherLost = lost.filter((l) => !tunnels.some((t) => t.lost === l));
  return { nodes, tunnels, unplaced, otherLost };
}

/** "VXLAN VNI 1 UDP 8472". */
export function tunnelLabel(t: { type: string; vni?: number; port?: number }): string {
  return `${t.type.toUpperCase()} VNI ${t.vni ?? '?'} UDP ${t.port ?? '?'}`;
}

export function inetAddresses(i: TopoInterface | undefined): string[] {
  return (i?.addresses ?? []).filter((a) => a.family === 'inet').map((a) => `${a.address}/${a.prefixLength}`);
}
