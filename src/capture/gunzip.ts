/**
 * A streaming gunzip that keeps what it decompressed when the gzip data goes wrong.
 *
 * node:zlib's Gunzip drops the output of the write in which it meets an error: a bad CRC at the
 * very end, or garbage after a complete member (which `gzip -t` only warns about), cost up to a
 * whole output buffer (a megabyte of packets) and turned a good capture into a "cut" one. Here the
 * gzip framing (RFC 1952 header, CRC-32 and ISIZE trailer, several members one after another) is
 * read in JavaScript and only the deflate data goes through zlib (InflateRaw), fed in small pieces.
 * Every decompressed byte is delivered before the problem is reported; a problem carries the
 * offset in the compressed file. docs/robustness.md.
 */
import * as zlib from 'node:zlib';
import { constants as zc, createInflateRaw, inflateRawSync, type InflateRaw } from 'node:zlib';

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

export interface GunzipProblem {
  /** 'warning': the data was read whole (trailing garbage); 'error': some of it is lost. */
  severity: 'error' | 'warning';
  message: string;
  /** Offset in the compressed input where the problem is. */
  offset: number;
}

let table: Uint32Array | undefined;
/** CRC-32 (the gzip one): zlib's when this Node has it (20.15+), else a table. */
export function crc32(data: Uint8Array, crc = 0): number {
  if (typeof zlibCrc32 === 'function') return zlibCrc32(data, crc);
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

/**
 * The length of the gzip member header at the start of `b`, 0 when more bytes are needed
 * (and `b` is not yet known to be wrong), or the reason it is not a gzip header.
 */
function headerLength(b: Buffer, final: boolean): number | string {
  if (b.length < 10) return final ? 'gzip header cut short' : 0;
  if (b[0] !== 0x1f || b[1] !== 0x8b) return 'not gzip data';
  if (b[2] !== 8) return `unknown gzip compression method ${b[2]}`;
  const flags = b[3];
  if (flags & 0xe0) return 'reserved gzip header flags set';
  let at = 10;
  if (flags & FEXTRA) {
    if (b.length < at + 2) return final ? 'gzip header cut short' : 0;
    at += 2 + b.readUInt16LE(at);
  }
  for (const f of [FNAME, FCOMMENT]) {
    if (!(flags & f)) continue;
    if (at > b.length) return final ? 'gzip header cut short' : 0;
    const nul = b.indexOf(0, at);
    if (nul === -1) return final || b.length > 1024 * 1024 ? 'gzip header cut short (or a name longer than 1 MiB)' : 0;
    at = nul + 1;
  }
  if (flags & FHCRC) at += 2;
  if (at > b.length) return final ? 'gzip header cut short' : 0;
  return at;
}

/** Bytes of compressed input given to zlib at a time: small when the data inflates a lot (bombs). */
const PIECE = 256 * 1024;
const SMALL_PIECE = 16 * 1024;

/**
 * Decompresses a gzip stream (one member or several), yielding the decompressed bytes in order.
 * Problems go to `problem` after every byte decompressed before them was yielded; the generator
 * then ends. Garbage after a complete member is a warning (the data before it is whole).
 */
export async function* gunzipStream(
  source: AsyncIterable<Buffer> | AsyncIterator<Buffer>,
  problem: (p: GunzipProblem) => void,
): AsyncGenerator<Buffer> {
  const it: AsyncIterator<Buffer> = Symbol.asyncIterator in source ? (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]() : (source as AsyncIterator<Buffer>);
  let buf: Buffer = Buffer.alloc(0);
  /** Offset of buf[0] in the compressed input. */
  let base = 0;
  let eof = false;
  const more = async (): Promise<boolean> => {
    if (eof) return false;
    for (;;) {
      const r = await it.next();
      if (r.done) {
        eof = true;
        return false;
      }
      const c = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      if (c.length === 0) continue;
      buf = buf.length ? Buffer.concat([buf, c]) : c;
      return true;
    }
  };
  const consume = (n: number) => {
    buf = buf.subarray(n);
    base += n;
  };

  for (let member = 0; ; member++) {
    if (buf.length === 0 && !(await more())) {
      if (member === 0) problem({ severity: 'error', message: 'gzip data cut short (no gzip header)', offset: base });
      return;
    }
    if (member > 0 && buf.length < 2) await more();
    if (member > 0 && (buf.length < 2 || buf[0] !== 0x1f || buf[1] !== 0x8b)) {
      // As gzip(1): zero padding (tapes, block devices) is ignored silently, anything else is a warning.
      if (!buf.every((x) => x === 0)) problem({ severity: 'warning', message: 'decompression OK, trailing garbage after the gzip data ignored', offset: base });
      return;
    }
    let hl = headerLength(buf, eof);
    while (hl === 0) {
      await more();
      hl = headerLength(buf, eof);
    }
    if (typeof hl === 'string') {
      problem({ severity: 'error', message: member === 0 ? hl : `${hl} (member ${member + 1})`, offset: base });
      return;
    }
    consume(hl);

    const inf = createInflateRaw({ chunkSize: 64 * 1024 });
    const out: Buffer[] = [];
    let error: Error | undefined;
    let finished = false;
    inf.on('data', (c: Buffer) => out.push(c));
    const done = new Promise<void>((resolve) => {
      inf.once('end', () => { finished = true; resolve(); });
      inf.once('error', (e) => { error = e; resolve(); });
      inf.once('close', () => resolve());
    });
    let crc = 0;
    let size = 0;
    let piece = PIECE;
    const drain = function* (): Generator<Buffer> {
      while (out.length) {
        const c = out.shift()!;
        crc = crc32(c, crc);
        size += c.length;
        yield c;
      }
    };
    try {
      // The deflate data: fed until zlib stops taking input (its end) or the input ends.
      let ended = false;
      while (!ended) {
        if (buf.length === 0 && !(await more())) {
          inf.end();
          await done;
          yield* drain();
          problem({
            severity: 'error',
            message: error ? `gzip data cut short (unexpected end of file after ${size} decompressed bytes)` : `gzip data cut short (the trailer is missing after ${size} decompressed bytes)`,
            offset: base,
          });
          return;
        }
        const part = buf.subarray(0, piece);
        const before = inf.bytesWritten;
        await write(inf, part, done);
        const used = inf.bytesWritten - before;
        if (error) {
          await done;
          yield* drain();
          problem({ severity: 'error', message: `gzip data corrupt after ${size} decompressed bytes (${error.message})`, offset: base + used });
          return;
        }
        const got = out.reduce((a, c) => a + c.length, 0);
        piece = got > 64 * Math.max(1, used) ? SMALL_PIECE : PIECE;
        yield* drain();
        consume(used);
        if (used < part.length) ended = true;
      }
      await done;
      yield* drain();
    } finally {
      if (!finished) inf.destroy();
    }

    while (buf.length < 8 && (await more()));
    if (buf.length < 8) {
      problem({ severity: 'error', message: `gzip data cut short (the trailer is missing after ${size} decompressed bytes)`, offset: base });
      return;
    }
    const wantCrc = buf.readUInt32LE(0);
    const wantSize = buf.readUInt32LE(4);
    if (wantCrc !== crc >>> 0) {
      problem({ severity: 'error', message: `gzip CRC mismatch${member ? ` in member ${member + 1}` : ''} (stored ${hex(wantCrc)}, computed ${hex(crc)}): the ${size} decompressed bytes are kept but may be damaged`, offset: base });
      return;
    }
    if (wantSize !== size % 2 ** 32) {
      problem({ severity: 'error', message: `gzip length mismatch${member ? ` in member ${member + 1}` : ''} (stored ${wantSize}, decompressed ${size % 2 ** 32})`, offset: base + 4 });
      return;
    }
    consume(8);
  }
}

const hex = (n: number) => '0x' + (n >>> 0).toString(16).padStart(8, '0');

/** Writes one piece and waits until zlib has processed it (or failed). */
function write(inf: InflateRaw, part: Buffer, done: Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    inf.write(part, () => settle());
    void done.then(settle);
  });
}

/**
 * The whole of a gzip buffer (dumps, small files), keeping what decompresses before a problem.
 * At most `maxOutput` bytes; more is an error problem.
 */
export function gunzipBuffer(input: Buffer, maxOutput: number): { data: Buffer; problems: GunzipProblem[] } {
  const parts: Buffer[] = [];
  const problems: GunzipProblem[] = [];
  let total = 0;
  let at = 0;
  for (let member = 0; at < input.length; member++) {
    const rest = input.subarray(at);
    if (member > 0 && (rest.length < 2 || rest[0] !== 0x1f || rest[1] !== 0x8b)) {
      if (!rest.every((x) => x === 0)) problems.push({ severity: 'warning', message: 'decompression OK, trailing garbage after the gzip data ignored', offset: at });
      break;
    }
    const hl = headerLength(rest, true);
    if (typeof hl === 'string') {
      problems.push({ severity: 'error', message: hl, offset: at });
      break;
    }
    at += hl as number;
    let r: { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      r = inflateRawSync(input.subarray(at), { info: true, finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, maxOutput - total + 1) }) as unknown as typeof r;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      problems.push({ severity: 'error', message: err.code === 'ERR_BUFFER_TOO_LARGE' ? `decompressed size exceeds ${maxOutput} bytes` : `gzip data corrupt (${err.message})`, offset: at });
      break;
    }
    total += r.buffer.length;
    if (total > maxOutput) {
      problems.push({ severity: 'error', message: `decompressed size exceeds ${maxOutput} bytes`, offset: at });
      break;
    }
    parts.push(r.buffer);
    at += r.engine.bytesWritten;
    if (at + 8 > input.length) {
      problems.push({ severity: 'error', message: 'gzip data cut short', offset: at });
      break;
    }
    if (input.readUInt32LE(at) !== crc32(r.buffer)) {
      problems.push({ severity: 'error', message: 'gzip CRC mismatch: the decompressed data is kept but may be damaged', offset: at });
      break;
    }
    at += 8;
  }
  return { data: parts.length === 1 ? parts[0] : Buffer.concat(parts), problems };
}
