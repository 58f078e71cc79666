/**
 * `npm run bench [-- --size 1G --out DIR --keep --seed N --skip tshark,parallel,six,short,startup]`
 *
 * Generates two large captures (generate.ts, through the project's own pcap writer): the flannel
 * mix and the short-flow mix (many short, mostly one-sided conversations, ARP/ND noise). Measures
 * start-up (`node -e 0`, `podpath --version`, `--help`: median of 10 runs each), then on each file
 * side by side (tcpdump on the same file, in the same run): `podpath packets` (text and ndjson), `podpath analyze
 * --format json`, `tcpdump -nn -r` (with and without TZ=UTC), `tshark` (on a 100 MiB prefix: it is
 * slow), two captures at once, and six capture points of the same traffic correlated. Wall time,
 * packets/s, MB/s, peak RSS (/usr/bin/time -f %M, else VmHWM polled from /proc), ratios against
 * tcpdump. Prints the table and writes test/bench/results.md.
 *
 * Sizes: 1G = 1 GiB, 100M = 100 MiB. The generated files go to --out (default: a folder in the
 * system's temp dir) and are deleted at the end unless --keep; a kept file is reused by the next
 * run with the same size and seed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, type Mix } from './generate.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The project root (dist/test/bench -> ../../..). */
const ROOT = resolve(HERE, '..', '..', '..');
const PODPATH = join(ROOT, 'bin', 'podpath.js');
const RESULTS = join(ROOT, 'test', 'bench', 'results.md');
const MiB = 1024 * 1024;

interface Args {
  size: number;
  sizeText: string;
  out?: string;
  keep: boolean;
  seed: number;
  skip: Set<string>;
  write: boolean;
}

function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMG]i?B?)?$/i.exec(s.trim());
  if (!m) throw new Error(`--size: "${s}" is not a size like 100M or 1G`);
  const unit = (m[2] ?? 'M')[0].toUpperCase();
  return Math.round(Number(m[1]) * (unit === 'K' ? 1024 : unit === 'M' ? MiB : 1024 * MiB));
}

function parseArgs(argv: string[]): Args {
  const a: Args = { size: 1024 * MiB, sizeText: '1G', keep: false, seed: 8472, skip: new Set(), write: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--size') {
      a.sizeText = v();
      a.size = parseSize(a.sizeText);
    } else if (k === '--out') a.out = resolve(v());
    else if (k === '--keep') a.keep = true;
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--skip') for (const s of v().split(',')) a.skip.add(s.trim());
    else if (k === '--no-write') a.write = false;
    else throw new Error(`unknown option ${k} (--size, --out, --keep, --seed, --skip tshark,parallel,six,short,startup, --no-write)`);
  }
  return a;
}

interface Run {
  wall: number;
  /** CPU seconds (user + system; with /usr/bin/time only, else NaN). */
  cpu: number;
  /** Peak RSS in KiB (the largest of the processes when several run). */
  rssKiB: number;
  code: number;
  stderr: string;
}

const HAVE_TIME = existsSync('/usr/bin/time');

/** Runs one command with stdout to /dev/null; wall time and peak RSS. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((done, fail) => {
    const devnull = openSync('/dev/null', 'w');
    const tmp = mkdtempSync(join(tmpdir(), 'podpath-time-'));
    const timeFile = join(tmp, 'rss');
    const argv = HAVE_TIME ? ['-f', '%M %U %S', '-o', timeFile, cmd, ...args] : args;
    const t0 = process.hrtime.bigint();
    const child = spawn(HAVE_TIME ? '/usr/bin/time' : cmd, argv, { stdio: ['ignore', devnull, 'pipe'], env });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    let peak = 0;
    let cpu = NaN;
    const poll = HAVE_TIME
      ? undefined
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) peak = Math.max(peak, Number(m[1]));
          } catch {
            // gone
          }
        }, 20);
    child.on('error', fail);
    child.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      if (poll) clearInterval(poll);
      closeSync(devnull);
      if (HAVE_TIME) {
        try {
          const [m, u, sy] = (readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '').split(' ').map(Number);
          peak = m;
          cpu = u + sy;
        } catch {
          peak = 0;
        }
      }
      rmSync(tmp, { recursive: true, force: true });
      done({ wall, cpu, rssKiB: peak, code: code ?? -1, stderr });
    });
  });
}

/** Several commands at once: wall time of the whole, the largest peak RSS. */
async function runTogether(cmds: [string, string[]][]): Promise<Run> {
  const t0 = process.hrtime.bigint();
  const runs = await Promise.all(cmds.map(([c, a]) => run(c, a)));
  return {
    wall: Number(process.hrtime.bigint() - t0) / 1e9,
    cpu: runs.reduce((a, r) => a + r.cpu, 0),
    rssKiB: Math.max(...runs.map((r) => r.rssKiB)),
    code: runs.find((r) => r.code !== 0)?.code ?? 0,
    stderr: runs.map((r) => r.stderr).join(''),
  };
}

interface Row {
  name: string;
  input: string;
  packets: number;
  bytes: number;
  run: Run;
  /** tcpdump's run on the same input (for the ratios), without and with TZ=UTC. */
  tcpdump?: Run;
  tcpdumpUtc?: Run;
}

function fmtRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} k`;
  return n.toFixed(0);
}

function table(rows: Row[]): string {
  const head = ['command', 'input', 'packets', 'wall s', 'CPU s', 'packets/s', 'MB/s', 'packets/CPU s', 'peak RSS MB', 'x tcpdump', 'x tcpdump TZ=UTC'];
  const lines = [head, ...rows.map((r) => {
    const w = r.run.wall;
    const c = r.run.cpu;
    // Ratios: tcpdump's time over this row's, wall (and CPU) on the same input; above 1 is faster.
    const ratio = (t?: Run) => (t === undefined ? '' : `${(t.wall / w).toFixed(2)}${Number.isFinite(c) ? ` (${(t.cpu / c).toFixed(2)})` : ''}`);
    return [
      r.name + (r.run.code !== 0 ? ` (exit ${r.run.code})` : ''),
      r.input,
      String(r.packets),
      w.toFixed(2),
      Number.isFinite(c) ? c.toFixed(2) : '?',
      fmtRate(r.packets / w),
      (r.bytes / 1e6 / w).toFixed(0),
      Number.isFinite(c) ? fmtRate(r.packets / c) : '?',
      (r.run.rssKiB / 1024).toFixed(0),
      ratio(r.tcpdump),
      ratio(r.tcpdumpUtc),
    ];
  })];
  const out = lines.map((l) => `| ${l.join(' | ')} |`);
  out.splice(1, 0, `|${head.map((_, i) => (i >= 2 ? ' ---: ' : ' --- ')).join('|')}|`);
  return out.join('\n');
}

function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return ((r.stdout || '') + (r.stderr || '')).split('\n').find((l) => l.trim())?.trim() ?? '?';
}

function machine(): string[] {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? '?';
  return [
    `CPU: ${cpu}, ${cpus().length} cores`,
    `memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `node ${process.version}; ${version('tcpdump', ['--version'])}; ${version('tshark', ['--version']).replace(/\s*\(Git.*$/, '')}`,
    `load average at start: ${loadavg().map((x) => x.toFixed(2)).join(', ')}`,
  ];
}

/** A generated capture of `size` bytes (reused when a kept one with the same size and seed is there). */
function capture(dir: string, size: number, seed: number, kind: Mix = 'flannel'): { path: string; packets: number; bytes: number; mix: Record<string, number> } {
  const path = join(dir, `${kind}-${size}-${seed}.pcap`);
  const meta = path + '.json';
  if (existsSync(path) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, 'utf8'));
    if (statSync(path).size === m.bytes) return { path, ...m };
  }
  const t0 = Date.now();
  const r = generate(path, size, seed, kind);
  writeFileSync(meta, JSON.stringify(r));
  console.error(`bench: generated ${path}: ${r.packets} packets, ${(r.bytes / MiB).toFixed(0)} MiB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { path, ...r };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date().toISOString();
  const info = machine();
  const dir = args.out ?? join(tmpdir(), 'podpath-bench');
  mkdirSync(dir, { recursive: true });
  const made: string[] = [];
  const big = capture(dir, args.size, args.seed);
  made.push(big.path, big.path + '.json');
  const node = process.execPath;
  const rows: Row[] = [];
  const say = (r: Row) => console.error(`bench: ${r.name} on ${r.input}: ${r.run.wall.toFixed(2)} s, ${(r.run.rssKiB / 1024).toFixed(0)} MB${r.run.code ? `, exit ${r.run.code}: ${r.run.stderr.slice(0, 300)}` : ''}`);
  const add = (r: Row) => {
    rows.push(r);
    say(r);
    return r;
  };
  const name = `${args.sizeText} (${(big.bytes / MiB).toFixed(0)} MiB)`;
  const utc = { ...process.env, TZ: 'UTC' };
  const noTz = { ...process.env };
  delete noTz.TZ;

  const startup: { name: string; ms: number }[] = [];
  if (!args.skip.has('startup')) {
    // Median of 10 runs each, interleaved (the load changes while they run).
    const cmds: [string, string[]][] = [[node, ['-e', '0']], [node, [PODPATH, '--version']], [node, [PODPATH, '--help']]];
    const times: number[][] = cmds.map(() => []);
    for (let i = 0; i < 10; i++) for (let k = 0; k < cmds.length; k++) times[k].push((await run(cmds[k][0], cmds[k][1])).wall * 1000);
    const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1];
    ['node -e 0', 'podpath --version', 'podpath --help'].forEach((n, k) => startup.push({ name: n, ms: median(times[k]) }));
    for (const s of startup) console.error(`bench: start-up ${s.name}: ${s.ms.toFixed(0)} ms`);
  }

  const td = add({ name: 'tcpdump -nn -r', input: name, packets: big.packets, bytes: big.bytes, run: await run('tcpdump', ['-nn', '-r', big.path], noTz) });
  const tdu = add({ name: 'TZ=UTC tcpdump -nn -r', input: name, packets: big.packets, bytes: big.bytes, run: await run('tcpdump', ['-nn', '-r', big.path], utc) });
  const vs = { tcpdump: td.run, tcpdumpUtc: tdu.run };
  add({ name: 'podpath packets --format text', input: name, packets: big.packets, bytes: big.bytes, run: await run(node, [PODPATH, 'packets', big.path]), ...vs });
  add({ name: 'podpath packets --format ndjson', input: name, packets: big.packets, bytes: big.bytes, run: await run(node, [PODPATH, 'packets', '--format', 'ndjson', big.path]), ...vs });
  add({ name: 'podpath analyze --format json', input: name, packets: big.packets, bytes: big.bytes, run: await run(node, [PODPATH, 'analyze', '--quiet', '--format', 'json', big.path]), ...vs });

  let short: ReturnType<typeof capture> | undefined;
  if (!args.skip.has('short')) {
    short = capture(dir, args.size, args.seed, 'short');
    made.push(short.path, short.path + '.json');
    const sname = `short ${args.sizeText} (${(short.bytes / MiB).toFixed(0)} MiB)`;
    const one = { input: sname, packets: short.packets, bytes: short.bytes };
    const std = add({ name: 'tcpdump -nn -r', ...one, run: await run('tcpdump', ['-nn', '-r', short.path], noTz) });
    const stdu = add({ name: 'TZ=UTC tcpdump -nn -r', ...one, run: await run('tcpdump', ['-nn', '-r', short.path], utc) });
    const svs = { tcpdump: std.run, tcpdumpUtc: stdu.run };
    add({ name: 'podpath packets --format text', ...one, run: await run(node, [PODPATH, 'packets', short.path]), ...svs });
    add({ name: 'podpath analyze --format json', ...one, run: await run(node, [PODPATH, 'analyze', '--quiet', '--format', 'json', short.path]), ...svs });
  }

  if (!args.skip.has('tshark')) {
    const pre = capture(dir, Math.min(100 * MiB, args.size), args.seed);
    if (pre.path !== big.path) made.push(pre.path, pre.path + '.json');
    const pname = `${(pre.bytes / MiB).toFixed(0)} MiB prefix`;
    const ptd = add({ name: 'tcpdump -nn -r', input: pname, packets: pre.packets, bytes: pre.bytes, run: await run('tcpdump', ['-nn', '-r', pre.path], noTz) });
    const ptdu = add({ name: 'TZ=UTC tcpdump -nn -r', input: pname, packets: pre.packets, bytes: pre.bytes, run: await run('tcpdump', ['-nn', '-r', pre.path], utc) });
    add({
      name: 'tshark -r -d udp.port==8472,vxlan',
      input: pname,
      packets: pre.packets,
      bytes: pre.bytes,
      run: await run('tshark', ['-r', pre.path, '-d', 'udp.port==8472,vxlan'], utc),
      tcpdump: ptd.run,
      tcpdumpUtc: ptdu.run,
    });
  }

  const work = mkdtempSync(join(dir, 'points-'));
  made.push(work);
  if (!args.skip.has('parallel')) {
    // Two capture files (two names for the generated one): two processes at once vs one after the other.
    const a = join(work, 'a.pcap');
    const b = join(work, 'b.pcap');
    symlinkSync(big.path, a);
    symlinkSync(big.path, b);
    const two = `2 x ${name}`;
    const seqText = async (cmd: string[]) => {
      const r1 = await run(node, [PODPATH, ...cmd, a]);
      const r2 = await run(node, [PODPATH, ...cmd, b]);
      return { wall: r1.wall + r2.wall, cpu: r1.cpu + r2.cpu, rssKiB: Math.max(r1.rssKiB, r2.rssKiB), code: r1.code || r2.code, stderr: r1.stderr + r2.stderr };
    };
    add({ name: 'podpath packets, 2 files one after the other', input: two, packets: 2 * big.packets, bytes: 2 * big.bytes, run: await seqText(['packets']) });
    add({ name: 'podpath packets, 2 processes in parallel', input: two, packets: 2 * big.packets, bytes: 2 * big.bytes, run: await runTogether([[node, [PODPATH, 'packets', a]], [node, [PODPATH, 'packets', b]]]) });
    add({ name: 'podpath analyze, 2 files one after the other', input: two, packets: 2 * big.packets, bytes: 2 * big.bytes, run: await seqText(['analyze', '--quiet', '--format', 'json']) });
    add({ name: 'podpath analyze, 2 processes in parallel', input: two, packets: 2 * big.packets, bytes: 2 * big.bytes, run: await runTogether([[node, [PODPATH, 'analyze', '--quiet', '--format', 'json', a]], [node, [PODPATH, 'analyze', '--quiet', '--format', 'json', b]]]) });
    add({ name: 'podpath analyze a.pcap b.pcap (correlated, one process)', input: two, packets: 2 * big.packets, bytes: 2 * big.bytes, run: await run(node, [PODPATH, 'analyze', '--quiet', '--format', 'json', a, b]) });
  }
  if (!args.skip.has('six')) {
    // An incident folder: hosts A, B, C, each with eth0.pcap and cni0.pcap (the same traffic six times).
    const incident = join(work, 'incident');
    for (const h of ['A', 'B', 'C']) {
      mkdirSync(join(incident, h), { recursive: true });
      for (const f of ['eth0.pcap', 'cni0.pcap']) symlinkSync(big.path, join(incident, h, f));
    }
    add({ name: 'podpath analyze, 6 capture points correlated', input: `6 x ${name}`, packets: 6 * big.packets, bytes: 6 * big.bytes, run: await run(node, [PODPATH, 'analyze', '--quiet', '--format', 'json', incident]) });
  }

  const t = table(rows);
  console.log(t);
  if (args.write) {
    const mix = Object.entries(big.mix).map(([k, v]) => `${k} ${((100 * v) / big.packets).toFixed(1)}%`).join(', ');
    const md = [
      '# Benchmark results',
      '',
      `Generated by \`npm run bench -- --size ${args.sizeText}\` on ${started} (see docs/performance.md).`,
      '',
      ...info.map((l) => `- ${l}`),
      `- flannel capture: ${big.packets} packets, ${big.bytes} bytes (${mix}), seed ${args.seed}`,
      ...(short ? [`- short-flow capture ("short" rows): ${short.packets} packets, ${short.bytes} bytes (${Object.entries(short.mix).map(([k, v]) => `${k} ${((100 * v) / short!.packets).toFixed(1)}%`).join(', ')}), seed ${args.seed}`] : []),
      '',
      ...(startup.length
        ? ['Start-up (median of 10 runs each, interleaved):', '', '| command | ms | over node -e 0 |', '| --- | ---: | ---: |', ...startup.map((s) => `| ${s.name} | ${s.ms.toFixed(0)} | ${s === startup[0] ? '' : `+${(s.ms - startup[0].ms).toFixed(0)}`} |`), '']
        : []),
      t,
      '',
      '"x tcpdump" is tcpdump\'s wall time divided by the row\'s on the same input (above 1: faster than tcpdump), then the same for CPU time (user + system) in parentheses.',
      'MB is 10^6 bytes; packets/CPU s is what one core does when it is not shared.',
      'Rows on "2 x" and "6 x" inputs count the packets of every file; tshark runs on a 100 MiB prefix of the same capture.',
      '',
    ].join('\n');
    writeFileSync(RESULTS, md);
    console.error(`bench: wrote ${RESULTS}`);
  }
  if (!args.keep) for (const p of made.reverse()) rmSync(p, { recursive: true, force: true });
  else rmSync(work, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exitCode = 1;
});
