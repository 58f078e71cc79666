/**
 * One flow per connection across kube-proxy's NAT, on the services sample: with its dumps
 * (conntrack and iptables-save), and on a copy without any NAT dump (joined from the captures
 * alone, marked inferred, with the finding naming the dumps that would confirm it).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../src/analyze.js';
import type { Report } from '../../src/path/types.js';
import { renderExplain } from '../../src/report/index.js';
import { ROOT, SAMPLES } from '../helpers.js';

const DIR = join(SAMPLES, 'services');
const have = existsSync(join(DIR, 'lab.json'));
if (!have) console.log('SKIP nat join: no samples/services');

interface LabFlow {
  id: string;
  protocol: string;
  src: string;
  sport: number | null;
  dst: string;
  dport: number | null;
  expect: string;
  backend?: { ip: string; port: number };
  nat?: { type: string; to: { ip: string; port: number } }[];
}
const lab = have ? (JSON.parse(readFileSync(join(DIR, 'lab.json'), 'utf8')) as { flows: LabFlow[] }) : { flows: [] };

function connections(r: Report, f: LabFlow) {
  return r.flows.filter((x) => x.protocol === f.protocol && x.src.ip === f.src && x.dst.ip === f.dst && (f.sport === null || x.src.port === f.sport));
}

/** No flow is left between a backend and the client side of a translated connection. */
function noHalves(r: Report): void {
  for (const f of lab.flows) {
    if (!f.backend) continue;
    const halves = r.flows.filter(
      (x) => x.protocol === f.protocol && ((x.dst.ip === f.backend!.ip && x.dst.port === f.backend!.port) || (x.src.ip === f.backend!.ip && x.src.port === f.backend!.port)),
    );
    assert.equal(halves.map((x) => `${x.id} ${x.src.ip}:${x.src.port} > ${x.dst.ip}:${x.dst.port}`), [], `${f.id}: post-NAT half left as a flow`);
  }
}

let withDumps: Report | undefined;
async function full(): Promise<Report> {
  return (withDumps ??= await analyze([join('samples', 'services')], { cwd: ROOT, hash: false }));
}

if (have) {
  test('services: each connection is one flow with its DNAT (and masquerade) from conntrack, rules named', async () => {
    const r = await full();
    for (const f of lab.flows) {
      const got = connections(r, f);
      assert.is(got.length, 1, `${f.id}: one flow`);
      const g = got[0];
      if (!f.backend) continue;
      assert.equal((g.nat ?? []).map((n) => [n.type, `${n.to.ip}:${n.to.port}`]), f.nat!.map((n) => [n.type, `${n.to.ip}:${n.to.port}`]), `${f.id}: nat`);
      for (const n of g.nat!) {
        assert.is(n.source, 'conntrack', `${f.id}: conntrack confirms it`);
        assert.ok(n.rule && /iptables-save\.txt$/.test(n.rule.input) && n.rule.line > 0, `${f.id}: rule named`);
      }
      assert.ok(g.nat!.find((n) => n.type === 'dnat')!.rule!.text!.includes(`--to-destination ${f.backend.ip}:${f.backend.port}`));
      const step = g.path.find((s) => s.action === 'nat');
      assert.ok(step, `${f.id}: nat step`);
      assert.match(step.detail, new RegExp(`DNAT ${f.dst.replace(/\./g, '\\.')}:${f.dport} -> ${f.backend.ip.replace(/\./g, '\\.')}:${f.backend.port} \\(KUBE-SEP-`));
      assert.match(step.detail, /picked by KUBE-SVC-\w+ (with probability 0\.5|\(its last rule\)), iptables-save line \d+/);
      assert.is(g.verdict, 'ok', `${f.id}: ${g.why}`);
    }
    noHalves(r);
  });

  test('services: the empty Service is rejected, with service-no-endpoints naming 10.43.0.60 and the REJECT rule', async () => {
    const r = await full();
    const f = r.flows.find((x) => x.dst.ip === '10.43.0.60');
    assert.ok(f);
    assert.is(f.verdict, 'rejected');
    assert.is(f.path[f.path.length - 1].action, 'reject');
    assert.is(f.service?.name, 'empty');
    assert.not.ok(r.flows.some((x) => x.protocol === 'icmp' && x.dst.ip === '10.42.0.20'), 'the ICMP unreachable joined the rejected flow');
    const fd = r.findings.find((x) => x.code === 'service-no-endpoints');
    assert.ok(fd, r.findings.map((x) => x.code).join(', '));
    assert.match(fd.message, /10\.43\.0\.60/);
    assert.match(fd.message, /REJECT/);
    assert.match(fd.message, /line 41, its counter at 1 packet/);
    assert.ok(fd.evidence.some((e) => e.line === 41 && /iptables-save/.test(e.input)));
    assert.ok(fd.evidence.some((e) => e.packet !== undefined), 'the rejected packets');
    assert.equal(fd.subject?.flows, [f.id]);
    assert.is(r.findings[0].code, 'service-no-endpoints', 'the worst finding');
    assert.not.ok(r.findings.some((x) => x.severity === 'error' && x.code !== 'service-no-endpoints'), r.findings.map((x) => `${x.code}: ${x.message.slice(0, 80)}`).join('\n'));
  });

  test('services: explain shows the NAT step; the topology lists the Services', async () => {
    const r = await full();
    const web = r.flows.filter((x) => x.service?.name === 'web');
    assert.ok(web.length >= 2);
    const story = renderExplain(r, [web[0].id], { columns: 200 });
    assert.match(story, /ip-10-32-11-62: DNAT 10\.43\.0\.50:80 -> 10\.42\.\d+\.\d+:8080 \(KUBE-SEP-/);
    const svc = r.topology.services?.find((s) => s.name === 'web');
    assert.ok(svc);
    assert.equal(svc.clusterIPs, ['10.43.0.50']);
    assert.equal(svc.endpoints.map((e) => e.ip).sort(), ['10.42.0.9', '10.42.1.12']);
    assert.is(svc.ports[0].nodePort, 30080);
    assert.equal(r.topology.services?.find((s) => s.name === 'empty')?.endpoints, []);
  });

  test('services without NAT dumps: still one flow per connection, source inferred, the confirming dumps named', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'podpath-nat-'));
    try {
      cpSync(DIR, join(tmp, 'services'), { recursive: true });
      for (const node of ['ip-10-32-11-62', 'ip-10-32-7-224']) {
        for (const f of readdirSync(join(tmp, 'services', node))) if (/iptables|conntrack/.test(f)) rmSync(join(tmp, 'services', node, f));
      }
      const r = await analyze([join(tmp, 'services')], { cwd: ROOT, hash: false });
      for (const f of lab.flows) {
        const got = connections(r, f);
        assert.is(got.length, 1, `${f.id}: one flow`);
        if (!f.backend) continue;
        const g = got[0];
        assert.equal(g.backend && { ip: g.backend.ip, port: g.backend.port }, { ip: f.backend.ip, port: f.backend.port }, `${f.id}: backend`);
        assert.equal((g.nat ?? []).map((n) => [n.type, `${n.to.ip}:${n.to.port}`]), f.nat!.map((n) => [n.type === 'masquerade' ? 'masquerade' : n.type, `${n.to.ip}:${n.to.port}`]), `${f.id}: nat`);
        assert.ok(g.nat!.every((n) => n.source === 'inferred' && n.rule === undefined));
        assert.is(g.verdict, 'ok', `${f.id}: ${g.why}`);
      }
      noHalves(r);
      const info = r.findings.find((x) => x.code === 'nat-inferred');
      assert.ok(info);
      assert.is(info.severity, 'info');
      assert.match(info.message, /iptables-save -c/);
      assert.match(info.message, /conntrack -L/);
      assert.match(info.message, /ip-10-32-11-62/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test.run();
