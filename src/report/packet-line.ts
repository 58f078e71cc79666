/**
 * One text line per packet, like `tcpdump -nn -r` but with the capture point and every
 * encapsulation level on the same line, outermost first, separated by " | ":
 *
 *   3 14:12:33.865018 eth0 10.32.11.62.41373 > 10.32.7.224.8472 VXLAN vni 1 | 10.42.0.37 > 10.42.1.39 ICMP echo request id 4 seq 1 len 64
 *
 * number, UTC time of day (6 or 9 fraction digits, as the file's resolution), capture point
 * (interface, else "ifindex N", else "-"; then the direction In/Out/B/M/P/L when known), then per
 * network header "src[.port] > dst[.port]" and what it carries. A header cut short ends the line
 * with "[|layer]"; invalid headers with "[invalid: ...]". Built by plain concatenation.
 */
import { tunnelById } from '../decode/tunnels.js';
import {
  L,
  LAYER_NAMES,
  NET_ARP,
  TCP_ACK,
  TUN_GENEVE,
  TUN_GRE,
  TUN_IPIP,
  TUN_VXLAN,
  type NetHeader,
  type Packet,
  type Tunnel,
} from '../decode/packet.js';
import { fraction, ipv4String, ipv6String, macString, netAddr, tcpFlagString, timeOfDay } from '../decode/summary.js';
import { ipProtocolName } from '../decode/tables.js';

const DIRECTION_WORDS = ['', 'In', 'Out', 'B', 'M', 'P', 'L'];

const ICMP_TYPES: Record<number, string> = {
  0: 'echo reply',
  4: 'source quench',
  5: 'redirect',
  8: 'echo request',
  9: 'router advertisement',
  10: 'router solicitation',
  11: 'time exceeded',
  12: 'parameter problem',
  13: 'timestamp request',
  14: 'timestamp reply',
  15: 'information request',
  16: 'information reply',
  17: 'address mask request',
  18: 'address mask reply',
  42: 'extended echo request',
  43: 'extended echo reply',
};

const ICMP_UNREACH: Record<number, string> = {
  0: 'net unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'need to frag',
  5: 'source route failed',
  9: 'net administratively prohibited',
  10: 'host administratively prohibited',
  13: 'communication administratively prohibited',
};

const ICMP6_TYPES: Record<number, string> = {
  1: 'destination unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  130: 'multicast listener query',
  131: 'multicast listener report',
  132: 'multicast listener done',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
  137: 'redirect',
  143: 'multicast listener report v2',
};

/** The text line of a decoded packet (no newline). */
export function packetLine(p: Packet): string {
  let s = p.index + ' ' + timeText(p.sec, p.nsec, p.tsDigits) + ' ';
  const pt = p.point;
  if (pt.interface !== undefined) s += pt.interface;
  else if (p.ifindex >= 0) s += 'ifindex ' + p.ifindex;
  else s += '-';
  if (p.direction > 0) s += ' ' + DIRECTION_WORDS[p.direction];
  s += ' ' + packetBody(p);
  if (p.truncated) s += ' [|' + LAYER_NAMES[p.truncatedLayer] + ']';
  if (p.problems.length > 0) s += ' [invalid: ' + p.problems.join('; ') + ']';
  return s;
}

// IPv4 address texts, cached (direct-mapped by address): a capture has few distinct addresses.
const V4_KEYS = new Float64Array(4096).fill(-1);
const V4_TEXTS: string[] = new Array<string>(4096).fill('');

/** netAddr(n, src), IPv4 texts from the cache. */
function addrText(n: NetHeader, src: boolean): string {
  if (n.addrLength !== 4) return netAddr(n, src);
  const v = (src ? n.src : n.dst)[0];
  const i = (v ^ (v >>> 12) ^ (v >>> 24)) & 4095;
  if (V4_KEYS[i] === v) return V4_TEXTS[i];
  const t = ipv4String(v);
  V4_KEYS[i] = v;
  V4_TEXTS[i] = t;
  return t;
}

// Consecutive packets mostly share their second: its "HH:MM:SS." is built once.
let lastSec = NaN;
let lastPrefix = '';

/** timeOfDay(sec, nsec, digits), with the seconds part cached. */
function timeText(sec: number, nsec: number, digits: number): string {
  if (sec !== lastSec) {
    const t = timeOfDay(sec, 0, 6);
    lastPrefix = t.slice(0, t.length - 6);
    lastSec = sec;
  }
  return lastPrefix + fraction(nsec, digits);
}

/** The part after the capture point: every network level, outermost first. */
export function packetBody(p: Packet): string {
  if (p.netCount === 0) return linkOnly(p);
  let s = '';
  let t = 0;
  for (let i = 0; i < p.netCount; i++) {
    const n = p.nets[i];
    if (i > 0) s += ' | ';
    // A tunnel found inside this header?
    while (t < p.tunnelCount && p.tunnels[t].net < i) t++;
    const tun = t < p.tunnelCount && p.tunnels[t].net === i ? p.tunnels[t] : undefined;
    s += n.kind === NET_ARP ? arpText(n) : ipText(n, tun);
  }
  // The innermost tunnel led to no network header (unknown or cut inner frame).
  const last = p.tunnelCount > 0 ? p.tunnels[p.tunnelCount - 1] : undefined;
  if (last !== undefined && last.net === p.netCount - 1) {
    if (p.unknownEthertype >= 0 && p.unknownEthertype !== last.proto) s += ' | ethertype 0x' + hex4(p.unknownEthertype);
  }
  return s;
}

function linkOnly(p: Packet): string {
  if (p.unknownLinktype) return 'linktype ' + p.linktype + ' len ' + p.wireLength;
  if (p.unknownEthertype >= 0) return 'ethertype 0x' + hex4(p.unknownEthertype) + ' len ' + p.wireLength;
  const last = p.layerCount > 0 ? p.layerKind[p.layerCount - 1] : 0;
  if (last === L.LLC) return 'LLC len ' + p.wireLength;
  if (last === L.IPV4) return 'IP len ' + p.wireLength;
  if (last === L.IPV6) return 'IP6 len ' + p.wireLength;
  if (last === L.ARP) return 'ARP len ' + p.wireLength;
  return 'len ' + p.wireLength;
}

function hex4(v: number): string {
  const h = v.toString(16);
  return h.length >= 4 ? h : '0000'.slice(h.length) + h;
}

function arpText(n: NetHeader): string {
  const rarp = n.proto === 0x8035;
  const name = rarp ? 'RARP' : 'ARP';
  if (n.addrLength === 0) return name + ' op ' + n.arpOp;
  const spa = addrText(n, true);
  const tpa = addrText(n, false);
  switch (n.arpOp) {
    case 1:
      return name + ' who-has ' + tpa + ' tell ' + spa;
    case 2:
      return name + ' reply ' + spa + ' is-at ' + (n.arpSha >= 0 ? macString(n.arpSha) : '?');
    case 3:
      return name + ' who-is ' + (n.arpTha >= 0 ? macString(n.arpTha) : '?') + ' tell ' + (n.arpSha >= 0 ? macString(n.arpSha) : '?');
    case 4:
      return name + ' reply ' + (n.arpTha >= 0 ? macString(n.arpTha) : '?') + ' at ' + tpa;
    default:
      return name + ' op ' + n.arpOp + ' ' + spa + ' > ' + tpa;
  }
}

function ipText(n: NetHeader, tun: Tunnel | undefined): string {
  let s = addrText(n, true);
  if (n.sport >= 0) s += '.' + n.sport;
  s += ' > ' + addrText(n, false);
  if (n.dport >= 0) s += '.' + n.dport;
  if (n.fragOffset > 0) {
    return s + ' ' + ipProtocolName(n.proto).toUpperCase() + ' frag id ' + n.ipId + ' off ' + n.fragOffset + (n.moreFragments ? '+' : '') + ' len ' + n.l4Length;
  }
  if (tun !== undefined) {
    switch (tun.type) {
      case TUN_VXLAN:
      case TUN_GENEVE:
        return s + ' ' + tunnelById(tun.type).wire + ' vni ' + tun.vni;
      case TUN_IPIP:
        return s + (tun.proto === 41 ? ' IP6IP' : ' IPIP');
      case TUN_GRE: {
        s += tun.flags === 1 ? ' GREv1 call ' + tun.key : tun.key >= 0 ? ' GRE key 0x' + tun.key.toString(16) : ' GRE';
        if (tun.proto !== 0x6558 && tun.proto !== 0x0800 && tun.proto !== 0x86dd && tun.proto !== 0x880b) {
          s += ' proto 0x' + hex4(tun.proto);
        }
        return s;
      }
    }
  }
  switch (n.l4) {
    case L.TCP:
      s += ' TCP';
      if (n.tcpHeader) {
        s += ' [' + tcpFlagString(n.tcpFlags) + '] seq ' + n.seq;
        if (n.dataLength > 0) s += ':' + ((n.seq + n.dataLength) >>> 0);
        if (n.tcpFlags & TCP_ACK) s += ' ack ' + n.ack;
        s += ' win ' + n.win + ' len ' + n.dataLength;
      }
      break;
    case L.UDP:
      s += ' UDP';
      if (n.udpLength >= 0) s += ' len ' + n.dataLength;
      break;
    case L.ICMP:
      s += ' ICMP';
      if (n.icmpType >= 0) s += ' ' + icmpName(n) + ' len ' + n.dataLength;
      break;
    case L.ICMP6:
      s += ' ICMP6';
      if (n.icmpType >= 0) s += ' ' + icmp6Name(n) + ' len ' + n.dataLength;
      break;
    default:
      s += ' ' + ipProtocolName(n.proto).toUpperCase() + ' len ' + n.l4Length;
  }
  if (n.moreFragments) s += ' frag id ' + n.ipId + ' off 0+';
  return s;
}

function icmpName(n: NetHeader): string {
  const t = n.icmpType;
  let s: string;
  if (t === 3) s = ICMP_UNREACH[n.icmpCode] ?? 'unreachable code ' + n.icmpCode;
  else if (t === 11) s = n.icmpCode === 1 ? 'ip reassembly time exceeded' : 'time exceeded in-transit';
  else s = ICMP_TYPES[t] ?? 'type ' + t + ' code ' + n.icmpCode;
  if (n.icmpId >= 0) s += ' id ' + n.icmpId + ' seq ' + n.icmpSeq;
  return s;
}

function icmp6Name(n: NetHeader): string {
  const t = n.icmpType;
  let s = ICMP6_TYPES[t] ?? 'type ' + t + ' code ' + n.icmpCode;
  if (n.icmpId >= 0) s += ' id ' + n.icmpId + ' seq ' + n.icmpSeq;
  if (n.hasNdTarget) s += (t === 135 ? ' who has ' : t === 136 ? ' tgt is ' : ' to ') + ipv6String(n.ndTarget);
  return s;
}
