/**
 * PacketSummary: the plain-object form of a decoded Packet, built on demand. It is the record of
 * `podpath packets --format ndjson`, a versioned contract (docs/packets-ndjson.md, schema
 * "podpath.packet/1"): fields are only ever added, never renamed or retyped.
 *
 * Also the string helpers every packet printer shares (addresses, times, TCP flags).
 */
import type { PacketDirection } from '../capture/frame.js';
import {
  DIRECTIONS,
  LAYER_NAMES,
  NET_ARP,
  NET_IPV6,
  TCP_ACK,
  TCP_AE,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  TUNNEL_NAMES,
  type NetHeader,
  type Packet,
  type PacketStatus,
} from './packet.js';
import { ipProtocolName } from './tables.js';

export const PACKET_SCHEMA = 'podpath.packet/1';

/** A network header: the innermost (`inner`) or the outermost of an encapsulated packet (`outer`). */
export interface NetSummary {
  /** Source / destination address: dotted IPv4, RFC 5952 IPv6 (as tcpdump prints it). ARP: sender / target protocol address. */
  src: string;
  dst: string;
  /** "tcp", "udp", "icmp", "icmp6", "gre", "ipip", "ipv6", "esp", "ah", "sctp", ... or "ip-proto-N"; "arp" / "rarp". */
  proto: string;
  sport?: number;
  dport?: number;
  /** IPv4 TTL / IPv6 hop limit. */
  ttl?: number;
  /** IPv4 identification, or the IPv6 fragment header's identification. */
  ipId?: number;
  /** Present on fragments: byte offset, and whether more fragments follow. */
  fragment?: { offset: number; more: boolean };
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  icmpSeq?: number;
  /** TCP flags in tcpdump's notation ("S", "S.", "P.", "F.", "R", ...). */
  tcpFlags?: string;
  /** TCP sequence and acknowledgment numbers (absolute, uint32). */
  tcpSeq?: number;
  tcpAck?: number;
  /** ARP/RARP operation (1 request, 2 reply, 3 RARP request, 4 RARP reply). */
  arpOp?: number;
}

export interface TunnelSummary {
  type: 'vxlan' | 'geneve' | 'ipip' | 'gre';
  /** VXLAN / Geneve network identifier. */
  vni?: number;
  /** UDP port that carried a VXLAN / Geneve header. */
  port?: number;
  /** GRE key (version 1: the PPTP call ID). */
  key?: number;
}

export interface PacketSummary {
  schema: typeof PACKET_SCHEMA;
  input: string;
  /** 1-based packet number in the input (as `tcpdump -#`). */
  index: number;
  /** ISO 8601 UTC with 6 fraction digits (microsecond files) or 9 (nanosecond files). */
  time: string;
  captureLength: number;
  wireLength: number;
  point?: { interface?: string; ifindex?: number; direction?: PacketDirection; host?: string };
  status: PacketStatus;
  /** Every header in wire order: "eth", "vlan", "sll", "sll2", "null", "llc", "arp", "ipv4", "ipv6", "ah", "esp", "icmp", "icmp6", "tcp", "udp", "vxlan", "geneve", "gre", "ppp". */
  layers: string[];
  /** The outermost network header, when there is a tunnel. */
  outer?: NetSummary;
  /** The outermost encapsulation. */
  tunnel?: TunnelSummary;
  /** The innermost network header (the only one of an unencapsulated packet); absent when there is none. */
  inner?: NetSummary;
  truncated: boolean;
  problems: string[];
  /** INTERNAL (not part of the contract's stable meaning): FNV-1a-style hash of up to 64 bytes of the innermost payload. */
  payloadHash: number;
}

export function summarize(p: Packet): PacketSummary {
  const layers: string[] = new Array(p.layerCount);
  for (let i = 0; i < p.layerCount; i++) layers[i] = LAYER_NAMES[p.layerKind[i]];
  // Built in the record's key order: schema, input, index, time, ..., inner, truncated, problems.
  const s = {
    schema: PACKET_SCHEMA,
    input: p.input,
    index: p.index,
    time: isoTime(p.sec, p.nsec, p.tsDigits),
    captureLength: p.captureLength,
    wireLength: p.wireLength,
  } as PacketSummary;
  const pt = p.point;
  if (pt.interface !== undefined || pt.host !== undefined || p.ifindex >= 0 || p.direction > 0) {
    const point: NonNullable<PacketSummary['point']> = {};
    if (pt.interface !== undefined) point.interface = pt.interface;
    if (p.ifindex >= 0) point.ifindex = p.ifindex;
    if (p.direction > 0) point.direction = DIRECTIONS[p.direction];
    if (pt.host !== undefined) point.host = pt.host;
    s.point = point;
  }
  s.status = p.status;
  s.layers = layers;
  if (p.netCount > 1) s.outer = netSummary(p.nets[0]);
  if (p.tunnelCount > 0) {
    const t = p.tunnels[0];
    const ts: TunnelSummary = { type: TUNNEL_NAMES[t.type] as TunnelSummary['type'] };
    if (t.vni >= 0) ts.vni = t.vni;
    if (t.port >= 0) ts.port = t.port;
    if (t.key >= 0) ts.key = t.key;
    s.tunnel = ts;
  }
  if (p.netCount > 0) s.inner = netSummary(p.nets[p.netCount - 1]);
  s.truncated = p.truncated;
  s.problems = p.problems.slice();
  s.payloadHash = p.payloadHash;
  return s;
}

export function netSummary(n: NetHeader): NetSummary {
  const s: NetSummary = { src: netAddr(n, true), dst: netAddr(n, false), proto: netProto(n) };
  if (n.sport >= 0) s.sport = n.sport;
  if (n.dport >= 0) s.dport = n.dport;
  if (n.kind === NET_ARP) {
    if (n.arpOp >= 0) s.arpOp = n.arpOp;
    return s;
  }
  s.ttl = n.ttl;
  if (n.ipId >= 0) s.ipId = n.ipId;
  if (n.fragOffset > 0 || n.moreFragments) s.fragment = { offset: n.fragOffset, more: n.moreFragments };
  if (n.icmpType >= 0) {
    s.icmpType = n.icmpType;
    s.icmpCode = n.icmpCode;
    if (n.icmpId >= 0) {
      s.icmpId = n.icmpId;
      s.icmpSeq = n.icmpSeq;
    }
  }
  if (n.tcpHeader) {
    s.tcpFlags = tcpFlagString(n.tcpFlags);
    s.tcpSeq = n.seq;
    s.tcpAck = n.ack;
  }
  return s;
}

/** "tcp", "udp", ..., "arp", "rarp". */
export function netProto(n: NetHeader): string {
  if (n.kind === NET_ARP) return n.proto === 0x8035 ? 'rarp' : 'arp';
  return ipProtocolName(n.proto);
}

/** The source (or destination) address of a network header as text. */
export function netAddr(n: NetHeader, src: boolean): string {
  const a = src ? n.src : n.dst;
  if (n.addrLength === 4) return ipv4String(a[0]);
  if (n.addrLength === 16 || n.kind === NET_IPV6) return ipv6String(a);
  return '';
}

export function ipv4String(v: number): string {
  return (v >>> 24) + '.' + ((v >>> 16) & 255) + '.' + ((v >>> 8) & 255) + '.' + (v & 255);
}

/**
 * IPv6 text as inet_ntop / tcpdump print it (RFC 5952): lower-case hex, the longest run of two or
 * more zero groups as "::" (the first such run on ties), and IPv4-mapped (::ffff:a.b.c.d) and
 * IPv4-compatible (::a.b.c.d) addresses with a dotted tail.
 */
export function ipv6String(w: Uint32Array): string {
  const g0 = w[0] >>> 16, g1 = w[0] & 0xffff, g2 = w[1] >>> 16, g3 = w[1] & 0xffff;
  const g4 = w[2] >>> 16, g5 = w[2] & 0xffff, g6 = w[3] >>> 16, g7 = w[3] & 0xffff;
  const g = [g0, g1, g2, g3, g4, g5, g6, g7];
  let bestStart = -1, bestLen = 0, curStart = -1, curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (g[i] === 0) {
      if (curStart < 0) {
        curStart = i;
        curLen = 1;
      } else curLen++;
      if (curLen > bestLen) {
        bestLen = curLen;
        bestStart = curStart;
      }
    } else curStart = -1;
  }
  if (bestLen < 2) bestStart = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (bestStart >= 0 && i >= bestStart && i < bestStart + bestLen) {
      if (i === bestStart) s += ':';
      continue;
    }
    if (i > 0) s += ':';
    if (i === 6 && bestStart === 0 && (bestLen === 6 || (bestLen === 5 && g5 === 0xffff))) {
      s += ipv4String(w[3]);
      return s;
    }
    s += g[i].toString(16);
  }
  if (bestStart >= 0 && bestStart + bestLen === 8) s += ':';
  return s;
}

/** A 48-bit MAC held as a number, as aa:bb:cc:dd:ee:ff. */
export function macString(m: number): string {
  let s = '';
  for (let i = 5; i >= 0; i--) {
    const byte = Math.floor(m / 2 ** (8 * i)) & 255;
    s += (byte < 16 ? '0' : '') + byte.toString(16) + (i > 0 ? ':' : '');
  }
  return s;
}

const FLAG_BITS = [TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK, TCP_URG, TCP_ECE, TCP_CWR, TCP_AE];
const FLAG_CHARS = ['F', 'S', 'R', 'P', '.', 'U', 'E', 'W', 'e'];

/** TCP flags as tcpdump prints them inside "Flags [...]" (order F S R P . U E W e; "none" if none). */
export function tcpFlagString(flags: number): string {
  let s = '';
  for (let i = 0; i < FLAG_BITS.length; i++) if (flags & FLAG_BITS[i]) s += FLAG_CHARS[i];
  return s === '' ? 'none' : s;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : '' + n;
}

/** The fraction of a second, `digits` (6 or 9) digits. */
export function fraction(nsec: number, digits: number): string {
  const v = digits === 9 ? nsec : Math.floor(nsec / 1000);
  const s = '' + v;
  return s.length >= digits ? s : '000000000'.slice(0, digits - s.length) + s;
}

/** UTC time of day "HH:MM:SS.ffffff" (or 9 fraction digits). */
export function timeOfDay(sec: number, nsec: number, digits: number): string {
  let t = sec % 86400;
  if (t < 0) t += 86400;
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  return pad2(h) + ':' + pad2(m) + ':' + pad2(t % 60) + '.' + fraction(nsec, digits);
}

let cachedDay = NaN;
let cachedDate = '';

/** ISO 8601 UTC: "2013-05-18T20:21:44.837063Z" (6 digits) or 9 digits for nanosecond files. */
export function isoTime(sec: number, nsec: number, digits: number): string {
  const day = Math.floor(sec / 86400);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDate = civilDate(day);
  }
  return cachedDate + 'T' + timeOfDay(sec, nsec, digits) + 'Z';
}

/** Days since 1970-01-01 -> "YYYY-MM-DD" (proleptic Gregorian; H. Hinnant's days_from_civil inverse). */
function civilDate(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return ('' + y).padStart(4, '0') + '-' + pad2(m) + '-' + pad2(d);
}
