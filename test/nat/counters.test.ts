/**
 * Counters name the rule behind lost packets, and only a rule that counted packets: the
 * blocked-overlay-node-iptables sample with its DROP rule's counter reset to [0:0], or with an
 * ACCEPT for UDP 8472 before it, names no rule (the finding falls back to its generic cause).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../src/analyze.js';
import { SAMPLES } from '../helpers.js';

const SRC = join(SAMPLES, 'variants', 'blocked-overlay-node-iptables');
const WK = 'ip-10-32-7-224';
const has = existsSync(join(SRC, 'lab.json'));
if (!has) console.log('SKIP counters: samples/variants/blocked-overlay-node-iptables is absent');

async function withRules(edit: (text: string) => string, nft?: (text: string) => string) {
  const tmp = mkdtempSync(join(tmpdir(), 'podpath-counters-'));
  try {
    cpSync(SRC, tmp, { recursive: true });
    const f = join(tmp, WK, 'iptables-save.txt');
    writeFileSync(f, edit(readFileSync(f, 'utf8')));
    // Without an nft edit the nft dump goes: these cases are about iptables-save.
    const n = join(tmp, WK, 'nft-ruleset.txt');
    if (existsSync(n)) {
      if (nft) writeFileSync(n, nft(readFileSync(n, 'utf8')));
      else rmSync(n);
    }
    if (!edit('x')) rmSync(f);
    return await analyze([tmp], { cwd: tmp, hash: false });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (has) {
  test('a DROP rule whose counter is 0 is not named', async () => {
    const r = await withRules((t) => t.replace(/^\[\d+:\d+\] (-A INPUT .*-j DROP)$/m, '[0:0] $1'));
    assert.equal(r.findings.map((f) => `${f.severity}:${f.code}`), ['critical:overlay-blocked']);
    assert.is(r.findings[0].subject?.rule, undefined);
    assert.match(r.findings[0].message, `${WK} itself drops them`);
  });

  test('an ACCEPT before the DROP rule means the DROP rule did not drop them', async () => {
    const r = await withRules((t) => t.replace(/^(\[\d+:\d+\] -A INPUT .*-j DROP)$/m, '[12:1608] -A INPUT -p udp -m udp --dport 8472 -j ACCEPT\n$1'));
    assert.equal(r.findings.map((f) => f.code), ['overlay-blocked']);
    assert.is(r.findings[0].subject?.rule, undefined);
  });

  test('an ACCEPT for another interface (-i lo) does not hide the DROP; one for the NIC does', async () => {
    const lo = await withRules((t) => t.replace(/^(\[\d+:\d+\] -A INPUT .*-j DROP)$/m, '[40:3000] -A INPUT -i lo -j ACCEPT\n$1'));
    assert.is(lo.findings[0].subject?.rule?.line, 7);
    const eth = await withRules((t) => t.replace(/^(\[\d+:\d+\] -A INPUT .*-j DROP)$/m, '[40:3000] -A INPUT -i eth+ -j ACCEPT\n$1'));
    assert.is(eth.findings[0].subject?.rule, undefined);
  });

  test('nft list ruleset alone: the counted nft drop rule is named (table, chain, line, counters)', async () => {
    const r = await withRules(
      () => '',
      (t) => t,
    );
    assert.equal(r.findings.map((f) => `${f.severity}:${f.code}`), ['critical:overlay-blocked']);
    const text = readFileSync(join(SRC, WK, 'nft-ruleset.txt'), 'utf8').split('\n');
    const line = text.findIndex((l) => /\bdrop$/.test(l.trim())) + 1;
    const m = /counter packets (\d+) bytes (\d+)/.exec(text[line - 1])!;
    const rule = r.findings[0].subject?.rule;
    assert.ok(rule, 'rule named');
    assert.equal({ ...rule!, input: '' }, { host: WK, table: 'ip filter', chain: 'INPUT', target: 'DROP', input: '', line, text: text[line - 1].trim(), packets: Number(m[1]), bytes: Number(m[2]) });
    // With zero counters, or an accept before it, it is not named.
    const zero = await withRules(() => '', (t) => t.replace(/counter packets \d+ bytes \d+/, 'counter packets 0 bytes 0'));
    assert.is(zero.findings[0].subject?.rule, undefined);
    const acc = await withRules(() => '', (t) => t.replace(/(\t+)(udp dport 8472 counter)/, '$1iifname "eth0" accept\n$1$2'));
    assert.is(acc.findings[0].subject?.rule, undefined);
    const lo = await withRules(() => '', (t) => t.replace(/(\t+)(udp dport 8472 counter)/, '$1iifname "lo" accept\n$1$2'));
    assert.is(lo.findings[0].subject?.rule?.line, line + 1);
  });

  test('a counted DROP of another port is not named', async () => {
    const r = await withRules((t) => t.replace('--dport 8472', '--dport 4789'));
    assert.is(r.findings[0].subject?.rule, undefined);
  });

  test('a counted REJECT rule in a user chain jumped to from INPUT is named, with its chain', async () => {
    const r = await withRules((t) =>
      t
        .replace(':OUTPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]\n:HOSTFW - [0:0]')
        .replace(/^\[(\d+):(\d+)\] -A INPUT (.*)-j DROP$/m, '[$1:$2] -A INPUT -j HOSTFW\n[$1:$2] -A HOSTFW $3-j REJECT --reject-with icmp-port-unreachable'),
    );
    const rule = r.findings[0].subject?.rule;
    assert.ok(rule);
    assert.equal([rule!.chain, rule!.target, rule!.line, rule!.packets], ['HOSTFW', 'REJECT', 8, 12]);
    assert.is(rule!.text, '-A HOSTFW -p udp -m udp --dport 8472 -j REJECT --reject-with icmp-port-unreachable');
  });
}

test.run();
