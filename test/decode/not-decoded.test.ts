/**
 * What podpath does not open is named, per input (InputReport.notDecoded), never silent: on every
 * capture of the third-party corpus (tcpdump's and libpcap's test captures), with tshark as the
 * oracle of what the packets hold; and the encapsulations decoded since (ERSPAN I/II/III,
 * MPLS-in-UDP) agree with tshark on the inner addresses.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { analyze } from '../../src/analyze.js';
import { summarize } from '../../src/report/summary.js';
import { shared } from '../helpers.js';

const SHARED = shared('not-decoded corpus tests');
const CORPUS = SHARED ? join(SHARED, 'corpus') : '';

function tsharkWorks(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    console.log('SKIP tshark oracle: tshark not installed');
    return false;
  }
}
const TSHARK = SHARED ? tsharkWorks() : false;

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : /\.(pcap|pcapng)$/.test(f) ? [p] : [];
    });
}

/** tshark's frame.protocols of every frame (unreadable files give none). */
function tsharkProtocols(file: string): string[][] {
  try {
    const out = execFileSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.protocols'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
    return out.split('\n').filter((l) => l !== '').map((l) => l.split(':'));
  } catch (e) {
    const out = (e as { stdout?: string }).stdout ?? '';
    return out.split('\n').filter((l) => l !== '').map((l) => l.split(':'));
  }
}

/** Protocols tshark names that podpath does not open, with how podpath must name them. */
const MUST_NAME: Record<string, RegExp> = {
  stp: /STP|PVST/,
  cdp: /CDP/,
  nhrp: /NHRP/,
  isis: /IS-IS/,
  lldp: /LLDP/,
  loop: /loopback/,
  cmd: /Cisco MetaData/,
  pppoed: /PPPoE/,
  pppoes: /PPPoE/,
  nflog: /NFLOG/,
};

/** The vocabulary of a not-decoded name. */
const NAME = /^(linktype \d+ \S|ethertype 0x[0-9a-f]{4} \S|GRE protocol 0x[0-9a-f]{4} \S|802\.2 (LLC DSAP|SNAP OUI) 0x|NULL address family \d+|netlink|PPP protocol 0x|ERSPAN |MPLS |NFLOG )/;

const reports = new Map<string, Awaited<ReturnType<typeof analyze>>>();
async function report(file: string) {
  let r = reports.get(file);
  if (!r) reports.set(file, (r = await analyze([file], { cwd: CORPUS, hash: false })));
  return r;
}

test('every corpus capture: each skipped packet is named, per input, in the vocabulary', async () => {
  if (!SHARED) return;
  let named = 0;
  for (const file of walk(CORPUS)) {
    const r = await report(file);
    const inputs = r.inputs.filter((i) => i.kind === 'capture');
    const nd = inputs.flatMap((i) => i.notDecoded ?? []);
    const rel = relative(CORPUS, file);
    assert.is(nd.reduce((a, x) => a + x.packets, 0), r.stats.skipped, `${rel}: every skipped packet is named`);
    for (const x of nd) {
      assert.match(x.what, NAME, `${rel}: ${x.what}`);
      assert.ok(x.packets > 0);
    }
    if (nd.length) named++;
    // All there is: the headline says what was not decoded, not "No flows." without a reason.
    if (r.flows.length === 0 && nd.length) assert.match(summarize(r).headline, /does not decode/, rel);
  }
  assert.ok(named > 0, 'some corpus capture holds something podpath does not open');
});

test('every corpus capture that podpath cannot fully decode names what tshark sees in it', async () => {
  if (!SHARED || !TSHARK) return;
  let checked = 0;
  for (const file of walk(CORPUS)) {
    const r = await report(file);
    const nd = r.inputs.flatMap((i) => i.notDecoded ?? []);
    if (nd.length === 0) continue;
    const rel = relative(CORPUS, file);
    const seen = new Set(tsharkProtocols(file).flat());
    for (const [proto, name] of Object.entries(MUST_NAME)) {
      if (!seen.has(proto)) continue;
      checked++;
      assert.ok(nd.some((x) => name.test(x.what)), `${rel}: tshark sees ${proto}; podpath names ${nd.map((x) => x.what).join('; ')}`);
    }
  }
  assert.ok(checked > 0, 'tshark named some protocol podpath does not open');
});

/** Inner (last) IPv4/IPv6 addresses per frame, by tshark. */
function tsharkInner(file: string): string[] {
  const out = execFileSync('tshark', ['-n', '-r', file, '-T', 'fields', '-E', 'occurrence=l', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ipv6.src', '-e', 'ipv6.dst'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [s4, d4, s6, d6] = l.split('\t');
      return s4 ? `${s4} > ${d4}` : `${s6} > ${d6}`;
    });
}

for (const name of ['erspan-type-i-1.pcap', 'erspan-type-ii-1.pcap', 'erspan-type-iii-ft-0.pcap', 'mpls-over-udp.pcap']) {
  test(`${name}: decoded through the encapsulation, inner addresses as tshark says, nothing not decoded`, async () => {
    if (!SHARED || !TSHARK) return;
    const file = join(CORPUS, 'tcpdump', 'tests', name);
    if (!existsSync(file)) return console.log(`SKIP ${name}: not in the corpus`);
    const r = await report(file);
    assert.equal(r.inputs.flatMap((i) => i.notDecoded ?? []), []);
    assert.is(r.stats.skipped, 0);
    assert.ok(r.stats.decoded > 0);
    const want = new Set(tsharkInner(file));
    const got = new Set(r.flows.flatMap((f) => [`${f.src.ip} > ${f.dst.ip}`, `${f.dst.ip} > ${f.src.ip}`]));
    for (const w of want) assert.ok(got.has(w), `${name}: inner ${w} (podpath flows: ${[...got].join(', ')})`);
  });
}

test.run();
