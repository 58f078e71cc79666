/**
 * Geneve, RFC 8926 (UDP 6081; more with --geneve-port).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |        Virtual Network Identifier (VNI)       |    Reserved   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Variable-Length Options (Opt Len * 4 bytes)|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * O = control (OAM) packet, C = critical options present. The protocol type is an ethertype:
 * 0x6558 (transparent Ethernet bridging) for an inner Ethernet frame, 0x0800/0x86DD for bare IP.
 * Version other than 0 is malformed (RFC 8926 section 3.4: MUST NOT be decoded further).
 */
import type { Decoder } from './decoder.js';
import { u16, u24 } from './bytes.js';
import { L, TUN_GENEVE } from './packet.js';

export function decodeGeneve(c: Decoder, off: number, end: number): void {
  const b = c.b;
  const n = c.cur();
  const viaDport = n !== undefined && c.udpPort === n.dport;
  if (!viaDport && (end - off < 8 || b[off] >> 6 !== 0)) return;
  if (!c.layer(L.GENEVE, off)) return;
  if (end - off < 8) {
    c.short(L.GENEVE, end);
    return;
  }
  const version = b[off] >> 6;
  if (version !== 0) {
    c.bad(L.GENEVE, `version ${version} != 0`);
    return;
  }
  const t = c.tunnel(TUN_GENEVE);
  if (t === undefined) return;
  const optLen = (b[off] & 0x3f) * 4;
  t.flags = b[off + 1] & 0xc0;
  t.proto = u16(b, off + 2);
  t.vni = u24(b, off + 4);
  t.port = c.udpPort;
  if (end - off < 8 + optLen) {
    c.short(L.GENEVE, end, 'options');
    return;
  }
  c.ether(t.proto, off + 8 + optLen, end);
}
