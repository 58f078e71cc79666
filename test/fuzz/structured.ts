/**
 * Structured generators for the in-process tier: shapes byte mutation of small seeds never reaches
 * because they are about counts, not bytes. Each makes a valid-looking input that is big in one
 * direction (docs/robustness.md, "Limits"):
 *
 *   routes    an `ip route` dump of up to 100,000 routes (some with bad prefixes)
 *   flows     a pcap of up to 100,000 one-packet UDP flows (every packet its own 5-tuple)
 *   pax       a tar.gz of thousands of pax headers (consecutive runs, long keys, long values)
 *   manifest  a shard manifest with huge or odd numbers (count, index, total, entries)
 *
 * An input is a pure function of the exec's Rng, like the mutated ones, and is saved and replayed
 * the same way (its bytes and its file name).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MergeError, readManifests } from '../../src/batch/manifest.js';
import { extractArchive, MAX_META_CHAIN } from '../../src/inputs/archive.js';
import { entry, paxRecord } from '../collect/tar-writer.js';
import type { Log, Rng } from './mutate.js';

export type StructuredKind = 'routes' | 'flows' | 'pax' | 'manifest';
export const STRUCTURED_KINDS: readonly StructuredKind[] = ['routes', 'flows', 'pax', 'manifest'];

export interface StructuredInput {
  structured: StructuredKind;
  name: string;
  bytes: Uint8Array;
}

/** A hundredth to a tenth of the full size; the full size itself (15%) only when `full`. */
function scale(r: Rng, max: number, full: boolean): number {
  return full && r.chance(0.15) ? max : r.range(Math.floor(max / 100), Math.floor(max / 10));
}

function v4(n: number): string {
  return `${10 + ((n >>> 24) & 0x3f)}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/**
 * `full`: the full sizes may come up (100,000 routes or flows take a second or two each, more on a
 * loaded machine: the fuzzer gives them from exec 40,000 on, past the CI short run; fast.ts FULL_SIZE_FROM).
 */
export function makeStructured(r: Rng, kind: StructuredKind, log: Log, full = true): StructuredInput {
  if (kind === 'routes') {
    const n = scale(r, 100_000, full);
    const bad = r.chance(0.5) ? r.range(1, 50) : 0;
    log.push(`structured routes ${n}, ${bad} with bad prefixes`);
    const lines = ['default via 10.0.0.1 dev eth0 proto dhcp metric 100'];
    for (let i = 0; i < n; i++) {
      // /24 or longer: every route distinct (duplicates are quadratic in src/topology/build.ts
      // mergeRoute today, a known issue left to the topology's owner: 100,000 of them take minutes)
      const plen = i < bad ? r.pick(['33', '-1', '0x10', '', '/24', '999']) : String(r.range(24, 32));
      lines.push(`${v4(i << 8)}/${plen} ${r.chance(0.5) ? `via ${v4(r.next() >>> 8)} ` : ''}dev ${r.pick(['eth0', 'cni0', 'flannel.1'])} proto ${r.pick(['kernel', 'bird', 'static'])}`);
    }
    return { structured: kind, name: 'ip-route.txt', bytes: Buffer.from(lines.join('\n') + '\n') };
  }
  if (kind === 'flows') {
    const n = scale(r, 100_000, full);
    log.push(`structured flows ${n} one-packet UDP flows`);
    const rec = 16 + 14 + 20 + 8 + 4;
    const b = Buffer.alloc(24 + n * rec);
    b.writeUInt32LE(0xa1b2c3d4, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeUInt32LE(65535, 16);
    b.writeUInt32LE(1, 20);
    for (let i = 0; i < n; i++) {
      const o = 24 + i * rec;
      b.writeUInt32LE(1_700_000_000 + Math.floor(i / 1000), o);
      b.writeUInt32LE((i % 1000) * 1000, o + 4);
      b.writeUInt32LE(rec - 16, o + 8);
      b.writeUInt32LE(rec - 16, o + 12);
      const e = o + 16;
      b.fill(2, e, e + 6);
      b.fill(4, e + 6, e + 12);
      b.writeUInt16BE(0x0800, e + 12);
      const ip = e + 14;
      b[ip] = 0x45;
      b.writeUInt16BE(32, ip + 2);
      b[ip + 8] = 64;
      b[ip + 9] = 17;
      b.writeUInt32BE(0x0a2a0000 + (i & 0xffff), ip + 12);
      b.writeUInt32BE(0x0a2b0000 + (i >>> 16), ip + 16);
      b.writeUInt16BE(1024 + (i % 60000), ip + 20);
      b.writeUInt16BE(53, ip + 22);
      b.writeUInt16BE(12, ip + 24);
    }
    return { structured: kind, name: 'many-flows.pcap', bytes: b };
  }
  if (kind === 'pax') {
    const n = scale(r, 5000, full);
    const chain = r.pick([1, 2, MAX_META_CHAIN, MAX_META_CHAIN + 1, 1000]);
    const keyBytes = r.pick([8, 1024, 1025, 17 * 1024]);
    log.push(`structured pax ${n} headers, ${chain} in a row, keys of ${keyBytes} bytes`);
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const key = `k${i}`.padEnd(keyBytes, 'k');
      const value = r.chance(0.05) ? 'v'.repeat(r.pick([10, 70_000])) : 'v';
      parts.push(entry({ name: `PaxHeaders/${i}`, type: 'x', data: paxRecord(key, value) + (r.chance(0.5) ? paxRecord('path', `f/${i}.txt`) : '') }));
      if ((i + 1) % chain === 0) parts.push(entry({ name: `file-${i}`, data: String(i) }));
    }
    parts.push(Buffer.alloc(1024));
    return { structured: kind, name: 'many-pax.tar.gz', bytes: gzipSync(Buffer.concat(parts), { level: 1 }) };
  }
  const huge = ['1000000000000000', '9007199254740993', '100001', '100000', '2', '1', '0'];
  const count = r.pick(huge);
  const index = r.pick(['1', count, '0', '2']);
  const total = r.pick([1, 1e15, -1, 0.5, 1_000_001, 2]);
  const entries = r.pick([0, 1, 3]);
  const m = {
    schema: 'podpath.batch-shard/1',
    shard: { index: Number(index), count: Number(count) },
    total,
    incidents: Array.from({ length: entries }, (_, i) => ({ slug: `s${i}`, path: `p${i}`, status: 'ok', worst: null, worstCode: null, headline: r.chance(0.2) ? 'h'.repeat(20_000) : '', findings: { critical: 0, error: 0, warning: 0, info: 0 }, flows: { total: 0, ok: 0, lost: 0, unanswered: 0, partial: 0 }, packets: r.pick([0, 1e300, -1]), inputs: 0, problems: 0, error: null })),
  };
  log.push(`structured manifest ${index} of ${count}, total ${total}, ${entries} entries`);
  return { structured: kind, name: `shard-${index}-of-${count}.json`, bytes: Buffer.from(JSON.stringify(m)) };
}

/** Runs the kinds that are not a capture or a dump (those go through the usual paths). */
export async function runStructured(input: StructuredInput, tmp: string, check: (ok: boolean, message: string) => void): Promise<void> {
  if (input.structured === 'pax') {
    const path = join(tmp, input.name);
    await writeFile(path, input.bytes);
    const r = await extractArchive(path, { tmpRoot: tmp });
    try {
      // one line per entry at most, and a chain past the bound stops with one
      check(r.problems.length <= r.files + 2, `${r.problems.length} problems for ${r.files} files`);
      for (const p of r.problems) check(p.startsWith(`${path}: `) && !p.includes('\n'), `problem line ${JSON.stringify(p.slice(0, 200))}`);
    } finally {
      await r.cleanup();
      await rm(path, { force: true });
    }
    return;
  }
  if (input.structured === 'manifest') {
    const dir = join(tmp, 'manifests');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir);
    await writeFile(join(dir, input.name), input.bytes);
    try {
      const m = await readManifests([dir]);
      check(m.missing.length <= 2, `${m.missing.length} missing-shard strings from one manifest`);
      check(m.count >= 1 && m.count <= 100_000, `shard count ${m.count} accepted`);
    } catch (e) {
      check(e instanceof MergeError, `readManifests threw ${(e as Error).name}: ${(e as Error).message}`);
      check(!(e as Error).message.includes('\n') && (e as Error).message.length < 600, 'merge error is not one short line');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
