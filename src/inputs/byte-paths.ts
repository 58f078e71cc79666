/**
 * File names that are not UTF-8 (Latin-1 from a Windows share, an old tar): readdir's strings
 * would replace their bytes by U+FFFD and the file could not be opened again. Discovery reads names
 * as bytes; a name that is not UTF-8 is shown escaped (`caf\xe9.pcap`) and that shown path is
 * recorded here with its real bytes. Whatever opens an input passes its path through fsPath(),
 * which gives the bytes (a Buffer path) for such a name and the string itself for every other.
 */
import { sep } from 'node:path';

const bytesOf = new Map<string, Buffer>();

/** A name read as bytes: as is when it is UTF-8, else with every byte that is not shown as \xNN. */
export function nameFromBytes(b: Buffer): { name: string; utf8: boolean } {
  const s = b.toString('utf8');
  if (Buffer.from(s, 'utf8').equals(b)) return { name: s, utf8: true };
  let out = '';
  let i = 0;
  while (i < b.length) {
    // The longest valid UTF-8 sequence starting here, else one escaped byte.
    const c = b[i];
    const len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len > 0 && i + len <= b.length) {
      const part = b.subarray(i, i + len);
      const t = part.toString('utf8');
      if (!t.includes('\ufffd') && Buffer.from(t, 'utf8').equals(part)) {
        out += t === '\\' ? '\\\\' : t;
        i += len;
        continue;
      }
    }
    out += `\\x${c.toString(16).padStart(2, '0')}`;
    i++;
  }
  return { name: out, utf8: false };
}

/** Records the real bytes of a shown path (an absolute path whose last name was not UTF-8). */
export function recordBytePath(shown: string, bytes: Buffer): void {
  bytesOf.set(shown, bytes);
}

/** The real bytes of a path under `dir` (itself a string or bytes). */
export function childPath(dir: string | Buffer, name: Buffer): Buffer {
  const d = typeof dir === 'string' ? Buffer.from(dir, 'utf8') : dir;
  return Buffer.concat([d, Buffer.from(d.length && d[d.length - 1] === sep.charCodeAt(0) ? '' : sep), name]);
}

/** The path to hand to node:fs: the recorded bytes for a shown path at or under a non-UTF-8 name. */
export function fsPath(p: string): string | Buffer {
  if (bytesOf.size === 0) return p;
  const exact = bytesOf.get(p);
  if (exact) return exact;
  // Under a folder whose name was not UTF-8: the longest recorded prefix.
  let at = p.lastIndexOf(sep);
  while (at > 0) {
    const b = bytesOf.get(p.slice(0, at));
    if (b) return Buffer.concat([b, Buffer.from(p.slice(at), 'utf8')]);
    at = p.lastIndexOf(sep, at - 1);
  }
  return p;
}
