/**
 * `node dist/test/bench/flows.js [--flows 1000000] [--formats json,text,markdown] [--gz]`
 * (`npm run bench:flows -- ...`)
 *
 * Many flows: a classic pcap of N one-packet UDP flows (DNS-like queries from distinct pod
 * addresses and source ports, Ethernet/IPv4/UDP, 60-byte frames), optionally gzipped (.pcap.gz, the
 * shape of issue 19 item 4), run through `podpath analyze --format F` (the CLI, bin/podpath.js).
 * Checks correctness only: exit 0, stdout complete (JSON parses and holds N flows; text and
 * markdown end with a newline), no "Invalid string length" or stack overflow on stderr. Records
 * wall time, CPU time and peak RSS (/usr/bin/time), one Markdown row per format.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PcapWriter } from './pcap-writer.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PODPATH = join(ROOT, 'bin', 'podpath.js');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

/** Writes n one-packet UDP flows; every flow has its own (source address, source port). */
export function writeFlows(path: string, n: number): number {
  const w = new PcapWriter(path);
  for (let i = 0; i < n; i++) {
    const b = w.buf;
    const o = w.record(1700000000 + Math.floor(i / 1000), (i % 1000) * 1000, 60);
    b.fill(0, o, o + 60);
    b.writeUInt32BE(0x02000a20, o); b.writeUInt16BE(0x0001, o + 4); // dst MAC
    b.writeUInt32BE(0x0a580a2a, o + 6); b.writeUInt16BE(i & 0xffff, o + 10); // src MAC
    b.writeUInt16BE(0x0800, o + 12);
    const ip = o + 14;
    b[ip] = 0x45;
    b.writeUInt16BE(46, ip + 2);
    b.writeUInt16BE(i & 0xffff, ip + 4);
    b[ip + 8] = 64;
    b[ip + 9] = 17;
    const src = (((10 << 24) | (42 << 16)) + Math.floor(i / 50000) + 2) >>> 0; // 10.42.x.y
    b.writeUInt32BE(src, ip + 12);
    b.writeUInt32BE(((10 << 24) | (43 << 16) | 10) >>> 0, ip + 16); // 10.43.0.10
    let sum = 0;
    for (let k = 0; k < 20; k += 2) sum += (b[ip + k] << 8) | b[ip + k + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    b.writeUInt16BE(~sum & 0xffff, ip + 10);
    const u = ip + 20;
    b.writeUInt16BE(10000 + (i % 50000), u);
    b.writeUInt16BE(53, u + 2);
    b.writeUInt16BE(26, u + 4);
    b.writeUInt16BE(i & 0xffff, u + 8); // query id
  }
  w.close();
  return w.bytes;
}

/** The last 200 bytes of a file. */
function tailOf(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const size = statSync(path).size;
    const b = Buffer.alloc(Math.min(200, size));
    readSync(fd, b, 0, b.length, size - b.length);
    return b.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Streams an indented podpath.report/1 JSON file: the number of flow objects (lines
 * `      "id": "fN",` at the flows' depth) and whether the document closes; as "N" or "unparseable: why".
 */
function countFlows(path: string): string {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(1 << 20);
  let n = 0;
  let rest = '';
  let last = '';
  try {
    for (;;) {
      const got = readSync(fd, b, 0, b.length, null);
      if (got === 0) break;
      const lines = (rest + b.toString('latin1', 0, got)).split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        if (/^      "id": "f\d+",$/.test(l)) n++;
        if (l.trim() !== '') last = l;
      }
    }
  } finally {
    closeSync(fd);
  }
  if (rest.trim() !== '') last = rest;
  return last === '}' ? String(n) : `unparseable: ends with ${JSON.stringify(last.slice(0, 40))}`;
}

export interface Measured { code: number; wall: number; cpu: number; rssMB: number; stderr: string; stdoutBytes: number; stdout: string }

/** Runs podpath under /usr/bin/time with stdout to a file; returns the numbers and the output. */
export function measure(args: string[], dir: string, keepStdout: boolean): Measured {
  const out = join(dir, 'stdout');
  const timeFile = join(dir, 'time');
  const t0 = performance.now();
  const r = spawnSync('/bin/sh', ['-c', `/usr/bin/time -f '%U %S %M' -o "$0" node "$@" > "${out}"`, timeFile, PODPATH, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - t0) / 1000;
  const [u, s, m] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  const stdoutBytes = statSync(out).size;
  // A 1 M-flow JSON report is larger than V8's longest string: it is counted as a stream, never read whole.
  const stdout = keepStdout ? countFlows(out) : tailOf(out);
  rmSync(out, { force: true });
  return { code: r.status ?? -1, wall, cpu: u + s, rssMB: m / 1024, stderr: r.stderr, stdoutBytes, stdout };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const n = Number(arg('--flows', '1000000'));
  const formats = arg('--formats', 'json,text,markdown').split(',');
  const gz = process.argv.includes('--gz');
  const dir = mkdtempSync(join(tmpdir(), 'podpath-flows-'));
  try {
    let file = join(dir, `flows-${n}.pcap`);
    const bytes = writeFlows(file, n);
    if (gz) {
      spawnSync('gzip', ['-1', file]);
      file += '.gz';
    }
    const size = statSync(file).size;
    console.log(`| input | format | exit | flows in JSON | wall s | CPU s | peak RSS MB | output MB |`);
    console.log('|---|---|---:|---:|---:|---:|---:|---:|');
    let failed = false;
    for (const f of formats) {
      const m = measure(['analyze', file, '--format', f], dir, f === 'json');
      let count = '';
      const bad = /Invalid string length|Maximum call stack|internal error/.test(m.stderr);
      if (f === 'json') {
        count = m.stdout;
      }
      const ok = m.code === 0 && !bad && (f !== 'json' ? m.stdout.endsWith('\n') : count === String(n));
      if (!ok) { failed = true; console.error(`flows: ${f} FAILED (exit ${m.code}): ${m.stderr.slice(0, 500)}`); }
      console.log(`| ${n} one-packet flows, ${(size / 1e6).toFixed(1)} MB ${gz ? '.pcap.gz' : '.pcap'} (${(bytes / 1e6).toFixed(1)} MB pcap) | ${f} | ${m.code} | ${count} | ${m.wall.toFixed(1)} | ${m.cpu.toFixed(1)} | ${m.rssMB.toFixed(0)} | ${(m.stdoutBytes / 1e6).toFixed(1)} |`);
    }
    process.exitCode = failed ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
