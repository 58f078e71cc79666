/**
 * Opens a capture by content, not by name, and streams it through the right reader.
 *
 *   first bytes          format
 *   1f 8b                gzip (RFC 1952): decompressed as a stream, then sniffed again
 *   a1 b2 c3 d4 / d4 c3 b2 a1   classic pcap, microseconds (big / little endian)
 *   a1 b2 3c 4d / 4d 3c b2 a1   classic pcap, nanoseconds
 *   0a 0d 0d 0a          pcapng Section Header Block (draft-ietf-opsawg-pcapng)
 *
 * The input is read in large chunks (1 MiB) and handed to a push parser: memory stays flat whatever
 * the file size. The decompressed size is capped (gzip bombs). Every failure (missing file,
 * directory, permission, not a capture, corrupt gzip) is one problem through the handler;
 * `readCapture` does not throw for input problems. Exceptions thrown by the handler itself propagate.
 */
import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { constants as zc, gunzipSync } from 'node:zlib';
import type { CaptureHandler, CaptureSummary, InputProblem } from './frame.js';
import { gunzipStream } from './gunzip.js';
import { isPcapMagic, PcapParser } from './pcap.js';
import { isPcapngMagic, PcapngParser } from './pcapng.js';
import { fsPath } from '../inputs/byte-paths.js';

export interface ReadCaptureOptions {
  /** The stream read for the input "-" (the CLI passes standard input; without it "-" is a problem). */
  stdin?: Readable;
  /** Ceiling on the decompressed size of a gzip input (default 8 GiB). */
  maxDecompressedBytes?: number;
  /** Read size in bytes (default 1 MiB). */
  chunkSize?: number;
  /** Sees every chunk of the input as read, before decompression (to hash a file in the same pass). */
  onRawChunk?: (chunk: Buffer) => void;
}

export const DEFAULT_MAX_DECOMPRESSED_BYTES = 8 * 1024 ** 3;
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

export type InputKind = 'pcap' | 'pcapng' | 'gzip' | 'text' | 'binary' | 'empty' | 'directory' | 'unreadable';

interface Parser {
  push(chunk: Buffer): void;
  end(): void;
  aborted: boolean;
  position: number;
  packets: number;
  cutByEof: number;
}

/** Classifies the first bytes of a stream. */
export function classifyHead(head: Uint8Array): Exclude<InputKind, 'directory' | 'unreadable'> {
  if (head.length === 0) return 'empty';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (isPcapMagic(head)) return 'pcap';
  if (isPcapngMagic(head)) return 'pcapng';
  return looksLikeText(head) ? 'text' : 'binary';
}

function looksLikeText(head: Uint8Array): boolean {
  const n = Math.min(head.length, 512);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const c = head[i];
    if (c === 0) return false;
    if (c < 0x20 && c !== 9 && c !== 10 && c !== 13 && c !== 12 && c !== 27) control++;
  }
  if (control * 20 > n) return false;
  // valid UTF-8, allowing a character cut at the end of the sample; else a legacy 8-bit encoding
  // (a Latin-1 dump: an accented host or interface name) when bytes above 0x7f are few
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, n), { stream: true });
    return true;
  } catch {
    let high = 0;
    for (let i = 0; i < n; i++) if (head[i] >= 0x80) high++;
    return high * 10 <= n;
  }
}

/** Other formats worth naming when refusing an input. */
function otherFormat(h: Uint8Array): string | undefined {
  const starts = (...b: number[]) => b.every((x, i) => h[i] === x);
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd-compressed data (decompress it first: zstd -d)';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz-compressed data (decompress it first: xz -d)';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2-compressed data (decompress it first: bunzip2)';
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'a zip archive (extract the capture first)';
  if (starts(0x73, 0x6e, 0x6f, 0x6f, 0x70, 0, 0, 0)) return 'a snoop capture (convert it with editcap -F pcap)';
  if (starts(0x47, 0x4d, 0x42, 0x55) || starts(0x52, 0x54, 0x53, 0x53)) return 'a Network Monitor capture (convert it with editcap -F pcap)';
  if (starts(0x34, 0xcd, 0xb2, 0xa1) || starts(0xa1, 0xb2, 0xcd, 0x34)) return 'a modified (Kuznetzov) pcap (convert it with editcap -F pcap)';
  return undefined;
}

function describeNotCapture(head: Buffer): string {
  const other = otherFormat(head);
  if (other) return `not a pcap or pcapng capture: ${other}`;
  if (looksLikeText(head)) {
    const line = head.toString('utf8', 0, Math.min(head.length, 200)).split(/\r?\n/)[0].slice(0, 40);
    return `not a pcap or pcapng capture: the file is text ("${line}${line.length >= 40 ? '…' : ''}")`;
  }
  const hex = [...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return `not a pcap or pcapng capture (first bytes ${hex}; expected a pcap, pcapng or gzip magic number)`;
}

function ioMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES':
    case 'EPERM': return 'cannot read the file: permission denied';
    case 'EISDIR': return 'is a directory, not a capture file';
    case 'ELOOP': return 'cannot read the file: too many levels of symbolic links';
    case 'EIO': return 'read error (I/O error)';
    default: return `cannot read the file: ${err?.message ?? String(e)}`;
  }
}

/** Reads chunks from an iterator until at least `n` bytes (or the end) are there. */
async function peek(it: AsyncIterator<Buffer>, n: number): Promise<{ head: Buffer; done: boolean }> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const r = await it.next();
    if (r.done) return { head: Buffer.concat(parts), done: true };
    const c = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    parts.push(c);
    have += c.length;
  }
  return { head: parts.length === 1 ? parts[0] : Buffer.concat(parts), done: false };
}

async function* prepend(head: Buffer, it: AsyncIterator<Buffer>, done: boolean): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  if (done) return;
  for (;;) {
    const r = await it.next();
    if (r.done) return;
    yield r.value;
  }
}

async function close(it: AsyncIterator<unknown>): Promise<void> {
  try {
    await it.return?.();
  } catch {
    // already failed or closed
  }
}

/**
 * Reads one capture (pcap, pcapng, either gzip-compressed) from a file, or standard input for "-".
 * Frames and problems go to `handler` synchronously, in file order.
 */
export async function readCapture(
  path: string,
  handler: CaptureHandler,
  opts: ReadCaptureOptions = {},
): Promise<CaptureSummary> {
  const summary: CaptureSummary = {
    input: path,
    format: 'unknown',
    compressed: false,
    packets: 0,
    cutByEof: 0,
    bytes: 0,
    aborted: false,
    interfaces: [],
  };
  const problem = (message: string, extra: Partial<InputProblem> = {}) => {
    summary.aborted = true;
    handler.problem({ input: path, severity: 'error', message, ...extra });
  };
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const maxOut = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;

  let source: Readable;
  if (path === '-') {
    if (!opts.stdin) {
      problem('standard input is not available');
      return summary;
    }
    source = opts.stdin;
  } else {
    try {
      const st = await stat(fsPath(path));
      if (st.isDirectory()) {
        problem('is a directory, not a capture file');
        return summary;
      }
      // open now so that a permission problem is reported before anything is read
      const fh = await open(fsPath(path), 'r');
      // a small file gets a small buffer (10,000 tiny captures need not allocate 10 GB)
      source = fh.createReadStream({ highWaterMark: st.isFile() && st.size > 0 ? Math.min(chunkSize, st.size + 1) : chunkSize });
    } catch (e) {
      problem(ioMessage(e));
      return summary;
    }
  }

  const base: AsyncIterator<Buffer> = source[Symbol.asyncIterator]();
  const tap = opts.onRawChunk;
  const raw: AsyncIterator<Buffer> = tap
    ? {
        next: async () => {
          const r = await base.next();
          if (!r.done) tap(r.value);
          return r;
        },
        return: base.return ? (v?: unknown) => base.return!(v) : undefined,
      }
    : base;
  const opened: AsyncIterator<unknown>[] = [raw];
  try {
    return await readOpened(path, handler, summary, problem, raw, opened, chunkSize, maxOut);
  } finally {
    for (const o of opened.reverse()) await close(o);
  }
}

async function readOpened(
  path: string,
  handler: CaptureHandler,
  summary: CaptureSummary,
  problem: (message: string, extra?: Partial<InputProblem>) => void,
  raw: AsyncIterator<Buffer>,
  opened: AsyncIterator<unknown>[],
  chunkSize: number,
  maxOut: number,
): Promise<CaptureSummary> {
  let first: { head: Buffer; done: boolean };
  try {
    first = await peek(raw, 4);
  } catch (e) {
    problem(ioMessage(e));
    return summary;
  }
  let kind = classifyHead(first.head);
  const outer = prepend(first.head, raw, first.done);
  let it: AsyncIterator<Buffer> = outer;
  let head = first.head;
  let done = first.done;
  let gzipFailed = false;

  if (kind === 'gzip') {
    summary.compressed = true;
    // Everything decompressed reaches the parser before a gzip problem is reported (gunzip.ts).
    const inner = gunzipStream(outer, (p) => {
      gzipFailed ||= p.severity === 'error';
      if (p.severity === 'error') summary.aborted = true;
      handler.problem({ input: path, severity: p.severity, message: `compressed byte offset ${p.offset}: ${p.message}` });
    });
    opened.push(inner);
    try {
      const p = await peek(inner, 4);
      head = p.head;
      done = p.done;
    } catch (e) {
      problem(gzipMessage(e, 0));
      return summary;
    }
    if (gzipFailed && head.length < 4) {
      // nothing usable came out before the damage; its line is already out
      if (head.length > 0 && classifyHead(head) !== 'gzip') problem(`only ${head.length} bytes decompress before the damage: not a capture`);
      return summary;
    }
    it = prepend(head, inner, done);
    kind = classifyHead(head);
    if (kind === 'gzip') {
      problem('gzip inside gzip: decompress the outer layer first');
      return summary;
    }
    if (kind === 'empty') {
      problem('empty file (the gzip data decompresses to nothing)');
      return summary;
    }
  }

  if (kind === 'empty') {
    problem('empty file');
    return summary;
  }
  if (kind !== 'pcap' && kind !== 'pcapng') {
    problem(describeNotCapture(head));
    return summary;
  }

  summary.format = kind;
  const pcap = kind === 'pcap' ? new PcapParser(path, handler) : undefined;
  const ng = kind === 'pcapng' ? new PcapngParser(path, handler) : undefined;
  const parser: Parser = (pcap ?? ng)!;
  let total = 0;
  let ended = false;
  for (;;) {
    let r: IteratorResult<Buffer>;
    try {
      r = await it.next();
    } catch (e) {
      if (summary.compressed) {
        // what was decompressed is read; a record cut by the damage is reported by end()
        handler.problem({ input: path, severity: 'error', message: gzipMessage(e, total), offset: total });
        parser.end();
      } else {
        problem(ioMessage(e), { offset: total });
      }
      summary.aborted = true;
      ended = true;
      break;
    }
    if (r.done) break;
    let chunk = r.value;
    total += chunk.length;
    if (summary.compressed && total > maxOut) {
      chunk = chunk.subarray(0, chunk.length - (total - maxOut));
      parser.push(chunk);
      problem(
        `decompressed size exceeds ${formatBytes(maxOut)} (the ceiling for compressed inputs; raise it if the capture really is that large): reading stopped`,
        { offset: maxOut },
      );
      total = maxOut;
      ended = true;
      break;
    }
    parser.push(chunk);
    if (parser.aborted) break;
  }
  if (!ended && !parser.aborted) parser.end();
  summary.packets = parser.packets;
  summary.cutByEof = parser.cutByEof;
  summary.bytes = total;
  summary.aborted ||= parser.aborted;
  if (pcap) summary.interfaces = pcap.position >= 24 ? [pcap.iface] : [];
  if (ng) summary.interfaces = ng.interfaces;
  return summary;
}

function gzipMessage(e: unknown, at: number): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err?.message ?? '')) {
    return `gzip data cut short (unexpected end of file after ${at} decompressed bytes)`;
  }
  if (typeof err?.code === 'string' && err.code.startsWith('Z_')) {
    return `gzip data corrupt after ${at} decompressed bytes (${err.message})`;
  }
  return ioMessage(e);
}

function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}

export interface InputKindDetails {
  kind: InputKind;
  /** For gzip: the kind of the decompressed data, from its first bytes. */
  inner?: Exclude<InputKind, 'directory' | 'unreadable'>;
}

/** What an input is, from its first bytes (for input discovery). Never throws. */
export async function sniffInput(path: string): Promise<InputKind> {
  return (await sniffInputDetails(path)).kind;
}

/** Like sniffInput, and for gzip also the kind of the decompressed data. Never throws. */
export async function sniffInputDetails(path: string): Promise<InputKindDetails> {
  let fh;
  try {
    const st = await stat(fsPath(path));
    if (st.isDirectory()) return { kind: 'directory' };
    fh = await open(fsPath(path), 'r');
    const buf = Buffer.alloc(1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    const kind = classifyHead(head);
    if (kind !== 'gzip') return { kind };
    let inner: InputKindDetails['inner'];
    try {
      // partial input: flush what there is instead of failing on the missing end
      const out = gunzipSync(head, { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: 16 * 1024 * 1024 });
      inner = classifyHead(out.subarray(0, 1024));
    } catch {
      inner = undefined;
    }
    return inner === undefined ? { kind } : { kind, inner };
  } catch {
    return { kind: 'unreadable' };
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
