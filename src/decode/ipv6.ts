/**
 * IPv6, RFC 8200, with its extension headers, and the jumbo payload option of RFC 2675.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Source Address (16 bytes)                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 Destination Address (16 bytes)                |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers walked here (they are part of the "ipv6" layer):
 *   Hop-by-Hop (0), Routing (43), Destination Options (60):  Next | Hdr Ext Len (8-octet units,
 *     not counting the first 8) | data;
 *   Fragment (44), 8 bytes:  Next | Reserved | Fragment Offset (13 bits) | Res | M | Identification (32).
 * Authentication Header (51) is its own layer ("ah", ah.ts) and continues the walk.
 *
 * A payload length of 0 means a jumbogram: its length is in the Hop-by-Hop jumbo option (0xC2).
 * Linux BIG TCP and GSO packets captured on the sender have payload length 0 and no jumbo option:
 * for TCP, UDP, IP-in-IP and GRE the length is then taken from the captured bytes
 * (`lengthInferred`), like tcpdump master's "[real length N, presumed BIG TCP]"; otherwise the
 * payload is empty (and a header after it is cut short: malformed). Only the first fragment carries the transport header.
 */
import type { Decoder } from './decoder.js';
import { copyAddr, u16, u32 } from './bytes.js';
import { L, NET_IPV6, type NetHeader } from './packet.js';
import { offloadable } from './ipv4.js';

/** Extension headers walked in one IPv6 header (Hop-by-Hop, Routing, Fragment, Destination Options). */
export const MAX_EXTENSION_HEADERS = 16;

export function decodeIpv6(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.IPV6, off)) return;
  const b = c.b;
  if (end - off < 1) {
    c.short(L.IPV6, end);
    return;
  }
  const version = b[off] >> 4;
  if (version !== 6) {
    c.bad(L.IPV6, `version ${version} != 6`);
    return;
  }
  if (end - off < 40) {
    c.short(L.IPV6, end);
    return;
  }
  const n = c.net(NET_IPV6, off);
  if (n === undefined) return;
  n.addrLength = 16;
  copyAddr(b, off + 8, 16, n.src);
  copyAddr(b, off + 24, 16, n.dst);
  n.ttl = b[off + 7];
  const plen = u16(b, off + 4);
  const next = b[off + 6];
  n.proto = next;
  let dataEnd: number;
  if (plen === 0 && next !== 59) {
    // Jumbogram (RFC 2675) or BIG TCP / GSO: look for the jumbo option, else trust the capture.
    const jumbo = next === 0 ? findJumbo(b, off + 40, end) : -1;
    if (jumbo >= 0) {
      n.jumbo = true;
      n.length = 40 + jumbo;
      dataEnd = off + n.length < end ? off + n.length : end;
    } else if (offloadable(next)) {
      n.lengthInferred = true;
      n.length = end - off;
      dataEnd = end;
    } else {
      n.length = 40;
      dataEnd = off + 40;
    }
  } else {
    n.length = 40 + plen;
    dataEnd = off + n.length < end ? off + n.length : end;
    const wire = c.p.wireLength - (b.length - end) - off;
    // Inside the first fragment of an outer packet the rest is in the next fragments.
    if (n.length > wire && c.p.wireLength >= c.p.captureLength && c.p.firstFragmentNet() < 0) {
      c.bad(L.IPV6, `payload length ${plen} > ${wire - 40} bytes on the wire`);
    }
  }
  walkIpv6(c, n, next, off + 40, dataEnd);
}

/**
 * Walks IPv6 extension headers from `at` (next header `next`), then dispatches the upper layer.
 * Shared with AH, which may sit in the chain.
 */
export function walkIpv6(c: Decoder, n: NetHeader, next: number, at: number, end: number): void {
  const b = c.b;
  for (let count = 0; ; count++) {
    const ext = next === 0 || next === 43 || next === 60 || next === 44;
    if (ext && count >= MAX_EXTENSION_HEADERS) {
      // RFC 8200 4.1 allows each at most once (Destination Options twice): a longer chain is
      // malformed, like the headers-per-packet and tunnel bounds (tcpdump walks on regardless).
      c.bad(L.IPV6, `more than ${MAX_EXTENSION_HEADERS} extension headers: not decoded further`);
      n.proto = next;
      return;
    }
    if (next === 0 || next === 43 || next === 60) {
      if (end - at < 8) {
        c.short(L.IPV6, end, 'extension header');
        return;
      }
      const len = (b[at + 1] + 1) * 8;
      if (end - at < len) {
        c.short(L.IPV6, end, 'extension header');
        return;
      }
      next = b[at];
      at += len;
      continue;
    }
    if (next === 44) {
      if (end - at < 8) {
        c.short(L.IPV6, end, 'fragment header');
        return;
      }
      const fo = u16(b, at + 2);
      n.fragOffset = fo & 0xfff8;
      n.moreFragments = (fo & 1) !== 0;
      n.ipId = u32(b, at + 4);
      next = b[at];
      at += 8;
      if (n.fragOffset > 0) {
        n.proto = next;
        n.l4Length = n.offset + n.length - at;
        c.payload(at, end);
        return;
      }
      continue;
    }
    break;
  }
  n.l4Length = n.offset + n.length - at;
  if (n.l4Length < 0) n.l4Length = 0;
  c.ipProto(next, at, end);
}

/** The jumbo payload length in a Hop-by-Hop header at `at`, or -1. */
function findJumbo(b: Uint8Array, at: number, end: number): number {
  if (end - at < 8) return -1;
  const hend = Math.min(end, at + (b[at + 1] + 1) * 8);
  let o = at + 2;
  while (o < hend) {
    const t = b[o];
    if (t === 0) {
      o++;
      continue;
    }
    if (o + 2 > hend) return -1;
    const len = b[o + 1];
    if (t === 0xc2 && len === 4 && o + 6 <= hend) return u32(b, o + 2);
    o += 2 + len;
  }
  return -1;
}
