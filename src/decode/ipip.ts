/**
 * IP in IP: IPv4 (IP protocol 4, RFC 2003) or IPv6 (protocol 41, RFC 2473 / RFC 4213) carried
 * directly inside an IPv4 or IPv6 header. Nothing sits between the two headers:
 *
 *   +---------------------------+---------------------------+------------
 *   | outer IPv4/IPv6 header    | inner IPv4/IPv6 header    | payload ...
 *   | protocol / next header    |                           |
 *   | = 4 (IPv4) or 41 (IPv6)   |                           |
 *   +---------------------------+---------------------------+------------
 *
 * Recorded as a tunnel of type "ipip" (calico's tunl0, `ip tunnel mode ipip|sit|ip6ip6`).
 */
import type { Decoder } from './decoder.js';
import { TUN_IPIP } from './packet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';

export function decodeIpip4(c: Decoder, off: number, end: number): void {
  const t = c.tunnel(TUN_IPIP);
  if (t === undefined) return;
  t.proto = 4;
  t.layer = c.p.layerCount;
  decodeIpv4(c, off, end);
}

export function decodeIpip6(c: Decoder, off: number, end: number): void {
  const t = c.tunnel(TUN_IPIP);
  if (t === undefined) return;
  t.proto = 41;
  t.layer = c.p.layerCount;
  decodeIpv6(c, off, end);
}
