/**
 * `bridge vlan [show]` in all its layouts, `bridge -c vlan` ranges, `-d`/`-s` extra lines,
 * `bridge vlan tunnelshow` (VLAN -> tunnel id), and `bridge -j vlan` (old object-keyed 2016 JSON,
 * current array JSON).
 *
 *   port              vlan-id            (iproute2 >= 5.7)      port\tvlan ids   (2015/2016)
 *   cni0              1 PVID Egress Untagged                    dummy1\t 1 PVID Egress Untagged
 *                     101                                       \t 2-7
 *                       state forwarding mcast_router 1
 *
 * A header alone means no bridge does VLAN filtering: zero records, no problem.
 */
import type { BridgeVlanRecord, DumpParser, DumpProblem } from './types.js';
import { ProblemList, detectJson, isObj, nonBlank, num, numbered, quote, readJson, startsLikeJson, str } from './text.js';
import { abbrev, firstPlain } from './typed.js';

const HEADER = /^port\s+vlan[- ]?ids?\b(\s+tunnel[- ]?ids?)?\s*$/i;
const VLAN_SPEC = /^(\d+)(?:-(\d+))?(?:\s+(\d+)(?:-(\d+))?)?((?:\s+(?:PVID|Egress Untagged))*)\s*$/;
const OPTION_LINE = /^(state\b|RX:|TX:|\[\.\.\.\]|mcast_|neigh_|msti\b|\S+\s+\S+)/;

type Vlan = BridgeVlanRecord['vlans'][number];

function vlanFrom(m: RegExpExecArray, tunnel: boolean): Vlan {
  const v: Vlan = { vlan: Number(m[1]), pvid: /PVID/.test(m[5]), untagged: /Egress Untagged/.test(m[5]) };
  if (m[2] !== undefined) v.vlanEnd = Number(m[2]);
  if (tunnel && m[3] !== undefined) {
    v.tunnelId = Number(m[3]);
    if (m[4] !== undefined) v.tunnelIdEnd = Number(m[4]);
  }
  return v;
}

function validVlan(v: Vlan): boolean {
  const vid = (x: number | undefined) => x === undefined || (Number.isSafeInteger(x) && x >= 0 && x <= 4095);
  const tid = (x: number | undefined) => x === undefined || (Number.isSafeInteger(x) && x >= 0 && x < 2 ** 24);
  return vid(v.vlan) && vid(v.vlanEnd) && (v.vlanEnd === undefined || v.vlanEnd >= v.vlan) && tid(v.tunnelId) && tid(v.tunnelIdEnd);
}

function detect(lines: string[]): number {
  if (startsLikeJson(lines))
    return detectJson(
      lines,
      (o) => typeof o.ifname === 'string' && (Array.isArray(o.vlans) || Array.isArray(o.tunnels)),
      (head) => (/"vlans"\s*:|"tunnels"\s*:/.test(head) && /"ifname"\s*:/.test(head)) || (/"vlan"\s*:\s*\d/.test(head) && !/"ifname"/.test(head)),
      // iproute2 2016: { "swp1": [ { "vlan": 1, "flags": [...] } ], ... }
      (top) =>
        isObj(top) &&
        Object.keys(top).length > 0 &&
        Object.values(top).every((v) => Array.isArray(v) && v.every((x) => isObj(x) && typeof x.vlan === 'number')),
    );
  const nb = nonBlank(lines);
  if (nb.length === 0) return 0;
  if (HEADER.test(nb[0].trim())) return 0.98;
  // Without the header: "port  1 PVID Egress Untagged" lines.
  let good = 0;
  for (const l of nb.slice(0, 100)) {
    const t = l.trim();
    const rest = /^\S/.test(l) ? t.replace(/^\S+\s+/, '') : t;
    if (VLAN_SPEC.test(rest) || rest === 'None') good++;
  }
  return good === nb.length && /PVID|Egress Untagged/.test(nb.join('\n')) ? 0.75 : 0;
}

function parseText(lines: string[], firstLine: number): { records: BridgeVlanRecord[]; problems: DumpProblem[] } {
  const problems = new ProblemList('bridge vlan');
  const records: BridgeVlanRecord[] = [];
  let cur: BridgeVlanRecord | undefined;
  let tunnel = false;
  let lastVlan: Vlan | undefined;
  for (const { n, text } of numbered(lines, firstLine)) {
    const t = text.trim();
    if (t === '') continue;
    if (HEADER.test(t)) {
      tunnel = /tunnel/i.test(t);
      cur = undefined;
      continue;
    }
    let spec = t;
    if (/^\S/.test(text)) {
      const m = /^(\S+)(?:\s+(.*))?$/.exec(t)!;
      spec = (m[2] ?? '').trim();
      if (spec !== 'None' && !VLAN_SPEC.test(spec)) {
        problems.unrecognized(n, text, 'expected "PORT  VID [PVID] [Egress Untagged]"');
        cur = undefined;
        continue;
      }
      cur = { port: m[1], vlans: [], line: n };
      records.push(cur);
      lastVlan = undefined;
      if (spec === 'None') continue;
    } else if (!cur) {
      problems.unrecognized(n, text, 'VLAN line before any port');
      continue;
    }
    const m = VLAN_SPEC.exec(spec);
    if (m) {
      const v = vlanFrom(m, tunnel);
      if (!validVlan(v)) {
        problems.add(n, `VLAN id out of range 0..4095 (or tunnel id above 2^24): ${quote(spec)}`);
        continue;
      }
      lastVlan = v;
      cur.vlans.push(lastVlan);
      continue;
    }
    const st = /^state\s+(\S+)/.exec(spec);
    if (st && lastVlan) {
      lastVlan.state = st[1];
      continue;
    }
    if (!/^\S/.test(text) && OPTION_LINE.test(spec)) continue; // -d / -s detail lines
    problems.unrecognized(n, text, 'expected "PORT  VID [PVID] [Egress Untagged]"');
  }
  return { records, problems: problems.done() };
}

function jsonVlans(list: unknown): Vlan[] {
  if (!Array.isArray(list)) return [];
  const out: Vlan[] = [];
  for (const o of list) {
    if (!isObj(o)) continue;
    const vid = num(o.vlan);
    if (vid === undefined) continue;
    const flags = Array.isArray(o.flags) ? o.flags.map(String) : [];
    const v: Vlan = { vlan: vid, pvid: flags.includes('PVID'), untagged: flags.includes('Egress Untagged') };
    if (num(o.vlanEnd) !== undefined) v.vlanEnd = num(o.vlanEnd);
    if (str(o.state)) v.state = str(o.state);
    if (num(o.tunid) !== undefined) v.tunnelId = num(o.tunid);
    if (num(o.tunidEnd) !== undefined) v.tunnelIdEnd = num(o.tunidEnd);
    if (validVlan(v)) out.push(v);
  }
  return out;
}

function parseJson(lines: string[], firstLine: number): { records: BridgeVlanRecord[]; problems: DumpProblem[] } {
  const j = readJson(lines, firstLine);
  if (!j.ok) return { records: [], problems: [j.problem] };
  const records: BridgeVlanRecord[] = [];
  const problems: DumpProblem[] = [];
  if (Array.isArray(j.value)) {
    for (const o of j.value) {
      if (!isObj(o) || typeof o.ifname !== 'string') {
        problems.push({ line: j.lineOf(o), message: 'not a port object of `bridge -j vlan` (no "ifname")' });
        continue;
      }
      records.push({ port: o.ifname, vlans: jsonVlans(o.vlans ?? o.tunnels), line: j.lineOf(o) });
    }
  } else if (isObj(j.value)) {
    // iproute2 2016: { "swp1": [ {vlan, flags}, ... ], ... }
    for (const [port, list] of Object.entries(j.value)) {
      if (!Array.isArray(list)) {
        problems.push({ line: j.lineOf(j.value), message: `port "${port}": expected a list of VLANs` });
        continue;
      }
      records.push({ port, vlans: jsonVlans(list), line: Math.max(j.lineOf(list) - 0, firstLine) });
    }
  }
  return { records, problems };
}

export const bridgeVlan: DumpParser<'bridge-vlan'> = {
  info: {
    command: 'bridge-vlan',
    displayName: 'bridge vlan',
    description: 'bridge vlan [show] / bridge -c -d -s vlan / bridge vlan tunnelshow / bridge -j vlan',
    detect,
    nameHint: { pattern: /bridge-(\w+-)*vlan|^vlans?(-|$)/, rank: 10 },
    typed: [{ programs: ['bridge'], args: (a) => abbrev(firstPlain(a), 'vlan') }],
    listField: 'port',
  },
  parse(lines, firstLine) {
    if (lines.every((l) => l.trim() === '')) return { records: [], problems: [] };
    return startsLikeJson(lines) ? parseJson(lines, firstLine) : parseText(lines, firstLine);
  },
};
