/**
 * The decoded form of one frame: a reusable, preallocated object of numbers.
 *
 * A Decoder owns one Packet and overwrites it on every `decode()`: nothing here allocates per
 * packet on the good path (problems, which are rare, are strings). Addresses are copied out of the
 * frame into Uint32Arrays (IPv4 in word 0, IPv6 in words 0..3, network order), so a Packet stays
 * meaningful after the frame's reused byte view has moved on; strings are built only by
 * `summarize()` (summary.ts) and the text line (report/packet-line.ts).
 *
 * Shape:
 *   layers     every header in wire order, as codes (LAYER_NAMES) with their byte offsets;
 *   nets       the network headers (IPv4, IPv6, ARP) in wire order, each with its transport fields;
 *              nets[0] is the outermost, nets[netCount-1] the innermost (`inner`);
 *   tunnels    each encapsulation met (VXLAN, Geneve, GRE, IP-in-IP), outermost first.
 */
import { TUNNELS } from './tunnels.js';
import type { CapturePoint, Frame, PacketDirection } from '../capture/frame.js';

/** Layer codes: index into LAYER_NAMES. */
export const L = {
  NONE: 0,
  ETH: 1,
  VLAN: 2,
  SLL: 3,
  SLL2: 4,
  NULL: 5,
  LLC: 6,
  ARP: 7,
  IPV4: 8,
  IPV6: 9,
  ICMP: 10,
  ICMP6: 11,
  TCP: 12,
  UDP: 13,
  VXLAN: 14,
  GENEVE: 15,
  GRE: 16,
  AH: 17,
  ESP: 18,
  PPP: 19,
  MPLS: 20,
  ERSPAN: 21,
  NFLOG: 22,
} as const;

/** Names of the layer codes, as they appear in the summary's `layers` (contract). */
export const LAYER_NAMES: readonly string[] = [
  '',
  'eth',
  'vlan',
  'sll',
  'sll2',
  'null',
  'llc',
  'arp',
  'ipv4',
  'ipv6',
  'icmp',
  'icmp6',
  'tcp',
  'udp',
  'vxlan',
  'geneve',
  'gre',
  'ah',
  'esp',
  'ppp',
  'mpls',
  'erspan',
  'nflog',
];

/** Network header kinds. */
export const NET_IPV4 = 4;
export const NET_IPV6 = 6;
export const NET_ARP = 1;

/** Tunnel types: index into TUNNEL_NAMES. */
export const TUN_VXLAN = 1;
export const TUN_GENEVE = 2;
export const TUN_IPIP = 3;
export const TUN_GRE = 4;
/** Report names by tunnel type (index = Tunnel.type), from the descriptor table. */
export const TUNNEL_NAMES: readonly string[] = TUNNELS.reduce<string[]>((names, t) => ((names[t.id] = t.name), names), ['']);

/** Directions as codes (0 = unknown): index into DIRECTIONS. */
export const DIRECTIONS: readonly (PacketDirection | undefined)[] = [
  undefined,
  'in',
  'out',
  'broadcast',
  'multicast',
  'otherhost',
  'loopback',
];

export function directionCode(d: PacketDirection | undefined): number {
  if (d === undefined) return 0;
  const i = DIRECTIONS.indexOf(d);
  return i < 0 ? 0 : i;
}

/** TCP flag bits (RFC 9293 + RFC 3168 + AccECN's AE). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
export const TCP_AE = 0x100;

/** Most headers one packet may have; beyond, the packet gets a problem. */
export const MAX_LAYERS = 40;
/** Most encapsulations decoded inside each other (VXLAN in GRE in ... counts each). */
export const MAX_TUNNELS = 8;
/** Network headers: the outer one plus one per tunnel. */
export const MAX_NETS = MAX_TUNNELS + 1;

/** One network header (IPv4, IPv6 or ARP) and the transport header it carries, if decoded. */
export class NetHeader {
  /** NET_IPV4, NET_IPV6 or NET_ARP. */
  kind = 0;
  /** Index of this header in Packet.layerKind. */
  layer = 0;
  /** Byte offset of the header in the frame. */
  offset = 0;
  /** Address length in bytes: 4 or 16 (ARP may say something else: then the addresses are not kept, 0). */
  addrLength = 4;
  /** Source / destination address, network order: IPv4 in [0], IPv6 in [0..3]. ARP: sender / target protocol address. */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /**
   * Upper-layer protocol number after IPv6 extension headers and AH (IP); for ARP the ethertype
   * that carried it (0x0806 ARP, 0x8035 RARP).
   */
  proto = -1;
  /** IPv4 TTL / IPv6 hop limit. */
  ttl = 0;
  /** IPv4 identification; for IPv6 the fragment header's identification, else -1. */
  ipId = -1;
  /** Fragment offset in bytes and the more-fragments flag (IPv4 header or IPv6 fragment header). */
  fragOffset = 0;
  moreFragments = false;
  dontFragment = false;
  /** Total length of this network packet (header + payload) as the header says, or inferred (see lengthInferred). */
  length = 0;
  /** The length field was 0 (GSO/TSO, BIG TCP without jumbo option): `length` is the captured length. */
  lengthInferred = false;
  /** IPv6 jumbo payload option seen (RFC 2675). */
  jumbo = false;
  /** Length of the upper-layer segment as the network header(s) claim it. */
  l4Length = 0;

  /** Transport layer code (L.TCP, L.UDP, L.ICMP, L.ICMP6, L.GRE, ...) decoded after this header, 0 if none. */
  l4 = 0;
  /** Byte offset of the transport header. */
  l4Offset = 0;
  sport = -1;
  dport = -1;
  /** The fixed 20 bytes of a TCP header were read: flags, seq, ack and win are valid. */
  tcpHeader = false;
  /** TCP flags (TCP_* bits), sequence and acknowledgment numbers (uint32), window. */
  tcpFlags = 0;
  seq = 0;
  ack = 0;
  win = 0;
  /** Length of the TCP or UDP payload as the headers claim it; ICMP: the ICMP message length. */
  dataLength = 0;
  /** UDP length field. */
  udpLength = -1;
  icmpType = -1;
  icmpCode = -1;
  icmpId = -1;
  icmpSeq = -1;
  /** ICMPv6 neighbor discovery target (NS, NA, redirect). */
  readonly ndTarget = new Uint32Array(4);
  hasNdTarget = false;
  /** ARP fields: operation, hardware type, hardware length, sender/target hardware addresses (6-byte MACs as numbers, -1 if other). */
  arpOp = -1;
  arpHrd = 0;
  arpHln = 0;
  arpSha = -1;
  arpTha = -1;

  reset(): void {
    this.kind = 0;
    this.layer = 0;
    this.offset = 0;
    this.addrLength = 4; // src/dst are written by whoever sets addrLength: not cleared here
    this.proto = -1;
    this.ttl = 0;
    this.ipId = -1;
    this.fragOffset = 0;
    this.moreFragments = false;
    this.dontFragment = false;
    this.length = 0;
    this.lengthInferred = false;
    this.jumbo = false;
    this.l4Length = 0;
    this.l4 = 0;
    this.l4Offset = 0;
    this.sport = -1;
    this.dport = -1;
    this.tcpHeader = false;
    this.tcpFlags = 0;
    this.seq = 0;
    this.ack = 0;
    this.win = 0;
    this.dataLength = 0;
    this.udpLength = -1;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.icmpId = -1;
    this.icmpSeq = -1;
    this.hasNdTarget = false;
    this.arpOp = -1;
    this.arpHrd = 0;
    this.arpHln = 0;
    this.arpSha = -1;
    this.arpTha = -1;
  }

  /** True when this header is a fragment that does not carry the transport header (offset > 0). */
  get laterFragment(): boolean {
    return this.fragOffset > 0;
  }
}

/** One encapsulation. */
export class Tunnel {
  /** TUN_VXLAN, TUN_GENEVE, TUN_IPIP or TUN_GRE. */
  type = 0;
  /** VXLAN/Geneve virtual network identifier, -1 if none. */
  vni = -1;
  /** UDP destination port that carried it (VXLAN/Geneve), -1 if none. */
  port = -1;
  /** GRE key, -1 if absent. */
  key = -1;
  /** GRE version (0, or 1 for PPTP's enhanced GRE); VXLAN flags byte; Geneve flags. */
  flags = 0;
  /** Protocol of the payload as the tunnel header says (GRE/Geneve protocol type, IP proto 4/41), -1 if implied. */
  proto = -1;
  /** Index of the tunnel's header in Packet.layerKind (for IP-in-IP: of the inner IP header). */
  layer = 0;
  /** Index of the network header the tunnel was found in. */
  net = 0;
}

const EMPTY_POINT: CapturePoint = Object.freeze({}) as CapturePoint;

export type PacketStatus = 'decoded' | 'truncated' | 'malformed' | 'skipped';

export class Packet {
  // --- from the frame
  input = '';
  index = 0;
  /** Byte offset of the frame's record in the (decompressed) input. */
  offset = 0;
  sec = 0;
  nsec = 0;
  /** Fraction digits of the timestamp when printed: 6 (microsecond file) or 9 (nanosecond file). */
  tsDigits = 6;
  linktype = 0;
  captureLength = 0;
  wireLength = 0;
  /** The frame's capture point (shared, not copied: readers keep it stable per interface). */
  point: CapturePoint = EMPTY_POINT;
  /** Interface index: from the point, or a Linux SLL2 header; -1 unknown. */
  ifindex = -1;
  /** Direction code (DIRECTIONS): from the point, or a Linux SLL/SLL2 packet type; 0 unknown. */
  direction = 0;

  // --- layers
  layerCount = 0;
  readonly layerKind = new Uint8Array(MAX_LAYERS);
  readonly layerOffset = new Uint32Array(MAX_LAYERS);
  netCount = 0;
  readonly nets: NetHeader[] = [];
  tunnelCount = 0;
  readonly tunnels: Tunnel[] = [];
  /** Outermost 802.1Q VLAN id, -1 if untagged. */
  vlan = -1;
  /** Innermost Ethernet source / destination MAC as 48-bit numbers, -1 if none. */
  macSrc = -1;
  macDst = -1;
  /** An ethertype (or link type, for skipped frames) we met but do not decode, -1 if none. */
  unknownEthertype = -1;
  /** The frame's link type is not one we decode. */
  unknownLinktype = false;
  /**
   * What decoding stopped at, by name ("linktype 239 NFLOG", "ethertype 0x8847 MPLS unicast",
   * "GRE protocol 0x88be ERSPAN type II"), '' when nothing was left unopened. The strings are
   * built once per distinct thing (Decoder caches them).
   */
  notDecoded = '';

  // --- condition
  /** Some layer was cut short (by the end of the captured bytes or an enclosing length). */
  truncated = false;
  /** Code of the first layer found cut short. */
  truncatedLayer = 0;
  /** Some header is invalid (bad version, bad length): the messages are in `problems`. */
  malformed = false;
  readonly problems: string[] = [];

  // --- correlation helpers (internal, see docs/packets-ndjson.md)
  /** Byte range of the innermost payload (after the last header decoded). */
  payloadOffset = 0;
  payloadEnd = 0;
  /** FNV-1a-style 32-bit hash (bytes.ts fnv1a) of up to 64 captured bytes of the innermost payload. */
  payloadHash = 0;

  constructor() {
    for (let i = 0; i < MAX_NETS; i++) this.nets.push(new NetHeader());
    for (let i = 0; i < MAX_TUNNELS; i++) this.tunnels.push(new Tunnel());
  }

  /** Overwrites this packet with the basics of `f`, everything else cleared. */
  reset(f: Frame): void {
    this.input = f.input;
    this.index = f.index;
    this.offset = f.offset;
    this.sec = f.sec;
    this.nsec = f.nsec;
    this.linktype = f.linktype;
    this.captureLength = f.bytes.length;
    this.wireLength = f.wireLength;
    const pt = f.point;
    this.point = pt ?? EMPTY_POINT;
    this.ifindex = pt?.ifindex ?? -1;
    this.direction = pt?.direction === undefined ? 0 : directionCode(pt.direction);
    this.layerCount = 0; // network headers and tunnels are reset as they are taken (Decoder.net/tunnel)
    this.netCount = 0;
    this.tunnelCount = 0;
    this.vlan = -1;
    this.macSrc = -1;
    this.macDst = -1;
    this.unknownEthertype = -1;
    this.unknownLinktype = false;
    this.notDecoded = '';
    this.truncated = false;
    this.truncatedLayer = 0;
    this.malformed = false;
    if (this.problems.length) this.problems.length = 0;
    this.payloadOffset = 0;
    this.payloadEnd = 0;
    this.payloadHash = 0;
  }

  /** The innermost network header, or undefined when the frame has none. */
  get inner(): NetHeader | undefined {
    return this.netCount > 0 ? this.nets[this.netCount - 1] : undefined;
  }

  /**
   * Index of the outermost network header that is the first of several IP fragments (more
   * fragments follow, offset 0) and encloses another network header, else -1. What it carries
   * (a tunnel and its inner packet) is cut at the fragment's end: the inner packet is incomplete
   * by design, not malformed.
   */
  firstFragmentNet(before = this.netCount - 1): number {
    for (let k = 0; k < before; k++) {
      const n = this.nets[k];
      if (n.moreFragments && n.fragOffset === 0) return k;
    }
    return -1;
  }

  /** The outermost network header, when the packet is encapsulated (a tunnel was met). */
  get outer(): NetHeader | undefined {
    return this.netCount > 1 ? this.nets[0] : undefined;
  }

  /**
   * Every packet is exactly one of: malformed (a header is invalid), truncated (a header was cut
   * short), skipped (no network header: unsupported link type or ethertype; or an encapsulation
   * whose payload was not opened, named in `notDecoded`), decoded (the rest).
   */
  get status(): PacketStatus {
    if (this.malformed) return 'malformed';
    if (this.truncated) return 'truncated';
    if (this.netCount === 0 || this.notDecoded !== '') return 'skipped';
    return 'decoded';
  }

  /** True when layer code `kind` is in the packet. */
  has(kind: number): boolean {
    for (let i = 0; i < this.layerCount; i++) if (this.layerKind[i] === kind) return true;
    return false;
  }
}
