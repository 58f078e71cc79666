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
  hosts: { name: string; role: string; node?: string; folder: string | null; interfaces: LabInterface[] }[];
  overlay: Record<string, { device: string; vni: number; port: number; local: string; subnet: string; remotes: { subnet: string; vtep: string; gateway: string; host: string }[] }>;
  pods: { name: string; namespace: string; ip: string; host: string }[];
  captures: { file: string; host: string; interface: string }[];
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

for (const scenario of scenarios) {
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
      assert.equal(
        { device: o.device, vni: o.vni, port: o.port, local: o.local, subnet: o.subnet },
        { device: lo.device, vni: lo.vni, port: lo.port, local: lo.local, subnet: lo.subnet },
        `${node} overlay`,
      );
      assert.equal(
        o.remotes.map((r) => ({ subnet: r.subnet, vtep: r.vtep, gateway: r.gateway, host: r.host })),
        lo.remotes.map((r) => ({ subnet: r.subnet, vtep: r.vtep, gateway: r.gateway, host: r.host })).sort((a, b) => (a.subnet < b.subnet ? -1 : 1)),
        `${node} remotes`,
      );
      assert.ok(o.remotes.every((r) => r.source === 'fdb'), `${node}: the lab dumps fdb and neigh, so every remote is linked by fdb`);
    }
    // Capture points.
    for (const c of lab.captures) {
      const b = t.captures.find((x) => x.input === `${scenario}/${c.file}`);
      assert.ok(b, `capture ${c.file}`);
      assert.equal([b!.host, b!.interface], [c.host, c.interface], `capture ${c.file}`);
    }
    // A healthy lab has nothing to warn about.
    assert.equal(t.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code}: ${f.message}`), [], 'findings');
  });
}

// ---------------------------------------------------------------------------------------------
// Variants: a real scenario copied to a temp folder with one line edited.

const CROSS = scenarios.includes('cross-node') ? 'cross-node' : undefined;

function variant(scenario: string, edit: (dir: string) => void): string {
  const root = mkdtempSync(join(tmpdir(), 'podpath-variant-'));
  cpSync(join(DIR, scenario), join(root, scenario), { recursive: true });
  edit(join(root, scenario));
  return root;
}

/** Replaces `from` by `to` in one file; the file must contain it. */
function sub(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  assert.ok(next !== text, `${file} contains ${from}`);
  writeFileSync(file, next);
}

async function withVariant(scenario: string | undefined, edit: (dir: string) => void, check: (t: Topology) => void): Promise<void> {
  if (!scenario) return;
  const root = variant(scenario, edit);
  try {
    check(await load(scenario, root));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function codes(t: Topology): string[] {
  return t.findings.map((f) => f.code);
}

export { CROSS, sub, withVariant, codes, unlinkSync, renameSync };

test.run();
