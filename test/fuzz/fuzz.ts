/**
 * Mutation fuzzing of the whole pipeline: `npm run fuzz [-- --count N --full M --seconds S --seed X]`.
 *
 *   fast tier   a worker thread (heap ceiling --heap-mb, default 256 MB): thousands of execs/s of
 *               mutated captures through the parsers (whole and in random chunks: the results must
 *               agree), the decoder, summaries, packet lines, observations, readCapture on temp files
 *               (gzip too); mutated dumps through parseDump and buildTopology (fast.ts).
 *   full tier   a child process (node --max-old-space-size=256, RSS polled, 5 s per input): a mutated
 *               incident folder through analyze() and every report format (full.ts, runner.ts).
 *
 * Both tiers run at once (one core each). A crash (uncaught exception, broken invariant), a hang (no
 * progress for --time-limit ms) or a ceiling hit saves the input under test/fuzz-crashes/<hash>/
 * with meta.json (how to replay it: --replay DIR) and makes the run exit 1. Execs are numbered and
 * each one's input depends only on --seed and its number: a run is deterministic.
 *
 *   --count N       fast-tier execs (default 20000)
 *   --full M        full-tier execs (default max(20, N / 1000))
 *   --seconds S     stop each tier after S seconds, whatever the counts
 *   --seed X        (default 1)
 *   --tier fast|full|both
 *   --replay DIR    run one saved input again, in this process, and print what happens
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ROOT } from '../helpers.js';
import { makeFastInput, runFastInput, sweepList, type FastInput } from './fast.js';
import type { FastCrashMessage, FastWorkerData } from './fast-worker.js';
import { makeFullInput, type FullInput } from './full.js';
import type { RunReply, RunRequest } from './runner.js';
import { loadSeeds, type Seeds } from './seeds.js';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface FuzzOptions {
  seed?: number;
  count?: number;
  full?: number;
  seconds?: number;
  tiers?: ('fast' | 'full')[];
  /** Per-input time limit, ms (default 5000). */
  timeLimitMs?: number;
  /** Heap ceiling of the worker and the runner, MB (default 256). */
  heapMb?: number;
  /** RSS ceiling of the runner, MB (default 768); the fuzzer process' own, MB (default 1536). */
  rssMb?: number;
  crashDir?: string;
  log?: (line: string) => void;
  /** Print a progress line this often (seconds; the command line: 60). */
  progressSeconds?: number;
}

/** Execs so far, for the progress lines. */
const live = { fast: 0, full: 0, failures: 0 };

export type Failure = 'crash' | 'invariant' | 'hang' | 'ceiling';

export interface TierResult {
  execs: number;
  seconds: number;
  crashes: number;
  hangs: number;
  ceilings: number;
  /** Distinct failure signatures, each with the folder its first input was saved to. */
  failures: { kind: Failure; signature: string; saved: string; count: number }[];
}

export interface FuzzResult {
  seed: number;
  seeds: { captures: number; dumps: number; scenarios: number };
  fast?: TierResult;
  full?: TierResult;
  /** Peak resident set sizes, MB. */
  peakRssMb: { fuzzer: number; runner: number };
  ok: boolean;
}

function emptyTier(): TierResult {
  return { execs: 0, seconds: 0, crashes: 0, hangs: 0, ceilings: 0, failures: [] };
}

/** Saves a failing input; one folder per input hash, at most 5 inputs per failure signature. */
class Crashes {
  private perSignature = new Map<string, { saved: string; count: number; kind: Failure }>();
  constructor(
    private readonly dir: string,
    private readonly tier: TierResult,
    private readonly log: (l: string) => void,
  ) {}

  record(kind: Failure, message: string, stack: string, files: Map<string, Uint8Array>, meta: Record<string, unknown>): void {
    live.failures++;
    if (kind === 'hang') this.tier.hangs++;
    else if (kind === 'ceiling') this.tier.ceilings++;
    else this.tier.crashes++;
    const signature = `${kind}: ${message.split('\n')[0].replace(/\d+/g, 'N').slice(0, 160)} @ ${topFrame(stack)}`;
    const h = createHash('sha256');
    for (const [name, b] of [...files].sort((a, b) => (a[0] < b[0] ? -1 : 1))) h.update(name).update(b);
    const hash = h.digest('hex').slice(0, 16);
    const seen = this.perSignature.get(signature);
    if (seen && seen.count >= 5) {
      seen.count++;
      return;
    }
    const folder = join(this.dir, hash);
    mkdirSync(folder, { recursive: true });
    for (const [name, b] of files) {
      const p = join(folder, 'input', name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, b);
    }
    writeFileSync(join(folder, 'meta.json'), JSON.stringify({ kind, message, stack, signature, ...meta }, null, 2) + '\n');
    const shown = relative(ROOT, folder) || folder;
    if (seen) seen.count++;
    else {
      this.perSignature.set(signature, { saved: shown, count: 1, kind });
      this.log(`${kind.toUpperCase()} ${signature}\n  saved: ${shown} (replay: node dist/test/fuzz/fuzz.js --replay ${shown})`);
    }
  }

  finish(): void {
    this.tier.failures = [...this.perSignature].map(([signature, v]) => ({ kind: v.kind, signature, saved: v.saved, count: v.count }));
  }
}

function topFrame(stack: string): string {
  const line = stack.split('\n').find((l) => /^\s+at /.test(l) && !l.includes('/test/fuzz/')) ?? stack.split('\n').find((l) => /^\s+at /.test(l)) ?? '';
  return line.trim().replace(/^at /, '').replace(/file:\/\/\S*\/(dist\/)/, '$1').replace(/:\d+\)?$/, '');
}

function rssOf(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  if (!pid) return 0;
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

// ------------------------------------------------------------------------------------ fast tier

async function fastTier(seeds: Seeds, o: Required<Omit<FuzzOptions, 'seconds' | 'log' | 'progressSeconds'>> & { deadline: number; log: (l: string) => void }, peak: { fuzzer: number }): Promise<TierResult> {
  const res = emptyTier();
  const crashes = new Crashes(o.crashDir, res, o.log);
  const sweep = sweepList(seeds);
  const started = Date.now();
  const inputFiles = (inp: FastInput) => {
    const files = new Map<string, Uint8Array>([[inp.name, inp.bytes]]);
    if (inp.companion) files.set(`companion-${inp.companion.name}`, inp.companion.bytes);
    return files;
  };
  const metaOf = (i: number, inp: FastInput) => ({
    tier: 'fast',
    seed: o.seed,
    exec: i,
    from: inp.seed,
    mutations: inp.log,
    input: { ...inp, bytes: undefined, companion: inp.companion ? { name: inp.companion.name } : undefined },
  });
  let next = 0;
  let doneBefore = 0;
  while (next < o.count && Date.now() < o.deadline) {
    // [0] exec under way, [1] execs done by this worker, [2] 1 once the worker has loaded its seeds
    const heartbeat = new SharedArrayBuffer(12);
    const hb = new Int32Array(heartbeat);
    Atomics.store(hb, 0, next);
    const data: FastWorkerData & { podpathFuzz: true } = { seed: o.seed, start: next, end: o.count, deadline: o.deadline, heartbeat, podpathFuzz: true };
    const worker = new Worker(join(HERE, 'fast-worker.js'), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: o.heapMb } });
    const outcome = await new Promise<{ stop: 'done' } | { stop: Failure; exec: number; message: string; stack: string }>((done) => {
      let last = '';
      let lastChange = Date.now();
      let finished = false;
      const finish = (v: Parameters<typeof done>[0]) => {
        if (finished) return;
        finished = true;
        clearInterval(timer);
        done(v);
      };
      worker.on('message', (m: FastCrashMessage | { type: 'done' }) => {
        if (m.type === 'done') return finish({ stop: 'done' });
        const inp = makeFastInput(seeds, sweep, o.seed, m.exec);
        crashes.record(m.invariant ? 'invariant' : 'crash', m.message, m.stack, inputFiles(inp), metaOf(m.exec, inp));
      });
      worker.on('error', (e: Error & { code?: string }) => {
        const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
        finish({ stop: oom ? 'ceiling' : 'crash', exec: Atomics.load(hb, 0), message: oom ? `heap ceiling (${o.heapMb} MB) hit` : String(e.message), stack: String(e.stack) });
      });
      // exiting without 'done': the exec's promise never settled (nothing left to wait for)
      worker.on('exit', (code) =>
        finish({ stop: code === 0 ? 'hang' : 'crash', exec: Atomics.load(hb, 0), message: code === 0 ? 'the exec never finished (a promise that never settles)' : `worker exited with code ${code}`, stack: '' }),
      );
      const timer = setInterval(() => {
        const rss = process.memoryUsage().rss / 1048576;
        peak.fuzzer = Math.max(peak.fuzzer, rss);
        const cur = Atomics.load(hb, 0);
        const state = `${cur}/${Atomics.load(hb, 1)}/${Atomics.load(hb, 2)}`;
        if (state !== last) {
          last = state;
          lastChange = Date.now();
        }
        res.execs = doneBefore + Atomics.load(hb, 1);
        live.fast = res.execs;
        if (rss > o.rssMb) finish({ stop: 'ceiling', exec: cur, message: `fuzzer RSS ${Math.round(rss)} MB over the ${o.rssMb} MB ceiling`, stack: '' });
        else if (Atomics.load(hb, 2) === 1 && Date.now() - lastChange > o.timeLimitMs) finish({ stop: 'hang', exec: cur, message: `no progress for ${o.timeLimitMs} ms`, stack: '' });
      }, 100);
    });
    await worker.terminate();
    doneBefore += Atomics.load(hb, 1);
    if (outcome.stop === 'done') break;
    const inp = makeFastInput(seeds, sweep, o.seed, outcome.exec);
    crashes.record(outcome.stop, outcome.message, outcome.stack, inputFiles(inp), metaOf(outcome.exec, inp));
    doneBefore++;
    next = outcome.exec + 1;
  }
  res.execs = doneBefore;
  crashes.finish();
  res.seconds = (Date.now() - started) / 1000;
  return res;
}

// ------------------------------------------------------------------------------------ full tier

class Runner {
  child: ChildProcess | undefined;
  stderr = '';
  private waiting: ((r: RunReply | { exit: string }) => void) | undefined;

  constructor(private readonly heapMb: number) {}

  async start(): Promise<void> {
    this.stderr = '';
    const child = fork(join(HERE, 'runner.js'), [], {
      execArgv: [`--max-old-space-size=${this.heapMb}`, '--stack-size=984'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.child = child;
    child.stderr!.on('data', (d: Buffer) => {
      if (this.stderr.length < 20000) this.stderr += d.toString();
    });
    child.on('exit', (code, signal) => {
      this.child = undefined;
      this.waiting?.({ exit: signal ? `signal ${signal}` : `exit code ${code}` });
    });
    await new Promise<void>((ok, fail) => {
      child.once('message', () => ok());
      child.once('exit', (code) => fail(new Error(`runner exited (${code}) before it was ready: ${this.stderr}`)));
    });
    child.on('message', (m: RunReply) => this.waiting?.(m));
  }

  run(req: RunRequest, timeLimitMs: number, rssMb: number, peak: { runner: number }): Promise<RunReply | { exit: string } | { hang: true } | { ceiling: number }> {
    return new Promise((done) => {
      const child = this.child!;
      let finished = false;
      const finish = (v: RunReply | { exit: string } | { hang: true } | { ceiling: number }) => {
        if (finished) return;
        finished = true;
        clearTimeout(timeout);
        clearInterval(poll);
        this.waiting = undefined;
        peak.runner = Math.max(peak.runner, rssOf(child.pid, 'VmHWM'));
        done(v);
      };
      this.waiting = finish;
      const timeout = setTimeout(() => finish({ hang: true }), timeLimitMs);
      const poll = setInterval(() => {
        const rss = rssOf(child.pid, 'VmRSS');
        peak.runner = Math.max(peak.runner, rss);
        if (rss > rssMb) finish({ ceiling: rss });
      }, 50);
      child.send(req);
    });
  }

  async kill(): Promise<void> {
    const c = this.child;
    if (!c) return;
    const gone = new Promise<void>((ok) => c.once('exit', () => ok()));
    c.kill('SIGKILL');
    await gone;
  }
}

async function writeIncident(dir: string, files: Map<string, Uint8Array>): Promise<void> {
  for (const [name, b] of files) {
    const p = join(dir, name);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, b);
  }
}

async function fullTier(seeds: Seeds, o: Required<Omit<FuzzOptions, 'seconds' | 'log' | 'progressSeconds'>> & { deadline: number; log: (l: string) => void }, peak: { runner: number }): Promise<TierResult> {
  const res = emptyTier();
  const crashes = new Crashes(o.crashDir, res, o.log);
  const started = Date.now();
  const tmp = await mkdtemp(join(tmpdir(), 'podpath-fuzz-full-'));
  const runner = new Runner(o.heapMb);
  const runnerRss = Math.max(o.heapMb * 3, 512);
  try {
    await runner.start();
    for (let i = 0; i < o.full && Date.now() < o.deadline; i++) {
      const inp: FullInput = makeFullInput(seeds, o.seed, i);
      const cwd = join(tmp, `exec-${i}`);
      await writeIncident(join(cwd, 'incident'), inp.files);
      const meta = { tier: 'full', seed: o.seed, exec: i, scenario: inp.scenario, mutations: inp.log, run: 'podpath analyze incident --format <each>' };
      if (!runner.child) await runner.start();
      const r = await runner.run({ id: i, paths: ['incident'], cwd }, o.timeLimitMs, runnerRss, peak);
      res.execs++;
      live.full = res.execs;
      if ('hang' in r) {
        await runner.kill();
        crashes.record('hang', `analyze + render took more than ${o.timeLimitMs} ms`, '', inp.files, meta);
      } else if ('ceiling' in r) {
        await runner.kill();
        crashes.record('ceiling', `runner RSS ${Math.round(r.ceiling)} MB over the ${runnerRss} MB ceiling`, '', inp.files, meta);
      } else if ('exit' in r) {
        const oom = /heap out of memory|Allocation failed/i.test(runner.stderr);
        crashes.record(oom ? 'ceiling' : 'crash', oom ? `heap ceiling (${o.heapMb} MB) hit` : `runner died (${r.exit})`, runner.stderr.slice(-4000), inp.files, meta);
      } else if (!r.ok) {
        crashes.record(r.invariant ? 'invariant' : 'crash', r.message ?? '?', r.stack ?? '', inp.files, meta);
      }
      await rm(cwd, { recursive: true, force: true });
    }
  } finally {
    await runner.kill();
    await rm(tmp, { recursive: true, force: true });
  }
  crashes.finish();
  res.seconds = (Date.now() - started) / 1000;
  return res;
}

// ------------------------------------------------------------------------------------------ run

export async function runFuzz(opts: FuzzOptions = {}): Promise<FuzzResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const count = opts.count ?? 20000;
  const o = {
    seed: opts.seed ?? 1,
    count,
    full: opts.full ?? Math.max(20, Math.floor(count / 1000)),
    tiers: opts.tiers ?? ['fast', 'full'],
    timeLimitMs: opts.timeLimitMs ?? 5000,
    heapMb: opts.heapMb ?? 256,
    rssMb: opts.rssMb ?? 1536,
    crashDir: opts.crashDir ?? join(ROOT, 'test', 'fuzz-crashes'),
    deadline: opts.seconds !== undefined ? Date.now() + opts.seconds * 1000 : Number.POSITIVE_INFINITY,
    log,
  };
  const seeds = loadSeeds();
  const peak = { fuzzer: 0, runner: 0 };
  const t0 = Date.now();
  const ticker =
    opts.progressSeconds && opts.progressSeconds > 0
      ? setInterval(() => {
          const s = (Date.now() - t0) / 1000;
          log(`progress ${s.toFixed(0)} s: fast ${live.fast} execs (${(live.fast / s).toFixed(0)}/s), full ${live.full} execs, ${live.failures} failures, RSS fuzzer ${Math.round(peak.fuzzer)} MB, runner ${Math.round(peak.runner)} MB`);
        }, opts.progressSeconds * 1000)
      : undefined;
  const [fast, full] = await Promise.all([
    o.tiers.includes('fast') ? fastTier(seeds, o, peak) : undefined,
    o.tiers.includes('full') ? fullTier(seeds, { ...o, rssMb: 768 }, peak) : undefined,
  ]);
  if (ticker) clearInterval(ticker);
  peak.fuzzer = Math.max(peak.fuzzer, process.resourceUsage().maxRSS / 1024);
  const bad = (t?: TierResult) => (t ? t.crashes + t.hangs + t.ceilings : 0);
  return {
    seed: o.seed,
    seeds: { captures: seeds.captures.length, dumps: seeds.dumps.length, scenarios: seeds.scenarios.length },
    fast,
    full,
    peakRssMb: { fuzzer: Math.round(peak.fuzzer), runner: Math.round(peak.runner) },
    ok: bad(fast) + bad(full) === 0,
  };
}

export function formatResult(r: FuzzResult): string {
  const tier = (name: string, t?: TierResult) =>
    t
      ? `${name}: ${t.execs} execs in ${t.seconds.toFixed(1)} s (${(t.execs / Math.max(t.seconds, 0.001)).toFixed(t.execs / t.seconds < 100 ? 1 : 0)} execs/s), ${t.crashes} crashes, ${t.hangs} hangs, ${t.ceilings} ceiling hits`
      : `${name}: not run`;
  const lines = [
    `seed ${r.seed}; seeds: ${r.seeds.captures} captures, ${r.seeds.dumps} dumps, ${r.seeds.scenarios} incidents`,
    tier('fast tier (in-process)', r.fast),
    tier('full tier (analyze + render, child process)', r.full),
    `peak RSS: fuzzer ${r.peakRssMb.fuzzer} MB (with the fast-tier worker), full-pipeline runner ${r.peakRssMb.runner} MB`,
  ];
  for (const t of [r.fast, r.full]) for (const f of t?.failures ?? []) lines.push(`  ${f.count}x ${f.signature}\n     ${f.saved}`);
  lines.push(r.ok ? 'OK: no crashes, hangs or ceiling hits' : 'FAILED: inputs saved under test/fuzz-crashes/');
  return lines.join('\n');
}

/** Runs a saved input again in this process and prints what happens. */
async function replay(dir: string): Promise<number> {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  console.log(`replaying ${dir}: ${meta.kind} ${meta.message}\n  mutations: ${(meta.mutations ?? []).join('; ')}`);
  try {
    if (meta.tier === 'fast') {
      const files = readdirSync(join(dir, 'input'));
      const main = files.find((f) => !f.startsWith('companion-'))!;
      const comp = files.find((f) => f.startsWith('companion-'));
      const inp: FastInput = {
        ...meta.input,
        bytes: readFileSync(join(dir, 'input', main)),
        companion: comp ? { name: comp.slice('companion-'.length), bytes: readFileSync(join(dir, 'input', comp)) } : undefined,
      };
      const tmp = await mkdtemp(join(tmpdir(), 'podpath-replay-'));
      try {
        await runFastInput(inp, tmp);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    } else {
      const { runOnce } = await import('./runner.js');
      const t0 = Date.now();
      const r = await runOnce({ id: 0, paths: ['input'], cwd: resolve(dir) });
      console.log(`analyze + render: ${Date.now() - t0} ms, ${r.packets} packets, ${r.flows} flows`);
    }
  } catch (e) {
    console.log(`reproduced: ${(e as Error)?.stack ?? e}`);
    return 1;
  }
  console.log('not reproduced (no exception)');
  return 0;
}

function parseArgs(argv: string[]): FuzzOptions & { replay?: string } {
  const o: FuzzOptions & { replay?: string } = {};
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const v = () => {
      const x = argv[++k];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    const num = () => {
      const x = Number(v());
      if (!Number.isFinite(x) || x < 0) throw new Error(`${a} takes a number`);
      return x;
    };
    if (a === '--count') o.count = num();
    else if (a === '--full') o.full = num();
    else if (a === '--seconds') o.seconds = num();
    else if (a === '--seed') o.seed = num();
    else if (a === '--time-limit') o.timeLimitMs = num();
    else if (a === '--heap-mb') o.heapMb = num();
    else if (a === '--tier') {
      const t = v();
      o.tiers = t === 'both' ? ['fast', 'full'] : t === 'fast' || t === 'full' ? [t] : (() => { throw new Error('--tier takes fast, full or both'); })();
    } else if (a === '--replay') o.replay = v();
    else throw new Error(`unknown option ${a} (see the header of test/fuzz/fuzz.ts)`);
  }
  return o;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`fuzz: ${(e as Error).message}`);
    process.exit(2);
  }
  if (args.replay) {
    if (!existsSync(args.replay) || !statSync(args.replay).isDirectory()) {
      console.error(`fuzz: ${args.replay}: no such crash folder`);
      process.exit(2);
    }
    process.exitCode = await replay(args.replay);
  } else {
    const t0 = Date.now();
    const tiers = args.tiers ?? ['fast', 'full'];
    const count = args.count ?? 20000;
    const what = [
      tiers.includes('fast') ? `${count} fast execs` : '',
      tiers.includes('full') ? `${args.full ?? Math.max(20, Math.floor(count / 1000))} full execs` : '',
    ].filter(Boolean);
    console.log(`podpath fuzz: seed ${args.seed ?? 1}, ${what.join(' and ')}${args.seconds !== undefined ? `, at most ${args.seconds} s` : ''}`);
    const r = await runFuzz({ progressSeconds: 60, ...args });
    console.log(formatResult(r));
    console.log(`wall time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    process.exitCode = r.ok ? 0 : 1;
  }
}
