/**
 * The other phases alone: load (inputs), observe (captures without a topology), the one severity
 * order and the tunnel table.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadIncident } from '../../src/inputs/load.js';
import { nameCapturePoints, observeCaptures } from '../../src/observe/captures.js';
import { buildTopology } from '../../src/topology/build.js';
import { atLeast, rankFindings, SEVERITIES, severityIndex } from '../../src/severity.js';
import { isOverlayKind, tunnelById, tunnelByName, tunnelDisplay, TUNNELS } from '../../src/decode/tunnels.js';
import { TUN_GENEVE, TUN_GRE, TUN_IPIP, TUN_VXLAN, TUNNEL_NAMES } from '../../src/decode/packet.js';
import type { Finding } from '../../src/topology/model.js';

const ROOT = join(fileURLToPath(import.meta.url), '../../../..');

test('load: a sample incident gives its inputs tied to hosts, captures apart, dumps parsed', async () => {
  const problems: string[] = [];
  const inc = await loadIncident(['samples/cross-node'], { cwd: ROOT }, problems);
  try {
    assert.ok(inc.captures.length >= 8);
    assert.ok(inc.captures.every((f) => f.kind === 'capture'));
    assert.ok(inc.inputs.every((f) => f.kind !== 'capture' || f.host === 'ip-10-32-11-62' || f.host === 'ip-10-32-7-224'), JSON.stringify(inc.inputs));
    assert.ok(inc.dumps.sections.some((s) => s.section.command === 'ip-addr' && s.host === 'ip-10-32-7-224'));
    assert.ok(inc.dumps.sections.some((s) => s.section.command === 'kubectl-pods'));
  } finally {
    await inc.cleanup();
  }
});

test('observe: one capture read without a topology gives flows, facts and a point; naming binds it', async () => {
  const problems: string[] = [];
  const inc = await loadIncident(['samples/cross-node/ip-10-32-11-62/any.pcap', 'samples/cross-node/ip-10-32-11-62/ip-addr.txt'], { cwd: ROOT, hosts: {} }, problems);
  try {
    const observed = await observeCaptures(inc, { hash: true }, problems);
    assert.equal(problems, []);
    assert.is(observed.points.length, 1);
    assert.ok(observed.stats.packets > 0 && observed.stats.packets === observed.points[0].packets);
    assert.is(observed.reads[0].format, 'pcap');
    assert.match(observed.reads[0].sha256 ?? '', /^[0-9a-f]{64}$/);
    // -i any: packets name their interface by ifindex until the topology knows the names
    assert.ok(observed.facts[0].ifindexes.length > 1);
    const flows = observed.table.seal();
    assert.ok(flows.length > 0);
    const before = new Set(flows.flatMap((f) => f.journeys.flatMap((j) => j.sightings.map((s) => s.iface))));
    assert.ok([...before].every((i) => i === undefined || i.startsWith('ifindex ')), [...before].join(','));
    const topo = buildTopology(inc.dumps.sections, observed.facts, { lineText: inc.dumps.lineText });
    nameCapturePoints(observed, topo, flows, inc.dumps.logs);
    assert.is(observed.points[0].interface, 'any');
    const after = new Set(flows.flatMap((f) => f.journeys.flatMap((j) => j.sightings.map((s) => s.iface))));
    assert.ok(after.has('eth0') && after.has('cni0'), [...after].join(','));
  } finally {
    await inc.cleanup();
  }
});

test('severity: one order, most severe first; --fail-on thresholds; stable ranking', () => {
  assert.equal([...SEVERITIES], ['critical', 'error', 'warning', 'info']);
  assert.ok(severityIndex('critical') < severityIndex('info'));
  assert.is(severityIndex('bogus'), 4);
  assert.ok(atLeast('critical', 'error') && atLeast('error', 'error') && !atLeast('warning', 'error'));
  const f = (severity: Finding['severity'], code: string): Finding => ({ severity, code, message: code, evidence: [] });
  assert.equal(rankFindings([f('info', 'a'), f('error', 'b'), f('warning', 'c'), f('error', 'd'), f('critical', 'e')]).map((x) => x.code), ['e', 'b', 'd', 'c', 'a']);
});

test('tunnel table: every decoder id has a row, names agree with the packet constants', () => {
  for (const [id, name] of [[TUN_VXLAN, 'vxlan'], [TUN_GENEVE, 'geneve'], [TUN_IPIP, 'ipip'], [TUN_GRE, 'gre']] as const) {
    assert.is(tunnelById(id).name, name);
    assert.is(TUNNEL_NAMES[id], name);
  }
  assert.equal(tunnelByName('vxlan')?.udpPorts, [4789, 8472]);
  assert.equal(tunnelByName('geneve')?.udpPorts, [6081]);
  assert.ok(isOverlayKind('vxlan') && isOverlayKind('geneve') && !isOverlayKind('gre') && !isOverlayKind('veth'));
  assert.is(tunnelDisplay('geneve'), 'Geneve');
  assert.is(tunnelDisplay('foo'), 'FOO');
  assert.is(new Set(TUNNELS.map((t) => t.id)).size, TUNNELS.length);
});

test.run();
