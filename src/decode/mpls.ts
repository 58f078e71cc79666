/**
 * MPLS label stack, RFC 3032: ethertype 0x8847 (unicast) / 0x8848 (multicast), also carried in GRE
 * (RFC 4023, same protocol types) and in UDP port 6635 (RFC 7510).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                Label                  | TC  |S|      TTL      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Entries repeat until one has S (bottom of stack) set; the stack is one "mpls" layer. What follows
 * has no type field: label 0 is IPv4 and label 2 IPv6 (explicit null), otherwise the first nibble
 * tells IPv4 (4) from IPv6 (6); 0 is the pseudowire control word of RFC 4448 followed by an
 * Ethernet frame. Anything else is named as not decoded.
 */
import type { Decoder } from './decoder.js';
import { L } from './packet.js';
import { decodeEthernet } from './ethernet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';

/** More label entries than this is not a label stack. */
const MAX_LABELS = 16;

export function decodeMpls(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.MPLS, off)) return;
  const b = c.b;
  let at = off;
  let label = -1;
  for (let i = 0; ; i++) {
    if (i >= MAX_LABELS) {
      c.bad(L.MPLS, `more than ${MAX_LABELS} labels without the bottom of stack`);
      return;
    }
    if (end - at < 4) return c.short(L.MPLS, end, 'label stack');
    label = (b[at] << 12) | (b[at + 1] << 4) | (b[at + 2] >> 4);
    const bottom = (b[at + 2] & 1) === 1;
    at += 4;
    if (bottom) break;
  }
  if (at >= end) return c.short(L.MPLS, end, 'payload after the label stack');
  const nibble = b[at] >> 4;
  if (label === 0 || (label !== 2 && nibble === 4)) decodeIpv4(c, at, end);
  else if (label === 2 || nibble === 6) decodeIpv6(c, at, end);
  else if (nibble === 0 && end - at >= 4 + 14) decodeEthernet(c, at + 4, end);
  else {
    c.notDecoded('MPLS payload (no IP or pseudowire)');
    c.payload(at, end);
  }
}
