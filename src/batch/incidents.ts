/**
 * The incident list of `podpath report`: folders and .tar.gz archives named or matched by globs
 * (globs are expanded here too, for quoted patterns and shells that do not), deduplicated,
 * sorted by absolute path (code-unit order), slugged over the whole list, then sliced for
 * `--shard I/N`. Every shard computes the same list, so slugs and slices agree across machines.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { globby, isDynamicPattern } from 'globby';
import { sniffArchive } from '../inputs/archive.js';
import { assignSlugs } from './slug.js';
import { pushAll } from '../arrays.js';

export interface Incident {
  abs: string;
  /** As shown: relative to the working folder when under it, else absolute. */
  path: string;
  slug: string;
  /** More archives of the same incident (the collector's incident id): analyzed together with `abs`. */
  more?: string[];
}

export interface Listing {
  incidents: Incident[];
  /** Named things that are not incidents (a README beside the incident folders), one line each. */
  skipped: string[];
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export function shownPath(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}

/** `exclude`: the --out folder, which a glob beside the incidents may match (skipped, with a note). */
export async function listIncidents(args: string[], cwd: string, exclude?: string): Promise<Listing> {
  const root = resolve(cwd);
  const skipped: string[] = [];
  const named: string[] = [];
  for (const a of args) {
    if (isDynamicPattern(a, { cwd: root }) && !(await exists(resolve(root, a)))) {
      let found: string[] = [];
      try {
        found = await globby(a, { cwd: root, absolute: true, onlyFiles: false, followSymbolicLinks: false, dot: false, expandDirectories: false });
      } catch (e) {
        skipped.push(`${a}: bad pattern: ${(e as Error).message}`);
        continue;
      }
      if (found.length === 0) skipped.push(`${a}: no file or folder matches this pattern`);
      pushAll(named, found.map((f) => resolve(f)));
    } else named.push(resolve(root, a));
  }
  const seen = new Set<string>();
  const abs: string[] = [];
  for (const p of named) {
    if (seen.has(p)) continue;
    seen.add(p);
    if (exclude !== undefined && (p === exclude || p.startsWith(exclude.endsWith(sep) ? exclude : exclude + sep))) {
      skipped.push(`${shownPath(root, p)}: the output folder, skipped`);
      continue;
    }
    const st = await stat(p).catch(() => undefined);
    // Missing or unreadable: still an incident (it fails, and the index says why).
    if (st && st.isFile() && (await sniffArchive(p)) !== 'tar.gz') {
      skipped.push(`${shownPath(root, p)}: not an incident folder or .tar.gz archive, skipped`);
      continue;
    }
    if (st?.isDirectory() && !(await looksLikeIncident(p))) {
      skipped.push(`${shownPath(root, p)}: holds only scripts and notes (not an incident), skipped`);
      continue;
    }
    if (st && !st.isFile() && !st.isDirectory()) {
      skipped.push(`${shownPath(root, p)}: not a folder or file, skipped`);
      continue;
    }
    abs.push(p);
  }
  abs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // Archives that name the same incident id (podpath-collect --incident, or one `collect --nodes`
  // run) are one incident, under the first of them.
  const groups = new Map<string, string[]>();
  const heads: string[] = [];
  for (const p of abs) {
    const id = p.endsWith('.tar.gz') || p.endsWith('.tgz') ? await archiveIncidentId(p) : undefined;
    const g = id === undefined ? undefined : groups.get(id);
    if (g) g.push(p);
    else {
      heads.push(p);
      if (id !== undefined) groups.set(id, [p]);
    }
  }
  const moreOf = new Map<string, string[]>();
  for (const g of groups.values()) if (g.length > 1) moreOf.set(g[0], g.slice(1));
  const slugs = assignSlugs(heads);
  return {
    incidents: heads.map((p, i) => {
      const inc: Incident = { abs: p, path: shownPath(root, p), slug: slugs[i] };
      const more = moreOf.get(p);
      if (more) inc.more = more;
      return inc;
    }),
    skipped,
  };
}

/** Files that are code or notes, never node data (the lab's scripts beside the samples). */
const SCRIPT_OR_NOTE = /(\.(py|sh|bash|js|mjs|cjs|ts|rb|pl|go|md|rst|ipynb)|^readme(\..*)?|^makefile|^dockerfile)$/i;

/**
 * A folder is not an incident when it holds files and every one of them (two levels down) is a
 * script or a note by its name. Anything else stays an incident: an empty folder or one of
 * garbage is analyzed, fails, and the index says why.
 */
export async function looksLikeIncident(dir: string, depth = 2): Promise<boolean> {
  let files = 0;
  const walk = async (d: string, left: number): Promise<boolean> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return true;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      if (e.isDirectory()) {
        if (e.name === 'node_modules' || left === 0) continue;
        if (await walk(join(d, e.name), left - 1)) return true;
      } else {
        files++;
        if (!SCRIPT_OR_NOTE.test(e.name)) return true;
      }
    }
    return false;
  };
  return (await walk(dir, depth)) || files === 0;
}

/**
 * The incident id in a collector archive: its first entry is `DIR/podpath-manifest.txt` holding
 * an `incident: ID` line. Reads only that far; undefined for any other archive.
 */
export async function archiveIncidentId(path: string): Promise<string | undefined> {
  const stream = createReadStream(path).pipe(createGunzip());
  let buf = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      buf = Buffer.concat([buf, chunk as Buffer]);
      if (buf.length < 512) continue;
      const name = buf.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
      if (!/(^|\/)podpath-manifest\.txt$/.test(name)) return undefined;
      const size = parseInt(buf.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
      if (!(size > 0 && size < 65536)) return undefined;
      if (buf.length < 512 + size) continue;
      const m = /^incident: ([A-Za-z0-9_.:-]{1,100})$/m.exec(buf.subarray(512, 512 + size).toString('utf8'));
      return m?.[1];
    }
  } catch {
    return undefined;
  } finally {
    stream.destroy();
  }
  return undefined;
}

/** "I/N" -> { index, count }, 1-based; undefined when malformed. */
/** Most shards a batch may be cut into (--shard, and the manifests a merge reads). */
export const MAX_SHARDS = 100_000;

export function parseShard(v: string): { index: number; count: number } | undefined {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count || count > MAX_SHARDS) return undefined;
  return { index, count };
}

/** The I-th of N contiguous slices (sizes differ by one at most; the first slices are not larger). */
export function shardSlice<T>(list: T[], index: number, count: number): T[] {
  const from = Math.floor(((index - 1) * list.length) / count);
  const to = Math.floor((index * list.length) / count);
  return list.slice(from, to);
}
