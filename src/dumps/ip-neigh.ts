/**
 * `ip neigh [show|get]` / `ip n` (and `ip -j neigh`), plus net-tools `arp -a` / `arp -n`, all into
 * neighbour records.
 *
 *   10.0.2.4 dev test-dummy0 lladdr de:ad:be:ef:13:37 PERMANENT
 *   192.168.178.30 dev enp5s0 lladdr f4:8c:50:5e:71:9a managed extern_learn REACHABLE
 *   ? (192.168.13.197) at 00:04:4b:cc:9c:ba [ether] on eth1.100          (arp -a)
 *   192.168.71.2  ether  00:50:56:f0:98:26  C  ens33                     (arp -n)
 */
import type { DumpParser, DumpProblem, NeighRecord } from './types.js';
import { ProblemList, detectJson, isIP, isMac, isObj, nonBlank, numbered, readJson, startsLikeJson, str, words } from './text.js';
import { abbrev, ipObject } from './typed.js';

const STATES = new Set(['PERMANENT', 'NOARP', 'REACHABLE', 'STALE', 'NONE', 'INCOMPLETE', 'DELAY', 'PROBE', 'FAILED']);
const ARP_A = /^(\S+) \(([^)]+)\) at (\S+)(?: \[(\w+)\])?(?: (PERM|PUB))*(?: on (\S+))?/;
/** AIX `arp -a` bucket lines and summaries. */
const NOISE = /^bucket:\s+\d+\s+contains:\s+\d+ entries$|^There are \d+ entries in the arp table\.?$|^Entries:\s*\d+/;
const ARP_N_HEADER = /^Address\s+HWtype\s+HWaddress\s+Flags\s+Mask\s+Iface\s*$/;

function neighShape(ws: string[]): boolean {
  if (!isIP(ws[0] ?? '') && ws[0] !== 'proxy') return false;
  return ws.length === 1 || ['dev', 'lladdr', 'FAILED', 'INCOMPLETE', 'router', 'proxy', 'nud'].includes(ws[1]) || STATES.has(ws[ws.length - 1]);
}

function detect(lines: string[]): number {
  if (startsLikeJson(lines))
    return detectJson(
      lines,
      (o) => typeof o.dst === 'string' && ('lladdr' in o || Array.isArray(o.state)),
      (head) => /"dst"\s*:/.test(head) && /"lladdr"\s*:|"state"\s*:\s*\[/.test(head),
    );
  const nb = nonBlank(lines)
    .filter((l) => !NOISE.test(l.trim()))
    .slice(0, 300);
  if (nb.length === 0) return 0;
  if (ARP_N_HEADER.test(nb[0].trim())) return 0.95;
  let good = 0;
  for (const l of nb) {
    const t = l.trim();
    if (ARP_A.test(t) || neighShape(words(t))) good++;
  }
  return good / nb.length >= 0.5 ? 0.35 + 0.6 * (good / nb.length) : 0;
}

function parseText(lines: string[], firstLine: number): { records: NeighRecord[]; problems: DumpProblem[] } {
  const problems = new ProblemList('ip neigh');
  const records: NeighRecord[] = [];
  let arpCols: string[] | undefined;
  for (const { n, text } of numbered(lines, firstLine)) {
    const t = text.trim();
    if (t === '' || NOISE.test(t)) continue;
    if (ARP_N_HEADER.test(t)) {
      arpCols = words(t);
      continue;
    }
    const a = ARP_A.exec(t);
    if (a && isIP(a[2])) {
      const r: NeighRecord = { address: a[2], line: n };
      if (a[6]) r.dev = a[6];
      if (isMac(a[3])) r.lladdr = a[3].toLowerCase();
      else if (a[3] === '<incomplete>') r.state = 'INCOMPLETE';
      if (/\bPERM\b|\spermanent\b/.test(t)) r.state = 'PERMANENT';
      records.push(r);
      continue;
    }
    const ws = words(t);
    if (arpCols && ws.length >= 2) {
      // without -n the address may be a host name (`_gateway`)
      // arp -n: Address HWtype HWaddress Flags Mask Iface; incomplete rows have fewer columns.
      const r: NeighRecord = { address: ws[0], line: n, dev: ws[ws.length - 1] };
      const mac = ws.find((w) => isMac(w));
      if (mac) r.lladdr = mac.toLowerCase();
      if (t.includes('(incomplete)')) r.state = 'INCOMPLETE';
      else if (/\sCM\s/.test(` ${ws.slice(3).join(' ')} `)) r.state = 'PERMANENT';
      records.push(r);
      continue;
    }
    let i = 0;
    const r: NeighRecord = { address: '', line: n };
    if (ws[0] === 'proxy') {
      r.proxy = true;
      i = 1;
    }
    if (!isIP(ws[i] ?? '')) {
      problems.unrecognized(n, text, 'expected "ADDRESS dev DEV lladdr MAC STATE"');
      continue;
    }
    r.address = ws[i++];
    const states: string[] = [];
    const flags: string[] = [];
    for (; i < ws.length; i++) {
      const w = ws[i];
      if (w === 'dev') r.dev = ws[++i];
      else if (w === 'lladdr') r.lladdr = ws[++i]?.toLowerCase();
      else if (w === 'router') r.router = true;
      else if (w === 'proxy') r.proxy = true;
      else if (STATES.has(w)) states.push(w);
      else if (w === 'used' || w === 'probes' || w === 'nud' || w === 'vlan' || w === 'protocol') i++;
      else flags.push(w);
    }
    if (states.length) r.state = states.join(' ');
    if (flags.length) r.flags = flags;
    records.push(r);
  }
  return { records, problems: problems.done() };
}

function parseJson(lines: string[], firstLine: number): { records: NeighRecord[]; problems: DumpProblem[] } {
  const j = readJson(lines, firstLine);
  if (!j.ok) return { records: [], problems: [j.problem] };
  const records: NeighRecord[] = [];
  const problems: DumpProblem[] = [];
  for (const o of Array.isArray(j.value) ? j.value : [j.value]) {
    if (!isObj(o) || typeof o.dst !== 'string') {
      problems.push({ line: j.lineOf(o), message: 'not an entry of `ip -j neigh` (no "dst")' });
      continue;
    }
    const r: NeighRecord = { address: o.dst, line: j.lineOf(o) };
    if (str(o.dev)) r.dev = str(o.dev);
    if (str(o.lladdr)) r.lladdr = str(o.lladdr)!.toLowerCase();
    if (Array.isArray(o.state) && o.state.length) r.state = o.state.map(String).join(' ');
    if (o.router !== undefined && o.router !== false) r.router = true;
    if (o.proxy !== undefined && o.proxy !== false) r.proxy = true;
    records.push(r);
  }
  return { records, problems };
}

export const ipNeigh: DumpParser<'ip-neigh'> = {
  info: {
    command: 'ip-neigh',
    displayName: 'ip neigh',
    description: 'ip neigh show / ip n / ip -j neigh / arp -a / arp -n',
    detect,
    nameHint: { pattern: /neigh|(^|-)arp(-|$)|(^|-)ip-n(-|$)/, rank: 60 },
    typed: [{ programs: ['ip'], args: (a) => abbrev(ipObject(a), 'neighbour') || abbrev(ipObject(a), 'neighbor') }, { programs: ['arp'] }],
    listField: 'address',
  },
  parse(lines, firstLine) {
    if (lines.every((l) => l.trim() === '')) return { records: [], problems: [] };
    return startsLikeJson(lines) ? parseJson(lines, firstLine) : parseText(lines, firstLine);
  },
};
