/**
 * Where a loss is drawn: between the last capture point that saw the packets and the next one,
 * which never did, never as the first device dropping them (the blocked-overlay sample's f2).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { SAMPLES } from '../helpers.js';
import { analyze } from '../../src/analyze.js';
import { renderExplain } from '../../src/report/text.js';
import { renderHtml } from '../../src/report/html.js';

const report = await analyze([join(SAMPLES, 'blocked-overlay')], { cwd: SAMPLES, hash: false });
const lost = report.flows.filter((f) => f.verdict === 'lost');

test('each lost flow ends in a drop step naming the point that never saw its packets', () => {
  assert.equal(
    lost.map((f) => f.id),
    ['f2', 'f4', 'f5'],
  );
  for (const f of lost) {
    const last = f.path[f.path.length - 1];
    assert.equal({ host: last.host, interface: last.interface, action: last.action, cause: last.cause, missing: last.missing }, {
      host: 'ip-10-32-11-62',
      interface: 'eth0',
      action: 'drop',
      cause: 'underlay-loss',
      missing: { host: 'ip-10-32-7-224', interface: 'eth0' },
    });
    assert.ok(f.summary.endsWith(' -> eth0 -x-> ip-10-32-7-224:eth0 (never arrived)'), f.summary);
    assert.not.match(f.summary, /DROP@/);
  }
  // Healthy flows have no drop at all.
  assert.equal(report.flows.filter((f) => f.verdict === 'ok').flatMap((f) => f.path.filter((s) => s.action === 'drop')), []);
});

test('explain: the step reads "lost between A eth0 and B eth0", with no "seen in" under it', () => {
  const text = renderExplain(report, ['f2'], { columns: 100 });
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^\s+6\. /.test(l));
  assert.is(lines[at].trim(), '6. lost between ip-10-32-11-62 eth0 and ip-10-32-7-224 eth0');
  const block = lines.slice(at + 1, lines.findIndex((l, i) => i > at && l.trim() === ''));
  assert.ok(block.length >= 1);
  assert.not.ok(block.some((l) => /seen in/.test(l)), block.join('\n'));
});

test('html: the last hop chip says "lost between", names both ends, never "✓ seen"', () => {
  const html = renderHtml(report);
  const panel = html.slice(html.indexOf('id="flow-1"'));
  const hops = /<ol class="hops">([\s\S]*?)<\/ol>/.exec(panel)![1];
  const chips = [...hops.matchAll(/<li class="hop [^"]*"[^>]*>([\s\S]*?)<\/li>/g)].map((m) => m[1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
  assert.equal(chips[chips.length - 1], 'lost between ip-10-32-11-62 eth0 and ip-10-32-7-224 eth0 ✗ never seen on ip-10-32-7-224 eth0');
  assert.ok(chips.slice(0, -1).every((c) => !/lost/.test(c)), chips.join(' | '));
});

test.run();
