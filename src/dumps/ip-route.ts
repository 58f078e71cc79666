/**
 * `ip route show` / `ip r` / `ip -6 route` / `ip route show table all` (types, `nexthop` lines,
 * old double-space format, `expires`, `linkdown`) and `ip -j route` JSON.
 *
 *   10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink
 *   local 10.233.44.70 dev kube-ipvs0 table local proto kernel scope host src 10.233.44.70
 *   default proto static metric 100
 *           nexthop via 10.0.0.1 dev eth0 weight 1
 */
import type { DumpParser, DumpProblem, RouteEncap, RouteRecord } from './types.js';
import { ProblemList, detectJson, isIP, isObj, nonBlank, num, numbered, readJson, startsLikeJson, str, toInt, words } from './text.js';
import { abbrev, ipObject } from './typed.js';

const TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'anycast']);
const KEYWORDS = new Set(['via', 'dev', 'proto', 'scope', 'src', 'metric', 'table', 'onlink', 'linkdown', 'pref', 'expires', 'mtu', 'nexthop', 'tos', 'dsfield', 'realm', 'realms', 'advmss', 'error', 'hoplimit', 'rtt', 'rttvar', 'initcwnd', 'weight', 'pervasive', 'offload', 'trap', 'uid', 'cache', 'congctl', 'features', 'quickack', 'window', 'cwnd', 'ssthresh', 'reordering', 'fastopen_no_cookie', 'initrwnd', 'lock', 'nhid', 'encap', 'rto_min', 'notify', 'from']);
const WITH_VALUE = new Set(['proto', 'scope', 'src', 'metric', 'table', 'pref', 'expires', 'mtu', 'tos', 'dsfield', 'realm', 'realms', 'advmss', 'error', 'hoplimit', 'rtt', 'rttvar', 'initcwnd', 'weight', 'uid', 'congctl', 'features', 'quickack', 'window', 'cwnd', 'ssthresh', 'reordering', 'initrwnd', 'nhid', 'rto_min', 'from', 'fastopen_no_cookie']);
const FLAG_WORDS = new Set(['onlink', 'linkdown', 'pervasive', 'offload', 'trap', 'notify', 'dead', 'rt_offload', 'rt_trap', 'rt_offload_failed']);

/** Words of `encap ip` / `encap ip6` with a value, and flag words (iproute2 print_encap_ip{,6}). */
const ENCAP_IP_VALUE = new Set(['id', 'src', 'dst', 'ttl', 'tos', 'hoplimit', 'tc', 'geneve_opts', 'vxlan_opts', 'erspan_opts']);
const ENCAP_IP_FLAG = new Set(['key', 'csum', 'seq']);
/** Route words that end an encap of another type (mpls labels, seg6 segments, bpf programs). */
const ENCAP_END = new Set(['via', 'dev', 'proto', 'scope', 'metric', 'table', 'onlink', 'linkdown', 'pref', 'mtu', 'nexthop']);

/**
 * Reads `encap TYPE ...` starting at ws[i] (the word after `encap`); returns the encap and the
 * index of its last word.
 */
function readEncap(ws: string[], i: number): { encap: RouteEncap; end: number } {
  const encap: RouteEncap = { type: ws[i] ?? '' };
  let k = i + 1;
  if (encap.type === 'ip' || encap.type === 'ip6') {
    for (; k < ws.length; k++) {
      const w = ws[k];
      if (ENCAP_IP_FLAG.has(w)) (encap.flags ??= []).push(w);
      else if (ENCAP_IP_VALUE.has(w) && k + 1 < ws.length) {
        const v = ws[++k];
        if (w === 'id') {
          const n = toInt(v);
          if (n !== undefined && n >= 0) encap.id = n;
        } else if (w === 'src') encap.src = v;
        else if (w === 'dst') encap.dst = v;
        else if (w === 'ttl' || w === 'hoplimit') encap.ttl = toInt(v);
        else if (w === 'tos' || w === 'tc') encap.tos = v;
      } else break;
    }
  } else {
    while (k < ws.length && !ENCAP_END.has(ws[k])) k++;
  }
  if (encap.ttl === undefined) delete encap.ttl;
  return { encap, end: k - 1 };
}

const NUD_STATES = new Set(['PERMANENT', 'NOARP', 'REACHABLE', 'STALE', 'INCOMPLETE', 'DELAY', 'PROBE', 'FAILED']);

/** A route line: optional type, then a destination, then at least one known keyword (or nothing for types). */
function routeLineShape(t: string): boolean {
  const ws = words(t);
  // `ip neigh` lines also start with an address followed by `dev`
  if (ws.some((w) => w === 'lladdr' || NUD_STATES.has(w))) return false;
  let i = 0;
  if (TYPES.has(ws[0])) i = 1;
  const d = ws[i];
  if (d === undefined) return false;
  if (d !== 'default' && !isIP(d.split('/')[0])) return false;
  if (ws.length === i + 1) return i === 1;
  return KEYWORDS.has(ws[i + 1]);
}

/**
 * Why `d` ("10.0.0.0/24", "fe80::/64", "default") cannot be a route destination, or undefined.
 * The prefix length is decimal, 0 to 32 (IPv4) or 128 (IPv6), as `ip` prints it: "/33", "/-1",
 * "/0x10", "10.0.0.0/" and "10.0.0.0//24" are refused (the kernel cannot hold such a route).
 */
export function destinationProblem(d: string): string | undefined {
  if (d === 'default' || d === 'all' || d === 'any') return undefined;
  const slash = d.indexOf('/');
  const addr = slash === -1 ? d : d.slice(0, slash);
  if (!isIP(addr)) return `bad destination address ${JSON.stringify(addr.slice(0, 60))}`;
  if (slash === -1) return undefined;
  const plen = d.slice(slash + 1);
  const v6 = addr.includes(':');
  const max = v6 ? 128 : 32;
  if (!/^\d{1,3}$/.test(plen) || Number(plen) > max) return `bad prefix length ${JSON.stringify(plen.slice(0, 20))} in ${d.slice(0, 80)} (0 to ${max} for IPv${v6 ? 6 : 4})`;
  return undefined;
}

function detect(lines: string[]): number {
  if (startsLikeJson(lines))
    return detectJson(
      lines,
      (o) => typeof o.dst === 'string' && !('lladdr' in o) && !Array.isArray(o.state) && !('ifname' in o),
      (head) => /"dst"\s*:/.test(head) && !/"ifname"\s*:|"lladdr"\s*:/.test(head),
    );
  const nb = nonBlank(lines).slice(0, 300);
  if (nb.length === 0) return 0;
  let good = 0;
  for (const l of nb) {
    const t = l.trim();
    if (routeLineShape(t) || /^nexthop\s/.test(t) || t === 'cache' || /^cache\b/.test(t)) good++;
  }
  const ratio = good / nb.length;
  return ratio >= 0.5 ? 0.3 + 0.65 * ratio : ratio * 0.3;
}

function family(dest: string, gw?: string): 'inet' | 'inet6' | undefined {
  if (dest.includes(':') || gw?.includes(':')) return 'inet6';
  if (dest !== 'default') return 'inet';
  if (gw) return 'inet';
  return undefined;
}

function normalizeDest(d: string, fam: 'inet' | 'inet6'): string {
  if (d === 'default' || d === 'all' || d === 'any') return fam === 'inet6' ? '::/0' : '0.0.0.0/0';
  return d.includes('/') ? d : `${d}/${fam === 'inet6' ? 128 : 32}`;
}

function parseText(lines: string[], firstLine: number): { records: RouteRecord[]; problems: DumpProblem[] } {
  const problems = new ProblemList('ip route');
  /** Bad destinations, apart: each shown up to 20, then counted. */
  const badDest = new ProblemList('ip route', 20);
  const records: RouteRecord[] = [];
  const pending: { r: RouteRecord; rawDest: string }[] = [];
  let last: RouteRecord | undefined;
  let v6 = 0;
  let v4 = 0;
  for (const { n, text } of numbered(lines, firstLine)) {
    const t = text.trim();
    if (t === '' || t === 'cache' || /^cache\b/.test(t)) continue;
    const ws = words(t);
    if (ws[0] === 'nexthop' && last) {
      const nh: { gateway?: string; interface?: string; weight?: number } = {};
      for (let i = 1; i < ws.length; i++) {
        if (ws[i] === 'via') {
          if (ws[i + 1] === 'inet' || ws[i + 1] === 'inet6') i++;
          nh.gateway = ws[++i];
        } else if (ws[i] === 'dev') nh.interface = ws[++i];
        else if (ws[i] === 'weight') nh.weight = toInt(ws[++i]);
      }
      (last.nexthops ??= []).push(nh);
      if (nh.gateway?.includes(':')) last.family ??= 'inet6';
      if (nh.gateway && !last.family) last.family = 'inet';
      continue;
    }
    if (!routeLineShape(t)) {
      problems.unrecognized(n, text, 'expected "[type] PREFIX [via GW] dev DEV ..."');
      last = undefined;
      continue;
    }
    let i = 0;
    const r: RouteRecord = { destination: '', line: n };
    if (TYPES.has(ws[0])) {
      if (ws[0] !== 'unicast') r.type = ws[0];
      i = 1;
    }
    const rawDest = ws[i++];
    const bad = destinationProblem(rawDest);
    if (bad) {
      badDest.unrecognized(n, text, `${bad}: not a route`);
      last = undefined;
      continue;
    }
    const flags: string[] = [];
    for (; i < ws.length; i++) {
      const w = ws[i];
      if (w === 'via') {
        if (ws[i + 1] === 'inet' || ws[i + 1] === 'inet6') i++;
        r.gateway = ws[++i];
      } else if (w === 'dev') r.interface = ws[++i];
      else if (w === 'proto') r.proto = ws[++i];
      else if (w === 'scope') r.scope = ws[++i];
      else if (w === 'src') r.src = ws[++i];
      else if (w === 'table') r.table = ws[++i];
      else if (w === 'metric' || w === 'priority' || w === 'preference') r.metric = toInt(ws[++i]);
      else if (w === 'encap') {
        const e = readEncap(ws, i + 1);
        r.encap = e.encap;
        i = e.end;
      } else if (FLAG_WORDS.has(w)) {
        flags.push(w);
        if (w === 'onlink') r.onlink = true;
      } else if (w === 'lock') continue;
      else if (WITH_VALUE.has(w)) i++;
    }
    if (r.metric === undefined) delete r.metric;
    if (flags.length) r.flags = flags.join(' ');
    const fam = family(rawDest, r.gateway);
    if (fam === 'inet6') v6++;
    else if (fam === 'inet') v4++;
    if (fam) r.family = fam;
    r.destination = rawDest;
    pending.push({ r, rawDest });
    records.push(r);
    last = r;
  }
  // `default` without a gateway (`unreachable default`, `default dev wlan0`) takes the table's family.
  const tableFamily: 'inet' | 'inet6' = v6 > v4 ? 'inet6' : 'inet';
  for (const { r, rawDest } of pending) {
    r.family ??= tableFamily;
    r.destination = normalizeDest(rawDest, r.family);
  }
  return { records, problems: [...problems.done(), ...badDest.done()].sort((a, b) => a.line - b.line) };
}

function parseJson(lines: string[], firstLine: number): { records: RouteRecord[]; problems: DumpProblem[] } {
  const problems: DumpProblem[] = [];
  const records: RouteRecord[] = [];
  const j = readJson(lines, firstLine);
  if (!j.ok) return { records, problems: [j.problem] };
  const list = Array.isArray(j.value) ? j.value : [j.value];
  const pending: { r: RouteRecord; dst: string }[] = [];
  let v6 = 0;
  for (const o of list) {
    const line = j.lineOf(o);
    if (!isObj(o) || typeof o.dst !== 'string') {
      problems.push({ line, message: 'not a route object of `ip -j route` (no "dst")' });
      continue;
    }
    const bad = destinationProblem(o.dst);
    if (bad) {
      if (problems.length < 20) problems.push({ line, message: `${bad}: not a route` });
      continue;
    }
    if (typeof o.encap === 'string') {
      // `ip -j route` prints the route's destination and the encap endpoint under the same key
      // "dst" (iproute2 6.x): the parsed object keeps only the endpoint.
      if (problems.length < 20)
        problems.push({ line, message: `encap ${o.encap} route: ip -j route gives the destination and the tunnel endpoint the same key "dst", so the destination is lost; use \`ip route show\` (text) for encap routes` });
      continue;
    }
    const r: RouteRecord = { destination: '', line };
    if (str(o.type) && o.type !== 'unicast') r.type = str(o.type);
    if (str(o.gateway)) r.gateway = str(o.gateway);
    else if (isObj(o.via) && str(o.via.host)) r.gateway = str(o.via.host);
    if (str(o.dev)) r.interface = str(o.dev);
    if (str(o.protocol)) r.proto = str(o.protocol);
    if (str(o.scope)) r.scope = str(o.scope);
    if (str(o.prefsrc)) r.src = str(o.prefsrc);
    if (str(o.table)) r.table = str(o.table);
    if (num(o.metric) !== undefined) r.metric = num(o.metric);
    const flags = Array.isArray(o.flags) ? o.flags.filter((f): f is string => typeof f === 'string') : [];
    if (flags.length) r.flags = flags.join(' ');
    if (flags.includes('onlink')) r.onlink = true;
    if (Array.isArray(o.nexthops)) {
      r.nexthops = o.nexthops.filter(isObj).map((nh) => {
        const x: { gateway?: string; interface?: string; weight?: number } = {};
        if (str(nh.gateway)) x.gateway = str(nh.gateway);
        if (str(nh.dev)) x.interface = str(nh.dev);
        if (num(nh.weight) !== undefined) x.weight = num(nh.weight);
        return x;
      });
    }
    const fam = family(o.dst, r.gateway ?? r.nexthops?.find((x) => x.gateway)?.gateway);
    if (fam) r.family = fam;
    if (fam === 'inet6') v6++;
    pending.push({ r, dst: o.dst });
    records.push(r);
  }
  for (const { r, dst } of pending) {
    r.family ??= v6 > records.length / 2 ? 'inet6' : 'inet';
    r.destination = normalizeDest(dst, r.family);
  }
  return { records, problems };
}

export const ipRoute: DumpParser<'ip-route'> = {
  info: {
    command: 'ip-route',
    displayName: 'ip route',
    description: 'ip route show / ip -6 route / ip route show table all / ip -j route',
    detect,
    nameHint: { pattern: /(^|-)ip(-\d)?(-j)?-(r|ro|route)(-|$)/, rank: 70 },
    typed: [{ programs: ['ip'], args: (a) => abbrev(ipObject(a), 'route') }],
    listField: 'destination',
  },
  parse(lines, firstLine) {
    if (lines.every((l) => l.trim() === '')) return { records: [], problems: [] };
    return startsLikeJson(lines) ? parseJson(lines, firstLine) : parseText(lines, firstLine);
  },
};
