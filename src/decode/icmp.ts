/**
 * ICMP for IPv4, RFC 792 (IP protocol 1).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |    Identifier (echo, timestamp,  |   Sequence Number          |
 *   |    information, mask) / unused or MTU (errors)                |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data: echo payload, or the offending IP header + 8 bytes     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Echo (0/8), timestamp (13/14), information (15/16), address mask (17/18) and RFC 8335 extended
 * echo (42/43) carry an identifier and a sequence number. The quoted header of error messages
 * (unreachable, time exceeded, ...) is not decoded as a layer (it is not a tunnel).
 */
import type { Decoder } from './decoder.js';
import { u16 } from './bytes.js';
import { L } from './packet.js';

function hasIdSeq(t: number): boolean {
  return t === 0 || t === 8 || (t >= 13 && t <= 18) || t === 42 || t === 43;
}

export function decodeIcmp(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.ICMP, off)) return;
  const n = c.cur();
  if (n === undefined) return;
  n.l4 = L.ICMP;
  n.l4Offset = off;
  n.dataLength = n.l4Length;
  if (end - off < 4) {
    c.short(L.ICMP, end);
    return;
  }
  const b = c.b;
  n.icmpType = b[off];
  n.icmpCode = b[off + 1];
  if (hasIdSeq(n.icmpType) || end - off >= 8) {
    if (end - off < 8) {
      c.short(L.ICMP, end);
      return;
    }
    if (hasIdSeq(n.icmpType)) {
      n.icmpId = u16(b, off + 4);
      n.icmpSeq = u16(b, off + 6);
    }
  }
  c.payload(off + 8 <= end ? off + 8 : end, end);
}
