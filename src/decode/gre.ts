/**
 * GRE, RFC 2784 with the key and sequence number of RFC 2890 (version 0), the routing of
 * RFC 1701, and PPTP's enhanced GRE, RFC 2637 (version 1).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      Checksum (C or R)        |       Offset (C or R)         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |            Key (K)  -- v1: Payload Length | Call ID           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Sequence Number (S)                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |       v1 only: Acknowledgment Number (A)                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  v0 with R: Source Route Entries (AF 2 | offset 1 | len 1 | len bytes), ending with len 0
 *
 * The protocol type is an ethertype: 0x6558 transparent Ethernet bridging (gretap, NVGRE) leads to
 * an inner Ethernet frame, 0x0800/0x86DD to IP. Version 1 carries PPP (0x880B): the PPP header
 * (optional FF 03 address/control, 1- or 2-byte protocol; 0x21 IPv4, 0x57 IPv6) is a "ppp" layer.
 * ERSPAN (0x88BE types I/II, 0x22EB type III) is opened by erspan.ts; MPLS (0x8847/0x8848) by mpls.ts.
 * Keep-alives (protocol 0) stop at the GRE layer; WCCP (0x883E) and others are named as not decoded.
 */
import type { Decoder } from './decoder.js';
import { u16, u32 } from './bytes.js';
import { L, TUN_GRE } from './packet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeErspan1, decodeErspan2, decodeErspan3 } from './erspan.js';

export function decodeGre(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.GRE, off)) return;
  const n = c.cur();
  if (n !== undefined) {
    n.l4 = L.GRE;
    n.l4Offset = off;
  }
  greBody(c, off, end);
}

/** GRE-in-UDP, RFC 8086 (UDP port 4754): a GRE header as the UDP payload (UDP stays the transport). */
export function decodeGreInUdp(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.GRE, off)) return;
  greBody(c, off, end);
}

/** The GRE header at `off` (its layer already pushed) and what it carries. */
function greBody(c: Decoder, off: number, end: number): void {
  if (end - off < 4) {
    c.short(L.GRE, end);
    return;
  }
  const b = c.b;
  const flags = u16(b, off);
  const version = flags & 7;
  const proto = u16(b, off + 2);
  if (version > 1) {
    c.bad(L.GRE, `version ${version} (only 0 and 1 exist)`);
    return;
  }
  const t = c.tunnel(TUN_GRE);
  if (t === undefined) return;
  t.flags = version;
  t.proto = proto;
  let at = off + 4;
  if (version === 0) {
    if (flags & 0xc000) at += 4; // checksum + offset (present if C or R)
    if (flags & 0x2000) {
      if (end - at < 4) return c.short(L.GRE, end);
      t.key = u32(b, at);
      at += 4;
    }
    if (flags & 0x1000) at += 4;
    if (flags & 0x4000) {
      // RFC 1701 source route entries, up to a NULL entry (length 0).
      for (let guard = 0; ; guard++) {
        if (end - at < 4 || guard > 64) return c.short(L.GRE, end, 'routing');
        const len = b[at + 3];
        at += 4 + len;
        if (len === 0) break;
      }
    }
  } else {
    if (!(flags & 0x2000)) {
      c.bad(L.GRE, 'version 1 without the key (call ID) field');
      return;
    }
    if (end - at < 4) return c.short(L.GRE, end);
    t.key = u16(b, at + 2); // call ID
    at += 4;
    if (flags & 0x1000) at += 4;
    if (flags & 0x0080) at += 4;
  }
  if (at > end) {
    c.short(L.GRE, end);
    return;
  }
  if (proto === 0x880b) {
    decodePpp(c, at, end);
    return;
  }
  if (proto === 0) {
    c.payload(at, end); // keep-alive
    return;
  }
  if (proto === 0x88be) {
    // ERSPAN type II has a sequence number in GRE; type I has none and no ERSPAN header.
    if (version === 0 && flags & 0x1000) decodeErspan2(c, at, end);
    else decodeErspan1(c, at, end);
    return;
  }
  if (proto === 0x22eb) {
    decodeErspan3(c, at, end);
    return;
  }
  c.ether(proto, at, end);
}

/**
 * PPP, RFC 1661 framing without HDLC flags/FCS (RFC 1662 address/control FF 03 optional): inside
 * GRE version 1, and for link types PPP (9) and PPP_HDLC (50).
 */
export function decodePpp(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.PPP, off)) return;
  const b = c.b;
  let at = off;
  if (end - at >= 2 && b[at] === 0xff && b[at + 1] === 0x03) at += 2;
  if (end - at < 1) {
    c.short(L.PPP, end);
    return;
  }
  let proto: number;
  if (b[at] & 1) {
    proto = b[at]; // protocol field compression
    at += 1;
  } else {
    if (end - at < 2) {
      c.short(L.PPP, end);
      return;
    }
    proto = u16(b, at);
    at += 2;
  }
  if (proto === 0x21) decodeIpv4(c, at, end);
  else if (proto === 0x57) decodeIpv6(c, at, end);
  else {
    c.notDecoded(c.named(10, proto, () => `PPP protocol 0x${proto.toString(16).padStart(4, '0')}`));
    c.payload(at, end);
  }
}
