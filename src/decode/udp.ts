/**
 * UDP, RFC 768.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |            Length             |           Checksum            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The payload is dispatched on the destination port, else the source port (tables.ts: VXLAN 4789
 * and 8472, Geneve 6081, plus --vxlan-port/--geneve-port). A length of 0 on a GSO/BIG TCP/jumbo
 * packet (RFC 2675 section 4) means "see the IP length".
 */
import type { Decoder } from './decoder.js';
import { u16 } from './bytes.js';
import { L } from './packet.js';

export function decodeUdp(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.UDP, off)) return;
  const n = c.cur();
  if (n === undefined) return;
  const b = c.b;
  n.l4 = L.UDP;
  n.l4Offset = off;
  if (end - off < 4) {
    c.short(L.UDP, end);
    return;
  }
  n.sport = u16(b, off);
  n.dport = u16(b, off + 2);
  if (end - off < 8) {
    c.short(L.UDP, end);
    return;
  }
  let ulen = u16(b, off + 4);
  n.udpLength = ulen;
  if (ulen === 0 && (n.lengthInferred || n.jumbo || n.l4Length > 0xffff)) {
    ulen = n.l4Length;
  } else if (ulen < 8) {
    c.bad(L.UDP, `length ${ulen} < 8`);
    return;
  } else if (ulen > n.l4Length && !n.lengthInferred && !n.moreFragments) {
    c.bad(L.UDP, `length ${ulen} > IP payload length ${n.l4Length}`);
    ulen = n.l4Length;
  }
  n.dataLength = ulen - 8;
  const dataEnd = off + ulen < end ? off + ulen : end;
  c.payload(off + 8, dataEnd);
  c.udp(n.sport, n.dport, off + 8, dataEnd);
}
