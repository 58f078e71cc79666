/** `podpath dumps`: inputs (files, folders, globs, stdin), table and JSON output, problems, exit codes. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { dumpsCommand, binaryKind } from '../../src/commands/dumps.js';
import { commands } from '../../src/commands/index.js';
import { EXIT, UserError, memoryIo } from '../../src/io.js';
import type { DumpSection } from '../../src/dumps/types.js';

const dir = mkdtempSync(join(tmpdir(), 'podpath-dumps-'));
mkdirSync(join(dir, 'node1'));
mkdirSync(join(dir, 'node2'));
writeFileSync(join(dir, 'node1', 'ip-addr.txt'), '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n');
writeFileSync(join(dir, 'node1', 'route-n.txt'), 'Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n0.0.0.0         10.32.0.1       0.0.0.0         UG    0      0        0 eth0\n');
writeFileSync(join(dir, 'node1', 'hostname'), 'node1\n');
writeFileSync(join(dir, 'node1', 'capture.pcap'), Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'));
writeFileSync(join(dir, 'node1', 'capture.pcap.gz'), gzipSync(Buffer.alloc(100)));
writeFileSync(join(dir, 'node2', 'session.txt'), '$ ip r\r\ndefault via 10.32.0.1 dev eth0\r\n$ vi x\r\n$ route -n\r\nnonsense here\r\n');
writeFileSync(join(dir, 'notes.txt'), 'just some notes\nabout the incident\n');
mkdirSync(join(dir, 'caps'));
writeFileSync(join(dir, 'caps', 'a.pcapng'), Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex'));

async function run(args: Record<string, unknown>, stdin?: string) {
  const io = memoryIo(dir);
  if (stdin !== undefined) io.stdin = Readable.from([Buffer.from(stdin)]);
  const code = await dumpsCommand.run({ format: 'table', ...args }, io);
  return { code, out: io.stdout.join(''), err: io.stderr.join('\n') };
}

test('registered as a CLI verb', () => {
  assert.ok(commands.includes(dumpsCommand));
  assert.match(String(dumpsCommand.command), /^dumps/);
});

test('binaryKind: pcap, pcapng, gzip by magic bytes; text is not binary', () => {
  assert.is(binaryKind(Buffer.from('d4c3b2a1', 'hex')), 'pcap');
  assert.is(binaryKind(Buffer.from('a1b23c4d', 'hex')), 'pcap');
  assert.is(binaryKind(Buffer.from('0a0d0d0a', 'hex')), 'pcapng');
  assert.is(binaryKind(Buffer.from('1f8b0800', 'hex')), 'gzip');
  assert.is(binaryKind(Buffer.from('Kernel IP routing table\n')), undefined);
  assert.is(binaryKind(Buffer.from('caf\xe9\n', 'latin1')), undefined);
});

test('folders are walked recursively; captures and archives are skipped; JSON is the documented array', async () => {
  const { code, out, err } = await run({ inputs: ['.'], format: 'json' });
  assert.is(code, EXIT.OK);
  const sections = JSON.parse(out) as DumpSection[];
  assert.ok(Array.isArray(sections));
  assert.equal(
    sections.map((s) => [s.input, s.command, s.line, s.commandLine ?? null, s.records.length]),
    [
      ['node1/hostname', 'hostname', 1, null, 1],
      ['node1/ip-addr.txt', 'ip-addr', 1, null, 1],
      ['node1/route-n.txt', 'route-n', 1, null, 1],
      ['node2/session.txt', 'ip-route', 2, 'ip r', 1],
      ['node2/session.txt', 'unknown', 4, 'vi x', 0],
      ['node2/session.txt', 'route-n', 5, 'route -n', 0],
      ['notes.txt', 'unknown', 1, null, 0],
    ],
  );
  for (const s of sections) {
    assert.equal(Object.keys(s).filter((k) => !['input', 'command', 'line', 'commandLine', 'records', 'problems'].includes(k)), []);
    for (const r of s.records as unknown as { line: number }[]) assert.type(r.line, 'number');
  }
  // problems: one line each, naming the input and the line
  const lines = err.split('\n').filter(Boolean);
  assert.ok(lines.includes("podpath: node2/session.txt:3: command 'vi' is not one podpath reads; its output (0 lines) was skipped"), err);
  assert.ok(lines.some((l) => l.startsWith('podpath: node2/session.txt:5: unrecognized routing table line')), err);
  assert.ok(lines.some((l) => l.startsWith('podpath: notes.txt:1: not recognized')), err);
  assert.ok(!/pcap|gz/.test(err), err);
});

test('table output names each section', async () => {
  const { code, out } = await run({ inputs: ['node1'] });
  assert.is(code, EXIT.OK);
  assert.match(out, /INPUT\s+LINE\s+COMMAND\s+RECORDS\s+PROBLEMS\s+WHAT/);
  assert.match(out, /node1\/ip-addr\.txt\s+1\s+ip-addr\s+1\s+0\s+lo/);
  assert.match(out, /node1\/route-n\.txt\s+1\s+route-n\s+1\s+0\s+0\.0\.0\.0\/0/);
});

test('globs', async () => {
  const { code, out } = await run({ inputs: ['node*/*.txt'], format: 'json' });
  assert.is(code, EXIT.OK);
  assert.equal(
    [...new Set((JSON.parse(out) as DumpSection[]).map((s) => s.input))],
    ['node1/ip-addr.txt', 'node1/route-n.txt', 'node2/session.txt'],
  );
});

test('standard input (--stdin, or the input "-")', async () => {
  const a = await run({ inputs: [], stdin: true, format: 'json' }, '$ bridge vlan\nport              vlan-id\ncni0              1 PVID Egress Untagged\n');
  assert.is(a.code, EXIT.OK);
  const s = JSON.parse(a.out) as DumpSection[];
  assert.equal([s[0].input, s[0].command, s[0].records.length], ['-', 'bridge-vlan', 1]);
  const b = await run({ inputs: ['-'], format: 'json' }, 'port              vlan-id\n');
  assert.is(b.code, EXIT.OK);
});

test('exit codes: 3 when nothing could be read or recognized, 2 for usage', async () => {
  const missing = await run({ inputs: ['nope.txt', 'nope/*.txt'] });
  assert.is(missing.code, EXIT.NO_INPUT);
  assert.match(missing.err, /nope\.txt: no such file or folder/);
  assert.match(missing.err, /nope\/\*\.txt: no file matches/);
  const caps = await run({ inputs: ['caps'] });
  assert.is(caps.code, EXIT.NO_INPUT);
  assert.match(caps.err, /caps: no dump files in this folder \(1 capture, archive, script or document files skipped\)/);
  const direct = await run({ inputs: ['node1/capture.pcap'] });
  assert.is(direct.code, EXIT.NO_INPUT);
  assert.match(direct.err, /node1\/capture\.pcap:1: pcap data, not a text dump/);
  const notes = await run({ inputs: ['notes.txt'] });
  assert.is(notes.code, EXIT.NO_INPUT);
  try {
    await run({ inputs: [] });
    assert.unreachable('no inputs');
  } catch (e) {
    assert.instance(e, UserError);
    assert.is((e as UserError).exitCode, EXIT.USAGE);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
