/**
 * Memory stays flat whatever the capture size: a ~200 MB pcap and a ~100 MB pcapng are generated
 * in a temporary folder, read, and deleted. This asserts memory, not time (speed is for benchmarks).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { readCapture } from '../../src/capture/open.js';

const TMP = mkdtempSync(join(tmpdir(), 'podpath-memory-'));
test.after(() => rmSync(TMP, { recursive: true, force: true }));

const MB = 1024 * 1024;

/** Writes `blocks` copies of `block` after `head`, through a stream (the file never sits in memory). */
async function writeFile(path: string, head: Buffer, block: Buffer, blocks: number): Promise<void> {
  const out = createWriteStream(path);
  out.write(head);
  for (let i = 0; i < blocks; i++) {
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** 1 MiB-ish of classic pcap records (16-byte header + 64 bytes). */
function pcapRecords(): { head: Buffer; block: Buffer; perBlock: number } {
  const head = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');
  const perBlock = Math.floor(MB / 80);
  const block = Buffer.alloc(perBlock * 80, 0x42);
  for (let i = 0; i < perBlock; i++) {
    const o = i * 80;
    block.writeUInt32LE(1_700_000_000, o);
    block.writeUInt32LE(i % 1_000_000, o + 4);
    block.writeUInt32LE(64, o + 8);
    block.writeUInt32LE(64, o + 12);
  }
  return { head, block, perBlock };
}

/** 1 MiB-ish of pcapng EPBs (32 + 64 bytes each), after an SHB and an IDB named "eth0". */
function pcapngBlocks(): { head: Buffer; block: Buffer; perBlock: number } {
  const shb = Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex');
  const idb = Buffer.from('01000000200000000100000000000400020004006574683000000000' + '20000000', 'hex');
  const perBlock = Math.floor(MB / 96);
  const block = Buffer.alloc(perBlock * 96, 0x42);
  for (let i = 0; i < perBlock; i++) {
    const o = i * 96;
    block.writeUInt32LE(6, o);
    block.writeUInt32LE(96, o + 4);
    block.writeUInt32LE(0, o + 8);
    block.writeUInt32LE(0x60000, o + 12);
    block.writeUInt32LE(i, o + 16);
    block.writeUInt32LE(64, o + 20);
    block.writeUInt32LE(64, o + 24);
    block.writeUInt32LE(96, o + 92);
  }
  return { head: Buffer.concat([shb, idb]), block, perBlock };
}

async function measure(path: string): Promise<{ packets: number; growth: number; problems: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  let problems = 0;
  const summary = await readCapture(path, {
    frame: (f) => {
      if ((f.index & 0xffff) === 0) peak = Math.max(peak, process.memoryUsage().rss);
    },
    problem: () => problems++,
  });
  peak = Math.max(peak, process.memoryUsage().rss);
  return { packets: summary.packets, growth: peak - before, problems };
}

test('a ~200 MB pcap is counted with less than 100 MB of memory growth', async () => {
  const { head, block, perBlock } = pcapRecords();
  const path = join(TMP, 'big.pcap');
  await writeFile(path, head, block, 200);
  const r = await measure(path);
  rmSync(path);
  assert.is(r.problems, 0);
  assert.is(r.packets, 200 * perBlock);
  assert.ok(r.growth < 100 * MB, `rss grew by ${(r.growth / MB).toFixed(1)} MB`);
});

test('a ~100 MB pcapng is counted with less than 100 MB of memory growth', async () => {
  const { head, block, perBlock } = pcapngBlocks();
  const path = join(TMP, 'big.pcapng');
  await writeFile(path, head, block, 100);
  const r = await measure(path);
  rmSync(path);
  assert.is(r.problems, 0);
  assert.is(r.packets, 100 * perBlock);
  assert.ok(r.growth < 100 * MB, `rss grew by ${(r.growth / MB).toFixed(1)} MB`);
});

test.run();
