/**
 * Hostile incident names: slugs are one safe path component, the index escapes every name, and
 * --out is never written outside of, whatever the names (../, absolute paths, markup, quotes,
 * a symlink planted in the output folder).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, symlinkSync, existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { runReport } from '../../src/commands/report.js';
import { assignSlugs, isSafeSlug, sanitizeSlug, slugDir } from '../../src/batch/slug.js';
import { copyScenario, io, read, tempDir, tree } from './fixture.js';

test('sanitizeSlug: only [A-Za-z0-9._-], no leading dots, never empty', () => {
  const cases: [string, string][] = [
    ['blocked-overlay', 'blocked-overlay'],
    ['incident 42.tar.gz', 'incident-42'],
    ['case.tgz', 'case'],
    ['..', 'incident'],
    ['...evil', 'evil'],
    ['.hidden', 'hidden'],
    ['-rf', 'rf'],
    ['<script>alert(1)<', 'script-alert-1'],
    ['"quoted" \'name\'', 'quoted-name'],
    ['파드', 'incident'],
    ['a/b\\c', 'a-b-c'],
    ['x'.repeat(100), 'x'.repeat(64)],
    ['', 'incident'],
  ];
  for (const [name, slug] of cases) {
    assert.is(sanitizeSlug(name), slug, name);
    assert.ok(isSafeSlug(sanitizeSlug(name)), name);
  }
});

test('assignSlugs: collisions get -2, -3 (case-insensitively), index and manifest names are avoided', () => {
  assert.equal(assignSlugs(['/a/x', '/b/x', '/c/X', '/d/x-2', '/e/index.html', '/f/shard-1-of-2.json', '/g/Index.MD']), [
    'x',
    'x-2',
    'X-3',
    'x-2-2',
    'index.html-2',
    'shard-1-of-2.json-2',
    'Index.MD-2',
  ]);
  for (const bad of ['..', '.', '../x', 'a/b', '', '.x', 'index.html', 'x\u0000']) assert.not.ok(isSafeSlug(bad), bad);
  assert.throws(() => slugDir('/out', '../x'));
  assert.is(slugDir('/out', 'x'), resolve('/out', 'x'));
});

test('hostile folder names: escaped in the index, nothing written outside --out', async () => {
  const root = tempDir();
  const inc = join(root, 'incidents');
  mkdirSync(inc);
  const names = ['<img src=x onerror=alert(1)>', '"quoted" & \'single\' `tick`', 'pipe|*star*_[link](x)', '..dots', '-dash'];
  const base = await copyScenario('same-node', inc, 'base');
  for (const n of names) cpSync(base, join(inc, n), { recursive: true });
  mkdirSync(join(root, 'deep', 'a'), { recursive: true });
  const before = tree(root);
  const m = io(join(root, 'deep', 'a'));
  const args = [
    ...names.map((n) => join('..', '..', 'incidents', n)),
    join(root, 'incidents', 'base'), // absolute
    '../../incidents/base/../base', // the same incident again, by a winding path
    '../..', // the parent of the parent (the temp folder itself)
  ];
  const rc = await runReport({ incidents: args, out: 'out', jobs: 3 }, m);
  assert.is(rc, 0, m.stderr.join('\n'));
  const out = join(root, 'deep', 'a', 'out');
  // everything written is under out, one folder per incident, safe names only
  const after = tree(root);
  for (const k of after.keys()) assert.ok(before.has(k) || k.startsWith(join('deep', 'a', 'out') + '/'), `written outside --out: ${k}`);
  const folders = readdirSync(out, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  for (const f of folders) assert.ok(isSafeSlug(f), f);
  const rootSlug = sanitizeSlug(basename(root));
  assert.equal(folders, ['base', 'dash', 'dots', 'img-src-x-onerror-alert-1', 'pipe-star-_-link-x', 'quoted-single-tick', rootSlug].sort());
  const html = read(join(out, 'index.html'));
  const md = read(join(out, 'index.md'));
  assert.not.match(html, /<img/);
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.ok(html.includes('&quot;quoted&quot; &amp; &#39;single&#39; &#96;tick&#96;'));
  // in Markdown a name is escaped text (&lt;img) or a code span (literal there, never markup)
  assert.not.match(md.replace(/`[^`\n]*`/g, ''), /<img/);
  assert.ok(md.includes('img-src-x-onerror-alert-1'));
  // the markdown table keeps its columns: every row has the same number of unescaped pipes
  const rows = md.split('\n').filter((l) => l.startsWith('|'));
  const cols = rows.map((l) => l.replace(/\\\|/g, '').split('|').length);
  assert.ok(cols.every((c) => c === cols[0]), md);
  assert.is(rows.length, 2 + 7);
});

test('stderr lines carry no escape sequence from a name', async () => {
  const root = tempDir();
  mkdirSync(join(root, 'bad\u001b[2J\u001b]0;title\u0007name'));
  const m = io(root);
  assert.is(await runReport({ incidents: ['bad*'], out: 'out' }, m), 3);
  const err = m.stderr.join('\n');
  assert.match(err, /: failed: /);
  assert.not.match(err, /\u001b|\u0007/);
});

test('a symlink planted at an incident folder of --out is refused, not followed', async () => {
  const root = tempDir();
  await copyScenario('intra-pod', root, 'inc');
  const elsewhere = join(root, 'elsewhere');
  mkdirSync(elsewhere);
  mkdirSync(join(root, 'out'));
  symlinkSync(elsewhere, join(root, 'out', 'inc'));
  const m = io(root);
  assert.is(await runReport({ incidents: ['inc'], out: 'out' }, m), 3);
  assert.equal(readdirSync(elsewhere), []);
  assert.match(read(join(root, 'out', 'index.md')), /refusing to write through it/);
  assert.ok(existsSync(join(root, 'out', 'index.html')));
});

test.run();
