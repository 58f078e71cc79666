/**
 * Each pod's port on its node (src/topology/pod-ports.ts) on every bundled sample, from the full
 * analysis (dumps and captures): the whole pod list per sample, with the device and the tie. Then
 * the rules on small hand-made topologies: a capture alone is `inferred`, two veth captures seeing
 * the address tie nothing, a hostNetwork pod has no port, a dump tie wins over traffic.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { SAMPLES } from '../helpers.js';
import { analyze } from '../../src/analyze.js';
import { attachPodPorts } from '../../src/topology/pod-ports.js';
import { newCaptureFacts } from '../../src/topology/facts.js';
import type { Host, Topology } from '../../src/topology/model.js';

const ports = async (sample: string) => {
  const r = await analyze([join(SAMPLES, sample)], { cwd: SAMPLES, hash: false });
  return Object.fromEntries(r.topology.pods.map((p) => [p.name, p.port ? `${p.port.device} ${p.port.via}${p.port.inferred ? ' inferred' : ''}` : '-']));
};

test('samples: every pod on its port, or none, and why', async () => {
  assert.equal(await ports('blocked-overlay'), { pod2: 'vethe71bfec0 fdb', pod1: '-' }); // pod1 never got a packet: no neighbour, no fdb, no veth capture
  assert.equal(await ports('cross-node'), { pod2: 'vethe71bfec0 fdb', pod1: 'vethfd9e7777 fdb' });
  assert.equal(await ports('same-node'), { pod1: 'vethfd9e7777 fdb', pod2: 'veth9bb6c1c1 fdb' }); // MACs from cni0.pcap
  assert.equal(await ports('intra-pod'), { test: 'vethd3bcc058 veth-peer' });
  assert.equal(await ports('cilium-geneve'), { client: 'lxc760fe213fc21 route', probe: 'lxc45471693fd0f route', web: 'lxcc6d5a17a375a route' });
  assert.equal(await ports('mtu-fragments'), {
    'frontend-6b8d9c7f5-x2k9p': 'calic9bf04b0808 route',
    'calico-node-25cfb': '-',
    'kube-proxy-d0c6d': '-',
    'backend-5f7c8d9b6-m4t8w': 'cali05d33245494 route',
    'calico-node-99d9f': '-',
    'kube-proxy-7a966': '-',
  });
});

function node(): Host {
  return {
    name: 'n1',
    role: 'node',
    interfaces: [
      { name: 'eth0', kind: 'ethernet', addresses: [{ family: 'inet', address: '192.168.0.1', prefixLength: 24 }], evidence: [] },
      { name: 'cni0', kind: 'bridge', addresses: [{ family: 'inet', address: '10.42.0.1', prefixLength: 24 }], evidence: [] },
      { name: 'vethA', kind: 'veth', master: 'cni0', addresses: [], evidence: [] },
      { name: 'vethB', kind: 'veth', master: 'cni0', addresses: [], evidence: [] },
    ],
    routes: [],
    neighbors: [],
    fdb: [],
    listening: [],
    inputs: [],
  };
}

function topo(h: Host, captured: Record<string, string[]>): { t: Topology; facts: ReturnType<typeof newCaptureFacts>[] } {
  const facts = Object.entries(captured).map(([dev, addrs]) => {
    const f = newCaptureFacts(`${dev}.pcap`, 'n1');
    f.addresses.push(...addrs);
    return f;
  });
  const t: Topology = {
    hosts: [h],
    pods: [
      { name: 'a', ip: '10.42.0.5', host: 'n1', source: 'kubectl' },
      { name: 'hostnet', ip: '192.168.0.1', host: 'n1', source: 'kubectl' },
    ],
    overlay: [],
    captures: Object.keys(captured).map((dev) => ({ input: `${dev}.pcap`, host: 'n1', interface: dev, via: 'file-name' as const })),
    findings: [],
  };
  return { t, facts };
}

test('rules: traffic alone is inferred; ambiguous traffic ties nothing; hostNetwork has no port', () => {
  let { t, facts } = topo(node(), { vethA: ['10.42.0.5', '10.42.1.9'], vethB: ['10.42.0.7'], eth0: ['10.42.0.5'] });
  attachPodPorts(t, facts);
  assert.equal(t.pods[0].port, { device: 'vethA', via: 'capture', inferred: true, evidence: [{ input: 'vethA.pcap', text: '10.42.0.5 seen on vethA' }] });
  assert.is(t.pods[1].port, undefined, 'a hostNetwork pod');

  ({ t, facts } = topo(node(), { vethA: ['10.42.0.5'], vethB: ['10.42.0.5'] }));
  attachPodPorts(t, facts);
  assert.is(t.pods[0].port, undefined, 'seen on two veths: no tie');
});

test('rules: a route or the fdb wins over traffic, and a stale neighbour MAC the fdb does not know ties nothing', () => {
  const h = node();
  h.neighbors.push({ address: '10.42.0.5', mac: 'AA:BB:CC:00:00:05', dev: 'cni0', evidence: { input: 'ip-neigh.txt', line: 1 } });
  h.fdb.push({ mac: 'aa:bb:cc:00:00:05', dev: 'vethB', master: 'cni0', evidence: { input: 'bridge-fdb.txt', line: 4 } });
  let { t, facts } = topo(h, { vethA: ['10.42.0.5'] });
  attachPodPorts(t, facts);
  assert.equal(t.pods[0].port, { device: 'vethB', via: 'fdb', evidence: [{ input: 'ip-neigh.txt', line: 1 }, { input: 'bridge-fdb.txt', line: 4 }] });

  const r = node();
  r.routes.push({ destination: '10.42.0.5', interface: 'vethA', evidence: { input: 'ip-route.txt', line: 2 } });
  ({ t, facts } = topo(r, {}));
  attachPodPorts(t, facts);
  assert.equal(t.pods[0].port, { device: 'vethA', via: 'route', evidence: [{ input: 'ip-route.txt', line: 2 }] });

  const s = node();
  s.neighbors.push({ address: '10.42.0.5', mac: 'aa:bb:cc:00:00:05', dev: 'cni0', evidence: { input: 'ip-neigh.txt', line: 1 } });
  s.fdb.push({ mac: 'aa:bb:cc:00:00:05', dev: 'cni0', master: 'cni0', permanent: true, evidence: { input: 'bridge-fdb.txt', line: 1 } });
  ({ t, facts } = topo(s, {}));
  attachPodPorts(t, facts);
  assert.is(t.pods[0].port, undefined, 'the bridge\'s own entry is no port');
});

test.run();
