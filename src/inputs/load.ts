/**
 * Phase 1 of the pipeline: what the user handed over. Archives (.tar.gz of an incident, as the
 * collector packs) are extracted to a temp folder, folders and globs are discovered (each input
 * tied to a host), and every dump is parsed. Used by every command that reads an incident.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { archiveDisplayPath, extractArchive, isTarGz, trackTempDir, type ExtractedArchive } from './archive.js';
import { discoverIncident, type InputFile } from './discover.js';
import { readDumps, type Dumps } from './read-dumps.js';

export interface LoadOptions {
  cwd: string;
  /** `--host NAME=PATH`. */
  hosts?: Record<string, string>;
  /** Standard input, for an input named "-" (a capture, a dump or a collector archive). */
  stdin?: Readable;
}

export interface Incident {
  /** Every input found, with the path shown to the user (inside an archive: `archive.tar.gz/...`). */
  inputs: InputFile[];
  /** The captures among them, in discovery order (their index is the capture's number). */
  captures: InputFile[];
  /** Inputs refused at discovery: they still get an inventory row, with their problem. */
  refused: { path: string; line: string }[];
  dumps: Dumps;
  /** Where an input really is on disk. */
  abs(f: InputFile): string;
  /** Removes what extraction left behind. */
  cleanup(): Promise<void>;
}

export async function loadIncident(paths: string[], opts: LoadOptions, problems: string[]): Promise<Incident> {
  const archives: ExtractedArchive[] = [];
  const cleanup = async () => {
    for (const a of archives) await a.cleanup();
  };
  try {
    const expanded = await expandArchives(paths, opts, archives, problems);
    const { inputs, problems: found } = await discoverIncident(expanded.paths, { cwd: opts.cwd, hosts: opts.hosts, anonymous: expanded.anonymous });
    for (const p of found) problems.push(`${expanded.display(p.path)}: ${p.message}`);
    const refused = found.map((p) => ({ path: expanded.display(p.path), line: `${expanded.display(p.path)}: ${p.message}` }));
    for (const f of inputs) f.path = expanded.display(f.path);
    const abs = (f: InputFile) => expanded.real.get(f.path) ?? (f.path === '-' ? '-' : resolve(opts.cwd, f.path));
    const dumps = await readDumps(inputs, abs, problems);
    return { inputs, captures: inputs.filter((f) => f.kind === 'capture'), refused, dumps, abs, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** Archives are extracted; paths inside them are shown as `archive.tar.gz/...`. */
async function expandArchives(paths: string[], opts: LoadOptions, archives: ExtractedArchive[], problems: string[]) {
  const cwd = opts.cwd;
  const out: string[] = [];
  const real = new Map<string, string>();
  const roots: { dir: string; name: string }[] = [];
  /** Temp files standing for "-": shown as "-". */
  const spooled = new Map<string, string>();
  let stdinRead = false;
  for (let p of paths) {
    let shownAs = p;
    if (p === '-' && opts.stdin && !stdinRead) {
      // Standard input is read once, into a file of its own, then taken like any named input.
      stdinRead = true;
      const x = await spoolStdin(opts.stdin);
      archives.push(x);
      if (x.error) {
        problems.push(`-: cannot read standard input: ${x.error}`);
        continue;
      }
      spooled.set(x.file, '-');
      p = x.file;
      shownAs = '-';
    }
    const abs = resolve(cwd, p);
    if (p !== '-' && (await isTarGz(abs).catch(() => false))) {
      const x = await extractArchive(abs);
      archives.push(x);
      problems.push(...x.problems);
      // A single top folder (as the collector packs) is the incident.
      let dir = x.dir;
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      if (entries.length === 1 && entries[0].isDirectory()) dir = join(dir, entries[0].name);
      roots.push({ dir: x.dir, name: shownAs });
      out.push(dir);
    } else out.push(p);
  }
  const display = (path: string): string => {
    const spool = spooled.get(path) ?? spooled.get(resolve(cwd, path));
    if (spool !== undefined) {
      real.set(spool, path);
      return spool;
    }
    for (const r of roots) {
      const abs = resolve(cwd, path);
      if (abs.startsWith(r.dir)) {
        const shown = archiveDisplayPath(r.name, r.dir, abs);
        real.set(shown, abs);
        return shown;
      }
    }
    return path;
  };
  return { paths: out, display, real, anonymous: new Set(spooled.keys()) };
}

/** Standard input copied to a file in a temp folder of its own (removed with the incident). */
async function spoolStdin(stdin: Readable): Promise<ExtractedArchive & { file: string; error?: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'podpath-stdin-'));
  const untrack = trackTempDir(dir);
  const file = join(dir, 'stdin');
  const result: ExtractedArchive & { file: string; error?: string } = {
    dir,
    file,
    problems: [],
    files: 1,
    bytes: 0,
    cleanup: () =>
      rm(dir, { recursive: true, force: true })
        .then(untrack)
        .catch(() => undefined),
  };
  try {
    await pipeline(stdin, createWriteStream(file));
  } catch (e) {
    result.error = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
  return result;
}
