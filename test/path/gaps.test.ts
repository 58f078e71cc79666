/**
 * Evidence gaps (src/path/gaps.ts): what the report cannot judge and the command to run where.
 * On the bundled "as users send it" variants of the blocked overlay, and on an incident holding only
 * captures and `ip addr` (built in a temp dir from samples/cross-node).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../src/analyze.js';
import { summarize } from '../../src/report/summary.js';
import { renderText } from '../../src/report/text.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import { ROOT, SAMPLES } from '../helpers.js';

const DUMPS_ONLY = join(SAMPLES, 'variants', 'blocked-overlay-dumps-only');
const CAPTURES_ONLY = join(SAMPLES, 'variants', 'blocked-overlay-captures-only');
const CROSS = join(SAMPLES, 'cross-node');
const NODES = ['ip-10-32-11-62', 'ip-10-32-7-224'];
const errors = (r: Awaited<ReturnType<typeof analyze>>) => r.findings.filter((f) => f.severity === 'error' || f.severity === 'critical');

test('dumps only: the headline says no capture was read, no error, one no-captures gap per node naming tcpdump', async () => {
  if (!existsSync(DUMPS_ONLY)) return console.log('SKIP dumps-only variant: not in samples');
  const r = await analyze([DUMPS_ONLY], { cwd: ROOT, hash: false });
  assert.equal(errors(r), []);
  const s = summarize(r);
  assert.is(s.status, 'incomplete');
  assert.match(s.headline, /^no capture was read/);
  assert.not.match(s.headline, /every flow reached/);
  const gaps = (r.gaps ?? []).filter((g) => g.code === 'no-captures');
  assert.equal(gaps.map((g) => g.host).sort(), NODES);
  for (const g of gaps) {
    assert.match(g.command, /^tcpdump -ni eth0 -w \S+\.pcap/);
    assert.match(g.command, /flannel\.1/, 'the overlay device is captured too');
  }
  // The dumps are complete: no dump is named missing.
  assert.equal((r.gaps ?? []).filter((g) => g.code !== 'no-captures').map((g) => g.code), []);
  const text = renderText(r);
  assert.match(text, /^No capture was read/);
  assert.match(text, /Evidence gaps/);
  assert.match(renderMarkdown(r), /## Evidence gaps/);
  assert.match(renderHtml(r), /id="gaps"/);
});

test('captures only: overlay-blocked still, and a no-dumps gap per node with the dump commands', async () => {
  if (!existsSync(CAPTURES_ONLY)) return console.log('SKIP captures-only variant: not in samples');
  const r = await analyze([CAPTURES_ONLY], { cwd: ROOT, hash: false });
  const s = summarize(r);
  assert.is(s.worst?.code, 'overlay-blocked', `findings: ${r.findings.map((f) => f.code).join(', ')}`);
  assert.is(s.worst?.subject?.tunnel?.port, 8472);
  assert.equal([s.worst?.subject?.from?.host, s.worst?.subject?.to?.host], NODES);
  assert.match(s.headline, /UDP 8472 between ip-10-32-11-62 \(10\.32\.11\.62\) and ip-10-32-7-224 \(10\.32\.7\.224\) is dropped/);
  const noDumps = (r.gaps ?? []).filter((g) => g.code === 'no-dumps');
  assert.equal(noDumps.map((g) => g.host).sort(), NODES);
  for (const g of noDumps) {
    assert.match(g.command, /ip -d addr show/);
    assert.match(g.command, /ip route show table all/);
    assert.match(g.command, /bridge fdb show/);
    assert.match(g.command, /ip neigh show/);
  }
  assert.ok((r.gaps ?? []).some((g) => g.code === 'no-pods' && /kubectl get pods -A -o wide/.test(g.command)), 'pods.txt missing is named');
});

test('captures and ip addr only: a missing routing table is never no-route; gaps name ip route show table all per host', async () => {
  if (!existsSync(CROSS)) return console.log('SKIP ip-addr-only incident: samples/cross-node absent');
  const dir = mkdtempSync(join(tmpdir(), 'podpath-gaps-'));
  try {
    for (const h of NODES) {
      mkdirSync(join(dir, h));
      for (const f of ['eth0.pcap', 'cni0.pcap', 'flannel.1.pcap', 'ip-addr.txt']) copyFileSync(join(CROSS, h, f), join(dir, h, f));
    }
    const r = await analyze([dir], { cwd: dir, hash: false });
    assert.ok(r.flows.length > 0);
    assert.equal(r.findings.filter((f) => f.code === 'no-route'), []);
    assert.equal(errors(r).map((f) => f.code), []);
    const drops = r.flows.flatMap((f) => [...f.path, ...(f.returnPath ?? [])]).filter((s) => s.cause === 'no-route');
    assert.equal(drops, []);
    assert.ok(r.flows.some((f) => f.path.some((s) => s.cause === 'no-dump')), 'the unknown step says the dump is missing');
    const routes = (r.gaps ?? []).filter((g) => g.code === 'no-routes');
    assert.equal(routes.map((g) => g.host).sort(), NODES);
    for (const g of routes) {
      assert.is(g.command, 'ip route show table all');
      assert.ok((g.flows ?? []).length > 0, 'names the flows it leaves unjudged');
    }
    assert.ok((r.gaps ?? []).some((g) => g.code === 'no-fdb' && g.command === 'bridge fdb show dev flannel.1'));
    assert.not.match(summarize(r).headline, /^no problem found: every flow reached its destination$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a complete incident has no dump or capture gaps', async () => {
  if (!existsSync(CROSS)) return;
  const r = await analyze([CROSS], { cwd: ROOT, hash: false });
  assert.equal((r.gaps ?? []).filter((g) => g.code !== 'not-decoded').map((g) => `${g.code} ${g.host}`), []);
});

test.run();
