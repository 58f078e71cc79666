/**
 * `bridge fdb show` (and `bridge -j fdb`): one forwarding entry per line.
 *
 *   5e:f4:03:44:da:9a dev sw1-p1 vlan 0 master br0 permanent
 *   00:00:00:00:00:00 dev vxlan100 dst 2001:db8:2::1 self permanent
 *   33:33:00:00:00:01 self permanent            (bridge fdb show brport eth0: no dev)
 */
import type { BridgeFdbRecord, DumpParser, DumpProblem } from './types.js';
import { ProblemList, detectJson, isMac, isObj, nonBlank, num, numbered, readJson, startsLikeJson, str, toInt, words } from './text.js';
import { abbrev, firstPlain } from './typed.js';

const WITH_VALUE = new Set(['dev', 'dst', 'vlan', 'master', 'vni', 'port', 'used', 'via', 'nhid', 'src_vni', 'state', 'ifindex']);

function detect(lines: string[]): number {
  if (startsLikeJson(lines))
    return detectJson(
      lines,
      (o) => typeof o.mac === 'string',
      (head) => /"mac"\s*:/.test(head) && /"ifname"\s*:|"flags"\s*:/.test(head) && !/"lladdr"/.test(head),
    );
  const nb = nonBlank(lines).slice(0, 300);
  if (nb.length === 0) return 0;
  let good = 0;
  for (const l of nb) {
    const ws = words(l);
    if (isMac(ws[0] ?? '') && (ws.length === 1 || ['dev', 'self', 'master', 'vlan', 'dst', 'permanent', 'static', 'extern_learn', 'router', 'sticky'].includes(ws[1]))) good++;
  }
  return good / nb.length >= 0.5 ? 0.4 + 0.55 * (good / nb.length) : 0;
}

function parseText(lines: string[], firstLine: number): { records: BridgeFdbRecord[]; problems: DumpProblem[] } {
  const problems = new ProblemList('bridge fdb');
  const records: BridgeFdbRecord[] = [];
  for (const { n, text } of numbered(lines, firstLine)) {
    const ws = words(text);
    if (ws.length === 0) continue;
    if (!isMac(ws[0])) {
      problems.unrecognized(n, text, 'expected "MAC dev DEV ..."');
      continue;
    }
    const r: BridgeFdbRecord = { mac: ws[0].toLowerCase(), line: n };
    for (let i = 1; i < ws.length; i++) {
      const w = ws[i];
      const v = ws[i + 1];
      if (WITH_VALUE.has(w) && v !== undefined) {
        i++;
        if (w === 'dev') r.dev = v;
        else if (w === 'dst') r.dst = v;
        else if (w === 'vlan') r.vlan = toInt(v);
        else if (w === 'master') r.master = v;
        else if (w === 'vni') r.vni = toInt(v);
        else if (w === 'port') r.port = toInt(v);
      } else if (w === 'self') r.self = true;
      else if (w === 'permanent') r.permanent = true;
      else if (w === 'static') r.static = true;
      else if (w === 'router') r.router = true;
      else if (w === 'extern_learn') r.extern_learn = true;
    }
    for (const k of ['vlan', 'vni', 'port'] as const) if (r[k] === undefined) delete r[k];
    records.push(r);
  }
  return { records, problems: problems.done() };
}

function parseJson(lines: string[], firstLine: number): { records: BridgeFdbRecord[]; problems: DumpProblem[] } {
  const j = readJson(lines, firstLine);
  if (!j.ok) return { records: [], problems: [j.problem] };
  const records: BridgeFdbRecord[] = [];
  const problems: DumpProblem[] = [];
  for (const o of Array.isArray(j.value) ? j.value : [j.value]) {
    if (!isObj(o) || typeof o.mac !== 'string') {
      problems.push({ line: j.lineOf(o), message: 'not an entry of `bridge -j fdb` (no "mac")' });
      continue;
    }
    const r: BridgeFdbRecord = { mac: o.mac.toLowerCase(), line: j.lineOf(o) };
    if (str(o.ifname)) r.dev = str(o.ifname);
    if (str(o.dst)) r.dst = str(o.dst);
    if (num(o.vlan) !== undefined) r.vlan = num(o.vlan);
    if (str(o.master)) r.master = str(o.master);
    if (num(o.vni) !== undefined) r.vni = num(o.vni);
    if (num(o.port) !== undefined) r.port = num(o.port);
    const flags = Array.isArray(o.flags) ? o.flags.map(String) : [];
    if (flags.includes('self')) r.self = true;
    if (flags.includes('router')) r.router = true;
    if (flags.includes('extern_learn')) r.extern_learn = true;
    if (o.state === 'permanent') r.permanent = true;
    if (o.state === 'static') r.static = true;
    records.push(r);
  }
  return { records, problems };
}

export const bridgeFdb: DumpParser<'bridge-fdb'> = {
  info: {
    command: 'bridge-fdb',
    displayName: 'bridge fdb',
    description: 'bridge fdb show / bridge -j fdb',
    detect,
    nameHint: { pattern: /fdb/, rank: 20 },
    typed: [{ programs: ['bridge'], args: (a) => abbrev(firstPlain(a), 'fdb') }],
    listField: 'mac',
  },
  parse(lines, firstLine) {
    if (lines.every((l) => l.trim() === '')) return { records: [], problems: [] };
    return startsLikeJson(lines) ? parseJson(lines, firstLine) : parseText(lines, firstLine);
  },
};
