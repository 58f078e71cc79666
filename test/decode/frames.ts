/** Test helpers: real frames out of corpus captures (copied), and synthetic frames. */
import { readCapture } from '../../src/capture/open.js';
import type { Frame } from '../../src/capture/frame.js';

/** Every frame of a capture, with its bytes copied (safe to keep). */
export async function framesOf(path: string): Promise<Frame[]> {
  const frames: Frame[] = [];
  await readCapture(path, {
    frame: (f) => frames.push({ ...f, bytes: f.bytes.slice(), point: { ...f.point } }),
    problem: () => undefined,
  });
  return frames;
}

export function frame(bytes: Uint8Array | number[], linktype = 1, extra: Partial<Frame> = {}): Frame {
  const b = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  return { input: 'synthetic', index: 1, offset: 0, sec: 0, nsec: 0, linktype, bytes: b, wireLength: b.length, point: {}, cutByEof: false, ...extra };
}

export function hex(s: string): number[] {
  const clean = s.replace(/[^0-9a-f]/gi, '');
  const out: number[] = [];
  for (let i = 0; i < clean.length; i += 2) out.push(parseInt(clean.slice(i, i + 2), 16));
  return out;
}

/** A 20-byte IPv4 header (checksum 0) with the given protocol, addresses and total length. */
export function ipv4(proto: number, src: number[], dst: number[], total: number, extra: { id?: number; frag?: number; ttl?: number } = {}): number[] {
  const id = extra.id ?? 0x1234;
  const frag = extra.frag ?? 0;
  return [0x45, 0, total >> 8, total & 255, id >> 8, id & 255, frag >> 8, frag & 255, extra.ttl ?? 64, proto, 0, 0, ...src, ...dst];
}

export function udp(sport: number, dport: number, payloadLength: number): number[] {
  const len = 8 + payloadLength;
  return [sport >> 8, sport & 255, dport >> 8, dport & 255, len >> 8, len & 255, 0, 0];
}

export function eth(type: number): number[] {
  return [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, type >> 8, type & 255];
}

/** ICMP echo request, 8-byte header + `data` bytes. */
export function icmpEcho(id: number, seq: number, data = 8): number[] {
  return [8, 0, 0, 0, id >> 8, id & 255, seq >> 8, seq & 255, ...new Array(data).fill(0x61)];
}
