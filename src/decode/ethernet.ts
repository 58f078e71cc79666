/**
 * Ethernet II / IEEE 802.3 (with 802.2 LLC and SNAP).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  Destination MAC (6 bytes)                    |
 *   +                               +-------------------------------+
 *   |                               |                               |
 *   +-------------------------------+     Source MAC (6 bytes)      +
 *   |                                                               |
 *   +-------------------------------+-------------------------------+
 *   |  EtherType (>= 0x0600) or     |
 *   |  802.3 length (<= 1500)       |  then, for 802.3: LLC DSAP SSAP Control,
 *   +-------------------------------+  and SNAP (AA AA 03): OUI (3) + EtherType (2)
 *
 * IEEE 802.3, RFC 894 (IP over Ethernet), RFC 1042 (SNAP). The frame check sequence is not in
 * Linux captures and is not looked for. Used for link type 1 (EN10MB) and for the inner frames of
 * VXLAN, Geneve and GRE transparent Ethernet bridging (0x6558).
 */
import type { Decoder } from './decoder.js';
import { mac48, u16 } from './bytes.js';
import { L } from './packet.js';

export function decodeEthernet(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.ETH, off)) return;
  if (end - off < 14) {
    c.short(L.ETH, end);
    return;
  }
  const b = c.b;
  const p = c.p;
  p.macDst = mac48(b, off);
  p.macSrc = mac48(b, off + 6);
  const type = u16(b, off + 12);
  if (type >= 0x0600) {
    c.ether(type, off + 14, end);
    return;
  }
  // 802.3: `type` is the length of the LLC frame that follows (the rest is padding).
  const llcEnd = Math.min(end, off + 14 + type);
  decodeLlc(c, off + 14, llcEnd);
}

/** 802.2 LLC, and SNAP when DSAP = SSAP = 0xAA, control 0x03. */
export function decodeLlc(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.LLC, off)) return;
  if (end - off < 3) {
    c.short(L.LLC, end);
    return;
  }
  const b = c.b;
  if (b[off] === 0xaa && b[off + 1] === 0xaa && b[off + 2] === 0x03) {
    if (end - off < 8) {
      c.short(L.LLC, end);
      return;
    }
    // OUI 00-00-00 (RFC 1042) and 00-00-F8 (802.1H bridge tunnel): the PID is an ethertype.
    const oui = (b[off + 3] << 16) | (b[off + 4] << 8) | b[off + 5];
    if (oui === 0 || oui === 0xf8) {
      c.ether(u16(b, off + 6), off + 8, end);
      return;
    }
    c.notDecoded(c.named(5, oui, () => `802.2 SNAP OUI 0x${oui.toString(16).padStart(6, '0')}${oui === 0x00000c ? ' (Cisco: CDP, VTP, PVST)' : ''}`));
    c.payload(off + 8, end);
    return;
  }
  // Other LLC (STP, IPX, NetBIOS ...): not decoded, named by its DSAP.
  const dsap = b[off];
  c.notDecoded(c.named(9, dsap, () => `802.2 LLC DSAP 0x${dsap.toString(16).padStart(2, '0')}${LLC_SAPS[dsap] ? ' ' + LLC_SAPS[dsap] : ''}`));
  c.payload(off + 3, end);
}

/** Names of the LLC service access points podpath meets (IEEE 802.2). */
const LLC_SAPS: Readonly<Record<number, string>> = {
  0x42: 'STP',
  0xe0: 'IPX',
  0xf0: 'NetBIOS',
  0xfe: 'OSI (IS-IS, CLNP)',
  0x06: 'IP',
  0x98: 'ARP',
  0xbc: 'Banyan VINES',
  0x04: 'SNA',
  0xaa: 'SNAP',
  0x80: 'XNS',
};
