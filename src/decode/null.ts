/**
 * BSD loopback encapsulation: LINKTYPE_NULL (0, family in the capturing host's byte order) and
 * LINKTYPE_LOOP (108, OpenBSD, network byte order).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |              Address family (AF_ value, 4 bytes)              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html. The byte order is guessed the way
 * libpcap does: family values are small, so a value with its high 16 bits set is the other order.
 * AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD, BSD/OS), 28 (FreeBSD, DragonFly),
 * 30 (macOS) or 10 (Linux).
 */
import type { Decoder } from './decoder.js';
import { L } from './packet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';

export function decodeNull(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.NULL, off)) return;
  if (end - off < 4) {
    c.short(L.NULL, end);
    return;
  }
  const b = c.b;
  let family = (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
  if (family > 0xffff) family = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
  if (family === 2) decodeIpv4(c, off + 4, end);
  else if (family === 24 || family === 28 || family === 30 || family === 10) decodeIpv6(c, off + 4, end);
  else {
    c.p.unknownEthertype = family;
    c.notDecoded(c.named(3, family, () => `NULL address family ${family}`));
    c.payload(off + 4, end);
  }
}
