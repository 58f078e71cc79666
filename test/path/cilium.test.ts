/**
 * samples/cilium-geneve (samples/lab/cilium.sh): a Cilium-style routed datapath, healthy. Every
 * cross-node flow, IPv4 and IPv6, is encapsulated on its sending node, crosses both eth0s and is
 * decapsulated on the other node, with the VNI the lab recorded for that direction (each direction
 * has its own: the sender's identity); same-node flows never touch the tunnel; the headline is
 * "No problem found"; the tap that served Geneve is said to be inferred.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../src/analyze.js';
import type { FlowReport, Report, Step } from '../../src/path/types.js';
import { summarize } from '../../src/report/summary.js';
import { ROOT, SAMPLES } from '../helpers.js';

interface LabEncap {
  type: string;
  port: number;
  vni: number;
  outerSrc: string;
  outerDst: string;
}
interface LabFlow {
  id: string;
  protocol: string;
  family: 'ipv4' | 'ipv6';
  src: string;
  dst: string;
  kind: string;
  encap?: LabEncap;
  reply: { encap?: LabEncap } | null;
}
interface Lab {
  nodes: string[];
  flows: LabFlow[];
  overlay: Record<string, { device: string; remotes: { subnet: string; vni: number }[] }>;
}

const DIR = join(SAMPLES, 'cilium-geneve');
if (!existsSync(join(DIR, 'lab.json'))) console.log('SKIP cilium-geneve: no samples/cilium-geneve/lab.json (bash samples/lab/cilium.sh samples)');
else {
  let cached: { lab: Lab; report: Report } | undefined;
  const load = async () => {
    cached ??= {
      lab: JSON.parse(readFileSync(join(DIR, 'lab.json'), 'utf8')) as Lab,
      report: await analyze([join('samples', 'cilium-geneve')], { cwd: ROOT, hash: false }),
    };
    return cached;
  };
  const flowOf = (r: Report, f: LabFlow): FlowReport | undefined =>
    r.flows.find((x) => x.protocol === (f.protocol === 'icmpv6' ? 'icmp6' : f.protocol) && x.src.ip === f.src && x.dst.ip === f.dst);

  /** The tunnel part of a path: encap on the sender, underlay on both nodes, decap on the receiver. */
  function tunnelLeg(path: Step[], e: LabEncap, from: string, to: string): void {
    const encap = path.find((s) => s.action === 'encap');
    const decap = path.find((s) => s.action === 'decap');
    assert.ok(encap && decap, `encap and decap in ${path.map((s) => `${s.host} ${s.interface} ${s.action}`).join(', ')}`);
    assert.equal([encap.host, encap.interface, decap.host, decap.interface], [from, 'cilium_geneve', to, 'cilium_geneve']);
    for (const s of [encap, decap]) assert.equal(s.tunnel, { type: e.type, vni: e.vni, port: e.port, outer: { src: e.outerSrc, dst: e.outerDst } }, `${s.action} tunnel`);
    const under = path.filter((s) => s.action === 'underlay').map((s) => `${s.host} ${s.interface}`);
    assert.equal(under, [`${from} eth0`, `${to} eth0`], 'underlay on both nodes');
    const order = path.map((s) => s.action);
    assert.ok(order.indexOf('encap') < order.indexOf('underlay') && order.lastIndexOf('underlay') < order.indexOf('decap'), order.join(' '));
  }

  test('cilium-geneve: every cross-node flow, IPv4 and IPv6, has encap, underlay and decap on both nodes, with the VNI of its direction', async () => {
    const { lab, report } = await load();
    const cross = lab.flows.filter((f) => f.kind === 'cross-node');
    assert.ok(cross.some((f) => f.family === 'ipv6') && cross.some((f) => f.family === 'ipv4'), 'the lab has both families');
    const [cp, wk] = lab.nodes;
    for (const f of cross) {
      const got = flowOf(report, f);
      assert.ok(got, `${f.id}: flow found`);
      assert.is(got.kind, 'cross-node', `${f.id} kind`);
      assert.is(got.verdict, 'ok', `${f.id} verdict: ${got.why}`);
      tunnelLeg(got.path, f.encap!, cp, wk);
      assert.ok(got.returnPath, `${f.id}: return path`);
      tunnelLeg(got.returnPath!, f.reply!.encap!, wk, cp);
      assert.not.equal(f.encap!.vni, f.reply!.encap!.vni, 'the lab uses a VNI per direction');
    }
  });

  test('cilium-geneve: same-node flows are routed lxc to lxc, never through the tunnel', async () => {
    const { lab, report } = await load();
    for (const f of lab.flows.filter((x) => x.kind === 'same-node')) {
      const got = flowOf(report, f)!;
      assert.is(got.verdict, 'ok', f.id);
      assert.ok(got.path.every((s) => s.action !== 'encap' && s.action !== 'bridge' && s.interface !== 'cilium_geneve'), `${f.id}: ${got.summary}`);
      assert.equal(
        got.path.filter((s) => s.action === 'route').map((s) => s.interface?.slice(0, 3)),
        ['lxc', 'lxc'],
        `${f.id}: in through one lxc veth, out through another`,
      );
    }
  });

  test('cilium-geneve: "No problem found", the per-direction VNI is no vxlan-mismatch, the tap is an inferred Geneve device', async () => {
    const { lab, report } = await load();
    const s = summarize(report);
    assert.is(s.status, 'ok');
    assert.match(s.headline, /^no problem found/);
    assert.equal(report.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code}: ${f.message}`), []);
    const inferred = report.findings.filter((f) => f.code === 'tunnel-inferred');
    assert.equal(inferred.map((f) => f.message.split(':')[0]).sort(), [...lab.nodes].sort());
    for (const f of inferred) assert.match(f.message, /cilium_geneve is taken as a Geneve tunnel by its name and the 2 encap route\(s\) into it .* although ip -d link says tun/);
    // The overlay map: no device VNI (external), one VNI per remote, IPv4 and IPv6 subnets.
    for (const [node, lo] of Object.entries(lab.overlay)) {
      const o = report.topology.overlay.find((x) => x.host === node && x.device === lo.device)!;
      assert.is(o.vni, undefined, `${node}: an external device has no VNI of its own`);
      assert.equal(
        o.remotes.map((r) => [r.subnet, r.vni, r.source]),
        lo.remotes.map((r) => [r.subnet, r.vni, 'encap']),
      );
    }
  });
}

test.run();
