/** The terminal view (`analyze`, `explain`) through the commands' run() with a memory Io, on the samples. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SAMPLES } from '../helpers.js';
import { memoryIo, UserError } from '../../src/io.js';
import { analyzeCommand, explainCommand } from '../../src/commands/analyze.js';
import { LIST_BELOW } from '../../src/report/text.js';

const ESC = '\u001b';

async function run(cmd: typeof analyzeCommand, argv: Record<string, unknown>, io = memoryIo(ROOT)) {
  const code = await cmd.run({ quiet: true, format: 'text', color: 'auto', ...argv }, io);
  return { code, out: io.stdout.join(''), err: io.stderr.join('\n') };
}

function tty(columns: number, noColor = false) {
  const io = memoryIo(ROOT);
  io.columns = columns;
  io.stdoutIsTTY = true;
  io.noColor = noColor;
  return io;
}

const tokens = (s: string) => new Set(s.split(/\s+/).filter(Boolean));

test('blocked-overlay at 80x40: the answer, the finding with its fix and every lost flow on the first screen', async () => {
  const { out } = await run(analyzeCommand, { paths: [join(SAMPLES, 'blocked-overlay')] }, tty(80, true));
  const screen = out.split('\n').slice(0, 40).join('\n');
  assert.match(screen.split('\n')[0], /^1 critical finding: UDP 8472 between ip-10-32-11-62/);
  assert.match(screen, /CRITICAL overlay-blocked/);
  assert.match(screen, /Fix: allow VXLAN traffic \(UDP 8472\)/);
  const lost = [...screen.matchAll(/^ {2}(f\d+) {2}LOST /gm)].map((m) => m[1]);
  assert.equal(lost.sort(), ['f2', 'f4', 'f5']);
  // The headline names the failure once; the finding's message is printed once, below it.
  // (Path lines end in "✗→ ip-10-32-7-224:eth0 (never arrived)": the place, not the message.)
  const message = out.split('\n').filter((l, i, all) => !/✗→/.test(l) && !/✗→/.test(all[i - 1] ?? ''));
  assert.is(message.join('\n').split('never arrived').length - 1, 1);
  assert.is(out.split('✗→').length - 1, 3, 'each lost flow shows where its packets stopped');
  assert.not.match(out, /^Inputs$/m);
  assert.ok(out.split('\n').every((l) => [...l].length <= 80), 'a line is longer than 80 columns');
});

for (const columns of [80, 120]) {
  test(`${columns} columns: no token is broken (every word is one of the unwrapped render's), verbose too`, async () => {
    for (const verbose of [false, true]) {
      // The reference: the same view unwrapped (lists for verbose: the widest width that draws lists).
      const wide = (await run(analyzeCommand, { paths: [join(SAMPLES, 'blocked-overlay')], verbose }, tty(verbose && columns < LIST_BELOW ? LIST_BELOW - 1 : 1000))).out;
      const { out } = await run(analyzeCommand, { paths: [join(SAMPLES, 'blocked-overlay')], verbose, color: 'never' }, tty(columns));
      const all = tokens(wide.replace(/\u001b\[[0-9;]*m/g, ''));
      const broken = [...tokens(out)].filter((t) => !all.has(t) && !/^[─┌┐└┘├┤┬┴┼│]+$/.test(t));
      if (!verbose || columns < LIST_BELOW) assert.equal(broken, [], `broken at ${columns}: ${broken.slice(0, 5).join(' ')}`);
      assert.ok(out.split('\n').every((l) => [...l].length <= columns));
      if (verbose) for (const s of ['Inputs', 'Topology', 'All flows']) assert.match(out, new RegExp(`^${s}$`, 'm'));
      if (verbose && columns < 100) assert.not.match(out, /[┌│]/, 'narrow: tables are lists');
    }
  });
}

test('link-local flows: one line per host, never listed', async () => {
  const { out } = await run(analyzeCommand, { paths: [join(SAMPLES, 'healthy-3node')] }, tty(100));
  const { out: json } = await run(analyzeCommand, { paths: [join(SAMPLES, 'healthy-3node')], format: 'json' });
  const flows = (JSON.parse(json) as { flows: { id: string; kind: string }[] }).flows;
  const ll = flows.filter((f) => f.kind === 'link-local');
  if (ll.length === 0) {
    console.log('SKIP link-local summary: samples/healthy-3node has no link-local flow');
    return;
  }
  for (const f of ll) assert.not.match(out, new RegExp(`\\b${f.id}\\b`));
  const lines = out.split('\n').filter((l) => /^ {2}link-local on \S+: \d+ flows?/.test(l));
  const hosts = new Set(lines.map((l) => l.split(' ')[4]));
  assert.ok(lines.length > 0 && lines.length === hosts.size, 'one line per host');
  const nodes = (JSON.parse(json) as { topology: { hosts: { name: string }[] } }).topology.hosts.map((h) => h.name + ':');
  for (const h of hosts) assert.ok(nodes.includes(h), `${h} is a host of the topology`);
  assert.is(lines.reduce((n, l) => n + Number(/: (\d+) flows?/.exec(l)![1]), 0), ll.length);
});

test('colour: on a terminal; not with NO_COLOR, --color never, or a pipe; --color always forces it', async () => {
  const p = { paths: [join(SAMPLES, 'blocked-overlay')] };
  assert.ok((await run(analyzeCommand, p, tty(100))).out.includes(ESC));
  assert.not.ok((await run(analyzeCommand, p, tty(100, true))).out.includes(ESC));
  assert.not.ok((await run(analyzeCommand, { ...p, color: 'never' }, tty(100))).out.includes(ESC));
  assert.not.ok((await run(analyzeCommand, p)).out.includes(ESC));
  assert.ok((await run(analyzeCommand, { ...p, color: 'always' })).out.includes(ESC));
});

test('--show takes sections; a bad one is a usage error', async () => {
  const { out } = await run(analyzeCommand, { paths: [join(SAMPLES, 'blocked-overlay')], show: ['inputs'] });
  assert.match(out, /^Inputs$/m);
  assert.not.match(out, /^Topology$/m);
  try {
    await run(analyzeCommand, { paths: [join(SAMPLES, 'blocked-overlay')], show: ['nope'] });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, /--show takes inputs, topology, flows/);
  }
});

test('explain --flow f2, "pod2 > pod1" and "default/pod2 -> default/pod1" tell the same story', async () => {
  const p = join(SAMPLES, 'cross-node');
  const stories = [];
  for (const flow of ['f2', 'pod2 > pod1', 'default/pod2 -> default/pod1', '10.42.0.37 > 10.42.1.39']) {
    const { out } = await run(explainCommand, { paths: [p], flow }, tty(100, true));
    stories.push(out.replace(/\nAlso matching.*$/s, ''));
  }
  assert.match(stories[0], /^Flow f2: icmp/);
  for (const s of stories.slice(1)) assert.is(s, stories[0]);
  const { out } = await run(explainCommand, { paths: [p], flow: 'pod2 > pod1' }, tty(100, true));
  assert.is(out.split('\nFlow ').length, 1, 'one flow by default');
  assert.match(out, /Also matching \(--all shows them, or --flow ID\): f5 tcp ok, f6 udp ok/);
  const all = (await run(explainCommand, { paths: [p], flow: 'pod2 > pod1', all: true }, tty(100, true))).out;
  assert.is(all.split(/^Flow f\d+:/m).length - 1, 3);
  // Reversed: the same flow, named from the other end.
  assert.match((await run(explainCommand, { paths: [p], flow: '10.42.1.39:80 -> 10.42.0.37' })).out, /^Flow f5: tcp/);
});

test('explain: latencies between nodes carry their uncertainty, on one node none', async () => {
  const { out } = await run(explainCommand, { paths: [join(SAMPLES, 'cross-node')], flow: 'f2' });
  assert.match(out, /│ -?\d+ µs ± \d+ µs \(median of \d+\)/);
  assert.match(out, /│ \d+ µs \(median of \d+\)/);
  assert.not.match(out, /\+-/);
});

test('explain: a lost flow points to its finding and the fix', async () => {
  const { out } = await run(explainCommand, { paths: [join(SAMPLES, 'blocked-overlay')], flow: 'pod2 > pod1' });
  assert.match(out, /Verdict: LOST\./);
  assert.match(out, /Finding 1 \(critical overlay-blocked\): UDP 8472 between/);
  assert.match(out, /Fix: allow VXLAN traffic \(UDP 8472\)/);
});

test('explain: a --flow that matches nothing, or that is not an address, is a clear usage error', async () => {
  for (const [flow, msg] of [
    ['pod9 > pod1', /no flow matches "pod9 > pod1"; flows: .*f2 pod2 > pod1/],
    ['a > b > c', /--flow takes a flow id/],
    ['10.0.0.1:x > b', /neither an address/],
  ] as const) {
    try {
      await run(explainCommand, { paths: [join(SAMPLES, 'cross-node')], flow });
      assert.unreachable(flow);
    } catch (e) {
      assert.instance(e, UserError);
      assert.match((e as Error).message, msg);
    }
  }
});

test('analyze - and explain - read a capture from standard input', async () => {
  const file = join(SAMPLES, 'cross-node', 'ip-10-32-11-62', 'eth0.pcap');
  for (const cmd of [analyzeCommand, explainCommand]) {
    const io = memoryIo(ROOT);
    io.stdin = createReadStream(file);
    const { code, out } = await run(cmd, { paths: ['-'], format: 'json' }, io);
    assert.is(code, 0);
    const j = JSON.parse(out) as { inputs?: { path: string; packets: number }[] } | { id: string }[];
    if (cmd === analyzeCommand) {
      const inputs = (j as { inputs: { path: string; packets: number }[] }).inputs;
      assert.is(inputs[0].path, '-');
      assert.ok(inputs[0].packets > 0);
    } else assert.ok((j as { id: string }[]).length > 0);
  }
});

test.run();
