/**
 * IPv4, RFC 791 (fragmentation), RFC 2474 (DS field).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |    DS/ECN     |          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |0|D|M|     Fragment Offset     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (IHL > 5) and padding              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Only the first fragment (offset 0) carries the transport header; later fragments stop at IP.
 * A total length of 0 is what Linux GSO/TSO and BIG TCP (> 64 KiB) packets captured on the sending
 * host carry: for the protocols those offloads exist for (TCP, UDP, and the tunnels IP-in-IP and
 * GRE) the length is then taken from the captured bytes (`lengthInferred`), like tcpdump master's
 * "[was 0, presumed BIG TCP]"; for any other protocol it is invalid.
 */
import type { Decoder } from './decoder.js';
import { u16 } from './bytes.js';
import { L, NET_IPV4 } from './packet.js';

export function decodeIpv4(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.IPV4, off)) return;
  const b = c.b;
  if (end - off < 1) {
    c.short(L.IPV4, end);
    return;
  }
  const version = b[off] >> 4;
  if (version !== 4) {
    c.bad(L.IPV4, `version ${version} != 4`);
    return;
  }
  if (end - off < 20) {
    c.short(L.IPV4, end);
    return;
  }
  const n = c.net(NET_IPV4, off);
  if (n === undefined) return;
  const ihl = (b[off] & 0x0f) * 4;
  const total = u16(b, off + 2);
  const frag = u16(b, off + 6);
  n.addrLength = 4;
  n.src[0] = ((b[off + 12] << 24) | (b[off + 13] << 16) | (b[off + 14] << 8) | b[off + 15]) >>> 0;
  n.dst[0] = ((b[off + 16] << 24) | (b[off + 17] << 16) | (b[off + 18] << 8) | b[off + 19]) >>> 0;
  n.ipId = u16(b, off + 4);
  n.dontFragment = (frag & 0x4000) !== 0;
  n.moreFragments = (frag & 0x2000) !== 0;
  n.fragOffset = (frag & 0x1fff) * 8;
  n.ttl = b[off + 8];
  n.proto = b[off + 9];
  if (ihl < 20) {
    c.bad(L.IPV4, `header length ${ihl} < 20`);
    return;
  }
  let dataEnd: number;
  if (total === 0 && offloadable(n.proto)) {
    n.lengthInferred = true;
    n.length = end - off;
    dataEnd = end;
  } else {
    if (total < ihl) {
      n.length = total;
      c.bad(L.IPV4, `total length ${total} < header length ${ihl}`);
      return;
    }
    n.length = total;
    dataEnd = off + total < end ? off + total : end;
    // More than the frame carried on the wire: the length field lies (tcpdump: "(invalid)").
    const wire = c.p.wireLength - (c.b.length - end) - off;
    // Inside the first fragment of an outer packet the rest is in the next fragments.
    if (total > wire && c.p.wireLength >= c.p.captureLength && c.p.firstFragmentNet() < 0) {
      c.bad(L.IPV4, `total length ${total} > ${wire} bytes on the wire`);
    }
  }
  if (off + ihl > dataEnd) {
    c.short(L.IPV4, dataEnd, 'options');
    return;
  }
  n.l4Length = n.length - ihl;
  if (n.fragOffset > 0) {
    // A later fragment: its bytes continue a transport segment whose header is elsewhere.
    c.payload(off + ihl, dataEnd);
    return;
  }
  c.ipProto(n.proto, off + ihl, dataEnd);
}


/** Protocols Linux segmentation offloads (TSO, GSO, BIG TCP) produce oversized packets of. */
export function offloadable(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 4 || proto === 41 || proto === 47;
}
