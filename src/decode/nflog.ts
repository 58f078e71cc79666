/**
 * NFLOG, link type 239: packets logged by Linux netfilter's NFLOG target (`tcpdump -i nflog:N`).
 *
 *   +--------+--------+-----------------+
 *   | family | version|   resource id   |   4 bytes (family: AF_INET 2, AF_INET6 10; id big-endian)
 *   +--------+--------+-----------------+
 *   | TLV length      | TLV type        |   then TLVs: length and type in the capturing host's byte
 *   +-----------------+-----------------+   order (little-endian on x86/arm64), the length counting
 *   | value ... padded to 4 bytes       |   the 4-byte TLV header, each padded to a multiple of 4
 *
 * TLV type 9 (NFULA_PAYLOAD) holds the logged IP packet; the other TLVs (prefix, uid, timestamp,
 * hardware header, ...) are metadata and not decoded. A packet without a payload TLV, or of
 * another family, is named as not decoded.
 */
import type { Decoder } from './decoder.js';
import { L } from './packet.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';

const NFULA_PAYLOAD = 9;
/** TLVs walked per packet at most. */
const MAX_TLVS = 64;

export function decodeNflog(c: Decoder, off: number, end: number): void {
  if (!c.layer(L.NFLOG, off)) return;
  const b = c.b;
  if (end - off < 4) return c.short(L.NFLOG, end);
  const family = b[off];
  // The byte order of the TLVs: the one whose first length fits.
  const le = end - off < 8 || (b[off + 4] | (b[off + 5] << 8)) >= 4;
  let at = off + 4;
  for (let i = 0; i < MAX_TLVS && end - at >= 4; i++) {
    const len = le ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1];
    const type = (le ? b[at + 2] | (b[at + 3] << 8) : (b[at + 2] << 8) | b[at + 3]) & 0x7fff;
    if (len < 4) {
      c.bad(L.NFLOG, `TLV length ${len} < 4`);
      return;
    }
    if (type === NFULA_PAYLOAD) {
      const vEnd = Math.min(end, at + len);
      if (family === 2) decodeIpv4(c, at + 4, vEnd);
      else if (family === 10) decodeIpv6(c, at + 4, vEnd);
      else {
        c.notDecoded(c.named(8, family, () => `NFLOG address family ${family}`));
        c.payload(at + 4, vEnd);
      }
      return;
    }
    at += (len + 3) & ~3;
  }
  c.notDecoded('NFLOG without a payload');
  c.payload(off, end);
}
