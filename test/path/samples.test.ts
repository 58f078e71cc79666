/**
 * The analysis of every bundled scenario against what the lab that made it recorded (lab.json):
 * each flow's kind, path (host, interface and action sequence), verdict, and the captures that
 * hold it; the blocked overlay's finding; latencies and clock offsets across nodes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyze } from '../../src/analyze.js';
import type { FlowReport, Report } from '../../src/path/types.js';
import { renderExplain } from '../../src/report/index.js';
import { ROOT, SAMPLES } from '../helpers.js';

interface LabHop {
  host: string;
  interface: string;
  action: string;
}
interface LabFlow {
  id: string;
  protocol: string;
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  kind: string;
  expect: string;
  path: LabHop[];
  reply: { path: LabHop[] } | null;
  captures: string[];
  absentFrom?: string[];
  srcHost?: string;
  /** Services scenario: what the Service's NAT did. */
  service?: { namespace: string; name: string; clusterIP: string; port: number; nodePort?: number };
  backend?: { ip: string; port: number; pod?: string; host?: string };
  nat?: { type: string; host: string; from: { ip: string; port?: number }; to: { ip: string; port?: number } }[];
  encap?: { outerDst: string };
}
interface Lab {
  scenario: string;
  hosts: { name: string; role: string; folder: string | null }[];
  flows: LabFlow[];
  overlay: Record<string, { port: number; vni: number; local: string }>;
}

const scenarios = existsSync(SAMPLES)
  ? readdirSync(SAMPLES).filter((d) => existsSync(join(SAMPLES, d, 'lab.json'))).sort()
  : [];
if (scenarios.length === 0) console.log('SKIP samples analysis: no samples/*/lab.json');

const reports = new Map<string, { lab: Lab; report: Report }>();
async function load(scenario: string) {
  let r = reports.get(scenario);
  if (!r) {
    const lab = JSON.parse(readFileSync(join(SAMPLES, scenario, 'lab.json'), 'utf8')) as Lab;
    const report = await analyze([join('samples', scenario)], { cwd: ROOT, hash: false });
    r = { lab, report };
    reports.set(scenario, r);
  }
  return r;
}

/**
 * The lab's kinds for ARP between a pod and a node are "host" flows in podpath's vocabulary; a
 * Service's kind follows its backend (external clients keep theirs; a rejected one ends at the node).
 */
function kindOf(lab: string, f?: LabFlow, l?: Lab): string {
  if (f && l && lab.startsWith('service-')) {
    const role = l.hosts.find((h) => h.name === f.srcHost)?.role;
    if (role === 'external') return 'external';
    if (!f.backend) return 'host';
    const srcNode = (l as unknown as { pods?: { name: string; host: string }[] }).pods?.find((p) => p.name === f.srcHost)?.host;
    return srcNode === f.backend.host ? 'same-node' : 'cross-node';
  }
  return ['pod-to-node', 'node-to-pod', 'node-to-node'].includes(lab) ? 'host' : lab;
}

/** The lab names ICMPv6 as tshark does ("icmpv6"); podpath's protocol is "icmp6". */
function protocolOf(lab: string): string {
  return lab === 'icmpv6' ? 'icmp6' : lab;
}

function find(report: Report, f: LabFlow): FlowReport | undefined {
  const same = (x: FlowReport, sip: string, dip: string, sp: number | null, dp: number | null) =>
    x.src.ip === sip && x.dst.ip === dip && (sp === null || x.src.port === sp) && (dp === null || x.dst.port === dp);
  return report.flows.find((x) => x.protocol === protocolOf(f.protocol) && (same(x, f.src, f.dst, f.sport, f.dport) || same(x, f.dst, f.src, f.dport, f.sport)));
}

/** Hops podpath can know: on hosts with dumps (the lab's "cloud" network namespace has none). */
function comparable(lab: Lab, hops: LabHop[]): string[] {
  // The lab's external machines (services' admin) have no dumps: podpath cannot name them.
  const known = new Set(lab.hosts.filter((h) => h.role !== 'network' && h.role !== 'external').map((h) => h.name));
  return hops.filter((h) => known.has(h.host) || h.action === 'drop').map((h) => (h.action === 'drop' ? 'drop' : `${h.host} ${h.interface} ${h.action}`));
}

function ours(path: FlowReport['path']): string[] {
  return path.map((s) => (s.action === 'drop' ? 'drop' : `${s.host} ${s.interface} ${s.action}`));
}

/**
 * Scenarios whose truth podpath does not meet yet (issues #14 and #15 are open): their flows are
 * not asserted here, and the run says so. Remove a line when the analyzer gets the scenario right.
 */
const NOT_YET: Record<string, string> = {
  'mtu-fragments': 'Calico routed veths (cali*, /32 routes, no bridge) are not modelled: paths go through a "bridge" and stop at the pod (fragments are joined now)',
};

/**
 * Where a lab.json lists a capture on a flow's path that holds none of its packets, and tcpdump
 * (the oracle) confirms it: stale-vtep lists the control plane's eth0 for the flows sent to the
 * stale VTEP, but ARP for 10.32.7.224 is never answered, so no VXLAN datagram to it leaves.
 */
const LAB_ERRATA: Record<string, { capture: string; outerDst: string; filter: string }[]> = {
  'stale-vtep': [{ capture: 'ip-10-32-11-62/eth0.pcap', outerDst: '10.32.7.224', filter: 'udp port 8472 and dst host 10.32.7.224' }],
};
const HAS_TCPDUMP = spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0;

/** The captures a lab flow is held in, less the errata tcpdump confirms (undefined: cannot check). */
function expectedCaptures(scenario: string, f: LabFlow): string[] | undefined {
  let list = [...f.captures];
  for (const e of LAB_ERRATA[scenario] ?? []) {
    if (f.encap?.outerDst !== e.outerDst || !list.includes(e.capture)) continue;
    if (!HAS_TCPDUMP) return undefined;
    const r = spawnSync('tcpdump', ['-nn', '-r', join(SAMPLES, scenario, e.capture), e.filter], { encoding: 'utf8' });
    assert.is(r.status, 0, `tcpdump -r ${e.capture}: ${r.stderr}`);
    assert.is(r.stdout.trim(), '', `lab erratum: ${e.capture} holds no '${e.filter}' packet`);
    list = list.filter((c) => c !== e.capture);
  }
  return list.sort();
}

for (const scenario of scenarios) {
  if (NOT_YET[scenario]) {
    console.log(`SKIP ${scenario}: flows not asserted, podpath does not get them right yet (${NOT_YET[scenario]})`);
    continue;
  }
  test(`${scenario}: every flow the lab made has the right kind, path, verdict and captures`, async () => {
    const { lab, report } = await load(scenario);
    assert.ok(lab.flows.length > 0);
    for (const f of lab.flows) {
      const got = find(report, f);
      assert.ok(got, `${scenario} ${f.id}: no flow ${f.protocol} ${f.src} > ${f.dst} in ${report.flows.map((x) => `${x.protocol} ${x.src.ip} > ${x.dst.ip}`).join(', ')}`);
      assert.is(got.kind, kindOf(f.kind, f, lab), `${scenario} ${f.id}: kind`);
      const expectVerdict = f.expect === 'lost' || f.expect === 'rejected' ? f.expect : 'ok';
      assert.is(got.verdict, expectVerdict, `${scenario} ${f.id}: verdict (${got.why})`);
      // The flow's own direction: compare the path, or the return path when podpath chose the other side as initiator.
      const forward = got.src.ip === f.src;
      const path = forward ? got.path : (got.returnPath ?? []);
      assert.equal(ours(path), comparable(lab, f.path), `${scenario} ${f.id}: path`);
      if (f.reply && forward && got.returnPath) assert.equal(ours(got.returnPath), comparable(lab, f.reply.path), `${scenario} ${f.id}: return path`);
      const seen = got.seenAt.map((s) => relative(join('samples', scenario), s.input)).sort();
      const expected = expectedCaptures(scenario, f);
      if (expected) assert.equal(seen, expected, `${scenario} ${f.id}: seenAt lists exactly the captures holding it`);
      else console.log(`SKIP ${scenario} ${f.id}: seenAt not checked, tcpdump is not installed to confirm the lab erratum`);
      for (const absent of f.absentFrom ?? []) assert.not.ok(seen.includes(absent), `${scenario} ${f.id}: must not be seen in ${absent}`);
      if (f.service) {
        assert.equal(
          got.service && { namespace: got.service.namespace, name: got.service.name, clusterIP: got.service.clusterIP, port: got.service.port, nodePort: got.service.nodePort },
          { namespace: f.service.namespace, name: f.service.name, clusterIP: f.service.clusterIP, port: f.service.port, nodePort: f.service.nodePort },
          `${scenario} ${f.id}: service`,
        );
      }
      if (f.backend) assert.equal(got.backend, f.backend, `${scenario} ${f.id}: backend`);
      if (f.nat) {
        const nat = (got.nat ?? []).map((n) => ({ type: n.type, host: n.host, from: n.from, to: n.to }));
        assert.equal(nat, f.nat, `${scenario} ${f.id}: nat`);
      }
    }
  });
}

if (scenarios.includes('blocked-overlay')) {
  test('blocked-overlay: overlay-blocked names UDP 8472, both nodes, with packet evidence', async () => {
    const { lab, report } = await load('blocked-overlay');
    const f = report.findings.find((x) => x.code === 'overlay-blocked');
    assert.ok(f, `findings: ${report.findings.map((x) => x.code).join(', ')}`);
    assert.is(f.severity, 'critical');
    const nodes = Object.keys(lab.overlay);
    assert.match(f.message, /UDP 8472/);
    for (const n of nodes) {
      assert.ok(f.message.includes(n), `names ${n}`);
      assert.ok(f.message.includes(lab.overlay[n].local), `names ${lab.overlay[n].local}`);
    }
    assert.match(f.message, /firewall|security group/);
    assert.ok(f.evidence.some((e) => e.packet !== undefined && /eth0/.test(e.input)), 'cites packets on the sending eth0');
    // The worst finding comes first, and it is this one.
    assert.is(report.findings[0].code, 'overlay-blocked');
  });
}

if (scenarios.includes('cross-node')) {
  test('cross-node: per-hop latencies across both nodes and a clock offset estimate', async () => {
    const { report } = await load('cross-node');
    const ping = report.flows.find((f) => f.protocol === 'icmp' && f.kind === 'cross-node');
    assert.ok(ping?.latency, 'latency');
    const hops = ping.latency.hops;
    assert.ok(hops.some((h) => h.from.host !== h.to.host), 'a hop across the underlay');
    assert.ok(hops.length >= 4, `hops: ${hops.length}`);
    for (const h of hops) assert.ok(h.samples > 0 && Number.isFinite(h.medianUs));
    assert.ok(ping.latency.rttUs !== undefined && ping.latency.rttUs > 0);
    assert.ok(report.clocks.length >= 1, 'clock offset estimated');
    // One machine's namespaces share a clock: the estimate must be small.
    for (const c of report.clocks) assert.ok(Math.abs(c.offsetUs) < 1000, `offset ${c.offsetUs} us`);
  });

  test('cross-node story: VXLAN (OTV to tcpdump 4.99) VNI 1 on UDP 8472 between the eth0s', async () => {
    const { report } = await load('cross-node');
    const ping = report.flows.find((f) => f.protocol === 'icmp' && f.kind === 'cross-node')!;
    assert.equal(ping.tunnel, { type: 'vxlan', vni: 1, port: 8472 });
    const story = renderExplain(report, [ping.id], { columns: 200 });
    assert.match(story, /flannel\.1 VXLAN VNI 1: outer 10\.32\.11\.62 -> 10\.32\.7\.224:8472/);
    assert.match(story, /route 10\.42\.1\.0\/24 via 10\.42\.1\.0 dev flannel\.1/);
    assert.match(story, /OTV \.\.\. instance 1/);
    assert.match(ping.summary, /flannel\.1 \[vxlan 1\] -> eth0 => eth0 -> flannel\.1/);
  });
}

if (scenarios.includes('same-node')) {
  test('same-node story: ARP on cni0, then ICMP pod to pod through the bridge, never routed', async () => {
    const { report } = await load('same-node');
    const arp = report.flows.find((f) => f.protocol === 'arp' && f.kind === 'same-node');
    const ping = report.flows.find((f) => f.protocol === 'icmp' && f.kind === 'same-node');
    assert.ok(arp && ping);
    assert.ok(report.flows.indexOf(arp) < report.flows.indexOf(ping), 'ARP comes first');
    assert.ok(ping.path.every((s) => s.action !== 'route' && s.action !== 'encap'), 'bridged, not routed');
    assert.ok(ping.path.some((s) => s.action === 'bridge' && s.interface === 'cni0'));
    assert.ok(ping.seenAt.some((s) => s.interface === 'cni0'));
  });
}

if (scenarios.includes('intra-pod')) {
  test('intra-pod story: curl localhost:80 stays on lo inside the pod and reaches the listener', async () => {
    const { report } = await load('intra-pod');
    const http = report.flows.find((f) => f.protocol === 'tcp' && f.dst.port === 80);
    assert.ok(http);
    assert.is(http.kind, 'intra-pod');
    assert.ok(http.path.every((s) => s.interface === 'lo'));
    const story = renderExplain(report, [http.id], { columns: 200 });
    assert.match(story, /stays on lo inside/);
    assert.match(story, /listening on [^ ]*:80/);
  });
}

test.run();
