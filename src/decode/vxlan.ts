/**
 * VXLAN, RFC 7348 (UDP 4789; Linux's and flannel's default 8472; more with --vxlan-port).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |            Inner Ethernet frame (no FCS) ...                  |
 *
 * The I flag (0x08) says the VNI is valid and MUST be set: a frame without it on a VXLAN
 * destination port is decoded anyway, with a problem. When only the source port is a VXLAN port
 * (the destination is some other service), a frame without the I flag is taken for plain UDP.
 * UDP 8472 is also Cisco OTV's port: tcpdump 4.99 prints it as OTV (same header layout).
 */
import type { Decoder } from './decoder.js';
import { u24 } from './bytes.js';
import { L, TUN_VXLAN } from './packet.js';
import { decodeEthernet } from './ethernet.js';

export function decodeVxlan(c: Decoder, off: number, end: number): void {
  const b = c.b;
  const n = c.cur();
  const viaDport = n !== undefined && c.udpPort === n.dport;
  if (!viaDport && (end - off < 8 || (b[off] & 0x08) === 0)) return;
  if (!c.layer(L.VXLAN, off)) return;
  if (end - off < 8) {
    c.short(L.VXLAN, end);
    return;
  }
  const t = c.tunnel(TUN_VXLAN);
  if (t === undefined) return;
  t.flags = b[off];
  t.vni = u24(b, off + 4);
  t.port = c.udpPort;
  if ((b[off] & 0x08) === 0) c.bad(L.VXLAN, `I flag not set (flags 0x${b[off].toString(16).padStart(2, '0')})`);
  decodeEthernet(c, off + 8, end);
}
