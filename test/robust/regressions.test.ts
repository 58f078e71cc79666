/**
 * Inputs the fuzzer found that broke something, kept as tests (each names the fix).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDump } from '../../src/dumps/index.js';
import { buildTopology } from '../../src/topology/build.js';

test('bridge vlan tunnelshow with a 20-digit VLAN id: buildTopology ends (was an endless loop; src/topology/build.ts mergeVlan)', () => {
  const text = [
    'root@vsid:/src/iproute2# ./bridge/bridge vlan tunnelshow',
    'port vlan-id tunnel-id',
    'vx99999999999999999999 99999999999999999999 41161',
    ' 25923-28022 88083-29952',
    ' 1030 65556',
    'vx-longname 2 2',
    '',
  ].join('\n');
  const t0 = Date.now();
  const sections = parseDump('bridge-vlan.txt', Buffer.from(text));
  const topo = buildTopology(sections.map((section) => ({ host: 'node-a', section })));
  assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
  assert.ok(topo.hosts.some((h) => h.name === 'node-a'));
});

test.run();
