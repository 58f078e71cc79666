/**
 * `iptables [-t nat] -L [-n] [-v] [-x] [--line-numbers]` (and ip6tables): chain headers and rule rows.
 *
 *   Chain KUBE-SVC-ULMVA6XWNOGFK3AF (2 references)
 *   num   pkts bytes target     prot opt in     out     source               destination
 *   2        4   240 KUBE-SEP-A  0    --  *      *       0.0.0.0/0            0.0.0.0/0   /* default/web:http *\/ statistic mode random probability 0.5
 *
 * Rows are split on whitespace (a row wider than its header loses the alignment); the target is
 * optional (a counting rule has none); the trailing match text is kept and its common parts read.
 */
import { shortFlags } from './typed.js';
import type { DumpParser, DumpProblem } from './types.js';
import type { IptablesListRecord } from './nat-types.js';
import { ProblemList, nonBlank, numbered, toInt } from './text.js';

const CHAIN = /^Chain\s+(\S+)\s+\((?:policy\s+(\S+)(?:\s+(\d+[KMGTP]?)\s+packets,\s+(\d+[KMGTP]?)\s+bytes)?|(\d+)\s+references?)\)\s*$/;
const HEADER = /^\s*(num\s+)?(pkts\s+bytes\s+)?target\s+prot\s+opt\s+(in\s+out\s+)?source\s+destination\b/;

function detect(lines: string[]): number {
  const nb = nonBlank(lines).slice(0, 200);
  if (nb.length === 0) return 0;
  let chains = 0;
  let headers = 0;
  for (const l of nb) {
    if (CHAIN.test(l.trim())) chains++;
    else if (HEADER.test(l)) headers++;
  }
  if (chains > 0 && headers > 0) return 0.97;
  if (headers > 0) return 0.7;
  if (chains > 0 && CHAIN.test(nb[0].trim())) return 0.6;
  return 0;
}

/** 318K -> 318000 (iptables divides by 1000). */
function counter(s: string): { n: number; approx: boolean } | undefined {
  const m = /^(\d+)([KMGTP]?)$/.exec(s);
  if (!m) return undefined;
  const mult = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 }[m[2]]!;
  return { n: Number(m[1]) * mult, approx: m[2] !== '' };
}

interface Tok {
  t: string;
  start: number;
}

function toks(line: string): Tok[] {
  const out: Tok[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push({ t: m[0], start: m.index });
  return out;
}

const isOpt = (s: string | undefined) => s !== undefined && /^(--|-f|!f)$/.test(s);

/** Reads the common parts of the trailing match text. */
function readExtra(r: IptablesListRecord, extra: string): void {
  const c = /\/\*\s?(.*?)\s?\*\//.exec(extra);
  if (c) r.comment = c[1];
  const rest = extra.replace(/\/\*.*?\*\//g, ' ');
  const dpt = /\b(?:tcp|udp|sctp|dccp)\b[^/]*?\bdpts?:(\S+)/.exec(rest) ?? /\bdports\s+(\S+)/.exec(rest);
  if (dpt) r.dport = dpt[1];
  const spt = /\b(?:tcp|udp|sctp|dccp)\b[^/]*?\bspts?:(\S+)/.exec(rest) ?? /\bsports\s+(\S+)/.exec(rest);
  if (spt) r.sport = spt[1];
  const p = /\bstatistic mode random probability ([\d.]+)/.exec(rest);
  if (p) r.probability = Number(p[1]);
  const to = /\bto:(\S+)/.exec(rest);
  if (to) r.to = to[1];
  const rw = /\breject-with (\S+)/.exec(rest);
  if (rw) r.rejectWith = rw[1];
}

function parse(lines: string[], firstLine: number): { records: IptablesListRecord[]; problems: DumpProblem[] } {
  const problems = new ProblemList('iptables -L');
  const records: IptablesListRecord[] = [];
  let chain: string | undefined;
  let numbered_ = false;
  let verbose = false;
  let pos = 0;
  for (const { n, text } of numbered(lines, firstLine)) {
    if (text.trim() === '') continue;
    let m: RegExpExecArray | null;
    if ((m = CHAIN.exec(text.trim()))) {
      chain = m[1];
      pos = 0;
      const r: IptablesListRecord = { kind: 'chain', chain, line: n };
      if (m[2] !== undefined) r.policy = m[2];
      if (m[3] !== undefined) {
        const p = counter(m[3])!;
        const b = counter(m[4])!;
        r.packets = p.n;
        r.bytes = b.n;
        if (p.approx || b.approx) r.approximate = true;
      }
      if (m[5] !== undefined) r.references = toInt(m[5]);
      records.push(r);
      continue;
    }
    if ((m = HEADER.exec(text))) {
      numbered_ = m[1] !== undefined;
      verbose = m[2] !== undefined;
      continue;
    }
    if (chain === undefined) {
      problems.unrecognized(n, text, 'expected a "Chain NAME (policy ...)" header');
      continue;
    }
    const ts = toks(text);
    let i = 0;
    const r: IptablesListRecord = { kind: 'rule', chain, line: n };
    if (numbered_) {
      const num = toInt(ts[i]?.t);
      if (num === undefined) {
        problems.unrecognized(n, text, 'expected the rule number');
        continue;
      }
      r.num = num;
      i++;
    }
    if (verbose) {
      const p = counter(ts[i]?.t ?? '');
      const b = counter(ts[i + 1]?.t ?? '');
      if (!p || !b) {
        problems.unrecognized(n, text, 'expected the pkts and bytes counters');
        continue;
      }
      r.packets = p.n;
      r.bytes = b.n;
      if (p.approx || b.approx) r.approximate = true;
      i += 2;
    }
    // target (optional), prot, opt
    if (isOpt(ts[i + 2]?.t)) {
      r.target = ts[i].t;
      r.prot = ts[i + 1].t;
      r.opt = ts[i + 2].t;
      i += 3;
    } else if (isOpt(ts[i + 1]?.t)) {
      r.prot = ts[i].t;
      r.opt = ts[i + 1].t;
      i += 2;
    } else {
      // old ip6tables prints no opt column: target prot [in out] source destination
      const need = verbose ? 5 : 3;
      if (ts.length - i < need) {
        problems.add(n, `truncated iptables -L rule in chain ${chain}: ${JSON.stringify(text.trim())}`);
        continue;
      }
      r.target = ts[i].t;
      r.prot = ts[i + 1].t;
      i += 2;
    }
    if (verbose) {
      r.in = ts[i]?.t;
      r.out = ts[i + 1]?.t;
      i += 2;
    }
    if (ts[i + 1] === undefined) {
      problems.add(n, `truncated iptables -L rule in chain ${chain}: no source and destination`);
      continue;
    }
    r.source = ts[i].t;
    r.destination = ts[i + 1].t;
    i += 2;
    if (r.num === undefined) r.num = ++pos;
    if (ts[i]) {
      r.extra = text.slice(ts[i].start).trim();
      readExtra(r, r.extra);
    }
    if (r.in === undefined) delete r.in;
    if (r.out === undefined) delete r.out;
    records.push(r);
  }
  if (records.length === 0 && nonBlank(lines).length > 0 && problems.problems.length === 0)
    problems.add(firstLine, 'no iptables -L chains found (expected "Chain NAME (policy ACCEPT)")');
  return { records, problems: problems.done() };
}

export const iptablesList: DumpParser<'iptables-list'> = {
  info: {
    command: 'iptables-list',
    displayName: 'iptables -L',
    nameHint: { pattern: /ip6?tables-(t-\w+-)?(l|nl|l-n|ln|lnv|nvl|l-n-v|nl-v|vnl|list)(-|$)/, rank: 130 },
    typed: [{ programs: ['iptables', 'ip6tables', 'iptables-legacy', 'iptables-nft', 'ip6tables-legacy', 'ip6tables-nft'], args: (a) => a.includes('--list') || /L/.test(shortFlags(a)) }],
    description: 'iptables -L [-t TABLE] [-n] [-v] [-x] [--line-numbers] / ip6tables -L',
    detect,
  },
  parse,
};
