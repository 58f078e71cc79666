/**
 * `podpath report <incidents..> --out DIR`: a report per incident (markdown, html, json) and a
 * ranked index, incidents analyzed in parallel on worker threads; `--shard I/N` for one slice of
 * a batch spread over machines (a Kubernetes Indexed Job), `--merge DIR..` for the index of the
 * shards. docs/batch.md.
 */
import type { Argv } from 'yargs';
import type { Command } from './command.js';
import { EXIT, UserError, type Io } from '../io.js';
import type { Severity } from '../topology/model.js';
import { parseShard } from '../batch/incidents.js';
import { defaultJobs } from '../batch/pool.js';
import { runBatch, runMerge } from '../batch/run.js';

const SEVERITIES: readonly Severity[] = ['info', 'warning', 'error', 'critical'];

function ports(v: unknown, name: string): number[] {
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
  return list.map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UserError(`--${name} takes a UDP port (1-65535), not ${String(x)}`, EXIT.USAGE);
    return n;
  });
}

function list(v: unknown): string[] {
  return (v === undefined ? [] : Array.isArray(v) ? v : [v]).map(String);
}

/** Tests pass another worker script here. */
export interface ReportHooks {
  workerUrl?: URL;
  now?: () => Date;
}

export async function runReport(argv: Record<string, unknown>, io: Io, hooks: ReportHooks = {}): Promise<number> {
  const incidents = list(argv.incidents);
  const merge = list(argv.merge);
  const failOn = argv['fail-on'] as Severity | undefined;
  if (failOn !== undefined && !SEVERITIES.includes(failOn)) throw new UserError(`--fail-on takes ${SEVERITIES.join(', ')}`, EXIT.USAGE);
  const out = argv.out === undefined ? undefined : String(argv.out);
  if (out === '') throw new UserError('--out needs a folder', EXIT.USAGE);
  const common = { failOn, timestamp: Boolean(argv.timestamp), quiet: Boolean(argv.quiet), now: hooks.now };

  if (merge.length > 0) {
    if (incidents.length > 0) throw new UserError('--merge builds the index of shards already run: name no incidents with it', EXIT.USAGE);
    if (argv.shard !== undefined) throw new UserError('--merge and --shard go in different steps', EXIT.USAGE);
    return runMerge(merge, io, { ...common, out, partial: Boolean(argv.partial) });
  }
  if (incidents.length === 0) throw new UserError('name incident folders (or archives, or globs), or --merge shard output folders', EXIT.USAGE);
  if (out === undefined) throw new UserError('--out DIR: where the reports and the index go', EXIT.USAGE);
  let shard: { index: number; count: number } | undefined;
  if (argv.shard !== undefined) {
    shard = parseShard(String(argv.shard));
    if (!shard) throw new UserError(`--shard takes I/N with 1 <= I <= N (1-based), not ${JSON.stringify(String(argv.shard))}`, EXIT.USAGE);
  }
  let jobs = defaultJobs();
  if (argv.jobs !== undefined) {
    jobs = Number(argv.jobs);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) throw new UserError(`--jobs takes a number of worker threads (1-256), not ${String(argv.jobs)}`, EXIT.USAGE);
  }
  return runBatch(incidents, io, {
    ...common,
    out,
    jobs,
    shard,
    vxlanPorts: ports(argv['vxlan-port'], 'vxlan-port'),
    genevePorts: ports(argv['geneve-port'], 'geneve-port'),
    workerUrl: hooks.workerUrl,
  });
}

export const reportCommand: Command = {
  command: 'report [incidents..]',
  describe: 'A report per incident (markdown, html, json) and a ranked index, incidents analyzed in parallel',
  builder(y: Argv): Argv {
    return y
      .positional('incidents', { type: 'string', array: true, describe: 'incident folders or .tar.gz archives, or globs of them' })
      .option('out', { type: 'string', describe: 'output folder: <out>/<incident>/report.{md,html,json}, <out>/index.{md,html}' })
      .option('jobs', { type: 'number', describe: `incidents analyzed at once, each on a worker thread (default ${defaultJobs()}: min(CPUs, 4))` })
      .option('shard', { type: 'string', describe: 'I/N: only the I-th (1-based) of N slices of the incident list sorted by path; writes <out>/shard-I-of-N.json, no index' })
      .option('merge', { type: 'string', array: true, describe: 'build the index from the shard manifests in these folders (and copy their reports into --out)' })
      .option('partial', { type: 'boolean', describe: 'with --merge: build the index even when some shards are missing' })
      .option('fail-on', { choices: SEVERITIES, describe: 'exit 1 when an incident has a finding at or above this severity' })
      .option('timestamp', { type: 'boolean', describe: 'write the generation time into the index (off: identical inputs give identical files)' })
      .option('vxlan-port', { type: 'number', array: true, describe: 'also decode this UDP port as VXLAN (4789 and 8472 always are)' })
      .option('geneve-port', { type: 'number', array: true, describe: 'also decode this UDP port as Geneve (6081 always is)' })
      .option('quiet', { type: 'boolean', describe: 'no progress line and no notes about skipped names on stderr' })
      .example('$0 report samples/* --out report', 'every sample incident, and report/index.html')
      .example('$0 report "/data/incidents/*" --out /data/out --shard 2/8', 'the 2nd of 8 slices (one pod of an Indexed Job)')
      .example('$0 report --merge /data/out', 'the index of all the shards in /data/out');
  },
  run: (argv, io) => runReport(argv, io),
};
