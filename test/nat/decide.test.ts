/**
 * The kube-proxy chain walk on small iptables-save inputs: ClusterIP DNAT with the statistic
 * branch, NodePort through KUBE-EXT-* with masquerade, the filter REJECT of a Service without
 * endpoints, and a packet no rule translates.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { iptablesSave } from '../../src/dumps/iptables-save.js';
import type { IptablesSaveRecord } from '../../src/dumps/nat-types.js';
import { decisionText, filterVerdict, natDecisions } from '../../src/nat/decide.js';
import type { NatFacts, NatRule } from '../../src/nat/services.js';

const RULES = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':KUBE-SERVICES - [0:0]',
  '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '[3:180] -A KUBE-SERVICES -d 10.43.0.60/32 -p tcp -m comment --comment "default/empty:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
  'COMMIT',
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
  '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
  '-A KUBE-EXT-A -m comment --comment "masquerade traffic for default/web:http external destinations" -j KUBE-MARK-MASQ',
  '-A KUBE-EXT-A -j KUBE-SVC-A',
  '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
  '-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j KUBE-EXT-A',
  '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
  '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
  '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  '-A KUBE-SEP-1 -s 10.42.0.9/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ',
  '-A KUBE-SEP-1 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.42.0.9:8080',
  '-A KUBE-SEP-2 -s 10.42.1.12/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ',
  '-A KUBE-SEP-2 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.42.1.12:8080',
  '-A KUBE-SERVICES -d 10.43.0.50/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-A',
  '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  '-A KUBE-SVC-A ! -s 10.42.0.0/16 -d 10.43.0.50/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
  '-A KUBE-SVC-A -m comment --comment "default/web:http -> 10.42.0.9:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-1',
  '-A KUBE-SVC-A -m comment --comment "default/web:http -> 10.42.1.12:8080" -j KUBE-SEP-2',
  'COMMIT',
];

function facts(): NatFacts {
  const { records, problems } = iptablesSave.parse(RULES, 1);
  assert.equal(problems, []);
  const chains = new Map<string, NatRule[]>();
  for (const r of records as IptablesSaveRecord[]) {
    if (r.kind !== 'rule') continue;
    const k = `${r.table}/${r.chain}`;
    chains.set(k, [...(chains.get(k) ?? []), { host: 'n1', table: r.table!, chain: r.chain, record: r, evidence: { input: 'n1/iptables-save.txt', line: r.line } }]);
  }
  return { chains: new Map([['n1', chains]]), conntrack: [], ruleHosts: new Set(['n1']), conntrackHosts: new Set() };
}

test('ClusterIP from a pod: two DNAT branches with their probabilities, no masquerade', () => {
  const ds = natDecisions(facts(), 'n1', { protocol: 'tcp', src: '10.42.0.20', sport: 40000, dst: '10.43.0.50', dport: 80, dstLocal: false });
  const dnats = ds.filter((d) => d.dnat).map((d) => ({ to: `${d.dnat!.ip}:${d.dnat!.port}`, p: d.probability, sep: d.pick?.sep, masq: !!d.masquerade }));
  dnats.sort((a, b) => (a.to < b.to ? -1 : 1));
  assert.equal(dnats, [
    { to: '10.42.0.9:8080', p: 0.5, sep: 'KUBE-SEP-1', masq: false },
    { to: '10.42.1.12:8080', p: 0.5, sep: 'KUBE-SEP-2', masq: false },
  ]);
  assert.is(dnats.length, 2);
  const first = ds.find((d) => d.dnat?.ip === '10.42.0.9')!;
  assert.equal(first.walk.slice(0, 4), ['PREROUTING', 'KUBE-SERVICES', 'KUBE-SVC-A', 'KUBE-SEP-1']);
  assert.is(first.dnat!.rule.evidence.line, RULES.indexOf(RULES.find((l) => l.includes('DNAT --to-destination 10.42.0.9'))!) + 1);
  assert.match(decisionText(first), /KUBE-SEP-1, picked by KUBE-SVC-A with probability 0\.5, iptables-save line \d+/);
});

test('ClusterIP from outside the cluster CIDR is marked and masqueraded', () => {
  const ds = natDecisions(facts(), 'n1', { protocol: 'tcp', src: '10.32.11.62', sport: 40000, dst: '10.43.0.50', dport: 80, dstLocal: false });
  assert.ok(ds.length === 2 && ds.every((d) => d.dnat && d.masquerade?.record.target === 'MASQUERADE'));
});

test('NodePort: KUBE-NODEPORTS -> KUBE-EXT -> mark -> DNAT, then MASQUERADE in POSTROUTING', () => {
  const ds = natDecisions(facts(), 'n1', { protocol: 'tcp', src: '10.32.0.5', sport: 5000, dst: '10.32.11.62', dport: 30080, dstLocal: true });
  assert.is(ds.filter((d) => d.dnat).length, 2);
  for (const d of ds) {
    assert.ok(d.walk.includes('KUBE-NODEPORTS') && d.walk.includes('KUBE-EXT-A'), d.walk.join(' '));
    assert.is(d.markedBy?.chain, 'KUBE-EXT-A');
    assert.is(d.masquerade?.chain, 'KUBE-POSTROUTING');
  }
  // Not a local address: the node port rule is never reached.
  const none = natDecisions(facts(), 'n1', { protocol: 'tcp', src: '10.32.0.5', sport: 5000, dst: '10.32.11.99', dport: 30080, dstLocal: false });
  assert.ok(none.every((d) => !d.dnat && !d.masquerade));
});

test('a Service without endpoints: no DNAT, the filter REJECT rule with its counter', () => {
  const f = facts();
  const pkt = { protocol: 'tcp', src: '10.42.0.20', sport: 40001, dst: '10.43.0.60', dport: 80, dstLocal: false };
  assert.ok(natDecisions(f, 'n1', pkt).every((d) => !d.dnat));
  const v = filterVerdict(f, 'n1', pkt);
  assert.is(v?.target, 'REJECT');
  assert.is(v?.rule.record.comment, 'default/empty:http has no endpoints');
  assert.is(v?.rule.record.packets, 3);
  assert.is(filterVerdict(f, 'n1', { ...pkt, dport: 81 }), undefined);
  assert.is(filterVerdict(f, 'other-host', pkt), undefined);
});

test.run();
