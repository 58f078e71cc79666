/**
 * Oracle: the installed tcpdump (`tcpdump -nn -# -r FILE`) against our decoder, packet by packet,
 * on every corpus capture (and samples/ captures when they exist): the outer and inner addresses,
 * ports and protocol must agree wherever tcpdump prints them. Skips visibly without tcpdump or the
 * corpus. Known, explained differences are listed in KNOWN and reported, not failed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SAMPLES, shared } from '../helpers.js';
import { decodeFile, ourHops, parseTcpdump, sameHop } from './tcpdump-text.js';

function tcpdumpVersion(): string | undefined {
  const r = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return /tcpdump version (\S+)/.exec(r.stdout + r.stderr)?.[1];
}

function walk(dir: string, out: string[]): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(name)) out.push(p);
  }
  return out;
}

/**
 * file (basename) -> packet numbers (or '*') where tcpdump and podpath legitimately differ, and why.
 * Every entry must still be hit (stale entries fail), so the list cannot rot.
 */
const KNOWN: Record<string, { packets: number[] | '*'; why: string }> = {
  'LINKTYPE_IPV4_invalid.pcap': {
    packets: [1],
    why: 'an IPv6 packet under link type IPV4 (228): tcpdump 4.99.3 decodes it as IPv6, master (and podpath) call it invalid',
  },
  'nsh-over-vxlan-gpe.pcap': { packets: '*', why: 'VXLAN-GPE (port 4790) and NSH are not decoded: no inner header' },
};

test('tcpdump oracle: outer/inner addresses, ports and protocol agree on every corpus capture', async () => {
  const root = shared('tcpdump oracle');
  if (!root) return;
  const version = tcpdumpVersion();
  if (!version) {
    console.log('SKIP tcpdump oracle: tcpdump is not installed');
    return;
  }
  const files = [
    ...walk(join(root, 'corpus/tcpdump/tests'), []),
    ...walk(join(root, 'corpus/libpcap'), []),
    ...walk(join(root, 'corpus/pcapng-conformance'), []),
    ...walk(SAMPLES, []),
  ];
  let compared = 0;
  let hops = 0;
  let filesCompared = 0;
  let known = 0;
  const failures: string[] = [];
  const hit = new Set<string>();
  for (const file of files) {
    const r = spawnSync('tcpdump', ['-nn', '-#', '-r', file], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, TZ: 'GMT0' } });
    if (r.error) continue;
    const theirs = parseTcpdump(r.stdout);
    if (theirs.length === 0) continue;
    const ours = await decodeFile(file);
    filesCompared++;
    const base = file.split('/').pop()!;
    const k = KNOWN[base];
    for (const t of theirs) {
      if (t.hops.length === 0) continue;
      const s = ours.summaries[t.number - 1];
      const where = `${relative(root, file)} #${t.number}`;
      if (!s) {
        failures.push(`${where}: we have no packet ${t.number}`);
        continue;
      }
      const o = ourHops(s);
      const first = t.hops[0];
      const last = t.hops[t.hops.length - 1];
      const errs: string[] = [];
      const e1 = sameHop(first, o.outer ?? o.inner);
      if (e1) errs.push(`outer: ${e1}`);
      if (t.hops.length > 1) {
        const e2 = sameHop(last, o.inner);
        if (e2) errs.push(`inner: ${e2}`);
      }
      if (errs.length > 0 && k && (k.packets === '*' || k.packets.includes(t.number))) {
        known++;
        hit.add(base);
        continue;
      }
      compared++;
      hops += t.hops.length > 1 ? 2 : 1;
      if (errs.length > 0) failures.push(`${where}: ${errs.join('; ')}\n    tcpdump: ${t.text.slice(0, 300)}`);
    }
  }
  console.log(
    `tcpdump ${version} oracle: ${filesCompared} captures, ${compared} packets (${hops} headers) compared, ${known} known differences, ${failures.length} disagreements`,
  );
  for (const [base, k] of Object.entries(KNOWN)) {
    if (hit.has(base)) console.log(`  known difference: ${base}: ${k.why}`);
    else if (files.some((f) => f.endsWith('/' + base))) failures.push(`KNOWN entry for ${base} is stale (no difference any more): remove it`);
  }
  if (failures.length > 0) console.log(failures.slice(0, 40).join('\n'));
  assert.ok(filesCompared >= 30, `only ${filesCompared} captures compared`);
  assert.is(failures.length, 0, `${failures.length} packets disagree with tcpdump`);
});

test.run();
