/**
 * Stale VTEP: a node's fdb (or neigh) entry for a remote pod subnet points at an underlay address
 * that is no node's, or not the subnet owner's (the topology marks such a remote `stale`, see
 * src/topology/overlay.ts). Packets the node encapsulates toward it go nowhere: ARP for the stale
 * address goes unanswered and no VXLAN datagram leaves, or it leaves toward a host that is gone.
 * That is the root cause of those losses: no firewall is involved, so `overlay-blocked` must not
 * be said for them; the lost flows and the unanswered ARP are listed under this finding.
 */
import type { Evidence, Finding, Overlay, OverlayRemote, Topology } from '../topology/model.js';
import type { Step } from './types.js';

export interface StaleRemote {
  overlay: Overlay;
  remote: OverlayRemote;
  /** Flow ids lost because of it, and packets counted. */
  flows: Set<string>;
  labels: Set<string>;
  packets: number;
  /** ARP flows for the stale address that got no reply. */
  arpFlows: Set<string>;
  arpLabels: Set<string>;
  arpRequests: number;
  /** Directions seen broken: "A -> B" texts. */
  directions: Set<string>;
  /** Some lost packet did leave the node's NIC toward the stale address. */
  left: boolean;
  evidence: Evidence[];
}

/** Stale remotes of the topology by "host|vtep". */
export function staleRemotes(topo: Topology): Map<string, StaleRemote> {
  const out = new Map<string, StaleRemote>();
  for (const ov of topo.overlay) {
    for (const r of ov.remotes) {
      if (!r.stale || !r.vtep) continue;
      out.set(`${ov.host}|${r.vtep}`, {
        overlay: ov,
        remote: r,
        flows: new Set(),
        labels: new Set(),
        packets: 0,
        arpFlows: new Set(),
        arpLabels: new Set(),
        arpRequests: 0,
        directions: new Set(),
        left: false,
        evidence: [],
      });
    }
  }
  return out;
}

/** The stale remote a path's encapsulation sends to, if any. */
export function staleOnPath(stale: Map<string, StaleRemote>, path: Step[]): StaleRemote | undefined {
  if (stale.size === 0) return undefined;
  for (const s of path) {
    if (s.action !== 'encap' || !s.tunnel?.outer) continue;
    const hit = stale.get(`${s.host}|${s.tunnel.outer.dst}`);
    if (hit) return hit;
  }
  return undefined;
}

/** The stale remote whose address an ARP request from its node asks for, if any. */
export function staleArp(stale: Map<string, StaleRemote>, topo: Topology, src: string, dst: string): StaleRemote | undefined {
  for (const s of stale.values()) {
    if (s.remote.vtep !== dst) continue;
    const h = topo.hosts.find((x) => x.name === s.overlay.host);
    if (s.overlay.local === src || h?.interfaces.some((i) => i.addresses.some((a) => a.address === src))) return s;
  }
  return undefined;
}

function agentOf(device: string): string {
  if (/^flannel/.test(device)) return 'flanneld (its kube-flannel pod on that node)';
  if (/calico/.test(device)) return 'calico-node on that node';
  if (/^cilium/.test(device)) return 'the cilium agent on that node';
  return 'the CNI agent on that node';
}

export function staleVtepFindings(stale: Map<string, StaleRemote>, topo: Topology): Finding[] {
  const out: Finding[] = [];
  for (const s of stale.values()) {
    const { overlay: ov, remote: r } = s;
    const host = topo.hosts.find((h) => h.name === ov.host);
    const gwNeigh = r.gateway ? host?.neighbors.find((n) => n.address === r.gateway && (!n.dev || n.dev === ov.device)) : undefined;
    const fdb = host?.fdb.find((f) => f.dst === r.vtep && (!f.dev || f.dev === ov.device) && (!gwNeigh?.mac || f.mac === gwNeigh.mac)) ??
      host?.fdb.find((f) => f.dst === r.vtep);
    const fdbLine = fdb ? fdb.evidence.text ?? `${fdb.mac} dev ${fdb.dev ?? ov.device} dst ${fdb.dst}` : `${ov.device} dst ${r.vtep}`;
    const exp = r.expected;
    const owner = r.host ? topo.hosts.find((h) => h.name === r.host) : undefined;
    const real = exp ? `${exp.host}${exp.vtep ? ` (${exp.vtep})` : ''}` : undefined;
    const nobody = !r.host;
    const title =
      `${ov.host}'s ${ov.device} sends ${r.subnet} to stale VTEP ${r.vtep}` +
      (nobody ? ', which is no node\'s address' : `, ${owner?.name ?? r.host}'s address`) +
      (real ? `: the subnet is ${real}'s` : '');
    const lost = s.flows.size > 0 || s.arpFlows.size > 0;
    const dirs = [...s.directions];
    const direction =
      dirs.length > 0
        ? `Broken: ${dirs.join('; ')}.`
        : exp
          ? `Broken: pods on ${ov.host} -> ${r.subnet} on ${exp.host} (and replies from ${ov.host} to it).`
          : `Broken: ${ov.host} -> ${r.subnet}.`;
    const seen: string[] = [];
    if (s.packets > 0) seen.push(`${s.packets} packet(s) encapsulated toward ${r.vtep} ${s.left ? 'never arrived anywhere' : `never left ${ov.host}`}`);
    if (s.arpRequests > 0) seen.push(`${s.arpRequests} ARP request(s) for ${r.vtep} from ${ov.host} got no reply`);
    const fix =
      `Fix on ${ov.host}: \`bridge fdb del ${fdb?.mac ?? '<vtep mac>'} dev ${ov.device} dst ${r.vtep}\`` +
      (gwNeigh && r.gateway ? ` and \`ip neigh del ${r.gateway} dev ${ov.device}\`` : '') +
      `, then restart ${agentOf(ov.device)} so it writes the entry for ${exp?.vtep ?? 'the node\'s current address'}.`;
    const labels = [...s.labels, ...s.arpLabels];
    const flowsText = labels.slice(0, 3).join(', ') + (labels.length > 3 ? `, +${labels.length - 3} more` : '');
    const message =
      `${title}. The fdb line \`${fdbLine}\` still names ${r.vtep}` +
      (exp?.vtep ? `; ${exp.host}'s underlay address is ${exp.vtep}` : '') +
      ` (a replaced node whose entry was never updated). ${direction}` +
      (seen.length ? ` ${seen.join('; ')}.` : '') +
      ` Nothing blocks UDP ${ov.port ?? '?'}: do not open firewall rules for it. ${fix}` +
      (flowsText ? ` Flows: ${flowsText}.` : '');
    const evidence: Evidence[] = [...(fdb ? [fdb.evidence] : []), ...(gwNeigh ? [gwNeigh.evidence] : [])];
    for (const e of r.evidence) if (!evidence.includes(e)) evidence.push(e);
    evidence.push(...s.evidence);
    out.push({
      severity: lost ? 'critical' : 'warning',
      code: 'stale-vtep',
      message,
      evidence,
      subject: {
        title,
        hosts: [ov.host, ...(exp ? [exp.host] : [])],
        from: { host: ov.host, interface: ov.device, ...(ov.local ? { address: ov.local } : {}) },
        to: exp ? { host: exp.host, ...(exp.vtep ? { address: exp.vtep } : {}) } : { host: r.host ?? r.vtep!, address: r.vtep },
        tunnel: { type: ov.type, port: ov.port, vni: ov.vni },
        flows: [...s.flows, ...s.arpFlows],
        count: s.packets + s.arpRequests,
      },
    });
  }
  return out;
}
