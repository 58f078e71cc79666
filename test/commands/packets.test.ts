/** `podpath packets` through its run() with a memory Io. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { shared } from '../helpers.js';
import { memoryIo, UserError, EXIT } from '../../src/io.js';
import { packets } from '../../src/commands/packets.js';
import { PACKET_SCHEMA, type PacketSummary } from '../../src/decode/summary.js';

function corpus(rel: string): string | undefined {
  const root = shared('packets command');
  return root ? join(root, 'corpus', rel) : undefined;
}

const lines = (chunks: string[]) => chunks.join('').split('\n').filter((l) => l !== '');

test('text: one line per packet, numbered, with the inner headers on the same line', async () => {
  const f = corpus('tcpdump/tests/vxlan.pcap');
  if (!f) return;
  const io = memoryIo();
  const rc = await packets.run({ inputs: [f] }, io);
  assert.is(rc, EXIT.OK);
  const out = lines(io.stdout);
  assert.is(out.length, 10);
  assert.is(out[0], '1 20:21:44.837063 - 192.168.203.1.45149 > 192.168.202.1.4789 VXLAN vni 100 | 192.168.203.3 > 192.168.203.5 ICMP echo request id 1292 seq 1 len 64');
  assert.ok(out.every((l, i) => l.startsWith(`${i + 1} `)));
  assert.equal(io.stderr, []);
});

test('ndjson: parses, has the contract fields, one record per packet', async () => {
  const f = corpus('tcpdump/tests/geneve.pcap');
  if (!f) return;
  const io = memoryIo();
  assert.is(await packets.run({ inputs: [f], format: 'ndjson' }, io), 0);
  const recs = lines(io.stdout).map((l) => JSON.parse(l) as PacketSummary);
  assert.ok(recs.length > 10);
  for (const r of recs) {
    assert.is(r.schema, PACKET_SCHEMA);
    for (const k of ['input', 'index', 'time', 'captureLength', 'wireLength', 'status', 'layers', 'truncated', 'problems'] as const) {
      assert.ok(k in r, `field ${k}`);
    }
    assert.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.is(r.tunnel!.type, 'geneve');
    assert.ok(r.outer && r.inner);
  }
  assert.equal(Object.keys(recs[0]).slice(0, 4), ['schema', 'input', 'index', 'time']);
});

test('a bad input (text file, missing file) is one stderr line naming it; the other input still prints', async () => {
  const f = corpus('tcpdump/tests/vxlan.pcap');
  if (!f) return;
  const dir = mkdtempSync(join(tmpdir(), 'podpath-packets-'));
  try {
    const txt = join(dir, 'notes.txt');
    writeFileSync(txt, 'this is not a capture\n');
    const io = memoryIo(dir);
    const rc = await packets.run({ inputs: ['notes.txt', 'missing.pcap', f] }, io);
    assert.is(rc, EXIT.OK);
    assert.is(lines(io.stdout).length, 10);
    assert.is(io.stderr.length, 2, io.stderr.join('\n'));
    assert.match(io.stderr[0], /^podpath: notes\.txt: .*not a pcap or pcapng capture/);
    assert.match(io.stderr[1], /^podpath: missing\.pcap: no such file or directory$/);
    const none = memoryIo(dir);
    assert.is(await packets.run({ inputs: ['notes.txt', 'missing.pcap'] }, none), EXIT.NO_INPUT);
    assert.equal(none.stdout, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('folders (content-sniffed, recursive), globs, gzip, --limit, --stats', async () => {
  const a = corpus('tcpdump/tests/vxlan.pcap');
  const b = corpus('tcpdump/tests/bgp-ovs.pcapng');
  if (!a || !b) return;
  const dir = mkdtempSync(join(tmpdir(), 'podpath-packets-'));
  try {
    mkdirSync(join(dir, 'node1', 'deep'), { recursive: true });
    copyFileSync(a, join(dir, 'node1', 'flannel.cap'));
    writeFileSync(join(dir, 'node1', 'deep', 'ng.pcapng.gz'), gzipSync(readFileSync(b)));
    writeFileSync(join(dir, 'node1', 'README'), 'text, skipped by the folder scan');
    const io = memoryIo(dir);
    assert.is(await packets.run({ inputs: ['node1'], stats: true }, io), 0);
    const out = lines(io.stdout);
    assert.ok(out.length > 10, 'both captures read');
    assert.equal(io.stderr.filter((l) => !l.startsWith('podpath: stats:')), []);
    const stats = io.stderr.filter((l) => l.startsWith('podpath: stats:'));
    assert.is(stats.length, 3, 'two inputs and a total');
    assert.match(stats[0], /node1\/deep\/ng\.pcapng\.gz: read \d+, decoded \d+, truncated \d+, malformed \d+, skipped \d+/);
    const globbed = memoryIo(dir);
    assert.is(await packets.run({ inputs: ['node1/*.cap'], limit: 3 }, globbed), 0);
    assert.is(lines(globbed.stdout).length, 3);
    const nomatch = memoryIo(dir);
    assert.is(await packets.run({ inputs: ['nothing/*.pcap'] }, nomatch), EXIT.NO_INPUT);
    assert.match(nomatch.stderr[0], /^podpath: nothing\/\*\.pcap: no file matches/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('standard input, --vxlan-port, and usage errors', async () => {
  const f = corpus('tcpdump/tests/vxlan_port_8472.pcap');
  if (!f) return;
  const io = memoryIo();
  io.stdin = Readable.from([readFileSync(f)]);
  assert.is(await packets.run({ inputs: ['-'], format: 'ndjson', 'vxlan-port': [9999] }, io), 0);
  const recs = lines(io.stdout).map((l) => JSON.parse(l) as PacketSummary);
  assert.is(recs.length, 10);
  assert.is(recs[0].input, '-');
  for (const bad of [{ 'vxlan-port': [70000] }, { 'geneve-port': ['x'] }, { format: 'xml' }, { limit: -1 }]) {
    const e = await packets.run({ inputs: [f], ...bad }, memoryIo()).then(() => undefined, (x: unknown) => x);
    assert.ok(e instanceof UserError && e.exitCode === EXIT.USAGE, JSON.stringify(bad));
  }
});

test('decode problems go to stderr with file, packet and byte offset; stdout stays packets only', async () => {
  const f = corpus('tcpdump/tests/ipv6-bad-version.pcap');
  if (!f) return;
  const io = memoryIo();
  assert.is(await packets.run({ inputs: [f] }, io), 0);
  assert.is(lines(io.stdout).length, 4);
  assert.is(io.stderr.length, 2);
  assert.match(io.stderr[0], /ipv6-bad-version\.pcap: packet 2, byte offset \d+: warning: ipv6: version 0 != 6$/);
});

test('backpressure: output waits for drain() when out() says so', async () => {
  const f = corpus('tcpdump/tests/arp-oobr.pcap');
  if (!f) return;
  const io = memoryIo();
  let drains = 0;
  let writes = 0;
  io.out = (t: string) => {
    io.stdout.push(t);
    writes++;
    return false;
  };
  io.drain = () => {
    drains++;
    return new Promise((r) => setTimeout(r, 1));
  };
  assert.is(await packets.run({ inputs: [f] }, io), 0);
  assert.is(lines(io.stdout).length, 2282);
  assert.ok(writes >= 2, `output batched into ${writes} writes`);
  assert.ok(drains >= 1);
});

test.run();
