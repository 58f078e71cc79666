/**
 * tcpdump's own expected outputs (corpus/tcpdump/tests/*.out, master, and the 4.99.3 OTV rendering)
 * against our decoder: packet count, timestamp, outer and inner addresses/ports/protocol, and the
 * VXLAN/Geneve/OTV network identifier, for the tunnel tests (VXLAN, VXLAN on 8472, Geneve, GSO,
 * BIG TCP). Nothing is hard-coded: every expectation is parsed out of the .out files.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shared } from '../helpers.js';
import { decodeFile, ourHops, parseTcpdump, sameHop } from './tcpdump-text.js';

interface Case {
  name: string;
  input: string;
  expected: string;
}

function testlist(root: string): Case[] {
  const text = readFileSync(join(root, 'corpus/tcpdump/TESTLIST.subset'), 'utf8');
  const cases: Case[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [name, input, expected, ...opts] = line.trim().split(/\s+/);
    if (opts.includes('--')) continue; // filtered runs renumber packets
    cases.push({ name, input, expected });
  }
  return cases;
}

const TUNNEL_TESTS = /^(vxlan|vxlan_port_8472|geneve-vv|geneve-gcp|gso-.*|bigtcp-.*)$/;

/** "VXLAN, flags [I] (0x08), vni 100" / "Geneve, Flags [C], vni 0xa" / "OTV, ... instance 100". */
function expectedVni(text: string): number | undefined {
  const m = /VXLAN, flags \[[^\]]*\] \(0x[0-9a-f]+\), vni (\d+)/.exec(text) ?? /Geneve, Flags \[[^\]]*\], vni (0x[0-9a-f]+)/.exec(text) ?? /OTV, flags \[[^\]]*\] \(0x[0-9a-f]+\), overlay \d+, instance (\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** "2013-05-18 20:21:44.837063 ..." -> "2013-05-18T20:21:44.837063Z" */
function expectedTime(text: string): string | undefined {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d+) /.exec(text);
  return m ? `${m[1]}T${m[2]}Z` : undefined;
}

async function check(file: string, outText: string, label: string, opts: { times: boolean }): Promise<number> {
  const expected = parseTcpdump(outText);
  const ours = await decodeFile(file);
  assert.is(ours.summaries.length, expected.length, `${label}: packet count`);
  let checked = 0;
  for (const t of expected) {
    const s = ours.summaries[t.number - 1];
    const where = `${label} #${t.number}`;
    if (opts.times) assert.is(s.time, expectedTime(t.text), `${where}: time`);
    assert.ok(t.hops.length >= 2, `${where}: the expected output shows outer and inner headers`);
    const o = ourHops(s);
    const e1 = sameHop(t.hops[0], o.outer);
    assert.is(e1, undefined, `${where}: outer: ${e1}`);
    const e2 = sameHop(t.hops[t.hops.length - 1], o.inner);
    assert.is(e2, undefined, `${where}: inner: ${e2}`);
    const vni = expectedVni(t.text);
    assert.ok(vni !== undefined, `${where}: a VNI in the expected output`);
    assert.is(s.tunnel?.vni, vni, `${where}: vni`);
    assert.equal(s.problems, [], `${where}: no problems`);
    assert.is(s.truncated, false, `${where}: not truncated`);
    checked++;
  }
  return checked;
}

test('tunnel tests: every packet matches tcpdump master expected output (count, time, outer, inner, vni)', async () => {
  const root = shared('tcpdump expected outputs');
  if (!root) return;
  const cases = testlist(root).filter((c) => TUNNEL_TESTS.test(c.name));
  assert.ok(cases.length >= 20, `${cases.length} tunnel tests found`);
  let packets = 0;
  for (const c of cases) {
    const dir = join(root, 'corpus/tcpdump/tests');
    packets += await check(join(dir, c.input), readFileSync(join(dir, c.expected), 'utf8'), c.name, { times: true });
  }
  console.log(`${cases.length} tunnel tests, ${packets} packets checked against tcpdump master`);
});

test('VXLAN on UDP 8472 also matches tcpdump 4.99.3 (which prints it as OTV)', async () => {
  const root = shared('tcpdump 4.99.3 OTV output');
  if (!root) return;
  const out = readFileSync(join(root, 'corpus/tcpdump/tcpdump-4.99.3/local-generated/vxlan_port_8472.otv-tcpdump-4.99.3.out'), 'utf8');
  assert.match(out, /OTV, flags \[I\]/);
  const n = await check(join(root, 'corpus/tcpdump/tests/vxlan_port_8472.pcap'), out, 'vxlan_port_8472 (4.99.3 OTV)', { times: true });
  assert.is(n, 10);
  const ours = await decodeFile(join(root, 'corpus/tcpdump/tests/vxlan_port_8472.pcap'));
  for (const s of ours.summaries) {
    assert.is(s.tunnel?.type, 'vxlan');
    assert.is(s.tunnel?.port, 8472);
  }
});

test('gso/bigtcp: outer length 0 (IPv4) or payload length 0 (IPv6) decode fully, without problems', async () => {
  const root = shared('gso/bigtcp');
  if (!root) return;
  for (const c of testlist(root).filter((x) => /^(gso|bigtcp)-/.test(x.name))) {
    const ours = await decodeFile(join(root, 'corpus/tcpdump/tests', c.input));
    for (const s of ours.summaries) {
      assert.is(s.status, 'decoded', `${c.name} #${s.index}`);
      assert.is(s.layers.at(-1), 'tcp', `${c.name} #${s.index}: down to TCP`);
      if (c.name.startsWith('bigtcp')) assert.ok(s.captureLength > 65535, 'BIG TCP packets exceed 64 KiB');
    }
  }
});

test.run();
