/** Capture facts from a real capture (tcpdump's vxlan_port_8472.pcap: VXLAN on flannel's port). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { shared } from '../helpers.js';
import { scanCapture } from '../../src/topology/scan.js';
import { buildTopology } from '../../src/topology/build.js';
import { bindCapture, interfaceInFileName } from '../../src/topology/bind.js';
import type { Host } from '../../src/topology/model.js';

test('scanCapture: tunnel tuples with VNI, port and inner pairs; packet count; no pcapng names', async () => {
  const dir = shared('scan of tcpdump vxlan_port_8472.pcap');
  if (!dir) return;
  const { facts, problems } = await scanCapture(join(dir, 'corpus/tcpdump/tests/vxlan_port_8472.pcap'), { input: 'vxlan_port_8472.pcap', host: 'nodeA' });
  assert.equal(problems, []);
  assert.is(facts.packets, 10);
  assert.equal(facts.linktypes, [1]);
  assert.equal(facts.ifNames, []);
  const tuples = new Set(facts.tunnels.map((t) => `${t.outerSrc}>${t.outerDst}:${t.port}/${t.vni}`));
  assert.equal([...tuples].sort(), ['192.168.202.1>192.168.203.1:8472/100', '192.168.203.1>192.168.202.1:8472/100']);
  const ab = facts.tunnels.find((t) => t.outerSrc === '192.168.203.1')!;
  assert.ok(ab.inner.some(([s, d]) => s === '192.168.203.3' && d === '192.168.203.5'));
  assert.is(ab.packet, 1);
});

test('capture-only host: underlay and binding from the content, with host-without-dumps and capture-point-inferred', async () => {
  const dir = shared('scan of tcpdump vxlan_port_8472.pcap');
  if (!dir) return;
  const { facts } = await scanCapture(join(dir, 'corpus/tcpdump/tests/vxlan_port_8472.pcap'), { input: 'nodeA/trace.pcap', host: 'nodeA' });
  const t = buildTopology([], [facts]);
  assert.equal(t.hosts.map((h) => h.name), ['nodeA']);
  // Both outer addresses are in every tuple: the host's own address cannot be told apart.
  assert.is(t.hosts[0].underlay, undefined);
  assert.equal(t.captures.map((c) => [c.host, c.interface, c.via]), [['nodeA', undefined, 'unknown']]);
  const codes = t.findings.map((f) => f.code);
  assert.ok(codes.includes('host-without-dumps'));
  assert.ok(codes.includes('capture-point-unknown'));
});

const host = (name: string, itfs: [string, number, string?][]): Host => ({
  name,
  role: 'node',
  interfaces: itfs.map(([n, index, a]) => ({ name: n, index, kind: 'ethernet', addresses: a ? [{ family: 'inet', address: a, prefixLength: 24 }] : [], evidence: [] })),
  routes: [],
  neighbors: [],
  fdb: [],
  listening: [],
  inputs: [],
});

test('bindCapture: pcapng name, SLL2 index, file name (longest interface name as a word), content', () => {
  const topo = { hosts: [host('n1', [['lo', 1], ['eth0', 2, '192.168.0.1'], ['flannel.1', 3], ['cni0', 4], ['vetha2194963', 5]])] };
  const base = { input: 'x', host: 'n1', pcapngIfNames: [] as string[], sll2Ifindexes: [] as number[] };
  assert.equal(bindCapture(topo, { ...base, fileName: 'whatever.pcapng', pcapngIfNames: ['cni0'] }), { input: 'x', host: 'n1', interface: 'cni0', via: 'pcapng' });
  assert.equal(bindCapture(topo, { ...base, fileName: 'any.pcap', sll2Ifindexes: [3, 3] }).interface, 'flannel.1');
  for (const [file, itf] of [
    ['eth0.pcap', 'eth0'],
    ['cni0-1.pcap', 'cni0'],
    ['tcpdump-flannel.1.pcap', 'flannel.1'],
    ['eth0.pcap.gz', 'eth0'],
    ['eth0-nano.pcap', 'eth0'],
    ['vetha2194963.pcap', 'vetha2194963'],
    ['lo.pcap', 'lo'],
  ]) {
    const b = bindCapture(topo, { ...base, fileName: file });
    assert.equal([b.interface, b.via], [itf, 'file-name'], file);
  }
  assert.is(bindCapture(topo, { ...base, fileName: 'hello.pcap' }).via, 'unknown', '"lo" inside "hello" is no interface name');
  assert.is(interfaceInFileName('flannel.1.pcap', ['lo', 'flannel.1']), 'flannel.1');
  // No dumps for the host: well-known interface-like names.
  const empty = { hosts: [host('n2', [])] };
  assert.is(bindCapture(empty, { ...base, host: 'n2', fileName: 'tcpdump-flannel.1.pcap' }).interface, 'flannel.1');
  // Content: outer VXLAN headers from an address of n1 -> its eth0.
  const facts = { input: 'x', ifNames: [], ifindexes: [], linktypes: [1], packets: 1, addresses: [], arp: false, tunnels: [{ type: 'vxlan' as const, outerSrc: '192.168.0.1', outerDst: '192.168.0.2', port: 8472, vni: 1, inner: [], packet: 1 }] };
  const c = bindCapture(topo, { ...base, fileName: 'trace.pcap', facts });
  assert.equal([c.host, c.interface, c.via], ['n1', 'eth0', 'content']);
  assert.ok(c.note?.includes('192.168.0.1'));
});

test.run();
