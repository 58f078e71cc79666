/**
 * Address arithmetic and lookups over a Topology: IPv4 as uint32, IPv6 as bigint, CIDR containment,
 * longest-prefix match over a host's routes, and "which interface holds this address".
 * Pure functions, no I/O; bad input gives `undefined` or `false`, never a throw.
 */
import type { Host, TopoInterface, TopoRoute, Topology } from './model.js';

/** "10.42.1.7" -> 0x0a2a0107 (uint32), or undefined when it is not a dotted quad. */
export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255 || (m[i].length > 1 && m[i][0] === '0')) return undefined;
    n = n * 256 + o;
  }
  return n >>> 0;
}

export function formatIPv4(n: number): string {
  n = n >>> 0;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** "fe80::1" -> 128-bit bigint, or undefined. Accepts an embedded dotted quad and drops a %zone. */
export function parseIPv6(s: string): bigint | undefined {
  let t = s.trim();
  const pct = t.indexOf('%');
  if (pct >= 0) t = t.slice(0, pct);
  if (!t.includes(':') || !/^[0-9a-fA-F:.]+$/.test(t)) return undefined;
  const lastColon = t.lastIndexOf(':');
  const last = t.slice(lastColon + 1);
  if (last.includes('.')) {
    // "::ffff:1.2.3.4" -> "::ffff:102:304"
    const v4 = parseIPv4(last);
    if (v4 === undefined) return undefined;
    t = `${t.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const part = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = part(halves[0]);
  const rest = halves.length === 2 ? part(halves[1]) : [];
  if (!head || !rest) return undefined;
  const groups = head.length + rest.length;
  let all: number[];
  if (halves.length === 2) {
    if (groups > 7) return undefined;
    all = [...head, ...new Array<number>(8 - groups).fill(0), ...rest];
  } else {
    if (groups !== 8) return undefined;
    all = head;
  }
  let n = 0n;
  for (const g of all) n = (n << 16n) | BigInt(g);
  return n;
}

export type IpFamily = 'inet' | 'inet6';

export interface ParsedIp {
  family: IpFamily;
  /** IPv4 as a bigint too, so one code path does the masking. */
  value: bigint;
  bits: 32 | 128;
}

export function parseIp(s: string): ParsedIp | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { family: 'inet', value: BigInt(v4), bits: 32 };
  const v6 = parseIPv6(s);
  if (v6 !== undefined) return { family: 'inet6', value: v6, bits: 128 };
  return undefined;
}

export interface ParsedCidr extends ParsedIp {
  prefix: number;
}

/** "10.42.1.0/24" (or a bare address: a host prefix; "default" = 0.0.0.0/0). */
export function parseCidr(s: string): ParsedCidr | undefined {
  const t = s.trim();
  if (t === 'default') return { family: 'inet', value: 0n, bits: 32, prefix: 0 };
  const slash = t.indexOf('/');
  const ip = parseIp(slash >= 0 ? t.slice(0, slash) : t);
  if (!ip) return undefined;
  if (slash < 0) return { ...ip, prefix: ip.bits };
  const ps = t.slice(slash + 1);
  if (!/^\d{1,3}$/.test(ps)) return undefined;
  const prefix = Number(ps);
  if (prefix > ip.bits) return undefined;
  return { ...ip, prefix };
}

function mask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return prefix === 0 ? 0n : (all >> BigInt(bits - prefix)) << BigInt(bits - prefix);
}

function formatValue(family: IpFamily, v: bigint): string {
  if (family === 'inet') return formatIPv4(Number(v));
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** The canonical text of an address ("010.1" is rejected, "FE80::0:1" -> "fe80::1"). */
export function normalizeIp(s: string): string | undefined {
  const p = parseIp(s);
  return p ? formatValue(p.family, p.value) : undefined;
}

/** The network of an address with a prefix: ("10.42.1.1", 24) -> "10.42.1.0/24". */
export function networkOf(address: string, prefixLength: number): string | undefined {
  const p = parseIp(address);
  if (!p || prefixLength < 0 || prefixLength > p.bits) return undefined;
  return `${formatValue(p.family, p.value & mask(p.bits, prefixLength))}/${prefixLength}`;
}

/** Canonical form of a CIDR: host bits cleared ("10.42.1.5/24" -> "10.42.1.0/24"). */
export function normalizeCidr(cidr: string): string | undefined {
  const c = parseCidr(cidr);
  if (!c) return undefined;
  return `${formatValue(c.family, c.value & mask(c.bits, c.prefix))}/${c.prefix}`;
}

/** True when `ip` lies in `cidr` (same family only). */
export function subnetContains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const a = parseIp(ip);
  if (!c || !a || c.family !== a.family) return false;
  const m = mask(c.bits, c.prefix);
  return (c.value & m) === (a.value & m);
}

/** True when subnet `inner` is inside subnet `outer` (or equal). */
export function subnetCovers(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  if (!o || !i || o.family !== i.family || i.prefix < o.prefix) return false;
  const m = mask(o.bits, o.prefix);
  return (o.value & m) === (i.value & m);
}

export function isLinkLocal(ip: string): boolean {
  return subnetContains('169.254.0.0/16', ip) || subnetContains('fe80::/10', ip);
}

/** Multicast (224.0.0.0/4, ff00::/8) or the IPv4 limited broadcast. */
export function isMulticastOrBroadcast(ip: string): boolean {
  return ip === '255.255.255.255' || subnetContains('224.0.0.0/4', ip) || subnetContains('ff00::/8', ip);
}

/**
 * Traffic that stays on its link and is never routed: link-local sources or destinations, multicast
 * and broadcast (IPv6 ND, RS/RA, MLD, DAD; mDNS, LLMNR, DHCP, IGMP, SSDP), the unspecified address.
 */
export function isLinkScoped(src: string, dst: string): boolean {
  const unspecified = (ip: string) => ip === '0.0.0.0' || ip === '::';
  return isLinkLocal(dst) || isMulticastOrBroadcast(dst) || unspecified(src) || (isLinkLocal(src) && !isLoopbackAddress(dst));
}

export function isLoopbackAddress(ip: string): boolean {
  return subnetContains('127.0.0.0/8', ip) || ip === '::1';
}

/** Route types that forward nothing to a next hop but still answer a lookup. */
const NON_FORWARDING = new Set(['broadcast', 'multicast', 'anycast', 'nat']);

/**
 * A longest-prefix-match index over one host's routes: per family and per table class (local
 * first, then main), one hash table per prefix length, keyed by the masked network (IPv4 as a
 * uint32 number, IPv6 as a bigint), holding the lowest-metric route of that prefix (the first in
 * input order among equal metrics). A lookup probes only the prefix lengths present, longest
 * first: at most 33 or 129 probes whatever the number of routes.
 */
interface LpmFamily {
  /** Prefix lengths present, longest first. */
  lengths: number[];
  /**
   * Network -> route, per prefix length. IPv6 networks are keyed by their hex text: V8 hashes a
   * BigInt by its low bits only, so the masked /64s of a big IPv6 table would all collide.
   */
  byLength: Map<number, Map<number | string, { route: TopoRoute; metric: number }>>;
}

interface LpmIndex {
  /** The route count the index was built from: a longer (or shorter) list is indexed again. */
  size: number;
  local: { inet: LpmFamily; inet6: LpmFamily };
  main: { inet: LpmFamily; inet6: LpmFamily };
}

const lpmCache = new WeakMap<readonly TopoRoute[], LpmIndex>();

function emptyFamily(): LpmFamily {
  return { lengths: [], byLength: new Map() };
}

function maskV4(v: number, prefix: number): number {
  return prefix === 0 ? 0 : (v & (0xffffffff << (32 - prefix))) >>> 0;
}

const V6_MASKS: bigint[] = Array.from({ length: 129 }, (_, p) => mask(128, p));

function buildLpm(routes: readonly TopoRoute[]): LpmIndex {
  const index: LpmIndex = {
    size: routes.length,
    local: { inet: emptyFamily(), inet6: emptyFamily() },
    main: { inet: emptyFamily(), inet6: emptyFamily() },
  };
  for (const r of routes) {
    const isLocal = r.table === 'local' || r.type === 'local';
    if (r.table && r.table !== 'main' && r.table !== 'local') continue;
    if (r.type && NON_FORWARDING.has(r.type)) continue;
    const c = parseCidr(r.destination);
    if (!c) continue;
    const fam = (isLocal ? index.local : index.main)[c.family];
    let table = fam.byLength.get(c.prefix);
    if (!table) {
      table = new Map();
      fam.byLength.set(c.prefix, table);
    }
    const key = c.family === 'inet' ? maskV4(Number(c.value), c.prefix) : (c.value & V6_MASKS[c.prefix]).toString(16);
    const metric = r.metric ?? 0;
    const old = table.get(key);
    if (!old || metric < old.metric) table.set(key, { route: r, metric });
  }
  for (const cls of [index.local, index.main]) {
    for (const fam of [cls.inet, cls.inet6]) fam.lengths = [...fam.byLength.keys()].sort((a, b) => b - a);
  }
  return index;
}

function lpmOf(routes: readonly TopoRoute[]): LpmIndex {
  let index = lpmCache.get(routes);
  if (!index || index.size !== routes.length) {
    index = buildLpm(routes);
    lpmCache.set(routes, index);
  }
  return index;
}

function probe(fam: LpmFamily, a: ParsedIp): TopoRoute | undefined {
  if (a.family === 'inet') {
    const v = Number(a.value);
    for (const len of fam.lengths) {
      const hit = fam.byLength.get(len)!.get(maskV4(v, len));
      if (hit) return hit.route;
    }
  } else {
    for (const len of fam.lengths) {
      const hit = fam.byLength.get(len)!.get((a.value & V6_MASKS[len]).toString(16));
      if (hit) return hit.route;
    }
  }
  return undefined;
}

/**
 * Longest-prefix match over a host's routes of the main and local tables (routes with no table
 * are the main table). Local-table routes are consulted first, as the kernel does; among routes
 * of the same prefix the lowest metric wins. The index is built once per route list (and again
 * when the list's length changes) and kept beside it.
 */
export function lookupRoute(host: Pick<Host, 'routes'>, ip: string): TopoRoute | undefined {
  const a = parseIp(ip);
  if (!a) return undefined;
  const index = lpmOf(host.routes);
  return probe(index.local[a.family], a) ?? probe(index.main[a.family], a);
}

export interface Owner {
  host: Host;
  interface: TopoInterface;
}

/** Every interface (of every host) holding exactly this address. */
export function ownersOf(topology: Pick<Topology, 'hosts'>, ip: string): Owner[] {
  const want = normalizeIp(ip);
  if (!want) return [];
  const out: Owner[] = [];
  for (const host of topology.hosts) {
    for (const itf of host.interfaces) {
      if (itf.addresses.some((a) => normalizeIp(a.address) === want)) out.push({ host, interface: itf });
    }
  }
  return out;
}

/** The interface holding this address; nodes before pod namespaces, then topology order. */
export function ownerOf(topology: Pick<Topology, 'hosts'>, ip: string): Owner | undefined {
  const all = ownersOf(topology, ip);
  return all.find((o) => o.host.role === 'node') ?? all[0];
}

/** The host's interface by name. */
export function interfaceOf(host: Pick<Host, 'interfaces'>, name: string): TopoInterface | undefined {
  return host.interfaces.find((i) => i.name === name);
}
