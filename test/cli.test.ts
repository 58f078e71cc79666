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


test('--version from the published bin prints package.json\'s version, and nothing else', () => {
  const r = run(['--version']);
  assert.is(r.code, 0, r.err);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.is(r.out, pkg.version + '\n');
  assert.is(r.err, '');
});

test('the top-level --help answered without yargs is the text yargs makes, at every cached width', async () => {
  // src/cli-help.ts is generated: UPDATE_HELP=1 npx uvu dist/test cli.test rewrites it.
  const { parser } = await import('../src/cli.js');
  const { HELP } = await import('../src/cli-help.js');
  const widths = [100, 110];
  const made: Record<number, string> = {};
  for (const w of widths) made[w] = await (await parser(['--help'], w, async () => {})).getHelp();
  if (process.env.UPDATE_HELP === '1') {
    const body = widths.map((w) => `  ${w}: ${JSON.stringify(made[w])},`).join('\n');
    writeFileSync(join(ROOT, 'src', 'cli-help.ts'), `/** Generated: the top-level --help yargs makes, per wrap width; test/cli.test.ts (UPDATE_HELP=1) rewrites it. */\nexport const HELP: Record<number, string> = {\n${body}\n};\n`);
  }
  for (const w of widths) assert.is(HELP[w], made[w], `src/cli-help.ts is stale at width ${w}: run UPDATE_HELP=1 npx uvu dist/test cli.test`);
  // And the bin prints it (standard output is a pipe here: width 100).
  const r = run(['--help']);
  assert.is(r.code, 0, r.err);
  assert.is(r.out, made[100] + '\n');
});

test('the lazily loaded verbs are the eagerly loaded ones, in the same order, with the same texts', async () => {
  const { lazyCommands } = await import('../src/commands/lazy.js');
  const { commands } = await import('../src/commands/index.js');
  assert.is(lazyCommands.length, commands.length);
  for (let i = 0; i < commands.length; i++) {
    assert.equal(lazyCommands[i].command, commands[i].command);
    assert.is(lazyCommands[i].describe, commands[i].describe);
    assert.is(await lazyCommands[i].load(), commands[i]);
  }
});

test('analyze --format json/ndjson/html loads nothing of the terminal table renderer; --version loads no yargs', () => {
  const d = mkdtempSync(join(tmpdir(), 'podpath-loads-'));
  writeFileSync(join(d, 'hook.mjs'), "export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith('file:')) process.stderr.write('LOADED ' + r.url + '\\n'); return r; }\n");
  writeFileSync(join(d, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify('file://' + join(d, 'hook.mjs'))});\n`);
  const loads = (args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', join(d, 'register.mjs'), BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 0, r.stderr);
    return r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7));
  };
  for (const format of ['json', 'ndjson', 'html']) {
    const urls = loads(['analyze', 'samples/cross-node', '--quiet', '--format', format]);
    assert.ok(urls.some((u) => u.endsWith('/dist/src/analyze.js')), 'the hook sees the modules');
    assert.not.ok(urls.some((u) => /node_modules\/table\/|\/report\/(text|topology-text)\.js$/.test(u)), `--format ${format}: ${urls.filter((u) => /table|text/.test(u)).join(' ')}`);
  }
  assert.ok(loads(['analyze', 'samples/cross-node', '--quiet']).some((u) => u.includes('node_modules/table/')), 'text does load it');
  for (const args of [['--version'], ['--help']]) {
    const extra = loads(args).filter((u) => u.includes('node_modules/') || /\/commands\/(?!lazy\.js)|\/src\/analyze\.js/.test(u));
    assert.equal(extra, [], `${args[0]} loads only the CLI and the list of verbs`);
  }
});

test.run();
