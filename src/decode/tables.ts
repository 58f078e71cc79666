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
import { decodeGre, decodeGreInUdp, decodePpp } from './gre.js';
import { decodeMpls } from './mpls.js';
import { decodeNflog } from './nflog.js';

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
  [239, decodeNflog, 'NFLOG'],
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
  [0x8847, decodeMpls, 'MPLS unicast'],
  [0x8848, decodeMpls, 'MPLS multicast'],
];

/**
 * Names of ethertypes podpath meets but does not open (IEEE registry), for the `notDecoded`
 * counts: what a capture holds that podpath did not decode is named, never silent.
 */
export const ETHERTYPE_NAMES: Readonly<Record<number, string>> = {
  0x0842: 'Wake-on-LAN',
  0x2000: 'CDP',
  0x2001: 'NHRP',
  0x8909: 'Cisco MetaData',
  0x22eb: 'ERSPAN type III',
  0x22f0: 'AVTP',
  0x22f3: 'TRILL',
  0x6002: 'DEC MOP RC',
  0x6003: 'DECnet',
  0x6004: 'DEC LAT',
  0x809b: 'AppleTalk',
  0x80f3: 'AARP',
  0x8137: 'IPX',
  0x8808: 'Ethernet flow control',
  0x8809: 'Slow protocols (LACP)',
  0x880b: 'PPP',
  0x8847: 'MPLS unicast',
  0x8848: 'MPLS multicast',
  0x8863: 'PPPoE discovery',
  0x8864: 'PPPoE session',
  0x886d: 'Intel ANS',
  0x887b: 'HomePlug',
  0x888e: 'EAPOL (802.1X)',
  0x8892: 'PROFINET',
  0x889a: 'HyperSCSI',
  0x88a2: 'ATA over Ethernet',
  0x88a4: 'EtherCAT',
  0x88b5: 'local experimental',
  0x88b6: 'local experimental',
  0x88b7: 'OUI extended',
  0x88be: 'ERSPAN type II',
  0x88cc: 'LLDP',
  0x88cd: 'SERCOS III',
  0x88e1: 'HomePlug AV',
  0x88e3: 'MRP',
  0x88e5: 'MACsec',
  0x88e7: 'PBB (802.1ah)',
  0x88f7: 'PTP',
  0x88fb: 'PRP',
  0x8902: 'CFM (802.1ag)',
  0x8906: 'FCoE',
  0x8914: 'FCoE initialization',
  0x8915: 'RoCE',
  0x891d: 'TTEthernet',
  0x892f: 'HSR',
  0x893a: 'IEEE 1905.1',
  0x894f: 'NSH',
  0x9000: 'loopback (configuration test)',
  0x883e: 'WCCP',
};

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
  [4754, decodeGreInUdp, 'GRE-in-UDP (RFC 8086)'],
  [6635, decodeMpls, 'MPLS-in-UDP (RFC 7510)'],
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
