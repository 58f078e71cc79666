import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { collectCommand, COLLECTOR_PATH } from '../../src/commands/collect.js';
import { memoryIo } from '../../src/io.js';
import { extractArchive } from '../../src/inputs/archive.js';

const SCRIPT = join(ROOT, 'bin', 'podpath-collect');
const work = mkdtempSync(join(tmpdir(), 'podpath-collect-test-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function found(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** The shells present here, as argv prefixes. */
const SHELLS: string[][] = [['sh'], ...(['dash', 'bash', 'ash'].filter(found).map((s) => (s === 'bash' ? ['bash', '--posix'] : [s]))), ...(found('busybox') ? [['busybox', 'sh']] : [])];

test('the script parses under every shell here (sh -n)', () => {
  console.log(`shells: ${SHELLS.map((s) => s.join(' ')).join(', ')}`);
  for (const shell of SHELLS) {
    const r = spawnSync(shell[0], [...shell.slice(1), '-n', SCRIPT], { encoding: 'utf8' });
    assert.is(r.status, 0, `${shell.join(' ')} -n: ${r.stderr}`);
  }
});

test('shellcheck -s sh is clean (when shellcheck is installed)', () => {
  if (!found('shellcheck')) {
    console.log('SKIP shellcheck: not installed');
    return;
  }
  const r = spawnSync('shellcheck', ['-s', 'sh', SCRIPT], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
});

test('--help, --version (= package.json) and usage errors, under every shell', () => {
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
  for (const shell of SHELLS) {
    const run = (...args: string[]) => spawnSync(shell[0], [...shell.slice(1), SCRIPT, ...args], { encoding: 'utf8' });
    const help = run('--help');
    assert.is(help.status, 0, shell.join(' '));
    for (const opt of ['--duration', '--out', '--interfaces', '--snaplen', '--max-mb', '--no-capture', '--start-at', '--start-epoch', '--hostname']) {
      assert.ok(help.stdout.includes(opt), `--help mentions ${opt}`);
    }
    assert.is(run('--version').stdout.trim(), `podpath-collect ${version}`);
    for (const bad of [['--bogus'], ['--duration', 'ten'], ['--snaplen', '10'], ['--start-at', '25:99'], ['--duration'], ['--interfaces', 'eth0;rm']]) {
      const r = run(...bad);
      assert.is(r.status, 2, `${shell.join(' ')} ${bad.join(' ')}`);
      assert.match(r.stderr, 'podpath-collect: error:');
    }
  }
});

test('--no-capture saves the dumps, the log and the archive, under every shell', async () => {
  for (const [i, shell] of SHELLS.entries()) {
    const out = join(work, `dumps-${i}`);
    const r = spawnSync(shell[0], [...shell.slice(1), SCRIPT, '--no-capture', '--no-kubectl', '--hostname', 'nodeX', '--out', out], {
      encoding: 'utf8',
      cwd: work,
    });
    assert.is(r.status, 0, `${shell.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, `podpath analyze ${out}.tar.gz`);
    assert.ok(existsSync(`${out}.tar.gz`));
    const log = readFileSync(join(out, 'nodeX', 'collect.log'), 'utf8');
    assert.match(log, 'host: nodeX');
    assert.match(log, /^dumps: \d{4}-\d\d-\d\dT/m);
    assert.match(log, 'capture: skipped');
    assert.match(log, /^ended: /m);
    assert.is(readFileSync(join(out, 'nodeX', 'hostname'), 'utf8'), 'nodeX\n');
    // Every dump either exists or is reported as missing/failed in the log: never silently absent.
    for (const [file, tool] of [
      ['uname.txt', 'uname'],
      ['ip-addr.txt', 'ip'],
      ['ip-d-link.txt', 'ip'],
      ['route-n.txt', 'route'],
      ['ip-route.txt', 'ip'],
      ['bridge-vlan.txt', 'bridge'],
      ['bridge-fdb.txt', 'bridge'],
      ['ip-neigh.txt', 'ip'],
      ['ss-tulpn.txt', 'ss'],
    ]) {
      const there = existsSync(join(out, 'nodeX', file));
      assert.ok(there || new RegExp(`^(missing|failed): ${tool}`, 'm').test(log), `${file}: ${log}`);
    }
    const x = await extractArchive(`${out}.tar.gz`);
    try {
      assert.equal(x.problems, []);
      assert.ok(existsSync(join(x.dir, `dumps-${i}`, 'nodeX', 'collect.log')), 'the archive holds DIR/NAME/...');
    } finally {
      await x.cleanup();
    }
  }
});

test('a missing tool is reported in collect.log, never fatal', () => {
  // A PATH with only the basics: ip, tcpdump, bridge, ss, route are all missing.
  const bin = join(work, 'minibin');
  const links = ['sh', 'date', 'mkdir', 'cat', 'rm', 'head', 'ls', 'id', 'uname', 'tr', 'awk', 'tar', 'gzip', 'dirname', 'basename', 'sleep', 'grep'];
  spawnSync('mkdir', ['-p', bin]);
  for (const l of links) {
    const where = spawnSync('sh', ['-c', `command -v ${l}`], { encoding: 'utf8' }).stdout.trim();
    if (where) spawnSync('ln', ['-sf', where, join(bin, l)]);
  }
  const out = join(work, 'minimal');
  const r = spawnSync(join(bin, 'sh'), [SCRIPT, '--duration', '1', '--hostname', 'bare', '--out', out], {
    encoding: 'utf8',
    env: { PATH: bin },
  });
  assert.is(r.status, 0, r.stderr);
  const log = readFileSync(join(out, 'bare', 'collect.log'), 'utf8');
  assert.match(log, 'missing: ip (not installed)');
  assert.match(log, 'missing: kubectl (not installed)');
  assert.match(log, /missing: tcpdump|capture: no interface found/);
  assert.ok(existsSync(`${out}.tar.gz`));
});

test('--start-epoch and --start-at wait for the start time; a time just passed starts at once', () => {
  const utc = (epoch: number) => new Date(epoch * 1000).toISOString().slice(11, 19);
  const cases: [string, (now: number) => string[], RegExp][] = [
    ['epoch', (now) => ['--start-epoch', String(now + 2)], /^waiting: until epoch/m],
    ['at', (now) => ['--start-at', utc(now + 2)], /^waiting: until epoch/m],
    ['past', (now) => ['--start-at', utc(now - 30)], /^start time already reached/m],
  ];
  for (const [name, makeArgs, expect] of cases) {
    const now = Math.floor(Date.now() / 1000);
    const args = makeArgs(now);
    const out = join(work, `start-${name}`);
    const t0 = Date.now();
    const r = spawnSync('sh', [SCRIPT, '--no-capture', '--no-kubectl', '--no-archive', '--hostname', 'n', '--out', out, ...args], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const log = readFileSync(join(out, 'n', 'collect.log'), 'utf8');
    assert.match(log, expect);
    if (name !== 'past') {
      assert.ok(Date.now() - t0 >= 1000, `${name} waited`);
      const dumps = Number(/^dumps: .* \(epoch (\d+)\)/m.exec(log)?.[1]);
      assert.ok(dumps >= now + 2 || (name === 'at' && dumps >= now + 1), `${name}: dumps at ${dumps}, start ${now + 2}`);
    }
    assert.not.ok(existsSync(`${out}.tar.gz`), '--no-archive');
  }
});

test('the output folder must be new or empty', () => {
  const out = join(work, 'dumps-0'); // made by an earlier test
  const r = spawnSync('sh', [SCRIPT, '--no-capture', '--no-kubectl', '--out', out], { encoding: 'utf8' });
  assert.is(r.status, 2);
  assert.match(r.stderr, 'not empty');
});

test('podpath collect --print writes the script byte for byte; without --print, the usage', async () => {
  assert.is(COLLECTOR_PATH, SCRIPT);
  const io = memoryIo();
  assert.is(await collectCommand.run({ print: true }, io), 0);
  assert.is(io.stdout.join(''), readFileSync(SCRIPT, 'utf8'));

  // Through the real CLI too (resolves the script from dist/src/commands/).
  const cli = spawnSync(process.execPath, [join(ROOT, 'bin', 'podpath.js'), 'collect', '--print'], { encoding: 'utf8' });
  assert.is(cli.status, 0, cli.stderr);
  assert.is(cli.stdout, readFileSync(SCRIPT, 'utf8'));

  const usage = memoryIo();
  assert.is(await collectCommand.run({}, usage), 0);
  assert.match(usage.stdout.join(''), 'podpath collect --print > podpath-collect');
  assert.match(usage.stdout.join(''), 'podpath analyze');
});

test.run();
