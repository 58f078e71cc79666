/**
 * The collector's archives, straight into `podpath analyze`: two flannel-shaped nodes in network
 * namespaces, the collector running on both while a pod on one pings a pod on the other.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyze } from '../../src/analyze.js';
import { collectTwoNodes, LAB } from './two-nodes.js';

test('collector archives: analyze explains the cross-node ping through flannel.1', async () => {
  const c = await collectTwoNodes({ duration: 4, what: 'collector -> analyze' });
  if (!c) return;
  try {
    assert.ok(c.pingOk, c.ping);
    const report = await analyze(c.nodes.map((n) => n.archive), { cwd: process.cwd(), hash: true });
    assert.equal(report.topology.hosts.map((h) => h.name).filter((n) => n.startsWith('node')).sort(), ['node1', 'node2']);
    const ping = report.flows.find((f) => f.protocol === 'icmp' && f.src.ip === LAB.node1.pod && f.dst.ip === LAB.node2.pod);
    assert.ok(ping, report.flows.map((f) => `${f.protocol} ${f.src.ip} > ${f.dst.ip}`).join(', '));
    assert.is(ping.kind, 'cross-node');
    assert.is(ping.verdict, 'ok', ping.why);
    assert.equal(ping.tunnel, { type: 'vxlan', vni: 1, port: 8472 });
    const actions = ping.path.map((s) => `${s.host} ${s.interface} ${s.action}`);
    assert.ok(actions.includes('node1 flannel.1 encap'), actions.join(' | '));
    assert.ok(actions.includes('node2 flannel.1 decap'), actions.join(' | '));
    // Evidence names the archive entries, never the temp folder they were unpacked into.
    assert.ok(report.inputs.every((i) => i.path.includes('.tar.gz!/')), report.inputs.map((i) => i.path).join(', '));
    assert.ok(report.inputs.every((i) => i.sha256 && /^[0-9a-f]{64}$/.test(i.sha256)));
    assert.not.ok(report.problems.some((p) => /collect\.log/.test(p)), report.problems.join('\n'));
  } finally {
    c.cleanup();
  }
});

test('collector archives with UDP 8472 dropped on node2: overlay-blocked, with the evidence', async () => {
  const c = await collectTwoNodes({ duration: 4, what: 'collector -> analyze (blocked overlay)', blockOverlay: true });
  if (!c) return;
  try {
    assert.not.ok(c.pingOk, 'the ping must fail');
    const report = await analyze(c.nodes.map((n) => n.archive), { cwd: process.cwd(), hash: false });
    const f = report.findings.find((x) => x.code === 'overlay-blocked');
    assert.ok(f, report.findings.map((x) => `${x.code}: ${x.message}`).join('\n'));
    assert.match(f.message, /UDP 8472/);
    assert.match(f.message, /node2/);
    assert.ok(f.evidence.some((e) => e.packet !== undefined));
    const ping = report.flows.find((x) => x.protocol === 'icmp' && x.src.ip === LAB.node1.pod);
    assert.is(ping?.verdict, 'lost');
    assert.is(ping?.path.at(-1)?.action, 'drop');
  } finally {
    c.cleanup();
  }
});

test.run();
