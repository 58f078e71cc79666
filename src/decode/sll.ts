/**
 * Linux "cooked" capture v1, LINKTYPE_LINUX_SLL (113): what `tcpdump -i any` writes.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Packet type          |        ARPHRD_ type           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Link-layer address length    |                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *   |           Link-layer address (8 bytes, zero padded)           |
 *   +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                               |        Protocol type          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html. Packet type: 0 to us, 1 broadcast,
 * 2 multicast, 3 to another host, 4 sent by us (PACKET_* in linux/if_packet.h). The protocol type
 * is an ethertype, except 1 (Novell 802.3), 4 (802.2 LLC frame) and, for ARPHRD_NETLINK, netlink.
 */
import type { Decoder } from './decoder.js';
import { u16 } from './bytes.js';
import { L } from './packet.js';
import { decodeLlc } from './ethernet.js';

/** Linux PACKET_* packet types -> direction codes (packet.ts DIRECTIONS). */
export const SLL_PACKET_TYPE_DIRECTION: readonly number[] = [1, 3, 4, 5, 2, 6];

const ARPHRD_NETLINK = 824;

export function decodeSll(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.SLL, off)) return;
  if (end - off < 16) {
    c.short(L.SLL, end);
    return;
  }
  const b = c.b;
  const pkttype = u16(b, off);
  if (c.p.direction === 0 && pkttype < SLL_PACKET_TYPE_DIRECTION.length) {
    c.p.direction = SLL_PACKET_TYPE_DIRECTION[pkttype];
  }
  const hatype = u16(b, off + 2);
  const proto = u16(b, off + 14);
  sllNext(c, hatype, proto, off + 16, end);
}

/** What follows an SLL/SLL2 header: shared by both versions. */
export function sllNext(c: Decoder, hatype: number, proto: number, off: number, end: number): void {
  if (hatype === ARPHRD_NETLINK) {
    c.p.unknownEthertype = proto;
    c.notDecoded(c.named(4, proto, () => `netlink (protocol ${proto})`));
    c.payload(off, end);
    return;
  }
  if (proto === 0x0004) {
    decodeLlc(c, off, end);
    return;
  }
  c.ether(proto, off, end);
}
