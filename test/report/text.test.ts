import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LIST_BELOW, renderExplain, renderText } from '../../src/report/text.js';
import { buildReport, EVIL } from './fixture.js';

const longest = (s: string) => Math.max(...s.split('\n').map((l) => [...l].length));

test('headline first: what failed and where; then the findings, the likely cause and the fix', () => {
  const out = renderText(buildReport(), { columns: 100 });
  const [para, findings] = out.split('\n\n').map((x) => x.replace(/\n\s*/g, ' '));
  assert.match(para, /^1 critical finding: UDP 8472 between ip-10-32-11-62 \(10\.32\.11\.62\) and ip-10-32-7-224 \(10\.32\.7\.224\) is dropped/);
  assert.not.match(para, /firewall or cloud security group/);
  assert.match(findings, /^Findings ─+ 1\. CRITICAL overlay-blocked .*firewall or cloud security group.* Fix: allow VXLAN traffic/);
});

test('flows with a problem listed, healthy ones counted in one line', () => {
  const out = renderText(buildReport(), { columns: 100 });
  assert.match(out, /Flows with a problem \(1 of 2\)/);
  assert.match(out, /^ {2}f1 {2}LOST {2}icmp/m);
  assert.match(out, /^ {2}1 healthy flow \(f2\)\.$/m);
  assert.not.match(out, /^Inputs$/m);
});

test('sections: inputs, topology with overlay map, flows, findings with evidence, stats, clocks', () => {
  const out = renderText(buildReport(), { columns: 120, show: ['inputs', 'topology', 'flows'] });
  for (const s of ['Inputs', 'Topology', 'Flows', 'Findings', 'Packets: 23 read, 22 decoded, 1 truncated', 'Clock offsets']) assert.ok(out.includes(s), s);
  assert.ok(out.includes('captures/ip-10-32-11-62-eth0.pcap#12'));
  assert.ok(out.includes('flannel.1 vxlan'));
  assert.ok(out.includes('10.42.0.0/24 → 10.42.1.0/24'));
  assert.ok(out.includes('RTT 412 µs'));
  assert.ok(/CRITICAL overlay-blocked[\s\S]*WARNING capture-gap/.test(out));
});

for (const columns of [80, 60, 132]) {
  test(`fits ${columns} columns (lists below ${LIST_BELOW}, tables above)`, () => {
    const show = ['inputs', 'topology', 'flows'] as const;
    for (const evil of [false, true]) {
      const out = renderText(buildReport({ evil }), { columns, show });
      assert.ok(longest(out) <= columns, `line longer than ${columns}:\n${out.split('\n').find((l) => [...l].length > columns)}`);
      const tables = out.split('\n').filter((l) => /^[┌│├└]/.test(l));
      if (columns < LIST_BELOW) assert.is(tables.length, 0);
      else assert.ok(tables.length > 20);
    }
  });
}

test('no escape sequences from inputs reach the terminal', () => {
  const r = buildReport();
  r.topology.hosts[0].name = 'evil\u001b[2J\u001b]0;pwned\u0007';
  r.inputs[0].path = 'a\u001b[31mred';
  const out = renderText(r, { columns: 80, show: ['inputs', 'topology', 'flows'] });
  assert.not.ok(out.includes('\u001b'));
  assert.not.ok(out.includes('\u0007'));
});

test('explain: numbered hop-by-hop story with sightings, latency and verdict', () => {
  const out = renderExplain(buildReport(), ['f1'], { columns: 100 });
  assert.match(out, /Flow f1: icmp default\/pod2 \(10\.42\.0\.37\) → default\/pod1 \(10\.42\.1\.39\)/);
  assert.match(out, / 1\. pod2  eth0  send/);
  assert.match(out, / 5\. ip-10-32-11-62  eth0  underlay/);
  assert.match(out, /seen in captures\/ip-10-32-11-62-eth0\.pcap \(6 packets\)/);
  assert.match(out, /packets captures\/ip-10-32-11-62-eth0\.pcap#12/);
  assert.match(out, /│ 84 µs since step 1 \(median of 6\)/);
  assert.match(out, /NEVER ARRIVED: UDP 8472 from 10\.32\.11\.62/);
  assert.match(out, /Verdict: LOST\./);
  assert.not.ok(out.includes('Flow f2'));
  const all = renderExplain(buildReport(), []);
  assert.ok(all.includes('Flow f2') && all.includes('Return path'));
  assert.match(renderExplain(buildReport(), ['nope']), /No flow with id nope/);
});

test('injection text survives as text', () => {
  const out = renderText(buildReport({ evil: true }), { columns: 200, show: ['topology'] });
  assert.ok(out.includes('ip-10-32-11-62<script>alert(1)</script>'));
  assert.ok(out.includes(EVIL.slice(0, 10)));
});

test.run();
