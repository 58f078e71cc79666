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
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { globby, isDynamicPattern } from 'globby';
import { sniffInputDetails } from '../capture/open.js';
import { COLLECT_LOG_NAME } from './collect-log.js';

export interface InputFile {
  /** As the user would name it: relative to cwd when under it, else absolute. */
  path: string;
  kind: 'capture' | 'dump' | 'unknown';
  /** Compressed with gzip (dumps too: read them through gunzip). */
  gzip?: boolean;
  host?: string;
  hostFrom: 'folder' | 'hostname-dump' | 'option' | 'root';
  /** An empty file the collector kept: the command ran and printed nothing (a valid empty dump). */
  empty?: boolean;
}

export interface InputProblem {
  path: string;
  message: string;
}

export interface DiscoverOptions {
  /** `--host NAME=PATH`: every input at or under PATH belongs to host NAME. */
  hosts?: Record<string, string>;
  cwd: string;
}

/** Files that describe an incident rather than dump a host. */
const SKIP_FILE = /^(lab\.json|readme(\..*)?|.*\.md|\..*|podpath-manifest\.txt)$/i;
/** Folders that hold no host's data. */
const SKIP_DIR = /^(\..*|node_modules)$/;
const HOSTNAME_FILE = /^(hostname|hostname\.txt|etc-hostname)$/i;
const MAX_DEPTH = 8;

interface Raw {
  abs: string;
  host?: string;
  hostFrom: InputFile['hostFrom'];
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
  let stdin = false;
  const targets: string[] = [];
  const globbed = new Set<string>();
  for (const p of named) {
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
      stdin = true;
    } else {
      targets.push(resolve(cwd, p));
    }
  }

  const raws: Raw[] = [];
  const incidentRoots = new Set<string>();
  for (const abs of targets) {
    let st;
    try {
      st = await stat(abs);
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
        const rootReal = await realpath(abs).catch(() => abs);
        for (const d of subdirs) await hostFolder(d.abs, d.name, raws, problem, rootReal);
        if (files.filter((f) => !SKIP_FILE.test(f.name)).length === 0 && subdirs.length === 0) problem(abs, 'empty folder');
      } else {
        await hostFolder(abs, basename(abs), raws, problem);
      }
    } else if (st.isFile()) {
      // A file named on purpose is read even if its name says README; a glob skips those.
      if (globbed.has(abs) && SKIP_FILE.test(basename(abs))) continue;
      raws.push({ abs, hostFrom: 'root', direct: true });
    } else {
      problem(abs, 'not a regular file or folder');
    }
  }

  // Single files and globbed files: a hostname file beside them, else the parent folder, names
  // the host, unless that folder is the cwd or an incident root.
  for (const r of raws) {
    if (!r.direct) continue;
    const parent = dirname(r.abs);
    if (incidentRoots.has(parent) || parent === cwd || (await hasSubfolders(parent))) continue;
    const fromFile = await hostnameIn(parent);
    if (fromFile) {
      r.host = fromFile;
      r.hostFrom = 'hostname-dump';
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
    inputs.push(f);
  }
  if (stdin) inputs.unshift({ path: '-', kind: 'capture', hostFrom: 'root' });
  if (inputs.length === 0 && problems.length === 0) problems.push({ path: paths.join(' ') || '.', message: 'no inputs found' });
  return { inputs, problems };
}

function rank(h: InputFile['hostFrom']): number {
  return { root: 0, folder: 1, 'hostname-dump': 2, option: 3 }[h];
}

async function hasSubfolders(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir, { withFileTypes: true })).some((e) => e.isDirectory() && !SKIP_DIR.test(e.name));
  } catch {
    return false;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
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
  let names: string[];
  try {
    names = (await readdir(abs)).sort();
  } catch (e) {
    problem(abs, describe(e));
    return undefined;
  }
  const out: Entry[] = [];
  for (const name of names) {
    const p = join(abs, name);
    try {
      const st = await stat(p);
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
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const f = names.sort().find((n) => HOSTNAME_FILE.test(n));
  if (!f) return undefined;
  let text = '';
  try {
    const fh = await open(join(dir, f), 'r');
    try {
      const buf = Buffer.alloc(512);
      const { bytesRead } = await fh.read(buf, 0, 512, 0);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^\$\s*hostname/.test(l) && !l.startsWith('#'));
  if (lines.length !== 1) return undefined;
  const name = lines[0];
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(name) ? name : undefined;
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
  const visited = new Set<string>();
  let count = 0;
  let looped = false;
  const walk = async (dir: string, depth: number, parentReal?: string): Promise<void> => {
    let real: string;
    try {
      real = await realpath(dir);
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
        raws.push({ abs: e.abs, host, hostFrom });
        count++;
      }
    }
  };
  await walk(abs, 0, parentReal);
  // a host folder that is a link loop already has its line
  if (count === 0 && !looped) problem(abs, 'no files in this host folder');
}
