/**
 * The full-pipeline tier's inputs: an incident (a scenario of seeds.ts) with one to three of its
 * files mutated, renamed, duplicated, gzipped, emptied or replaced by junk. A pure function of
 * (seed, exec number). The runner (runner.ts) analyzes it and renders every format.
 */
import { execRng, gzipVariant, mutateCapture, mutateDump, shapeOf, type Log } from './mutate.js';
import type { Seeds } from './seeds.js';

export interface FullInput {
  scenario: string;
  files: Map<string, Uint8Array>;
  log: Log;
}

const CAPTURE = /\.(pcap|pcapng|cap)(\.gz)?$/i;

export function makeFullInput(seeds: Seeds, runSeed: number, i: number): FullInput {
  const r = execRng(runSeed, 1, i);
  const sc = r.pick(seeds.scenarios);
  const files = new Map(sc.files);
  const log: Log = [];
  const names = () => [...files.keys()].sort();
  const captures = () => names().filter((n) => CAPTURE.test(n));
  const dumps = () => names().filter((n) => !CAPTURE.test(n));
  const n = r.range(1, 3);
  for (let k = 0; k < n; k++) {
    const op = r.int(14);
    if (op <= 3 && captures().length) {
      const name = r.pick(captures());
      const b = files.get(name)!;
      const other = seeds.captures.length ? r.pick(seeds.captures) : { buf: b, shape: shapeOf(b) };
      const l: Log = [];
      files.set(name, mutateCapture(r, b, shapeOf(b), other, l));
      log.push(`${name}: ${l.join(', ')}`);
    } else if (op <= 5 && dumps().length) {
      const name = r.pick(dumps());
      const other = seeds.dumps.length ? r.pick(seeds.dumps).buf : files.get(name)!;
      const l: Log = [];
      files.set(name, mutateDump(r, files.get(name)!, other, l));
      log.push(`${name}: ${l.join(', ')}`);
    } else if (op === 6 && files.size) {
      const name = r.pick(names());
      const l: Log = [];
      const z = gzipVariant(r, files.get(name)!, l);
      files.delete(name);
      files.set(r.chance(0.7) ? `${name}.gz` : name, z);
      log.push(`${name}: ${l.join(', ')}`);
    } else if (op === 7 && captures().length) {
      // the same capture twice: under another name beside it, or on the other host
      const name = r.pick(captures());
      const copy = r.chance(0.5) ? name.replace(/(\.[a-z]+)$/i, '-copy$1') : `other-host/${name.split('/').pop()}`;
      files.set(copy, files.get(name)!);
      log.push(`${name}: duplicated as ${copy}`);
    } else if (op === 8 && dumps().length >= 2) {
      // a dump under a misleading name: two dumps swap contents
      const a = r.pick(dumps());
      const b = r.pick(dumps());
      const x = files.get(a)!;
      files.set(a, files.get(b)!);
      files.set(b, x);
      log.push(`${a} <-> ${b}: contents swapped`);
    } else if (op === 9) {
      // binary junk, or a capture's bytes, under a dump's name
      const name = dumps().length ? r.pick(dumps()) : 'junk.txt';
      let junk: Uint8Array;
      if (r.chance(0.5) && seeds.captures.length) junk = r.pick(seeds.captures).buf.subarray(0, r.range(0, 4096));
      else {
        junk = new Uint8Array(r.range(1, 2048));
        for (let j = 0; j < junk.length; j++) junk[j] = r.int(256);
      }
      files.set(name, junk);
      log.push(`${name}: binary junk (${junk.length} bytes)`);
    } else if (op === 10 && files.size) {
      const name = r.pick(names());
      files.set(name, Buffer.from(r.pick(['', ' ', '\n', '\n\n\n', '\r\n'])));
      log.push(`${name}: emptied`);
    } else if (op === 11 && files.size > 1) {
      const name = r.pick(names());
      files.delete(name);
      log.push(`${name}: removed`);
    } else if (op === 12) {
      // odd names: a hostname file, a deep folder, characters that need escaping
      const host = names().find((x) => x.includes('/'))?.split('/')[0] ?? 'node-a';
      const what = r.int(4);
      if (what === 0) {
        files.set(`${host}/hostname`, Buffer.from(r.pick(['node-x\n', '<b>x</b>\n', '\n', 'a\nb\n', 'x'.repeat(300)])));
        log.push(`${host}/hostname added`);
      } else if (what === 1 && files.size) {
        const name = r.pick(names());
        const deep = `${host}/${'d/'.repeat(r.range(1, 12))}${name.split('/').pop()}`;
        files.set(deep, files.get(name)!);
        log.push(`${name}: copied to ${deep}`);
      } else if (files.size) {
        const name = r.pick(names());
        const odd = name.replace(/[^/]+$/, (base) => `${r.pick(['<i>', 'a b ', '`x`|', 'é', '"q"', '-', '#'])}${base}`);
        files.set(odd, files.get(name)!);
        files.delete(name);
        log.push(`${name}: renamed ${odd}`);
      }
    } else {
      // a text file named like a capture
      const host = names().find((x) => x.includes('/'))?.split('/')[0] ?? 'node-a';
      files.set(`${host}/text.pcap`, Buffer.from('this is not a capture\n'));
      log.push(`${host}/text.pcap: text`);
    }
  }
  return { scenario: sc.name, files, log };
}
