/**
 * Connection tracking tables: `conntrack -L [-o extended]`, `conntrack -E` events,
 * `/proc/net/nf_conntrack` and the old `/proc/net/ip_conntrack`.
 *
 *   tcp      6 118 TIME_WAIT src=10.42.1.12 dst=10.43.0.10 sport=38796 dport=80 packets=6 bytes=434 src=10.42.1.13 dst=10.42.1.12 sport=8080 dport=38796 packets=6 bytes=1259 [ASSURED] mark=0 use=1
 *   ipv4     2 udp      17 29 src=... [UNREPLIED] src=... mark=0 zone=0 use=2
 *
 * The first src=/dst= group is the original direction, the second the reply; a reply source other
 * than the original destination is DNAT, a reply destination other than the original source SNAT.
 */
import { shortFlags } from './typed.js';
import type { DumpParser, DumpProblem } from './types.js';
import type { ConntrackRecord, ConntrackTuple } from './nat-types.js';
import { ProblemList, nonBlank, numbered, toInt, words } from './text.js';
import { normalizeIp } from '../topology/lookup.js';

const TUPLE = /\bsrc=\S+\s+dst=\S+/;
const SUMMARY = /^conntrack v[\d.]+ \(conntrack-tools\):/;
const HEAD = /^(?:\[(\w+)\]\s+)?(?:(ipv4|ipv6)\s+(\d+)\s+)?([a-z][\w-]*|unknown)\s+(\d+)\s+(.*)$/;

function detect(lines: string[]): number {
  const nb = nonBlank(lines)
    .slice(0, 100)
    .filter((l) => !SUMMARY.test(l.trim()));
  if (nb.length === 0) return 0;
  const good = nb.filter((l) => TUPLE.test(l) && HEAD.test(l.trim())).length;
  if (good === 0) return 0;
  const frac = good / nb.length;
  return frac >= 0.8 ? 0.95 : frac >= 0.5 ? 0.7 : 0.3;
}

function addr(s: string): string {
  return normalizeIp(s) ?? s;
}

function parseLine(t: string, n: number): ConntrackRecord | string {
  const m = HEAD.exec(t);
  if (!m) return 'expected "PROTO NUMBER [TIMEOUT] [STATE] src=... dst=..."';
  const ws = words(m[6]);
  const r: ConntrackRecord = { family: 'inet', protocol: m[4], protocolNumber: Number(m[5]), original: { src: '', dst: '' }, flags: [], line: n };
  if (m[1]) r.event = m[1];
  if (m[2]) r.family = m[2] === 'ipv6' ? 'inet6' : 'inet';
  const tuples: ConntrackTuple[] = [];
  let cur: ConntrackTuple | undefined;
  for (const w of ws) {
    const flag = /^\[(\w+)\]$/.exec(w);
    if (flag) {
      r.flags.push(flag[1]);
      continue;
    }
    const kv = /^([\w-]+)=(.*)$/.exec(w);
    if (!kv) {
      if (tuples.length === 0 && r.timeout === undefined && /^\d+$/.test(w)) r.timeout = Number(w);
      else if (tuples.length === 0 && /^[A-Z_]+$/.test(w)) r.state = w;
      else return `unexpected word '${w}'`;
      continue;
    }
    const [, k, v] = kv;
    if (k === 'src') {
      cur = { src: addr(v), dst: '' };
      tuples.push(cur);
      continue;
    }
    if (!cur || tuples.length > 2) {
      if (k === 'mark') r.mark = v;
      else if (k === 'zone') r.zone = toInt(v);
      continue;
    }
    switch (k) {
      case 'dst':
        cur.dst = addr(v);
        continue;
      case 'sport':
      case 'dport':
      case 'packets':
      case 'bytes': {
        const num = toInt(v);
        if (num !== undefined) cur[k] = num;
        continue;
      }
      case 'type':
        cur.icmpType = toInt(v);
        continue;
      case 'code':
        cur.icmpCode = toInt(v);
        continue;
      case 'id':
        cur.icmpId = toInt(v);
        continue;
      case 'mark':
        r.mark = v;
        continue;
      case 'zone':
        r.zone = toInt(v);
        continue;
      case 'use':
        r.use = toInt(v);
        continue;
      case 'secctx':
        r.secctx = v;
        continue;
      default:
        continue; // secmark, delta-time, helper, labels, timestamps: not needed
    }
  }
  if (tuples.length === 0 || tuples[0].dst === '') return 'no src=/dst= tuple';
  r.original = tuples[0];
  if (tuples[1]) {
    r.reply = tuples[1];
    if (r.reply.src !== r.original.dst || (r.reply.sport !== undefined && r.original.dport !== undefined && r.reply.sport !== r.original.dport)) r.dnat = true;
    if (r.reply.dst !== r.original.src || (r.reply.dport !== undefined && r.original.sport !== undefined && r.reply.dport !== r.original.sport)) r.snat = true;
  }
  if (!m[2] && r.original.src.includes(':')) r.family = 'inet6';
  return r;
}

function parse(lines: string[], firstLine: number): { records: ConntrackRecord[]; problems: DumpProblem[] } {
  const problems = new ProblemList('conntrack');
  const records: ConntrackRecord[] = [];
  for (const { n, text } of numbered(lines, firstLine)) {
    const t = text.trim();
    if (t === '' || SUMMARY.test(t)) continue;
    const r = parseLine(t, n);
    if (typeof r === 'string') {
      problems.unrecognized(n, text, r);
      continue;
    }
    records.push(r);
  }
  if (records.length === 0 && nonBlank(lines).some((l) => !SUMMARY.test(l.trim())) && problems.problems.length === 0)
    problems.add(firstLine, 'no conntrack entries found (expected "tcp 6 ... src=... dst=...")');
  return { records, problems: problems.done() };
}

export const conntrack: DumpParser<'conntrack'> = {
  info: {
    command: 'conntrack',
    displayName: 'conntrack -L',
    nameHint: { pattern: /conntrack/, rank: 160 },
    typed: [
      { programs: ['conntrack'], args: (a) => /[LEG]/.test(shortFlags(a)) || a.some((x) => ['--dump', '--event', '--get'].includes(x)) },
      { file: /\/proc\/net\/(nf|ip)_conntrack$/ },
    ],
    description: 'conntrack -L [-o extended] / conntrack -E / /proc/net/nf_conntrack / /proc/net/ip_conntrack', detect },
  parse,
};
