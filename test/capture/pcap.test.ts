import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PcapParser } from '../../src/capture/pcap.js';
import type { Frame, InputProblem } from '../../src/capture/frame.js';

function header(little: boolean, magic: number, linktype: number): Buffer {
  const b = Buffer.alloc(24);
  const w32 = (v: number, o: number) => (little ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const w16 = (v: number, o: number) => (little ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  w32(magic, 0);
  w16(2, 4);
  w16(4, 6);
  w32(65535, 16);
  w32(linktype, 20);
  return b;
}

function record(little: boolean, sec: number, frac: number, data: number[], claim = data.length): Buffer {
  const b = Buffer.alloc(16 + data.length);
  const w32 = (v: number, o: number) => (little ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  w32(sec, 0);
  w32(frac, 4);
  w32(claim, 8);
  w32(claim, 12);
  Buffer.from(data).copy(b, 16);
  return b;
}

function collect(chunks: Buffer[]) {
  const frames: { index: number; sec: number; nsec: number; bytes: number[]; cut: boolean; linktype: number; offset: number }[] = [];
  const problems: InputProblem[] = [];
  const p = new PcapParser('t.pcap', {
    frame: (f: Frame) =>
      frames.push({ index: f.index, sec: f.sec, nsec: f.nsec, bytes: [...f.bytes], cut: f.cutByEof, linktype: f.linktype, offset: f.offset }),
    problem: (x) => problems.push(x),
  });
  for (const c of chunks) p.push(c);
  p.end();
  return { frames, problems, parser: p };
}

test('reads both byte orders and both timestamp resolutions, one byte at a time', () => {
  for (const little of [true, false]) {
    for (const [magic, nsec] of [[0xa1b2c3d4, 7000], [0xa1b23c4d, 7]] as const) {
      const file = Buffer.concat([header(little, magic, 0x30000001), record(little, 100, 7, [1, 2, 3]), record(little, 101, 7, [4])]);
      const bytewise = [...file].map((x) => Buffer.from([x]));
      const { frames, problems } = collect(bytewise);
      assert.equal(problems, []);
      assert.equal(frames.map((f) => f.bytes), [[1, 2, 3], [4]]);
      assert.equal(frames[0].nsec, nsec);
      assert.equal(frames[1].sec, 101);
      assert.equal(frames[0].linktype, 1, 'FCS bits masked off');
      assert.equal(frames[1].offset, 24 + 16 + 3);
    }
  }
});

test('a record cut by end of file is delivered and reported, not dropped', () => {
  const full = Buffer.concat([header(true, 0xa1b2c3d4, 1), record(true, 1, 0, [1, 2, 3, 4, 5, 6])]);
  const { frames, problems } = collect([full.subarray(0, full.length - 2)]);
  assert.is(frames.length, 1);
  assert.ok(frames[0].cut);
  assert.equal(frames[0].bytes, [1, 2, 3, 4]);
  assert.is(problems.length, 1);
  assert.match(problems[0].message, /cut by end of file: 4 of 6/);
  assert.is(problems[0].packet, 1);
  assert.is(problems[0].offset, 24);
});

test('a record claiming 4 GiB is an error at its offset, without allocating it', () => {
  const file = Buffer.concat([header(true, 0xa1b2c3d4, 1), record(true, 1, 0, [9]), record(true, 2, 0, [1, 2], 0xfffffff0)]);
  const { frames, problems, parser } = collect([file]);
  assert.is(frames.length, 1);
  assert.ok(parser.aborted);
  assert.is(problems[0].packet, 2);
  assert.is(problems[0].offset, 24 + 17);
  assert.match(problems[0].message, /4294967280 captured bytes/);
});

test('not a pcap, empty, and a short header are one clear error each', () => {
  assert.match(collect([Buffer.from('hello world, this is text not pcap')]).problems[0].message, /not a pcap file/);
  assert.match(collect([]).problems[0].message, /empty file/);
  assert.match(collect([Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0])]).problems[0].message, /header cut short/);
});

test.run();
