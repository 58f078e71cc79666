/**
 * The trace phase alone: flows and a topology built by hand (small typed inputs, no capture, no
 * dump), through clocks, traceFlows and diagnose.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { traceFlows } from '../../src/trace/trace.js';
import { estimateClocks, type CapturePointInfo } from '../../src/path/correlate.js';
import { diagnose } from '../../src/path/diagnose.js';
import type { Flow, Journey } from '../../src/path/flows.js';
import type { Host, Topology } from '../../src/topology/model.js';

const ev = { input: 'node1/ip-addr.txt', line: 1 };

function node1(): Host {
  return {
    name: 'node1',
    role: 'node',
    interfaces: [
      { name: 'lo', kind: 'loopback', addresses: [{ family: 'inet', address: '127.0.0.1', prefixLength: 8 }], evidence: [ev] },
      { name: 'eth0', index: 2, kind: 'ethernet', mtu: 1500, addresses: [{ family: 'inet', address: '10.32.0.1', prefixLength: 24 }], evidence: [ev] },
      { name: 'cni0', index: 3, kind: 'bridge', mtu: 1450, addresses: [{ family: 'inet', address: '10.42.0.1', prefixLength: 24 }], ports: ['veth-a', 'veth-b'], evidence: [ev] },
      { name: 'veth-a', index: 4, kind: 'veth', master: 'cni0', addresses: [], evidence: [ev] },
      { name: 'veth-b', index: 5, kind: 'veth', master: 'cni0', addresses: [], evidence: [ev] },
    ],
    routes: [
      { destination: '0.0.0.0/0', gateway: '10.32.0.254', interface: 'eth0', evidence: { input: 'node1/route-n.txt', line: 3 } },
      { destination: '10.32.0.0/24', interface: 'eth0', evidence: { input: 'node1/route-n.txt', line: 4 } },
      { destination: '10.42.0.0/24', interface: 'cni0', evidence: { input: 'node1/route-n.txt', line: 5 } },
    ],
    neighbors: [],
    fdb: [],
    listening: [],
    inputs: ['node1/ip-addr.txt', 'node1/route-n.txt'],
  };
}

function topology(): Topology {
  return {
    hosts: [node1()],
    pods: [
      { name: 'pod-a', namespace: 'default', ip: '10.42.0.5', host: 'node1', source: 'kubectl' },
      { name: 'pod-b', namespace: 'default', ip: '10.42.0.6', host: 'node1', source: 'kubectl' },
    ],
    overlay: [],
    captures: [{ input: 'node1/cni0.pcap', host: 'node1', interface: 'cni0', via: 'file-name' }],
    findings: [],
  };
}

const points = (): CapturePointInfo[] => [{ input: 'node1/cni0.pcap', host: 'node1', interface: 'cni0', packets: 4, first: 0, last: 3e6 }];

function journey(dir: 'fwd' | 'rev', role: Journey['role'], pair: string, packet: number, t: number): Journey {
  return { dir, role, pair, sightings: [{ capture: 0, packet, t }], summary: `packet ${packet}`, wireLength: 98 };
}

function flow(protocol: string, src: string, dst: string, journeys: Journey[], key = `${protocol}|${src}|${dst}`): Flow {
  const fwd = journeys.filter((j) => j.dir === 'fwd').length;
  const ts = journeys.map((j) => j.sightings[0].t);
  return {
    key,
    protocol,
    src: { ip: src },
    dst: { ip: dst },
    packets: { fwd, rev: journeys.length - fwd },
    journeys,
    dropped: 0,
    seen: new Map([[0, { packets: journeys.length, first: Math.min(...ts), last: Math.max(...ts), points: new Set<string>() }]]),
    loopback: false,
    first: Math.min(...ts),
    last: Math.max(...ts),
    index: new Map(),
    counts: { fwd, rev: journeys.length - fwd },
  };
}

function run(flows: Flow[]) {
  const topo = topology();
  const pts = points();
  const clocks = estimateClocks(flows, pts);
  const traced = traceFlows(flows, topo, pts, clocks, 1_700_000_000);
  return { traced, findings: diagnose(traced.diagnosed, topo, pts) };
}

test('an answered ping between two pods of one node: same-node, through the bridge, ok, no finding', () => {
  const ping = flow('icmp', '10.42.0.5', '10.42.0.6', [journey('fwd', 'request', 'e1', 1, 1e6), journey('rev', 'response', 'e1', 2, 1.1e6)], 'icmp-echo-7|10.42.0.5|10.42.0.6');
  const { traced, findings } = run([ping]);
  const [r] = traced.reports;
  assert.is(r.id, 'f1');
  assert.is(r.kind, 'same-node');
  assert.is(r.verdict, 'ok');
  assert.is(r.src.pod, 'pod-a');
  assert.is(r.dst.pod, 'pod-b');
  assert.ok(r.path.some((s) => s.action === 'bridge' && s.interface === 'cni0'), JSON.stringify(r.path));
  assert.is(r.path[r.path.length - 1].action, 'deliver');
  assert.ok(r.returnPath && r.returnPath.length > 0);
  assert.equal(r.seenAt.map((s) => s.input), ['node1/cni0.pcap']);
  assert.equal(findings, []);
});

test('IPv6 multicast (MLD report) is link-local: not route-checked, ok, never a finding', () => {
  const mld = flow('icmp6', 'fe80::1', 'ff02::16', [journey('fwd', 'other', '', 3, 2e6)]);
  const { traced, findings } = run([mld]);
  const [r] = traced.reports;
  assert.is(r.kind, 'link-local');
  assert.is(r.verdict, 'ok');
  assert.equal(r.path.map((s) => s.action), ['send', 'deliver']);
  assert.is(r.path[0].host, 'node1');
  assert.not.ok(r.path.some((s) => s.action === 'drop' || s.action === 'route'));
  assert.equal(findings, []);
});

test('a destination no host, pod or route knows: the path says what is missing, typed', () => {
  const odd = flow('udp', '10.42.0.5', '192.0.2.9', [journey('fwd', 'other', '', 4, 3e6)]);
  odd.src.port = 40000;
  odd.dst.port = 53;
  const { traced } = run([odd]);
  const [r] = traced.reports;
  assert.is(r.kind, 'external');
  const last = r.path[r.path.length - 1];
  assert.is(last.action, 'unknown');
  assert.is(last.cause, 'no-host');
  assert.ok(r.path.some((s) => s.action === 'underlay' && s.interface === 'eth0'), JSON.stringify(r.path));
});

test('a route that sends pod traffic nowhere: drop with cause no-route, finding no-route', () => {
  const topo = topology();
  topo.hosts[0].routes = topo.hosts[0].routes.filter((x) => x.destination !== '0.0.0.0/0');
  const f = flow('udp', '10.42.0.5', '198.51.100.7', [journey('fwd', 'other', '', 5, 4e6)]);
  f.src.port = 40001;
  f.dst.port = 9;
  const pts = points();
  const clocks = estimateClocks([f], pts);
  const traced = traceFlows([f], topo, pts, clocks, 1_700_000_000);
  const drop = traced.reports[0].path.find((s) => s.action === 'drop');
  assert.ok(drop, JSON.stringify(traced.reports[0].path));
  assert.is(drop!.cause, 'no-route');
  assert.equal(diagnose(traced.diagnosed, topo, pts).map((x) => x.code), ['no-route']);
});

test.run();
