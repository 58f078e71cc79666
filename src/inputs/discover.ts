/**
 * Input discovery: what the user named (folders, files, globs) -> one InputFile per file, each
 * sniffed by content (capture or dump) and tied to a host.
 *
 * An incident is a folder whose sub-folders are hosts: the folder name is the host, a `hostname`
 * file inside overrides it, `--host NAME=PATH` overrides both. Files at the incident root (kubectl
 * output, pods.txt) belong to no host: they apply to all. A host folder alone, single files and
 * globs work too: a file takes its parent folder's name as host unless that folder is the current
 * directory or an incident root. Bad entries become problems, never exceptions; the result is
 * sorted by path.
 */
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { childPath, fsPath, nameFromBytes, recordBytePath } from './byte-paths.js';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { globby, isDynamicPattern } from 'globby';
import { sniffInputDetails } from '../capture/open.js';
import { COLLECT_LOG_NAME } from './collect-log.js';
import { hostPrefixes, promptHostOf, readHostnameFile } from './host-names.js';

export interface InputFile {
  /** As the user would name it: relative to cwd when under it, else absolute. */
  path: string;
  kind: 'capture' | 'dump' | 'unknown';
  /** Compressed with gzip (dumps too: read them through gunzip). */
  gzip?: boolean;
  host?: string;
  /**
   * Why this host: `option` (--host), `folder` (the host folder's name), `hostname-dump` (a
   * hostname file beside it), `file-prefix` (`node1-eth0.pcap`), `prompt` (`root@node1:~#` in a
   * pasted session), `root` (no host: applies to all).
   */
  hostFrom: HostFrom;
  /** The reason in words, when the kind alone does not say it ("file-name prefix node2; node2_hostname says ip-10-32-7-224"). */
  hostNote?: string;
  /** The file name without its host prefix ("eth0.pcap" for "node1-eth0.pcap"), when one was taken off. */
  nameRest?: string;
  /** An empty file the collector kept: the command ran and printed nothing (a valid empty dump). */
  empty?: boolean;
}

export type HostFrom = 'folder' | 'hostname-dump' | 'option' | 'root' | 'file-prefix' | 'prompt';

export interface InputProblem {
  path: string;
  message: string;
}

export interface DiscoverOptions {
  /** `--host NAME=PATH`: every input at or under PATH belongs to host NAME. */
  hosts?: Record<string, string>;
  cwd: string;
  /** Files whose folder names no host (standard input spooled to a temp file). */
  anonymous?: ReadonlySet<string>;
}

/** Files that describe an incident rather than dump a host. */
const SKIP_FILE = /^(lab\.json|variant\.json|readme(\..*)?|.*\.md|\..*|podpath-manifest\.txt)$/i;
/** Folders that hold no host's data. */
const SKIP_DIR = /^(\..*|node_modules)$/;
const HOSTNAME_FILE = /^(hostname|hostname\.txt|etc-hostname)$/i;
const MAX_DEPTH = 8;

interface Raw {
  abs: string;
  host?: string;
  hostFrom: InputFile['hostFrom'];
  hostNote?: string;
  nameRest?: string;
  /** Named directly (a file argument or a glob match), not found in a folder. */
  direct?: boolean;
}

export async function discoverIncident(
  paths: string[],
  opts: DiscoverOptions,
): Promise<{ inputs: InputFile[]; problems: InputProblem[] }> {
  const cwd = resolve(opts.cwd);
  const problems: InputProblem[] = [];
  const show = (abs: string) => {
    const rel = relative(cwd, abs);
    return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
  };
  const problem = (abs: string, message: string) => problems.push({ path: show(abs), message });

  const options = Object.entries(opts.hosts ?? {}).map(([name, p]) => ({ name, abs: resolve(cwd, p) }));
  const named = [...paths];
  for (const o of options) if (!named.some((p) => resolve(cwd, p) === o.abs)) named.push(o.abs);

  // Expand globs. "-" is a capture on standard input (read once, never sniffed).
  const targets: string[] = [];
  const globbed = new Set<string>();
  for (const p of named) {
    if (p.trim() === '') {
      // An empty argument (an unset shell variable): nothing to read, said as such.
      problems.push({ path: JSON.stringify(p), message: 'empty path argument (an unset shell variable?): nothing read' });
      continue;
    }
    if (p !== '-' && isDynamicPattern(p, { cwd }) && !(await exists(resolve(cwd, p)))) {
      let found: string[] = [];
      try {
        found = await globby(p, { cwd, absolute: true, onlyFiles: false, followSymbolicLinks: false, dot: false, expandDirectories: false });
      } catch (e) {
        problem(resolve(cwd, p), `bad pattern: ${(e as Error).message}`);
        continue;
      }
      if (found.length === 0) problem(resolve(cwd, p), 'no file matches this pattern');
      for (const f of found.sort()) {
        targets.push(f);
        globbed.add(f);
      }
    } else if (p === '-') {
      problems.push({ path: '-', message: 'standard input is not available here (it was read already, or this run has none)' });
    } else {
      targets.push(resolve(cwd, p));
    }
  }

  const raws: Raw[] = [];
  const incidentRoots = new Set<string>();
  for (const abs of targets) {
    let st;
    try {
      st = await stat(fsPath(abs));
    } catch (e) {
      problem(abs, describe(e));
      continue;
    }
    if (st.isDirectory()) {
      const entries = await listDir(abs, problem);
      if (!entries) continue;
      const subdirs = entries.filter((e) => e.dir && !SKIP_DIR.test(e.name));
      const files = entries.filter((e) => !e.dir);
      if (subdirs.length > 0) {
        // An incident: sub-folders are hosts, root files apply to all.
        incidentRoots.add(abs);
        for (const f of files) if (!SKIP_FILE.test(f.name)) raws.push({ abs: f.abs, hostFrom: 'root' });
        const rootReal = await realKey(abs);
        for (const d of subdirs) await hostFolder(d.abs, d.name, raws, problem, rootReal);
        if (files.filter((f) => !SKIP_FILE.test(f.name)).length === 0 && subdirs.length === 0) problem(abs, 'empty folder');
      } else if (!(await flatIncident(abs, files, raws))) {
        await hostFolder(abs, basename(abs), raws, problem);
      } else incidentRoots.add(abs);
    } else if (st.isFile()) {
      // A file named on purpose is read even if its name says README; a glob skips those.
      if (globbed.has(abs) && SKIP_FILE.test(basename(abs))) continue;
      raws.push({ abs, hostFrom: 'root', direct: true });
    } else {
      problem(abs, 'not a regular file or folder');
    }
  }

  const flats = new Map<string, Map<string, Raw> | undefined>();
  const flatOf = async (dir: string): Promise<Map<string, Raw> | undefined> => {
    if (!flats.has(dir)) {
      const entries = await listDir(dir, () => undefined);
      const found: Raw[] = [];
      const isFlat = entries !== undefined && (await flatIncident(dir, entries.filter((e) => !e.dir), found));
      flats.set(dir, isFlat ? new Map(found.map((x) => [x.abs, x])) : undefined);
    }
    return flats.get(dir);
  };

  // Single files and globbed files: a hostname file beside them, else the parent folder, names
  // the host, unless that folder is the cwd or an incident root.
  for (const r of raws) {
    if (!r.direct) continue;
    const parent = dirname(r.abs);
    if (incidentRoots.has(parent) || parent === cwd || opts.anonymous?.has(r.abs) || (await hasSubfolders(parent))) {
      // A loose file at an incident root or in the cwd: its name may start with its host.
      const pre = hostPrefixes([basename(r.abs)]).get(basename(r.abs));
      if (pre && !incidentRoots.has(parent)) {
        r.host = pre.prefix;
        r.hostFrom = 'file-prefix';
        r.hostNote = `file-name prefix ${pre.prefix}`;
        r.nameRest = pre.rest;
      }
      continue;
    }
    const flat = await flatOf(parent);
    if (flat) {
      const x = flat.get(r.abs);
      if (x) Object.assign(r, { host: x.host, hostFrom: x.hostFrom, hostNote: x.hostNote, nameRest: x.nameRest });
      continue;
    }
    const fromFile = await hostnameIn(parent);
    if (fromFile) {
      r.host = fromFile;
      r.hostFrom = 'hostname-dump';
      r.hostNote = `the hostname file in ${show(parent)} says ${fromFile}`;
    } else {
      r.host = basename(parent);
      r.hostFrom = 'folder';
    }
  }

  // --host NAME=PATH
  for (const r of raws) {
    for (const o of options) {
      if (r.abs === o.abs || r.abs.startsWith(o.abs.endsWith(sep) ? o.abs : o.abs + sep)) {
        r.host = o.name;
        r.hostFrom = 'option';
        r.hostNote = `--host ${o.name}=${show(o.abs)}`;
      }
    }
  }

  // Deduplicate (a file named twice, or by a folder and a glob), then sniff.
  const byPath = new Map<string, Raw>();
  for (const r of raws) {
    const old = byPath.get(r.abs);
    if (!old || rank(r.hostFrom) > rank(old.hostFrom)) byPath.set(r.abs, r);
  }
  const inputs: InputFile[] = [];
  for (const r of [...byPath.values()].sort((a, b) => (show(a.abs) < show(b.abs) ? -1 : show(a.abs) > show(b.abs) ? 1 : 0))) {
    const d = await sniffInputDetails(r.abs);
    const f: InputFile = { path: show(r.abs), kind: 'unknown', hostFrom: r.hostFrom };
    if (r.host !== undefined) f.host = r.host;
    if (r.hostNote !== undefined) f.hostNote = r.hostNote;
    if (r.nameRest !== undefined) f.nameRest = r.nameRest;
    switch (d.kind) {
      case 'pcap':
      case 'pcapng':
        f.kind = 'capture';
        break;
      case 'gzip':
        f.gzip = true;
        f.kind = d.inner === 'text' ? 'dump' : 'capture';
        break;
      case 'text':
        f.kind = 'dump';
        break;
      case 'empty':
        // The collector keeps a command's empty output only when the command succeeded.
        if (await exists(join(dirname(r.abs), COLLECT_LOG_NAME))) {
          f.kind = 'dump';
          f.empty = true;
        } else problem(r.abs, 'empty file');
        break;
      case 'binary':
        problem(r.abs, 'neither a capture (pcap, pcapng) nor a text dump');
        break;
      case 'unreadable':
        problem(r.abs, 'cannot be read');
        continue;
      case 'directory':
        continue;
    }
    if (f.kind === 'dump' && f.hostFrom === 'root' && !f.empty) {
      // A pasted session whose prompts name one host (`root@node1:~#`) is that host's.
      const h = await promptHostOf(r.abs, f.gzip === true);
      if (h) {
        f.host = h;
        f.hostFrom = 'prompt';
        f.hostNote = `prompt ${h} in the session`;
      }
    }
    inputs.push(f);
  }
  if (inputs.length === 0 && problems.length === 0) problems.push({ path: paths.join(' ') || '.', message: 'no inputs found' });
  return { inputs, problems };
}

function rank(h: InputFile['hostFrom']): number {
  return { root: 0, prompt: 1, 'file-prefix': 2, folder: 3, 'hostname-dump': 4, option: 5 }[h];
}

async function hasSubfolders(dir: string): Promise<boolean> {
  try {
    return (await readdir(fsPath(dir), { withFileTypes: true })).some((e) => e.isDirectory() && !SKIP_DIR.test(e.name));
  } catch {
    return false;
  }
}

/**
 * The real path of a folder as a comparable string (its bytes read as Latin-1, so names that are
 * not UTF-8 stay distinct); the path itself when it can not be resolved, unless `strict`.
 */
async function realKey(p: string, strict = false): Promise<string> {
  try {
    return (await realpath(fsPath(p), { encoding: 'buffer' })).toString('latin1');
  } catch (e) {
    if (strict) throw e;
    return Buffer.from(p, 'utf8').toString('latin1');
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(fsPath(p));
    return true;
  } catch {
    return false;
  }
}

function describe(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'ELOOP':
      return 'symbolic link loop';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'not a folder';
    default:
      return (e as Error)?.message ?? String(e);
  }
}

interface Entry {
  name: string;
  abs: string;
  dir: boolean;
}

/** A folder's entries (symbolic links followed), sorted; undefined (and a problem) when unreadable. */
async function listDir(abs: string, problem: (abs: string, m: string) => void): Promise<Entry[] | undefined> {
  let raw: Buffer[];
  try {
    // Names as bytes: one that is not UTF-8 is shown escaped and opened by its bytes (byte-paths.ts).
    raw = await readdir(fsPath(abs), { encoding: 'buffer' });
  } catch (e) {
    problem(abs, describe(e));
    return undefined;
  }
  const names = raw.map((b) => ({ b, ...nameFromBytes(b) })).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const out: Entry[] = [];
  for (const { b, name, utf8 } of names) {
    const p = join(abs, name);
    if (!utf8) recordBytePath(p, childPath(fsPath(abs), b));
    try {
      const st = await stat(fsPath(p));
      if (st.isDirectory()) out.push({ name, abs: p, dir: true });
      else if (st.isFile()) out.push({ name, abs: p, dir: false });
      else problem(p, 'not a regular file or folder');
    } catch (e) {
      problem(p, describe(e));
    }
  }
  return out;
}

/** The host name in a folder's `hostname` file, when it holds exactly one plausible name. */
async function hostnameIn(dir: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(fsPath(dir));
  } catch {
    return undefined;
  }
  const f = names.sort().find((n) => HOSTNAME_FILE.test(n));
  if (!f) return undefined;
  return readHostnameFile(join(dir, f));
}

/**
 * A folder without sub-folders and without its own hostname file whose files name two or more
 * hosts by file-name prefix (`node1-eth0.pcap`, `ip-10-32-7-224_cni0.pcap`) or by session prompt:
 * an incident sent flat. Each prefixed file goes to its host (named by that host's own hostname
 * file when there is one: `node2_hostname`); the rest apply to all (prompts may still name theirs).
 * Returns false (nothing added) when the folder is a plain host folder.
 */
async function flatIncident(abs: string, files: Entry[], raws: Raw[]): Promise<boolean> {
  const kept = files.filter((f) => !SKIP_FILE.test(f.name));
  if (kept.some((f) => HOSTNAME_FILE.test(f.name))) return false;
  const prefixes = hostPrefixes(kept.map((f) => f.name));
  const groups = new Map<string, Entry[]>();
  for (const f of kept) {
    const p = prefixes.get(f.name);
    if (p) groups.set(p.prefix, [...(groups.get(p.prefix) ?? []), f]);
  }
  const prompted = new Set<string>();
  for (const f of kept) if (!prefixes.has(f.name)) {
    const h = await promptHostOf(f.abs, /\.gz$/i.test(f.name));
    if (h) prompted.add(h);
  }
  const named = new Set([...groups.keys(), ...prompted]);
  if (named.size < 2) return false;
  for (const [prefix, members] of groups) {
    const hn = members.find((m) => HOSTNAME_FILE.test(prefixes.get(m.name)!.rest));
    const fromFile = hn ? await readHostnameFile(hn.abs) : undefined;
    for (const m of members) {
      const rest = prefixes.get(m.name)!.rest;
      raws.push({
        abs: m.abs,
        host: fromFile ?? prefix,
        hostFrom: fromFile ? 'hostname-dump' : 'file-prefix',
        hostNote: fromFile ? `file-name prefix ${prefix}; ${hn!.name} says ${fromFile}` : `file-name prefix ${prefix}`,
        nameRest: rest,
      });
    }
  }
  for (const f of kept) if (!prefixes.has(f.name)) raws.push({ abs: f.abs, hostFrom: 'root' });
  return true;
}

/** Every file under a host folder (any depth), for host `name`; a hostname file overrides it. */
async function hostFolder(
  abs: string,
  name: string,
  raws: Raw[],
  problem: (abs: string, m: string) => void,
  parentReal?: string,
): Promise<void> {
  const fromFile = await hostnameIn(abs);
  const host = fromFile ?? name;
  const hostFrom: Raw['hostFrom'] = fromFile ? 'hostname-dump' : 'folder';
  const hostNote = fromFile ? `the hostname file in folder ${name} says ${fromFile}` : undefined;
  const visited = new Set<string>();
  let count = 0;
  let looped = false;
  const walk = async (dir: string, depth: number, parentReal?: string): Promise<void> => {
    let real: string;
    try {
      real = await realKey(dir, true);
    } catch (e) {
      problem(dir, describe(e));
      return;
    }
    // A link to a folder that holds the one it sits in (`up -> ..`) loops.
    const ancestor = parentReal !== undefined && (parentReal === real || parentReal.startsWith(real.endsWith(sep) ? real : real + sep));
    if (visited.has(real) || ancestor) {
      problem(dir, 'symbolic link loop');
      if (depth === 0) looped = true;
      return;
    }
    visited.add(real);
    if (depth > MAX_DEPTH) {
      problem(dir, `deeper than ${MAX_DEPTH} folders: skipped`);
      return;
    }
    const entries = await listDir(dir, problem);
    if (!entries) return;
    for (const e of entries) {
      if (e.dir) {
        if (!SKIP_DIR.test(e.name)) await walk(e.abs, depth + 1, real);
      } else if (!SKIP_FILE.test(e.name)) {
        raws.push(hostNote ? { abs: e.abs, host, hostFrom, hostNote } : { abs: e.abs, host, hostFrom });
        count++;
      }
    }
  };
  await walk(abs, 0, parentReal);
  // a host folder that is a link loop already has its line
  if (count === 0 && !looped) problem(abs, 'no files in this host folder');
}
