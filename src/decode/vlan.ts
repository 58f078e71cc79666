/**
 * IEEE 802.1Q VLAN tag (TPID 0x8100) and 802.1ad QinQ service tag (TPID 0x88A8; also the legacy
 * 0x9100/0x9200 stacking TPIDs). The TPID is the ethertype that led here; what follows it:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | PCP |D|        VLAN ID        |     EtherType of the payload  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * IEEE 802.1Q-2018 section 9. Tags stack (QinQ): each is one "vlan" layer; the packet keeps the
 * outermost VLAN id.
 */
import type { Decoder } from './decoder.js';
import { u16 } from './bytes.js';
import { L } from './packet.js';
import { decodeLlc } from './ethernet.js';

export function decodeVlan(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.VLAN, off)) return;
  if (end - off < 4) {
    c.short(L.VLAN, end);
    return;
  }
  const b = c.b;
  if (c.p.vlan < 0) c.p.vlan = u16(b, off) & 0x0fff;
  const type = u16(b, off + 2);
  if (type >= 0x0600) c.ether(type, off + 4, end);
  else decodeLlc(c, off + 4, Math.min(end, off + 4 + type));
}
