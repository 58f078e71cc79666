/**
 * The bad-input matrix (docs/robustness.md): every kind of broken input, each mixed with one good
 * capture, through the analyze command (in process, with memoryIo: exit code and stderr lines as
 * the CLI prints them), and a few through the real CLI (`node bin/podpath.js`, spawned) for exit
 * codes, stack traces and memory. For each: the documented exit status, one stderr line per bad file
 * naming it (with packet number and byte offset where they apply), the good capture still analyzed,
 * and stats accounting for every packet.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from '../helpers.js';
import { analyzeCommand } from '../../src/commands/analyze.js';
import { memoryIo } from '../../src/io.js';
import type { Report } from '../../src/path/types.js';
import { icmpFrame, pcap, pcapHeader, pcapng } from './writers.js';

const TMP = mkdtempSync(join(tmpdir(), 'podpath-bad-'));
const GOOD = pcap([0, 1, 2, 3].map((i) => ({ sec: 1700000000 + i, frac: 0, data: icmpFrame('10.42.0.5', '10.42.1.7', i) })));
writeFileSync(join(TMP, 'good.pcap'), GOOD);
const root = process.getuid?.() === 0;

const IP_ADDR = [
  '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
  '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
  '    inet 127.0.0.1/8 scope host lo',
  '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000',
  '    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff',
  '    inet 10.0.0.1/24 brd 10.0.0.255 scope global eth0',
  '',
].join('\n');

interface Run {
  code: number;
  stderr: string[];
  report?: Report;
}

async function analyze(paths: string[]): Promise<Run> {
  const io = memoryIo(TMP);
  const code = await analyzeCommand.run({ _: [], $0: 'podpath', paths, format: 'json' }, io);
  const out = io.stdout.join('');
  const stderr = io.stderr.flatMap((l) => l.split('\n')).filter((l) => l !== '');
  return { code, stderr, report: out ? (JSON.parse(out) as Report) : undefined };
}

function accounting(r: Report): void {
  const s = r.stats;
  assert.is(s.packets, s.decoded + s.truncated + s.malformed + s.skipped, `stats add up: ${JSON.stringify(s)}`);
  assert.is(s.packets, r.inputs.reduce((a, i) => a + (i.packets ?? 0), 0), 'stats.packets is the sum of inputs[].packets');
}

function goodStillAnalyzed(r: Report): void {
  const good = r.inputs.find((i) => i.path === 'good.pcap');
  assert.ok(good, 'good.pcap is in the inventory');
  assert.is(good!.packets, 4, "the good capture's 4 packets are read");
  const flow = r.flows.find((f) => f.src.ip === '10.42.0.5' && f.dst.ip === '10.42.1.7');
  assert.ok(flow, "the good capture's flow is in the report");
  assert.ok(flow!.seenAt.some((s) => s.input === 'good.pcap'));
}

interface Case {
  name: string;
  /** The bad input's path (relative to TMP), created by setup. */
  bad: string;
  setup(): void;
  /** The one stderr line naming the bad input (undefined: the input is fine or its damage is per packet: no line). */
  line?: RegExp;
  /** A second line, where the file has two distinct problems. */
  second?: RegExp;
  /** Exit status when the bad input is the only one. */
  alone: number;
  check?(r: Report): void;
  skip?: string;
}

const w = (p: string, b: string | Uint8Array) => {
  mkdirSync(join(TMP, p, '..'), { recursive: true });
  writeFileSync(join(TMP, p), b);
};
const frame = (i: number) => icmpFrame('10.0.0.1', '10.0.0.2', i);

const CASES: Case[] = [
  { name: 'empty capture file', bad: 'empty.pcap', setup: () => w('empty.pcap', ''), line: /^podpath: empty\.pcap: empty file$/, alone: 3 },
  { name: 'empty text file', bad: 'empty.txt', setup: () => w('empty.txt', ''), line: /^podpath: empty\.txt: empty file$/, alone: 3 },
  { name: 'folder with no inputs', bad: 'nothing', setup: () => mkdirSync(join(TMP, 'nothing')), line: /^podpath: nothing: no files in this host folder$/, alone: 3 },
  {
    name: 'unreadable file (chmod 000)',
    bad: 'unreadable.pcap',
    setup: () => {
      w('unreadable.pcap', GOOD);
      chmodSync(join(TMP, 'unreadable.pcap'), 0);
    },
    line: /^podpath: unreadable\.pcap: cannot be read$/,
    alone: 3,
    skip: root ? 'running as root: chmod 000 does not stop reads (the FIFO and directory cases stand in)' : undefined,
  },
  {
    name: 'a FIFO named like a capture (opening it would block)',
    bad: 'fifo.pcap',
    setup: () => execFileSync('mkfifo', [join(TMP, 'fifo.pcap')]),
    line: /^podpath: fifo\.pcap: not a regular file or folder$/,
    alone: 3,
  },
  { name: 'a directory named like a file', bad: 'dir.pcap', setup: () => mkdirSync(join(TMP, 'dir.pcap')), line: /^podpath: dir\.pcap: no files in this host folder$/, alone: 3 },
  {
    name: 'symbolic link loop',
    bad: 'loop-a',
    setup: () => {
      symlinkSync('loop-b', join(TMP, 'loop-a'));
      symlinkSync('loop-a', join(TMP, 'loop-b'));
    },
    line: /^podpath: loop-a: symbolic link loop$/,
    alone: 3,
  },
  {
    name: 'folder linking to itself (the dump inside still read)',
    bad: 'selfloop',
    setup: () => {
      w('selfloop/ip-addr.txt', IP_ADDR);
      symlinkSync('.', join(TMP, 'selfloop', 'again'));
    },
    line: /^podpath: selfloop\/again: symbolic link loop$/,
    alone: 0,
    check: (r) => assert.equal(r.inputs.find((i) => i.path === 'selfloop/ip-addr.txt')?.commands, ['ip-addr']),
  },
  {
    name: 'binary junk given as a dump',
    bad: 'junk.txt',
    setup: () => w('junk.txt', Uint8Array.from({ length: 2000 }, (_, i) => (i * 7919 + 13) & 255)),
    line: /^podpath: junk\.txt: neither a capture \(pcap, pcapng\) nor a text dump$/,
    alone: 3,
  },
  {
    name: 'a dump of the wrong command under a misleading name (route-n.txt holding bridge vlan)',
    bad: 'route-n.txt',
    setup: () => w('route-n.txt', 'port              vlan-id\ncni0              1 PVID Egress Untagged\nflannel.1         1 PVID Egress Untagged\n'),
    line: /^podpath: route-n\.txt:1: the name suggests route -n output but the content is bridge vlan output; parsed as bridge-vlan$/,
    alone: 0,
    check: (r) => assert.equal(r.inputs.find((i) => i.path === 'route-n.txt')?.commands, ['bridge-vlan']),
  },
  {
    name: 'non-UTF-8 (Latin-1) text dump: read',
    bad: 'latin1/ip-addr.txt',
    setup: () => w('latin1/ip-addr.txt', Buffer.from(IP_ADDR.replace('group default qlen 1000\n    link/ether', 'group default qlen 1000 # caf\xe9 \xe0 \xff\n    link/ether'), 'latin1')),
    alone: 0,
    check: (r) => {
      assert.equal(r.inputs.find((i) => i.path === 'latin1/ip-addr.txt')?.commands, ['ip-addr']);
      assert.ok(r.topology.hosts.find((h) => h.name === 'latin1')?.interfaces.some((i) => i.name === 'eth0'));
    },
  },
  {
    name: 'a text file named .pcap',
    bad: 'text.pcap',
    setup: () => w('text.pcap', 'hello, this is not a capture\n'),
    line: /^podpath: text\.pcap:1: not recognized as the output of any command podpath reads \(first line 'hello, this is not a capture'\)$/,
    alone: 3,
  },
  {
    name: 'pcap with a zero-length record: read, counted malformed, no line (packet-level damage)',
    bad: 'zero-len.pcap',
    setup: () => w('zero-len.pcap', pcap([{ sec: 1, frac: 0, data: new Uint8Array(0) }, { sec: 2, frac: 0, data: frame(1) }])),
    alone: 0,
    check: (r) => {
      assert.is(r.inputs.find((i) => i.path === 'zero-len.pcap')?.packets, 2);
      assert.is(r.stats.malformed, 1);
    },
  },
  {
    name: 'pcap with snaplen 0',
    bad: 'snaplen0.pcap',
    setup: () => w('snaplen0.pcap', pcap([{ sec: 1, frac: 0, data: frame(1) }], { snaplen: 0 })),
    alone: 0,
    check: (r) => assert.is(r.inputs.find((i) => i.path === 'snaplen0.pcap')?.packets, 1),
  },
  {
    name: 'pcap with snaplen 4 GiB',
    bad: 'snaplen4g.pcap',
    setup: () => w('snaplen4g.pcap', pcap([{ sec: 1, frac: 0, data: frame(1) }], { snaplen: 0xffffffff })),
    alone: 0,
    check: (r) => assert.is(r.inputs.find((i) => i.path === 'snaplen4g.pcap')?.packets, 1),
  },
  {
    name: 'timestamps going backwards: read in file order, no line',
    bad: 'backwards.pcap',
    setup: () => w('backwards.pcap', pcap([3, 2, 1].map((s) => ({ sec: 1700000000 + s, frac: 0, data: frame(s) })))),
    alone: 0,
    check: (r) => {
      assert.is(r.inputs.find((i) => i.path === 'backwards.pcap')?.packets, 3);
      assert.is(r.stats.decoded, 7);
    },
  },
  {
    name: 'a record claiming 4 GiB: the records before it read, one line with packet number and byte offset',
    bad: 'claims4g.pcap',
    setup: () => w('claims4g.pcap', pcap([{ sec: 1, frac: 0, data: frame(1) }, { sec: 2, frac: 0, data: new Uint8Array(20), caplen: 0xffffffff }])),
    line: /^podpath: claims4g\.pcap: packet 2, byte offset 138: record claims 4294967295 captured bytes \(more than the 1048576-byte limit\): the file is corrupt from here on$/,
    alone: 0,
    check: (r) => assert.is(r.inputs.find((i) => i.path === 'claims4g.pcap')?.packets, 1),
  },
  {
    name: 'pcap cut in the middle of a record: the cut packet kept, one warning line',
    bad: 'cut.pcap',
    setup: () => w('cut.pcap', GOOD.subarray(0, GOOD.length - 10)),
    line: /^podpath: cut\.pcap: packet 4, byte offset 366: warning: record cut by end of file: 88 of 98 captured bytes present$/,
    alone: 0,
    check: (r) => {
      assert.is(r.inputs.find((i) => i.path === 'cut.pcap')?.packets, 4);
      // its headers are whole (only ICMP payload is missing): decoded, not truncated
      assert.is(r.stats.decoded, 8);
    },
  },
  {
    name: 'gzip cut short: what was decompressed is read, one line',
    bad: 'cut.pcap.gz',
    setup: () => {
      const z = gzipSync(GOOD);
      w('cut.pcap.gz', z.subarray(0, z.length - 12));
    },
    line: /^podpath: cut\.pcap\.gz: compressed byte offset \d+: gzip data cut short \(unexpected end of file after 423 decompressed bytes\)$/,
    // and the record the cut went through, as for a plain file cut short
    second: /^podpath: cut\.pcap\.gz: packet 4, byte offset 366: warning: record cut by end of file: 41 of 98 captured bytes present$/,
    alone: 0,
  },
  {
    name: 'pcapng block with a bad total length: one line with the byte offset',
    bad: 'badlen.pcapng',
    setup: () => {
      const b = pcapng([{ linktype: 1, name: 'eth0' }], [{ iface: 0, sec: 1, frac: 0, data: frame(1) }, { iface: 0, sec: 2, frac: 0, data: frame(2) }]);
      const epb2 = b.length - (b.readUInt32LE(b.length - 4));
      b.writeUInt32LE(13, epb2 + 4);
      w('badlen.pcapng', b);
    },
    line: /^podpath: badlen\.pcapng: packet 2, byte offset \d+: .*not a multiple of 4/,
    alone: 0,
    check: (r) => assert.is(r.inputs.find((i) => i.path === 'badlen.pcapng')?.packets, 1),
  },
  {
    name: 'a pcap header and nothing else',
    bad: 'header-only.pcap',
    setup: () => w('header-only.pcap', pcapHeader()),
    alone: 3,
    check: (r) => assert.is(r.inputs.find((i) => i.path === 'header-only.pcap')?.packets, 0),
  },
];

for (const c of CASES) {
  test(`bad input: ${c.name}`, async () => {
    if (c.skip) {
      console.log(`SKIP ${c.name}: ${c.skip}`);
      return;
    }
    c.setup();
    const mixed = await analyze(['good.pcap', c.bad]);
    assert.is(mixed.code, 0, `exit 0 with the good capture beside it; stderr: ${mixed.stderr.join(' | ')}`);
    const naming = mixed.stderr.filter((l) => l.includes(c.bad.split('/').pop()!.replace(/\.gz$/, '')) || l.includes(c.bad));
    if (c.line) {
      assert.is(naming.length, c.second ? 2 : 1, `one stderr line names ${c.bad}: ${JSON.stringify(mixed.stderr)}`);
      assert.match(naming[0], c.line);
      if (c.second) assert.match(naming[1], c.second);
    } else {
      assert.is(naming.length, 0, `no stderr line for ${c.bad}: ${JSON.stringify(mixed.stderr)}`);
    }
    for (const l of mixed.stderr) assert.ok(l.startsWith('podpath: '), `every stderr line is a podpath message: ${l}`);
    assert.ok(mixed.report);
    accounting(mixed.report!);
    goodStillAnalyzed(mixed.report!);
    c.check?.(mixed.report!);

    const alone = await analyze([c.bad]);
    assert.is(alone.code, c.alone, `alone: exit ${c.alone}; stderr: ${alone.stderr.join(' | ')}`);
    if (c.alone === 3) {
      assert.is(alone.stderr[alone.stderr.length - 1], 'podpath: no input could be read');
      assert.is(alone.report, undefined, 'no report when nothing could be read');
    } else {
      accounting(alone.report!);
    }
  });
}

test('duplicated files: the same capture under two names is two capture points; each flow counts a packet once', async () => {
  w('dup.pcap', GOOD);
  const r = (await analyze(['good.pcap', 'dup.pcap'])).report!;
  accounting(r);
  assert.is(r.stats.packets, 8, 'stats count records read: 4 + 4');
  const f = r.flows.filter((x) => x.src.ip === '10.42.0.5');
  assert.is(f.length, 1);
  assert.is(f[0].packets, 4, 'the flow counts each packet once');
  assert.equal(f[0].seenAt.map((s) => [s.input, s.packets]), [['dup.pcap', 4], ['good.pcap', 4]]);
  // the same file named twice (or by two spellings) is read once
  const once = (await analyze(['good.pcap', './good.pcap', 'good.pcap'])).report!;
  assert.is(once.stats.packets, 4);
  assert.is(once.inputs.length, 1);
});

test('control characters in a file name or a problem message: still one stderr line each, shown escaped', async () => {
  w('new\nline\x1b[31m.pcap', '');
  // found by the fuzzer: an `ip -j addr` cut inside a string (the message quotes the newline)
  w('cr/ip-addr.json', '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP"],"mtu":65536,"addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","val\n\n');
  const r = await analyze(['good.pcap', 'new\nline\x1b[31m.pcap', 'cr']);
  assert.is(r.code, 0);
  const io = r.stderr;
  assert.ok(io.includes('podpath: new\\nline\\u001b[31m.pcap: empty file'), JSON.stringify(io));
  assert.ok(io.some((l) => /^podpath: cr\/ip-addr\.json:1: malformed JSON: .*'\\n'$/.test(l)), JSON.stringify(io));
  for (const l of io) assert.not.match(l, /[\u0000-\u001f]/, JSON.stringify(l));
  accounting(r.report!);
  goodStillAnalyzed(r.report!);
});

test('10,000 tiny capture files in one host folder: all read, bounded time', async () => {
  const t0 = Date.now();
  mkdirSync(join(TMP, 'many'));
  for (let i = 0; i < 10000; i++) writeFileSync(join(TMP, 'many', `c${i}.pcap`), pcap([{ sec: 1700000000 + i, frac: 0, data: frame(i & 0xffff) }]));
  const t1 = Date.now();
  const r = await analyze(['good.pcap', 'many']);
  const ms = Date.now() - t1;
  console.log(`  10,000 files: written in ${t1 - t0} ms, analyzed in ${ms} ms`);
  assert.is(r.code, 0);
  accounting(r.report!);
  goodStillAnalyzed(r.report!);
  assert.is(r.report!.stats.packets, 10004);
  assert.is(r.report!.inputs.length, 10001);
  assert.ok(ms < 60000, `analyzed in ${ms} ms`);
  rmSync(join(TMP, 'many'), { recursive: true, force: true });
});

// ----------------------------------------------------------------------------------- the real CLI

function cli(args: string[], node: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [...node, join(ROOT, 'bin', 'podpath.js'), ...args], { cwd: TMP, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', fail);
    p.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

test('real CLI: every bad input at once beside the good one: exit 0, one line per bad file, no stack trace', async () => {
  const bad = CASES.filter((c) => !c.skip).map((c) => c.bad);
  const r = await cli(['analyze', 'good.pcap', ...bad, '--format', 'json']);
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  const lines = r.stderr.split('\n').filter(Boolean);
  for (const c of CASES) {
    if (c.skip) continue;
    const n = lines.filter((l) => l.startsWith(`podpath: ${c.bad}:`) || l.startsWith(`podpath: ${c.bad}/`)).length;
    assert.is(n, c.line ? (c.second ? 2 : 1) : 0, `${c.bad}: ${n} lines in ${JSON.stringify(lines)}`);
  }
  const report = JSON.parse(r.stdout) as Report;
  accounting(report);
  goodStillAnalyzed(report);
});

test('real CLI: nothing readable exits 3 with one line per input and the summary line; a missing file too', async () => {
  const r = await cli(['analyze', 'empty.pcap', 'junk.txt', 'no-such-file.pcap']);
  assert.is(r.code, 3);
  assert.is(r.stdout, '');
  // paths that do not exist are found first (while expanding the arguments), then each file's content
  assert.equal(r.stderr.split('\n').filter(Boolean), [
    'podpath: no-such-file.pcap: no such file or folder',
    'podpath: empty.pcap: empty file',
    'podpath: junk.txt: neither a capture (pcap, pcapng) nor a text dump',
    'podpath: no input could be read',
  ]);
});

test('real CLI: a gzip bomb (50 MB of zero records in 50 KB) stays bounded in memory and time', async () => {
  // a pcap header then zeros: 3.3 million zero-length records, all decompressed and counted
  const zeros = Buffer.alloc(50 * 1024 * 1024);
  pcapHeader().copy(zeros, 0);
  const gz = gzipSync(zeros, { level: 9 });
  assert.ok(gz.length < 100 * 1024, `${gz.length} bytes compressed`);
  w('bomb.pcap.gz', gz);
  const wrapper = join(TMP, 'maxrss.mjs');
  writeFileSync(
    wrapper,
    `const { main } = await import(${JSON.stringify(new URL('../../src/cli.js', import.meta.url).href)});\n` +
      `const code = await main(process.argv.slice(2));\nprocess.stderr.write('MAXRSS_KB ' + process.resourceUsage().maxRSS + '\\n');\nprocess.exitCode = code;\n`,
  );
  const t0 = Date.now();
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    const p = spawn(process.execPath, ['--max-old-space-size=192', wrapper, 'analyze', 'good.pcap', 'bomb.pcap.gz', '--format', 'json'], { cwd: TMP });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
  const ms = Date.now() - t0;
  const rss = Number(/MAXRSS_KB (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024;
  console.log(`  gzip bomb: ${ms} ms, peak RSS ${rss.toFixed(0)} MB`);
  assert.is(r.code, 0, r.stderr);
  assert.ok(rss > 0 && rss < 400, `peak RSS ${rss} MB`);
  assert.ok(ms < 60000, `${ms} ms`);
  const report = JSON.parse(r.stdout) as Report;
  accounting(report);
  goodStillAnalyzed(report);
  assert.is(report.inputs.find((i) => i.path === 'bomb.pcap.gz')?.packets, (50 * 1024 * 1024 - 24 - 8) / 16);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('podpath: bomb.pcap.gz'));
  assert.equal(lines, ['podpath: bomb.pcap.gz: packet 3276799, byte offset 52428792: record header cut by end of file (8 of 16 bytes); packet not read']);
});

test.after(() => {
  try {
    chmodSync(join(TMP, 'unreadable.pcap'), 0o644);
  } catch {
    // not created
  }
  rmSync(TMP, { recursive: true, force: true });
});

test.run();
