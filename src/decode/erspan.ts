/**
 * ERSPAN, the mirrored-frame encapsulation carried in GRE (draft-foschiano-erspan-03).
 *
 * Type I (GRE protocol 0x88BE, no GRE sequence number): no ERSPAN header, the mirrored Ethernet
 * frame follows GRE directly.
 *
 * Type II (GRE protocol 0x88BE with the GRE sequence number), 8 bytes:
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Ver  |          VLAN         | COS | En|T|    Session ID     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      Reserved         |                 Index                 |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Type III (GRE protocol 0x22EB), 12 bytes, then an 8-byte platform-specific subheader when O is set:
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Ver  |          VLAN         | COS |BSO|T|    Session ID     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                          Timestamp                            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |             SGT               |P|    FT   |   Hw ID   |D|Gra|O|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * FT (frame type) 0 is Ethernet, 2 is IP (the version nibble tells IPv4 from IPv6).
 * Version 1 is type II, 2 is type III; another version is named as not decoded.
 */
import type { Decoder } from './decoder.js';
import { L } from './packet.js';
import { decodeEthernet } from './ethernet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';

export function decodeErspan1(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.ERSPAN, off)) return;
  decodeEthernet(c, off, end);
}

export function decodeErspan2(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.ERSPAN, off)) return;
  if (end - off < 8) return c.short(L.ERSPAN, end);
  const ver = c.b[off] >> 4;
  if (ver !== 1) {
    c.notDecoded(c.named(6, ver, () => `ERSPAN version ${ver}`));
    c.payload(off, end);
    return;
  }
  decodeEthernet(c, off + 8, end);
}

export function decodeErspan3(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.ERSPAN, off)) return;
  if (end - off < 12) return c.short(L.ERSPAN, end);
  const b = c.b;
  const ver = b[off] >> 4;
  if (ver !== 2) {
    c.notDecoded(c.named(6, ver, () => `ERSPAN version ${ver}`));
    c.payload(off, end);
    return;
  }
  const ft = (b[off + 10] >> 2) & 0x1f;
  let at = off + 12;
  if (b[off + 11] & 1) at += 8; // platform-specific subheader
  if (at > end) return c.short(L.ERSPAN, end);
  if (ft === 0) decodeEthernet(c, at, end);
  else if (ft === 2 && at < end && b[at] >> 4 === 4) decodeIpv4(c, at, end);
  else if (ft === 2 && at < end && b[at] >> 4 === 6) decodeIpv6(c, at, end);
  else {
    c.notDecoded(c.named(7, ft, () => `ERSPAN type III frame type ${ft}`));
    c.payload(at, end);
  }
}
