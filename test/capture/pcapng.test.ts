import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { shared } from '../helpers.js';
import type { InputProblem } from '../../src/capture/frame.js';
import { formatProblem, MAX_RECORD_BYTES } from '../../src/capture/frame.js';
import { PcapngParser, type PcapngBlockCounts } from '../../src/capture/pcapng.js';
import { copyFrame, type Got } from './collect.js';

// ---- block builders (draft-ietf-opsawg-pcapng) ----

function pad4(b: Buffer): Buffer {
  const n = (4 - (b.length % 4)) % 4;
  return n ? Buffer.concat([b, Buffer.alloc(n)]) : b;
}

function u32(le: boolean, v: number): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

function u16(le: boolean, v: number): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}

function block(le: boolean, type: number, body: Buffer, opts: { len?: number; trailer?: number } = {}): Buffer {
  const b = pad4(body);
  const len = b.length + 12;
  return Buffer.concat([u32(le, type), u32(le, opts.len ?? len), b, u32(le, opts.trailer ?? opts.len ?? len)]);
}

function option(le: boolean, code: number, value: Buffer): Buffer {
  return Buffer.concat([u16(le, code), u16(le, value.length), pad4(value)]);
}

function options(le: boolean, list: [number, Buffer][]): Buffer {
  if (list.length === 0) return Buffer.alloc(0);
  return Buffer.concat([...list.map(([c, v]) => option(le, c, v)), u32(le, 0)]);
}

function shb(le: boolean, major = 1, minor = 0): Buffer {
  const sectionLength = Buffer.alloc(8, 0xff);
  return block(le, 0x0a0d0d0a, Buffer.concat([u32(le, 0x1a2b3c4d), u16(le, major), u16(le, minor), sectionLength]));
}

function idb(le: boolean, linktype: number, snaplen: number, opts: [number, Buffer][] = []): Buffer {
  return block(le, 1, Buffer.concat([u16(le, linktype), u16(le, 0), u32(le, snaplen), options(le, opts)]));
}

function epb(le: boolean, ifid: number, ts: bigint, data: number[], wire = data.length): Buffer {
  const hi = Number(ts >> 32n);
  const lo = Number(ts & 0xffffffffn);
  return block(le, 6, Buffer.concat([u32(le, ifid), u32(le, hi), u32(le, lo), u32(le, data.length), u32(le, wire), pad4(Buffer.from(data))]));
}

function opb(le: boolean, ifid: number, ts: bigint, data: number[]): Buffer {
  const hi = Number(ts >> 32n);
  const lo = Number(ts & 0xffffffffn);
  return block(le, 2, Buffer.concat([u16(le, ifid), u16(le, 0), u32(le, hi), u32(le, lo), u32(le, data.length), u32(le, data.length), pad4(Buffer.from(data))]));
}

function spb(le: boolean, wire: number, data: number[]): Buffer {
  return block(le, 3, Buffer.concat([u32(le, wire), pad4(Buffer.from(data))]));
}

const str = (s: string) => Buffer.from(s, 'utf8');
const byte = (v: number) => Buffer.from([v]);

function parse(chunks: Buffer[], recordBlocks = false) {
  const frames: Got[] = [];
  const problems: InputProblem[] = [];
  const parser = new PcapngParser('t.pcapng', { frame: (f) => frames.push(copyFrame(f)), problem: (p) => problems.push(p) }, { recordBlocks });
  for (const c of chunks) parser.push(c);
  parser.end();
  return { frames, problems, parser };
}

function pieces(file: Buffer, n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < file.length; i += n) out.push(file.subarray(i, i + n));
  return out;
}

/** The same file whole, byte by byte, in 7-byte and in 4 KiB pieces. */
function chunkings(file: Buffer): Buffer[][] {
  return [[file], pieces(file, 1), pieces(file, 7), pieces(file, 4096)];
}

test('both byte orders, any chunking: interfaces, names, link types, packets', () => {
  for (const le of [true, false]) {
    const file = Buffer.concat([
      shb(le),
      idb(le, 1, 65535, [[2, str('eth0')], [3, str('pod veth')]]),
      idb(le, 113, 0, [[2, str('any')], [9, byte(9)]]),
      epb(le, 0, 1_700_000_000_123_456n, [1, 2, 3, 4, 5]),
      block(le, 4, Buffer.alloc(20)), // NRB, skipped
      epb(le, 1, 1_700_000_000_987_654_321n, [9], 60),
      block(le, 5, Buffer.alloc(12)), // ISB, skipped
    ]);
    for (const chunks of chunkings(file)) {
      const { frames, problems, parser } = parse(chunks);
      assert.equal(problems, []);
      assert.equal(
        frames.map((f) => [f.index, f.iface, f.linktype, f.sec, f.nsec, [...f.bytes], f.wireLength]),
        [
          [1, 'eth0', 1, 1700000000, 123456000, [1, 2, 3, 4, 5], 5],
          [2, 'any', 113, 1700000000, 987654321, [9], 60],
        ],
      );
      assert.is(frames[0].offset, 28 + 44 + 40);
      assert.is(parser.interfaces[0].description, 'pod veth');
      assert.is(parser.interfaces[1].tsUnitsPerSecond, 1e9);
      assert.is(parser.position, file.length);
      assert.equal(parser.blockCounts, { SHB: 1, IDB: 2, EPB: 2, SPB: 0, OPB: 0, NRB: 1, ISB: 1, DSB: 0, CB: 0, DCB: 0, other: 0 });
    }
  }
});

test('several sections with different byte orders each number their interfaces from 0', () => {
  const file = Buffer.concat([
    shb(true),
    idb(true, 1, 0, [[2, str('a')]]),
    epb(true, 0, 1n, [1]),
    shb(false),
    idb(false, 101, 0, [[2, str('b')]]),
    epb(false, 0, 2n, [2]),
    opb(false, 0, 3n, [3]),
  ]);
  const { frames, problems, parser } = parse(chunkings(file)[2], true);
  assert.equal(problems, []);
  assert.equal(frames.map((f) => [f.iface, f.linktype, [...f.bytes]]), [['a', 1, [1]], ['b', 101, [2]], ['b', 101, [3]]]);
  assert.equal(parser.blocks, ['SHB', 'IDB', 'EPB', 'SHB', 'IDB', 'EPB', 'OPB']);
  assert.is(parser.sections, 2);
});

test('simple packet blocks: first interface, captured length = min(wire, snaplen, room in the block)', () => {
  const data = Array.from({ length: 100 }, (_, i) => i);
  const file = Buffer.concat([shb(true), idb(true, 1, 64), spb(true, 1500, data), spb(true, 10, data), spb(true, 80, data.slice(0, 40))]);
  const { frames, problems } = parse([file]);
  assert.equal(problems, []);
  assert.equal(frames.map((f) => [f.bytes.length, f.wireLength, f.sec]), [[64, 1500, 0], [10, 10, 0], [40, 80, 0]]);
  const noIdb = parse([Buffer.concat([shb(true), spb(true, 4, [1, 2, 3, 4])])]);
  assert.match(noIdb.problems[0].message, /simple packet block before any interface description block/);
  assert.is(noIdb.problems[0].packet, 1);
});

// Reference conversion, all in BigInt.
function reference(ts: bigint, resol: number): [bigint, bigint] {
  const units = resol & 0x80 ? 1n << BigInt(resol & 0x7f) : 10n ** BigInt(resol);
  return [ts / units, ((ts % units) * 1_000_000_000n) / units];
}

test('timestamps: every if_tsresol, any 64-bit count, split exactly (property)', () => {
  const resols = [0, 1, 3, 6, 9, 12, 15, 19, 0x80, 0x80 | 8, 0x80 | 10, 0x80 | 20, 0x80 | 24, 0x80 | 30, 0x80 | 31, 0x80 | 32, 0x80 | 40, 0x80 | 63];
  fc.assert(
    fc.property(fc.bigInt(0n, 2n ** 64n - 1n), fc.constantFrom(...resols), fc.boolean(), (ts, resol, le) => {
      const [sec, nsec] = reference(ts, resol);
      fc.pre(sec < 2n ** 53n);
      const file = Buffer.concat([shb(le), idb(le, 1, 0, [[9, byte(resol)]]), epb(le, 0, ts, [0])]);
      const { frames, problems } = parse([file]);
      return problems.length === 0 && frames[0].sec === Number(sec) && frames[0].nsec === Number(nsec);
    }),
    { numRuns: 3000 },
  );
  // edges: 2^53 +- 1 microseconds, the last nanosecond of 2^64, after 2106
  for (const [ts, resol] of [[2n ** 53n - 1n, 6], [2n ** 53n, 6], [2n ** 53n + 1n, 6], [2n ** 64n - 1n, 9], [4323283200n * 1_000_000n, 6]] as const) {
    const { frames } = parse([Buffer.concat([shb(true), idb(true, 1, 0, [[9, byte(resol)]]), epb(true, 0, ts, [0])])]);
    const [sec, nsec] = reference(ts, resol);
    assert.is(frames[0].sec, Number(sec));
    assert.is(frames[0].nsec, Number(nsec));
  }
});

test('if_tsoffset is added to the seconds', () => {
  const off = Buffer.alloc(8);
  off.writeBigInt64LE(-100n);
  const { frames } = parse([Buffer.concat([shb(true), idb(true, 1, 0, [[14, off]]), epb(true, 0, 1_000_000_000n * 1_000_000n, [0])])]);
  assert.is(frames[0].sec, 1_000_000_000 - 100);
});

function withLength(b: Buffer, len: number): Buffer {
  b.writeUInt32LE(len, 4);
  return b;
}

test('a bad block length is one error naming the block, offset and packet, before buffering', () => {
  const head = Buffer.concat([shb(true), idb(true, 1, 0)]);
  const cases: [Buffer, RegExp][] = [
    [withLength(epb(true, 0, 0n, [1]), 38), /enhanced packet block total length 38 is not a multiple of 4/],
    [Buffer.concat([u32(true, 6), u32(true, 8), u32(true, 8)]), /total length 8 is less than the 32 bytes/],
    [Buffer.concat([u32(true, 6), u32(true, 0xfffffff0), Buffer.alloc(4)]), /enhanced packet block claims 4294967280 bytes \(more than the \d+-byte limit\)/],
    [block(true, 6, Buffer.alloc(24), { trailer: 99 }), /block total length in header \(36\) and trailer \(99\) don't match/],
    [epb(true, 5, 0n, [1]), /names interface 5, but its section declares 1 interface$/],
  ];
  for (const [bad, message] of cases) {
    const { frames, problems, parser } = parse([Buffer.concat([head, epb(true, 0, 0n, [7]), bad, epb(true, 0, 0n, [8])])]);
    assert.is(frames.length, 1);
    assert.is(problems.length, 1, message.source);
    assert.is(problems[0].severity, 'error');
    assert.match(problems[0].message, message);
    assert.is(problems[0].packet, 2);
    assert.is(problems[0].offset, head.length + 36);
    assert.ok(parser.aborted);
    assert.match(formatProblem(problems[0]), /^t\.pcapng: packet 2, byte offset \d+: /);
  }
  // the ceiling is enforced from the header alone: nothing is waiting for 4 GiB
  const p = parse([Buffer.concat([head, Buffer.concat([u32(true, 6), u32(true, 0x7ffffff0), Buffer.alloc(4)])])]);
  assert.is(p.problems.length, 1);
  assert.ok(MAX_RECORD_BYTES < 0x7ffffff0);
});

test('not a pcapng, empty, version 1.1: one error each', () => {
  assert.match(parse([Buffer.from('this is not a capture file at all')]).problems[0].message, /not a pcapng file/);
  assert.match(parse([]).problems[0].message, /empty file/);
  const v11 = parse([shb(true, 1, 1)]);
  assert.match(v11.problems[0].message, /unsupported pcapng version 1\.1/);
  assert.equal(parse([shb(false, 1, 2)]).problems, [], 'version 1.2 is accepted, as libpcap does');
  const bom = shb(true);
  bom.writeUInt32LE(0x12345678, 8);
  assert.match(parse([bom]).problems[0].message, /bad byte-order magic/);
});

test('a packet block cut by the end of the file is delivered and reported; a cut NRB is a warning', () => {
  const file = Buffer.concat([shb(true), idb(true, 1, 0), epb(true, 0, 5n, [1, 2, 3, 4, 5, 6, 7, 8])]);
  const cut = parse(chunkings(file.subarray(0, file.length - 6))[1]);
  assert.is(cut.frames.length, 1);
  assert.ok(cut.frames[0].cut);
  assert.equal([...cut.frames[0].bytes], [1, 2, 3, 4, 5, 6]);
  assert.is(cut.problems[0].severity, 'warning');
  assert.match(cut.problems[0].message, /enhanced packet block cut by end of file: 6 of 8 captured bytes present/);
  assert.is(cut.parser.cutByEof, 1);
  const nrb = parse([Buffer.concat([shb(true), block(true, 4, Buffer.alloc(40))]).subarray(0, 28 + 20)]);
  assert.is(nrb.problems[0].severity, 'warning');
  assert.match(nrb.problems[0].message, /name resolution block cut by end of file \(20 of 52 bytes\)/);
});

test('a block larger than the buffering ceiling that is not read (custom) is streamed past, trailer checked', () => {
  const big = Buffer.alloc(3 * 1024 * 1024);
  const file = Buffer.concat([shb(true), idb(true, 1, 0), block(true, 0xbad, big), epb(true, 0, 1n, [42])]);
  const { frames, problems, parser } = parse(pieces(file, 4096), true);
  assert.equal(problems, []);
  assert.equal(frames.map((f) => [...f.bytes]), [[42]]);
  assert.equal(parser.blocks, ['SHB', 'IDB', 'CB', 'EPB']);
  const broken = Buffer.concat([shb(true), idb(true, 1, 0), block(true, 0xbad, big, { trailer: 4 })]);
  const b = parse(pieces(broken, 4096));
  assert.match(b.problems[0].message, /header \(\d+\) and trailer \(4\) don't match/);
});

// ---- pcapng-conformance (hadrielk/pcapng-test-generator) ----

function expectation(txt: string): { counts: Record<string, number>; sequence: string[] } {
  const counts: Record<string, number> = {};
  for (const m of txt.matchAll(/^\s+([A-Z]+): (\d+)$/gm)) counts[m[1]] = Number(m[2]);
  const seq = /^Block sequence: (.*)$/m.exec(txt);
  return { counts, sequence: seq ? seq[1].split(', ') : [] };
}

test('pcapng-conformance: block counts and sequences per the .txt descriptions, any chunking', () => {
  const root = shared('pcapng-conformance');
  if (!root) return;
  const dir = join(root, 'corpus', 'pcapng-conformance');
  const files = readdirSync(dir).filter((f) => f.endsWith('.pcapng'));
  assert.ok(files.length >= 10);
  for (const f of files) {
    const want = expectation(readFileSync(join(dir, f.replace(/\.pcapng$/, '.txt')), 'utf8'));
    for (const chunks of chunkings(readFileSync(join(dir, f)))) {
      const { parser, problems, frames } = parse(chunks, true);
      assert.equal(problems, [], f);
      assert.equal(parser.blocks, want.sequence, `${f}: sequence`);
      const counts: Record<string, number> = {};
      for (const [k, v] of Object.entries(parser.blockCounts as PcapngBlockCounts)) if (v) counts[k] = v;
      assert.equal(counts, want.counts, `${f}: counts`);
      assert.is(frames.length, (want.counts.EPB ?? 0) + (want.counts.SPB ?? 0));
      for (const fr of frames) assert.ok(fr.iface !== undefined, `${f}: every packet names its interface`);
    }
  }
  // facts read off the files: big-endian interface name, mixed-endian sections, per-section numbering
  const be = parse([readFileSync(join(dir, 'be-basic-test001.pcapng'))]);
  assert.equal([...new Set(be.frames.map((x) => x.iface))], ['silly ethernet interface']);
  const mixed = parse([readFileSync(join(dir, 'be-difficult-test202.pcapng'))]);
  assert.equal(
    mixed.frames.map((x) => `${x.iface}/${x.linktype}/${x.bytes.length}`),
    ['eth0/1/96', 'eth0/1/96', 'null1/0/168', 'silly ethernet interface 2/1/128', 'silly ethernet interface 2/1/128', 'silly ethernet interface 2/1/128', 'silly ethernet interface 2/1/128', 'null1/0/168'],
  );
  const two = parse([readFileSync(join(dir, 'le-basic-test006.pcapng'))]);
  assert.equal(two.frames.map((x) => x.linktype), [1, 0, 1, 1, 1]);
  assert.equal(two.frames.map((x) => x.sec * 1e6 + x.nsec / 1000), [1340954905298858, 1340954905299858, 1340954905300858, 1340954905301858, 1340954905302858]);
});

test.run();
