/**
 * The topology graph (`topology --format mermaid|dot`) wires only what dumps or captures tie: the
 * whole edge list of the blocked-overlay and same-node samples, by device name.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { SAMPLES } from '../helpers.js';
import { analyze } from '../../src/analyze.js';
import { topologyGraph, type GraphCluster } from '../../src/report/topology-graph.js';

async function edges(sample: string): Promise<string[]> {
  const r = await analyze([join(SAMPLES, sample)], { cwd: SAMPLES, hash: false });
  const g = topologyGraph(r.topology);
  const names = new Map<string, string>();
  const walk = (c: GraphCluster, host: string) => {
    for (const n of c.nodes) names.set(n.id, `${host}:${n.label[0]}`);
    for (const s of c.clusters) walk(s, s.label.replace(/ \(pod netns\)$/, ''));
  };
  for (const c of g.clusters) walk(c, c.label.split(' ')[0]);
  return g.edges.map((e) => `${names.get(e.from)} ${e.directed ? '->' : '--'} ${names.get(e.to)} [${e.style}${e.label ? `: ${e.label}` : ''}]`);
}

test('blocked-overlay: docker0 is wired to nothing; pod2 on its veth; one tunnel edge per direction; NIC to NIC', async () => {
  assert.equal(await edges('blocked-overlay'), [
    'ip-10-32-11-62:vethe71bfec0 -- ip-10-32-11-62:cni0 [port]',
    'ip-10-32-7-224:vethfd9e7777 -- ip-10-32-7-224:cni0 [port]',
    'ip-10-32-11-62:cni0 -- ip-10-32-11-62:flannel.1 [routed: routes 10.42.1.0/24]',
    'ip-10-32-11-62:flannel.1 -- ip-10-32-11-62:eth0 [encap: encap, dev eth0]',
    'ip-10-32-7-224:cni0 -- ip-10-32-7-224:flannel.1 [routed: routes 10.42.0.0/24]',
    'ip-10-32-7-224:flannel.1 -- ip-10-32-7-224:eth0 [encap: encap, dev eth0]',
    'ip-10-32-11-62:default/pod2 -- ip-10-32-11-62:vethe71bfec0 [pod]',
    'ip-10-32-7-224:default/pod1 -- ip-10-32-7-224:cni0 [pod-unknown: port unknown]',
    'ip-10-32-11-62:flannel.1 -> ip-10-32-7-224:flannel.1 [tunnel: VXLAN VNI 1 udp/8472 10.32.11.62 > 10.32.7.224 configured (fdb)]',
    'ip-10-32-11-62:eth0 -- ip-10-32-7-224:eth0 [underlay: underlay 10.32.11.62 - 10.32.7.224]',
    'ip-10-32-7-224:flannel.1 -> ip-10-32-11-62:flannel.1 [tunnel: VXLAN VNI 1 udp/8472 10.32.7.224 > 10.32.11.62 configured (fdb)]',
  ]);
});

test('same-node: both pods on their veths, tied by the MACs of their frames and the bridge fdb', async () => {
  const e = await edges('same-node');
  assert.ok(e.includes('ip-10-32-7-224:default/pod1 -- ip-10-32-7-224:vethfd9e7777 [pod]'), e.join('\n'));
  assert.ok(e.includes('ip-10-32-7-224:default/pod2 -- ip-10-32-7-224:veth9bb6c1c1 [pod]'), e.join('\n'));
  assert.not.ok(e.some((x) => x.includes('pod-unknown')), e.join('\n'));
});

test.run();
