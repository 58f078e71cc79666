/**
 * `packets` over several captures (one time-ordered view, host:interface column, per-file packet
 * numbers) and `--flow F -w out.pcapng` (read back with tshark: interfaces, comments, count).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { globbySync } from 'globby';
import { ROOT, SAMPLES } from '../helpers.js';
import { memoryIo, UserError } from '../../src/io.js';
import { runPackets } from '../../src/commands/packets.js';

const hasTshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasTshark) console.log('SKIP pcapng export read-back: tshark is not installed');
const TMP = mkdtempSync(join(tmpdir(), 'podpath-export-'));

async function lines(argv: Record<string, unknown>): Promise<{ out: string[]; err: string }> {
  const io = memoryIo(ROOT);
  await runPackets(argv, io);
  return { out: io.stdout.join('').split('\n').filter(Boolean), err: io.stderr.join('\n') };
}

test('several captures: one view in time order, host:interface first, each packet numbered as in its own file', async () => {
  const a = join('samples', 'cross-node', 'ip-10-32-11-62', 'eth0.pcap');
  const b = join('samples', 'cross-node', 'ip-10-32-7-224', 'eth0.pcap');
  const one = { [a]: (await lines({ inputs: [a] })).out, [b]: (await lines({ inputs: [b] })).out };
  const { out } = await lines({ inputs: [a, b] });
  assert.is(out.length, one[a].length + one[b].length);
  let last = '';
  const seen = new Set<string>();
  for (const l of out) {
    const m = /^(\S+):(\S+) (\d+) (\d\d:\d\d:\d\d\.\d+) /.exec(l);
    assert.ok(m, l);
    const file = m[1] === 'ip-10-32-11-62' ? a : b;
    assert.is(m[2], 'eth0');
    // The rest of the line is that file's own line for that packet number.
    assert.is(l.slice(m[1].length + m[2].length + 2), one[file][Number(m[3]) - 1]);
    assert.ok(m[4] >= last, `time order: ${m[4]} after ${last}`);
    last = m[4];
    seen.add(`${file}#${m[3]}`);
  }
  assert.is(seen.size, out.length);
});

test('--flow: only that flow\'s packets, from every capture point', async () => {
  const { out } = await lines({ inputs: [join('samples', 'cross-node')], flow: 'pod2 > pod1' });
  assert.ok(out.length > 8);
  assert.ok(out.every((l) => /10\.42\.0\.37 > 10\.42\.1\.39 ICMP echo request|10\.42\.1\.39 > 10\.42\.0\.37 ICMP echo reply/.test(l)), out.find((l) => !/ICMP/.test(l)));
  try {
    await lines({ inputs: [join('samples', 'cross-node')], flow: 'pod7 > pod1' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, /no flow matches "pod7 > pod1"/);
  }
});

function tshark(args: string[]): string[] {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

test('-w: one pcapng, an interface per capture point named host:interface, every packet of the flow in time order with its comment', async () => {
  if (!hasTshark) return;
  const file = join(TMP, 'f2.pcapng');
  const { err } = await lines({ inputs: [join(SAMPLES, 'cross-node')], flow: 'f2', w: file });
  assert.match(err, /wrote \d+ packets of flow f2 from \d+ capture points to /);
  const rows = tshark(['-r', file, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.interface_name', '-e', 'frame.time_epoch', '-e', 'frame.comment']);
  // The oracle: tshark's own count of the ping between the two pods in every sample capture.
  const captures = globbySync(['**/*.pcap', '**/*.pcapng', '**/*.pcap.gz'], { cwd: join(SAMPLES, 'cross-node'), absolute: true });
  let want = 0;
  const points = new Set<string>();
  for (const c of captures) {
    const n = tshark(['-r', c, '-d', 'udp.port==8472,vxlan', '-Y', 'icmp && ip.addr==10.42.0.37 && ip.addr==10.42.1.39']).length;
    want += n;
    if (n > 0) points.add(`${basename(dirname(c))}:${basename(c).replace(/\.gz$/, '').replace(/\.(pcapng|pcap)$/, '')}`);
  }
  assert.ok(want > 0);
  assert.is(rows.length, want);
  const names = new Set(rows.map((r) => r.split('|')[0]));
  assert.equal([...names].sort(), [...points].sort());
  let last = 0;
  for (const r of rows) {
    const [iface, t, comment] = r.split('|');
    assert.ok(Number(t) >= last, 'time order');
    last = Number(t);
    assert.match(comment, new RegExp(`^podpath flow f2 \\(icmp 10\\.42\\.0\\.37 > 10\\.42\\.1\\.39\\), hop ${iface.replace(/\./g, '\\.')}, step \\d+ of \\d+ on the (return )?path: \\w+ at \\S+ \\S+$`));
  }
  // Requests on the forward path, replies on the return path.
  assert.ok(rows.some((r) => r.includes('on the return path')) && rows.some((r) => r.includes('on the path')));
});

test('-w with a filter and no --flow: the selected packets, no comments', async () => {
  if (!hasTshark) return;
  const file = join(TMP, 'vx.pcapng');
  await lines({ inputs: [join('samples', 'cross-node', 'ip-10-32-11-62', 'eth0.pcap'), 'udp port 8472'], w: file });
  const rows = tshark(['-r', file, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'udp.dstport']);
  const want = tshark(['-r', join(SAMPLES, 'cross-node', 'ip-10-32-11-62', 'eth0.pcap'), '-Y', 'udp.port==8472']).length;
  assert.is(rows.length, want);
  assert.ok(rows.every((r) => r.startsWith('ip-10-32-11-62:eth0\t')));
});

test.after(() => rmSync(TMP, { recursive: true, force: true }));

test.run();
