/**
 * Reads the archives `podpath-collect` writes (DIR.tar.gz) so `podpath analyze` takes them as is.
 *
 * A small streaming tar reader over node:zlib: ustar and GNU tar, GNU long names ('L'/'K') and pax
 * extended headers ('x': path, linkpath, size). Regular files and folders are extracted into a fresh
 * temp folder; everything else (symlinks, hardlinks, devices, fifos, sparse files) is skipped with a
 * problem, and so is every name that is absolute or has a `..` segment, so nothing is ever written
 * outside that folder. Ceilings on the total bytes and the number of entries stop tar/gzip bombs.
 * Bad input never throws: it ends as `problems`, keeping what was extracted until then.
 */
import { trackTempDir } from './temp-dirs.js';
import { createReadStream, rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat, utimes, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { gunzipStream } from '../capture/gunzip.js';
import type { Readable } from 'node:stream';

export interface ExtractOptions {
  /** Ceiling on the sum of entry sizes (written or skipped). Default 4 GiB. */
  maxBytes?: number;
  /** Ceiling on the number of entries (files, folders and skipped ones). Default 20,000. */
  maxFiles?: number;
  /** Folder the temp folder is made in. Default os.tmpdir(). */
  tmpRoot?: string;
}

export interface ExtractedArchive {
  /** The temp folder holding the extracted files. Remove it with cleanup(). */
  dir: string;
  /** Removes `dir` and everything in it. Never throws. */
  cleanup(): Promise<void>;
  /** One line each, naming the archive and the entry. Empty when all went well. */
  problems: string[];
  /** Regular files written (a file cut short by a truncated archive counts). */
  files: number;
  /** Bytes of file data written. */
  bytes: number;
}

export const DEFAULT_MAX_BYTES = 4 * 1024 ** 3;
export const DEFAULT_MAX_FILES = 20_000;

const BLOCK = 512;
/** Bigger GNU long names or pax headers than this are refused (no legitimate use). */
const MAX_META = 1024 * 1024;
/** Longest pax key kept; real ones ("path", "SCHILY.xattr.user.x") are short. */
export const MAX_PAX_KEY = 1024;
/** Longest pax value kept (a path or an xattr); the whole header is already under MAX_META. */
export const MAX_PAX_VALUE = 64 * 1024;
/** Consecutive metadata entries ('x', 'g', 'L', 'K') before a real one: tar writes at most 3. */
export const MAX_META_CHAIN = 32;
/** Bytes read past the end-of-archive marker so gzip verifies its trailer. */
const TRAILER_SLACK = 1024 * 1024;

/** The name ends like an archive podpath reads (by name only; see `sniffArchive` for content). */
export function looksLikeArchiveName(path: string): boolean {
  return /\.(tar\.gz|tgz|tar)$/i.test(path);
}

/** Reads up to `n` bytes from the start of a stream, then stops it. Undefined on error. */
async function head(stream: Readable, n: number): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let got = 0;
  try {
    for await (const chunk of stream) {
      const b = chunk as Buffer;
      parts.push(b);
      got += b.length;
      if (got >= n) break;
    }
  } catch {
    if (got === 0) return undefined;
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts).subarray(0, n);
}

function hasTarMagic(block: Buffer): boolean {
  // "ustar\0" (POSIX ustar/pax) or "ustar " (GNU) at offset 257.
  return block.length >= 263 && block.toString('latin1', 257, 262) === 'ustar' && (block[262] === 0 || block[262] === 0x20);
}

/**
 * What the file is: 'tar.gz' (gzip whose content starts with a ustar/GNU tar header), 'tar'
 * (an uncompressed one), or undefined (anything else, unreadable or missing). Reads a few bytes.
 */
export async function sniffArchive(path: string): Promise<'tar.gz' | 'tar' | undefined> {
  // Regular files only: opening a FIFO named as an input would wait for a writer forever.
  if (!(await stat(path).then((s) => s.isFile(), () => false))) return undefined;
  const first = await head(createReadStream(path, { start: 0, end: BLOCK - 1 }), BLOCK);
  if (!first || first.length < 2) return undefined;
  if (first[0] === 0x1f && first[1] === 0x8b) {
    const gunzip = createGunzip();
    gunzip.on('error', () => {});
    const file = createReadStream(path);
    file.on('error', (e) => gunzip.destroy(e));
    const inner = await head(file.pipe(gunzip), BLOCK);
    file.destroy();
    return inner && hasTarMagic(inner) ? 'tar.gz' : undefined;
  }
  return hasTarMagic(first) ? 'tar' : undefined;
}

/** True for a gzip file whose decompressed content starts with a ustar/GNU tar header. */
export async function isTarGz(path: string): Promise<boolean> {
  return (await sniffArchive(path)) === 'tar.gz';
}

/** Pulls exact byte counts out of an async stream of Buffers. */
class ChunkReader {
  private chunks: Buffer[] = [];
  private avail = 0;
  private ended = false;
  /** Bytes handed out so far (the offset in the tar stream). */
  offset = 0;

  constructor(private readonly it: AsyncIterator<unknown>) {}

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    for (;;) {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        return false;
      }
      const b = r.value as Buffer;
      if (b.length === 0) continue;
      this.chunks.push(b);
      this.avail += b.length;
      return true;
    }
  }

  /** Exactly n bytes, or fewer when the stream ends first. */
  async read(n: number): Promise<Buffer> {
    while (this.avail < n && (await this.fill()));
    const take = Math.min(n, this.avail);
    const out: Buffer[] = [];
    let need = take;
    while (need > 0) {
      const c = this.chunks[0];
      if (c.length <= need) {
        out.push(c);
        this.chunks.shift();
        need -= c.length;
      } else {
        out.push(c.subarray(0, need));
        this.chunks[0] = c.subarray(need);
        need = 0;
      }
    }
    this.avail -= take;
    this.offset += take;
    return out.length === 1 ? out[0] : Buffer.concat(out, take);
  }

  /** Up to n bytes as slices, without gathering them; stops early when the stream ends. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.avail === 0 && !(await this.fill())) return;
      const c = this.chunks[0];
      const piece = c.length <= left ? c : c.subarray(0, left);
      if (piece.length === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(piece.length);
      this.avail -= piece.length;
      this.offset += piece.length;
      left -= piece.length;
      yield piece;
    }
  }
}

interface Header {
  name: string;
  linkname: string;
  size: number;
  type: string;
  mtime: number;
}

function cstring(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start);
  return b.toString('utf8', start, end === -1 || end > start + len ? start + len : end);
}

/** Octal (NUL/space terminated) or GNU base-256 numbers. NaN when neither. */
function number(b: Buffer, start: number, len: number): number {
  if (b[start] & 0x80) {
    if (b[start] & 0x40) return NaN; // negative
    let v = b[start] & 0x3f;
    for (let i = start + 1; i < start + len; i++) {
      v = v * 256 + b[i];
      if (v > Number.MAX_SAFE_INTEGER) return NaN;
    }
    return v;
  }
  const s = b.toString('latin1', start, start + len).replace(/[\0 ]+$/, '').replace(/^[ ]+/, '');
  if (s === '') return 0;
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : NaN;
}

function checksumOk(b: Buffer): boolean {
  const want = number(b, 148, 8);
  if (!Number.isFinite(want)) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return want === unsigned || want === signed;
}

function parseHeader(b: Buffer): Header | undefined {
  if (!checksumOk(b)) return undefined;
  let name = cstring(b, 0, 100);
  const ustar = b.toString('latin1', 257, 263) === 'ustar\0';
  if (ustar) {
    const prefix = cstring(b, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const size = number(b, 124, 12);
  if (!Number.isFinite(size)) return undefined;
  const flag = b[156];
  return {
    name,
    linkname: cstring(b, 157, 100),
    size,
    type: flag === 0 ? '0' : String.fromCharCode(flag),
    mtime: number(b, 136, 12),
  };
}

/**
 * pax records: "LEN key=value\n" repeated, set into `into` (later keys win). Malformed records end
 * the parse. A record whose key or value is longer than the limits is dropped; the first such one
 * is returned as a reason. Linear in the size of `data`.
 */
function parsePax(data: Buffer, into: Map<string, string>): string | undefined {
  let dropped: string | undefined;
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space === -1 || space - i > 20) break;
    const len = Number(data.toString('latin1', i, space));
    if (!Number.isInteger(len) || len <= 0 || i + len > data.length) break;
    const eq = data.indexOf(0x3d, space + 1);
    const end = i + len;
    i = end;
    if (eq === -1 || eq >= end || eq === space + 1) continue;
    const keyLen = eq - space - 1;
    const valueLen = end - eq - 1 - (data[end - 1] === 0x0a ? 1 : 0);
    if (keyLen > MAX_PAX_KEY || valueLen > MAX_PAX_VALUE) {
      dropped ??= keyLen > MAX_PAX_KEY
        ? `pax key of ${keyLen} bytes (more than ${MAX_PAX_KEY})`
        : `pax value of ${valueLen} bytes for ${JSON.stringify(data.toString('utf8', space + 1, eq))} (more than ${MAX_PAX_VALUE})`;
      continue;
    }
    into.set(data.toString('utf8', space + 1, eq), data.toString('utf8', eq + 1, eq + 1 + valueLen));
  }
  return dropped;
}

/**
 * A relative path of plain segments, or a reason it is refused. "./a//b/" -> "a/b".
 * Absolute names and `..` segments are refused, never rewritten.
 */
export function safeEntryPath(name: string): { path: string } | { refused: string } {
  if (name.startsWith('/')) return { refused: 'absolute path' };
  if (/^[A-Za-z]:[\\/]/.test(name) || name.startsWith('\\')) return { refused: 'absolute path' };
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return { refused: '".." in the path' };
  if (parts.some((p) => p.includes('\0'))) return { refused: 'NUL in the name' };
  if (parts.length === 0) return { refused: 'empty name' };
  return { path: parts.join('/') };
}

const SKIPPED_TYPES: Record<string, string> = {
  '1': 'hard link',
  '2': 'symbolic link',
  '3': 'character device',
  '4': 'block device',
  '6': 'fifo',
  S: 'GNU sparse file',
  M: 'GNU multi-volume continuation',
};

/**
 * The temp folders this process made and has not removed yet (extracted archives, standard input
 * spooled to a file). src/cli.ts removes them on SIGINT/SIGTERM: a killed run leaves nothing behind.
 */
export { liveTempDirList, removeLiveTempDirsSync, trackTempDir } from './temp-dirs.js';

/**
 * Extracts a .tar.gz (or a plain .tar) into a fresh temp folder. Never throws for bad input;
 * `problems` tells what was skipped or cut. Call `cleanup()` when done with `dir`.
 */
export async function extractArchive(path: string, options: ExtractOptions = {}): Promise<ExtractedArchive> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  const dir = await mkdtemp(join(options.tmpRoot ?? tmpdir(), 'podpath-archive-'));
  const untrack = trackTempDir(dir);
  const result: ExtractedArchive = {
    dir,
    cleanup: () =>
      rm(dir, { recursive: true, force: true })
        .then(untrack)
        .catch(() => undefined),
    problems: [],
    files: 0,
    bytes: 0,
  };
  const problem = (m: string) => result.problems.push(`${path}: ${m}`);

  try {
    const st = await stat(path);
    if (!st.isFile()) {
      problem('not a file');
      return result;
    }
  } catch (e) {
    problem(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return result;
  }

  // Gzip or not, by the magic bytes.
  const first = await head(createReadStream(path, { start: 0, end: 1 }), 2);
  const gz = first !== undefined && first.length === 2 && first[0] === 0x1f && first[1] === 0x8b;
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  // Through gunzip.ts: every byte decompressed is extracted before a gzip problem is told.
  const source: AsyncIterator<unknown> = gz
    ? gunzipStream(file, (p) => problem(`${p.severity === 'warning' ? 'warning: ' : ''}gzip, at compressed byte offset ${p.offset}: ${p.message} (in or after ${current})`))
    : file[Symbol.asyncIterator]();
  const reader = new ChunkReader(source);

  let entries = 0;
  let declared = 0;
  let current = '(the first header)';
  let out: FileHandle | undefined;
  /** The entry being written when the stream broke: it is kept, cut short. */
  let writing = false;
  let sawEnd = false;
  const made = new Set<string>();

  const ensureDir = async (rel: string) => {
    if (rel === '' || made.has(rel)) return;
    await mkdir(join(dir, rel.split('/').join(sep)), { recursive: true, mode: 0o700 });
    made.add(rel);
  };

  try {
    let longName: string | undefined;
    let longLink: string | undefined;
    let pax = new Map<string, string>();
    /** Metadata entries since the last real one. */
    let chain = 0;
    /** An overlong pax record seen for the coming entry: reported once its name is known. */
    let paxDropped: string | undefined;
    for (;;) {
      const block = await reader.read(BLOCK);
      if (block.length === 0) break;
      if (block.length < BLOCK) {
        problem(`archive ends inside a header after ${current} (truncated?)`);
        break;
      }
      if (block.every((x) => x === 0)) {
        sawEnd = true; // one zero block ends it for us; the second is padding
        break;
      }
      const h = parseHeader(block);
      if (!h) {
        problem(`bad tar header at byte ${reader.offset - BLOCK} after ${current}${entries === 0 ? ' (not a tar archive?)' : ''}; stopped`);
        break;
      }
      entries++;
      if (entries > maxFiles) {
        problem(`more than ${maxFiles} entries; stopped (raise the entry ceiling to read it all)`);
        break;
      }
      // Metadata entries: their data describes the next entry.
      if (h.type === 'L' || h.type === 'K' || h.type === 'x' || h.type === 'g') {
        if (++chain > MAX_META_CHAIN) {
          problem(`more than ${MAX_META_CHAIN} metadata headers (pax or GNU long name) in a row at byte ${reader.offset - BLOCK} after ${current}; stopped`);
          break;
        }
        if (h.size > MAX_META) {
          problem(`oversized ${h.type === 'x' || h.type === 'g' ? 'pax header' : 'GNU long name'} (${h.size} bytes) after ${current}; stopped`);
          break;
        }
        const at = reader.offset - BLOCK;
        const data = await reader.read(h.size);
        await reader.read((BLOCK - (h.size % BLOCK)) % BLOCK);
        if (data.length < h.size) {
          problem(`archive ends inside a metadata entry after ${current} (truncated?)`);
          break;
        }
        if (h.type === 'L') longName = cstring(data, 0, data.length);
        else if (h.type === 'K') longLink = cstring(data, 0, data.length);
        else if (h.type === 'x') {
          const dropped = parsePax(data, pax);
          if (dropped) paxDropped ??= `pax header at byte ${at}: ${dropped} ignored`;
        }
        // 'g' (global pax) sets defaults nobody needs here: ignored.
        continue;
      }

      let name = pax.get('path') ?? longName ?? h.name;
      const linkname = pax.get('linkpath') ?? longLink ?? h.linkname;
      let size = h.size;
      const paxSize = pax.get('size');
      if (paxSize !== undefined && /^\d+$/.test(paxSize)) size = Number(paxSize);
      const mtimeText = pax.get('mtime');
      const mtime = mtimeText !== undefined && Number.isFinite(Number(mtimeText)) ? Number(mtimeText) : h.mtime;
      longName = longLink = undefined;
      pax = new Map();
      chain = 0;
      current = JSON.stringify(name);
      if (paxDropped) problem(`${paxDropped}, for ${current}`);
      paxDropped = undefined;
      const padded = size + ((BLOCK - (size % BLOCK)) % BLOCK);
      // Directories and links carry no data; a size on them still has to be skipped.
      const type = h.type === '7' ? '0' : h.type === 'D' ? '5' : h.type;
      if (type === '0' && name.endsWith('/')) name = name.replace(/\/+$/, ''); // old tars mark folders so

      declared += size;
      if (declared > maxBytes) {
        problem(`more than ${maxBytes} bytes of content at ${current}; stopped (raise the size ceiling to read it all)`);
        break;
      }

      const skip = async (why: string | undefined) => {
        if (why) problem(`skipped ${current}: ${why}`);
        for await (const _ of reader.take(padded));
      };

      if (type !== '0' && type !== '5') {
        const what = SKIPPED_TYPES[type];
        await skip(what ? `${what}${linkname ? ` -> ${JSON.stringify(linkname)}` : ''} (only files and folders are extracted)` : `unknown entry type ${JSON.stringify(type)}`);
        continue;
      }
      if (type === '5' && name.split('/').every((p) => p === '' || p === '.') && name !== '') {
        await skip(undefined); // "./": the archive's root folder
        continue;
      }
      const safe = safeEntryPath(name);
      if ('refused' in safe) {
        await skip(`refused: ${safe.refused}`);
        continue;
      }
      const rel = safe.path;
      if (type === '5') {
        try {
          await ensureDir(rel);
        } catch (e) {
          problem(`cannot create folder ${current}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        await skip(undefined);
        continue;
      }

      // A regular file.
      const slash = rel.lastIndexOf('/');
      const target = join(dir, rel.split('/').join(sep));
      try {
        await ensureDir(slash === -1 ? '' : rel.slice(0, slash));
        out = await open(target, 'w', 0o600);
      } catch (e) {
        await skip(`cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        continue;
      }
      result.files++;
      let written = 0;
      writing = true;
      try {
        for await (const piece of reader.take(size)) {
          await out.write(piece);
          written += piece.length;
          result.bytes += piece.length;
        }
      } finally {
        await out.close().catch(() => undefined);
        out = undefined;
      }
      writing = false;
      if (written < size) {
        problem(`archive ends inside ${current} (${written} of ${size} bytes; the file is kept cut short)`);
        break;
      }
      if (Number.isFinite(mtime) && mtime > 0) await utimes(target, mtime, mtime).catch(() => undefined);
      for await (const _ of reader.take(padded - size));
    }
    if (!sawEnd && result.problems.length === 0) {
      problem(entries === 0 ? 'empty archive' : 'no end-of-archive marker (truncated?)');
    }
    if (sawEnd && gz) {
      // Read on a little (tar pads to 10 kB records) so gzip checks its trailer (CRC, length);
      // a bomb hidden after the end marker is never inflated past that.
      try {
        let after = 0;
        for await (const piece of reader.take(TRAILER_SLACK)) after += piece.length;
        if (after === TRAILER_SLACK) problem(`data after the end of the archive ignored`);
      } catch (e) {
        problem(`gzip trailer missing or corrupt (${(e as Error).message}): the archive may be cut short, but every file in it was read whole`);
      }
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what =
      err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message)
        ? 'archive is truncated'
        : err.code?.startsWith('Z_')
          ? `gzip data is corrupt (${err.message})`
          : `stopped (${err.code ?? err.message})`;
    problem(`${what}, in ${current}${writing ? ' (the file is kept cut short)' : ''}`);
  } finally {
    await source.return?.().catch(() => undefined);
    file.destroy();
  }
  return result;
}

/** For messages: the extracted path of `dir` shown relative to the archive ("a.tar.gz!/x/y"). */
export function archiveDisplayPath(archive: string, dir: string, file: string): string {
  const rel = file.startsWith(dir + sep) ? file.slice(dir.length + 1).split(sep).join('/') : file;
  return `${archive}!/${rel}`;
}
