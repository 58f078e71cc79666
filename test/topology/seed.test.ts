/**
 * The seed blog post (../shared/seed/pod-network.md): two AWS nodes, no fdb, no ip -d link, and only
 * the worker's `ip addr`. The blocks are cut from the post here (never copied into the project).
 *
 * What is honestly derivable, and how (see docs/topology-json.md, "Overlay sources"):
 *  - control plane -> 10.42.1.0/24: route via 10.42.1.0 dev flannel.1; the worker's flannel.1 holds
 *    10.42.1.0/32 -> host ip-10-32-7-224; its underlay 10.32.7.224 is the address on its
 *    default-route interface eth0 (source "route", underlay "default-route").
 *  - worker -> 10.42.0.0/24: route via 10.42.0.0 dev flannel.1; no dump holds 10.42.0.0, but the
 *    control plane's own route table has 10.42.0.0/24 dev cni0, its pod subnet -> host
 *    ip-10-32-11-62; with no ip addr of it, its underlay 10.32.11.62 is read from its AWS name and
 *    accepted only because its connected route 10.32.0.0/20 dev eth0 contains it (underlay "name",
 *    with an info finding saying so).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shared } from '../helpers.js';
import { parseDump } from '../../src/dumps/index.js';
import { buildTopology, type HostSection } from '../../src/topology/build.js';
import { lookupRoute } from '../../src/topology/lookup.js';

const CP = 'ip-10-32-11-62';
const WORKER = 'ip-10-32-7-224';

function blocks(md: string): string[] {
  return [...md.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]);
}

function seed(): { sections: HostSection[]; lines: Map<string, string[]> } | undefined {
  const dir = shared('seed topology (pod-network.md)');
  if (!dir) return undefined;
  const all = blocks(readFileSync(join(dir, 'seed', 'pod-network.md'), 'utf8'));
  const ipAddr = all.find((b) => b.startsWith('$ ip addr show') && b.includes('1: lo:'))!;
  const routes = all.filter((b) => b.startsWith('$ route -n'));
  const pods = all.find((b) => b.includes('kubectl get pods -o wide') && b.includes('10.42.0.37'))!;
  const podsA = all.find((b) => b.includes('get pods -A -o wide'))!;
  const vlan = all.find((b) => b.startsWith('$ bridge vlan'))!;
  assert.ok(ipAddr && routes.length === 2 && pods && podsA && vlan, 'the seed has the blocks this test cuts');
  const inputs: [string | undefined, string, string][] = [
    [WORKER, `${WORKER}/ip-addr.txt`, ipAddr],
    [WORKER, `${WORKER}/bridge-vlan.txt`, vlan],
    [CP, `${CP}/route-n.txt`, routes[0]],
    [WORKER, `${WORKER}/route-n.txt`, routes[1]],
    [undefined, 'pods.txt', pods],
    [undefined, 'pods-A.txt', podsA],
  ];
  const sections: HostSection[] = [];
  const lines = new Map<string, string[]>();
  for (const [host, input, text] of inputs) {
    lines.set(input, text.split('\n'));
    for (const section of parseDump(input, text)) sections.push({ host, section });
  }
  return { sections, lines };
}

const s = seed();
const topo = s && buildTopology(s.sections, [], { lineText: (input, line) => s.lines.get(input)?.[line - 1] });

test('seed: parsers read every block (no unknown sections)', () => {
  if (!s) return;
  assert.equal(
    s.sections.map((x) => `${x.host ?? '-'} ${x.section.command}`),
    [`${WORKER} ip-addr`, `${WORKER} bridge-vlan`, `${CP} route-n`, `${WORKER} route-n`, '- kubectl-pods', '- kubectl-pods'],
  );
});

test('seed: two nodes; the worker interfaces with kinds, bridge port, raw veth peer', () => {
  if (!topo) return;
  assert.equal(topo.hosts.map((h) => [h.name, h.role]), [[CP, 'node'], [WORKER, 'node']]);
  const w = topo.hosts[1];
  assert.equal(
    w.interfaces.map((i) => [i.index, i.name, i.kind, i.mtu]),
    [
      [1, 'lo', 'loopback', 65536],
      [2, 'eth0', 'ethernet', 9001],
      [3, 'flannel.1', 'vxlan', 8951],
      [4, 'cni0', 'bridge', 8951],
      [5, 'vetha2194963', 'veth', 8951],
    ],
  );
  const cni0 = w.interfaces[3];
  assert.equal(cni0.ports, ['vetha2194963']);
  assert.equal(cni0.vlans, [
    { port: 'cni0', vlan: 1, pvid: true, untagged: true },
    { port: 'vetha2194963', vlan: 1, pvid: true, untagged: true },
  ]);
  const veth = w.interfaces[4];
  assert.is(veth.peer, 'if2', 'no pod dumps: the peer stays raw');
  assert.is(veth.linkNetns, 'cni-3cb42f8b-53d8-58ac-1f0a-b379faa755c5');
  assert.is(veth.master, 'cni0');
  assert.equal(w.interfaces[2].addresses.map((a) => `${a.address}/${a.prefixLength}`), ['10.42.1.0/32', 'fe80::2c98:28ff:fe11:b8e/64']);
  // The control plane is known from its route table only: its interfaces are the ones routes name.
  assert.equal(topo.hosts[0].interfaces.map((i) => [i.name, i.kind]).sort(), [['cni0', 'bridge'], ['docker0', 'bridge'], ['eth0', 'ethernet'], ['flannel.1', 'vxlan']]);
  assert.is(lookupRoute(topo.hosts[0], '10.42.1.39')?.interface, 'flannel.1');
});

test('seed: overlay map 10.42.0.0/24 <-> 10.42.1.0/24 over flannel.1 between 10.32.11.62 and 10.32.7.224, without fdb', () => {
  if (!topo) return;
  const summary = topo.overlay.map((o) => ({
    host: o.host,
    device: o.device,
    local: o.local,
    subnet: o.subnet,
    remotes: o.remotes.map((r) => ({ subnet: r.subnet, gateway: r.gateway, vtep: r.vtep, host: r.host, source: r.source })),
  }));
  assert.equal(summary, [
    { host: CP, device: 'flannel.1', local: '10.32.11.62', subnet: '10.42.0.0/24', remotes: [{ subnet: '10.42.1.0/24', gateway: '10.42.1.0', vtep: '10.32.7.224', host: WORKER, source: 'route' }] },
    { host: WORKER, device: 'flannel.1', local: '10.32.7.224', subnet: '10.42.1.0/24', remotes: [{ subnet: '10.42.0.0/24', gateway: '10.42.0.0', vtep: '10.32.11.62', host: CP, source: 'route' }] },
  ]);
  // No VNI or port is claimed: nothing in the seed's dumps says it (tcpdump text is no dump).
  assert.is(topo.overlay[0].vni, undefined);
  assert.is(topo.overlay[0].port, undefined);
  assert.is(topo.hosts[1].underlay?.source, 'default-route');
  assert.is(topo.hosts[0].underlay?.source, 'name');
  // Evidence: the control plane's route line, verbatim.
  const ev = topo.overlay[0].remotes[0].evidence[0];
  assert.equal([ev.input, ev.text], [`${CP}/route-n.txt`, '10.42.1.0       10.42.1.0       255.255.255.0   UG    0      0        0 flannel.1']);
});

test('seed: pods from kubectl land on the host folders (FQDN node names)', () => {
  if (!topo) return;
  assert.equal(topo.pods.map((p) => [p.namespace ?? '', p.name, p.ip, p.host]), [
    ['', 'pod2', '10.42.0.37', CP],
    ['', 'pod1', '10.42.1.39', WORKER],
    ['kube-system', 'svclb-traefik-549b62e4-dqvvz', '10.42.1.34', WORKER],
  ]);
});

test('seed: findings are only the honest caveat about the control plane underlay', () => {
  if (!topo) return;
  assert.equal(topo.findings.map((f) => [f.severity, f.code]), [['info', 'underlay-from-name']]);
  assert.ok(topo.findings[0].message.includes('10.32.11.62'));
});

test.run();
