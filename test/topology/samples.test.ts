/**
 * Every scenario of samples/ (built by samples/lab/run.sh): the topology podpath rebuilds from the
 * scenario folder equals what the lab recorded in lab.json (hosts with dumps, their interfaces, the
 * pods, the overlay map, capture points). Then one small real variant per finding: a scenario
 * copied to os.tmpdir() with one line edited (named in the test).
 *
 * Deviations from lab.json, by design (docs/topology-json.md):
 *  - the "aws-vpc" network namespace has no folder (no dumps): it is no host here, and the nodes'
 *    eth0 veth peers into it stay raw (`ifN`) instead of {host: aws-vpc, ...};
 *  - lab kinds come from `ip -j link` (`ether` for a plain device): mapped to ours (`ethernet`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLES } from '../helpers.js';
import { loadTopology } from '../../src/commands/topology.js';
import type { Topology } from '../../src/topology/model.js';

interface LabInterface {
  name: string;
  kind: string;
  ifindex: number;
  mtu: number;
  mac?: string;
  addresses: string[];
  master?: string | null;
  peer?: { host: string; interface: string; ifindex: number } | null;
  vxlan?: { vni: number; local: string; port: number; device?: string };
}
interface Lab {
  scenario: string;
  nodes: string[];
  hosts: { name: string; role: string; node?: string; folder: string | null; interfaces: LabInterface[]; routes: { dst: string; gateway?: string; dev?: string }[] }[];
  /**
   * A collect-metadata device (cilium-geneve) has no `vni` and no single `subnet`: `subnets` lists
   * the node's networks, and each remote carries the `vni` its encap route sends with. A stale
   * VTEP (stale-vtep) has no host (null) and `stale: true`.
   */
  overlay: Record<
    string,
    {
      device: string;
      vni?: number;
      port: number;
      local: string;
      subnet?: string;
      subnets?: string[];
      remotes: { subnet: string; vtep: string; gateway: string; host: string | null; vni?: number; stale?: boolean }[];
    }
  >;
  pods: { name: string; namespace: string; ip: string; host: string }[];
  captures: { file: string; host: string; interface: string }[];
  expect?: { rootCause: string | null; mustNotFind?: string[] };
}

/** PODPATH_SAMPLES points the test at another lab output (a fresh run.sh OUTDIR). */
const DIR = process.env.PODPATH_SAMPLES || SAMPLES;
const scenarios = existsSync(DIR)
  ? readdirSync(DIR)
      .filter((d) => existsSync(join(DIR, d, 'lab.json')))
      .sort()
  : [];
if (scenarios.length === 0) console.log('SKIP samples topology: no samples/*/lab.json yet (bash samples/lab/run.sh samples)');

const KIND: Record<string, string> = { ether: 'ethernet', loopback: 'loopback', veth: 'veth', bridge: 'bridge', vxlan: 'vxlan', geneve: 'geneve', ipip: 'ipip', gre: 'gre' };

async function load(dir: string, cwd = DIR): Promise<Topology> {
  const r = await loadTopology([dir], { cwd });
  return r.topology;
}

/**
 * Scenarios whose topology podpath does not rebuild right yet (issue #14 is open): not asserted
 * here, and the run says so. Remove a line when the topology gets the scenario right.
 */
const NOT_YET: Record<string, string> = {
};

for (const scenario of scenarios) {
  if (NOT_YET[scenario]) {
    console.log(`SKIP samples/${scenario}: topology not asserted, podpath does not rebuild it right yet (${NOT_YET[scenario]})`);
    continue;
  }
  test(`samples/${scenario}: topology equals lab.json (hosts, interfaces, pods, overlay map, capture points)`, async () => {
    const lab = JSON.parse(readFileSync(join(DIR, scenario, 'lab.json'), 'utf8')) as Lab;
    const t = await load(scenario);
    const dumped = lab.hosts.filter((h) => h.folder);
    assert.equal(t.hosts.map((h) => h.name).sort(), dumped.map((h) => h.name).sort(), 'hosts = the lab hosts with a folder');
    for (const lh of dumped) {
      const h = t.hosts.find((x) => x.name === lh.name)!;
      assert.is(h.role, lh.role === 'pod' ? 'pod' : 'node', `${lh.name} role`);
      if (lh.role === 'pod') assert.is(h.node, lh.node, `${lh.name} node`);
      assert.equal(h.interfaces.map((i) => i.name).sort(), lh.interfaces.map((i) => i.name).sort(), `${lh.name} interfaces`);
      for (const li of lh.interfaces) {
        const i = h.interfaces.find((x) => x.name === li.name)!;
        const where = `${lh.name} ${li.name}`;
        assert.is(i.index, li.ifindex, `${where} index`);
        assert.is(i.kind, KIND[li.kind] ?? 'other', `${where} kind`);
        assert.is(i.mtu, li.mtu, `${where} mtu`);
        if (li.mac) assert.is(i.mac, li.mac, `${where} mac`);
        assert.equal(i.addresses.map((a) => `${a.address}/${a.prefixLength}`).sort(), [...li.addresses].sort(), `${where} addresses`);
        assert.is(i.master, li.master ?? undefined, `${where} master`);
        if (li.peer) {
          const peerDumped = dumped.some((x) => x.name === li.peer!.host);
          assert.is(i.peer, peerDumped ? `${li.peer.host}/${li.peer.interface}` : `if${li.peer.ifindex}`, `${where} peer`);
        }
        if (li.vxlan) {
          assert.is(i.vxlan?.vni, li.vxlan.vni, `${where} vni`);
          assert.is(i.vxlan?.port, li.vxlan.port, `${where} port`);
          assert.is(i.vxlan?.local, li.vxlan.local, `${where} local`);
        }
      }
    }
    // Routes: ip route, route -n and the pasted session give each route once.
    for (const lh of dumped) {
      const h = t.hosts.find((x) => x.name === lh.name)!;
      const host = (d: string) => `${d}/${d.includes(':') ? 128 : 32}`;
      const want = lh.routes.map((r) => `${r.dst === 'default' ? '0.0.0.0/0' : r.dst.includes('/') ? r.dst : host(r.dst)} ${r.gateway ?? '-'} ${r.dev ?? '-'}`).sort();
      const got = h.routes.filter((r) => !r.table).map((r) => `${r.destination} ${r.gateway ?? '-'} ${r.interface ?? '-'}`).sort();
      if (got.length === 0 && !h.inputs.some((i) => /route|session/.test(i))) continue; // no route dump in its folder
      assert.equal(got, want, `${lh.name} routes`);
    }
    // Pods: every lab pod, on its node.
    for (const p of lab.pods) {
      const mine = t.pods.find((x) => x.name === p.name && x.ip === p.ip);
      assert.ok(mine, `pod ${p.name} ${p.ip}`);
      assert.is(mine!.namespace, p.namespace, `pod ${p.name} namespace`);
      assert.is(mine!.host, p.host, `pod ${p.name} host`);
    }
    assert.is(t.pods.length, lab.pods.length, 'no pods beyond the lab ones');
    // Overlay map.
    assert.equal(t.overlay.map((o) => o.host).sort(), Object.keys(lab.overlay).sort(), 'overlay hosts');
    for (const [node, lo] of Object.entries(lab.overlay)) {
      const o = t.overlay.find((x) => x.host === node)!;
      // The node's (IPv4) pod subnet: one of the lab's `subnets` when it lists several.
      const subnet = lo.subnets ? lo.subnets.find((s) => s === o.subnet) : lo.subnet;
      assert.ok(!lo.subnets || o.subnet !== undefined, `${node}: pod subnet found`);
      assert.equal(
        { device: o.device, vni: o.vni, port: o.port, local: o.local, subnet: o.subnet },
        { device: lo.device, vni: lo.vni, port: lo.port, local: lo.local, subnet },
        `${node} overlay`,
      );
      assert.equal(
        // A stale VTEP (no node's address) has no host: null in lab.json, absent here.
        o.remotes.map((r) => ({ subnet: r.subnet, vtep: r.vtep, gateway: r.gateway, host: r.host ?? null, vni: r.vni, stale: r.stale === true })),
        lo.remotes.map((r) => ({ subnet: r.subnet, vtep: r.vtep, gateway: r.gateway, host: r.host ?? null, vni: r.vni, stale: r.stale === true })).sort((a, b) => (a.subnet < b.subnet ? -1 : 1)),
        `${node} remotes`,
      );
      // The lab dumps fdb and neigh, so every remote is linked by fdb; encap routes name their endpoint.
      for (const r of o.remotes) {
        const want = lo.remotes.find((x) => x.subnet === r.subnet)?.vni !== undefined ? 'encap' : 'fdb';
        assert.is(r.source, want, `${node} ${r.subnet}: linked by ${want}`);
      }
    }
    // Capture points.
    for (const c of lab.captures) {
      const b = t.captures.find((x) => x.input === `${scenario}/${c.file}`);
      assert.ok(b, `capture ${c.file}`);
      assert.equal([b!.host, b!.interface], [c.host, c.interface], `capture ${c.file}`);
    }
    // A healthy lab has nothing to warn about; a broken one only its root cause (lab.json expect),
    // when the dumps alone show it (mtu-fragments: the VXLAN device MTU).
    const rootCause = lab.expect?.rootCause ?? undefined;
    assert.equal(t.findings.filter((f) => f.severity !== 'info' && f.code !== rootCause).map((f) => `${f.code}: ${f.message}`), [], 'findings');
    if (lab.expect?.rootCause === 'mtu') assert.ok(t.findings.some((f) => f.code === 'mtu'), 'the dumps show the MTU root cause');
  });
}

// ---------------------------------------------------------------------------------------------
// Variants: a real scenario copied to a temp folder with one line edited.

/**
 * Replaces `from` by `to` in every dump of `host` that states it (ip addr text and JSON, ip -d link,
 * a pasted session): "the host said this when it was dumped". At least one file must change.
 */
function edit(dir: string, host: string, from: RegExp, to: string, files?: string[]): string[] {
  const changed: string[] = [];
  for (const f of readdirSync(join(dir, host)).sort()) {
    if (/\.(pcap|pcapng|gz)$/.test(f) || (files && !files.includes(f))) continue;
    const p = join(dir, host, f);
    const text = readFileSync(p, 'utf8');
    const next = text.replace(from, to);
    if (next !== text) {
      writeFileSync(p, next);
      changed.push(f);
    }
  }
  assert.ok(changed.length > 0, `${host}: no dump contains ${from}`);
  return changed;
}

async function withVariant(scenario: string | undefined, change: (dir: string) => void, check: (t: Topology) => void): Promise<void> {
  if (!scenario) return;
  const root = mkdtempSync(join(tmpdir(), 'podpath-variant-'));
  try {
    cpSync(join(DIR, scenario), join(root, scenario), { recursive: true });
    change(join(root, scenario));
    check(await load(scenario, root));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const CP = 'ip-10-32-11-62';
const WK = 'ip-10-32-7-224';
const CROSS = scenarios.includes('cross-node') ? 'cross-node' : undefined;
const INTRA = scenarios.includes('intra-pod') ? 'intra-pod' : undefined;
const find = (t: Topology, code: string) => t.findings.filter((f) => f.code === code);

test('mtu: cross-node with the worker flannel.1 mtu edited to 9001', () =>
  withVariant(
    CROSS,
    (d) => edit(d, WK, /(flannel\.1: <[^>]*> mtu |"ifname":\s*"flannel\.1",[^{}]*?"mtu":\s*)8951/g, '$19001'),
    (t) => {
      const f = find(t, 'mtu');
      assert.is(f.length, 1, JSON.stringify(t.findings));
      assert.is(f[0].severity, 'error');
      assert.ok(f[0].message.includes(`${WK}: flannel.1 mtu 9001 is above eth0 mtu 9001 minus the 50-byte VXLAN overhead (8951)`), f[0].message);
      assert.ok(f[0].evidence.some((e) => e.text?.includes('mtu 9001')));
      assert.is(find(t, 'dump-conflict').length, 0, 'every dump of the worker was edited alike');
    },
  ));

test('mtu: cross-node with the worker cni0 mtu edited to 9001 (pod side above flannel.1)', () =>
  withVariant(
    CROSS,
    (d) => edit(d, WK, /(cni0: <[^>]*> mtu |"ifname":\s*"cni0",[^{}]*?"mtu":\s*)8951/g, '$19001'),
    (t) => {
      const f = find(t, 'mtu');
      assert.is(f.length, 1);
      assert.is(f[0].severity, 'warning');
      assert.ok(f[0].message.startsWith(`${WK}: cni0 mtu 9001 above flannel.1 mtu 8951`), f[0].message);
    },
  ));

test('dump-conflict: cross-node with flannel.1 mtu edited to 9001 in the worker ip-addr.txt only', () =>
  withVariant(
    CROSS,
    (d) => edit(d, WK, /(flannel\.1: <[^>]*> mtu )8951/, '$19001', ['ip-addr.txt']),
    (t) => {
      const f = find(t, 'dump-conflict');
      assert.is(f.length, 1, JSON.stringify(t.findings));
      // Text dumps are read before JSON ones: ip addr's 9001 is kept; ip -d link (and ip -j addr)
      // say 8951: one finding per differing value.
      assert.ok(f[0].message.includes('flannel.1 mtu: 9001 (kept) and 8951'), f[0].message);
      assert.equal(f[0].evidence.map((e) => e.input), [`${CROSS}/${WK}/ip-addr.txt`, `${CROSS}/${WK}/ip-d-link.txt`]);
    },
  ));

test('vxlan-mismatch: cross-node with the worker vxlan id edited to 2 in ip-d-link.txt', () =>
  withVariant(
    CROSS,
    (d) => edit(d, WK, /vxlan id 1 /, 'vxlan id 2 ', ['ip-d-link.txt']),
    (t) => {
      const f = find(t, 'vxlan-mismatch');
      assert.ok(f.length >= 1, JSON.stringify(t.findings));
      assert.ok(f[0].message.includes('VNI differs between nodes'), f[0].message);
      assert.ok(f[0].message.includes(`${WK} flannel.1: VNI 2`));
      // The captures (taken with VNI 1) disagree with the edited device too.
      assert.ok(f.some((x) => x.message.includes('captured tunnel packets carry VNI 1 (device: 2)')), JSON.stringify(f));
    },
  ));

test('vxlan-mismatch: cross-node with the control plane dstport edited to 4789 in ip-d-link.txt', () =>
  withVariant(
    CROSS,
    (d) => edit(d, CP, /dstport 8472/, 'dstport 4789', ['ip-d-link.txt']),
    (t) => {
      const f = find(t, 'vxlan-mismatch');
      assert.ok(f.some((x) => x.message.includes('UDP port differs between nodes')), JSON.stringify(f));
    },
  ));

test('route-no-owner: cross-node with the control plane route to 10.42.1.0/24 edited to 10.42.5.0/24', () =>
  withVariant(
    CROSS,
    (d) => {
      edit(d, CP, /10\.42\.1\.0       10\.42\.1\.0 /g, '10.42.5.0       10.42.5.0 ');
      edit(d, CP, /10\.42\.1\.0\/24 via 10\.42\.1\.0 /, '10.42.5.0/24 via 10.42.5.0 ', ['ip-route.txt']);
    },
    (t) => {
      const f = find(t, 'route-no-owner');
      assert.is(f.length, 1, JSON.stringify(t.findings));
      assert.ok(f[0].message.startsWith(`${CP}: route 10.42.5.0/24 via 10.42.5.0 dev flannel.1 leads to no host`), f[0].message);
      assert.ok(f[0].evidence[0].text?.startsWith('10.42.5.0'), f[0].evidence[0].text);
      const r = t.overlay.find((o) => o.host === CP)!.remotes[0];
      assert.equal([r.subnet, r.host, r.vtep], ['10.42.5.0/24', undefined, undefined]);
      // ip neigh has no entry for the new gateway either.
      assert.ok(find(t, 'missing-fdb').some((x) => x.message.includes('10.42.5.0')));
    },
  ));

test('duplicate-address: cross-node with the worker eth0 address edited to 10.32.11.62', () =>
  withVariant(
    CROSS,
    (d) => edit(d, WK, /(inet |"local":\s*")10\.32\.7\.224/g, '$110.32.11.62', ['ip-addr.txt', 'ip-addr.json']),
    (t) => {
      const f = find(t, 'duplicate-address');
      assert.is(f.length, 1, JSON.stringify(t.findings));
      assert.is(f[0].message, `10.32.11.62 is on ${CP} eth0 and ${WK} eth0`);
    },
  ));

test('missing-fdb: cross-node with the control plane fdb entry for 10.32.7.224 deleted', () =>
  withVariant(
    CROSS,
    (d) => edit(d, CP, /^.* dev flannel\.1 dst 10\.32\.7\.224 .*\n/m, '', ['bridge-fdb.txt']),
    (t) => {
      const f = find(t, 'missing-fdb');
      assert.is(f.length, 1, JSON.stringify(t.findings));
      assert.ok(f[0].message.includes(`${CP}: no bridge fdb entry on flannel.1 for VTEP 10.32.7.224`), f[0].message);
      // The neighbour entry still names the worker's flannel.1 MAC.
      const r = t.overlay.find((o) => o.host === CP)!.remotes[0];
      assert.equal([r.source, r.vtep, r.host], ['neigh', '10.32.7.224', WK]);
    },
  ));

test('host-without-dumps: cross-node with every dump of the worker deleted (captures kept)', () =>
  withVariant(
    CROSS,
    (d) => {
      for (const f of readdirSync(join(d, WK))) if (!/\.(pcap|pcapng|gz)$/.test(f)) unlinkSync(join(d, WK, f));
    },
    (t) => {
      const f = find(t, 'host-without-dumps');
      assert.is(f.length, 1);
      assert.ok(f[0].message.startsWith(`${WK}: captures but no dumps`));
      const w = t.hosts.find((h) => h.name === WK)!;
      assert.equal(w.interfaces, []);
      // Its captures are bound by name all the same; the control plane still maps the worker by fdb.
      assert.ok(t.captures.filter((c) => c.host === WK).every((c) => c.interface === 'eth0' || c.interface === 'cni0' || c.interface === 'flannel.1'));
      const r = t.overlay.find((o) => o.host === CP)!.remotes[0];
      assert.equal([r.source, r.vtep], ['fdb', '10.32.7.224']);
    },
  ));

test('capture-point-inferred: cross-node with the worker eth0.pcap renamed trace.pcap', () =>
  withVariant(
    CROSS,
    (d) => renameSync(join(d, WK, 'eth0.pcap'), join(d, WK, 'trace.pcap')),
    (t) => {
      const b = t.captures.find((c) => c.input.endsWith('/trace.pcap'))!;
      assert.equal([b.host, b.interface, b.via], [WK, 'eth0', 'content']);
      const f = find(t, 'capture-point-inferred');
      assert.is(f.length, 1);
      assert.ok(f[0].message.includes('outer VXLAN headers'), f[0].message);
    },
  ));

const CILIUM = scenarios.includes('cilium-geneve') ? 'cilium-geneve' : undefined;

test('overlay-conflict: cilium-geneve with the control plane encap endpoint for 10.0.1.0/24 edited to 10.32.7.99', () =>
  withVariant(
    CILIUM,
    (d) => edit(d, CP, /(10\.0\.1\.0\/24 +encap ip id 48312 src 0\.0\.0\.0 dst )10\.32\.7\.224/, '$110.32.7.99', ['ip-route.txt']),
    (t) => {
      const r = t.overlay.find((o) => o.host === CP)!.remotes.find((x) => x.subnet === '10.0.1.0/24')!;
      assert.equal([r.source, r.vtep, r.vni, r.host], ['encap', '10.32.7.99', 48312, WK]);
      const f = find(t, 'overlay-conflict');
      assert.is(f.length, 1, JSON.stringify(t.findings));
      assert.ok(f[0].message.includes(`encap sends 10.0.1.0/24 to VTEP 10.32.7.99, but ${WK}'s underlay address is 10.32.7.224`), f[0].message);
      // The IPv6 route still names the right endpoint.
      const v6 = t.overlay.find((o) => o.host === CP)!.remotes.find((x) => x.subnet === 'fd00:10:0:1::/64')!;
      assert.equal([v6.vtep, v6.host], ['10.32.7.224', WK]);
      assert.is(find(t, 'missing-fdb').length, 0, 'encap routes need no fdb');
    },
  ));

test('cilium-geneve without ip -d link: cilium_geneve is a geneve device by its name, cilium_host/cilium_net still pair', () =>
  withVariant(
    CILIUM,
    (d) => {
      unlinkSync(join(d, CP, 'ip-d-link.txt'));
      unlinkSync(join(d, WK, 'ip-d-link.txt'));
    },
    (t) => {
      const h = t.hosts.find((x) => x.name === CP)!;
      const g = h.interfaces.find((i) => i.name === 'cilium_geneve')!;
      assert.equal([g.kind, g.tunnelInferred], ['geneve', undefined]);
      assert.equal(['cilium_host', 'cilium_net', 'lxc760fe213fc21'].map((n) => h.interfaces.find((i) => i.name === n)!.kind), ['veth', 'veth', 'veth']);
      assert.is(h.interfaces.find((i) => i.name === 'cilium_net')!.peer, `${CP}/cilium_host`);
      assert.is(find(t, 'tunnel-inferred').length, 0);
      assert.equal(t.overlay.map((o) => [o.host, o.device, o.vni, o.remotes.length]), [[CP, 'cilium_geneve', undefined, 2], [WK, 'cilium_geneve', undefined, 2]]);
    },
  ));

test('pod namespace: intra-pod test/ joined to the worker veth; role from its dumps', () =>
  withVariant(
    INTRA,
    () => undefined,
    (t) => {
      const pod = t.hosts.find((h) => h.name === 'test')!;
      assert.equal([pod.role, pod.node], ['pod', WK]);
      const eth0 = pod.interfaces.find((i) => i.name === 'eth0')!;
      const [node, veth] = eth0.peer!.split('/');
      assert.is(node, WK);
      assert.is(t.hosts.find((h) => h.name === WK)!.interfaces.find((i) => i.name === veth)!.peer, 'test/eth0');
      assert.ok(pod.listening.some((l) => l.port === 80) && pod.listening.some((l) => l.port === 8080), 'netstat -anp: both listeners');
    },
  ));

test.run();
