/**
 * Streamed rendering: every report format is made as a sequence of chunks (generators), written
 * to the Io as they come, waiting for `drain()` when the output is full. No report is ever held as
 * one string: a report past V8's string limit (about 512 MiB) renders like a small one.
 */
import type { Io } from '../io.js';

/** The size chunks are joined up to before they are written. */
export const CHUNK_CHARS = 64 * 1024;

/** Joins small pieces into chunks of about CHUNK_CHARS; a piece longer than that is a chunk of its own. */
export function* chunked(pieces: Iterable<string>, size = CHUNK_CHARS): Generator<string> {
  let buf: string[] = [];
  let n = 0;
  for (const p of pieces) {
    if (p.length >= size) {
      if (n > 0) yield buf.join('');
      buf = [];
      n = 0;
      yield p;
      continue;
    }
    buf.push(p);
    n += p.length;
    if (n >= size) {
      yield buf.join('');
      buf = [];
      n = 0;
    }
  }
  if (n > 0) yield buf.join('');
}

/** Each line with its newline: the chunks of `lines.join('\n') + '\n'`. */
export function* withNewlines(lines: Iterable<string>): Generator<string> {
  for (const l of lines) yield l + '\n';
}

/** Lazily maps an array (no second array of the whole size). */
export function* mapIter<T, U>(list: readonly T[], f: (v: T, i: number) => U): Generator<U> {
  for (let i = 0; i < list.length; i++) yield f(list[i], i);
}

/** Writes the chunks to standard output as they are made, waiting whenever it is full. */
export async function writeChunks(io: Pick<Io, 'out' | 'drain'>, chunks: Iterable<string>): Promise<void> {
  for (const c of chunks) if (!io.out(c)) await io.drain();
}

/** The whole text (for small reports, tests and library callers that want a string). */
export function joinChunks(chunks: Iterable<string>): string {
  let s = '';
  for (const c of chunks) s += c;
  return s;
}
