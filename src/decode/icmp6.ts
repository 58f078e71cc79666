/**
 * ICMPv6, RFC 4443 (IPv6 next header 58), with neighbor discovery, RFC 4861.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Identifier (echo 128/129)   |   Sequence Number             |
 *   |   or Reserved / flags (ND), MTU (packet too big), pointer ... |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Target Address (16 bytes: neighbor solicitation 135,        |
 *   |   advertisement 136, redirect 137)                            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import type { Decoder } from './decoder.js';
import { copyAddr, u16 } from './bytes.js';
import { L } from './packet.js';

export function decodeIcmp6(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.ICMP6, off)) return;
  const n = c.cur();
  if (n === undefined) return;
  n.l4 = L.ICMP6;
  n.l4Offset = off;
  n.dataLength = n.l4Length;
  if (end - off < 4) {
    c.short(L.ICMP6, end);
    return;
  }
  const b = c.b;
  const t = b[off];
  n.icmpType = t;
  n.icmpCode = b[off + 1];
  let hdr = 8;
  if (t === 128 || t === 129) {
    if (end - off < 8) {
      c.short(L.ICMP6, end);
      return;
    }
    n.icmpId = u16(b, off + 4);
    n.icmpSeq = u16(b, off + 6);
  } else if (t === 135 || t === 136 || t === 137) {
    if (end - off < 24) {
      c.short(L.ICMP6, end);
      return;
    }
    copyAddr(b, off + 8, 16, n.ndTarget);
    n.hasNdTarget = true;
    hdr = 24;
  }
  c.payload(off + hdr <= end ? off + hdr : end, end);
}
