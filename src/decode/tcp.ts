/**
 * TCP, RFC 9293 (flags: RFC 3168 ECE/CWR, RFC 9768 AE).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sequence Number                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Acknowledgment Number                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data |     |A|C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsv |E|W|C|R|C|S|S|Y|I|            Window             |
 *   |       |     | |R|E|G|K|H|T|N|N|                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (Data Offset > 5)                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Ports, flags, sequence and acknowledgment numbers are kept as soon as the fixed 20 bytes are
 * there; options cut short mark the packet truncated.
 */
import type { Decoder } from './decoder.js';
import { u16, u32 } from './bytes.js';
import { L } from './packet.js';

export function decodeTcp(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.TCP, off)) return;
  const n = c.cur();
  if (n === undefined) return;
  const b = c.b;
  n.l4 = L.TCP;
  n.l4Offset = off;
  if (end - off < 4) {
    c.short(L.TCP, end);
    return;
  }
  n.sport = u16(b, off);
  n.dport = u16(b, off + 2);
  if (end - off < 20) {
    c.short(L.TCP, end);
    return;
  }
  n.seq = u32(b, off + 4);
  n.ack = u32(b, off + 8);
  n.tcpFlags = ((b[off + 12] & 1) << 8) | b[off + 13];
  n.win = u16(b, off + 14);
  n.tcpHeader = true;
  const doff = (b[off + 12] >> 4) * 4;
  if (doff < 20) {
    c.bad(L.TCP, `data offset ${doff} < 20`);
    return;
  }
  n.dataLength = n.l4Length - doff;
  if (n.dataLength < 0) {
    n.dataLength = 0;
    c.bad(L.TCP, `header length ${doff} > segment length ${n.l4Length}`);
    return;
  }
  if (end - off < doff) {
    c.short(L.TCP, end, 'options');
    return;
  }
  c.payload(off + doff, end);
}
