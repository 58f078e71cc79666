/**
 * `podpath report`, the work: list incidents, run them on the worker pool, write the index (or
 * the shard manifest), and say which exit code the batch calls for. Also the merge of shard
 * manifests. docs/batch.md.
 */
import { SEVERITIES, atLeast } from '../severity.js';
import { lstat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EXIT, UserError, type Io } from '../io.js';
import { terminalText } from '../report/escape.js';
import type { Severity } from '../topology/model.js';
import { renderIndexHtml, renderIndexMarkdown, type IndexOptions } from './index-render.js';
import { listIncidents, shardSlice, shownPath } from './incidents.js';
import { copyReports, MergeError, readManifests, writeManifest } from './manifest.js';
import { runPool } from './pool.js';
import { progressLine } from './progress.js';
import type { IncidentEntry, Job } from './types.js';
import { outDir, writeFileIn } from './write.js';

/** --fail-on's choices, least severe first (the order is src/severity.ts'). */
const FAIL_ON: readonly Severity[] = [...SEVERITIES].reverse();

export interface BatchOptions {
  out: string;
  jobs: number;
  shard?: { index: number; count: number };
  failOn?: Severity;
  timestamp?: boolean;
  quiet?: boolean;
  vxlanPorts?: number[];
  genevePorts?: number[];
  /** Tests: another worker script. */
  workerUrl?: URL;
  /** Tests: the generation time --timestamp writes. */
  now?: () => Date;
}

/** 3 when no incident was analyzed, 1 when one has a finding at or above --fail-on, else 0. */
export function exitCode(entries: IncidentEntry[], failOn: Severity | undefined): number {
  const ok = entries.filter((e) => e.status === 'ok');
  if (ok.length === 0) return EXIT.NO_INPUT;
  if (failOn) {
        if (ok.some((e) => e.worst !== null && atLeast(e.worst, failOn))) return EXIT.FINDING;
  }
  return EXIT.OK;
}

async function prepareOut(cwd: string, out: string): Promise<string> {
  const abs = resolve(cwd, out);
  const st = await lstat(abs).catch(() => undefined);
  if (st && !st.isDirectory()) throw new UserError(`--out ${out} exists and is not a folder`, EXIT.USAGE);
  try {
    await outDir(abs);
  } catch (e) {
    throw new UserError(`--out ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.USAGE);
  }
  return abs;
}

async function writeIndex(out: string, entries: IncidentEntry[], opts: Pick<BatchOptions, 'timestamp' | 'now'>, extra: IndexOptions = {}): Promise<void> {
  const o: IndexOptions = { ...extra };
  if (opts.timestamp) o.timestamp = (opts.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  await writeFileIn(out, 'index.md', renderIndexMarkdown(entries, o));
  await writeFileIn(out, 'index.html', renderIndexHtml(entries, o));
}

/** Where the results are: one line on stdout (the only thing `report` prints there). */
function wroteIndex(io: Io, out: string, n: number): void {
  const shown = shownPath(io.cwd, join(out, 'index.html'));
  io.out(`${n} report${n === 1 ? '' : 's'}; index: ${terminalText(shown)} (and index.md beside it)\n`);
}

/** Names come from the file system: no escape sequence of theirs reaches the terminal. */
function failureLine(e: IncidentEntry): string {
  return `podpath: ${terminalText(e.path)}: failed: ${terminalText(e.error ?? 'unknown error')}`;
}

export async function runBatch(args: string[], io: Io, opts: BatchOptions): Promise<number> {
  const { incidents, skipped } = await listIncidents(args, io.cwd, resolve(io.cwd, opts.out));
  if (!opts.quiet) for (const s of skipped) io.err(`podpath: ${terminalText(s)}`);
  if (incidents.length === 0) {
    io.err('podpath: no incident folder or archive to analyze');
    return EXIT.NO_INPUT;
  }
  const mine = opts.shard ? shardSlice(incidents, opts.shard.index, opts.shard.count) : incidents;
  const out = await prepareOut(io.cwd, opts.out);
  const jobs: Job[] = mine.map((i) => ({
    abs: i.abs,
    ...(i.more ? { more: i.more } : {}),
    path: i.path,
    slug: i.slug,
    out,
    vxlanPorts: opts.vxlanPorts ?? [],
    genevePorts: opts.genevePorts ?? [],
  }));
  const progress = progressLine(io, jobs.length, Boolean(opts.quiet));
  const entries = await runPool(jobs, {
    size: opts.jobs,
    workerUrl: opts.workerUrl,
    onStart: (job) => progress.start(job.slug),
    onDone: (entry, job) => {
      progress.done(job.slug, entry.status === 'failed');
      if (entry.status === 'failed') progress.log(failureLine(entry));
    },
  });
  progress.end();
  if (opts.shard) {
    await writeManifest(out, opts.shard.index, opts.shard.count, incidents.length, entries);
    // A shard's slice may be empty or all failed: its manifest says so and the merge judges
    // the batch (a failing pod would only be retried to the same result).
    const code = exitCode(entries, opts.failOn);
    return code === EXIT.NO_INPUT ? EXIT.OK : code;
  }
  await writeIndex(out, entries, opts);
  wroteIndex(io, out, entries.length);
  const code = exitCode(entries, opts.failOn);
  if (code === EXIT.NO_INPUT) io.err('podpath: no incident could be analyzed');
  return code;
}

export interface MergeOptions extends Pick<BatchOptions, 'failOn' | 'timestamp' | 'quiet' | 'now'> {
  /** Where the index goes; default the one merge folder. */
  out?: string;
  /** Build the index even when some shards' manifests are missing. */
  partial?: boolean;
}

export async function runMerge(dirs: string[], io: Io, opts: MergeOptions): Promise<number> {
  const absDirs = dirs.map((d) => resolve(io.cwd, d));
  if (opts.out === undefined && absDirs.length !== 1) throw new UserError('--merge with several folders needs --out (where the index goes)', EXIT.USAGE);
  let merged;
  try {
    merged = await readManifests(absDirs);
  } catch (e) {
    if (e instanceof MergeError) throw new UserError(e.message, EXIT.USAGE);
    throw e;
  }
  for (const w of merged.warnings) io.err(`podpath: ${w}`);
  if (merged.missing.length > 0) {
    const what = `no manifest for shard ${merged.missing.join(', ')}`;
    if (!opts.partial) throw new UserError(`${what} (pass --partial to build the index anyway)`, EXIT.USAGE);
    io.err(`podpath: ${what}: the index is incomplete`);
  }
  const out = opts.out !== undefined ? await prepareOut(io.cwd, opts.out) : absDirs[0];
  for (const e of merged.entries) {
    if (e.status !== 'ok') continue;
    const from = merged.from.get(e.slug.toLowerCase())!;
    const problem = await copyReports(from, out, e.slug).catch((err: Error) => `${e.slug}: ${err.message}`);
    if (problem) io.err(`podpath: ${problem}`);
  }
  for (const e of merged.entries) if (e.status === 'failed') io.err(failureLine(e));
  await writeIndex(out, merged.entries, opts, merged.missing.length ? { missingShards: merged.missing } : {});
  wroteIndex(io, out, merged.entries.length);
  const code = exitCode(merged.entries, opts.failOn);
  if (code === EXIT.NO_INPUT) io.err('podpath: no incident could be analyzed');
  return code;
}
