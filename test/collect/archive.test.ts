import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { extractArchive, isTarGz, safeEntryPath, sniffArchive } from '../../src/inputs/archive.js';
import { paxRecord, tar, tgz } from './tar-writer.js';

const work = mkdtempSync(join(tmpdir(), 'podpath-archive-test-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function hasTar(): boolean {
  try {
    execFileSync('tar', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every file under dir, relative, with its content. */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p).split('\\').join('/'), readFileSync(p, 'latin1'));
    }
  };
  walk(dir);
  return out;
}

/** A source folder with nested folders, long names, an empty folder and a binary file. */
function makeSource(ustar = false): string {
  const src = join(work, `src-${Math.random().toString(36).slice(2)}`);
  // ustar holds 155 + 100 characters split at a slash; GNU and pax hold any length.
  const long = 'a-very-long-folder-name-that-goes-on-and-on-'.repeat(ustar ? 2 : 3);
  mkdirSync(join(src, 'node1', long, 'deeper'), { recursive: true });
  mkdirSync(join(src, 'empty'), { recursive: true });
  writeFileSync(join(src, 'pods.txt'), 'NAMESPACE NAME\n');
  writeFileSync(join(src, 'node1', 'ip-addr.txt'), '1: lo: <LOOPBACK>\n');
  writeFileSync(join(src, 'node1', long, 'deeper', `${'long-file-name-'.repeat(ustar ? 5 : 10)}.pcap`), Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 0, 255, 1, 2]));
  const big = Buffer.alloc(300_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  writeFileSync(join(src, 'node1', 'big.pcap'), big);
  return src;
}

for (const format of ['gnu', 'pax', 'ustar']) {
  test(`system tar --format=${format}: nested folders and long names extract equal`, async () => {
    if (!hasTar()) {
      console.log('SKIP system tar tests: tar is not installed');
      return;
    }
    const src = makeSource(format === 'ustar');
    const archive = join(work, `${format}.tar.gz`);
    execFileSync('tar', [`--format=${format}`, '-czf', archive, '-C', src, '.'], { stdio: 'pipe' });
    assert.ok(await isTarGz(archive));
    const x = await extractArchive(archive);
    try {
      assert.equal(x.problems, []);
      assert.equal(tree(x.dir), tree(src));
      assert.ok(existsSync(join(x.dir, 'empty')), 'empty folder made');
      assert.is(x.files, tree(src).size);
    } finally {
      await x.cleanup();
    }
    assert.not.ok(existsSync(x.dir), 'cleanup removes the folder');
  });
}

test('hand-made ustar prefix, GNU long name and pax path entries', async () => {
  const longName = `dir/${'x'.repeat(150)}/file.txt`;
  const paxName = `pax/${'y'.repeat(200)}.txt`;
  const archive = join(work, 'hand.tgz');
  writeFileSync(
    archive,
    tgz([
      { name: 'file.txt', prefix: 'with/prefix', data: 'prefixed' },
      { name: '././@LongLink', type: 'L', data: longName + '\0' },
      { name: 'truncated-name', data: 'long' },
      { name: 'PaxHeaders/x', type: 'x', data: paxRecord('path', paxName) + paxRecord('mtime', '1700000000.5') },
      { name: 'short', data: 'pax' },
      { name: 'after-pax.txt', data: 'plain again' },
      { name: 'pax_global_header', type: 'g', data: paxRecord('comment', 'hi') },
    ]),
  );
  const x = await extractArchive(archive);
  try {
    assert.equal(x.problems, []);
    assert.equal(
      tree(x.dir),
      new Map([
        ['with/prefix/file.txt', 'prefixed'],
        [longName, 'long'],
        [paxName, 'pax'],
        ['after-pax.txt', 'plain again'],
      ]),
    );
  } finally {
    await x.cleanup();
  }
});

test('hostile entries are skipped with problems and nothing lands outside the temp folder', async () => {
  const outside = join(work, 'outside');
  mkdirSync(outside, { recursive: true });
  const archive = join(outside, 'evil.tar.gz');
  const stamp = `evil-${process.pid}-${Date.now()}`;
  writeFileSync(
    archive,
    tgz([
      { name: `../${stamp}`, data: 'up' },
      { name: `ok/../../${stamp}-2`, data: 'up2' },
      { name: `/tmp/${stamp}-abs`, data: 'abs' },
      { name: 'link', type: '2', linkname: '/etc' },
      { name: 'link/passwd', data: 'through the link' },
      { name: 'hard', type: '1', linkname: '/etc/passwd' },
      { name: '././@LongLink', type: 'L', data: `../../${stamp}-long\0` },
      { name: 'innocent', data: 'long' },
      { name: 'PaxHeaders/x', type: 'x', data: paxRecord('path', `/${stamp}-pax`) },
      { name: 'innocent2', data: 'pax' },
      { name: 'dev', type: '3' },
      { name: 'good/file.txt', data: 'fine' },
    ]),
  );
  const x = await extractArchive(archive);
  try {
    const text = x.problems.join('\n');
    assert.match(text, `../${stamp}`);
    assert.match(text, '".." in the path');
    assert.match(text, 'absolute path');
    assert.match(text, 'symbolic link');
    assert.match(text, 'hard link');
    assert.match(text, 'character device');
    assert.is(x.problems.length, 8, text);
    // link/passwd became a real folder + file inside the temp folder, not a write through /etc.
    assert.equal(
      tree(x.dir),
      new Map([
        ['link/passwd', 'through the link'],
        ['good/file.txt', 'fine'],
      ]),
    );
    for (const p of [join(work, stamp), join(outside, '..', `${stamp}-2`), `/tmp/${stamp}-abs`, `/${stamp}-pax`, join(tmpdir(), stamp), join(tmpdir(), `${stamp}-long`)]) {
      assert.not.ok(existsSync(p), `${p} must not exist`);
    }
  } finally {
    await x.cleanup();
  }
});

test('safeEntryPath', () => {
  assert.equal(safeEntryPath('./a//b/'), { path: 'a/b' });
  assert.equal(safeEntryPath('a/./b'), { path: 'a/b' });
  assert.ok('refused' in safeEntryPath('/etc/passwd'));
  assert.ok('refused' in safeEntryPath('a/../../b'));
  assert.ok('refused' in safeEntryPath('..'));
  assert.ok('refused' in safeEntryPath('./'));
  assert.ok('refused' in safeEntryPath('C:\\x'));
});

test('a truncated archive gives problems, keeps the cut file, never throws', async () => {
  // Incompressible data, so the cuts land inside it; the last cut only loses the gzip trailer.
  const data = Buffer.alloc(100_000);
  let seed = 1;
  for (let i = 0; i < data.length; i++) data[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  const full = tgz([
    { name: 'node1/ip-addr.txt', data: 'x' },
    { name: 'node1/eth0.pcap', data },
  ]);
  for (const cut of [10, Math.floor(full.length / 2), full.length - 5]) {
    const archive = join(work, `cut-${cut}.tar.gz`);
    writeFileSync(archive, full.subarray(0, cut));
    const x = await extractArchive(archive);
    try {
      assert.ok(x.problems.length > 0, `cut at ${cut}: a problem`);
      assert.match(x.problems.join('\n'), /truncated|ends inside|corrupt|cut short/);
    } finally {
      await x.cleanup();
    }
  }
  // Uncompressed and cut inside the data: the part read is kept.
  const raw = tar([{ name: 'eth0.pcap', data }]);
  const archive = join(work, 'cut.tar');
  writeFileSync(archive, raw.subarray(0, 512 + 40_000));
  const x = await extractArchive(archive);
  try {
    assert.match(x.problems.join('\n'), 'the file is kept cut short');
    assert.is(readFileSync(join(x.dir, 'eth0.pcap')).length, 40_000);
  } finally {
    await x.cleanup();
  }
});

test('no end-of-archive marker, garbage, plain gzip, empty and missing files', async () => {
  const noEnd = join(work, 'noend.tar.gz');
  writeFileSync(noEnd, tgz([{ name: 'a', data: 'a' }], false));
  let x = await extractArchive(noEnd);
  assert.match(x.problems.join('\n'), 'no end-of-archive marker');
  assert.equal(tree(x.dir), new Map([['a', 'a']]));
  await x.cleanup();

  const garbage = join(work, 'garbage.tar.gz');
  writeFileSync(garbage, gzipSync(Buffer.alloc(2000, 'not a tar ')));
  x = await extractArchive(garbage);
  assert.match(x.problems.join('\n'), 'not a tar archive');
  await x.cleanup();
  assert.not.ok(await isTarGz(garbage));

  const badGzip = join(work, 'bad.gz');
  writeFileSync(badGzip, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 0xff)]));
  x = await extractArchive(badGzip);
  assert.ok(x.problems.length > 0);
  await x.cleanup();
  assert.not.ok(await isTarGz(badGzip));

  const empty = join(work, 'empty.tar.gz');
  writeFileSync(empty, Buffer.alloc(0));
  x = await extractArchive(empty);
  assert.match(x.problems.join('\n'), 'empty archive');
  await x.cleanup();
  assert.not.ok(await isTarGz(empty));

  x = await extractArchive(join(work, 'does-not-exist.tar.gz'));
  assert.match(x.problems.join('\n'), 'ENOENT');
  await x.cleanup();
  assert.not.ok(await isTarGz(join(work, 'does-not-exist.tar.gz')));
  assert.is(await sniffArchive(join(work, 'does-not-exist.tar.gz')), undefined);
});

test('isTarGz / sniffArchive', async () => {
  const a = join(work, 'sniff.tar.gz');
  writeFileSync(a, tgz([{ name: 'x', data: 'y' }]));
  assert.ok(await isTarGz(a));
  assert.is(await sniffArchive(a), 'tar.gz');
  const b = join(work, 'sniff.tar');
  writeFileSync(b, tar([{ name: 'x', data: 'y' }]));
  assert.not.ok(await isTarGz(b));
  assert.is(await sniffArchive(b), 'tar');
  const c = join(work, 'sniff.pcap');
  writeFileSync(c, Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]));
  assert.is(await sniffArchive(c), undefined);
});

test('size and entry ceilings stop bombs early', async () => {
  // 50 MB of zeros compresses to ~50 kB: a small gzip bomb.
  const bomb = join(work, 'bomb.tar.gz');
  writeFileSync(bomb, tgz([{ name: 'small', data: 'ok' }, { name: 'zeros', data: Buffer.alloc(50_000_000) }]));
  assert.ok(statSync(bomb).size < 200_000);
  let x = await extractArchive(bomb, { maxBytes: 1_000_000 });
  try {
    assert.match(x.problems.join('\n'), 'more than 1000000 bytes');
    assert.equal(tree(x.dir), new Map([['small', 'ok']]), 'the big entry is not written at all');
  } finally {
    await x.cleanup();
  }
  // A lying size claim is caught before any data is read.
  const liar = join(work, 'liar.tar.gz');
  writeFileSync(liar, tgz([{ name: 'huge', data: 'tiny', size: 0o77777777777 }], false));
  x = await extractArchive(liar, { maxBytes: 1_000_000 });
  assert.match(x.problems.join('\n'), 'more than 1000000 bytes');
  await x.cleanup();

  const many = join(work, 'many.tar.gz');
  writeFileSync(many, tgz(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, data: String(i) }))));
  x = await extractArchive(many, { maxFiles: 10 });
  try {
    assert.match(x.problems.join('\n'), 'more than 10 entries');
    assert.is(x.files, 10);
  } finally {
    await x.cleanup();
  }
});

test.run();
