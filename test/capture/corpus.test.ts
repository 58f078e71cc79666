/**
 * The capture readers against third-party data: tcpdump's and libpcap's test captures (with
 * tcpdump's expected outputs), and pcap-parser as an independent reader of classic pcap.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createRequire } from 'node:module';
import { shared } from '../helpers.js';
import { formatProblem } from '../../src/capture/frame.js';
import { isSupportedLinktype, linktypeName } from '../../src/capture/linktypes.js';
import { capturesIn, collect, type Got } from './collect.js';

const SHARED = shared('capture corpus tests');
const CORPUS = SHARED ? join(SHARED, 'corpus') : '';
const TCPDUMP = join(CORPUS, 'tcpdump');
const FOLDERS = ['tcpdump/tests', 'tcpdump/tcpdump-4.99.3/tests', 'libpcap', 'pcapng-conformance'];

/** libpcap's deliberately bad file headers, with what the refusal must say (cf. LOCAL-tcpdump-4.99.3-behaviour.txt). */
const BAD_HEADERS: Record<string, RegExp> = {
  'pcap-invalid-version-1.pcap': /archaic pcap savefile format \(version 1\.4/,
  'pcap-invalid-version-2.pcap': /unsupported pcap version 2\.5/,
  'pcapng-invalid-vers-1.pcapng': /unsupported pcapng version 0\.1/,
  'pcapng-invalid-vers-2.pcapng': /unsupported pcapng version 1\.1/,
  'shb-option-too-long.pcapng': /block total length in header \(52\) and trailer \(\d+\) don't match/,
};

interface TestLine {
  name: string;
  input: string;
  output: string;
  options: string[];
}

function testList(path: string): TestLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [name, input, output, ...options] = l.trim().split(/\s+/);
      return { name, input, output, options };
    });
}

/** The packet lines of a tcpdump -# output. */
function packetLines(outPath: string): string[] {
  return readFileSync(outPath, 'utf8')
    .split('\n')
    .filter((l) => /^\s+\d+  /.test(l));
}

test('every capture of the corpus is read without an exception; only the known-bad headers give errors', async () => {
  if (!SHARED) return;
  let files = 0;
  for (const folder of FOLDERS) {
    for (const file of capturesIn(join(CORPUS, folder))) {
      files++;
      const { problems, summary, frames } = await collect(file);
      const errors = problems.filter((p) => p.severity === 'error');
      const expected = BAD_HEADERS[basename(file)];
      if (expected) {
        assert.is(errors.length, 1, `${file}: one error`);
        assert.match(errors[0].message, expected, file);
        assert.is(frames.length, 0);
        assert.ok(summary.aborted);
        assert.ok(formatProblem(errors[0]).startsWith(file + ': byte offset '), formatProblem(errors[0]));
      } else if (problems.length > 0 && problems.every((p) => p.severity === 'warning' && /(micro|nano)seconds field/.test(p.message))) {
        // Fractions of a second out of range are read (carried into the seconds) with a warning each.
        assert.equal(errors, [], file);
        assert.is(summary.packets, frames.length);
      } else {
        assert.equal(problems.map(formatProblem), [], file);
        assert.is(summary.packets, frames.length);
        assert.is(summary.format, file.endsWith('.pcapng') ? 'pcapng' : 'pcap');
      }
      for (const f of frames) {
        assert.ok(f.nsec >= 0 && Number.isInteger(f.sec), `${file} packet ${f.index}: time`);
      }
    }
  }
  assert.ok(files >= 90, `found ${files} captures`);
});

test('packet counts equal the packet lines of tcpdump -# for every unfiltered test (master and 4.99.3 lists)', async () => {
  if (!SHARED) return;
  let compared = 0;
  const lists: [string, string, (o: string[]) => boolean][] = [
    // master: a lone `--` starts the BPF filter
    [join(TCPDUMP, 'TESTLIST.subset'), join(TCPDUMP, 'tests'), (o) => o.includes('--')],
    // 4.99.3: the filter is any word that is not an option
    [
      join(TCPDUMP, 'tcpdump-4.99.3', 'TESTLIST.subset-4.99.3'),
      join(TCPDUMP, 'tcpdump-4.99.3', 'tests'),
      (o) => o.some((t) => !t.startsWith('-')),
    ],
  ];
  for (const [list, dir, filtered] of lists) {
    for (const t of testList(list)) {
      if (filtered(t.options)) continue;
      const out = join(dir, t.output);
      if (!existsSync(out)) continue;
      const input = existsSync(join(dir, t.input)) ? join(dir, t.input) : join(TCPDUMP, 'tests', t.input);
      const { summary } = await collect(input);
      assert.is(summary.packets, packetLines(out).length, `${t.name} (${basename(list)}): packets`);
      compared++;
    }
  }
  assert.ok(compared >= 90, `compared ${compared} tests`);
});

const TTTT = /^\s+(\d+)  (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6}|\d{9}) /;

test('timestamps equal the -tttt column (microseconds, nanoseconds, after 2106) for every unfiltered test', async () => {
  if (!SHARED) return;
  let compared = 0;
  for (const t of testList(join(TCPDUMP, 'TESTLIST.subset'))) {
    if (t.options.includes('--')) continue;
    if (t.options.includes('SPECIAL_t') && !t.options.includes('-tttt')) continue;
    const { frames } = await collect(join(TCPDUMP, 'tests', t.input));
    const lines = packetLines(join(TCPDUMP, 'tests', t.output));
    for (const line of lines) {
      const m = TTTT.exec(line);
      assert.ok(m, `${t.name}: a -tttt line: ${line}`);
      const [, n, y, mo, d, h, mi, s, frac] = m!;
      const f: Got = frames[Number(n) - 1];
      const sec = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
      assert.is(f.sec, sec, `${t.name} packet ${n}: seconds`);
      if (frac.length === 9) assert.is(f.nsec, Number(frac), `${t.name} packet ${n}: nanoseconds`);
      else assert.is(Math.floor(f.nsec / 1000), Number(frac), `${t.name} packet ${n}: microseconds`);
      compared++;
    }
  }
  assert.ok(compared > 2500, `compared ${compared} timestamps`);
});

test('tcp-handshake-nano.pcap keeps its nanoseconds; time_2107.pcapng is after 2106', async () => {
  if (!SHARED) return;
  const nano = await collect(join(TCPDUMP, 'tests', 'tcp-handshake-nano.pcap'));
  assert.equal(
    nano.frames.map((f) => [f.sec, f.nsec, f.linktype]),
    [
      [1418145369, 924505488, 113],
      [1418145370, 52027262, 113],
      [1418145370, 52115157, 113],
    ],
  );
  assert.is(nano.summary.interfaces[0].tsUnitsPerSecond, 1e9);
  const t2107 = await collect(join(TCPDUMP, 'tests', 'time_2107.pcapng'));
  // time_2107-tt.out: "4323283200.000000"
  assert.is(t2107.frames[0].sec, 4323283200);
  assert.ok(t2107.frames[0].sec > 2 ** 32);
});

test('libpcap: a link type with reserved bits set is masked and named as tcpdump names it', async () => {
  if (!SHARED) return;
  const { summary, problems } = await collect(join(CORPUS, 'libpcap', 'linktype-reserved-field-not-zero.pcap'));
  assert.equal(problems, []);
  assert.is(summary.packets, 0);
  assert.is(summary.interfaces[0].linktype, 3145728);
  // tcpdump 4.99.3: "link-type 3145728, snapshot length 8400944"
  assert.is(linktypeName(summary.interfaces[0].linktype), '3145728');
  assert.not.ok(isSupportedLinktype(3145728));
  const ah = await collect(join(CORPUS, 'libpcap', 'ah-ipip-ping.pcap'));
  assert.is(linktypeName(ah.summary.interfaces[0].linktype), 'EN10MB (Ethernet)');
  assert.is(ah.summary.interfaces[0].snaplen, 65535);
});

// ---- pcap-parser 0.2.1 as an independent oracle for classic pcap ----

interface OraclePacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser') as {
  parse(input: string): { on(ev: string, cb: (x: never) => void): void };
};

function oracle(path: string): Promise<{ packets: OraclePacket[]; error?: Error }> {
  return new Promise((resolve) => {
    const packets: OraclePacket[] = [];
    let error: Error | undefined;
    const p = pcapParser.parse(path);
    p.on('packet', (x: OraclePacket) => packets.push({ header: x.header, data: Buffer.from(x.data) }));
    p.on('error', (e: Error) => (error = e));
    p.on('end', () => resolve({ packets, error }));
  });
}

/** Classic pcaps the oracle cannot judge, and why. */
const NOT_FOR_ORACLE: Record<string, string> = {
  'pcap-invalid-version-1.pcap': 'version 1.4: pcap-parser checks `major != 2 && minor != 4` and so accepts it; podpath refuses it as libpcap does',
  'pcap-invalid-version-2.pcap': 'version 2.5: accepted by the same pcap-parser check; podpath refuses it as libpcap does',
};

test('pcap-parser and podpath read the same packets from every well-formed microsecond pcap', async () => {
  if (!SHARED) return;
  const prev = process.noDeprecation;
  process.noDeprecation = true; // pcap-parser uses `new Buffer`
  let files = 0;
  let packets = 0;
  try {
    for (const folder of FOLDERS) {
      for (const file of capturesIn(join(CORPUS, folder))) {
        if (!file.endsWith('.pcap') || NOT_FOR_ORACLE[basename(file)]) continue;
        const magic = readFileSync(file).subarray(0, 4).toString('hex');
        if (magic !== 'd4c3b2a1' && magic !== 'a1b2c3d4') continue; // nanosecond pcaps: pcap-parser refuses them
        const ours = await collect(file);
        const theirs = await oracle(file);
        assert.is(theirs.error, undefined, `${file}: pcap-parser error`);
        // pcap-parser drops a record cut by the end of the file; none are in the corpus
        assert.is(ours.summary.cutByEof, 0, `${file}: no cut records`);
        assert.is(ours.frames.length, theirs.packets.length, `${file}: packet count`);
        ours.frames.forEach((f, i) => {
          const o = theirs.packets[i];
          // A microseconds field of 1000000 or more is carried into the seconds (with a warning);
          // pcap-parser keeps it raw: the instants agree.
          const us = o.header.timestampSeconds * 1e6 + o.header.timestampMicroseconds;
          assert.is(f.sec * 1e6 + f.nsec / 1000, us, `${file} #${i + 1} time`);
          if (o.header.timestampMicroseconds < 1e6) assert.is(f.nsec, o.header.timestampMicroseconds * 1000, `${file} #${i + 1} usec`);
          assert.is(f.bytes.length, o.header.capturedLength, `${file} #${i + 1} caplen`);
          assert.is(f.wireLength, o.header.originalLength, `${file} #${i + 1} len`);
          assert.ok(f.bytes.equals(o.data), `${file} #${i + 1} bytes`);
        });
        files++;
        packets += ours.frames.length;
      }
    }
  } finally {
    process.noDeprecation = prev;
  }
  assert.ok(files >= 60, `compared ${files} files`);
  assert.ok(packets >= 2500, `compared ${packets} packets`);
});

test.run();
