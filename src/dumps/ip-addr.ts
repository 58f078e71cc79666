/**
 * `ip addr show` / `ip a` / `ip -4|-6 addr` / `ip -d addr` / `ip -o addr` / `ip -br addr`, iproute2
 * and BusyBox formats, cloud-init's `\`-joined lines.
 *
 *   5: vetha2194963@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 8951 qdisc noqueue master cni0 state UP group default
 *       link/ether a2:d8:d0:e5:8e:59 brd ff:ff:ff:ff:ff:ff link-netns cni-3cb42f8b-...
 *       inet 10.42.1.1/24 brd 10.42.1.255 scope global cni0
 *          valid_lft forever preferred_lft forever
 */
import type { DumpParser, IpAddrRecord, IpAddress } from './types.js';
import { ProblemList, familyOf, isIP, isMac, nonBlank, numbered, toInt, words, type NumberedLine } from './text.js';
import { abbrev, ipObject } from './typed.js';
import { pushAll } from '../arrays.js';

/** `5: name@peer: <FLAGS> rest` */
export const LINK_HEADER = /^(\d+):\s+([^\s@:]+(?::[^\s@:]+)*?)(?:@([^\s:]+))?:\s*<([^>]*)>\s*(.*)$/;
/** `ip -o addr`: `2: eth0    inet 10.0.0.1/24 ...` */
const ONELINE_ADDR = /^(\d+):\s+([^\s@:]+)(?:@(\S+?))?:?\s+(inet6?\s.*)$/;
/** `ip -br addr`: `eth0@if5   UP   10.0.0.2/24 fe80::1/64` */
const BRIEF = /^([^\s@]+)(?:@(\S+))?\s+(UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT|NOTPRESENT|TESTING)\b\s*(.*)$/;

const OPERSTATES = new Set(['UP', 'DOWN', 'UNKNOWN', 'LOWERLAYERDOWN', 'DORMANT', 'NOTPRESENT', 'TESTING']);

/** Splits lines joined by `\` (ip -o, cloud-init) into logical lines with the same number. */
export function unjoin(lines: NumberedLine[]): NumberedLine[] {
  const out: NumberedLine[] = [];
  for (const l of lines) {
    if (!l.text.includes('\\')) {
      out.push(l);
      continue;
    }
    const parts = l.text.split(/\\(?=\s|$)/);
    parts.forEach((p, i) => {
      if (i === 0 || p.trim() !== '') out.push({ n: l.n, text: i === 0 ? p : '    ' + p.trim() });
    });
  }
  return out;
}

export interface LinkHeader {
  index: number;
  name: string;
  peer?: string;
  flags: string[];
  attrs: Map<string, string>;
  words: string[];
}

/** Parses the header line of `ip addr` / `ip link` output. */
export function parseLinkHeader(text: string): LinkHeader | undefined {
  const m = LINK_HEADER.exec(text);
  if (!m) return undefined;
  const flags = m[4] === '' ? [] : m[4].split(',');
  const ws = words(m[5]);
  const attrs = new Map<string, string>();
  for (let i = 0; i < ws.length - 1; i++) {
    const k = ws[i];
    if (['mtu', 'qdisc', 'master', 'state', 'mode', 'group', 'qlen', 'link-netnsid', 'netns', 'event'].includes(k)) {
      attrs.set(k, ws[i + 1]);
      i++;
    }
  }
  return { index: Number(m[1]), name: m[2], peer: m[3], flags, attrs, words: ws };
}

/** Parses a `link/ether MAC brd MAC [link-netns X] [link-netnsid N] ...` line. */
export function parseLinkLine(text: string): { linkType: string; mac?: string; linkNetns?: string; rest: string[] } | undefined {
  const ws = words(text);
  if (ws.length === 0 || !ws[0].startsWith('link/')) return undefined;
  const linkType = ws[0].slice(5);
  let mac: string | undefined;
  let i = 1;
  if (ws[1] && ws[1] !== 'brd' && !ws[1].startsWith('link-') && (isMac(ws[1]) || /^[0-9a-fA-F:.]+$/.test(ws[1]) || isIP(ws[1]))) {
    mac = ws[1].toLowerCase();
    i = 2;
  }
  let linkNetns: string | undefined;
  const rest: string[] = [];
  for (; i < ws.length; i++) {
    if (ws[i] === 'brd' || ws[i] === 'peer' || ws[i] === 'permaddr') {
      i++;
      continue;
    }
    if ((ws[i] === 'link-netns' || ws[i] === 'link-netnsid') && ws[i + 1] !== undefined) {
      linkNetns = ws[++i];
      continue;
    }
    rest.push(ws[i]);
  }
  return { linkType, mac, linkNetns, rest };
}

const ADDR_FLAGS = new Set([
  'secondary', 'temporary', 'dynamic', 'noprefixroute', 'tentative', 'deprecated', 'permanent', 'mngtmpaddr',
  'home', 'nodad', 'optimistic', 'dadfailed', 'stable-privacy', 'autojoin', 'primary', 'noserver',
]);

/** Parses `inet A/P [peer B/P] [brd B] [metric M] scope S [flags] [label]`. */
export function parseInetLine(text: string, line: number): IpAddress | string {
  const ws = words(text);
  const family = ws[0];
  if (family !== 'inet' && family !== 'inet6') return 'not an address line';
  const [addr, plen] = (ws[1] ?? '').split('/');
  if (!isIP(addr)) return `bad address ${ws[1] ?? '(none)'}`;
  const prefixLength = plen === undefined ? (family === 'inet' ? 32 : 128) : toInt(plen);
  if (prefixLength === undefined || prefixLength < 0 || prefixLength > (family === 'inet' ? 32 : 128))
    return `bad prefix length in ${ws[1]}`;
  const a: IpAddress = { family, address: addr, prefixLength, line };
  const flags: string[] = [];
  for (let i = 2; i < ws.length; i++) {
    const w = ws[i];
    const next = ws[i + 1];
    if (w === 'brd' || w === 'broadcast') a.broadcast = next, i++;
    else if (w === 'peer') a.peer = next?.split('/')[0], i++;
    else if (w === 'scope') a.scope = next, i++;
    else if (w === 'metric' || w === 'proto' || w === 'anycast' || w === 'valid_lft' || w === 'preferred_lft') i++;
    else if (w === 'flags' && next !== undefined && /^[0-9a-fA-F]+$/.test(next)) i++;
    else if (w === 'label') a.label = next, i++;
    else if (ADDR_FLAGS.has(w)) {
      if (w === 'secondary' || w === 'temporary') a.secondary = true;
      flags.push(w);
    } else if (i === ws.length - 1 && family === 'inet') a.label = w;
    else flags.push(w);
  }
  if (flags.length) a.flags = flags;
  return a;
}

function scoreLines(lines: string[]): { headers: number; inet: number; links: number; brief: number; oneline: number; other: number; mode: number; details: number } {
  const s = { headers: 0, inet: 0, links: 0, brief: 0, oneline: 0, other: 0, mode: 0, details: 0 };
  for (const raw of nonBlank(lines).slice(0, 400)) {
    for (const t of raw.split(/\\(?=\s|$)/)) {
      if (t.trim() === '') continue;
      const h = parseLinkHeader(t);
      if (h) {
        s.headers++;
        if (h.attrs.has('mode')) s.mode++;
        continue;
      }
      const tt = t.trim();
      if (/^inet6?\s+\S+/.test(tt) && /^inet6?\s+[0-9a-fA-F:.]+(\/\d+)?(\s|$)/.test(tt)) s.inet++;
      else if (/^valid_lft\s/.test(tt)) s.inet++;
      else if (/^link\/\S+/.test(tt)) s.links++;
      else if (ONELINE_ADDR.test(t)) s.oneline++;
      else if (BRIEF.test(t) && words(t).slice(2).every((w) => /^[0-9a-fA-F:.]+\/\d+$/.test(w))) s.brief++;
      else if (/^\s+(vxlan|bridge|bridge_slave|veth|geneve|vlan|bond|promiscuity|altname|alias)\b/.test(t)) s.details++;
      else s.other++;
    }
  }
  return s;
}

function detect(lines: string[]): number {
  const s = scoreLines(lines);
  const total = s.headers + s.inet + s.links + s.brief + s.oneline + s.other + s.details;
  if (total === 0) return 0;
  const good = (s.headers + s.inet + s.links + s.details + s.oneline + s.brief) / total;
  if (s.headers > 0) {
    if (s.inet > 0) return Math.min(1, 0.5 + 0.45 * good);
    return (s.mode > 0 || s.details > 0 ? 0.4 : 0.5) * good;
  }
  if (s.oneline > 0) return 0.9 * ((s.oneline + s.inet) / total);
  if (s.brief > 0 && s.brief === total) return 0.7;
  return 0;
}

function parse(lines: string[], firstLine: number): { records: IpAddrRecord[]; problems: import('./types.js').DumpProblem[] } {
  const problems = new ProblemList('ip addr');
  const records: IpAddrRecord[] = [];
  const byKey = new Map<string, IpAddrRecord>();
  let cur: IpAddrRecord | undefined;
  for (const { n, text } of unjoin(numbered(lines, firstLine))) {
    if (text.trim() === '') continue;
    const h = parseLinkHeader(text);
    if (h) {
      const a = h.attrs;
      cur = { index: h.index, name: h.name, flags: h.flags, addresses: [], line: n };
      if (h.peer !== undefined) cur.peer = h.peer.replace(/^@/, '');
      const mtu = toInt(a.get('mtu'));
      if (mtu !== undefined) cur.mtu = mtu;
      if (a.has('qdisc')) cur.qdisc = a.get('qdisc');
      if (a.has('master')) cur.master = a.get('master');
      if (a.has('state')) cur.state = a.get('state');
      if (a.has('group')) cur.group = a.get('group');
      const qlen = toInt(a.get('qlen'));
      if (qlen !== undefined) cur.qlen = qlen;
      records.push(cur);
      byKey.set(`${cur.index}:${cur.name}`, cur);
      continue;
    }
    const one = ONELINE_ADDR.exec(text);
    if (one && /^\S/.test(text)) {
      const key = `${one[1]}:${one[2]}`;
      cur = byKey.get(key);
      if (!cur) {
        cur = { index: Number(one[1]), name: one[2], flags: [], addresses: [], line: n };
        if (one[3]) cur.peer = one[3];
        records.push(cur);
        byKey.set(key, cur);
      }
      const a = parseInetLine(one[4], n);
      if (typeof a === 'string') problems.add(n, `${a} in ${one[4].split(/\s+/).slice(0, 2).join(' ')}`);
      else cur.addresses.push(a);
      continue;
    }
    const br = /^\S/.test(text) ? BRIEF.exec(text) : null;
    if (br && OPERSTATES.has(br[3])) {
      const rec: IpAddrRecord = { index: 0, name: br[1], flags: [], state: br[3], addresses: [], line: n };
      if (br[2]) rec.peer = br[2];
      for (const w of words(br[4])) {
        const parsed = parseInetLine(`${familyOf(w.split('/')[0]) === 'inet6' ? 'inet6' : 'inet'} ${w}`, n);
        if (typeof parsed === 'string') problems.add(n, `${parsed} in ${w}`);
        else rec.addresses.push(parsed);
      }
      records.push(rec);
      cur = undefined;
      continue;
    }
    const t = text.trim();
    if (!/^\s/.test(text) || !cur) {
      problems.unrecognized(n, text, cur ? 'expected an indented line or "N: name: <FLAGS>"' : 'expected "N: name: <FLAGS> mtu ..."');
      continue;
    }
    if (t.startsWith('link/')) {
      const l = parseLinkLine(t)!;
      cur.linkType = l.linkType;
      if (l.mac !== undefined && isMac(l.mac)) cur.mac = l.mac;
      if (l.linkNetns !== undefined) cur.linkNetns = l.linkNetns;
    } else if (/^inet6?\s/.test(t)) {
      const a = parseInetLine(t, n);
      if (typeof a === 'string') problems.add(n, `${a}: ${t.slice(0, 60)}`);
      else cur.addresses.push(a);
    } else if (t.startsWith('altname ')) {
      pushAll((cur.altnames ??= []), words(t).slice(1).filter((w) => w !== 'altname'));
    } else if (/^(valid_lft|preferred_lft)\b/.test(t)) {
      // lifetimes are not needed
    } else if (/^[a-z_][\w-]*(\s|$)/.test(t) || /^[{}<]/.test(t) || /^(RX|TX)\b/.test(t) || /^[\d\s]+$/.test(t)) {
      // `ip -d addr` detail lines (vxlan id ..., bridge_slave ..., alias ...), `ip -s addr` counters
    } else problems.unrecognized(n, text);
  }
  if (records.length === 0 && nonBlank(lines).length > 0)
    problems.add(firstLine, 'no interface found: expected `ip addr` output ("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 ...")');
  return { records, problems: problems.done() };
}

export const ipAddr: DumpParser<'ip-addr'> = {
  info: {
    command: 'ip-addr',
    displayName: 'ip addr',
    description: 'ip addr show / ip a / ip -o addr / ip -br addr (iproute2, BusyBox)',
    detect,
    nameHint: { pattern: /(^|-)ip(-\d)?(-d|-o|-j|-br)*-(a|addr|address)(-|$)|ipaddr/, rank: 100 },
    typed: [{ programs: ['ip'], args: (a) => abbrev(ipObject(a), 'address') }],
    listField: 'name',
  },
  parse,
};
