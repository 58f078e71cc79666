/** `podpath report`: every sample incident, the index, determinism, progress, exit codes. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, UserError } from '../../src/io.js';
import { runReport } from '../../src/commands/report.js';
import { SHARD_SCHEMA } from '../../src/batch/types.js';
import { copyScenario, io, read, sampleIncidents, SCENARIOS, tempDir, tree } from './fixture.js';

let root = '';

test.before(async () => {
  root = await sampleIncidents();
});

/** Index rows as the markdown lists them: [rank, slug, worst]. */
function rows(md: string): { slug: string; worst: string; line: string }[] {
  return md
    .split('\n')
    .filter((l) => /^\| \d+ \|/.test(l))
    .map((l) => {
      const cells = l.split(' | ');
      const slug = /^\[([^\]]+)\]|^([^<]+)<br>/.exec(cells[1]);
      return { slug: (slug?.[1] ?? slug?.[2] ?? '').replace(/\\/g, ''), worst: cells[2], line: l };
    });
}

test('report incidents/* --out: every report and an index, blocked-overlay first', async () => {
  const m = io(root);
  const rc = await runReport({ incidents: ['incidents/*'], out: 'out', jobs: 4 }, m);
  assert.is(rc, EXIT.OK, m.stderr.join('\n'));
  for (const s of SCENARIOS) {
    for (const f of ['report.md', 'report.html', 'report.json']) assert.ok(existsSync(join(root, 'out', s, f)), `${s}/${f}`);
    const json = JSON.parse(read(join(root, 'out', s, 'report.json')));
    assert.is(json.schema, 'podpath.report/1');
  }
  const md = read(join(root, 'out', 'index.md'));
  const html = read(join(root, 'out', 'index.html'));
  const r = rows(md);
  assert.equal(r.map((x) => x.slug).sort(), [...SCENARIOS].sort());
  assert.is(r[0].slug, 'blocked-overlay');
  assert.match(r[0].worst, /\*\*critical\*\* `overlay-blocked`/);
  assert.match(r[0].line, /UDP 8472 between ip-10-32-11-62 \(10\.32\.11\.62\) and ip-10-32-7-224 \(10\.32\.7\.224\) is dropped/);
  assert.match(r[0].line, /\[blocked-overlay\]\(blocked-overlay\/report\.md\)/);
  assert.match(md, /^\*\*4 incidents: 1 critical/m);
  // html: links to each report, the headline, a CSP, no script, no external resource
  for (const s of SCENARIOS) assert.ok(html.includes(`href="${s}/report.html"`), s);
  assert.ok(html.includes('UDP 8472 between'));
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-/);
  assert.not.match(html, /<script/);
  assert.not.match(html, /(src|href)="(https?:)?\/\//);
  assert.ok(html.indexOf('blocked-overlay') < html.indexOf('cross-node'));
  // the per-incident markdown is the analyze command's
  assert.match(read(join(root, 'out', 'blocked-overlay', 'report.md')), /^\*\*UDP 8472 between/);
  // no manifest without --shard; nothing on stderr when not a terminal
  assert.not.ok(existsSync(join(root, 'out', 'shard-1-of-1.json')));
  assert.equal(m.statusLines, []);
});

test('deterministic: two runs (and any --jobs) give byte-identical reports and index', async () => {
  const a = io(root);
  const b = io(root);
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'det-a', jobs: 4 }, a), 0);
  assert.is(await runReport({ incidents: ['incidents/same-node', 'incidents/blocked-overlay', 'incidents/intra-pod', 'incidents/cross-node'], out: 'det-b', jobs: 1 }, b), 0);
  const ta = tree(join(root, 'det-a'));
  const tb = tree(join(root, 'det-b'));
  assert.equal([...ta.keys()], [...tb.keys()], [...a.stderr, ...b.stderr].join('\n'));
  assert.is(ta.size, 2 + 3 * SCENARIOS.length);
  for (const [k, v] of ta) assert.ok(v.equals(tb.get(k)!), `${k} differs`);
  assert.not.match(ta.get('index.html')!.toString(), /generated at/);
});

test('--timestamp: the generation time, in the index only', async () => {
  const m = io(root);
  const now = () => new Date('2024-05-06T07:08:09.123Z');
  assert.is(await runReport({ incidents: ['incidents/same-node'], out: 'ts', timestamp: true }, m, { now }), 0);
  assert.match(read(join(root, 'ts', 'index.html')), /generated at 2024-05-06T07:08:09Z/);
  assert.match(read(join(root, 'ts', 'index.md')), /Generated at 2024-05-06T07:08:09Z\./);
  assert.not.match(read(join(root, 'ts', 'same-node', 'report.md')), /2024-05-06T07:08:09Z/);
});

test('progress on a terminal: done of total, current, newline at the end; silent with --quiet', async () => {
  const m = io(root, true);
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'prog', jobs: 2 }, m), 0);
  const all = m.statusLines.join('');
  assert.match(all, /\r\[#{20}\] 4\/4 incidents/);
  assert.match(all, /\r\[[#.]{20}\] [0-3]\/4 incidents · [a-z-]+/);
  assert.ok(all.endsWith('\n'));
  const q = io(root, true);
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'prog-q', quiet: true }, q), 0);
  assert.equal(q.statusLines, []);
});

test('--fail-on: 1 when an incident has a finding at or above it', async () => {
  const m = io(root);
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'fail', 'fail-on': 'critical' }, m), EXIT.FINDING);
  assert.ok(existsSync(join(root, 'fail', 'index.html')));
  assert.is(await runReport({ incidents: ['incidents/same-node', 'incidents/cross-node'], out: 'fail2', 'fail-on': 'critical' }, io(root)), EXIT.OK);
});

test('non-incidents among the names are skipped with a note; no incident at all is exit 3', async () => {
  const d = tempDir();
  writeFileSync(join(d, 'README.md'), '# notes\n');
  const m = io(d);
  assert.is(await runReport({ incidents: ['README.md'], out: 'o' }, m), EXIT.NO_INPUT);
  assert.match(m.stderr.join('\n'), /README\.md: not an incident folder or \.tar\.gz archive, skipped/);
  assert.match(m.stderr.join('\n'), /no incident folder or archive to analyze/);
  assert.is(await runReport({ incidents: ['nothing-*'], out: 'o' }, io(d)), EXIT.NO_INPUT);
});

test('a .tar.gz of an incident is an incident (slug without the extension)', async () => {
  const d = tempDir();
  const inc = await copyScenario('same-node', d, 'case-7');
  const tar = spawnSync('tar', ['czf', join(d, 'case-7.tar.gz'), '-C', d, 'case-7']);
  if (tar.status !== 0) {
    console.log('SKIP .tar.gz incident: no working tar');
    return;
  }
  rmSync(inc, { recursive: true, force: true });
  const m = io(d);
  assert.is(await runReport({ incidents: ['*.tar.gz'], out: 'o' }, m), EXIT.OK, m.stderr.join('\n'));
  const md = read(join(d, 'o', 'index.md'));
  assert.match(md, /\[case-7\]\(case-7\/report\.md\)/);
  assert.match(md, /`case-7\.tar\.gz`/);
  assert.match(read(join(d, 'o', 'case-7', 'report.md')), /case-7\.tar\.gz/);
});

test('the --out folder matched by the incidents glob is skipped', async () => {
  const m = io(root);
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'incidents/zz-out' }, m), EXIT.OK);
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'incidents/zz-out' }, m), EXIT.OK);
  assert.match(m.stderr.join('\n'), /incidents\/zz-out: the output folder, skipped/);
  assert.match(read(join(root, 'incidents', 'zz-out', 'index.md')), /^\*\*4 incidents/m);
  rmSync(join(root, 'incidents', 'zz-out'), { recursive: true, force: true });
});

test('usage errors are exit 2', async () => {
  const d = tempDir();
  mkdirSync(join(d, 'inc'));
  writeFileSync(join(d, 'file'), 'x');
  const bad: Record<string, unknown>[] = [
    { incidents: [] , out: 'o' },
    { incidents: ['inc'] },
    { incidents: ['inc'], out: 'o', shard: '0/2' },
    { incidents: ['inc'], out: 'o', shard: '3/2' },
    { incidents: ['inc'], out: 'o', shard: 'x' },
    { incidents: ['inc'], out: 'o', jobs: 0 },
    { incidents: ['inc'], out: 'o', jobs: 1.5 },
    { incidents: ['inc'], out: 'file' },
    { incidents: ['inc'], merge: ['o'] },
    { merge: ['o'], shard: '1/2' },
    { merge: ['a', 'b'] },
    { incidents: ['inc'], out: 'o', 'vxlan-port': [70000] },
  ];
  for (const argv of bad) {
    try {
      await runReport(argv, io(d));
      assert.unreachable(JSON.stringify(argv));
    } catch (e) {
      assert.instance(e, UserError, JSON.stringify(argv));
      assert.is((e as UserError).exitCode, EXIT.USAGE, JSON.stringify(argv));
    }
  }
});

test('--shard writes a manifest and no index', async () => {
  const m = io(root);
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'sh', shard: '1/3' }, m), 0);
  const t = tree(join(root, 'sh'));
  assert.ok(t.has('shard-1-of-3.json'));
  assert.not.ok(t.has('index.html') || t.has('index.md'));
  const man = JSON.parse(t.get('shard-1-of-3.json')!.toString());
  assert.is(man.schema, SHARD_SCHEMA);
  assert.equal(man.shard, { index: 1, count: 3 });
  assert.is(man.total, 4);
  // 4 incidents in 3 slices: 1, 1, 2 (sorted by path)
  assert.equal(man.incidents.map((e: { slug: string }) => e.slug), ['blocked-overlay']);
  for (const k of ['slug', 'path', 'status', 'worst', 'worstCode', 'headline', 'findings', 'flows', 'packets', 'problems', 'error']) assert.ok(k in man.incidents[0], k);
});

test.run();
