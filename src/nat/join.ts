/**
 * One flow per connection across NAT. A connection to a Service is grouped by the flow table as
 * two flows: the client's (to the cluster IP or node port) and the translated one (to the
 * backend, maybe from a masquerade address). This phase, run once the flow table is sealed,
 * merges the translated flow into the client's: by conntrack when it was dumped (its reply tuple
 * names the backend and the masquerade address and port), else by kube-proxy's rules (the chain
 * walk gives the candidate backends) or, with no dump at all, the Service's endpoints, confirmed
 * by what survives translation (TCP seq/ack and flags, ICMP id/seq, lengths: the packet summary
 * without its addresses) and timing. The client's src/dst are kept; the merged journeys are the
 * same packets seen on both sides of the NAT.
 */
import type { Flow, Journey } from '../path/flows.js';
import type { CapturePointInfo } from '../path/correlate.js';
import type { FlowBackend, FlowService, NatEntry } from '../path/types.js';
import { ownersOf } from '../topology/lookup.js';
import type { Topology } from '../topology/model.js';
import { decisionText, filterVerdict, natDecisions, type FilterVerdict, type NatDecision } from './decide.js';
import { natFactsOf, serviceFor, type ConntrackFact, type NatFacts, type ServiceModel, type ServicePortModel } from './services.js';

/** What the join learnt about one client flow (kept beside the flow, read by trace and diagnose). */
export interface FlowNat {
  host: string;
  service: ServiceModel;
  port: ServicePortModel;
  nodePort: boolean;
  /** The translated packet (client to backend as the backend sees it); absent when rejected. */
  translated?: { src: { ip: string; port?: number }; dst: { ip: string; port?: number } };
  entries: NatEntry[];
  decision?: NatDecision;
  conntrack?: ConntrackFact;
  /** A filter rule rejected the connection (kube-proxy's "has no endpoints"). */
  rejected?: FilterVerdict;
  /** The ICMP error flow answering the rejected connection, absorbed. */
  rejectAnswer?: { src: string };
  source: NatEntry['source'];
  /** Flows merged into this one (their keys). */
  merged: string[];
}

const natOf = new WeakMap<Flow, FlowNat>();

export function flowNat(f: Flow): FlowNat | undefined {
  return natOf.get(f);
}

/** Sightings of one packet on either side of the NAT further apart than this are different packets. */
const JOIN_WINDOW_NS = 2e9;

/**
 * Merges each translated flow into its client's flow. Returns the flow list without the merged
 * halves (in the same order).
 */
export function joinNatFlows(flows: Flow[], topology: Topology, points: CapturePointInfo[]): Flow[] {
  if (!topology.services?.length) return flows;
  const facts = natFactsOf(topology) ?? { chains: new Map(), conntrack: [], ruleHosts: new Set<string>(), conntrackHosts: new Set<string>() };
  const byEnd = new Map<string, Flow[]>();
  const endKey = (ip: string, port?: number) => `${ip}|${port ?? ''}`;
  for (const f of flows) {
    for (const k of new Set([endKey(f.src.ip, f.src.port), endKey(f.dst.ip, f.dst.port)])) {
      const l = byEnd.get(k) ?? [];
      l.push(f);
      byEnd.set(k, l);
    }
  }
  const gone = new Set<Flow>();
  for (const f of flows) {
    if (f.protocol !== 'tcp' && f.protocol !== 'udp') continue;
    // A flow first read from its answer (captures are read one after the other) has the Service as
    // its src: the client is the other side.
    if (serviceFor(topology, f.src.ip, f.src.port, f.protocol, false) && !serviceFor(topology, f.dst.ip, f.dst.port, f.protocol, false)) reverse(f);
  }
  for (const f of flows) {
    if (gone.has(f) || (f.protocol !== 'tcp' && f.protocol !== 'udp')) continue;
    const nodeAddr = ownersOf(topology, f.dst.ip).some((o) => o.host.role === 'node');
    const svc = serviceFor(topology, f.dst.ip, f.dst.port, f.protocol, nodeAddr);
    if (!svc) continue;
    const host = natHost(topology, f, points, svc.nodePort);
    if (!host) continue;
    const pkt = { protocol: f.protocol, src: f.src.ip, dst: f.dst.ip, sport: f.src.port, dport: f.dst.port, dstLocal: nodeAddr };
    const hostAddrs = new Set(topology.hosts.find((h) => h.name === host)?.interfaces.flatMap((i) => i.addresses.map((a) => a.address)) ?? []);
    const decisions = natDecisions(facts, host, pkt);
    const ct = facts.conntrack.find(
      (c) =>
        c.host === host &&
        c.record.protocol === f.protocol &&
        c.record.original.src === f.src.ip &&
        c.record.original.dst === f.dst.ip &&
        c.record.original.sport === f.src.port &&
        c.record.original.dport === f.dst.port &&
        c.record.reply !== undefined,
    );

    // Candidate translated flows: (client side, backend) pairs to look for.
    type Cand = { flow: Flow; clientSide: { ip: string; port?: number }; backend: { ip: string; port?: number }; decision?: NatDecision; matched: number };
    const cands: Cand[] = [];
    const consider = (backend: { ip: string; port?: number }, client: { ip: string; port?: number } | 'masquerade', decision?: NatDecision) => {
      for (const g of byEnd.get(endKey(backend.ip, backend.port)) ?? []) {
        if (g === f || gone.has(g) || g.protocol !== f.protocol) continue;
        const other = g.src.ip === backend.ip && g.src.port === backend.port ? g.dst : g.src;
        const ok = client === 'masquerade' ? hostAddrs.has(other.ip) : other.ip === client.ip && other.port === client.port;
        if (!ok || cands.some((c) => c.flow === g)) continue;
        cands.push({ flow: g, clientSide: other, backend, decision, matched: 0 });
      }
    };
    let source: NatEntry['source'];
    if (ct) {
      source = 'conntrack';
      const r = ct.record.reply!;
      const backend = { ip: r.src, port: r.sport };
      const client = { ip: r.dst, port: r.dport };
      const d = decisions.find((x) => x.dnat?.ip === backend.ip && (x.dnat.port ?? f.dst.port) === backend.port);
      consider(backend, client, d);
    } else if (decisions.some((d) => d.dnat)) {
      source = decisions.find((d) => d.dnat)?.source ?? 'iptables';
      for (const d of decisions) {
        if (!d.dnat) continue;
        consider({ ip: d.dnat.ip, port: d.dnat.port ?? f.dst.port }, d.masquerade ? 'masquerade' : f.src, d);
      }
    } else {
      source = 'inferred';
      for (const e of svc.service.endpoints) {
        const backend = { ip: e.ip, port: e.port ?? f.dst.port };
        consider(backend, f.src, undefined);
        consider(backend, 'masquerade', undefined);
      }
    }
    for (const c of cands) c.matched = matchJourneys(f, c.flow, c.clientSide, false);
    const best = cands.filter((c) => c.matched > 0 || (ct && c.flow)).sort((a, b) => b.matched - a.matched)[0];
    const clusterIP = svc.service.clusterIPs[0] ?? f.dst.ip;
    if (!best) {
      const rej = filterVerdict(facts, host, pkt);
      if (rej || svc.service.endpoints.length === 0) {
        const n: FlowNat = { host, service: svc.service, port: svc.port, nodePort: svc.nodePort, entries: [], rejected: rej, source: rej ? (rej.rule.source ?? 'iptables') : 'inferred', merged: [] };
        absorbRejection(f, flows, gone, hostAddrs, n);
        natOf.set(f, n);
      }
      continue;
    }
    const g = best.flow;
    matchJourneys(f, g, best.clientSide, true);
    gone.add(g);
    const merged = [g.key];
    // Masqueraded to a local endpoint, the answer shows the client's own address between the
    // pod's veth and the bridge (the masquerade undone first): that view joins too.
    if (best.clientSide.ip !== f.src.ip || best.clientSide.port !== f.src.port) {
      for (const h of byEnd.get(endKey(best.backend.ip, best.backend.port)) ?? []) {
        if (h === f || gone.has(h) || h.protocol !== f.protocol) continue;
        const other = h.src.ip === best.backend.ip && h.src.port === best.backend.port ? h.dst : h.src;
        if (other.ip !== f.src.ip || other.port !== f.src.port) continue;
        if (matchJourneys(f, h, f.src, false) === 0 && !ct) continue;
        matchJourneys(f, h, f.src, true);
        gone.add(h);
        merged.push(h.key);
      }
    }
    const entries: NatEntry[] = [];
    const d = best.decision;
    const rule = (r: { evidence: { input: string; line?: number; text?: string } } | undefined) =>
      r && r.evidence.line !== undefined ? { input: r.evidence.input, line: r.evidence.line, ...(r.evidence.text ? { text: r.evidence.text } : {}) } : undefined;
    const entrySource: NatEntry['source'] = source;
    const dn: NatEntry = { type: 'dnat', host, from: { ip: f.dst.ip, port: f.dst.port }, to: { ...best.backend }, source: entrySource };
    const dr = rule(d?.dnat?.rule);
    if (dr) dn.rule = dr;
    entries.push(dn);
    if (best.clientSide.ip !== f.src.ip || best.clientSide.port !== f.src.port) {
      const m: NatEntry = { type: d?.masquerade?.record.target === 'SNAT' ? 'snat' : 'masquerade', host, from: { ip: f.src.ip, port: f.src.port }, to: { ...best.clientSide }, source: entrySource };
      const mr = rule(d?.masquerade);
      if (mr) m.rule = mr;
      entries.push(m);
    }
    natOf.set(f, {
      host,
      service: svc.service,
      port: svc.port,
      nodePort: svc.nodePort,
      translated: { src: best.clientSide, dst: best.backend },
      entries,
      decision: d,
      conntrack: ct,
      source,
      merged,
    });
    void clusterIP;
  }
  return gone.size === 0 ? flows : flows.filter((f) => !gone.has(f));
}

/** Turns a flow around: its dst becomes the initiator. */
function reverse(f: Flow): void {
  const s = f.src;
  f.src = f.dst;
  f.dst = s;
  f.packets = { fwd: f.packets.rev, rev: f.packets.fwd };
  f.counts = { fwd: f.counts.rev, rev: f.counts.fwd };
  for (const j of f.journeys) j.dir = j.dir === 'fwd' ? 'rev' : 'fwd';
}

/** The node that translates: the client pod's node, the node sending it, or the node port's owner. */
function natHost(topology: Topology, f: Flow, points: CapturePointInfo[], nodePort: boolean): string | undefined {
  if (nodePort) return ownersOf(topology, f.dst.ip).find((o) => o.host.role === 'node')?.host.name;
  const pod = topology.pods.find((p) => p.ip === f.src.ip);
  if (pod?.host) return pod.host;
  const own = ownersOf(topology, f.src.ip).find((o) => o.host.role === 'node');
  if (own) return own.host.name;
  const first = [...f.seen.entries()].sort((a, b) => a[1].first - b[1].first)[0];
  return first ? points[first[0]].host : undefined;
}

/** A packet's summary without its addresses and ports: what NAT leaves unchanged. */
function signature(j: Journey): string {
  const parts = j.summary.split(' | ');
  const inner = parts[parts.length - 1];
  const tokens = inner.split(' ');
  return `${j.role}|${tokens[1] === '>' ? tokens.slice(3).join(' ') : inner}`;
}

function firstT(j: Journey): number {
  let t = Infinity;
  for (const s of j.sightings) if (s.t < t) t = s.t;
  return t;
}

/**
 * Pairs g's journeys with f's (same direction, same signature, close in time). Counts the pairs;
 * with `merge`, folds g into f: paired journeys become one (sightings on both sides), the others
 * are added, and the per-capture counts are summed.
 */
function matchJourneys(f: Flow, g: Flow, clientSide: { ip: string; port?: number }, merge: boolean): number {
  // g's fwd is f's fwd when g's src is the client side of the translated connection.
  const same = g.src.ip === clientSide.ip && g.src.port === clientSide.port;
  const mapDir = (d: Journey['dir']): Journey['dir'] => (same ? d : d === 'fwd' ? 'rev' : 'fwd');
  const index = new Map<string, Journey[]>();
  for (const j of f.journeys) {
    const k = `${j.dir}|${signature(j)}`;
    const l = index.get(k) ?? [];
    l.push(j);
    index.set(k, l);
  }
  const used = new Set<Journey>();
  let matched = 0;
  const added: Journey[] = [];
  const mergedDir = { fwd: 0, rev: 0 };
  for (const gj of g.journeys) {
    const dir = mapDir(gj.dir);
    const t = firstT(gj);
    let best: Journey | undefined;
    let bestDt = JOIN_WINDOW_NS;
    for (const c of index.get(`${dir}|${signature(gj)}`) ?? []) {
      if (used.has(c)) continue;
      const dt = Math.abs(firstT(c) - t);
      if (dt <= bestDt) {
        best = c;
        bestDt = dt;
      }
    }
    if (best) {
      used.add(best);
      matched++;
      mergedDir[dir]++;
      if (merge) {
        best.sightings.push(...gj.sightings);
        best.sightings.sort((a, b) => a.t - b.t);
        if (!best.tunnel && gj.tunnel) {
          best.tunnel = gj.tunnel;
          best.outer = gj.outer;
        }
      }
    } else if (merge) {
      added.push({ ...gj, dir });
    }
  }
  if (!merge) return matched;
  f.journeys.push(...added);
  f.journeys.sort((a, b) => firstT(a) - firstT(b));
  const gp = same ? g.packets : { fwd: g.packets.rev, rev: g.packets.fwd };
  const gc = same ? g.counts : { fwd: g.counts.rev, rev: g.counts.fwd };
  f.packets.fwd += Math.max(0, gp.fwd - mergedDir.fwd);
  f.packets.rev += Math.max(0, gp.rev - mergedDir.rev);
  f.counts.fwd += Math.max(0, gc.fwd - mergedDir.fwd);
  f.counts.rev += Math.max(0, gc.rev - mergedDir.rev);
  f.dropped += g.dropped;
  f.tunnel ??= g.tunnel;
  f.loopback ||= g.loopback;
  f.first = Math.min(f.first, g.first);
  f.last = Math.max(f.last, g.last);
  mergeSeen(f, g);
  return matched;
}

/** Adds g's sightings per capture point (packets, time range, interfaces) to f's. */
function mergeSeen(f: Flow, g: Flow): void {
  for (const [c, s] of g.seen) {
    const mine = f.seen.get(c);
    if (!mine) f.seen.set(c, { packets: s.packets, first: s.first, last: s.last, points: new Set(s.points) });
    else {
      mine.packets += s.packets;
      mine.first = Math.min(mine.first, s.first);
      mine.last = Math.max(mine.last, s.last);
      for (const p of s.points) mine.points.add(p);
    }
  }
}

/**
 * The node's answer to a rejected connection (ICMP unreachable from one of its addresses to the
 * client, or a TCP RST) becomes the flow's answer: its journeys join the client's flow.
 */
function absorbRejection(f: Flow, flows: Flow[], gone: Set<Flow>, hostAddrs: Set<string>, n: FlowNat): void {
  const t0 = f.first;
  for (const g of flows) {
    if (g === f || gone.has(g) || (g.protocol !== 'icmp' && g.protocol !== 'icmp6')) continue;
    const toClient = g.dst.ip === f.src.ip && hostAddrs.has(g.src.ip);
    if (!toClient || g.key.includes('-echo-') || g.first < t0 - JOIN_WINDOW_NS || g.first > f.last + JOIN_WINDOW_NS) continue;
    for (const j of g.journeys) f.journeys.push({ ...j, dir: 'rev', role: 'other' });
    f.packets.rev += g.packets.fwd + g.packets.rev;
    f.counts.rev += g.counts.fwd + g.counts.rev;
    mergeSeen(f, g);
    f.last = Math.max(f.last, g.last);
    gone.add(g);
    n.rejectAnswer = { src: g.src.ip };
    n.merged.push(g.key);
    return;
  }
}

/** The text of a flow's NAT step: "ip-a: DNAT 10.43.0.50:80 -> 10.42.1.12:8080 (KUBE-SEP-..., ...)". */
export function natStepText(n: FlowNat): string {
  const parts: string[] = [];
  for (const e of n.entries) {
    const how =
      e.type === 'dnat'
        ? `DNAT ${ep(e.from)} -> ${ep(e.to)}`
        : `${e.type === 'snat' ? 'SNAT' : 'MASQUERADE'} ${ep(e.from)} -> ${ep(e.to)}`;
    let why = '';
    if (e.type === 'dnat' && n.decision?.dnat) why = ` (${decisionText(n.decision)})`;
    else if (e.rule) why = ` (${n.decision?.masquerade?.chain ?? 'rule'}, ${shortInput(e.rule.input)} line ${e.rule.line})`;
    else if (e.source === 'conntrack' && n.conntrack) why = ` (conntrack entry, ${shortInput(n.conntrack.evidence.input)} line ${n.conntrack.evidence.line})`;
    else if (e.source === 'inferred') why = ' (inferred from the captures: no NAT dump)';
    parts.push(how + why);
  }
  const svc = `${n.service.namespace}/${n.service.name}`;
  return `${n.host}: ${parts.join('; ')} for Service ${svc}${n.decision ? ` via ${n.decision.walk.filter((c) => (c.startsWith('KUBE-') && c !== 'KUBE-MARK-MASQ') || /^(services|service-|external-|endpoint-|ipvs )/.test(c)).join(' -> ')}` : ''}`;
}

function ep(e: { ip: string; port?: number }): string {
  return e.port !== undefined ? `${e.ip}:${e.port}` : e.ip;
}

function shortInput(input: string): string {
  const i = input.lastIndexOf('/');
  return (i >= 0 ? input.slice(i + 1) : input).replace(/\.txt$/, '');
}

/** The report's service and backend fields of a joined flow. */
export function serviceFields(n: FlowNat, topology: Topology): { service: FlowService; backend?: FlowBackend } {
  const service: FlowService = { namespace: n.service.namespace, name: n.service.name, clusterIP: n.service.clusterIPs[0] ?? '', port: n.port.port };
  if (n.port.nodePort !== undefined) service.nodePort = n.port.nodePort;
  if (!n.translated) return { service };
  const b = n.translated.dst;
  const backend: FlowBackend = { ip: b.ip };
  if (b.port !== undefined) backend.port = b.port;
  const e = n.service.endpoints.find((x) => x.ip === b.ip);
  const pod = topology.pods.find((p) => p.ip === b.ip);
  if (e?.pod ?? (pod && pod.source !== 'subnet' && pod.source !== 'capture' ? pod.name : undefined)) backend.pod = e?.pod ?? pod!.name;
  const host = e?.host ?? pod?.host;
  if (host) backend.host = host;
  return { service, backend };
}

export type { NatFacts };
