/**
 * The JSON report (`--format json`): the Report contract (src/path/types.ts, schema
 * "podpath.report/1") with its keys in the contract's order whatever order the analyzer built
 * them in, 2-space indent, trailing newline. And NDJSON (`--format ndjson`): one line per flow
 * (`{"type":"flow",...}`), then one per finding (`{"type":"finding",...}`, topology findings
 * included), then one `{"type":"stats",...}` line. docs/report-formats.md.
 */
import type { Report } from '../path/types.js';
import { chunked, joinChunks } from './stream.js';

/** Key order of one object type; `of` gives the shapes of nested members (arrays: per element). */
interface Shape {
  keys: string[];
  of?: Record<string, Shape>;
}

const S = (keys: string, of?: Record<string, Shape>): Shape => ({ keys: keys.split(' '), of });

const EVIDENCE = S('input line packet text');
const FINDING = S('severity code message evidence', { evidence: EVIDENCE });
const INTERFACE = S('name index kind mtu mac addresses master peer linkNetns lower state vxlan geneve ports vlans evidence', {
  addresses: S('family address prefixLength scope'),
  vxlan: S('vni port local dev learning'),
  geneve: S('vni port'),
  vlans: S('port vlan pvid untagged'),
  evidence: EVIDENCE,
});
const HOST = S('name role node interfaces routes neighbors fdb listening inputs underlay', {
  interfaces: INTERFACE,
  routes: S('destination gateway interface metric type onlink src table evidence', { evidence: EVIDENCE }),
  neighbors: S('address mac dev state evidence', { evidence: EVIDENCE }),
  fdb: S('mac dev dst vlan master permanent evidence', { evidence: EVIDENCE }),
  listening: S('proto address port process evidence', { evidence: EVIDENCE }),
  underlay: S('address interface source evidence', { evidence: EVIDENCE }),
});
const TOPOLOGY = S('hosts pods overlay captures findings', {
  hosts: HOST,
  pods: S('name namespace ip host source evidence', { evidence: EVIDENCE }),
  overlay: S('host device type vni port local subnet remotes evidence', {
    remotes: S('subnet gateway vtep host source evidence', { evidence: EVIDENCE }),
    evidence: EVIDENCE,
  }),
  captures: S('input host interface via note'),
  findings: FINDING,
});
const STEP = S('host interface action detail evidence', { evidence: EVIDENCE });
const POINT = S('host interface');
export const FLOW = S('id protocol src dst kind verdict packets requests responses path returnPath tunnel seenAt latency summary why', {
  src: S('ip port pod namespace host'),
  dst: S('ip port pod namespace host'),
  path: STEP,
  returnPath: STEP,
  tunnel: S('type vni port'),
  seenAt: S('input host interface packets first last'),
  latency: S('hops rttUs', { hops: S('from to medianUs samples', { from: POINT, to: POINT }) }),
});
const STATS = S('packets decoded truncated malformed skipped unexplained');
const REPORT = S('schema inputs topology flows findings clocks stats problems gaps', {
  inputs: S('path kind host interface packets format sha256 commands problems notDecoded', { notDecoded: S('what packets') }),
  gaps: S('code what host input command flows'),
  topology: TOPOLOGY,
  flows: FLOW,
  findings: FINDING,
  clocks: S('host reference offsetUs samples'),
  stats: STATS,
});

/** A copy of `value` with its keys in `shape`'s order (unknown keys after, in their order; undefined dropped). */
function ordered(value: unknown, shape: Shape | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v, shape));
  if (value === null || typeof value !== 'object' || !shape) return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const keys = [...shape.keys.filter((k) => k in obj), ...Object.keys(obj).filter((k) => !shape.keys.includes(k))];
  for (const k of keys) {
    if (obj[k] === undefined) continue;
    out[k] = ordered(obj[k], shape.of?.[k]);
  }
  return out;
}

export function renderJson(report: Report): string {
  return joinChunks(jsonChunks(report));
}

/** The JSON report as chunks: byte for byte `JSON.stringify(ordered(report), null, 2) + '\n'`. */
export function* jsonChunks(report: Report): Generator<string> {
  yield* chunked(jsonPieces(report, REPORT, ''));
  yield '\n';
}

/** Values with fewer nodes than this are stringified whole (then indented); bigger ones are walked. */
const WHOLE_NODES = 2000;

/** True when `v` has more than `budget` array elements and object members, counted up to that. */
function isBig(v: unknown, budget = WHOLE_NODES): boolean {
  let left = budget;
  const stack: unknown[] = [v];
  while (stack.length) {
    const x = stack.pop();
    if (x === null || typeof x !== 'object') continue;
    const kids = Array.isArray(x) ? x : Object.values(x as object);
    left -= kids.length;
    if (left < 0) return true;
    for (const k of kids) if (k !== null && typeof k === 'object') stack.push(k);
  }
  return false;
}

/**
 * The pieces of `JSON.stringify(ordered(value, shape), null, 2)` at this indent, walking big
 * arrays and objects member by member (small ones are stringified at once).
 */
function* jsonPieces(value: unknown, shape: Shape | undefined, indent: string): Generator<string> {
  if (value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function' || !isBig(value)) {
    const s = JSON.stringify(ordered(value, shape), null, 2) ?? 'null';
    yield indent === '' ? s : s.replace(/\n/g, '\n' + indent);
    return;
  }
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return yield '[]';
    yield '[';
    for (let i = 0; i < value.length; i++) {
      yield (i ? ',\n' : '\n') + inner;
      const v = value[i];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') yield 'null';
      else yield* jsonPieces(v, shape, inner);
    }
    yield '\n' + indent + ']';
    return;
  }
  const obj = value as Record<string, unknown>;
  const keys = shape ? [...shape.keys.filter((k) => k in obj), ...Object.keys(obj).filter((k) => !shape.keys.includes(k))] : Object.keys(obj);
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    yield (first ? '{\n' : ',\n') + inner + JSON.stringify(k) + ': ';
    first = false;
    yield* jsonPieces(v, shape?.of?.[k], inner);
  }
  yield first ? '{}' : '\n' + indent + '}';
}

/** NDJSON: flows, then findings (report, then topology), then one stats line. */
export function renderNdjson(report: Report): string {
  return joinChunks(ndjsonChunks(report));
}

export function* ndjsonChunks(report: Report): Generator<string> {
  const line = (type: string, v: unknown, shape: Shape) => JSON.stringify({ type, ...(ordered(v, shape) as Record<string, unknown>) }) + '\n';
  function* lines(): Generator<string> {
    for (const f of report.flows) yield line('flow', f, FLOW);
    const seen = new Set(report.findings);
    for (const f of report.findings) yield line('finding', f, FINDING);
    for (const f of report.topology.findings) if (!seen.has(f)) yield line('finding', f, FINDING);
    yield line('stats', report.stats, STATS);
  }
  yield* chunked(lines());
}
