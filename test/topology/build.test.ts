/** Builder logic on records constructed in code (the parsers are tested on real dumps elsewhere). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildTopology, inferKind, sameNode, type HostSection } from '../../src/topology/build.js';
import { addTunnel, newCaptureFacts } from '../../src/topology/facts.js';
import type { DumpSection, IpAddrRecord, LinkRecord, RouteRecord, KubectlPodRecord, NeighRecord, BridgeFdbRecord } from '../../src/dumps/types.js';

let line = 0;
const sec = (host: string | undefined, input: string, command: DumpSection['command'], records: object[]): HostSection => ({
  host,
  section: { input, command, line: 1, records: records as DumpSection['records'], problems: [] },
});
const addr = (index: number, name: string, o: Partial<IpAddrRecord> = {}): IpAddrRecord => ({
  index,
  name,
  flags: ['UP'],
  addresses: [],
  line: ++line,
  ...o,
});
const v4 = (address: string, prefixLength: number) => ({ family: 'inet' as const, address, prefixLength, line: ++line });
const rt = (destination: string, o: Partial<RouteRecord> = {}): RouteRecord => ({ destination, line: ++line, ...o });

/** Two flannel nodes and one pod namespace, as a lab would dump them. */
function lab(opts: { vni2?: number; mtu1?: number; withFdb?: boolean; podMtu?: number } = {}): HostSection[] {
  const n1: HostSection[] = [
    sec('node1', 'node1/ip-addr.txt', 'ip-addr', [
      addr(1, 'lo', { linkType: 'loopback', addresses: [v4('127.0.0.1', 8)] }),
      addr(2, 'eth0', { mtu: 1500, mac: '02:00:00:00:00:01', addresses: [v4('192.168.0.1', 24)] }),
      addr(3, 'flannel.1', { mtu: opts.mtu1 ?? 1450, mac: 'aa:00:00:00:00:01', addresses: [v4('10.42.0.0', 32)] }),
      addr(4, 'cni0', { mtu: 1450, addresses: [v4('10.42.0.1', 24)] }),
      addr(5, 'veth1', { mtu: 1450, peer: 'if2', master: 'cni0', linkNetns: 'pod-a' }),
    ]),
    sec('node1', 'node1/ip-d-link.txt', 'ip-link', [
      { index: 3, name: 'flannel.1', flags: [], kind: 'vxlan', vxlan: { id: 1, dstport: 8472, local: '192.168.0.1', dev: 'eth0' }, line: ++line } as LinkRecord,
    ]),
    sec('node1', 'node1/route-n.txt', 'route-n', [
      rt('0.0.0.0/0', { gateway: '192.168.0.254', interface: 'eth0' }),
      rt('192.168.0.0/24', { gateway: '0.0.0.0', interface: 'eth0' }),
      rt('10.42.0.0/24', { interface: 'cni0' }),
      rt('10.42.1.0/24', { gateway: '10.42.1.0', interface: 'flannel.1', onlink: true }),
      rt('10.42.9.0/24', { gateway: '10.42.9.0', interface: 'flannel.1', onlink: true }),
    ]),
    sec('node1', 'node1/ip-route.txt', 'ip-route', [rt('10.42.1.0/24', { gateway: '10.42.1.0', interface: 'flannel.1', onlink: true })]),
  ];
  if (opts.withFdb) {
    n1.push(
      sec('node1', 'node1/ip-neigh.txt', 'ip-neigh', [{ address: '10.42.1.0', dev: 'flannel.1', lladdr: 'aa:00:00:00:00:02', state: 'PERMANENT', line: ++line } as NeighRecord]),
      sec('node1', 'node1/bridge-fdb.txt', 'bridge-fdb', [{ mac: 'aa:00:00:00:00:02', dev: 'flannel.1', dst: '192.168.0.2', self: true, permanent: true, line: ++line } as BridgeFdbRecord]),
    );
  }
  const n2: HostSection[] = [
    sec('node2', 'node2/ip-addr.txt', 'ip-addr', [
      addr(1, 'lo', { linkType: 'loopback', addresses: [v4('127.0.0.1', 8)] }),
      addr(2, 'eth0', { mtu: 1500, addresses: [v4('192.168.0.2', 24)] }),
      addr(3, 'flannel.1', { mtu: 1450, mac: 'aa:00:00:00:00:02', addresses: [v4('10.42.1.0', 32)] }),
      addr(4, 'cni0', { mtu: 1450, addresses: [v4('10.42.1.1', 24)] }),
    ]),
    sec('node2', 'node2/ip-d-link.txt', 'ip-link', [
      { index: 3, name: 'flannel.1', flags: [], kind: 'vxlan', vxlan: { id: opts.vni2 ?? 1, dstport: 8472, local: '192.168.0.2', dev: 'eth0' }, line: ++line } as LinkRecord,
    ]),
    sec('node2', 'node2/route-n.txt', 'route-n', [
      rt('0.0.0.0/0', { gateway: '192.168.0.254', interface: 'eth0' }),
      rt('10.42.1.0/24', { interface: 'cni0' }),
      rt('10.42.0.0/24', { gateway: '10.42.0.0', interface: 'flannel.1' }),
    ]),
  ];
  const pod: HostSection[] = [
    sec('pod-a', 'pod-a/ip-addr.txt', 'ip-addr', [
      addr(1, 'lo', { linkType: 'loopback', addresses: [v4('127.0.0.1', 8)] }),
      addr(2, 'eth0', { mtu: opts.podMtu ?? 1450, peer: 'if5', linkNetns: '0', addresses: [v4('10.42.0.5', 24)] }),
    ]),
    sec('pod-a', 'pod-a/route-n.txt', 'route-n', [rt('0.0.0.0/0', { gateway: '10.42.0.1', interface: 'eth0' })]),
  ];
  const kubectl = sec(undefined, 'pods.txt', 'kubectl-pods', [
    { namespace: 'default', name: 'web', ready: '1/1', status: 'Running', ip: '10.42.1.7', node: 'node2', line: ++line } as KubectlPodRecord,
  ]);
  return [...n1, ...n2, ...pod, kubectl];
}

test('inferKind: ip -d link kind first, then names and veth peers', () => {
  assert.is(inferKind('lo'), 'loopback');
  assert.is(inferKind('eth0'), 'ethernet');
  assert.is(inferKind('eth0', { peer: 'if7' }), 'veth');
  assert.is(inferKind('vetha2194963'), 'veth');
  assert.is(inferKind('cni0'), 'bridge');
  assert.is(inferKind('mybr', { isMaster: true }), 'bridge');
  assert.is(inferKind('flannel.1'), 'vxlan');
  assert.is(inferKind('vxlan.calico'), 'vxlan');
  assert.is(inferKind('genev_sys_6081'), 'geneve');
  assert.is(inferKind('tunl0'), 'ipip');
  assert.is(inferKind('wg0', { linkType: 'none' }), 'other');
  assert.is(inferKind('eth0', { linkKind: 'vxlan' }), 'vxlan');
  assert.is(inferKind('x', { linkKind: 'dummy' }), 'other');
});

test('sameNode: kubectl FQDN matches the host folder by first label', () => {
  assert.ok(sameNode('ip-10-32-7-224.ap-northeast-2.compute.internal', 'ip-10-32-7-224'));
  assert.ok(sameNode('node1', 'node1'));
  assert.not.ok(sameNode('ip-10-32-7-224.ap-northeast-2.compute.internal', 'ip-10-32-11-62'));
  assert.not.ok(sameNode('node1', 'node10'));
});

test('build: hosts, roles, kinds, bridge ports, veth pair joined across namespaces, routes deduplicated', () => {
  const t = buildTopology(lab());
  assert.equal(t.hosts.map((h) => [h.name, h.role, h.node]), [
    ['node1', 'node', undefined],
    ['node2', 'node', undefined],
    ['pod-a', 'pod', 'node1'],
  ]);
  const n1 = t.hosts[0];
  assert.equal(n1.interfaces.map((i) => `${i.index}:${i.name}:${i.kind}`), ['1:lo:loopback', '2:eth0:ethernet', '3:flannel.1:vxlan', '4:cni0:bridge', '5:veth1:veth']);
  assert.equal(n1.interfaces[3].ports, ['veth1']);
  assert.is(n1.interfaces[4].peer, 'pod-a/eth0');
  assert.is(t.hosts[2].interfaces[1].peer, 'node1/veth1');
  assert.equal(n1.interfaces[2].vxlan, { vni: 1, port: 8472, local: '192.168.0.1', dev: 'eth0' });
  // route -n and ip route name 10.42.1.0/24 once; 0.0.0.0 gateway dropped
  assert.is(n1.routes.filter((r) => r.destination === '10.42.1.0/24').length, 1);
  assert.is(n1.routes.find((r) => r.destination === '192.168.0.0/24')?.gateway, undefined);
  assert.equal(n1.underlay?.address, '192.168.0.1');
  assert.is(n1.underlay?.source, 'vxlan-local');
});

test('build: overlay map from routes (no fdb dumps), remote without owner is a finding', () => {
  const t = buildTopology(lab());
  const o1 = t.overlay.find((o) => o.host === 'node1')!;
  assert.is(o1.subnet, '10.42.0.0/24');
  assert.is(o1.vni, 1);
  assert.is(o1.port, 8472);
  assert.equal(
    o1.remotes.map((r) => [r.subnet, r.gateway, r.vtep, r.host, r.source]),
    [
      ['10.42.1.0/24', '10.42.1.0', '192.168.0.2', 'node2', 'route'],
      ['10.42.9.0/24', '10.42.9.0', undefined, undefined, 'route'],
    ],
  );
  const o2 = t.overlay.find((o) => o.host === 'node2')!;
  assert.equal(o2.remotes.map((r) => [r.subnet, r.vtep, r.host, r.source]), [['10.42.0.0/24', '192.168.0.1', 'node1', 'route']]);
  assert.equal(t.findings.map((f) => f.code), ['route-no-owner']);
  assert.ok(t.findings[0].message.includes('10.42.9.0/24'));
});

test('build: fdb + neigh link a remote (source fdb)', () => {
  const t = buildTopology(lab({ withFdb: true }));
  const r = t.overlay.find((o) => o.host === 'node1')!.remotes[0];
  assert.equal([r.vtep, r.host, r.source], ['192.168.0.2', 'node2', 'fdb']);
  assert.is(r.evidence.length, 3);
  // 10.42.9.0 has neither a neigh nor an fdb entry
  assert.ok(t.findings.some((f) => f.code === 'missing-fdb' && f.message.includes('10.42.9.0')));
});

test('build: findings vxlan-mismatch, mtu (tunnel and pod side)', () => {
  assert.ok(buildTopology(lab({ vni2: 2 })).findings.some((f) => f.code === 'vxlan-mismatch' && f.message.includes('VNI')));
  const mtu = buildTopology(lab({ mtu1: 1500 })).findings.filter((f) => f.code === 'mtu');
  assert.is(mtu.length, 1);
  assert.ok(mtu[0].message.includes('flannel.1 mtu 1500'));
  const pod = buildTopology(lab({ podMtu: 9000 })).findings.filter((f) => f.code === 'mtu');
  assert.ok(pod[0].message.includes('pod-a/eth0 mtu 9000'), pod[0].message);
});

test('build: pods from kubectl, pod dumps and captures', () => {
  const facts = newCaptureFacts('node2/cni0.pcap', 'node2');
  facts.packets = 4;
  facts.addresses.push('10.42.1.7', '10.42.1.8', '10.42.1.1');
  const t = buildTopology(lab(), [facts]);
  assert.equal(t.pods.map((p) => [p.name, p.ip, p.host, p.source]), [
    ['pod-a', '10.42.0.5', 'node1', 'pod-dump'],
    ['10.42.1.8', '10.42.1.8', 'node2', 'capture'],
    ['web', '10.42.1.7', 'node2', 'kubectl'],
  ]);
  assert.equal(t.captures, [{ input: 'node2/cni0.pcap', host: 'node2', interface: 'cni0', via: 'file-name' }]);
});

test('build: overlay VNI/port and a remote VTEP from captured outer headers; host-without-dumps', () => {
  const sections = lab().filter((s) => !s.section.input.includes('ip-d-link') && !s.section.input.startsWith('node2'));
  const f = newCaptureFacts('node3/eth0.pcap', 'node3');
  f.packets = 2;
  addTunnel(f, { type: 'vxlan', outerSrc: '192.168.0.1', outerDst: '192.168.0.9', port: 8472, vni: 1, innerSrc: '10.42.0.5', innerDst: '10.42.9.3', packet: 1 });
  const t = buildTopology(sections, [f]);
  const o1 = t.overlay.find((o) => o.host === 'node1')!;
  assert.is(o1.local, '192.168.0.1');
  assert.is(o1.vni, 1);
  assert.is(o1.port, 8472);
  const r = o1.remotes.find((x) => x.subnet === '10.42.9.0/24')!;
  assert.equal([r.vtep, r.source], ['192.168.0.9', 'capture']);
  assert.ok(t.findings.some((x) => x.code === 'host-without-dumps' && x.message.startsWith('node3')));
});

test('build: duplicate-address across hosts', () => {
  const s = lab();
  s.push(sec('node3', 'node3/ip-addr.txt', 'ip-addr', [addr(2, 'eth0', { addresses: [v4('192.168.0.2', 24)] })]));
  const d = buildTopology(s).findings.filter((f) => f.code === 'duplicate-address');
  assert.is(d.length, 1);
  assert.ok(d[0].message.includes('node2 eth0 and node3 eth0'));
});

test('build: never throws on empty or odd records', () => {
  assert.equal(buildTopology([]), { hosts: [], pods: [], overlay: [], captures: [], findings: [] });
  const t = buildTopology([sec('x', 'x', 'route-n', [rt('garbage', { interface: 'flannel.1', gateway: 'zz' })]), sec('x', 'x', 'ip-addr', [addr(1, '')])]);
  assert.is(t.hosts.length, 1);
});

test.run();
