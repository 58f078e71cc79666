/**
 * The picture both diagrams (Mermaid in Markdown, inline SVG in HTML) draw, computed once from
 * the topology: per node its underlay NIC, tunnel devices, bridges, veths and the pods behind
 * them; the tunnels between VTEPs (one per overlay remote, directed); and the links where packets
 * vanished (from lost / overlay-blocked findings). Names are raw: the renderers escape them.
 */
import type { Pod, TopoInterface } from '../topology/model.js';
import { podSubnetOf } from '../topology/overlay.js';
import { encapTie, routedTie } from '../topology/ties.js';
import type { Report } from '../path/types.js';
import type { Step } from '../path/types.js';
import { hostOfInput, lostLinks, nodeAddress, stepSightings, underlayHop, underlayInterface, type LostLink } from './summary.js';

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
  /**
   * What the captures say about this direction: `seen` (a flow's packet was captured
   * encapsulated on the sending node and again on the receiving node), `lost` (a lost /
   * overlay-blocked finding), `unseen` (no packet went this way, or only one end saw it).
   */
  evidence: TunnelEvidence;
  /** The evidence in words, for the tooltip ("f2: captured on A eth0 and on B eth0"). */
  evidenceNote: string;
  /** Flows whose packets were seen crossing this direction (ids). */
  flows: string[];
  /** Where the packets vanished: "lost between A eth0 and B eth0 (UDP 8472)". */
  lostLabel?: string;
}

export type TunnelEvidence = 'seen' | 'unseen' | 'lost';

/** A lost link that is not on a tunnel, with its ends placed on the diagram's nodes. */
export interface DiagramLostLink {
  link: LostLink;
  /** The nodes of its ends (a pod host's node), when the diagram has them. */
  fromNode?: string;
  toNode?: string;
  label: string;
}

export interface Diagram {
  nodes: DiagramNode[];
  tunnels: DiagramTunnel[];
  /** Pods and pod hosts whose node is unknown. */
  unplaced: DiagramPod[];
  /** Lost links that are not on a tunnel (marked on the receiving host). */
  otherLost: LostLink[];
  /** The same, placed: between two nodes' NICs, or (same node / unknown node) as a note. */
  otherLostLinks: DiagramLostLink[];
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
  const podOnPort = new Map<string, Pod>();
  for (const p of topo.pods) if (p.port && p.host !== undefined && !podOnPort.has(`${p.host}\u0000${p.port.device}`)) podOnPort.set(`${p.host}\u0000${p.port.device}`, p);
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
        // The topology's own answer first (pods[].port: veth peer, route, fdb or capture), then the peer's netns.
        const owner = podOnPort.get(`${h.name}\u0000${iface.name}`);
        let pod = owner ? pods.get(owner.name) : undefined;
        if (!pod && peerName !== undefined) pod = pods.get(peerName);
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
        evidence: 'unseen',
        evidenceNote: '',
        flows: [],
      });
    }
  }
  // Overlay-blocked links the overlay map does not list still get a tunnel, so the cross shows.
  for (const l of lost) {
    if (!l.overlay || tunnels.some((t) => t.lost === l)) continue;
    if (!nodes.some((n) => n.host === l.from) || !nodes.some((n) => n.host === l.to)) continue;
    const ov = topo.overlay.find((o) => o.host === l.from);
    tunnels.push({ from: l.from, to: l.to, fromDevice: ov?.device ?? '?', type: ov?.type ?? 'vxlan', vni: l.vni, port: l.port, lost: l, evidence: 'lost', evidenceNote: '', flows: [] });
  }
  const sightings = directionSightings(report, nodes);
  for (const t of tunnels) Object.assign(t, tunnelEvidence(report, nodes, t, sightings));
  const otherLost = lost.filter((l) => !tunnels.some((t) => t.lost === l));
  const nodeOf = (host: string) =>
    nodes.some((n) => n.host === host) ? host : [...pods.values()].find((p) => p.name === host || p.host === host)?.node;
  const otherLostLinks = otherLost.map((l) => {
    const fromNode = nodeOf(l.from);
    const toNode = nodeOf(l.to);
    return { link: l, fromNode, toNode, label: lostBetween(report, nodes, l, fromNode, toNode) };
  });
  return { nodes, tunnels, unplaced, otherLost, otherLostLinks };
}

/** "ip-10-32-11-62 eth0" style names of a lost link's ends: the node's underlay NIC, else the capture's interface. */
function endName(report: Report, nodes: DiagramNode[], l: LostLink, side: 'from' | 'to', node: string | undefined): string {
  const host = side === 'from' ? l.from : l.to;
  if (node === host) {
    const nic = nodes.find((n) => n.host === host)?.nic?.name;
    if (nic) return `${host} ${nic}`;
  }
  // The lost flows' underlay hop names the interfaces the packets left and should have reached;
  // a drop step names the last point that saw them and the one that never did (missing).
  for (const f of report.flows) {
    if (f.verdict !== 'lost') continue;
    const hop = underlayHop(f.path);
    const s = hop && (side === 'from' ? hop.from : hop.to);
    if (s && s.host === host && s.interface) return `${host} ${s.interface}`;
    const drop = f.path.find((x) => x.action === 'drop');
    const end = drop && (side === 'from' ? drop : drop.missing);
    if (end && end.host === host && end.interface) return `${host} ${end.interface}`;
  }
  // The finding's evidence: the captures that saw (packet) or missed (no packet) them.
  for (const e of l.finding.evidence) {
    if ((e.packet !== undefined) !== (side === 'from')) continue;
    if (hostOfInput(report, e.input) !== host) continue;
    const iface = report.inputs.find((i) => i.path === e.input)?.interface ?? report.topology.captures.find((c) => c.input === e.input)?.interface;
    if (iface && iface !== 'any') return `${host} ${iface}`;
  }
  return node && node !== host ? `${host} (on ${node})` : host;
}

/** "lost between A eth0 and B eth0 (UDP 8472)". */
function lostBetween(report: Report, nodes: DiagramNode[], l: LostLink, fromNode: string | undefined, toNode: string | undefined, t?: DiagramTunnel): string {
  const port = l.port ?? t?.port;
  const what = l.overlay || t ? (port !== undefined ? `UDP ${port}` : (t?.type ?? 'tunnel').toUpperCase()) : l.finding.code;
  if (l.inside) {
    const rule = l.finding.subject?.rule;
    return `lost inside ${l.inside.host} between ${l.inside.fromInterface ?? 'its NIC'} and ${l.inside.toInterface ?? 'its VTEP'} (${what}${rule ? `, ${rule.table} ${rule.chain} rule` : ''})`;
  }
  return `lost between ${endName(report, nodes, l, 'from', fromNode)} and ${endName(report, nodes, l, 'to', toNode)} (${what})`;
}

function sighted(f: Report['flows'][number], s: Step): boolean {
  const x = stepSightings(f, s);
  return x.inputs.length > 0 || x.packets.length > 0;
}

/** What the flows' steps say of one tunnel direction, gathered for all directions in one pass. */
interface DirectionSightings {
  seenBoth: string[];
  notes: string[];
  oneEnd: string[];
  crossing: number;
  dropped: { id: string; step: Step; stale?: string }[];
}

const directionKey = (from: string, to: string) => `${from}\u0000${to}`;

/**
 * One pass over the flows: each path (or return path) that encapsulates on A (`encap` step) and
 * next steps onto B counts for A -> B; the packet must have been captured on A at or after the
 * encap (the VTEP or the NIC) and on the far side (a step after the crossing). A path that ends on
 * A in a drop counts as lost towards the point that never saw it, or towards the node owning the
 * VTEP it was encapsulated to (a stale one: the packets were expected elsewhere).
 */
function directionSightings(report: Report, nodes: DiagramNode[]): Map<string, DirectionSightings> {
  const byKey = new Map<string, DirectionSightings>();
  const entry = (from: string, to: string) => {
    const key = directionKey(from, to);
    let x = byKey.get(key);
    if (!x) byKey.set(key, (x = { seenBoth: [], notes: [], oneEnd: [], crossing: 0, dropped: [] }));
    return x;
  };
  const byAddress = new Map<string, string>();
  for (const n of nodes) if (n.address !== undefined && !byAddress.has(n.address)) byAddress.set(n.address, n.host);
  const at = (s: Step) => `${s.host}${s.interface ? ' ' + s.interface : ''}`;
  for (const f of report.flows) {
    for (const steps of [f.path, f.returnPath ?? []]) {
      // Only the first encapsulation of each sending host counts, as one flow crosses each direction once.
      const firstEncap = new Set<string>();
      steps.forEach((se, e) => {
        if (se.action !== 'encap' || firstEncap.has(se.host)) return;
        firstEncap.add(se.host);
        const from = se.host;
        const k = steps.findIndex((s, i) => i > e && s.host !== from);
        if (k < 0) {
          const d = steps[steps.length - 1];
          if (d.action !== 'drop' || !d.missing) return;
          const outer = se.tunnel?.outer?.dst;
          const owner = outer !== undefined ? byAddress.get(outer) : undefined;
          const targets = new Map<string, string | undefined>([[d.missing.host, undefined]]);
          if (owner !== undefined && owner !== d.missing.host) targets.set(owner, outer);
          for (const [to, stale] of targets) {
            const x = entry(from, to);
            if (!x.dropped.some((y) => y.id === f.id)) x.dropped.push({ id: f.id, step: d, stale });
          }
          return;
        }
        const to = steps[k].host;
        const x = entry(from, to);
        x.crossing++;
        const nextEncap = steps.findIndex((s, i) => i > k && s.action === 'encap');
        const far = steps.slice(k, nextEncap < 0 ? undefined : nextEncap);
        const sent = steps.slice(e, k).reverse().find((s) => s.host === from && sighted(f, s));
        const got = far.find((s) => sighted(f, s));
        if (sent && got) {
          if (!x.seenBoth.includes(f.id)) {
            x.seenBoth.push(f.id);
            x.notes.push(`${f.id} captured on ${at(sent)} and on ${at(got)}`);
          }
        } else if (sent || got) {
          x.oneEnd.push(sent ? `${f.id} captured leaving on ${at(sent)}, not on ${to}` : `${f.id} captured on ${at(got!)}, not leaving ${from}`);
        }
      });
    }
  }
  return byKey;
}

/** The evidence of one tunnel direction A -> B: a lost link on it wins, then lost flows, then sightings. */
function tunnelEvidence(report: Report, nodes: DiagramNode[], t: DiagramTunnel, seen: Map<string, DirectionSightings>): Pick<DiagramTunnel, 'evidence' | 'evidenceNote' | 'flows' | 'lostLabel'> {
  const { seenBoth, notes, oneEnd, crossing, dropped } = seen.get(directionKey(t.from, t.to)) ?? { seenBoth: [], notes: [], oneEnd: [], crossing: 0, dropped: [] };
  if (t.lost) {
    const fromNode = t.from;
    const toNode = nodes.some((n) => n.host === t.to) ? t.to : undefined;
    const lostLabel = lostBetween(report, nodes, t.lost, fromNode, toNode, t);
    return { evidence: 'lost', evidenceNote: `${lostLabel}: ${t.lost.finding.code}${seenBoth.length ? ` (captured at both ends: ${notes.slice(0, 3).join('; ')})` : ''}`, flows: seenBoth, lostLabel };
  }
  if (dropped.length) {
    // No finding names this link (the cause is elsewhere: an MTU, a stale VTEP), but flows were lost on it.
    const { step: d, stale } = dropped[0];
    const lostLabel = (
      stale
        ? `sent to VTEP ${stale}, never seen on ${d.missing!.host} ${d.missing!.interface ?? ''}`
        : `lost between ${d.host} ${d.interface ?? ''} and ${d.missing!.host} ${d.missing!.interface ?? ''}`
    )
      .replace(/ +/g, ' ')
      .trim();
    const ids = dropped.map((x) => x.id);
    return { evidence: 'lost', evidenceNote: `${lostLabel}: flow${ids.length === 1 ? '' : 's'} ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ` +${ids.length - 5} more` : ''}`, flows: [], lostLabel };
  }
  if (seenBoth.length) {
    const more = notes.length > 3 ? `; +${notes.length - 3} more flow(s)` : '';
    return { evidence: 'seen', evidenceNote: `packets seen ${t.from} → ${t.to}: ${notes.slice(0, 3).join('; ')}${more}`, flows: seenBoth };
  }
  const why = oneEnd.length
    ? `only one end seen: ${oneEnd.slice(0, 3).join('; ')}${oneEnd.length > 3 ? `; +${oneEnd.length - 3} more` : ''}`
    : crossing
      ? `${crossing} flow path(s) cross it, but no capture on either end saw their packets`
      : 'no flow in the captures went this way';
  return { evidence: 'unseen', evidenceNote: `no packets seen ${t.from} → ${t.to}: ${why}`, flows: [] };
}

/** The tunnel directions (`from->to`) a path crosses, as data-tunnel keys. */
export function pathTunnels(steps: Step[]): string[] {
  const out: string[] = [];
  steps.forEach((s, e) => {
    if (s.action !== 'encap') return;
    const next = steps.find((x, i) => i > e && x.host !== s.host);
    const last = steps[steps.length - 1];
    if (next) out.push(`${s.host}->${next.host}`);
    else if (last.action === 'drop' && last.missing && last.missing.host !== s.host) out.push(`${s.host}->${last.missing.host}`);
  });
  return out;
}

/** "VXLAN VNI 1 UDP 8472". */
export function tunnelLabel(t: { type: string; vni?: number; port?: number }): string {
  return `${t.type.toUpperCase()} VNI ${t.vni ?? '?'} UDP ${t.port ?? '?'}`;
}

export function inetAddresses(i: TopoInterface | undefined): string[] {
  return (i?.addresses ?? []).filter((a) => a.family === 'inet').map((a) => `${a.address}/${a.prefixLength}`);
}

/**
 * What a bridge is wired down to, only as the dumps tie them: the tunnel device its pod subnet's
 * routes go through, else (no tunnel device) the NIC when it is the pod bridge; an unrelated
 * bridge (docker0) is wired to nothing.
 */
export function bridgeWire(report: Report, nd: DiagramNode, bridge: TopoInterface, vteps: TopoInterface[]): TopoInterface | undefined {
  const host = report.topology.hosts.find((x) => x.name === nd.host);
  if (!host) return undefined;
  const tied = vteps.find((v) => routedTie(host, bridge, v).length > 0);
  if (tied) return tied;
  if (vteps.length === 0 && podSubnetOf(host)?.bridge === bridge.name) return nd.nic;
  return undefined;
}

/** Whether a tunnel device sits on the node's NIC by what the dumps say (dev, local address, underlay). */
export function encapWired(report: Report, nd: DiagramNode, vtep: TopoInterface): boolean {
  const host = report.topology.hosts.find((x) => x.name === nd.host);
  return host !== undefined && nd.nic !== undefined && encapTie(vtep, nd.nic, host) !== undefined;
}
