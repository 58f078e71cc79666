/**
 * packets' filter expressions against tcpdump as the oracle: on every capture of the samples, the
 * packet numbers podpath selects equal the ones tcpdump selects with the same expression. tcpdump
 * numbers only what it prints (-#), so its selection is placed in the file by matching each
 * printed packet (timestamp and bytes, -tt -x) in order against tcpdump's print of all packets.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { globbySync } from 'globby';
import { ROOT, SAMPLES } from '../helpers.js';
import { memoryIo, UserError, EXIT } from '../../src/io.js';
import { runPackets } from '../../src/commands/packets.js';
import { parseFilter } from '../../src/filter/parse.js';

const hasTcpdump = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasTcpdump) console.log('SKIP filter vs tcpdump: tcpdump is not installed');

/** tcpdump's packets (timestamp + hex dump, one string each) for `expr` ('' for all). */
function tcpdumpBlocks(file: string, expr: string): string[] | undefined {
  const r = spawnSync('tcpdump', ['-r', file, '-nn', '-tt', '-x', ...(expr ? [expr] : [])], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return undefined;
  const blocks: string[] = [];
  for (const line of r.stdout.split('\n')) {
    if (/^\d+\.\d+ /.test(line)) blocks.push(line.split(' ')[0]);
    else if (line.startsWith('\t') && blocks.length) blocks[blocks.length - 1] += line.replace(/^\s*0x[0-9a-f]+:\s*/, ' ');
  }
  return blocks;
}

const everything = new Map<string, string[] | undefined>();

function tcpdumpNumbers(file: string, expr: string): number[] | undefined {
  if (!everything.has(file)) everything.set(file, tcpdumpBlocks(file, ''));
  const all = everything.get(file);
  const sel = tcpdumpBlocks(file, expr);
  if (!all || !sel) return undefined;
  const out: number[] = [];
  let k = 0;
  for (const b of sel) {
    while (k < all.length && all[k] !== b) k++;
    if (k === all.length) throw new Error(`tcpdump's selection is not in its full print: ${file}`);
    out.push(++k);
  }
  return out;
}

async function podpathNumbers(file: string, expr: string): Promise<number[]> {
  const io = memoryIo(ROOT);
  const code = await runPackets({ inputs: [file, ...expr.split(' ')] }, io);
  assert.is(code, EXIT.OK, io.stderr.join('\n'));
  return io.stdout.join('').split('\n').filter(Boolean).map((l) => Number(l.split(' ')[0]));
}

const EXPRESSIONS = [
  'udp port 8472 and host 10.32.7.224',
  'arp',
  'icmp',
  'tcp or arp',
  'not udp',
  'src host 10.32.11.62 and udp',
  'dst host 10.32.11.62 or ip6',
  'net 10.32.0.0/20 and not port 8472',
  'udp and ( dst port 8472 or src port 8472 )',
  'icmp6 or tcp port 80',
  'portrange 1-1024',
  'ip and not ( arp or udp )',
  'host 10.42.0.37 or host 10.42.1.39',
  'port 80 or 5005',
  'geneve',
  'geneve and tcp',
  'geneve and host 10.42.0.37',
  'udp port 6081 and not geneve and icmp',
];

const CAPTURES = globbySync(['**/*.pcap', '**/*.pcapng'], { cwd: SAMPLES, absolute: true }).sort();

test('packets FILTER selects the packet numbers tcpdump selects, on every sample capture', async () => {
  if (!hasTcpdump) return;
  assert.ok(CAPTURES.length > 20);
  let compared = 0;
  let nonEmpty = 0;
  for (const file of CAPTURES) {
    for (const expr of EXPRESSIONS) {
      const want = tcpdumpNumbers(file, expr);
      if (want === undefined) continue; // a link type tcpdump's filter does not take
      const got = await podpathNumbers(file, expr);
      assert.equal(got, want, `${relative(ROOT, file)} '${expr}'`);
      compared++;
      if (want.length) nonEmpty++;
    }
  }
  assert.ok(compared > CAPTURES.length * 10, `only ${compared} comparisons`);
  assert.ok(nonEmpty > 100, `only ${nonEmpty} comparisons selected anything`);
});

test('the issue\'s example on blocked-overlay: a folder and a filter, not a file named "udp port 8472"', async () => {
  const io = memoryIo(ROOT);
  assert.is(await runPackets({ inputs: [join(SAMPLES, 'blocked-overlay', 'ip-10-32-11-62', 'eth0.pcap'), 'udp port 8472 and host 10.32.7.224'] }, io), 0);
  const lines = io.stdout.join('').split('\n').filter(Boolean);
  assert.ok(lines.length > 0);
  assert.ok(lines.every((l) => l.includes('10.32.7.224.8472')), lines.join('\n'));
  if (hasTcpdump) assert.equal(lines.map((l) => Number(l.split(' ')[0])), tcpdumpNumbers(join(SAMPLES, 'blocked-overlay', 'ip-10-32-11-62', 'eth0.pcap'), 'udp port 8472 and host 10.32.7.224'));
});

test('--filter is ANDed with a trailing expression', async () => {
  const file = join(SAMPLES, 'cross-node', 'ip-10-32-11-62', 'eth0.pcap');
  const io = memoryIo(ROOT);
  await runPackets({ inputs: [file, 'udp'], filter: 'vxlan and icmp' }, io);
  const lines = io.stdout.join('').split('\n').filter(Boolean);
  assert.ok(lines.length > 0 && lines.every((l) => /VXLAN.*ICMP/.test(l)));
});

test('what the filter does not support is a clear usage error naming it', async () => {
  for (const [expr, msg] of [
    ['ether host 00:11:22:33:44:55', /"ether" is not supported by podpath's filter \(supported: host, net, port/],
    ['host example.com', /"example.com" is not an IP address/],
    ['port http', /"http" is not a port number/],
    ['udp and', /ends where a primitive was expected/],
    ['( udp', /expected "\)" at the end/],
    ['udp port 1 tcp', /unexpected "tcp"/],
    ['vxlan 99999999', /a VNI is 24 bits/],
  ] as const) {
    try {
      await runPackets({ inputs: [join(SAMPLES, 'cross-node', 'ip-10-32-11-62', 'eth0.pcap'), expr] }, memoryIo(ROOT));
      assert.unreachable(expr);
    } catch (e) {
      assert.instance(e, UserError, expr);
      assert.is((e as UserError).exitCode, EXIT.USAGE);
      assert.match((e as Error).message, msg);
    }
  }
  // A mistyped file name stays a missing file (one stderr line, exit 3), not a filter error.
  const io = memoryIo(ROOT);
  assert.is(await runPackets({ inputs: ['samples/none/eth0.pcap'] }, io), EXIT.NO_INPUT);
  assert.ok(io.stderr.some((l) => /samples\/none\/eth0\.pcap: no such file/.test(l)), io.stderr.join('\n'));
});

test('parse: and/or group left to right with equal precedence, not binds tightest, bare values repeat qualifiers', () => {
  const t = parseFilter('arp or udp and port 53');
  assert.is(t.op, 'and');
  const n = parseFilter('not tcp and udp');
  assert.is(n.op, 'and');
  const r = parseFilter('tcp dst port 80 or 443');
  assert.ok(r.op === 'or' && r.right.op === 'port' && r.right.dir === 'dst' && r.right.proto === 'tcp' && r.right.from === 443);
  const g = parseFilter('geneve and host 10.0.0.1');
  assert.ok(g.op === 'and' && g.right.op === 'host' && g.right.level === 1);
  const v6 = parseFilter('host fd00::1');
  assert.ok(v6.op === 'host' && v6.addr.v6 && v6.addr.w[0] === 0xfd000000 && v6.addr.w[3] === 1);
});

test.run();
