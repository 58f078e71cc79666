/** The inventory's sha256: a big capture is hashed in a worker thread, a small one in the read pass; both are the file's digest. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../src/analyze.js';
import { WORKER_HASH_BYTES, hashInWorker } from '../../src/observe/hash.js';
import { generate } from '../bench/generate.js';

const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('a capture past the worker threshold and a small one: the report has each file\'s sha256', async () => {
  const d = mkdtempSync(join(tmpdir(), 'podpath-hash-'));
  try {
    const big = join(d, 'big.pcap');
    const small = join(d, 'small.pcap');
    generate(big, WORKER_HASH_BYTES + 100_000, 7, 'short');
    generate(small, 200_000, 7);
    assert.ok(statSync(big).size >= WORKER_HASH_BYTES);
    const report = await analyze([big, small], { cwd: d });
    const sha = Object.fromEntries(report.inputs.map((i) => [i.path, i.sha256]));
    assert.is(sha['big.pcap'], digest(big));
    assert.is(sha['small.pcap'], digest(small));
    const none = await analyze([big], { cwd: d, hash: false });
    assert.is(none.inputs[0].sha256, undefined);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('the hash worker: a file it cannot read gives undefined, cancel stops it', async () => {
  const d = mkdtempSync(join(tmpdir(), 'podpath-hash-'));
  try {
    assert.is(await hashInWorker(join(d, 'missing')).result(), undefined);
    const f = join(d, 'x');
    writeFileSync(f, 'abc');
    assert.is(await hashInWorker(f).result(), digest(f));
    const p = hashInWorker(f);
    p.cancel();
    const r = await p.result();
    assert.ok(r === undefined || r === digest(f));
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test.run();
