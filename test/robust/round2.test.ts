/**
 * Second round of hostile inputs (the reliability issue): each test builds its input here, small
 * and generated, and asserts the fixed behaviour. No timing assertions: an input that used to take
 * 50 s now takes milliseconds, and a regression shows as a test that does not end.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { extractArchive, MAX_META_CHAIN, MAX_PAX_KEY } from '../../src/inputs/archive.js';
import { MergeError, readManifests } from '../../src/batch/manifest.js';
import { readCapture } from '../../src/capture/open.js';
import { gunzipBuffer } from '../../src/capture/gunzip.js';
import type { Frame, InputProblem } from '../../src/capture/frame.js';
import { renderText } from '../../src/report/text.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { parseDump } from '../../src/dumps/index.js';
import { Decoder } from '../../src/decode/decoder.js';
import { MAX_EXTENSION_HEADERS } from '../../src/decode/ipv6.js';
import { isoTime } from '../../src/decode/summary.js';
import { entry, paxRecord, tar } from '../collect/tar-writer.js';
import { buildReport } from '../report/fixture.js';
import { frame } from '../decode/frames.js';
import { pcap, type Rec } from './writers.js';

const TMP = mkdtempSync(join(tmpdir(), 'podpath-round2-'));
test.after(() => rmSync(TMP, { recursive: true, force: true }));

async function collect(path: string): Promise<{ frames: Frame[]; problems: InputProblem[] }> {
  const frames: Frame[] = [];
  const problems: InputProblem[] = [];
  await readCapture(path, { frame: (f) => frames.push({ ...f, bytes: f.bytes.slice(), point: {} }), problem: (p) => problems.push(p) });
  return { frames, problems };
}

/** n ARP-sized records, each with a distinct second so their order is visible. */
function records(n: number): Rec[] {
  const out: Rec[] = [];
  for (let i = 0; i < n; i++) {
    const d = Buffer.alloc(60, 0);
    d.fill(2, 0, 6);
    d.fill(4, 6, 12);
    d.writeUInt16BE(0x0806, 12);
    d.writeUInt32BE(i, 40);
    out.push({ sec: 1_700_000_000 + i, frac: i % 1_000_000, data: d });
  }
  return out;
}

// ------------------------------------------------------------------------- 2. tar pax headers

/** A pax ('x') header whose one record has a unique key of `keyBytes` bytes. */
function longKeyPax(i: number, keyBytes: number, extra = ''): Buffer {
  const key = `k${i}`.padEnd(keyBytes, 'x');
  return entry({ name: `PaxHeaders/${i}`, type: 'x', data: paxRecord(key, 'v') + extra });
}

test('2. a tar.gz of 1,000 consecutive pax headers with 17 KiB keys: stops at the chain bound, one line naming the archive', async () => {
  const parts: Buffer[] = [];
  for (let i = 0; i < 1000; i++) parts.push(longKeyPax(i, 17 * 1024));
  parts.push(entry({ name: 'after.txt', data: 'x' }), Buffer.alloc(1024));
  const gz = gzipSync(Buffer.concat(parts));
  const path = join(TMP, 'pax-chain.tar.gz');
  writeFileSync(path, gz);
  const r = await extractArchive(path, { tmpRoot: TMP });
  try {
    const chain = r.problems.filter((p) => p.includes(`more than ${MAX_META_CHAIN} metadata headers`));
    assert.is(chain.length, 1, r.problems.join('\n'));
    assert.ok(chain[0].startsWith(`${path}: `), chain[0]);
    assert.match(chain[0], /in a row at byte \d+ after \(the first header\); stopped$/);
    assert.is(r.files, 0);
  } finally {
    await r.cleanup();
  }
});

test('2. pax headers before each of 300 files, keys of 17 KiB: every file extracted under its pax path, one line per entry naming it', async () => {
  const parts: Buffer[] = [];
  for (let i = 0; i < 300; i++) {
    parts.push(longKeyPax(i, MAX_PAX_KEY + 16 * 1024, paxRecord('path', `dir/file-${i}.txt`)));
    parts.push(entry({ name: `short-${i}`, data: `content ${i}` }));
  }
  parts.push(Buffer.alloc(1024));
  const path = join(TMP, 'pax-keys.tar.gz');
  writeFileSync(path, gzipSync(Buffer.concat(parts)));
  const r = await extractArchive(path, { tmpRoot: TMP });
  try {
    assert.is(r.files, 300);
    assert.is(readFileSync(join(r.dir, 'dir', 'file-299.txt'), 'utf8'), 'content 299');
    assert.is(readdirSync(join(r.dir, 'dir')).length, 300);
    assert.is(r.problems.length, 300);
    assert.match(r.problems[7], new RegExp(`: pax header at byte \\d+: pax key of ${MAX_PAX_KEY + 16 * 1024} bytes \\(more than ${MAX_PAX_KEY}\\) ignored, for "dir/file-7\\.txt"$`));
  } finally {
    await r.cleanup();
  }
});

test('2. consecutive pax headers are merged, the later record winning (path from one, size from the next)', async () => {
  const data = 'twelve bytes';
  const path = join(TMP, 'pax-merge.tar');
  writeFileSync(
    path,
    tar([
      { name: 'PaxHeaders/a', type: 'x', data: paxRecord('path', 'first.txt') + paxRecord('comment', 'one') },
      { name: 'PaxHeaders/b', type: 'x', data: paxRecord('path', 'merged/name.txt') },
      { name: 'PaxHeaders/c', type: 'x', data: paxRecord('mtime', '1600000000.5') },
      { name: 'ignored-name', data },
    ]),
  );
  const r = await extractArchive(path, { tmpRoot: TMP });
  try {
    assert.equal(r.problems, []);
    assert.is(readFileSync(join(r.dir, 'merged', 'name.txt'), 'utf8'), data);
  } finally {
    await r.cleanup();
  }
});

// ----------------------------------------------------------------------- 3. forged manifests

const entryOk = { slug: 'a', path: 'a', status: 'ok', worst: null, worstCode: null, headline: '', findings: { critical: 0, error: 0, warning: 0, info: 0 }, flows: { total: 0, ok: 0, lost: 0, unanswered: 0, partial: 0 }, packets: 1, inputs: 1, problems: 0, error: null };

function manifestDir(name: string, index: number | string, count: number | string, body: Record<string, unknown> = {}): { dir: string; file: string } {
  const dir = join(TMP, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `shard-${index}-of-${count}.json`);
  writeFileSync(file, JSON.stringify({ schema: 'podpath.batch-shard/1', shard: { index: Number(index), count: Number(count) }, total: 1, incidents: [entryOk], ...body }));
  return { dir, file };
}

async function mergeError(dir: string): Promise<string> {
  try {
    await readManifests([dir]);
  } catch (e) {
    assert.instance(e, MergeError);
    return (e as Error).message;
  }
  assert.unreachable('the merge accepted the manifest');
  return '';
}

test('3. shard-1-of-1000000000000000.json (schema valid, 400 bytes): one-line error naming the file, nothing built from its count', async () => {
  const { dir, file } = manifestDir('forged-count', 1, '1000000000000000');
  const msg = await mergeError(dir);
  assert.ok(msg.startsWith(`${file}: `), msg);
  assert.match(msg, /shard count 1000000000000000 is not between 1 and 100000$/);
  assert.not.match(msg, /\n/);
});

test('3. other forged numbers: index past count, huge total, more entries than the total, oversized text', async () => {
  assert.match(await mergeError(manifestDir('forged-total', 1, 1, { total: 1e15 }).dir), /total 1000000000000000 is not between 0 and 1000000$/);
  assert.match(await mergeError(manifestDir('forged-many', 1, 1, { total: 1, incidents: [entryOk, { ...entryOk, slug: 'b' }] }).dir), /2 incident entries for a batch of 1$/);
  assert.match(await mergeError(manifestDir('forged-index', 0, 1).dir), /shard index 0 is not between 1 and 1$/);
  // text fields longer than 16 KiB: the entry is refused (a warning), the merge goes on
  const long = manifestDir('forged-text', 1, 1, { incidents: [{ ...entryOk, headline: 'h'.repeat(20_000) }] });
  const m = await readManifests([long.dir]);
  assert.is(m.entries.length, 0);
  assert.match(m.warnings[0], /an entry is not an incident record, ignored$/);
});

test('3. one manifest of 100,000 shards: the missing ones are one range, not 99,999 strings', async () => {
  const { dir } = manifestDir('many-shards', 1, 100000);
  const m = await readManifests([dir]);
  assert.equal(m.missing, ['2-100000/100000']);
  const two = manifestDir('two-of-five', 3, 5);
  writeFileSync(join(two.dir, 'shard-5-of-5.json'), JSON.stringify({ schema: 'podpath.batch-shard/1', shard: { index: 5, count: 5 }, total: 1, incidents: [] }));
  assert.equal((await readManifests([two.dir])).missing, ['1-2/5', '4/5']);
});

// ---------------------------------------------------------------------- 5. 200,000 flows

test('5. a report of 200,000 flows renders to text and markdown (no "Maximum call stack size exceeded")', () => {
  const r = buildReport();
  const base = r.flows[1];
  const flows: typeof r.flows = [];
  for (let i = 0; i < 200_000; i++) flows.push({ ...base, id: `f${i}`, path: base.path.slice(0, 1), seenAt: [] });
  r.flows = flows;
  const text = renderText(r, { columns: 120, show: ['flows'] });
  assert.ok(text.includes('f199999'));
  const md = renderMarkdown(r);
  assert.ok(md.includes('| f199999 |') || md.includes('f199999'));
  assert.ok(md.split('\n').length > 200_000);
});

// ---------------------------------------------------------------------------- 6. gzip errors

test('6. trailing garbage after a complete gzip member: every packet, one warning (gzip -t agrees)', async () => {
  const plain = pcap(records(300));
  const path = join(TMP, 'garbage.pcap.gz');
  writeFileSync(path, Buffer.concat([gzipSync(plain), Buffer.from('this is not gzip\n')]));
  const { frames, problems } = await collect(path);
  assert.is(frames.length, 300);
  assert.is(frames[299].sec, 1_700_000_299);
  assert.is(problems.length, 1, JSON.stringify(problems));
  assert.is(problems[0].severity, 'warning');
  assert.match(problems[0].message, /^compressed byte offset \d+: decompression OK, trailing garbage after the gzip data ignored$/);
  const gz = spawnSync('gzip', ['-t', path], { encoding: 'utf8' });
  if (gz.error) console.log('  SKIP gzip -t oracle: gzip not installed');
  else assert.is(gz.status, 2, gz.stderr); // 2: a warning, the data is good
});

test('6. the CLI on a small capture with trailing garbage: exit 0 and its packets (was 0 packets, exit 3)', () => {
  const path = join(TMP, 'small-garbage.pcap.gz');
  writeFileSync(path, Buffer.concat([gzipSync(pcap(records(3))), Buffer.from([1, 2, 3, 4, 5])]));
  const bin = join(process.cwd(), 'bin', 'podpath.js');
  const r = spawnSync(process.execPath, [bin, 'analyze', path, '--format', 'json'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.is(JSON.parse(r.stdout).stats.packets, 3);
  assert.match(r.stderr, /small-garbage\.pcap\.gz: warning: compressed byte offset \d+: decompression OK, trailing garbage/);
});

test('6. a bad CRC at the end: every packet is still delivered, then one error with the compressed offset', async () => {
  const plain = pcap(records(20_000));
  const gz = gzipSync(plain);
  gz[gz.length - 8] ^= 0xff; // the CRC-32 of the trailer
  const path = join(TMP, 'badcrc.pcap.gz');
  writeFileSync(path, gz);
  const { frames, problems } = await collect(path);
  assert.is(frames.length, 20_000);
  assert.is(problems.length, 1, JSON.stringify(problems));
  assert.is(problems[0].severity, 'error');
  assert.ok(problems[0].message.startsWith(`compressed byte offset ${gz.length - 8}: gzip CRC mismatch`), problems[0].message);
  assert.not.ok(problems.some((p) => /cut by end of file/.test(p.message)));
});

test('6. several gzip members one after another read as one capture; a cut one keeps what came before', async () => {
  const plain = pcap(records(1000));
  const half = 24 + 76 * 400;
  const two = Buffer.concat([gzipSync(plain.subarray(0, half)), gzipSync(plain.subarray(half))]);
  writeFileSync(join(TMP, 'multi.pcap.gz'), two);
  const m = await collect(join(TMP, 'multi.pcap.gz'));
  assert.is(m.frames.length, 1000);
  assert.equal(m.problems, []);
  writeFileSync(join(TMP, 'multi-cut.pcap.gz'), two.subarray(0, two.length - 4));
  const c = await collect(join(TMP, 'multi-cut.pcap.gz'));
  assert.is(c.frames.length, 1000);
  assert.is(c.problems.length, 1);
  assert.match(c.problems[0].message, /gzip data cut short \(the trailer is missing after \d+ decompressed bytes\)/);
});

test('6. dumps and archives: gunzipBuffer keeps the data before garbage; a tar.gz with a bad CRC keeps its files', async () => {
  const text = Buffer.from('default via 10.0.0.1 dev eth0\n');
  const g = gunzipBuffer(Buffer.concat([gzipSync(text), Buffer.from('junk')]), 1 << 20);
  assert.ok(g.data.equals(text));
  assert.is(g.problems.length, 1);
  assert.is(g.problems[0].severity, 'warning');
  const tgz = gzipSync(tar([{ name: 'node-a/ip-route.txt', data: text }]));
  tgz[tgz.length - 6] ^= 1;
  const path = join(TMP, 'badcrc.tar.gz');
  writeFileSync(path, tgz);
  const r = await extractArchive(path, { tmpRoot: TMP });
  try {
    assert.is(r.files, 1);
    assert.ok(readFileSync(join(r.dir, 'node-a', 'ip-route.txt')).equals(text));
    assert.is(r.problems.length, 1);
    assert.match(r.problems[0], /: gzip, at compressed byte offset \d+: gzip CRC mismatch/);
  } finally {
    await r.cleanup();
  }
});

// ------------------------------------------------------------------- 11. bad route prefixes

test('11. ip route: /33, /-1, ::/129, /0x10, "10.0.0.0/", "10.0.0.0//24" are problem lines with their line numbers', () => {
  const lines = [
    'default via 10.0.0.1 dev eth0',
    '10.1.0.0/33 dev eth0 scope link',
    '10.2.0.0/-1 dev eth0 scope link',
    'fd00::/129 dev eth0 metric 256',
    '10.3.0.0/0x10 dev eth0 scope link',
    '10.4.0.0/ dev eth0 scope link',
    '10.5.0.0//24 dev eth0 scope link',
    '10.42.0.0/24 dev cni0 proto kernel scope link src 10.42.0.1',
    'fd00::/64 dev eth0 metric 256',
  ];
  const [s] = parseDump('ip-route.txt', lines.join('\n') + '\n');
  assert.is(s.command, 'ip-route');
  assert.equal(s.records.map((r) => (r as { destination: string }).destination), ['0.0.0.0/0', '10.42.0.0/24', 'fd00::/64']);
  const bad = s.problems.filter((p) => /prefix length/.test(p.message));
  assert.equal(bad.map((p) => p.line), [2, 3, 4, 5, 6, 7]);
  assert.match(bad[5].message, /bad prefix length "\/24" in 10\.5\.0\.0\/\/24/);
  assert.match(bad[0].message, /bad prefix length "33" in 10\.1\.0\.0\/33 \(0 to 32 for IPv4\)/);
  assert.match(bad[2].message, /0 to 128 for IPv6/);
  // the same /33 in ip addr was already a problem: both parsers agree
  const [a] = parseDump('ip-addr.txt', '2: eth0: <UP> mtu 1500 state UP\n    inet 10.1.0.1/33 scope global eth0\n');
  assert.ok(a.problems.some((p) => p.line === 2 && /bad prefix length/.test(p.message)));
});

test('11. route -A inet6 and /proc/net/ipv6_route: prefix lengths above 128 are problem lines', () => {
  const v6 = ['Kernel IPv6 routing table', 'Destination                    Next Hop                   Flag Met Ref Use If', 'fd00::/200                     ::                         U    256 1     0 eth0', 'fd01::/64                      ::                         U    256 1     0 eth0'];
  const [s] = parseDump('route-n.txt', v6.join('\n') + '\n');
  assert.equal(s.records.map((r) => (r as { destination: string }).destination), ['fd01::/64']);
  assert.ok(s.problems.some((p) => p.line === 3 && /prefix length "200"/.test(p.message)), JSON.stringify(s.problems));
  const proc = 'fd000000000000000000000000000000 ff 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n';
  const [p] = parseDump('ipv6_route', proc);
  assert.is(p.records.length, 0);
  assert.ok(p.problems.some((x) => x.line === 1 && /prefix length "255"/.test(x.message)), JSON.stringify(p.problems));
});

// ----------------------------------------------------------------- 13. IPv6 extension headers

function ipv6WithDestOpts(n: number): Uint8Array {
  const udp = [0x04, 0xd2, 0x00, 0x35, 0x00, 0x0c, 0, 0, 0x61, 0x62, 0x63, 0x64];
  const ext: number[] = [];
  for (let i = 0; i < n; i++) ext.push(i < n - 1 ? 60 : 17, 0, 1, 4, 0, 0, 0, 0);
  const payload = [...ext, ...udp];
  const ip6 = [0x60, 0, 0, 0, payload.length >> 8, payload.length & 255, n ? 60 : 17, 64, ...new Array(15).fill(0), 1, ...new Array(15).fill(0), 2];
  return Uint8Array.from([2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 0x86, 0xdd, ...ip6, ...payload]);
}

test(`13. IPv6 with ${MAX_EXTENSION_HEADERS} extension headers is decoded; with ${MAX_EXTENSION_HEADERS + 1} it is malformed with a reason`, () => {
  const d = new Decoder();
  const ok = d.decode(frame(ipv6WithDestOpts(MAX_EXTENSION_HEADERS)));
  assert.not.ok(ok.malformed, ok.problems.join('; '));
  assert.equal(ok.problems, []);
  const bad = d.decode(frame(ipv6WithDestOpts(MAX_EXTENSION_HEADERS + 1)));
  assert.ok(bad.malformed);
  assert.equal(bad.problems, [`ipv6: more than ${MAX_EXTENSION_HEADERS} extension headers: not decoded further`]);
});

// ------------------------------------------------------------------ 16. fraction out of range

test('16. pcap microseconds >= 1,000,000: a warning with packet and offset, the time carried into the seconds', async () => {
  const recs = records(4);
  recs[1].frac = 4_294_967_295;
  recs[2].frac = 1_500_000;
  const path = join(TMP, 'usec.pcap');
  writeFileSync(path, pcap(recs));
  const { frames, problems } = await collect(path);
  assert.is(frames.length, 4);
  assert.is(frames[1].sec, 1_700_000_001 + 4294);
  assert.is(frames[1].nsec, 967_295_000);
  assert.is(frames[2].sec, 1_700_000_003);
  assert.is(frames[2].nsec, 500_000_000);
  assert.is(isoTime(frames[1].sec, frames[1].nsec, 6), '2023-11-14T23:24:55.967295Z');
  assert.is(problems.length, 2, JSON.stringify(problems));
  assert.equal([problems[0].severity, problems[0].packet, problems[0].offset], ['warning', 2, 24 + 16 + 60]);
  assert.match(problems[0].message, /^timestamp microseconds field is 4294967295 \(valid: below 1000000\): read as 4294 s more and 967295 µs$/);
  assert.match(problems[1].message, /^2 packets in all have a timestamp microseconds field/);
  // tcpdump, the oracle, prints the raw digits for the same record (what podpath used to do)
  const td = spawnSync('tcpdump', ['-nn', '-tttt', '-r', path], { encoding: 'utf8' });
  if (td.error) console.log('  SKIP tcpdump oracle: tcpdump not installed');
  else assert.match(td.stdout.split('\n')[1], /\.4294967295 /);
});

test('16. nanosecond pcap: 1,500,000,000 ns is 1.5 s', async () => {
  const recs = records(2);
  recs[0].frac = 1_500_000_000;
  const path = join(TMP, 'nsec.pcap');
  writeFileSync(path, pcap(recs, { nano: true }));
  const { frames, problems } = await collect(path);
  assert.equal([frames[0].sec, frames[0].nsec], [1_700_000_001, 500_000_000]);
  assert.is(problems.length, 1);
  assert.match(problems[0].message, /nanoseconds field is 1500000000/);
});

test.run();
