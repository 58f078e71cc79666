/**
 * The `topology` text view fits the terminal: at 80 columns a list (no line wider), at 120 and
 * 160 tables that fit; in every layout each address, device name and host stays whole.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES } from '../helpers.js';
import { loadTopology } from '../../src/commands/topology.js';
import { renderTopologyText } from '../../src/report/topology-text.js';
import type { Topology } from '../../src/topology/model.js';

const samples = readdirSync(SAMPLES).filter((d) => d !== 'lab' && statSync(join(SAMPLES, d)).isDirectory());

/** The words that must never be split: addresses, interface names, host names. */
function words(t: Topology): string[] {
  const out = new Set<string>();
  for (const h of t.hosts) {
    out.add(h.name);
    for (const i of h.interfaces) {
      out.add(i.name);
      for (const a of i.addresses) out.add(`${a.address}/${a.prefixLength}`);
    }
  }
  for (const p of t.pods) out.add(p.ip);
  return [...out].filter((w) => w.length > 0 && w.length <= 28);
}

const width = (l: string) => [...l].length;

test('every sample: no line wider than the terminal at 80, 100, 120 and 160 columns; words kept whole', async () => {
  assert.ok(samples.length >= 8, samples.join(' '));
  for (const s of samples) {
    const { topology } = await loadTopology([join(SAMPLES, s)], { cwd: SAMPLES });
    const all = words(topology);
    assert.ok(all.length > 5, s);
    for (const columns of [80, 100, 120, 160]) {
      const text = renderTopologyText(topology, columns);
      const lines = text.split('\n');
      const long = lines.filter((l) => width(l) > columns);
      assert.equal(long, [], `${s} at ${columns}`);
      // A word is whole when it sits between separators (space, box rule, comma, brackets).
      const tokens = new Set(text.split(/[\s│┌┐└┘├┤┬┴┼─,()]+/));
      const broken = all.filter((w) => !tokens.has(w) && !text.includes(w));
      assert.equal(broken, [], `${s} at ${columns}: words split`);
      if (columns === 80) assert.not.match(text, /[┌│]/, `${s}: a list at 80 columns`);
      if (columns === 160) assert.match(text, /┌/, `${s}: tables at 160 columns`);
    }
  }
});

test('80 columns: an interface is its name and number, then one line per field', async () => {
  const { topology } = await loadTopology([join(SAMPLES, 'blocked-overlay')], { cwd: SAMPLES });
  const lines = renderTopologyText(topology, 80).split('\n');
  const at = lines.indexOf('  flannel.1 (#3)');
  assert.ok(at > 0, lines.slice(0, 30).join('\n'));
  assert.equal(lines.slice(at, at + 6), [
    '  flannel.1 (#3)',
    '      kind: vxlan',
    '      mtu: 8951',
    '      mac: 9a:4e:5c:0d:71:23',
    '      addresses: 10.42.0.0/32, fe80::984e:5cff:fe0d:7123/64',
    '      tunnel: vni 1 port 8472 local 10.32.11.62 dev eth0',
  ]);
});

test.run();
