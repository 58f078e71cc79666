/**
 * One bad incident never stops the others: corrupt captures, a folder with nothing readable, an
 * empty folder, a missing path, a worker that throws or exits. Each failed incident is listed in
 * the index with its one-line error and on stderr; exit 0 while one incident was analyzed, 3 when
 * none was.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/io.js';
import { runReport } from '../../src/commands/report.js';
import { runJob } from '../../src/batch/job.js';
import { runPool } from '../../src/batch/pool.js';
import { copyScenario, io, read, tempDir } from './fixture.js';

const garbage = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff));

let root = '';

test.before(async () => {
  root = tempDir();
  const inc = join(root, 'incidents');
  mkdirSync(inc);
  await copyScenario('same-node', inc, 'good');
  // A sample with one capture replaced by garbage: still analyzed, the problem counted.
  const corrupt = await copyScenario('cross-node', inc, 'corrupt-capture');
  const host = join(corrupt, 'ip-10-32-7-224');
  const pcap = readdirSync(host).find((f) => f.endsWith('.pcap'))!;
  writeFileSync(join(host, pcap), garbage(5000));
  // Nothing readable: every file is garbage.
  mkdirSync(join(inc, 'all-garbage', 'node-a'), { recursive: true });
  writeFileSync(join(inc, 'all-garbage', 'node-a', 'eth0.pcap'), garbage(3000));
  writeFileSync(join(inc, 'all-garbage', 'node-a', 'blob.bin'), garbage(100));
  // Empty.
  mkdirSync(join(inc, 'empty'));
});

test('a corrupt incident and an empty one are listed as failed; the others complete', async () => {
  const m = io(root);
  const rc = await runReport({ incidents: ['incidents/*', 'incidents/missing'], out: 'out', jobs: 3 }, m);
  assert.is(rc, EXIT.OK);
  const md = read(join(root, 'out', 'index.md'));
  const html = read(join(root, 'out', 'index.html'));
  // analyzed: reports written
  for (const s of ['good', 'corrupt-capture']) assert.ok(existsSync(join(root, 'out', s, 'report.html')), s);
  // the corrupt capture is a problem of an analyzed incident
  const corruptRow = md.split('\n').find((l) => l.includes('[corrupt-capture]'))!;
  assert.match(corruptRow, /\| [1-9]\d* \|$/);
  // failed: listed with their error, no reports
  for (const s of ['all-garbage', 'empty', 'missing']) {
    const row = md.split('\n').find((l) => l.startsWith('| ') && l.includes(`| ${s}<br>`));
    assert.ok(row, `${s} listed`);
    assert.match(row!, /\*\*failed\*\*/);
    assert.not.ok(existsSync(join(root, 'out', s, 'report.html')), s);
  }
  assert.match(md, /\| empty<br>`incidents\/empty` \| \*\*failed\*\* \| no input could be read/);
  assert.match(md, /\| missing<br>`incidents\/missing` \| \*\*failed\*\* \| no input could be read \(missing: no such file or folder\)/);
  assert.match(md, /all-garbage.*neither a capture/);
  // failed ones rank last
  const order = md.split('\n').filter((l) => /^\| \d+ \|/.test(l)).map((l) => /\*\*failed\*\*/.test(l));
  assert.equal(order, [...order].sort((a, b) => Number(a) - Number(b)));
  assert.match(md, /5 incidents: .*3 failed/);
  assert.match(html, /<span class="badge b-failed">failed<\/span>/);
  // one stderr line each
  const err = m.stderr.filter((l) => l.includes(': failed: '));
  assert.is(err.length, 3);
  for (const l of err) assert.not.match(l, /\n./);
});

test('a worker that throws or exits fails its incident only', async () => {
  const d = tempDir();
  const inc = join(d, 'incidents');
  mkdirSync(inc);
  await copyScenario('same-node', inc, 'a-good');
  await copyScenario('same-node', inc, 'b-throws');
  await copyScenario('same-node', inc, 'c-exits');
  await copyScenario('intra-pod', inc, 'd-good');
  const workerUrl = new URL('./fixtures/crashing-worker.js', import.meta.url);
  const m = io(d);
  const rc = await runReport({ incidents: ['incidents/*'], out: 'out', jobs: 2 }, m, { workerUrl });
  assert.is(rc, EXIT.OK);
  const md = read(join(d, 'out', 'index.md'));
  assert.match(md, /\| b-throws<br>`incidents\/b-throws` \| \*\*failed\*\* \| analysis crashed: boom: analyze threw \|/);
  assert.match(md, /\| c-exits<br>`incidents\/c-exits` \| \*\*failed\*\* \| analysis stopped: worker exited with code 7 \|/);
  for (const s of ['a-good', 'd-good']) assert.ok(existsSync(join(d, 'out', s, 'report.json')), s);
  // with one worker too (the replacement worker carries on)
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'out1', jobs: 1 }, io(d), { workerUrl }), EXIT.OK);
  assert.ok(read(join(d, 'out1', 'index.md')) === md, 'same index whatever the pool size');
});

test('every incident failed: exit 3, the index still lists them', async () => {
  const m = io(root);
  assert.is(await runReport({ incidents: ['incidents/empty', 'incidents/all-garbage'], out: 'none' }, m), EXIT.NO_INPUT);
  assert.match(read(join(root, 'none', 'index.md')), /2 incidents: 2 failed/);
  assert.match(m.stderr.join('\n'), /no incident could be analyzed/);
});

test('runJob never throws: an unwritable output is a failed incident', async () => {
  const d = tempDir();
  writeFileSync(join(d, 'not-a-folder'), 'x');
  const inc = await copyScenario('intra-pod', d);
  const e = await runJob({ abs: inc, path: 'intra-pod', slug: 'intra-pod', out: join(d, 'not-a-folder'), vxlanPorts: [], genevePorts: [] });
  assert.is(e.status, 'failed');
  assert.match(e.error!, /ENOTDIR|EEXIST|not a directory/i);
  assert.not.match(e.error!, /\n/);
});

test('a worker script that cannot load fails every incident, one by one, and ends', async () => {
  const d = tempDir();
  const jobs = ['x', 'y', 'z'].map((s) => ({ abs: join(d, s), path: s, slug: s, out: d, vxlanPorts: [], genevePorts: [] }));
  const entries = await runPool(jobs, { size: 2, workerUrl: new URL('./fixtures/no-such-worker.js', import.meta.url) });
  assert.equal(entries.map((e) => e.status), ['failed', 'failed', 'failed']);
  assert.equal(entries.map((e) => e.slug), ['x', 'y', 'z']);
});

test.run();
