/**
 * Raw IP link types: LINKTYPE_RAW (101; also the old DLT_RAW values 12 and 14), where the IP
 * version nibble tells IPv4 from IPv6, and LINKTYPE_IPV4 (228) / LINKTYPE_IPV6 (229), where the
 * link type says it and a packet of the other version is malformed.
 *
 *    0 1 2 3 4 5 6 7
 *   +-+-+-+-+-+-+-+-+
 *   |Version|  ...  |   first byte of the IP header (RFC 791 / RFC 8200)
 *   +-+-+-+-+-+-+-+-+
 *
 * https://www.tcpdump.org/linktypes.html
 */
import type { Decoder } from './decoder.js';
import { L } from './packet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';

export function decodeRaw(c: Decoder, off: number, end: number): void {
  if (end - off < 1) {
    c.layer(L.IPV4, off);
    c.short(L.IPV4, end);
    return;
  }
  const v = c.b[off] >> 4;
  if (v === 6) decodeIpv6(c, off, end);
  else decodeIpv4(c, off, end); // a version other than 4 or 6 is reported by the IPv4 decoder
}
