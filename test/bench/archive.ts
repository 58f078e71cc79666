/**
 * Benchmark row for issue 19: one collector-style archive of 20,000 entries (the entry ceiling,
 * DEFAULT_MAX_FILES in src/inputs/archive.ts), run through `podpath analyze --format json`.
 *
 * The archive holds the two host folders of samples/cross-node (their dumps and captures) plus
 * rotated one-packet captures (`<host>/rotated/eth0-NNNNN.pcap`, as tcpdump -C/-G leaves them), and
 * every tenth file comes after a pax 'x' header naming its path (the shape of issue 19 item 2,
 * within the bounds of a chain). It checks correctness (exit 0, no internal error, every entry in
 * the inventory) and prints one Markdown row: wall and CPU seconds, peak RSS.
 *
 *   node dist/test/bench/archive.js [--entries 20000] [--gz]   (entries: tar headers in all, pax ones included)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { entry, paxRecord, type Entry } from '../collect/tar-writer.js';
import { PcapWriter } from './pcap-writer.js';
import { measure } from './flows.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SEED = join(ROOT, 'samples', 'cross-node');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

/** One 60-byte ARP request as a classic pcap file (the rotated captures' content). */
function onePacket(dir: string, i: number): Buffer {
  const path = join(dir, 'one.pcap');
  const w = new PcapWriter(path);
  const b = w.buf;
  const o = w.record(1700000000 + Math.floor(i / 100), (i % 100) * 10000, 60);
  b.fill(0, o, o + 60);
  b.fill(0xff, o, o + 6);
  b.writeUInt32BE(0x0a580a2a, o + 6);
  b.writeUInt16BE(i & 0xffff, o + 10);
  b.writeUInt16BE(0x0806, o + 12);
  b.writeUInt32BE(0x00010800, o + 14);
  b.writeUInt32BE(0x06040001, o + 18);
  w.close();
  return readFileSync(path);
}

/**
 * The archive's entries: seed files first, then rotated captures, up to `total` tar entries in all
 * (pax headers count: the reader's ceiling counts every header).
 */
export function archiveEntries(total: number, scratch: string): { entries: Entry[]; files: number } {
  const entries: Entry[] = [];
  let files = 0;
  const add = (name: string, data: Buffer) => {
    if (files % 10 === 9 && entries.length + 2 <= total) entries.push({ name: 'PaxHeaders/x', type: 'x', data: paxRecord('path', `incident/${name}`) });
    entries.push({ name: `incident/${name}`.slice(0, 99), data });
    files++;
  };
  const hosts = readdirSync(SEED, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const h of hosts) for (const f of readdirSync(join(SEED, h)).sort()) add(`${h}/${f}`, readFileSync(join(SEED, h, f)));
  for (let i = 0; entries.length < total; i++) add(`${hosts[i % hosts.length]}/rotated/eth0-${String(i).padStart(5, '0')}.pcap`, onePacket(scratch, i));
  return { entries, files };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const total = Number(arg('--entries', '20000'));
  const gz = process.argv.includes('--gz');
  const dir = mkdtempSync(join(tmpdir(), 'podpath-archive-bench-'));
  try {
    const { entries, files } = archiveEntries(total, dir);
    const tar = Buffer.concat([...entries.map(entry), Buffer.alloc(1024)]);
    const file = join(dir, gz ? 'incident.tar.gz' : 'incident.tar');
    writeFileSync(file, gz ? gzipSync(tar) : tar);
    const m = measure(['analyze', file, '--format', 'json'], dir, false);
    const bad = /Invalid string length|Maximum call stack|internal error/.test(m.stderr);
    const problems = m.stderr.split('\n').filter((l) => l.trim() !== '').length;
    const ok = m.code === 0 && !bad && m.stdout.trimEnd().endsWith('}');
    console.log('| input | entries (files + pax) | exit | stderr lines | wall s | CPU s | peak RSS MB |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    console.log(`| ${files} files, ${(statSync(file).size / 1e6).toFixed(1)} MB ${gz ? '.tar.gz' : '.tar'} | ${entries.length} | ${m.code} | ${problems} | ${m.wall.toFixed(1)} | ${m.cpu.toFixed(1)} | ${m.rssMB.toFixed(0)} |`);
    for (const l of m.stderr.split('\n').filter((x) => x.trim() !== '').slice(0, 5)) console.log(`stderr: ${l}`);
    if (!ok) console.error(`archive: FAILED (exit ${m.code}): ${m.stderr.slice(0, 500)}`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
