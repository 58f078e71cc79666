/** The real entry point, as a user runs it: exit codes, one-line errors, standard input. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, shared } from './helpers.js';

const BIN = join(ROOT, 'bin', 'podpath.js');
function run(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input, encoding: 'buffer', timeout: 60_000 });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}

test('--help lists every verb; an unknown verb is a usage error (2) in one line, no stack', () => {
  const h = run(['--help']);
  assert.is(h.code, 0);
  for (const verb of ['analyze', 'explain', 'packets', 'topology', 'dumps', 'collect']) assert.match(h.out, verb);
  const bad = run(['frobnicate', '--format', 'nope']);
  assert.is(bad.code, 2);
  assert.not.match(bad.err, /\n\s+at /, 'no stack trace');
});

test('bare podpath prints the help (exit 0), not a usage error', () => {
  const r = run([]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /^podpath <command> \[inputs\.\.\]/);
  for (const verb of ['analyze', 'explain', 'packets']) assert.match(r.out, verb);
  assert.is(r.err, '');
});

test('"-" reads a capture from standard input, gzip\'ed or not', () => {
  const dir = shared('cli stdin');
  if (!dir) return;
  const pcap = readFileSync(join(dir, 'corpus/tcpdump/tests/vxlan.pcap'));
  for (const input of [pcap, gzipSync(pcap)]) {
    const r = run(['packets', '-'], input);
    assert.is(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.is(lines.length, 10);
    assert.match(lines[0], /VXLAN vni 100 \| 192\.168\.203\.3 > 192\.168\.203\.5 ICMP echo request/);
  }
});

test('nothing readable: exit 3 and one line per bad input naming it', () => {
  const d = mkdtempSync(join(tmpdir(), 'podpath-cli-'));
  writeFileSync(join(d, 'junk.pcap'), 'this is not a capture\n');
  const r = run(['analyze', join(d, 'junk.pcap'), join(d, 'missing.pcap')]);
  assert.is(r.code, 3, r.err);
  assert.match(r.err, /junk\.pcap/);
  assert.match(r.err, /missing\.pcap/);
  assert.not.match(r.err, /\n\s+at /);
});

test('analyze --fail-on: exit 1 when a finding is at or above the severity', () => {
  if (!existsSync(join(ROOT, 'samples', 'blocked-overlay', 'lab.json'))) {
    console.log('SKIP --fail-on: samples/blocked-overlay missing');
    return;
  }
  assert.is(run(['analyze', 'samples/blocked-overlay', '--fail-on', 'critical', '--format', 'json']).code, 1);
  assert.is(run(['analyze', 'samples/same-node', '--fail-on', 'critical', '--format', 'json']).code, 0);
});

test.run();
