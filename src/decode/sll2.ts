/**
 * Linux "cooked" capture v2, LINKTYPE_LINUX_SLL2 (276): `tcpdump -i any` from libpcap 1.10 on.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |        Protocol type          |       Reserved (MBZ)          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Interface index                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |        ARPHRD_ type           |  Packet type  | Addr. length  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Link-layer address (8 bytes, zero padded)           |
 *   +                                                               +
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html. The interface index (the kernel's
 * ifindex, as `ip link` numbers interfaces) and the packet type (direction) go to the packet's
 * capture point.
 */
import type { Decoder } from './decoder.js';
import { u16, u32 } from './bytes.js';
import { L } from './packet.js';
import { SLL_PACKET_TYPE_DIRECTION, sllNext } from './sll.js';

export function decodeSll2(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.SLL2, off)) return;
  if (end - off < 20) {
    c.short(L.SLL2, end);
    return;
  }
  const b = c.b;
  const p = c.p;
  const proto = u16(b, off);
  const ifindex = u32(b, off + 4);
  if (p.ifindex < 0) p.ifindex = ifindex;
  const hatype = u16(b, off + 8);
  const pkttype = b[off + 10];
  if (p.direction === 0 && pkttype < SLL_PACKET_TYPE_DIRECTION.length) {
    p.direction = SLL_PACKET_TYPE_DIRECTION[pkttype];
  }
  sllNext(c, hatype, proto, off + 20, end);
}
