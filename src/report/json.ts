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
export const REPORT = S('schema inputs topology flows findings clocks stats problems gaps filter', {
  filter: S('pod node proto verdict since until hidden'),
  inputs: S('path kind host interface packets format sha256 commands problems notDecoded', { notDecoded: S('what packets') }),
  gaps: S('code what host input command flows'),
  topology: TOPOLOGY,
  flows: FLOW,
  findings: FINDING,
  clocks: S('host reference offsetUs samples'),
  stats: STATS,
});

/**
 * A copy of `value` with its keys in `shape`'s order (unknown keys after, in their order; undefined
 * dropped). The reference for the streamed writer below (which makes no copy), and used by NDJSON.
 */
export function ordered(value: unknown, shape: Shape | undefined): unknown {
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

/** Each shape's keys as a set, for "is this key unknown to the contract" in one pass per object. */
const KEYSETS = new WeakMap<Shape, Set<string>>();
function keySet(shape: Shape): Set<string> {
  let set = KEYSETS.get(shape);
  if (!set) KEYSETS.set(shape, (set = new Set(shape.keys)));
  return set;
}

/** Serialized text is handed out in pieces of about this many characters. */
const CHUNK = 1 << 16;

/**
 * The JSON report written as it is walked, in pieces (about 64 KiB each): the same bytes as
 * `JSON.stringify(ordered(report), null, 2) + "\n"`, but without a reordered copy of the report
 * nor the whole text in memory at once. Keys come in the contract's order from the shape (no sort
 * or filter per object); keys unknown to the contract follow in their own order.
 */
export function* jsonChunks(report: Report): Generator<string> {
  let buf = '';
  // Pieces of about CHUNK handed out at the next top-level element: a big nested value (a host of
  // 400,000 interfaces) never becomes one string.
  const ready: string[] = [];
  const spill = () => {
    if (buf.length >= CHUNK) {
      ready.push(buf);
      buf = '';
    }
  };
  const skip = (x: unknown) => x === undefined || typeof x === 'function' || typeof x === 'symbol';
  const value = (v: unknown, shape: Shape | undefined, indent: string): void => {
    if (v === null || typeof v !== 'object') {
      buf += JSON.stringify(v) ?? 'null';
      return;
    }
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      buf += JSON.stringify(v, null, 2).replace(/\n/g, '\n' + indent);
      return;
    }
    const inner = indent + '  ';
    if (Array.isArray(v)) {
      if (v.length === 0) {
        buf += '[]';
        return;
      }
      buf += '[';
      for (let i = 0; i < v.length; i++) {
        buf += (i ? ',\n' : '\n') + inner;
        if (skip(v[i])) buf += 'null';
        else value(v[i], shape, inner);
        spill();
      }
      buf += '\n' + indent + ']';
      return;
    }
    const obj = v as Record<string, unknown>;
    let first = true;
    const member = (k: string, x: unknown, of: Shape | undefined): void => {
      if (skip(x)) return;
      buf += (first ? '{\n' : ',\n') + inner + JSON.stringify(k) + ': ';
      first = false;
      value(x, of, inner);
    };
    if (shape) {
      for (const k of shape.keys) if (Object.prototype.hasOwnProperty.call(obj, k)) member(k, obj[k], shape.of?.[k]);
      const known = keySet(shape);
      for (const k of Object.keys(obj)) if (!known.has(k)) member(k, obj[k], undefined);
    } else {
      for (const k of Object.keys(obj)) member(k, obj[k], undefined);
    }
    buf += first ? '{}' : '\n' + indent + '}';
  };
  // The top level by hand, so that its arrays (flows, findings, inputs) can be handed out in pieces.
  const top = report as unknown as Record<string, unknown>;
  const keys = [...REPORT.keys.filter((k) => Object.prototype.hasOwnProperty.call(top, k)), ...Object.keys(top).filter((k) => !keySet(REPORT).has(k))].filter((k) => !skip(top[k]));
  if (keys.length === 0) buf += '{}';
  for (let n = 0; n < keys.length; n++) {
    const k = keys[n];
    const v = top[k];
    const of = REPORT.of?.[k];
    buf += (n ? ',\n' : '{\n') + '  ' + JSON.stringify(k) + ': ';
    if (Array.isArray(v) && v.length > 0) {
      buf += '[';
      for (let i = 0; i < v.length; i++) {
        buf += (i ? ',\n' : '\n') + '    ';
        if (skip(v[i])) buf += 'null';
        else value(v[i], of, '    ');
        spill();
        for (const r of ready) yield r;
        ready.length = 0;
      }
      buf += '\n  ]';
    } else value(v, of, '  ');
    spill();
    for (const r of ready) yield r;
    ready.length = 0;
    if (n === keys.length - 1) buf += '\n}';
  }
  yield buf + '\n';
}

export function renderJson(report: Report): string {
  return joinChunks(jsonChunks(report));
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
