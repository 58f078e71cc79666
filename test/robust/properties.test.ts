/**
 * Properties (fast-check, fixed seed): the decoder never throws on any bytes under any link type and
 * keeps its offsets inside the frame; the pcap and pcapng readers never throw, account for every
 * record, and read back exactly what a writer wrote (whole, in any chunking, cut anywhere, from a
 * file, gzipped); the dump parsers never throw on any text and keep their line numbers inside it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CaptureHandler, Frame, InputProblem } from '../../src/capture/frame.js';
import { MAX_RECORD_BYTES } from '../../src/capture/frame.js';
import { readCapture } from '../../src/capture/open.js';
import { PcapParser } from '../../src/capture/pcap.js';
import { PcapngParser } from '../../src/capture/pcapng.js';
import { Decoder } from '../../src/decode/decoder.js';
import { summarize } from '../../src/decode/summary.js';
import { LINKTYPE_DECODERS } from '../../src/decode/tables.js';
import { parseDump, parsers } from '../../src/dumps/index.js';
import { pcapngInterfaceNames } from '../../src/inputs/pcapng-names.js';
import { observe } from '../fuzz/observe-ref.js';
import { packetLine } from '../../src/report/packet-line.js';
import { pcap, pcapHeader, pcapng, type NgPacket, type Rec } from './writers.js';

const SEED = 20240911;
const RUNS = Number(process.env.PODPATH_PROPERTY_RUNS ?? 300);
const opts = (n = RUNS) => ({ seed: SEED, numRuns: n, endOnFailure: true });

const LINKTYPES = [...LINKTYPE_DECODERS.map(([lt]) => lt), 105, 147, 0xffff];

function frameOf(bytes: Uint8Array, linktype: number, wire: number): Frame {
  return { input: 'prop', index: 1, offset: 0, sec: 1700000000, nsec: 0, linktype, bytes, wireLength: wire, point: {}, cutByEof: false };
}

function checkDecoded(d: Decoder, f: Frame): void {
  const p = d.decode(f);
  assert.is(p.captureLength, f.bytes.length);
  assert.ok(['decoded', 'truncated', 'malformed', 'skipped'].includes(p.status));
  for (let k = 0; k < p.layerCount; k++) assert.ok(p.layerOffset[k] <= p.captureLength, `layer ${k} at ${p.layerOffset[k]} > ${p.captureLength}`);
  for (let k = 0; k < p.netCount; k++) {
    assert.ok(p.nets[k].offset <= p.captureLength, 'net header offset inside the frame');
    if (p.nets[k].l4) assert.ok(p.nets[k].l4Offset <= p.captureLength, 'transport offset inside the frame');
  }
  assert.ok(p.payloadEnd <= p.captureLength && (p.payloadOffset <= p.payloadEnd || p.payloadEnd === 0), `payload ${p.payloadOffset}..${p.payloadEnd}`);
  if (p.malformed) assert.ok(p.problems.length > 0, 'malformed comes with a problem');
  JSON.stringify(summarize(p));
  assert.type(packetLine(p), 'string');
  observe(p, 0, 0);
}

// Real header prefixes, so that random tails reach the inner decoders (random bytes alone rarely
// get past an Ethernet type).
const PREFIXES: [number, string][] = [
  [1, '020000000002020000000001' + '0800' + '4500'],
  [1, '020000000002020000000001' + '86dd' + '60000000'],
  [1, '020000000002020000000001' + '8100' + '0064' + '0800' + '45'],
  [1, '020000000002020000000001' + '0806' + '0001080006040001'],
  [1, '020000000002020000000001' + '0800' + '450000000000000040110000' + '0a000001' + '0a000002' + '12b5' + '2118'],
  [1, '020000000002020000000001' + '0800' + '450000000000000040110000' + '0a000001' + '0a000002' + '17c1' + '17c1'],
  [1, '020000000002020000000001' + '0800' + '4500000000000000402f0000' + '0a000001' + '0a000002'],
  [1, '020000000002020000000001' + '0800' + '450000000000000040040000' + '0a000001' + '0a000002'],
  [101, '45'],
  [101, '60'],
  [113, '0000000100060200000000010000' + '0800'],
  [276, '0800' + '0000' + '00000002' + '0001' + '00' + '06' + '020000000001' + '0000'],
  [0, '02000000'],
  [228, '4500'],
  [229, '6000'],
];

test('the decoder never throws on arbitrary bytes under every link type; offsets stay inside the frame', () => {
  const d = new Decoder({ vxlanPorts: [4790], genevePorts: [6082] });
  fc.assert(
    fc.property(fc.constantFrom(...LINKTYPES), fc.uint8Array({ maxLength: 300 }), fc.nat(70000), (lt, bytes, wire) => {
      checkDecoded(d, frameOf(bytes, lt, wire));
      checkDecoded(d, frameOf(bytes, lt, bytes.length));
    }),
    opts(RUNS * 4),
  );
});

test('the decoder never throws on real header prefixes followed by arbitrary bytes', () => {
  const d = new Decoder();
  fc.assert(
    fc.property(fc.constantFrom(...PREFIXES), fc.uint8Array({ maxLength: 400 }), fc.boolean(), ([lt, hex], tail, whole) => {
      const bytes = new Uint8Array([...Buffer.from(hex, 'hex'), ...tail]);
      checkDecoded(d, frameOf(bytes, lt, whole ? bytes.length : bytes.length + 100));
      // every prefix of it too: cut at any byte
      for (let cut = 0; cut < bytes.length; cut += 7) checkDecoded(d, frameOf(bytes.subarray(0, cut), lt, bytes.length));
    }),
    opts(),
  );
});

// ----------------------------------------------------------------------------------- capture files

interface Read {
  frames: { index: number; offset: number; sec: number; nsec: number; data: string; wire: number; cut: boolean; linktype: number; iface?: string }[];
  problems: InputProblem[];
  packets: number;
}

function handler(out: Read): CaptureHandler {
  return {
    frame(f) {
      assert.ok(f.bytes.length <= MAX_RECORD_BYTES);
      out.frames.push({ index: f.index, offset: f.offset, sec: f.sec, nsec: f.nsec, data: Buffer.from(f.bytes).toString('hex'), wire: f.wireLength, cut: f.cutByEof, linktype: f.linktype, iface: f.point.interface });
    },
    problem(p) {
      out.problems.push(p);
    },
  };
}

function readWith(kind: 'pcap' | 'pcapng', buf: Buffer, chunks: number[]): Read {
  const out: Read = { frames: [], problems: [], packets: 0 };
  const parser = kind === 'pcap' ? new PcapParser('prop', handler(out)) : new PcapngParser('prop', handler(out));
  let at = 0;
  let k = 0;
  while (at < buf.length && !parser.aborted) {
    const n = chunks.length ? Math.max(1, chunks[k++ % chunks.length]) : buf.length;
    parser.push(buf.subarray(at, at + n));
    at += n;
  }
  if (!parser.aborted) parser.end();
  out.packets = parser.packets;
  assert.is(parser.packets, out.frames.length, 'the parser counts what it delivers');
  return out;
}

const recordArb = fc.record({
  sec: fc.nat(0xffffffff),
  frac: fc.nat(999999),
  data: fc.uint8Array({ maxLength: 200 }),
  extra: fc.nat(100),
});

const chunkArb = fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 8 });

test('pcap: write random records, read them back identical, in any chunking, both byte orders', () => {
  fc.assert(
    fc.property(fc.array(recordArb, { maxLength: 20 }), fc.boolean(), fc.boolean(), fc.constantFrom(1, 101, 113, 276), chunkArb, (recs, little, nano, linktype, chunks) => {
      const records: Rec[] = recs.map((r) => ({ sec: r.sec, frac: r.frac, data: r.data, wire: r.data.length + r.extra }));
      const buf = pcap(records, { little, nano, linktype });
      const a = readWith('pcap', buf, []);
      const b = readWith('pcap', buf, chunks);
      assert.equal(b, a, 'chunking does not change anything');
      assert.is(a.problems.length, 0);
      assert.is(a.frames.length, records.length);
      let off = 24;
      a.frames.forEach((f, i) => {
        const r = records[i];
        assert.is(f.index, i + 1);
        assert.is(f.offset, off);
        assert.is(f.sec, r.sec);
        assert.is(f.nsec, nano ? r.frac : r.frac * 1000);
        assert.is(f.data, Buffer.from(r.data).toString('hex'));
        assert.is(f.wire, r.wire);
        assert.is(f.linktype, linktype);
        assert.not.ok(f.cut);
        off += 16 + r.data.length;
      });
    }),
    opts(),
  );
});

test('pcap: cut anywhere, every whole record is read, a cut one is flagged, nothing else', () => {
  fc.assert(
    fc.property(fc.array(recordArb, { minLength: 1, maxLength: 10 }), fc.nat(), chunkArb, (recs, cutSeed, chunks) => {
      const records: Rec[] = recs.map((r) => ({ sec: r.sec, frac: r.frac, data: r.data }));
      const buf = pcap(records);
      const cut = cutSeed % (buf.length + 1);
      const got = readWith('pcap', buf.subarray(0, cut), chunks);
      // how many records end at or before the cut, and whether a record header is whole past them
      let off = 24;
      let whole = 0;
      while (whole < records.length && off + 16 + records[whole].data.length <= cut) off += 16 + records[whole++].data.length;
      if (cut < 24) {
        assert.is(got.frames.length, 0);
        assert.is(got.problems.length, 1, 'one problem: the file header');
        return;
      }
      const partial = cut - off >= 16 ? 1 : 0;
      assert.is(got.frames.length, whole + partial, `cut ${cut} of ${buf.length}`);
      if (partial) assert.ok(got.frames[whole].cut, 'the cut record is flagged');
      assert.is(got.problems.length, cut > off ? 1 : 0, 'one problem for the cut record, none otherwise');
      for (const p of got.problems) assert.is(p.offset, off, 'the problem names the record offset');
    }),
    opts(),
  );
});

test('pcap: arbitrary bytes after a valid header never throw; every record is a frame or one problem', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), chunkArb, (tail, little, chunks) => {
      const buf = Buffer.concat([pcapHeader({ little }), tail]);
      const a = readWith('pcap', buf, []);
      const b = readWith('pcap', buf, chunks);
      assert.equal(b, a);
      assert.ok(a.problems.length <= 1, 'at most one problem: the record that stopped the reader or was cut');
    }),
    opts(),
  );
});

test('pcap and pcapng readers never throw on arbitrary bytes, whatever the chunking', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), chunkArb, (bytes, chunks) => {
      const buf = Buffer.from(bytes);
      for (const kind of ['pcap', 'pcapng'] as const) assert.equal(readWith(kind, buf, chunks), readWith(kind, buf, []));
      pcapngInterfaceNames(buf);
    }),
    opts(),
  );
});

const ngPacketArb = fc.record({
  iface: fc.nat(2),
  sec: fc.nat(2000000000),
  frac: fc.nat(999999),
  data: fc.uint8Array({ maxLength: 200 }),
  extra: fc.nat(100),
});

test('pcapng: write random sections, read them back identical, in any chunking, both byte orders', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ linktype: fc.constantFrom(1, 101, 113, 276), name: fc.option(fc.stringMatching(/^[a-z0-9.]{1,12}$/), { nil: undefined }) }), { minLength: 1, maxLength: 3 }),
      fc.array(ngPacketArb, { maxLength: 15 }),
      fc.boolean(),
      chunkArb,
      (ifaces, pkts, little, chunks) => {
        const packets: NgPacket[] = pkts.map((p) => ({ iface: p.iface % ifaces.length, sec: p.sec, frac: p.frac, data: p.data, wire: p.data.length + p.extra }));
        const buf = pcapng(ifaces, packets, little);
        const a = readWith('pcapng', buf, []);
        const b = readWith('pcapng', buf, chunks);
        assert.equal(b, a);
        assert.is(a.problems.length, 0, JSON.stringify(a.problems));
        assert.is(a.frames.length, packets.length);
        a.frames.forEach((f, i) => {
          const p = packets[i];
          assert.is(f.sec, p.sec);
          assert.is(f.nsec, p.frac * 1000);
          assert.is(f.data, Buffer.from(p.data).toString('hex'));
          assert.is(f.wire, p.wire);
          assert.is(f.linktype, ifaces[p.iface].linktype);
          assert.is(f.iface, ifaces[p.iface].name);
        });
        assert.equal(pcapngInterfaceNames(buf), ifaces.map((i) => i.name ?? ''));
        // cut anywhere: never more frames, never a throw, whole blocks still read
        for (let cut = 0; cut < buf.length; cut += Math.max(1, Math.floor(buf.length / 13))) {
          const c = readWith('pcapng', buf.subarray(0, cut), chunks);
          assert.ok(c.frames.length <= packets.length);
          for (let k = 0; k < c.frames.length; k++) if (!c.frames[k].cut) assert.equal(c.frames[k], a.frames[k]);
        }
      },
    ),
    opts(),
  );
});

test('pcapng: arbitrary bytes after a valid section header never throw', () => {
  const head = pcapng([{ linktype: 1, name: 'eth0' }], []);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), chunkArb, (tail, chunks) => {
      const buf = Buffer.concat([head, tail]);
      assert.equal(readWith('pcapng', buf, chunks), readWith('pcapng', buf, []));
      pcapngInterfaceNames(buf);
    }),
    opts(),
  );
});

test('readCapture: a written pcap/pcapng, plain or gzipped, read from a file in any chunk size, is read back identical', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-prop-'));
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { maxLength: 12 }), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 5000 }), async (recs, ng, gz, chunkSize) => {
        const records: Rec[] = recs.map((r) => ({ sec: r.sec % 2000000000, frac: r.frac, data: r.data }));
        const raw = ng ? pcapng([{ linktype: 1 }], records.map((r) => ({ ...r, iface: 0 }))) : pcap(records);
        const path = join(dir, `x.${ng ? 'pcapng' : 'pcap'}${gz ? '.gz' : ''}`);
        writeFileSync(path, gz ? gzipSync(raw) : raw);
        const out: Read = { frames: [], problems: [], packets: 0 };
        const s = await readCapture(path, handler(out), { chunkSize });
        assert.is(out.problems.length, 0);
        assert.is(s.packets, records.length);
        assert.equal(out.frames.map((f) => f.data), records.map((r) => Buffer.from(r.data).toString('hex')));
      }),
      opts(60),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------------------------------ dumps

const DUMP_WORDS = [
  'inet', 'inet6', 'link/ether', 'mtu', 'dev', 'via', 'src', 'proto', 'scope', 'global', 'default', 'vxlan', 'id',
  'dstport', 'master', 'cni0', 'flannel.1', 'eth0', 'veth1a2b@if3:', '1:', '2:', '<BROADCAST,UP>', 'lladdr', 'REACHABLE',
  '10.42.0.0/24', '10.42.1.0', '255.255.255.0', '0.0.0.0', 'UG', 'U', 'fe80::1/64', 'aa:bb:cc:dd:ee:ff', 'self', 'permanent',
  'PVID', 'Egress', 'Untagged', 'port', 'vlan-id', 'NAMESPACE', 'NAME', 'READY', 'STATUS', 'IP', 'NODE', 'Running', '1/1',
  'Destination', 'Gateway', 'Genmask', 'Flags', 'Iface', 'Kernel', 'IP', 'routing', 'table', '$', '#', 'ip', 'route', '-n',
  'bridge', 'fdb', 'show', 'kubectl', 'get', 'pods', '[{', '"ifname":', '"eth0"', '}]', '{', '}', ':', '/', '@', '\t', '  ',
  '99999999999999999999', '-1', '4294967296', '256.1.1.1', '::', '/33', '/129',
];

const lineArb = fc.array(fc.constantFrom(...DUMP_WORDS), { maxLength: 12 }).map((w) => w.join(' '));
const dumpTextArb = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.array(fc.oneof(lineArb, fc.string({ maxLength: 40 })), { maxLength: 30 }).map((l) => l.join('\n')),
  fc.array(lineArb, { maxLength: 30 }).map((l) => l.map((x, i) => (i % 3 === 1 ? `    ${x}` : x)).join('\n')),
);
const nameArb = fc.constantFrom('ip-addr.txt', 'route-n.txt', 'ip-route.txt', 'bridge-vlan.txt', 'bridge-fdb.txt', 'pods.txt', 'hostname', 'ip-neigh.txt', 'x.txt', 'node.pcap');

function lineCount(text: string): number {
  return text.split(/\r\n|\n|\r/).length;
}

test('dump parsers never throw on arbitrary text; every line number stays inside the input', () => {
  fc.assert(
    fc.property(dumpTextArb, nameArb, (text, name) => {
      const n = lineCount(text);
      for (const input of [text, Buffer.from(text, 'utf8')]) {
        const sections = parseDump(name, input);
        assert.ok(sections.length > 0);
        for (const s of sections) {
          assert.ok(s.line >= 1 && s.line <= n + 1, `section line ${s.line} of ${n}`);
          for (const p of s.problems) {
            assert.ok(p.line >= 1 && p.line <= n + 1, `problem line ${p.line} of ${n}: ${p.message}`);
            assert.not.match(p.message, /internal error/, `a parser threw: ${p.message}`);
          }
          for (const r of s.records as { line?: number }[]) if (typeof r.line === 'number') assert.ok(r.line >= 1 && r.line <= n + 1, `record line ${r.line} of ${n}`);
        }
      }
    }),
    opts(RUNS * 2),
  );
});

test('each dump parser alone (detect and parse) never throws on arbitrary lines', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(lineArb, fc.string({ maxLength: 60 })), { maxLength: 25 }), fc.integer({ min: 1, max: 1000 }), (lines, first) => {
      for (const p of parsers) {
        const c = p.info.detect(lines);
        assert.ok(Number.isFinite(c) && c >= 0 && c <= 1, `${p.info.command} confidence ${c}`);
        const r = p.parse(lines, first);
        for (const pr of r.problems) assert.ok(pr.line >= first && pr.line <= first + lines.length, `${p.info.command} problem line ${pr.line}`);
      }
    }),
    opts(),
  );
});

test.run();
