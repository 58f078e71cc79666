/**
 * Phase 4 of the pipeline: every flow is placed on the topology (explain: the expected path,
 * Batfish-style steps) and its journeys on that path (correlate: clock offsets, verdicts, hop
 * latencies). Out come the flows as the report shows them and, for diagnosis, with their journeys.
 */
import { isoTime } from '../decode/summary.js';
import type { Flow } from '../path/flows.js';
import { explainPath, pathSummary, podByIp, type PathHints } from '../path/explain.js';
import { flowVerdict, hopLatencies, median, pointId, type CapturePointInfo, type Clocks, type FlowVerdict } from '../path/correlate.js';
import type { DiagnosedFlow } from '../path/diagnose.js';
import type { Endpoint, FlowKind, FlowReport, SeenAt, Step } from '../path/types.js';
import { flowNat, serviceFields, type FlowNat } from '../nat/join.js';
import { natPaths } from '../nat/path.js';
import { isLinkScoped, isLoopbackAddress, ownerOf } from '../topology/lookup.js';
import type { Topology } from '../topology/model.js';
import { captureMtus, withoutSuperSegments } from '../path/fragments.js';

export interface Traced {
  diagnosed: DiagnosedFlow[];
  reports: FlowReport[];
  /** Packets of flows whose path has an unknown step. */
  unexplained: number;
}

export function traceFlows(flows: Flow[], topology: Topology, points: CapturePointInfo[], clocks: Clocks, baseSec: number | undefined): Traced {
  const hints = vethHints(flows, points, topology);
  const diagnosed: DiagnosedFlow[] = [];
  const reports: FlowReport[] = [];
  let unexplained = 0;
  const mtus = captureMtus(points, topology);
  flows.forEach((flow, k) => {
    const id = `f${k + 1}`;
    const loopHost = flow.loopback ? [...flow.seen.keys()].map((c) => points[c].host).find((h) => h) : undefined;
    // Link-scoped traffic (ND, MLD, DHCP, mDNS, ...) is never route-checked: it stays on its link.
    // So is unicast ND/MLD between global addresses (a neighbour solicitation to fd00:10::d7).
    const linkScoped = flow.protocol !== 'arp' && !flow.loopback && (isLinkScoped(flow.src.ip, flow.dst.ip) || (flow.protocol === 'icmp6' && !flow.notLinkControl));
    // A connection translated by a node (kube-proxy): explained toward its backend (src/nat/path.ts).
    const nat = flowNat(flow);
    const np = nat ? natPaths(nat, flow.src, flow.dst, flowWhat(flow), flow.packets.rev > 0, topology, hints) : undefined;
    let path = np
      ? np.path
      : linkScoped
      ? linkPath(flow, points)
      : explainPath(topology, { src: flow.src.ip, dst: flow.dst.ip, dport: flow.dst.port, what: flowWhat(flow), loopback: flow.loopback, loopbackHost: loopHost }, hints);
    const returnPath = np
      ? np.returnPath
      : flow.packets.rev > 0 && !linkScoped
        ? explainPath(topology, { src: flow.dst.ip, dst: flow.src.ip, dport: flow.src.port, loopback: flow.loopback, loopbackHost: loopHost }, hints)
        : [];
    // Offload super-segments (bigger than the MTU where captured) are split or merged further on:
    // their absence there as one packet is no loss (src/path/fragments.ts).
    const judged = withoutSuperSegments(flow, mtus);
    let verdict: FlowVerdict = linkScoped ? linkVerdict(flowVerdict(judged, path, returnPath, points, clocks)) : flowVerdict(judged, path, returnPath, points, clocks);
    if (nat && !nat.translated) verdict = rejectedVerdict(verdict, nat);
    path = endAtLoss(path, verdict);
    const returnTrace = endAtLoss(returnPath, verdict, 'rev');
    const label = `${id} ${flow.protocol} ${endpointLabel(topology, flow.src.ip, flow.src.port)} -> ${endpointLabel(topology, flow.dst.ip, flow.dst.port)}`;
    diagnosed.push({ flow, id, path, returnPath, verdict, label, linkScoped });
    if (path.some((s) => s.action === 'unknown')) unexplained += flow.packets.fwd + flow.packets.rev;
    reports.push(flowReport(flow, id, path, returnTrace, verdict, topology, points, clocks, baseSec, loopHost, linkScoped));
  });
  return { diagnosed, reports, unexplained };
}

function flowReport(
  flow: Flow,
  id: string,
  path: Step[],
  returnPath: Step[],
  verdict: FlowVerdict,
  topology: Topology,
  points: CapturePointInfo[],
  clocks: Clocks,
  baseSec: number | undefined,
  loopHost: string | undefined,
  linkScoped: boolean,
): FlowReport {
  const fwd = flow.journeys.filter((j) => j.dir === 'fwd');
  const hops = hopLatencies(fwd, path, points, clocks);
  const rtt = rttOf(flow, points, clocks);
  const seenAt: SeenAt[] = [...flow.seen.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([c, s]) => ({
      input: points[c].input,
      host: points[c].host,
      interface: points[c].interface === 'any' ? [...s.points].sort().join(',') || 'any' : points[c].interface,
      packets: s.packets,
      first: isoTime(baseSec! + Math.floor(s.first / 1e9), mod(s.first), 6),
      last: isoTime(baseSec! + Math.floor(s.last / 1e9), mod(s.last), 6),
    }));
  const r: FlowReport = {
    id,
    protocol: flow.protocol,
    src: endpoint(topology, flow.src.ip, flow.src.port, loopHost),
    dst: endpoint(topology, flow.dst.ip, flow.dst.port, loopHost),
    kind: linkScoped ? 'link-local' : flowKind(topology, flow, loopHost),
    verdict: verdict.verdict,
    packets: flow.packets.fwd + flow.packets.rev,
    path,
    seenAt,
    summary: pathSummary(path, flow.tunnel?.vni),
    why: verdict.why,
  };
  if (verdict.requests > 0 || verdict.responses > 0) {
    r.requests = verdict.requests;
    r.responses = verdict.responses;
  }
  if (returnPath.length > 0) r.returnPath = returnPath;
  if (flow.tunnel) r.tunnel = { ...flow.tunnel };
  const nat = flowNat(flow);
  if (nat) {
    // The kind follows the backend (a rejected connection ends at the node).
    r.kind = nat.translated ? flowKind(topology, { ...flow, dst: nat.translated.dst }, loopHost) : 'host';
    if (nat.entries.length > 0) r.nat = nat.entries;
    Object.assign(r, serviceFields(nat, topology));
  }
  if (hops.length > 0 || rtt !== undefined) r.latency = { hops, ...(rtt !== undefined ? { rttUs: rtt } : {}) };
  return r;
}

/**
 * When no forward packet got past the point where they vanished, the path ends there, with a
 * `drop` step saying between which capture points (like a traceroute's last hop).
 */
function endAtLoss(path: Step[], v: FlowVerdict, dir: 'fwd' | 'rev' = 'fwd'): Step[] {
  const fwd = v.lost.filter((l) => l.journey.dir === dir);
  if (fwd.length === 0) return path;
  let k = -1;
  let missing = Infinity;
  for (const l of fwd) {
    k = Math.max(k, l.v.lastSeen!);
    missing = Math.min(missing, l.v.missingAt!);
  }
  // Some packet got further: the path itself works, only some packets were lost.
  if ((dir === 'fwd' ? v.fwdLastSeen : (v.revLastSeen ?? [])).some((s) => s > k)) return path;
  const next = path[missing];
  const last = path[k];
  const tunnel = path.slice(0, k + 1).some((s) => s.action === 'encap') && last.action === 'underlay' && next.host !== last.host;
  return [
    ...path.slice(0, k + 1),
    {
      host: last.host,
      interface: last.interface,
      action: 'drop',
      detail:
        `${fwd.length} packet(s) vanished after ${last.host} ${last.interface ?? ''}: never seen on ${next.host} ${next.interface ?? ''}, whose capture was running` +
        (tunnel ? ' (dropped in the underlay network between the nodes)' : ''),
      cause: tunnel ? 'underlay-loss' : 'observed-loss',
      missing: { host: next.host, ...(next.interface !== undefined ? { interface: next.interface } : {}) },
    },
  ];
}

/** Answered by the node (ICMP unreachable, RST), not by a backend: the Service rejected it. */
function rejectedVerdict(v: FlowVerdict, nat: FlowNat): FlowVerdict {
  const svc = `${nat.service.namespace}/${nat.service.name}`;
  const rule = nat.rejected ? ` by ${nat.host}'s rule ${nat.rejected.rule.chain} (${nat.rejected.rule.evidence.input} line ${nat.rejected.rule.evidence.line})` : '';
  const answer = nat.rejectAnswer ? `; ${nat.rejectAnswer.src} answered ICMP unreachable` : '';
  return { ...v, verdict: 'rejected', lost: [], why: `rejected${rule}: Service ${svc} has no endpoints${answer}` };
}

const LINK_DETAIL = 'link-scoped (link-local, multicast or broadcast): stays on its link, not routed';

/** The path of link-scoped traffic: sent and heard on the link of each capture that saw it. */
function linkPath(flow: Flow, points: CapturePointInfo[]): Step[] {
  const at = [...flow.seen.keys()].sort((a, b) => a - b).map((c) => points[c]);
  const first = at[0];
  const host = first?.host ?? '?';
  const steps: Step[] = [{ host, interface: first?.interface, action: 'send', detail: `${flow.src.ip} sends on its link` }];
  steps.push({ host, interface: first?.interface, action: 'deliver', detail: LINK_DETAIL });
  return steps;
}

/** Link-scoped traffic has no destination to reach and no answer to expect: never lost, never unanswered. */
function linkVerdict(v: FlowVerdict): FlowVerdict {
  return { ...v, verdict: 'ok', why: 'link-scoped traffic (neighbour discovery, multicast, broadcast): it stays on its link', lost: [] };
}

function mod(ns: number): number {
  const r = ns % 1e9;
  return r < 0 ? r + 1e9 : Math.round(r);
}

function flowWhat(f: Flow): string {
  const p = f.protocol;
  if (p === 'icmp' || p === 'icmp6') return f.key.includes('-echo-') ? `${p.toUpperCase()} echo` : p.toUpperCase();
  if (p === 'tcp' || p === 'udp') return `${p.toUpperCase()}${f.dst.port !== undefined ? ` to port ${f.dst.port}` : ''}`;
  if (p === 'arp') return 'ARP';
  return p.toUpperCase();
}

function endpoint(topo: Topology, ip: string, port?: number, loopHost?: string): Endpoint {
  const e: Endpoint = { ip };
  if (port !== undefined) e.port = port;
  // 127.0.0.1 is everyone's: the loopback capture's place says whose (a pod's folder: that pod,
  // on the node kubectl puts it on), not the first node that has lo.
  if (loopHost !== undefined && isLoopbackAddress(ip)) {
    const pod = topo.pods.find((p) => p.name === loopHost && p.source !== 'subnet' && p.source !== 'capture');
    if (pod) {
      e.pod = pod.name;
      if (pod.namespace) e.namespace = pod.namespace;
      if (pod.host) e.host = pod.host;
    } else e.host = loopHost;
    return e;
  }
  const pod = podByIp(topo, ip);
  if (pod) {
    if (pod.source !== 'subnet' && pod.source !== 'capture') e.pod = pod.name;
    else e.unnamedPod = true;
    if (pod.namespace) e.namespace = pod.namespace;
    if (pod.host) e.host = pod.host;
  } else {
    const o = ownerOf(topo, ip);
    if (o) e.host = o.host.name;
  }
  return e;
}

function endpointLabel(topo: Topology, ip: string, port?: number): string {
  const pod = podByIp(topo, ip);
  const name = pod && pod.source !== 'subnet' && pod.source !== 'capture' ? `${pod.name} ` : '';
  return `${name}${ip}${port !== undefined ? `:${port}` : ''}`;
}

function flowKind(topo: Topology, f: Flow, loopHost: string | undefined): FlowKind {
  if (f.loopback || isLoopbackAddress(f.src.ip) || isLoopbackAddress(f.dst.ip)) {
    const h = topo.hosts.find((x) => x.name === loopHost);
    return h?.role === 'node' ? 'host' : 'intra-pod';
  }
  const side = (ip: string) => {
    const pod = podByIp(topo, ip);
    const owner = ownerOf(topo, ip);
    if (owner && owner.host.role === 'node') return { node: owner.host.name, pod: false };
    if (pod) return { node: pod.host, pod: true };
    if (owner) return { node: owner.host.node, pod: true };
    return undefined;
  };
  const a = side(f.src.ip);
  const b = side(f.dst.ip);
  if (!a || !b) return 'external';
  if (a.pod && b.pod) return a.node !== undefined && a.node === b.node ? 'same-node' : 'cross-node';
  return 'host';
}

/** Round-trip time at the source side: request seen -> response seen at the same point. */
function rttOf(f: Flow, points: CapturePointInfo[], clocks: Clocks): number | undefined {
  const resp = new Map<string, (typeof f.journeys)[number]>();
  for (const j of f.journeys) if (j.role === 'response' && j.pair) resp.set(j.pair, j);
  const samples: number[] = [];
  for (const req of f.journeys) {
    if (req.role !== 'request' || !req.pair) continue;
    const r = resp.get(req.pair);
    if (!r) continue;
    // The earliest sighting of the request, and the response at that same point.
    let first = req.sightings[0];
    for (const s of req.sightings) if (s.t < first.t) first = s;
    const back = r.sightings.find((s) => s.capture === first.capture && s.iface === first.iface);
    if (back) samples.push(clocks.correct(points[back.capture].host, back.t) - clocks.correct(points[first.capture].host, first.t));
  }
  return samples.length ? Math.round(median(samples) / 100) / 10 : undefined;
}

/**
 * Which veth is a pod's: a packet from a pod shows on its veth before any other point of the
 * node, and a packet to a pod shows on its veth after them (votes over all journeys).
 */
function vethHints(flows: Flow[], points: CapturePointInfo[], topo: Topology): PathHints {
  const votes = new Map<string, Map<string, { host: string; interface: string; n: number }>>();
  const vote = (ip: string, host: string, iface: string) => {
    const m = votes.get(ip) ?? new Map<string, { host: string; interface: string; n: number }>();
    const key = pointId(host, iface);
    const v = m.get(key) ?? { host, interface: iface, n: 0 };
    v.n++;
    m.set(key, v);
    votes.set(ip, m);
  };
  const isVeth = (host: string | undefined, iface: string | undefined) =>
    !!host && !!iface && topo.hosts.find((h) => h.name === host)?.interfaces.find((i) => i.name === iface)?.kind === 'veth';
  for (const f of flows) {
    for (const j of f.journeys) {
      const byHost = new Map<string, { iface?: string; t: number }[]>();
      for (const s of j.sightings) {
        const host = points[s.capture].host;
        const iface = s.iface ?? points[s.capture].interface;
        if (!host) continue;
        const l = byHost.get(host) ?? [];
        l.push({ iface, t: s.t });
        byHost.set(host, l);
      }
      const src = j.dir === 'fwd' ? f.src.ip : f.dst.ip;
      const dst = j.dir === 'fwd' ? f.dst.ip : f.src.ip;
      for (const [host, list] of byHost) {
        if (list.length < 2) continue;
        const sorted = [...list].sort((a, b) => a.t - b.t);
        const first = sorted[0];
        const last = sorted[sorted.length - 1];
        if (first.t < sorted[1].t && isVeth(host, first.iface)) vote(src, host, first.iface!);
        if (last.t > sorted[sorted.length - 2].t && isVeth(host, last.iface)) vote(dst, host, last.iface!);
      }
    }
  }
  const vethOf = new Map<string, { host: string; interface: string }>();
  for (const [ip, m] of votes) {
    const ranked = [...m.values()].sort((a, b) => b.n - a.n);
    if (ranked.length === 1 || ranked[0].n > ranked[1].n) vethOf.set(ip, { host: ranked[0].host, interface: ranked[0].interface });
  }
  return { vethOf };
}
