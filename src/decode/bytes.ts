/** Big-endian readers over a Uint8Array. Callers bounds-check first: these never check. */

export function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u24(b: Uint8Array, o: number): number {
  return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** A 6-byte MAC address as a number (exact: 48 bits fit in a double). */
export function mac48(b: Uint8Array, o: number): number {
  return (((b[o] << 8) | b[o + 1]) * 0x100000000) + u32(b, o + 2);
}

/** Copies `n` bytes (4 or 16) at `o` into `to` as big-endian 32-bit words. */
export function copyAddr(b: Uint8Array, o: number, n: number, to: Uint32Array): void {
  to[0] = u32(b, o);
  if (n === 16) {
    to[1] = u32(b, o + 4);
    to[2] = u32(b, o + 8);
    to[3] = u32(b, o + 12);
  } else {
    to[1] = 0;
    to[2] = 0;
    to[3] = 0;
  }
}

/**
 * FNV-1a-style 32-bit hash of b[from .. min(to, from + max)): 32-bit big-endian words, then the
 * remaining bytes, each xored in and multiplied by the FNV prime (a quarter of the steps of the
 * byte-wise FNV-1a). Empty input gives the FNV offset basis 0x811c9dc5.
 */
export function fnv1a(b: Uint8Array, from: number, to: number, max = 64): number {
  let h = 0x811c9dc5;
  const end = Math.min(to, from + max, b.length);
  let i = from;
  for (; i + 4 <= end; i += 4) {
    h ^= (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
    h = Math.imul(h, 0x01000193);
  }
  for (; i < end; i++) {
    h ^= b[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
