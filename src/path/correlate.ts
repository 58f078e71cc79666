/**
 * Places each journey's sightings on its expected path, estimates the clock offset between nodes
 * from request/response pairs seen on both, measures per-hop latency, and gives every journey and
 * flow a verdict: ok, unanswered, lost (seen at an earlier point of its path, missing at a later
 * point whose capture covered that moment) or partial (too few capture points to tell).
 */
import type { Step, Verdict, HopLatency, ClockOffset } from './types.js';
import type { Flow, Journey, Sighting } from './flows.js';

/** A capture as the correlation sees it. */
export interface CapturePointInfo {
  input: string;
  host?: string;
  /** Interface, or "any" for a `tcpdump -i any` capture (its packets name their own interface). */
  interface?: string;
  /** Time range of its packets (ns since base); undefined when it holds none. */
  first?: number;
  last?: number;
  packets: number;
  /** When the capture ran, where a collector log says (ns since base); widens first..last. */
  windowStart?: number;
  windowEnd?: number;
  /**
   * Packets this capture missed that another capture of the same point saw while it ran (the
   * capturing tool dropped them): its absences are no evidence of loss.
   */
  missed?: number;
  /** One example of a missed packet (input of the capture that saw it, packet number). */
  missedExample?: { input: string; packet: number };
}

/** Slack around a capture's first and last packet within which it is taken to have been running. */
const COVER_SLACK_NS = 1e9;

export function pointId(host: string | undefined, iface: string | undefined): string {
  return `${host ?? '?'}|${iface ?? '?'}`;
}

/**
 * Index of the step a point (host|interface) sees; -1 when the point is not on the path. Where
 * several consecutive steps share a point (send, loopback and deliver on lo), a sighting there is
 * a sighting of the last of them.
 */
export function stepIndexOf(path: Step[], point: string): number {
  for (let i = 0; i < path.length; i++) {
    if (pointId(path[i].host, path[i].interface) === point) {
      while (i + 1 < path.length && pointId(path[i + 1].host, path[i + 1].interface) === point) i++;
      return i;
    }
  }
  return -1;
}

/** The k-th (0-based) run of consecutive steps at `point`, or the last run when there are fewer. */
function stepIndexOfNth(path: Step[], point: string, k: number): number {
  let found = -1;
  let run = -1;
  for (let i = 0; i < path.length; i++) {
    if (pointId(path[i].host, path[i].interface) !== point) continue;
    while (i + 1 < path.length && pointId(path[i + 1].host, path[i + 1].interface) === point) i++;
    found = i;
    if (++run === k) return i;
  }
  return found;
}

export class Clocks {
  /** host -> ns to add to bring its timestamps onto the reference clock. */
  readonly offsets = new Map<string, number>();
  readonly report: ClockOffset[] = [];

  correct(host: string | undefined, t: number): number {
    return host === undefined ? t : t + (this.offsets.get(host) ?? 0);
  }
}

interface Placed {
  step: number;
  s: Sighting;
  t: number;
}

export function place(j: Journey, path: Step[], captures: CapturePointInfo[], clocks: Clocks): Placed[] {
  const out: Placed[] = [];
  // A point on the path more than once (a node's NIC before and after NAT, in and out): its
  // sightings, in time order, are sightings of its successive steps.
  const nth = new Map<string, number>();
  const order = j.sightings.length > 1 ? [...j.sightings].sort((a, b) => a.t - b.t) : j.sightings;
  for (const s of order) {
    const c = captures[s.capture];
    const point = pointId(c.host, s.iface ?? c.interface);
    const k = nth.get(point) ?? 0;
    nth.set(point, k + 1);
    const step = k === 0 ? stepIndexOf(path, point) : stepIndexOfNth(path, point, k);
    if (step < 0) continue;
    out.push({ step, s, t: clocks.correct(captures[s.capture].host, s.t) });
  }
  out.sort((a, b) => a.step - b.step || a.t - b.t);
  return out;
}

/** Steps of `path` covered by a capture running at (corrected) time t: step index -> capture. */
export function coveredSteps(path: Step[], captures: CapturePointInfo[], t: number, clocks: Clocks): Map<number, number> {
  const covered = new Map<number, number>();
  captures.forEach((c, ci) => {
    const w = runningWindow(c);
    if (!w || c.missed) return;
    const lo = clocks.correct(c.host, w.from) - COVER_SLACK_NS;
    const hi = clocks.correct(c.host, w.to) + COVER_SLACK_NS;
    if (t < lo || t > hi) return;
    path.forEach((st, i) => {
      if (st.host !== c.host || st.interface === undefined) return;
      if (c.interface === 'any' ? st.action !== 'send' && st.action !== 'deliver' : st.interface === c.interface) {
        if (!covered.has(i)) covered.set(i, ci);
      }
    });
  });
  return covered;
}

/** When capture `c` ran, as far as its packets and a collector log tell; undefined when unknown. */
export function runningWindow(c: CapturePointInfo): { from: number; to: number } | undefined {
  const from = min(c.first, c.windowStart);
  const to = max(c.last, c.windowEnd);
  return from === undefined || to === undefined ? undefined : { from, to };
}

function min(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
function max(a?: number, b?: number): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** Whether capture `c` was running at (corrected) time t. */
function running(c: CapturePointInfo, t: number, clocks: Clocks): boolean {
  const w = runningWindow(c);
  if (!w) return false;
  return t >= clocks.correct(c.host, w.from) && t <= clocks.correct(c.host, w.to);
}

/**
 * Marks the captures that missed packets another capture of the same point saw while both ran
 * (tcpdump's "packets dropped by kernel", a `-i any` capture under load): `missed` counts them.
 */
export function findLossyCaptures(flows: Flow[], captures: CapturePointInfo[], clocks: Clocks): void {
  for (const f of flows) {
    for (const j of f.journeys) {
      const seenBy = new Map<string, Set<number>>();
      for (const s of j.sightings) {
        const c = captures[s.capture];
        const iface = s.iface ?? c.interface;
        if (!c.host || !iface || iface === 'any') continue;
        const key = pointId(c.host, iface);
        const set = seenBy.get(key) ?? new Set<number>();
        set.add(s.capture);
        seenBy.set(key, set);
      }
      for (const [key, set] of seenBy) {
        const [host, iface] = key.split('|');
        const t = clocks.correct(host, j.sightings.find((s) => set.has(s.capture))!.t);
        captures.forEach((c, ci) => {
          if (set.has(ci) || c.host !== host || (c.interface !== iface && c.interface !== 'any')) return;
          if (!running(c, t, clocks)) return;
          c.missed = (c.missed ?? 0) + 1;
          if (!c.missedExample) {
            const s = j.sightings.find((x) => set.has(x.capture))!;
            c.missedExample = { input: captures[s.capture].input, packet: s.packet };
          }
        });
      }
    }
  }
}

export interface JourneyVerdict {
  verdict: 'reached' | 'lost' | 'unplaced';
  lastSeen?: number;
  missingAt?: number;
  missingCapture?: number;
  placed: Placed[];
}

export function journeyVerdict(j: Journey, path: Step[], captures: CapturePointInfo[], clocks: Clocks): JourneyVerdict {
  const placed = place(j, path, captures, clocks);
  if (placed.length === 0) return { verdict: 'unplaced', placed };
  const last = placed[placed.length - 1];
  const covered = coveredSteps(path, captures, last.t, clocks);
  let missingAt: number | undefined;
  for (const [i] of [...covered].sort((a, b) => a[0] - b[0])) {
    if (i > last.step) {
      missingAt = i;
      break;
    }
  }
  if (missingAt !== undefined) {
    return { verdict: 'lost', lastSeen: last.step, missingAt, missingCapture: covered.get(missingAt), placed };
  }
  return { verdict: 'reached', lastSeen: last.step, placed };
}

/**
 * Clock offsets between hosts from request/response pairs seen on both (NTP-style):
 * offset(B vs A) = ((tB_req - tA_req) + (tB_resp - tA_resp)) / 2, median over pairs.
 */
export function estimateClocks(flows: Flow[], captures: CapturePointInfo[]): Clocks {
  const clocks = new Clocks();
  const samples = new Map<string, number[]>();
  for (const f of flows) {
    const responses = new Map<string, Journey>();
    for (const j of f.journeys) if (j.role === 'response' && j.pair) responses.set(j.pair, j);
    for (const req of f.journeys) {
      if (req.role !== 'request' || !req.pair) continue;
      const resp = responses.get(req.pair);
      if (!resp) continue;
      const hostsReq = byHost(req.sightings, captures);
      const hostsResp = byHost(resp.sightings, captures);
      for (const [a, aReq] of hostsReq) {
        for (const [b, bReq] of hostsReq) {
          if (a >= b) continue;
          const aResp = hostsResp.get(a);
          const bResp = hostsResp.get(b);
          if (!aResp || !bResp) continue;
          // Request goes a -> b or b -> a; the formula is symmetric in direction.
          const theta = (bReq.t - aReq.t + (bResp.t - aResp.t)) / 2;
          const key = `${a}\u0000${b}`;
          const list = samples.get(key) ?? [];
          list.push(theta);
          samples.set(key, list);
        }
      }
    }
  }
  // Reference: the first host in name order; hosts linked to it directly get an offset.
  const hosts = [...new Set(captures.map((c) => c.host).filter((h): h is string => !!h))].sort();
  const ref = hosts[0];
  if (!ref) return clocks;
  for (const [key, list] of [...samples].sort()) {
    const [a, b] = key.split('\u0000');
    const m = median(list);
    if (a === ref && !clocks.offsets.has(b)) {
      clocks.offsets.set(b, -m);
      clocks.report.push({ host: b, reference: a, offsetUs: Math.round(-m / 1e3) / 1, samples: list.length });
    } else if (b === ref && !clocks.offsets.has(a)) {
      clocks.offsets.set(a, m);
      clocks.report.push({ host: a, reference: b, offsetUs: Math.round(m / 1e3), samples: list.length });
    }
  }
  return clocks;
}

/** Per host, the sighting of the packet there: the one nearest the other hosts (first seen). */
function byHost(sightings: Sighting[], captures: CapturePointInfo[]): Map<string, Sighting> {
  const m = new Map<string, Sighting>();
  for (const s of sightings) {
    const h = captures[s.capture].host;
    if (!h) continue;
    const prev = m.get(h);
    if (!prev || s.t < prev.t) m.set(h, s);
  }
  return m;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return 0;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Median latency between consecutive points of the path, over the journeys seen at both. */
export function hopLatencies(journeys: Journey[], path: Step[], captures: CapturePointInfo[], clocks: Clocks): HopLatency[] {
  const hops = new Map<string, { from: number; to: number; d: number[] }>();
  for (const j of journeys) {
    const placed = place(j, path, captures, clocks);
    // One time per step: the earliest sighting there (duplicate captures of the same point agree).
    const perStep = new Map<number, number>();
    for (const p of placed) if (!perStep.has(p.step)) perStep.set(p.step, p.t);
    const steps = [...perStep.keys()].sort((a, b) => a - b);
    for (let k = 1; k < steps.length; k++) {
      const key = `${steps[k - 1]}>${steps[k]}`;
      const h = hops.get(key) ?? { from: steps[k - 1], to: steps[k], d: [] };
      h.d.push(perStep.get(steps[k])! - perStep.get(steps[k - 1])!);
      hops.set(key, h);
    }
  }
  return [...hops.values()]
    .sort((a, b) => a.from - b.from || a.to - b.to)
    .map((h) => ({
      from: { host: path[h.from].host, interface: path[h.from].interface },
      to: { host: path[h.to].host, interface: path[h.to].interface },
      medianUs: Math.round(median(h.d) / 100) / 10,
      samples: h.d.length,
    }));
}

export interface FlowVerdict {
  verdict: Verdict;
  why: string;
  lost: { journey: Journey; v: JourneyVerdict; path: Step[] }[];
  requests: number;
  responses: number;
  answered: number;
  /** Forward packets placed on the path that were not lost. */
  reachedFwd: number;
  /** The furthest step each placed forward packet was seen at. */
  fwdLastSeen: number[];
  /** The same for reverse journeys, on the return path. */
  revLastSeen?: number[];
}

export function flowVerdict(
  f: Flow,
  path: Step[],
  returnPath: Step[],
  captures: CapturePointInfo[],
  clocks: Clocks,
): FlowVerdict {
  const lost: FlowVerdict['lost'] = [];
  let reachedEnd = 0;
  let placedAny = 0;
  let reachedFwd = 0;
  const fwdLastSeen: number[] = [];
  const revLastSeen: number[] = [];
  const answeredPairs0 = new Set(f.journeys.filter((j) => j.role === 'response').map((j) => j.pair));
  for (const j of f.journeys) {
    const p = j.dir === 'fwd' ? path : returnPath;
    const v = journeyVerdict(j, p, captures, clocks);
    // A request whose response came back arrived, whatever a capture missed.
    if (v.verdict === 'lost' && j.role === 'request' && answeredPairs0.has(j.pair)) v.verdict = 'reached';
    if (v.verdict === 'lost') lost.push({ journey: j, v, path: p });
    if (v.verdict !== 'unplaced') placedAny++;
    if (v.verdict === 'reached' && j.dir === 'fwd') reachedFwd++;
    if (j.dir === 'fwd' && v.lastSeen !== undefined) fwdLastSeen.push(v.lastSeen);
    if (j.dir === 'rev' && v.lastSeen !== undefined) revLastSeen.push(v.lastSeen);
    if (v.verdict === 'reached' && v.lastSeen !== undefined && p[v.lastSeen]?.host === p[p.length - 1]?.host) reachedEnd++;
  }
  const requests = f.journeys.filter((j) => j.role === 'request');
  const responses = f.journeys.filter((j) => j.role === 'response');
  const answeredPairs = new Set(responses.map((j) => j.pair));
  const answered = requests.filter((j) => answeredPairs.has(j.pair)).length;
  const base = { lost, requests: requests.length, responses: responses.length, answered, reachedFwd, fwdLastSeen, revLastSeen };
  if (lost.length > 0) {
    const l = lost[0];
    const from = l.path[l.v.lastSeen!];
    const to = l.path[l.v.missingAt!];
    return {
      ...base,
      verdict: 'lost',
      why: `${lost.length} packet(s) seen on ${from.host} ${from.interface} never reached ${to.host} ${to.interface}, whose capture was running`,
    };
  }
  if (requests.length > 0 && answered < requests.length) {
    return {
      ...base,
      verdict: 'unanswered',
      why: `${requests.length - answered} of ${requests.length} request(s) got no response at any capture point`,
    };
  }
  if (requests.length > 0) return { ...base, verdict: 'ok', why: `${answered} request(s), every one answered` };
  if (f.packets.rev > 0 || reachedEnd > 0) return { ...base, verdict: 'ok', why: f.packets.rev > 0 ? 'packets flowed both ways' : 'packets reached the destination side' };
  if (placedAny === 0 && f.loopback) return { ...base, verdict: 'ok', why: 'stayed on lo' };
  return { ...base, verdict: 'partial', why: 'seen only before the destination side, with no capture there to tell whether it arrived' };
}
