/** --pod, --node, --proto, --verdict, --since, --until (src/filter/flows.ts) on analyze, explain and packets, on the samples. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, SAMPLES } from '../helpers.js';
import { memoryIo, UserError } from '../../src/io.js';
import { analyzeCommand, explainCommand } from '../../src/commands/analyze.js';
import { runPackets } from '../../src/commands/packets.js';
import type { Report } from '../../src/path/types.js';

async function report(sample: string, argv: Record<string, unknown>): Promise<Report> {
  const io = memoryIo(ROOT);
  const code = await analyzeCommand.run({ quiet: true, format: 'json', color: 'never', paths: [join(SAMPLES, sample)], ...argv }, io);
  assert.is(code, 0);
  return JSON.parse(io.stdout.join(''));
}

const ids = (r: Report) => r.flows.map((f) => f.id);

async function usageError(run: () => Promise<unknown>): Promise<UserError> {
  try {
    await run();
  } catch (e) {
    assert.instance(e, UserError);
    return e as UserError;
  }
  throw new Error('no usage error');
}

test('analyze --verdict and --proto on blocked-overlay: the lost flows, findings kept, filter field', async () => {
  const r = await report('blocked-overlay', { verdict: ['lost'] });
  assert.equal(ids(r), ['f2', 'f4', 'f5']);
  assert.equal(r.filter, { verdict: ['lost'], hidden: 3 });
  assert.equal(r.findings.map((f) => f.code), ['overlay-blocked']);
  const tcpUdp = await report('blocked-overlay', { verdict: ['lost'], proto: ['tcp,udp'] });
  assert.equal(ids(tcpUdp), ['f4', 'f5']);
  const ok = await report('blocked-overlay', { verdict: ['ok'], proto: ['icmp'] });
  assert.equal(ids(ok), ['f6']);
});

test('analyze --pod and --node on cross-node and services', async () => {
  assert.equal(ids(await report('cross-node', { pod: ['pod1'] })), ['f2', 'f4', 'f5', 'f6']);
  assert.equal(ids(await report('cross-node', { pod: ['default/pod2'] })), ['f1', 'f2', 'f5', 'f6']);
  // f4 (ARP on cni0 of the receiving node) passes ip-10-32-7-224 only; f1 ip-10-32-11-62 only.
  assert.equal(ids(await report('cross-node', { node: ['ip-10-32-7-224'] })), ['f2', 'f3', 'f4', 'f5', 'f6']);
  assert.equal(ids(await report('services', { pod: ['client'], verdict: ['rejected'] })), ['f12']);
  assert.equal(ids(await report('services', { pod: ['web-5f7c8d9b6-k2xvq', 'coredns-6799fbcd5-9wq4l'] })), ['f10', 'f11', 'f19']);
});

test('analyze --since/--until: relative, ISO and epoch seconds; a flow overlapping the window is kept', async () => {
  // cross-node: f2 (ping) runs from 08:21:32.8 past +3 s; f5 (tcp) starts at +3.07 s, f6 (udp) at +3.2 s.
  assert.equal(ids(await report('cross-node', { since: '+3s' })), ['f2', 'f5', 'f6']);
  assert.equal(ids(await report('cross-node', { until: '+1ms' })), ['f1', 'f2', 'f3', 'f4']);
  assert.equal(ids(await report('cross-node', { since: '2026-11-26T08:21:36Z' })), ids(await report('cross-node', { since: String(Date.parse('2026-11-26T08:21:36Z') / 1000) })));
  assert.equal(ids(await report('cross-node', { since: '2026-11-26T08:21:36Z', proto: ['udp'] })), ['f6']);
});

test('the terminal view says a filter is active and how many flows it hid', async () => {
  const io = memoryIo(ROOT);
  await analyzeCommand.run({ quiet: true, format: 'text', color: 'never', paths: [join(SAMPLES, 'blocked-overlay')], verdict: ['lost'], proto: ['tcp'] }, io);
  const out = io.stdout.join('');
  assert.match(out, /^Filter --proto tcp --verdict lost: 1 flow shown, 5 hidden \(findings are of the whole incident\)\.$/m);
  assert.match(out, /CRITICAL overlay-blocked/);
});

test('explain --flow looks among the filtered flows', async () => {
  const io = memoryIo(ROOT);
  await explainCommand.run({ quiet: true, format: 'json', color: 'never', paths: [join(SAMPLES, 'cross-node')], flow: 'pod2 > pod1', all: true, proto: ['udp'] }, io);
  assert.equal(JSON.parse(io.stdout.join('')).map((f: { id: string }) => f.id), ['f6']);
});

test('bad values: one-line usage errors, exit 2', async () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ verdict: ['gone'] }, /^--verdict takes ok, unanswered, lost, partial, rejected, not "gone"$/],
    [{ proto: ['quic'] }, /^--proto takes tcp, udp, icmp, icmp6, arp, .*not "quic"$/],
    [{ since: 'yesterday' }, /^--since takes an ISO time .*not "yesterday"$/],
    [{ until: '+2x' }, /^--until takes .*not "\+2x"$/],
    [{ pod: ['nope'] }, /^--pod: no pod "nope" in this incident; pods: pod1, pod2$/],
    [{ node: ['node9'] }, /^--node: no node "node9" in this incident; nodes: ip-10-32-11-62, ip-10-32-7-224$/],
  ];
  for (const [argv, re] of bad) {
    const e = await usageError(() => analyzeCommand.run({ quiet: true, format: 'json', color: 'never', paths: [join(SAMPLES, 'cross-node')], ...argv }, memoryIo(ROOT)));
    assert.match(e.message, re);
    assert.is(e.exitCode, 2);
  }
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'podpath.js'), 'analyze', 'samples/cross-node', '--verdict', 'gone', '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 2);
  assert.is(r.stderr.trim(), 'podpath: --verdict takes ok, unanswered, lost, partial, rejected, not "gone"');
  assert.is(r.stdout, '');
});

async function packetLines(argv: Record<string, unknown>): Promise<string[]> {
  const io = memoryIo(ROOT);
  const code = await runPackets({ format: 'text', ...argv }, io);
  assert.is(code, 0);
  return io.stdout.join('').split('\n').filter((l) => l !== '');
}

test('packets: --node, --pod, --since/--until and --proto narrow the packets', async () => {
  const all = await packetLines({ inputs: ['samples/cross-node'] });
  const onNode = await packetLines({ inputs: ['samples/cross-node'], node: ['ip-10-32-7-224'] });
  assert.ok(onNode.length > 0 && onNode.length < all.length);
  assert.ok(onNode.every((l) => l.startsWith('ip-10-32-7-224:')));
  assert.equal(onNode, all.filter((l) => l.startsWith('ip-10-32-7-224:')));
  // pod1 is 10.42.1.39: every kept packet names it (inner or outer headers), and only those are kept.
  const pod1 = await packetLines({ inputs: ['samples/cross-node'], pod: ['pod1'] });
  assert.equal(pod1, all.filter((l) => /\b10\.42\.1\.39\b/.test(l)));
  const early = await packetLines({ inputs: ['samples/cross-node'], until: '+1ms' });
  assert.ok(early.length > 0 && early.every((l) => / 08:21:32\.81[78]/.test(l)), early.join('\n'));
  const tcp = await packetLines({ inputs: ['samples/cross-node'], proto: ['tcp'] });
  assert.ok(tcp.length > 0 && tcp.every((l) => / TCP /.test(l)));
  const e = await usageError(() => runPackets({ format: 'text', inputs: ['samples/cross-node'], verdict: ['gone'] }, memoryIo(ROOT)));
  assert.is(e.exitCode, 2);
});

test('cilium-geneve: unicast neighbour discovery is link-local; the headline and the verdicts agree', async () => {
  const r = await report('cilium-geneve', {});
  const counts: Record<string, number> = {};
  for (const f of r.flows) counts[`${f.kind}/${f.verdict}`] = (counts[`${f.kind}/${f.verdict}`] ?? 0) + 1;
  assert.equal(counts, { 'link-local/ok': 14, 'host/ok': 5, 'cross-node/ok': 4, 'same-node/ok': 4 });
  for (const id of ['f9', 'f14', 'f24']) assert.is(r.flows.find((f) => f.id === id)!.kind, 'link-local', id);
  const io = memoryIo(ROOT);
  await analyzeCommand.run({ quiet: true, format: 'text', color: 'never', paths: [join(SAMPLES, 'cilium-geneve')] }, io);
  assert.match(io.stdout.join('').split('\n')[0], /^No problem found: every flow reached its destination\. 27 flows: 27 ok,/);
});

test('intra-pod: loopback flows belong to the pod whose folder holds the capture, on its node', async () => {
  const r = await report('intra-pod', {});
  assert.equal(r.flows.map((f) => [f.id, f.kind, f.src.pod, f.src.host, f.dst.pod, f.dst.host]), [
    ['f1', 'intra-pod', 'test', 'ip-10-32-7-224', 'test', 'ip-10-32-7-224'],
    ['f2', 'intra-pod', 'test', 'ip-10-32-7-224', 'test', 'ip-10-32-7-224'],
  ]);
});

test('cross-node without kubectl: pod addresses are pods on their node (not the node), and cross-node (not external)', async () => {
  const io = memoryIo(ROOT);
  await analyzeCommand.run({ quiet: true, format: 'json', color: 'never', paths: [join(SAMPLES, 'cross-node', 'ip-10-32-11-62'), join(SAMPLES, 'cross-node', 'ip-10-32-7-224')] }, io);
  const r: Report = JSON.parse(io.stdout.join(''));
  const f2 = r.flows.find((f) => f.id === 'f2')!;
  assert.is(f2.kind, 'cross-node');
  assert.equal(f2.src, { ip: '10.42.0.37', host: 'ip-10-32-11-62', unnamedPod: true });
  assert.equal(f2.dst, { ip: '10.42.1.39', host: 'ip-10-32-7-224', unnamedPod: true });
  assert.equal(r.flows.find((f) => f.id === 'f3')!.src, { ip: '10.32.11.62', host: 'ip-10-32-11-62' });
  const { endpointText } = await import('../../src/report/summary.js');
  assert.is(endpointText(f2.src), 'a pod on ip-10-32-11-62 (10.42.0.37)');
  const text = memoryIo(ROOT);
  text.columns = 200;
  await analyzeCommand.run({ quiet: true, format: 'text', color: 'never', verbose: true, paths: [join(SAMPLES, 'cross-node', 'ip-10-32-11-62'), join(SAMPLES, 'cross-node', 'ip-10-32-7-224')] }, text);
  const out = text.stdout.join('');
  assert.not.match(out, /10\.42\.0\.37 10\.42\.0\.37/);
  assert.match(out, /10\.42\.0\.37 \(unnamed, from capture\)/);
});

test.run();
