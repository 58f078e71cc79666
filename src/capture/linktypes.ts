/**
 * Link-layer header types (LINKTYPE_* values as stored in pcap and pcapng files), per
 * https://www.tcpdump.org/linktypes.html and draft-ietf-opsawg-pcaplinktype. Names are printed the
 * way tcpdump prints them ("link-type EN10MB (Ethernet)"); an unknown type is printed as its number.
 *
 * `supported` says whether podpath's decoders read that link layer. A few common unsupported types
 * are listed only so that messages can name them.
 */

export interface LinktypeInfo {
  /** LINKTYPE_ value as found in the file (after masking with 0x0FFFFFFF). */
  value: number;
  /** tcpdump's short name (the DLT_ name without its prefix). */
  name: string;
  /** tcpdump's description, the part in parentheses. */
  description: string;
  /** podpath decodes this link layer. */
  supported: boolean;
}

const TABLE: readonly LinktypeInfo[] = [
  { value: 0, name: 'NULL', description: 'BSD loopback', supported: true },
  { value: 1, name: 'EN10MB', description: 'Ethernet', supported: true },
  // DLT_RAW is 12 on most systems and 14 on OpenBSD; files normally say LINKTYPE_RAW (101).
  { value: 12, name: 'RAW', description: 'Raw IP', supported: true },
  { value: 14, name: 'RAW', description: 'Raw IP', supported: true },
  { value: 101, name: 'RAW', description: 'Raw IP', supported: true },
  { value: 108, name: 'LOOP', description: 'OpenBSD loopback', supported: true },
  { value: 113, name: 'LINUX_SLL', description: 'Linux cooked v1', supported: true },
  { value: 228, name: 'IPV4', description: 'Raw IPv4', supported: true },
  { value: 229, name: 'IPV6', description: 'Raw IPv6', supported: true },
  { value: 276, name: 'LINUX_SLL2', description: 'Linux cooked v2', supported: true },
  // Named for messages only.
  { value: 9, name: 'PPP', description: 'PPP', supported: false },
  { value: 104, name: 'C_HDLC', description: 'Cisco HDLC', supported: false },
  { value: 105, name: 'IEEE802_11', description: '802.11', supported: false },
  { value: 117, name: 'PFLOG', description: 'OpenBSD pflog file', supported: false },
  { value: 127, name: 'IEEE802_11_RADIO', description: '802.11 plus radiotap header', supported: false },
  { value: 239, name: 'NFLOG', description: 'Linux netfilter log messages', supported: true },
  { value: 249, name: 'NETLINK', description: 'Linux netlink', supported: false },
];

/** Link types by LINKTYPE_ value. */
export const LINKTYPES: ReadonlyMap<number, LinktypeInfo> = new Map(TABLE.map((t) => [t.value, t]));

/** The LINKTYPE_ values podpath's decoders read. */
export const SUPPORTED_LINKTYPES: readonly number[] = TABLE.filter((t) => t.supported).map((t) => t.value);

export function isSupportedLinktype(n: number): boolean {
  return LINKTYPES.get(n)?.supported === true;
}

/** "EN10MB (Ethernet)", or the bare number for a type tcpdump does not name (as tcpdump prints it). */
export function linktypeName(n: number): string {
  const t = LINKTYPES.get(n);
  return t ? `${t.name} (${t.description})` : String(n);
}
