import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { shared } from '../helpers.js';
import { formatProblem } from '../../src/capture/frame.js';
import { sniffInput, sniffInputDetails } from '../../src/capture/open.js';
import { collect } from './collect.js';

const TMP = mkdtempSync(join(tmpdir(), 'podpath-open-'));
test.after(() => rmSync(TMP, { recursive: true, force: true }));

const SHARED = shared('capture open tests on the corpus');
const TESTS = SHARED ? join(SHARED, 'corpus', 'tcpdump', 'tests') : '';

/** A small little-endian microsecond pcap with `n` Ethernet-sized records. */
function smallPcap(n: number): Buffer {
  const parts = [Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex')];
  for (let i = 0; i < n; i++) {
    const r = Buffer.alloc(16 + 60, i & 0xff);
    r.writeUInt32LE(1_700_000_000 + i, 0);
    r.writeUInt32LE(i, 4);
    r.writeUInt32LE(60, 8);
    r.writeUInt32LE(60, 12);
    parts.push(r);
  }
  return Buffer.concat(parts);
}

async function gzipFile(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from), createGzip(), createWriteStream(to));
}

const strip = (frames: Awaited<ReturnType<typeof collect>>['frames']) => frames.map((f) => ({ ...f }));

test('gzip is recognised by content and gives the same packets as the plain file', async () => {
  if (!SHARED) return;
  for (const name of ['vxlan.pcap', 'dhcp-option-108.pcapng', 'tcp-handshake-nano.pcap', 'time_2107.pcapng', 'arp-oobr.pcap']) {
    const plain = await collect(join(TESTS, name));
    const gz = join(TMP, name + '.gz');
    await gzipFile(join(TESTS, name), gz);
    const other = join(TMP, name.replace(/\..*$/, '.bin')); // the name does not matter
    writeFileSync(other, readFileSync(gz));
    for (const path of [gz, other]) {
      const z = await collect(path);
      assert.equal(z.problems, [], name);
      assert.ok(z.summary.compressed);
      assert.is(z.summary.format, plain.summary.format);
      assert.is(z.summary.bytes, plain.summary.bytes);
      assert.equal(strip(z.frames), strip(plain.frames), name);
    }
  }
});

test('small read chunks give the same packets as large ones (plain and gzip)', async () => {
  if (!SHARED) return;
  for (const name of ['various_gre.pcap', 'nhrp.pcapng']) {
    const plain = await collect(join(TESTS, name));
    const small = await collect(join(TESTS, name), { chunkSize: 7 });
    assert.equal(strip(small.frames), strip(plain.frames), name);
    const gz = join(TMP, name + '.small.gz');
    await gzipFile(join(TESTS, name), gz);
    assert.equal(strip((await collect(gz, { chunkSize: 64 })).frames), strip(plain.frames), name + '.gz');
  }
});

test('a gzip bomb stops at the decompressed-size ceiling with one error', async () => {
  const bomb = join(TMP, 'bomb.pcap.gz');
  const zeros = Buffer.alloc(1024 * 1024);
  async function* content() {
    yield smallPcap(0);
    for (let i = 0; i < 64; i++) yield zeros; // 64 MiB of zero-length records
  }
  await pipeline(Readable.from(content()), createGzip({ level: 1 }), createWriteStream(bomb));
  const ceiling = 16 * 1024 * 1024;
  let frames = 0;
  const problems: string[] = [];
  const { readCapture } = await import('../../src/capture/open.js');
  const s = await readCapture(bomb, { frame: () => frames++, problem: (p) => problems.push(formatProblem(p)) }, { maxDecompressedBytes: ceiling });
  assert.is(problems.length, 1);
  assert.match(problems[0], new RegExp(`^${bomb.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: byte offset ${ceiling}: decompressed size exceeds 16 MiB`));
  assert.ok(s.aborted);
  assert.is(s.bytes, ceiling);
  assert.ok(frames > 1_000_000 && frames === s.packets);
});

test('a gzip cut short or corrupt: the packets before the damage, then one error', async () => {
  const plainBytes = smallPcap(200);
  const gz = gzipSync(plainBytes);
  writeFileSync(join(TMP, 'plain.pcap'), plainBytes);
  writeFileSync(join(TMP, 'cut.pcap.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
  const plain = await collect(join(TMP, 'plain.pcap'));
  const cut = await collect(join(TMP, 'cut.pcap.gz'));
  const gzipErrors = cut.problems.filter((p) => /gzip/.test(p.message));
  assert.is(gzipErrors.length, 1);
  assert.is(gzipErrors[0].severity, 'error');
  assert.match(gzipErrors[0].message, /gzip data cut short \(unexpected end of file after \d+ decompressed bytes\)/);
  // besides, at most the record cut by the damage
  assert.ok(cut.problems.length <= 2);
  for (const p of cut.problems) if (p !== gzipErrors[0]) assert.match(p.message, /cut by end of file/);
  assert.ok(cut.frames.length > 0 && cut.frames.length < 200);
  assert.equal(strip(cut.frames.filter((f) => !f.cut)), strip(plain.frames.slice(0, cut.frames.filter((f) => !f.cut).length)));
  const bad = Buffer.from(gz);
  bad.fill(0xff, 20, 60);
  writeFileSync(join(TMP, 'corrupt.pcap.gz'), bad);
  const corrupt = await collect(join(TMP, 'corrupt.pcap.gz'));
  assert.ok(corrupt.problems.some((p) => p.severity === 'error' && /gzip data (corrupt|cut short)|not a pcap/.test(p.message)), JSON.stringify(corrupt.problems));
});

test('"-" reads the given stdin stream, plain or gzip', async () => {
  const bytes = smallPcap(50);
  const plain = await collect('-', { stdin: Readable.from([bytes.subarray(0, 30), bytes.subarray(30)]) });
  assert.equal(plain.problems, []);
  assert.is(plain.frames.length, 50);
  assert.is(plain.summary.input, '-');
  const gz = gzipSync(bytes);
  const z = await collect('-', { stdin: Readable.from([gz.subarray(0, 1), gz.subarray(1)]) });
  assert.equal(strip(z.frames), strip(plain.frames));
  const text = await collect('-', { stdin: Readable.from([Buffer.from('GET / HTTP/1.1\r\n')]) });
  assert.equal(text.problems.map(formatProblem), ['-: not a pcap or pcapng capture: the file is text ("GET / HTTP/1.1")']);
});

test('directory, empty, text, other binary, other compressors, missing: one problem each naming the path', async () => {
  const dir = join(TMP, 'a-directory');
  mkdirSync(dir);
  writeFileSync(join(TMP, 'empty.pcap'), '');
  writeFileSync(join(TMP, 'notes.pcap'), 'route -n output, not a capture\n');
  writeFileSync(join(TMP, 'garbage'), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 0xff, 0xfe]));
  writeFileSync(join(TMP, 'trace.zst'), Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));
  writeFileSync(join(TMP, 'empty.gz'), gzipSync(Buffer.alloc(0)));
  writeFileSync(join(TMP, 'double.gz'), gzipSync(gzipSync(smallPcap(1))));
  const cases: [string, RegExp][] = [
    [dir, /is a directory, not a capture file$/],
    [join(TMP, 'empty.pcap'), /: empty file$/],
    [join(TMP, 'notes.pcap'), /not a pcap or pcapng capture: the file is text \("route -n output, not a capture"\)$/],
    [join(TMP, 'garbage'), /not a pcap or pcapng capture \(first bytes 00 01 02 03; expected a pcap, pcapng or gzip magic number\)$/],
    [join(TMP, 'trace.zst'), /zstd-compressed data \(decompress it first: zstd -d\)$/],
    [join(TMP, 'empty.gz'), /empty file \(the gzip data decompresses to nothing\)$/],
    [join(TMP, 'double.gz'), /gzip inside gzip/],
    [join(TMP, 'no-such-file.pcap'), /no such file or directory$/],
  ];
  for (const [path, message] of cases) {
    const { problems, frames, summary } = await collect(path);
    assert.is(problems.length, 1, path);
    const line = formatProblem(problems[0]);
    assert.ok(line.startsWith(path + ': '), line);
    assert.match(line, message);
    assert.is(problems[0].severity, 'error');
    assert.is(frames.length, 0);
    assert.ok(summary.aborted);
    assert.is(summary.format, 'unknown');
  }
  if (process.getuid?.() !== 0) {
    const locked = join(TMP, 'locked.pcap');
    writeFileSync(locked, smallPcap(1));
    chmodSync(locked, 0);
    const { problems } = await collect(locked);
    assert.equal(problems.map(formatProblem), [`${locked}: cannot read the file: permission denied`]);
    assert.is(await sniffInput(locked), 'unreadable');
  }
});

test('sniffInput classifies by the first bytes, and looks inside gzip', async () => {
  writeFileSync(join(TMP, 's.pcap'), smallPcap(1));
  writeFileSync(join(TMP, 's.gz'), gzipSync(smallPcap(3)));
  writeFileSync(join(TMP, 's.txt'), 'default via 10.0.0.1 dev eth0\n');
  writeFileSync(join(TMP, 's.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]));
  writeFileSync(join(TMP, 's.empty'), '');
  const ng = Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex');
  writeFileSync(join(TMP, 's.ng'), ng);
  assert.is(await sniffInput(join(TMP, 's.pcap')), 'pcap');
  assert.is(await sniffInput(join(TMP, 's.ng')), 'pcapng');
  assert.equal(await sniffInputDetails(join(TMP, 's.gz')), { kind: 'gzip', inner: 'pcap' });
  assert.is(await sniffInput(join(TMP, 's.txt')), 'text');
  assert.is(await sniffInput(join(TMP, 's.bin')), 'binary');
  assert.is(await sniffInput(join(TMP, 's.empty')), 'empty');
  assert.is(await sniffInput(TMP), 'directory');
  assert.is(await sniffInput(join(TMP, 'missing')), 'unreadable');
  // a big gzip: only its beginning is inflated
  const big = join(TMP, 'big.pcapng.gz');
  if (SHARED) {
    await gzipFile(join(TESTS, 'nhrp.pcapng'), big);
    assert.equal(await sniffInputDetails(big), { kind: 'gzip', inner: 'pcapng' });
  }
});

test.run();
