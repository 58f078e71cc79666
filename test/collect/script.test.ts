import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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
    for (const bad of [
      ['--bogus'], ['--duration', 'ten'], ['--snaplen', '10'], ['--start-at', '25:99'], ['--duration'], ['--interfaces', 'eth0;rm'],
      // numbers are checked by range, never overflow: 10^13 and 20 digits are errors, and so is 29:59:59
      ['--max-mb', '10000000000000'], ['--max-mb', '99999999999999999999'], ['--max-total', '0'], ['--max-total', '-5'],
      ['--duration', '604801'], ['--snaplen', '262145'], ['--start-epoch', '99999999999999999999'], ['--start-at', '29:59:59'], ['--start-at', '24:00:00'],
    ]) {
      const r = run(...bad, '--plan');
      assert.is(r.status, 2, `${shell.join(' ')} ${bad.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, 'podpath-collect: error:');
      assert.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      assert.is(r.stdout, '', 'nothing planned');
    }
    assert.match(run('--max-mb', '10000000000000').stderr, '--max-mb must be between 1 and 1000000: 10000000000000');
    assert.match(run('--max-mb', '99999999999999999999').stderr, '--max-mb must be between 1 and 1000000');
    assert.match(run('--start-at', '29:59:59').stderr, '--start-at must be HH:MM:SS');
    assert.is(run('--start-at', '23:59:59', '--plan', '--no-capture', '--out', join(work, 'never')).status, 0, 'the last second of the day is fine');
  }
});

test('--no-capture saves the dumps, the log and the archive, under every shell', async () => {
  for (const [i, shell] of SHELLS.entries()) {
    const out = join(work, `dumps-${i}`);
    const r = spawnSync(shell[0], [...shell.slice(1), SCRIPT, '--no-capture', '--no-kubectl', '--keep-folder', '--hostname', 'nodeX', '--out', out], {
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
  const links = ['sh', 'date', 'mkdir', 'cat', 'rm', 'rmdir', 'mv', 'head', 'ls', 'id', 'uname', 'tr', 'awk', 'sed', 'wc', 'df', 'tar', 'gzip', 'dirname', 'basename', 'sleep', 'grep'];
  spawnSync('mkdir', ['-p', bin]);
  for (const l of links) {
    const where = spawnSync('sh', ['-c', `command -v ${l}`], { encoding: 'utf8' }).stdout.trim();
    if (where) spawnSync('ln', ['-sf', where, join(bin, l)]);
  }
  const out = join(work, 'minimal');
  const r = spawnSync(join(bin, 'sh'), [SCRIPT, '--duration', '1', '--hostname', 'bare', '--keep-folder', '--out', out], {
    encoding: 'utf8',
    env: { PATH: bin },
  });
  // nothing could be captured: exit 3, the dumps still packed
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stderr, 'nothing captured');
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

test('--out: a folder it did not make is refused (not empty, not 0700, a link); the archive is never overwritten', () => {
  const run = (out: string) => spawnSync('sh', [SCRIPT, '--no-capture', '--no-kubectl', '--hostname', 'n', '--out', out], { encoding: 'utf8' });
  const full = join(work, 'full');
  mkdirSync(full, { mode: 0o700 });
  writeFileSync(join(full, 'x'), '');
  assert.is(run(full).status, 2);
  assert.match(run(full).stderr, 'not empty');
  const open = join(work, 'open');
  mkdirSync(open);
  chmodSync(open, 0o755);
  let r = run(open);
  assert.is(r.status, 2);
  assert.match(r.stderr, 'not drwx------ (0700)');
  const link = join(work, 'link');
  symlinkSync(open, link);
  r = run(link);
  assert.is(r.status, 2);
  assert.match(r.stderr, 'symbolic link');
  const taken = join(work, 'taken');
  writeFileSync(`${taken}.tar.gz`, 'someone else');
  r = run(taken);
  assert.is(r.status, 2);
  assert.match(r.stderr, 'the archive already exists');
  assert.is(readFileSync(`${taken}.tar.gz`, 'utf8'), 'someone else');
  assert.not.ok(existsSync(taken), 'nothing created');
  // an empty 0700 folder of ours is fine; what it makes is 0700 / 0600
  const mine = join(work, 'mine');
  mkdirSync(mine, { mode: 0o700 });
  r = spawnSync('sh', [SCRIPT, '--no-capture', '--no-kubectl', '--hostname', 'n', '--keep-folder', '--out', mine], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.is(statSync(join(mine, 'n')).mode & 0o777, 0o700);
  assert.is(statSync(join(mine, 'n', 'collect.log')).mode & 0o777, 0o600);
  assert.is(statSync(`${mine}.tar.gz`).mode & 0o777, 0o600);
});

test('by default only the .tar.gz is kept; --keep-folder keeps the folder; the manifest comes first and names the incident', async () => {
  const out = join(work, 'only-archive');
  const r = spawnSync('sh', [SCRIPT, '--no-capture', '--no-kubectl', '--hostname', 'n', '--incident', 'inc-42', '--out', out], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.ok(existsSync(`${out}.tar.gz`));
  assert.not.ok(existsSync(out), 'the folder is removed once packed');
  const list = spawnSync('tar', ['-tzf', `${out}.tar.gz`], { encoding: 'utf8' }).stdout.trim().split('\n');
  assert.is(list[0], 'only-archive/podpath-manifest.txt');
  const x = await extractArchive(`${out}.tar.gz`);
  try {
    assert.match(readFileSync(join(x.dir, 'only-archive', 'podpath-manifest.txt'), 'utf8'), /^incident: inc-42$/m);
  } finally {
    await x.cleanup();
  }
});

test('--plan prints every command and runs none (no folder, no archive), exit 0', () => {
  const out = join(work, 'planned');
  const r = spawnSync('sh', [SCRIPT, '--plan', '--interfaces', 'lo', '--filter', 'udp port 8472', '--max-total', '8', '--hostname', 'p', '--out', out], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.not.ok(existsSync(out));
  assert.not.ok(existsSync(`${out}.tar.gz`));
  for (const line of ['ip addr show > ', 'iptables-save -c > ', 'nft list ruleset > ', 'conntrack -L > ', 'ipvsadm -Ln > ', 'ip rule show > ', 'ip -6 route show table all > ', 'ip -s link show > ', 'sysctl.txt', `tar -czf ${out}.tar.gz`, `rm -rf ${out}`]) {
    assert.ok(r.stdout.includes(line) || /not installed, skipped/.test(r.stdout), `${line}\n${r.stdout}`);
  }
  // -p (no promiscuous mode) unless --promisc, the filter as one argument, the budget as -C/-W
  assert.match(r.stdout, `tcpdump -i lo -s 256 -U -Z root -C 2 -W 4 -p -w ${out}/p/lo.pcap 'udp port 8472' &`);
  const promisc = spawnSync('sh', [SCRIPT, '--plan', '--promisc', '--interfaces', 'lo', '--out', out], { encoding: 'utf8' });
  assert.not.match(promisc.stdout, / -p /);
});

test('the disk check: refuses to start when the free space under --out\'s parent is below the budget (a fake df)', () => {
  const bin = join(work, 'fakedf');
  mkdirSync(bin, { recursive: true });
  // 150 MB free (df -Pk: 1024-byte blocks)
  writeFileSync(join(bin, 'df'), '#!/bin/sh\necho "Filesystem 1024-blocks Used Available Capacity Mounted on"\necho "fake 1000000 850000 146485 86% /"\n');
  chmodSync(join(bin, 'df'), 0o755);
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const out = join(work, 'nodisk');
  let r = spawnSync('sh', [SCRIPT, '--interfaces', 'lo', '--max-total', '200', '--no-kubectl', '--out', out], { encoding: 'utf8', env });
  assert.is(r.status, 2);
  assert.match(r.stderr, 'not enough free disk');
  assert.match(r.stderr, '150 MB free, 420 MB needed');
  assert.not.ok(existsSync(out), 'nothing created');
  // a budget that fits starts (only the plan here)
  r = spawnSync('sh', [SCRIPT, '--plan', '--interfaces', 'lo', '--max-total', '50', '--no-kubectl', '--out', out], { encoding: 'utf8', env });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, '150 MB free under');
  assert.not.match(r.stdout, 'would refuse');
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
