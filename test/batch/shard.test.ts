/**
 * --shard I/N and --merge: the shards of a batch, merged, give the same index as one unsharded
 * run (byte-identical), whether the shards share one --out folder or each has its own.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, UserError } from '../../src/io.js';
import { runReport } from '../../src/commands/report.js';
import { parseShard, shardSlice } from '../../src/batch/incidents.js';
import { copyScenario, io, read, sampleIncidents, tempDir, tree } from './fixture.js';

let root = '';

test.before(async () => {
  root = await sampleIncidents();
  // a fifth incident that fails, so failures go through the manifests too
  mkdirSync(join(root, 'incidents', 'zz-empty'));
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'whole', jobs: 4 }, io(root)), 0);
});

const INDEX = ['index.md', 'index.html'];

function sameIndex(dir: string) {
  for (const f of INDEX) {
    const a = readFileSync(join(root, 'whole', f));
    const b = readFileSync(join(root, dir, f));
    if (!a.equals(b)) {
      const la = a.toString().split('\n');
      const lb = b.toString().split('\n');
      const i = la.findIndex((l, k) => l !== lb[k]);
      assert.unreachable(`${dir}/${f} differs from the unsharded run's at line ${i + 1}:\n  whole: ${la[i]}\n  ${dir}: ${lb[i]}`);
    }
  }
}

test('parseShard and shardSlice', () => {
  assert.equal(parseShard('1/2'), { index: 1, count: 2 });
  assert.equal(parseShard(' 3 / 3 '), { index: 3, count: 3 });
  for (const bad of ['0/2', '3/2', '1/0', '-1/2', '1', 'a/b', '1/2/3', '']) assert.is(parseShard(bad), undefined, bad);
  const list = [...'abcdefghij'];
  for (const n of [1, 2, 3, 4, 7, 10, 13]) {
    const parts = Array.from({ length: n }, (_, i) => shardSlice(list, i + 1, n));
    assert.equal(parts.flat(), list, `N=${n}: every item once, in order`);
    const sizes = parts.map((p) => p.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `N=${n} balanced`);
  }
});

test('two shards into one --out, then --merge: the unsharded index, byte for byte', async () => {
  const a = io(root);
  const b = io(root);
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'shared', shard: '1/2' }, a), 0);
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'shared', shard: '2/2' }, b), 0);
  assert.ok(existsSync(join(root, 'shared', 'shard-1-of-2.json')) && existsSync(join(root, 'shared', 'shard-2-of-2.json')));
  const m = io(root);
  assert.is(await runReport({ merge: ['shared'] }, m), 0);
  sameIndex('shared');
  assert.match(m.stderr.join('\n'), /zz-empty: failed: no input could be read/);
  // the per-incident reports too
  const whole = tree(join(root, 'whole'));
  const shared = tree(join(root, 'shared'));
  for (const [k, v] of whole) assert.ok(v.equals(shared.get(k)!), k);
});

test('shards in separate folders (any order, three of them), merged into a third: same index, reports copied', async () => {
  for (const i of [3, 1, 2]) assert.is(await runReport({ incidents: ['incidents/*'], out: `s${i}`, shard: `${i}/3` }, io(root)), 0);
  const m = io(root);
  assert.is(await runReport({ merge: ['s1', 's2', 's3'], out: 'merged' }, m), 0);
  // a shard whose whole slice failed still exits 0 (the merge judges the batch)
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'last', shard: '5/5' }, io(root)), 0);
  assert.equal(JSON.parse(read(join(root, 'last', 'shard-5-of-5.json'))).incidents.map((e: { status: string }) => e.status), ['failed']);
  sameIndex('merged');
  const whole = tree(join(root, 'whole'));
  const merged = tree(join(root, 'merged'));
  assert.equal([...merged.keys()].filter((k) => !k.startsWith('shard-')).sort(), [...whole.keys()].sort());
  for (const [k, v] of whole) assert.ok(v.equals(merged.get(k)!), k);
});

test('a missing shard: usage error, unless --partial (then the index says so)', async () => {
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'half', shard: '1/2' }, io(root)), 0);
  try {
    await runReport({ merge: ['half'] }, io(root));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UserError);
    assert.is((e as UserError).exitCode, EXIT.USAGE);
    assert.match((e as Error).message, /no manifest for shard 2\/2/);
  }
  const m = io(root);
  assert.is(await runReport({ merge: ['half'], partial: true }, m), 0);
  assert.match(read(join(root, 'half', 'index.md')), /\*\*Incomplete:\*\* no manifest for shard 2\/2\./);
  assert.match(read(join(root, 'half', 'index.html')), /Incomplete: no manifest for shard 2\/2\./);
});

test('manifests of different shardings or with bad entries', async () => {
  const d = join(root, 'mixed');
  mkdirSync(d, { recursive: true });
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'mixed', shard: '1/2' }, io(root)), 0);
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'mixed', shard: '1/3' }, io(root)), 0);
  try {
    await runReport({ merge: ['mixed'] }, io(root));
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /different shardings/);
  }
  // A tampered manifest: a slug that climbs out, another with markup; only sane entries are kept.
  const t = join(root, 'tampered');
  mkdirSync(t);
  const entry = JSON.parse(read(join(root, 'mixed', 'shard-1-of-3.json'))).incidents[0];
  const bad = [
    { ...entry, slug: '../evil' },
    { ...entry, slug: '/etc' },
    { ...entry, slug: 'index.html' },
    { ...entry, slug: 'ok-one', headline: '<img src=x onerror=alert(1)>', path: '"><script>alert(1)</script>' },
    { ...entry, slug: 'nums', packets: -1 },
  ];
  writeFileSync(join(t, 'shard-1-of-1.json'), JSON.stringify({ schema: 'podpath.batch-shard/1', shard: { index: 1, count: 1 }, total: 5, incidents: bad }));
  mkdirSync(join(t, 'ok-one'));
  for (const f of ['report.md', 'report.html', 'report.json']) writeFileSync(join(t, 'ok-one', f), 'x');
  const m = io(root);
  const outside = join(root, 'evil');
  rmSync(outside, { recursive: true, force: true });
  assert.is(await runReport({ merge: ['tampered'], out: 'tampered-out' }, m), 0);
  assert.is(m.stderr.filter((l) => /an entry is not an incident record/.test(l)).length, 4);
  assert.not.ok(existsSync(outside));
  const html = read(join(root, 'tampered-out', 'index.html'));
  assert.not.match(html, /<img|<script/);
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.equal([...tree(join(root, 'tampered-out')).keys()].sort(), ['index.html', 'index.md', 'ok-one/report.html', 'ok-one/report.json', 'ok-one/report.md']);
});

test('an empty slice writes an empty manifest; a merge with no manifests is a usage error', async () => {
  const d = tempDir();
  await copyScenario('same-node', d, 'only');
  assert.is(await runReport({ incidents: ['only'], out: 'o', shard: '1/2' }, io(d)), 0);
  assert.equal(JSON.parse(read(join(d, 'o', 'shard-1-of-2.json'))).incidents, []);
  assert.is(await runReport({ incidents: ['only'], out: 'o', shard: '2/2' }, io(d)), 0);
  assert.is(await runReport({ merge: ['o'] }, io(d)), 0);
  assert.match(read(join(d, 'o', 'index.md')), /1 incident: /);
  mkdirSync(join(d, 'blank'));
  try {
    await runReport({ merge: ['blank'] }, io(d));
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /no shard manifests/);
  }
});

test.run();
