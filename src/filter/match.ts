/**
 * Evaluates a parsed filter (parse.ts) on a decoded packet (src/decode/packet.ts). Level 0 is the
 * outermost network header; after `vxlan`/`geneve` the level is the header that tunnel carries,
 * as with libpcap's geneve keyword. podpath's `vxlan` is a packet the decoder took for VXLAN (UDP
 * 4789, 8472 and --vxlan-port), not only UDP 4789 as libpcap's.
 */
import { L, NET_ARP, NET_IPV4, NET_IPV6, TUN_GENEVE, TUN_VXLAN, type NetHeader, type Packet } from '../decode/packet.js';
import type { Addr, Dir, FilterNode, Proto } from './parse.js';
import { parseFilter } from './parse.js';

/** The network header at `level`: 0 outermost, k the one inside the k-th VXLAN/Geneve tunnel. */
function netAt(p: Packet, level: number): NetHeader | undefined {
  if (level === 0) return p.netCount > 0 ? p.nets[0] : undefined;
  let k = 0;
  for (let i = 0; i < p.tunnelCount; i++) {
    const t = p.tunnels[i];
    if (t.type !== TUN_VXLAN && t.type !== TUN_GENEVE) continue;
    if (++k === level) return t.net + 1 < p.netCount ? p.nets[t.net + 1] : undefined;
  }
  return undefined;
}

function sameAddr(n: NetHeader, which: Uint32Array, a: Addr, bits: number): boolean {
  const len = a.v6 ? 16 : 4;
  if (n.addrLength !== len) return false;
  const words = a.v6 ? 4 : 1;
  let left = bits;
  for (let i = 0; i < words && left > 0; i++) {
    const take = Math.min(32, left);
    const mask = take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0;
    if (((which[i] & mask) >>> 0) !== ((a.w[i] & mask) >>> 0)) return false;
    left -= take;
  }
  return true;
}

/**
 * The protocol an IP header names. For IPv6, as libpcap: the fixed header's next-header field
 * (read from the frame when given), so that a hop-by-hop option header is not `icmp6`.
 */
function ipProto(n: NetHeader, bytes: Uint8Array | undefined): number {
  if (n.kind === NET_IPV6 && bytes !== undefined && n.offset + 6 < bytes.length) return bytes[n.offset + 6];
  return n.proto;
}

function protoOk(n: NetHeader, proto: Proto | undefined, bytes?: Uint8Array): boolean {
  const ipp = proto === 'tcp' || proto === 'udp' || proto === 'icmp6' ? ipProto(n, bytes) : n.proto;
  switch (proto) {
    case undefined:
      return true;
    case 'ip':
      return n.kind === NET_IPV4;
    case 'ip6':
      return n.kind === NET_IPV6;
    case 'arp':
      return n.kind === NET_ARP && n.proto !== 0x8035;
    case 'tcp':
      return (n.kind === NET_IPV4 || n.kind === NET_IPV6) && ipp === 6;
    case 'udp':
      return (n.kind === NET_IPV4 || n.kind === NET_IPV6) && ipp === 17;
    case 'icmp':
      return n.kind === NET_IPV4 && n.proto === 1;
    case 'icmp6':
      return n.kind === NET_IPV6 && ipp === 58;
  }
}

function byDir(dir: Dir, src: boolean, dst: boolean): boolean {
  return dir === 'src' ? src : dir === 'dst' ? dst : dir === 'both' ? src && dst : src || dst;
}

export function matches(node: FilterNode, p: Packet, bytes?: Uint8Array): boolean {
  switch (node.op) {
    case 'and':
      return matches(node.left, p, bytes) && matches(node.right, p, bytes);
    case 'or':
      return matches(node.left, p, bytes) || matches(node.right, p, bytes);
    case 'not':
      return !matches(node.arg, p, bytes);
    case 'tunnel': {
      const n = netAt(p, node.level);
      if (!n) return false;
      const type = node.type === 'vxlan' ? TUN_VXLAN : TUN_GENEVE;
      let k = 0;
      for (let i = 0; i < p.tunnelCount; i++) {
        const t = p.tunnels[i];
        if (t.type !== TUN_VXLAN && t.type !== TUN_GENEVE) continue;
        if (k++ === node.level) return t.type === type && (node.vni === undefined || t.vni === node.vni);
      }
      return false;
    }
    case 'proto': {
      const n = netAt(p, node.level);
      return n !== undefined && protoOk(n, node.proto, bytes);
    }
    case 'host':
    case 'net': {
      const n = netAt(p, node.level);
      if (!n || !protoOk(n, node.proto, bytes)) return false;
      if (n.kind !== NET_IPV4 && n.kind !== NET_IPV6 && n.kind !== NET_ARP) return false;
      const bits = node.op === 'net' ? node.bits : node.addr.v6 ? 128 : 32;
      return byDir(node.dir, sameAddr(n, n.src, node.addr, bits), sameAddr(n, n.dst, node.addr, bits));
    }
    case 'port': {
      const n = netAt(p, node.level);
      if (!n || !protoOk(n, node.proto, bytes)) return false;
      if (n.l4 !== L.TCP && n.l4 !== L.UDP) return false;
      // libpcap reads ports only where the IPv6 header itself names TCP or UDP.
      if (n.kind === NET_IPV6 && bytes !== undefined && ipProto(n, bytes) !== 6 && ipProto(n, bytes) !== 17) return false;
      if (n.laterFragment) return false;
      const inRange = (x: number) => x >= node.from && x <= node.to;
      return byDir(node.dir, n.sport >= 0 && inRange(n.sport), n.dport >= 0 && inRange(n.dport));
    }
  }
}

/** A compiled filter: the expression and its predicate. */
export interface PacketFilter {
  text: string;
  /** `bytes`: the frame the packet was decoded from (for header fields the decoder does not keep). */
  test(p: Packet, bytes?: Uint8Array): boolean;
}

export function compileFilter(text: string): PacketFilter {
  const tree = parseFilter(text);
  return { text, test: (p, bytes) => matches(tree, p, bytes) };
}
