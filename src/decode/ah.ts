/**
 * IP Authentication Header, RFC 4302 (IPv4 protocol 51, and an IPv6 extension header).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Next Header   |  Payload Len  |          RESERVED             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 Security Parameters Index (SPI)               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Sequence Number Field                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                Integrity Check Value (variable)               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Length = (Payload Len + 2) * 4 bytes. AH authenticates but does not encrypt: what follows is
 * decoded (in IPv6, through the rest of the extension header chain).
 *
 * ESP, RFC 4303 (protocol 50): SPI (4) | Sequence (4) | encrypted payload. Only the layer is kept.
 */
import type { Decoder } from './decoder.js';
import { L, NET_IPV6 } from './packet.js';
import { walkIpv6 } from './ipv6.js';

export function decodeAh(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.AH, off)) return;
  if (end - off < 12) {
    c.short(L.AH, end);
    return;
  }
  const b = c.b;
  const len = (b[off + 1] + 2) * 4;
  if (end - off < len) {
    c.short(L.AH, end);
    return;
  }
  const next = b[off];
  const n = c.cur();
  if (n === undefined) return;
  n.l4Length -= len;
  if (n.kind === NET_IPV6) walkIpv6(c, n, next, off + len, end);
  else c.ipProto(next, off + len, end);
}

export function decodeEsp(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.ESP, off)) return;
  if (end - off < 8) {
    c.short(L.ESP, end);
    return;
  }
  c.payload(off + 8, end);
}
