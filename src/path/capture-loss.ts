/**
 * Overlay loss from the captures alone, for incidents without the dumps that would give a path
 * (captures only): an encapsulated packet seen on one node's underlay capture, addressed to
 * another node whose underlay capture was running at that moment and never saw it.
 *
 * Which node owns an outer address is decided from what the captures show, in order:
 *   1. a node whose name encodes it (`ip-10-32-7-224`, as AWS names nodes, or the dotted address);
 *   2. the one node whose captures saw the most encapsulated packets sent from it (a sender's NIC
 *      sees everything it sends; a receiver only what arrived), when no other node ties.
 * A node's capture counts as its underlay capture when it saw encapsulated packets (not on a tunnel,
 * bridge or veth device by name), or traffic to or from a tunnel endpoint address.
 * Only flows whose computed path has no encapsulation are looked at: where the dumps gave a path,
 * diagnose.ts judges the loss on it.
 */
import type { Evidence, Finding, Topology } from '../topology/model.js';
import type { CapturePointInfo } from './correlate.js';
import { runningWindow } from './correlate.js';
import type { DiagnosedFlow } from './diagnose.js';
import type { Journey } from './flows.js';

/** Slack around a capture's packets within which it is taken to have been running (clocks differ). */
const SLACK_NS = 1e9;
const MAX_EVIDENCE = 6;

function nameEncodes(host: string, address: string): boolean {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(address)) return false;
  const dashed = address.replace(/\./g, '-');
  const re = new RegExp(`(^|[^0-9])(${dashed.replace(/-/g, '\\-')}|${address.replace(/\./g, '\\.')})($|[^0-9])`);
  return re.test(host);
}

export function captureOnlyOverlayLoss(flows: DiagnosedFlow[], topo: Topology, captures: CapturePointInfo[]): Finding[] {
  const nodes = topo.hosts.filter((h) => h.role === 'node').map((h) => h.name);
  if (nodes.length < 2) return [];
  const candidates = flows.filter((df) => !df.linkScoped && !df.path.some((s) => s.action === 'encap'));
  const tunnelJourneys: Journey[] = [];
  for (const df of candidates) for (const j of df.flow.journeys) if (j.tunnel && j.outer && j.sightings.length > 0) tunnelJourneys.push(j);
  if (tunnelJourneys.length === 0) return [];

  // Underlay captures: those that saw an encapsulated packet, or traffic of a tunnel endpoint address.
  const underlay = new Set<number>();
  const endpoints = new Set<string>();
  for (const j of tunnelJourneys) {
    endpoints.add(j.outer!.src);
    endpoints.add(j.outer!.dst);
    for (const s of j.sightings) if (captures[s.capture].interface === undefined || !/^(flannel|vxlan|cilium_|genev|cni|cbr|docker|veth|lxc|cali)/.test(captures[s.capture].interface!)) underlay.add(s.capture);
  }
  for (const df of flows) {
    if (!endpoints.has(df.flow.src.ip) && !endpoints.has(df.flow.dst.ip)) continue;
    if (df.flow.journeys.some((j) => j.tunnel)) continue;
    for (const c of df.flow.seen.keys()) underlay.add(c);
  }
  // Packets sent from each outer address, counted per node that saw them.
  const sentSeen = new Map<string, Map<string, number>>();
  for (const j of tunnelJourneys) {
    const hosts = new Set(j.sightings.map((s) => captures[s.capture].host).filter((h): h is string => h !== undefined));
    let m = sentSeen.get(j.outer!.src);
    if (!m) sentSeen.set(j.outer!.src, (m = new Map()));
    for (const h of hosts) m.set(h, (m.get(h) ?? 0) + 1);
  }
  const owners = new Map<string, string | undefined>();
  const ownerOf = (address: string): string | undefined => {
    if (owners.has(address)) return owners.get(address);
    let owner: string | undefined;
    const named = nodes.filter((n) => nameEncodes(n, address));
    if (named.length === 1) owner = named[0];
    else {
      const counts = [...(sentSeen.get(address) ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1]);
      if (counts.length > 0 && (counts.length === 1 || counts[0][1] > counts[1][1])) owner = counts[0][0];
    }
    owners.set(address, owner);
    return owner;
  };

  interface Group {
    from: string;
    to: string;
    fromAddr: string;
    toAddr: string;
    type: string;
    port?: number;
    vni?: number;
    ids: Set<string>;
    labels: Set<string>;
    ev: Evidence[];
    count: number;
    missing: string;
  }
  const groups = new Map<string, Group>();
  for (const df of candidates) {
    for (const j of df.flow.journeys) {
      if (!j.tunnel || !j.outer || j.sightings.length === 0) continue;
      const seenOn = new Set(j.sightings.map((s) => captures[s.capture].host));
      const from = ownerOf(j.outer.src);
      const to = ownerOf(j.outer.dst);
      if (!from || !to || from === to || !seenOn.has(from) || seenOn.has(to)) continue;
      const t = j.sightings[0].t;
      const running = [...underlay].find((c) => {
        if (captures[c].host !== to) return false;
        const w = runningWindow(captures[c]);
        return w !== undefined && t >= w.from - SLACK_NS && t <= w.to + SLACK_NS;
      });
      if (running === undefined) continue;
      const key = `${from}|${to}|${j.tunnel.type}|${j.tunnel.port ?? j.outer.dport ?? ''}`;
      let g = groups.get(key);
      if (!g) {
        g = {
          from,
          to,
          fromAddr: j.outer.src,
          toAddr: j.outer.dst,
          type: j.tunnel.type,
          port: j.tunnel.port ?? j.outer.dport,
          vni: j.tunnel.vni,
          ids: new Set(),
          labels: new Set(),
          ev: [],
          count: 0,
          missing: captures[running].input,
        };
        groups.set(key, g);
      }
      g.count++;
      g.ids.add(df.id);
      g.labels.add(df.label);
      for (const s of j.sightings) if (g.ev.length < MAX_EVIDENCE) g.ev.push({ input: captures[s.capture].input, packet: s.packet, text: j.summary });
    }
  }
  const out: Finding[] = [];
  for (const g of groups.values()) {
    const port = `UDP ${g.port ?? '?'}`;
    const labels = [...g.labels];
    const flowsText = labels.slice(0, 3).join(', ') + (labels.length > 3 ? `, +${labels.length - 3} more` : '');
    const title = `${g.count} encapsulated packet(s) (${port}) left ${g.from} (${g.fromAddr}) and never arrived on ${g.to} (${g.toAddr}), while its capture (${g.missing}) was running`;
    out.push({
      severity: 'critical',
      code: 'overlay-blocked',
      message: `${title}. A firewall or cloud security group between the nodes likely drops ${port}: allow it between them. (Judged from the captures alone: no dumps give the path.) Flows: ${flowsText}.`,
      evidence: [...g.ev, { input: g.missing, text: `no matching packet in ${g.missing}` }],
      subject: {
        title,
        hosts: [g.from, g.to],
        from: { host: g.from, address: g.fromAddr },
        to: { host: g.to, address: g.toAddr },
        tunnel: { type: g.type, port: g.port, vni: g.vni },
        flows: [...g.ids],
        count: g.count,
      },
    });
  }
  return out;
}
