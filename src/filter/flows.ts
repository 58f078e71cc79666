/**
 * The flow filters of `analyze`, `explain` and `packets`: `--pod`, `--node`, `--proto`,
 * `--verdict`, `--since`, `--until` (docs/cli.md). Parsed once from the command line into a typed
 * FlowFilter, then matched against typed flows (FlowReport) and packets (time, capture host,
 * inner addresses). Options of one kind are ORed (`--pod a --pod b`), different kinds ANDed.
 */
import { EXIT, UserError } from '../io.js';
import { VERDICTS, type FilterSummary, type FlowReport, type Report, type Verdict } from '../path/types.js';

export type { FilterSummary };

/** A time bound: absolute (ms since the epoch) or relative to the first packet (ms). */
export type TimeBound = { at: number } | { after: number };

export interface FlowFilter {
  pods: string[];
  nodes: string[];
  protos: string[];
  verdicts: Verdict[];
  since?: TimeBound;
  until?: TimeBound;
  /** The options as given (for the report's `filter` field and the terminal line). */
  given: Record<string, string | string[]>;
}

/** The protocols a flow can have (Observation.inner.proto as the decoder names them). */
export const PROTOS = ['tcp', 'udp', 'icmp', 'icmp6', 'arp', 'sctp', 'igmp', 'gre', 'esp', 'ip'] as const;

const list = (v: unknown): string[] =>
  (v === undefined ? [] : Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter((s) => s !== '');

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `--since`/`--until`: ISO 8601, `+2s` / `+1.5m` / `+300ms` after the first packet, or epoch seconds. */
export function parseTime(name: string, v: string): TimeBound {
  const s = v.trim();
  const rel = /^\+(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (rel) return { after: Number(rel[1]) * UNITS[rel[2] ?? 's'] };
  if (/^\d+(?:\.\d+)?$/.test(s)) return { at: Number(s) * 1000 };
  if (/^\d{4}-\d{2}-\d{2}T/.test(s)) {
    const t = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(s) ? s : `${s}Z`);
    if (Number.isFinite(t)) return { at: t };
  }
  throw new UserError(`--${name} takes an ISO time (2026-11-26T08:21:35Z), +N[ms|s|m|h] after the first packet, or epoch seconds, not ${JSON.stringify(v)}`, EXIT.USAGE);
}

/** The filter the command line asks for, or undefined when it names none. Bad values: a usage error. */
export function parseFlowFilter(argv: Record<string, unknown>): FlowFilter | undefined {
  const pods = list(argv.pod);
  const nodes = list(argv.node);
  const protos = list(argv.proto).map((p) => p.toLowerCase());
  for (const p of protos) {
    if (!(PROTOS as readonly string[]).includes(p)) throw new UserError(`--proto takes ${PROTOS.join(', ')}, not ${JSON.stringify(p)}`, EXIT.USAGE);
  }
  const verdicts = list(argv.verdict).map((v) => v.toLowerCase());
  for (const v of verdicts) {
    if (!(VERDICTS as readonly string[]).includes(v)) throw new UserError(`--verdict takes ${VERDICTS.join(', ')}, not ${JSON.stringify(v)}`, EXIT.USAGE);
  }
  const since = argv.since === undefined ? undefined : parseTime('since', String(argv.since));
  const until = argv.until === undefined ? undefined : parseTime('until', String(argv.until));
  if (!pods.length && !nodes.length && !protos.length && !verdicts.length && !since && !until) return undefined;
  const given: Record<string, string | string[]> = {};
  if (pods.length) given.pod = pods;
  if (nodes.length) given.node = nodes;
  if (protos.length) given.proto = protos;
  if (verdicts.length) given.verdict = verdicts;
  if (argv.since !== undefined) given.since = String(argv.since);
  if (argv.until !== undefined) given.until = String(argv.until);
  return { pods, nodes, protos, verdicts: verdicts as Verdict[], since, until, given };
}

/** The earliest packet of the report (ms since the epoch), the base of relative bounds. */
export function firstPacketMs(report: Report): number | undefined {
  let min: number | undefined;
  for (const f of report.flows) for (const s of f.seenAt) {
    const t = Date.parse(s.first);
    if (Number.isFinite(t) && (min === undefined || t < min)) min = t;
  }
  return min;
}

function boundMs(b: TimeBound | undefined, base: number | undefined): number | undefined {
  if (b === undefined) return undefined;
  if ('at' in b) return b.at;
  return (base ?? 0) + b.after;
}

/** A pod named `name` or `ns/name`. */
function podMatches(want: string, pod: string | undefined, namespace: string | undefined): boolean {
  if (pod === undefined) return false;
  return want === pod || (namespace !== undefined && want === `${namespace}/${pod}`);
}

/**
 * Checks the pod and node names against the report (an unknown name is a usage error naming the
 * known ones: a typo should not silently show nothing).
 */
export function checkNames(filter: FlowFilter, report: Report): void {
  const pods = new Set<string>();
  for (const p of report.topology.pods) {
    pods.add(p.name);
    if (p.namespace) pods.add(`${p.namespace}/${p.name}`);
  }
  for (const f of report.flows) for (const e of [f.src, f.dst]) {
    if (e.pod) pods.add(e.pod);
    if (e.pod && e.namespace) pods.add(`${e.namespace}/${e.pod}`);
  }
  for (const p of filter.pods) {
    if (!pods.has(p)) throw new UserError(`--pod: no pod ${JSON.stringify(p)} in this incident; pods: ${[...pods].filter((x) => !x.includes('/')).sort().join(', ') || 'none'}`, EXIT.USAGE);
  }
  const hosts = new Set<string>(report.topology.hosts.map((h) => h.name));
  for (const i of report.inputs) if (i.host) hosts.add(i.host);
  for (const n of filter.nodes) {
    if (!hosts.has(n)) throw new UserError(`--node: no node ${JSON.stringify(n)} in this incident; nodes: ${[...hosts].sort().join(', ') || 'none'}`, EXIT.USAGE);
  }
}

/** Whether flow `f` passes the filter; `base` is the first packet's time (ms) for relative bounds. */
export function flowMatches(f: FlowReport, filter: FlowFilter, base: number | undefined): boolean {
  if (filter.pods.length && !filter.pods.some((p) => podMatches(p, f.src.pod, f.src.namespace) || podMatches(p, f.dst.pod, f.dst.namespace))) return false;
  if (filter.nodes.length) {
    const hosts = new Set<string>();
    for (const s of f.seenAt) if (s.host) hosts.add(s.host);
    for (const s of [...f.path, ...(f.returnPath ?? [])]) hosts.add(s.host);
    if (!filter.nodes.some((n) => hosts.has(n))) return false;
  }
  if (filter.protos.length && !filter.protos.includes(f.protocol.toLowerCase())) return false;
  if (filter.verdicts.length && !filter.verdicts.includes(f.verdict)) return false;
  const since = boundMs(filter.since, base);
  const until = boundMs(filter.until, base);
  if (since !== undefined || until !== undefined) {
    const firsts = f.seenAt.map((s) => Date.parse(s.first)).filter(Number.isFinite);
    const lasts = f.seenAt.map((s) => Date.parse(s.last)).filter(Number.isFinite);
    if (!firsts.length) return false;
    // The flow overlaps the window: its last packet at or after --since, its first at or before --until.
    if (since !== undefined && Math.max(...lasts) < since) return false;
    if (until !== undefined && Math.min(...firsts) > until) return false;
  }
  return true;
}

/** The report with only the matching flows, and the `filter` summary (findings stay). */
export function applyFlowFilter(report: Report, filter: FlowFilter): Report & { filter: FilterSummary } {
  checkNames(filter, report);
  const base = firstPacketMs(report);
  const flows = report.flows.filter((f) => flowMatches(f, filter, base));
  const summary: FilterSummary = { ...(filter.given as Omit<FilterSummary, 'hidden'>), hidden: report.flows.length - flows.length };
  return { ...report, flows, filter: summary };
}

/** The terminal line of an active filter. */
export function filterLine(s: FilterSummary, shown: number): string {
  const parts: string[] = [];
  for (const k of ['pod', 'node', 'proto', 'verdict'] as const) if (s[k]?.length) parts.push(`--${k} ${s[k]!.join(',')}`);
  if (s.since !== undefined) parts.push(`--since ${s.since}`);
  if (s.until !== undefined) parts.push(`--until ${s.until}`);
  return `Filter ${parts.join(' ')}: ${shown} flow${shown === 1 ? '' : 's'} shown, ${s.hidden} hidden (findings are of the whole incident).`;
}

/** What `packets` needs to narrow packets: pod IPs, node names and the time window (ms). */
export interface PacketWindow {
  ips?: Set<string>;
  nodes?: Set<string>;
  since?: number;
  until?: number;
}

/** The packet side of a filter; `report` gives pod IPs and the first packet (needed for --pod or relative bounds). */
export function packetWindow(filter: FlowFilter, report: Report | undefined): PacketWindow {
  if (report) checkNames(filter, report);
  const w: PacketWindow = {};
  if (filter.pods.length && report) {
    w.ips = new Set<string>();
    for (const p of report.topology.pods) {
      if (filter.pods.some((x) => podMatches(x, p.name, p.namespace))) for (const ip of p.ips ?? [p.ip]) w.ips.add(ip.toLowerCase());
    }
    for (const f of report.flows) for (const e of [f.src, f.dst]) if (filter.pods.some((x) => podMatches(x, e.pod, e.namespace))) w.ips.add(e.ip.toLowerCase());
  }
  if (filter.nodes.length) w.nodes = new Set(filter.nodes);
  const base = report ? firstPacketMs(report) : undefined;
  w.since = boundMs(filter.since, base);
  w.until = boundMs(filter.until, base);
  return w;
}

/** Whether a packet (its time in ms, capture host, addresses of any of its headers) falls in the window. */
export function packetInWindow(w: PacketWindow, ms: number, host: string | undefined, addrs: () => string[]): boolean {
  if (w.since !== undefined && ms < w.since) return false;
  if (w.until !== undefined && ms > w.until) return false;
  if (w.nodes && (host === undefined || !w.nodes.has(host))) return false;
  if (w.ips && !addrs().some((a) => w.ips!.has(a.toLowerCase()))) return false;
  return true;
}

/** The ids of the flows of --proto/--verdict (undefined: neither given); packets keep those flows' packets. */
export function flowsOfKind(filter: FlowFilter, report: Report | undefined): Set<string> | undefined {
  if (!report || (!filter.protos.length && !filter.verdicts.length)) return undefined;
  const only: FlowFilter = { pods: [], nodes: [], protos: filter.protos, verdicts: filter.verdicts, given: {} };
  return new Set(report.flows.filter((f) => flowMatches(f, only, undefined)).map((f) => f.id));
}

/** Whether the packet side needs the incident analysed (pod IPs, or the first packet). */
export function needsAnalysis(filter: FlowFilter): boolean {
  return filter.pods.length > 0 || filter.protos.length > 0 || filter.verdicts.length > 0 || (filter.since !== undefined && 'after' in filter.since) || (filter.until !== undefined && 'after' in filter.until);
}

/** yargs options of the filters (shared by analyze, explain and packets). */
export const FILTER_OPTIONS = {
  pod: { type: 'string', array: true, describe: 'only flows from or to this pod (name or ns/name; repeatable)' },
  node: { type: 'string', array: true, describe: 'only flows seen on or passing this node (repeatable)' },
  proto: { type: 'string', array: true, describe: `only flows of this protocol (${PROTOS.join(', ')}; repeatable)` },
  verdict: { type: 'string', array: true, describe: `only flows with this verdict (${VERDICTS.join(', ')}; repeatable)` },
  since: { type: 'string', describe: 'only flows (packets) seen at or after: ISO time, +2s after the first packet, or epoch seconds' },
  until: { type: 'string', describe: 'only flows (packets) seen at or before (same forms as --since)' },
} as const;
