/**
 * ARP, RFC 826 (ethertype 0x0806), and RARP, RFC 903 (0x8035: operations 3 and 4).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |        Hardware type          |        Protocol type          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  HLN (hw len) |  PLN (pr len) |          Operation            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Sender hardware address (HLN) | Sender protocol address (PLN) |
 *   | Target hardware address (HLN) | Target protocol address (PLN) |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The addresses are variable-length: read with HLN and PLN, whatever the hardware type says.
 * The packet's network header gets SPA as `src` and TPA as `dst` (PLN 4 or 16; other lengths keep
 * no addresses). MACs are kept when HLN is 6.
 */
import type { Decoder } from './decoder.js';
import { copyAddr, mac48, u16 } from './bytes.js';
import { L, NET_ARP } from './packet.js';

export function decodeArp(c: Decoder, off: number, end: number): void {
  arp(c, off, end, 0x0806);
}

export function decodeRarp(c: Decoder, off: number, end: number): void {
  arp(c, off, end, 0x8035);
}

function arp(c: Decoder, off: number, end: number, ethertype: number): void {
  if (!c.layer(L.ARP, off)) return;
  if (end - off < 8) {
    c.short(L.ARP, end);
    return;
  }
  const b = c.b;
  const hln = b[off + 4];
  const pln = b[off + 5];
  const need = 8 + 2 * hln + 2 * pln;
  if (end - off < need) {
    c.short(L.ARP, end);
    return;
  }
  const n = c.net(NET_ARP, off);
  if (n === undefined) return;
  n.proto = ethertype;
  n.arpHrd = u16(b, off);
  n.arpHln = hln;
  n.arpOp = u16(b, off + 6);
  n.length = need;
  const sha = off + 8;
  const spa = sha + hln;
  const tha = spa + pln;
  const tpa = tha + hln;
  if (hln === 6) {
    n.arpSha = mac48(b, sha);
    n.arpTha = mac48(b, tha);
  }
  if (pln === 4 || pln === 16) {
    n.addrLength = pln;
    copyAddr(b, spa, pln, n.src);
    copyAddr(b, tpa, pln, n.dst);
  } else {
    n.addrLength = 0;
  }
  c.payload(off + need, end);
}
