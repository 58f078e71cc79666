/**
 * Every capture of the corpus (tcpdump tests incl. the fuzzed heap-overflow files, the 4.99.3
 * variants, libpcap, pcapng conformance) decodes, summarizes and prints without throwing, one
 * result per frame, each classified exactly once; and wherever tcpdump's expected output calls a
 * packet "(invalid)", we call it malformed (or truncated).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shared } from '../helpers.js';
import { readCapture } from '../../src/capture/open.js';
import { Decoder } from '../../src/decode/decoder.js';
import { summarize, type PacketSummary } from '../../src/decode/summary.js';
import { packetLine } from '../../src/report/packet-line.js';
import { parseTcpdump } from './tcpdump-text.js';

function captures(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /\.(pcap|pcapng)$/.test(n))
    .sort()
    .map((n) => join(dir, n));
}

test('every corpus capture decodes without throwing; one classification per frame', async () => {
  const root = shared('corpus decode robustness');
  if (!root) return;
  const files = [
    ...captures(join(root, 'corpus/tcpdump/tests')),
    ...captures(join(root, 'corpus/tcpdump/tcpdump-4.99.3/tests')),
    ...captures(join(root, 'corpus/libpcap')),
    ...captures(join(root, 'corpus/pcapng-conformance')),
  ];
  assert.ok(files.length >= 90, `${files.length} captures`);
  const totals = { decoded: 0, truncated: 0, malformed: 0, skipped: 0 };
  let frames = 0;
  const d = new Decoder();
  for (const file of files) {
    let n = 0;
    const summary = await readCapture(file, {
      frame(f) {
        const p = d.decode(f);
        totals[p.status]++;
        n++;
        const s = summarize(p);
        assert.is(s.index, f.index);
        assert.is(typeof packetLine(p), 'string');
        JSON.parse(JSON.stringify(s));
        if (p.malformed) assert.ok(p.problems.length > 0, `${file} #${f.index}: malformed with its problems`);
      },
      problem: () => undefined,
    });
    assert.is(n, summary.packets, `${file}: every frame decoded`);
    frames += n;
  }
  console.log(`${files.length} captures, ${frames} frames: ${JSON.stringify(totals)}`);
  assert.is(totals.decoded + totals.truncated + totals.malformed + totals.skipped, frames);
  assert.ok(totals.malformed > 0 && totals.truncated > 0);
});

test('tcpdump "(invalid)" packets are malformed or truncated for us too; its clean tunnel packets are clean', async () => {
  const root = shared('corpus invalid markers');
  if (!root) return;
  const dir = join(root, 'corpus/tcpdump/tests');
  const list = readFileSync(join(root, 'corpus/tcpdump/TESTLIST.subset'), 'utf8');
  let checked = 0;
  for (const line of list.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const [name, input, expected, ...opts] = line.trim().split(/\s+/);
    if (opts.includes('--')) continue;
    const out = readFileSync(join(dir, expected), 'utf8');
    if (!out.includes('(invalid)')) continue;
    const ours: PacketSummary[] = [];
    const d = new Decoder();
    await readCapture(join(dir, input), { frame: (f) => ours.push(summarize(d.decode(f))), problem: () => undefined });
    for (const t of parseTcpdump(out)) {
      if (!t.text.includes('(invalid)')) continue;
      const s = ours[t.number - 1];
      assert.ok(s, `${name} #${t.number}`);
      assert.ok(s.status === 'malformed' || s.status === 'truncated', `${name} #${t.number}: tcpdump says invalid, we say ${s.status}: ${t.text.slice(0, 120)}`);
      checked++;
    }
  }
  console.log(`${checked} packets tcpdump calls invalid: all malformed or truncated here`);
  assert.ok(checked >= 10);
});

test.run();
