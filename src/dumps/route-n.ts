/**
 * net-tools routing tables: `route -n`, `route` (names, `*`, `default`), `route -ee`, `route -vn`,
 * `netstat -rn` / `netstat -rne(e)`, `route -A inet6 -n` / `route -6`; the BSD/macOS `netstat -rn`
 * table; and the kernel's own `/proc/net/route` and `/proc/net/ipv6_route`.
 *
 *   Kernel IP routing table
 *   Destination     Gateway         Genmask         Flags Metric Ref    Use Iface
 *   10.42.1.0       10.42.1.0       255.255.255.0   UG    0      0        0 flannel.1
 */
import type { DumpParser, DumpProblem, RouteRecord } from './types.js';
import { ProblemList, hexToIPv4LE, isIPv4, isIPv6, isMac, maskToPrefix, nonBlank, numbered, toInt, words } from './text.js';
import { normalizeIp } from '../topology/lookup.js';
import { netstatFlags } from './typed.js';
import { destinationProblem } from './ip-route.js';

const KERNEL = /^\s*Kernel IP(v6)? routing table\s*$/;
const HEADER4 = /^\s*Destination\s+Gateway\s+Genmask\s+Flags\b/;
const HEADER6 = /^\s*Destination\s+Next Hop\s+Flags?\s+Met\b/;
const PROC4 = /^\s*Iface\s+Destination\s+Gateway\s+Flags\s+RefCnt\s+Use\s+Metric\s+Mask\b/;
const PROC6 = /^[0-9a-f]{32} [0-9a-f]{2} [0-9a-f]{32} [0-9a-f]{2} [0-9a-f]{32} [0-9a-f]{8} [0-9a-f]{8} [0-9a-f]{8} [0-9a-f]{8}\s+\S+\s*$/;
const BSD_HEADER = /^\s*Destination\s+Gateway\s+Flags\b.*\bNetif\b/;
const BSD_TITLE = /^\s*(Routing tables|Internet6?:)\s*$/;

/** Network names net-tools prints from /etc/networks. */
const NETWORK_NAMES: Record<string, string> = { 'link-local': '169.254.0.0', loopback: '127.0.0.0' };

function detect(lines: string[]): number {
  const nb = nonBlank(lines).slice(0, 50);
  if (nb.length === 0) return 0;
  let score = 0;
  for (const l of nb.slice(0, 5)) {
    if (KERNEL.test(l)) score = Math.max(score, 1);
    else if (HEADER4.test(l) || HEADER6.test(l) || PROC4.test(l)) score = Math.max(score, 0.95);
    else if (BSD_TITLE.test(l)) score = Math.max(score, 0.6);
    else if (BSD_HEADER.test(l)) score = Math.max(score, 0.85);
  }
  if (score === 0 && nb.every((l) => PROC6.test(l))) score = 0.9;
  return score;
}

const NO_GATEWAY = new Set(['0.0.0.0', '*', '::', '[::]', '-']);

function flagsToType(flags: string): string | undefined {
  return flags.includes('!') ? 'unreachable' : undefined;
}

/** "default" -> "0.0.0.0", "[::]" -> "::", /etc/networks names -> addresses. */
function hostPart(d: string): string {
  if (d === 'default') return '0.0.0.0';
  if (d.startsWith('[') && d.endsWith(']')) return d.slice(1, -1);
  return NETWORK_NAMES[d] ?? d;
}

function procFlags(hex: string): string {
  const f = parseInt(hex, 16);
  let s = '';
  if (f & 0x1) s += 'U';
  if (f & 0x2) s += 'G';
  if (f & 0x4) s += 'H';
  if (f & 0x8) s += 'R';
  if (f & 0x10) s += 'D';
  if (f & 0x20) s += 'M';
  if (f & 0x40) s += 'A';
  if (f & 0x0200) s += '!';
  return s;
}

/** A /proc/net/ipv6_route address (32 hex digits) in RFC 5952 text. */
function hex6(h: string): string {
  const full = h.match(/.{4}/g)!.join(':');
  return normalizeIp(full) ?? full;
}

/** BSD destinations: "default", "192.168.1" (network, implied mask), "127", "a/b", "fe80::%em0/64". */
function bsdDestination(d: string, inet6: boolean): string {
  if (d === 'default') return inet6 ? '::/0' : '0.0.0.0/0';
  const [addr0, plen] = d.split('/');
  const addr = addr0.replace(/%[^/]*$/, '');
  if (inet6 || addr.includes(':')) return `${addr}/${plen ?? '128'}`;
  if (/^\d+(\.\d+){0,3}$/.test(addr)) {
    const parts = addr.split('.');
    const full = [...parts, '0', '0', '0'].slice(0, 4).join('.');
    return `${full}/${plen ?? (parts.length === 4 ? '32' : String(parts.length * 8))}`;
  }
  return plen ? `${addr}/${plen}` : addr;
}

function parse(lines: string[], firstLine: number): { records: RouteRecord[]; problems: DumpProblem[] } {
  const problems = new ProblemList('routing table');
  const records: RouteRecord[] = [];
  type Mode = 'none' | 'v4' | 'v6' | 'proc' | 'bsd';
  let mode: Mode = 'none';
  let cols: string[] = [];
  let bsd6 = false;
  for (const { n, text } of numbered(lines, firstLine)) {
    const t = text.trim();
    if (t === '') continue;
    if (KERNEL.test(t)) {
      mode = 'none';
      continue;
    }
    if (HEADER4.test(t)) {
      mode = 'v4';
      cols = words(t);
      continue;
    }
    if (HEADER6.test(t)) {
      mode = 'v6';
      cols = words(t.replace('Next Hop', 'NextHop'));
      continue;
    }
    if (PROC4.test(t)) {
      mode = 'proc';
      cols = words(t);
      continue;
    }
    if (BSD_TITLE.test(t)) {
      if (/^Internet6:/.test(t)) bsd6 = true;
      else if (/^Internet:/.test(t)) bsd6 = false;
      continue;
    }
    if (BSD_HEADER.test(t)) {
      mode = 'bsd';
      cols = words(t);
      continue;
    }
    const ws = words(t);
    if (PROC6.test(t)) {
      const [dst, dplen, , , nh, metric, , , flags, dev] = ws;
      const r: RouteRecord = { destination: `${hex6(dst)}/${parseInt(dplen, 16)}`, line: n, family: 'inet6' };
      const bad = destinationProblem(r.destination);
      if (bad) {
        problems.unrecognized(n, text, bad);
        continue;
      }
      const gw = hex6(nh);
      if (gw !== '::') r.gateway = gw;
      if (dev !== 'lo' || !(parseInt(flags, 16) & 0x0200)) r.interface = dev;
      r.metric = parseInt(metric, 16);
      r.flags = procFlags(flags);
      const type = flagsToType(r.flags);
      if (type) r.type = type;
      records.push(r);
      continue;
    }
    if (mode === 'none') {
      problems.unrecognized(n, text, 'expected the "Destination  Gateway  Genmask ..." header');
      continue;
    }
    if (mode === 'proc') {
      const get = (c: string) => ws[cols.indexOf(c)];
      const dst = hexToIPv4LE(get('Destination') ?? '');
      const gw = hexToIPv4LE(get('Gateway') ?? '');
      const mask = hexToIPv4LE(get('Mask') ?? '');
      const prefix = mask === undefined ? undefined : maskToPrefix(mask);
      if (dst === undefined || gw === undefined || prefix === undefined || ws.length < 8) {
        problems.unrecognized(n, text);
        continue;
      }
      const r: RouteRecord = { destination: `${dst}/${prefix}`, line: n, family: 'inet' };
      if (gw !== '0.0.0.0') r.gateway = gw;
      const iface = get('Iface');
      r.flags = procFlags(get('Flags') ?? '0');
      if (iface && iface !== '*') r.interface = iface;
      const metric = toInt(get('Metric'));
      if (metric !== undefined) r.metric = metric;
      const type = flagsToType(r.flags) ?? (iface === '*' ? 'blackhole' : undefined);
      if (type) r.type = type;
      records.push(r);
      continue;
    }
    if (mode === 'bsd') {
      const iface = ws[cols.indexOf('Netif')];
      if (ws.length < 3 || !iface || !/^[A-Z!]/.test(ws[2] ?? '')) {
        problems.unrecognized(n, text);
        continue;
      }
      const r: RouteRecord = { destination: bsdDestination(ws[0], bsd6), line: n, flags: ws[2], interface: iface };
      const bad = /^[0-9a-fA-F:.]+\/|^\d+(\.\d+){0,3}$/.test(r.destination) ? destinationProblem(r.destination) : undefined;
      if (bad) {
        problems.unrecognized(n, text, bad);
        continue;
      }
      const gw = ws[1];
      if (!/^link#\d+$/.test(gw) && !isMac(gw) && !NO_GATEWAY.has(gw)) r.gateway = gw.replace(/%.*$/, '');
      r.family = bsd6 || r.destination.includes(':') ? 'inet6' : 'inet';
      const type = ws[2].includes('B') ? 'blackhole' : ws[2].includes('R') && !ws[2].includes('G') ? 'unreachable' : undefined;
      if (type) r.type = type;
      records.push(r);
      continue;
    }
    if (mode === 'v6') {
      if (ws.length < 4) {
        problems.unrecognized(n, text);
        continue;
      }
      const [dest, plen] = ws[0].split('/');
      const r: RouteRecord = { destination: `${hostPart(dest)}/${plen ?? '128'}`, line: n, family: 'inet6' };
      const bad = ws[0].split('/').length > 2 ? `bad prefix in ${ws[0].slice(0, 80)}` : isIPv6(hostPart(dest)) ? destinationProblem(r.destination) : undefined;
      if (bad) {
        problems.unrecognized(n, text, bad);
        continue;
      }
      const gw = hostPart(ws[1]);
      if (!NO_GATEWAY.has(ws[1]) && !NO_GATEWAY.has(gw)) r.gateway = gw;
      r.flags = ws[2];
      const metric = toInt(ws[3]);
      if (metric !== undefined) r.metric = metric;
      const iface = ws[ws.length - 1];
      if (!/^\d+$/.test(iface)) r.interface = iface;
      const type = flagsToType(r.flags);
      if (type) r.type = type;
      records.push(r);
      continue;
    }
    // v4
    if (ws.length < 4) {
      problems.unrecognized(n, text);
      continue;
    }
    const prefix = maskToPrefix(ws[2]);
    if (prefix === undefined || !/^[A-Z!]+$/.test(ws[3])) {
      problems.unrecognized(n, text, `bad Genmask ${ws[2]} or Flags ${ws[3]}`);
      continue;
    }
    const dest = hostPart(ws[0]);
    const r: RouteRecord = { destination: `${dest}/${prefix}`, line: n, family: 'inet' };
    if (!NO_GATEWAY.has(ws[1])) r.gateway = hostPart(ws[1]) === '0.0.0.0' ? undefined : ws[1];
    if (r.gateway === undefined) delete r.gateway;
    r.flags = ws[3];
    const col = (name: string) => (ws.length === cols.length ? ws[cols.indexOf(name)] : undefined);
    let iface = cols.indexOf('Iface') >= 0 ? (ws.length === cols.length ? col('Iface') : undefined) : undefined;
    if (iface === undefined) {
      // Misaligned row: Iface is the last column unless -ee put MSS/Window/irtt after it.
      const ifaceIdx = cols.indexOf('Iface');
      iface = ifaceIdx === cols.length - 1 ? ws[ws.length - 1] : ws[ws.length - (cols.length - ifaceIdx)];
    }
    if (iface && iface !== '*' && iface !== '-') r.interface = iface;
    const metric = toInt(cols.includes('Metric') ? (col('Metric') ?? ws[4]) : undefined);
    if (metric !== undefined) r.metric = metric;
    // A route without a device (Iface "*") and no gateway is how net-tools shows a blackhole route.
    const type = flagsToType(r.flags) ?? (iface === '*' && r.gateway === undefined ? 'blackhole' : undefined);
    if (type) r.type = type;
    if (!isIPv4(dest) && !isIPv6(dest) && dest !== ws[0]) r.destination = `${dest}/${prefix}`;
    records.push(r);
  }
  if (records.length === 0 && nonBlank(lines).length > 0 && mode === 'none')
    problems.add(firstLine, 'no routing table found: expected `route -n` output ("Kernel IP routing table", "Destination  Gateway  Genmask ...")');
  return { records, problems: problems.done() };
}

export const routeN: DumpParser<'route-n'> = {
  info: {
    command: 'route-n',
    displayName: 'route -n',
    description: 'route -n / route / route -ee / netstat -rn / route -A inet6 / BSD netstat -rn / /proc/net/route',
    detect,
    nameHint: { pattern: /(^|-)route(-n|-ee|-vn|-6|-6-n)?(-|$)|netstat-r|net-route|ipv6-route/, rank: 80 },
    typed: [{ programs: ['route'] }, { programs: ['netstat'], args: (a) => netstatFlags(a).route }, { file: /\/proc\/net\/(route|ipv6_route)$/ }],
    listField: 'destination',
  },
  parse,
};
