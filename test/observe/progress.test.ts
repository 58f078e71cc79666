/**
 * Progress moves by bytes within a file, not once per whole file: on a 5 MiB capture (read in
 * 1 MiB chunks) the callback is told intermediate positions, never goes backwards, and ends at
 * the total, with the packet count growing along.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../bench/generate.js';
import { analyze } from '../../src/analyze.js';

test('progress: several positions inside one file, monotonic, ending at the total', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-progress-'));
  try {
    const a = join(dir, 'a.pcap');
    const b = join(dir, 'b.pcap');
    generate(a, 5 * 1024 * 1024);
    generate(b, 64 * 1024, 7);
    const total = statSync(a).size + statSync(b).size;
    const calls: [number, number, number][] = [];
    await analyze([a, b], { cwd: dir, hash: false, progress: (done, t, packets) => calls.push([done, t, packets]) });
    assert.ok(calls.every(([, t]) => t === total), 'the total is both files');
    const inside = calls.filter(([d]) => d > 0 && d < statSync(a).size);
    assert.ok(inside.length >= 3, `positions inside the first file: ${inside.length}`);
    for (let i = 1; i < calls.length; i++) {
      assert.ok(calls[i][0] >= calls[i - 1][0], 'bytes never go back');
      assert.ok(calls[i][2] >= calls[i - 1][2], 'packets never go back');
    }
    assert.is(calls[calls.length - 1][0], total);
    assert.ok(calls[calls.length - 1][2] > inside[0][2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
