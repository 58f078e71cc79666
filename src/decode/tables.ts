/**
 * The dispatch tables, as data: which decoder follows which link type, ethertype, IP protocol and
 * UDP port. A Decoder copies them at construction (so --vxlan-port/--geneve-port extend one
 * decoder's UDP table without touching these).
 */
import type { Decoder } from './decoder.js';
import { decodeEthernet } from './ethernet.js';
import { decodeVlan } from './vlan.js';
import { decodeSll } from './sll.js';
import { decodeSll2 } from './sll2.js';
import { decodeNull } from './null.js';
import { decodeRaw } from './raw.js';
import { decodeArp, decodeRarp } from './arp.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeAh, decodeEsp } from './ah.js';
import { decodeIcmp } from './icmp.js';
import { decodeIcmp6 } from './icmp6.js';
import { decodeTcp } from './tcp.js';
import { decodeUdp } from './udp.js';
import { decodeVxlan } from './vxlan.js';
import { decodeGeneve } from './geneve.js';
import { decodeIpip4, decodeIpip6 } from './ipip.js';
import { decodeGre, decodePpp } from './gre.js';

/** A layer decoder: decodes the header at `off`, whose bytes end at `end`, then what follows. */
export type LayerDecoder = (c: Decoder, off: number, end: number) => void;

/** LINKTYPE_* values (https://www.tcpdump.org/linktypes.html). */
export const LINKTYPE_DECODERS: readonly (readonly [number, LayerDecoder, string])[] = [
  [0, decodeNull, 'NULL'],
  [1, decodeEthernet, 'EN10MB'],
  [9, decodePpp, 'PPP'],
  [12, decodeRaw, 'RAW (OpenBSD/old DLT_RAW)'],
  [14, decodeRaw, 'RAW (BSD/OS DLT_RAW)'],
  [50, decodePpp, 'PPP_HDLC'],
  [101, decodeRaw, 'RAW'],
  [108, decodeNull, 'LOOP'],
  [113, decodeSll, 'LINUX_SLL'],
  [228, decodeIpv4, 'IPV4'],
  [229, decodeIpv6, 'IPV6'],
  [276, decodeSll2, 'LINUX_SLL2'],
];

/** Ethertypes (IEEE registry); also GRE's and Geneve's protocol type field. */
export const ETHERTYPE_DECODERS: readonly (readonly [number, LayerDecoder, string])[] = [
  [0x0800, decodeIpv4, 'IPv4'],
  [0x0806, decodeArp, 'ARP'],
  [0x8035, decodeRarp, 'RARP'],
  [0x86dd, decodeIpv6, 'IPv6'],
  [0x8100, decodeVlan, '802.1Q'],
  [0x88a8, decodeVlan, '802.1ad'],
  [0x9100, decodeVlan, 'QinQ (legacy)'],
  [0x9200, decodeVlan, 'QinQ (legacy)'],
  [0x6558, decodeEthernet, 'Transparent Ethernet Bridging'],
];

/** IP protocol numbers (IANA), IPv4 protocol / IPv6 next header after extension headers. */
export const IP_PROTOCOL_DECODERS: readonly (readonly [number, LayerDecoder, string])[] = [
  [1, decodeIcmp, 'ICMP'],
  [4, decodeIpip4, 'IPv4 (IP-in-IP)'],
  [6, decodeTcp, 'TCP'],
  [17, decodeUdp, 'UDP'],
  [41, decodeIpip6, 'IPv6 (IP-in-IP)'],
  [47, decodeGre, 'GRE'],
  [50, decodeEsp, 'ESP'],
  [51, decodeAh, 'AH'],
  [58, decodeIcmp6, 'ICMPv6'],
];

/** UDP ports whose payload is a tunnel header (destination port first, then source port). */
export const UDP_PORT_DECODERS: readonly (readonly [number, LayerDecoder, string])[] = [
  [4789, decodeVxlan, 'VXLAN (IANA)'],
  [8472, decodeVxlan, 'VXLAN (Linux default, flannel)'],
  [6081, decodeGeneve, 'Geneve'],
];

export type UdpTunnelKind = 'vxlan' | 'geneve';

/** Decoders that --vxlan-port / --geneve-port attach to more UDP ports. */
export const UDP_TUNNELS: Readonly<Record<UdpTunnelKind, LayerDecoder>> = {
  vxlan: decodeVxlan,
  geneve: decodeGeneve,
};

/** Names of IP protocols in summaries (`proto`); others print as "ip-proto-N". */
export const IP_PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  1: 'icmp',
  2: 'igmp',
  4: 'ipip',
  6: 'tcp',
  17: 'udp',
  41: 'ipv6',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'icmp6',
  89: 'ospf',
  103: 'pim',
  112: 'vrrp',
  132: 'sctp',
};

export function ipProtocolName(proto: number): string {
  return IP_PROTOCOL_NAMES[proto] ?? `ip-proto-${proto}`;
}
