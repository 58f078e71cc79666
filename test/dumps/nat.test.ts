/**
 * The Service/NAT dump parsers on real outputs: test/dumps/fixtures/nat/ was made by the kernel
 * (make.sh: kube-proxy-style iptables and nftables rules in network namespaces, connections through
 * a ClusterIP), the third-party outputs of ../shared/corpus/dumps, kubectl tables written by hand in
 * kubectl's column format (kubectl cannot run here), and wrong, empty, binary and truncated input.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDump, detectDump, nameHints } from '../../src/dumps/index.js';
import { iptablesSave } from '../../src/dumps/iptables-save.js';
import { iptablesList } from '../../src/dumps/iptables-list.js';
import { nftRuleset } from '../../src/dumps/nft-ruleset.js';
import { ipvsadm } from '../../src/dumps/ipvsadm.js';
import { conntrack } from '../../src/dumps/conntrack.js';
import { kubectlEndpointSlices, kubectlEndpoints, kubectlServices } from '../../src/dumps/kubectl-services.js';
import type {
  ConntrackRecord,
  DumpCommand,
  DumpSection,
  IptablesListRecord,
  IptablesSaveRecord,
  IpvsRecord,
  KubectlEndpointSliceRecord,
  KubectlEndpointsRecord,
  KubectlServiceRecord,
  NftRecord,
} from '../../src/dumps/types.js';
import { ROOT, shared } from '../helpers.js';
import { describe, filesUnder } from './util.js';

const FIX = join(ROOT, 'test', 'dumps', 'fixtures', 'nat');
const fixture = (name: string) => readFileSync(join(FIX, name));
function one<R>(name: string, want: DumpCommand, text?: string | Buffer): R[] {
  const s = parseDump(name, text ?? fixture(name));
  assert.is(s.length, 1, describe(s));
  assert.is(s[0].command, want, describe(s));
  assert.equal(s[0].problems, [], describe(s));
  return s[0].records as R[];
}
const lineOf = (name: string, n: number) => fixture(name).toString().split('\n')[n - 1];

// --- iptables-save ------------------------------------------------------------------------------

test('iptables-save -c (real): tables, chain policies and counters, kube-proxy rules as matches and targets', () => {
  const r = one<IptablesSaveRecord>('iptables-save-c.txt', 'iptables-save');
  assert.equal([...new Set(r.map((x) => x.table))], ['mangle', 'raw', 'filter', 'nat'].filter((t) => r.some((x) => x.table === t)));
  for (const t of ['nat', 'filter', 'mangle', 'raw']) assert.ok(r.some((x) => x.table === t), t);
  const fwd = r.find((x) => x.kind === 'chain' && x.table === 'filter' && x.chain === 'FORWARD')!;
  assert.is(fwd.policy, 'DROP');
  const svcChain = r.find((x) => x.kind === 'chain' && x.chain === 'KUBE-SERVICES' && x.table === 'nat')!;
  assert.is(svcChain.policy, undefined);
  assert.equal([svcChain.packets, svcChain.bytes], [0, 0]);
  // the KUBE-SEP chain's DNAT target
  const sep = r.filter((x) => x.kind === 'rule' && x.chain === 'KUBE-SEP-AAAAQ3UCPZ54E6Q2');
  const dnat = sep.find((x) => x.target === 'DNAT')!;
  assert.is(dnat.toDestination, '10.42.1.12:8080');
  assert.is(dnat.protocol, 'tcp');
  assert.is(dnat.comment, 'default/web:http');
  assert.is(dnat.index, 2);
  assert.ok(lineOf('iptables-save-c.txt', dnat.line).includes('--to-destination 10.42.1.12:8080'));
  assert.is(sep[0].source, '10.42.1.12/32');
  // the KUBE-SVC rule's probability, and counters that add up: 6 connections went through the Service
  const svc = r.filter((x) => x.kind === 'rule' && x.chain === 'KUBE-SVC-ULMVA6XWNOGFK3AF');
  assert.equal(svc.map((x) => x.target), ['KUBE-MARK-MASQ', 'KUBE-SEP-AAAAQ3UCPZ54E6Q2', 'KUBE-SEP-BBBBX27LE4BHSL4D']);
  assert.equal(svc[1].statistic, { mode: 'random', probability: 0.5 });
  assert.is(svc[0].sourceNegated, true);
  assert.is(svc[0].source, '10.42.0.0/16');
  assert.is(svc[0].dport, '80');
  const toSvc = r.find((x) => x.chain === 'KUBE-SERVICES' && x.target === 'KUBE-SVC-ULMVA6XWNOGFK3AF')!;
  assert.is(toSvc.destination, '10.43.0.10/32');
  assert.is(toSvc.packets, 6, 'six TCP connections to the ClusterIP');
  assert.is((svc[1].packets ?? 0) + (svc[2].packets ?? 0), toSvc.packets);
  // MASQUERADE --random-fully, mark, addrtype, REJECT, set-xmark
  const masq = r.find((x) => x.target === 'MASQUERADE')!;
  assert.is(masq.randomFully, true);
  const ret = r.find((x) => x.chain === 'KUBE-POSTROUTING' && x.target === 'RETURN')!;
  assert.equal(ret.mark, { value: '0x4000/0x4000', negated: true });
  const np = r.find((x) => x.target === 'KUBE-NODEPORTS')!;
  assert.equal(np.addrtype, { dstType: 'LOCAL' });
  const rej = r.find((x) => x.target === 'REJECT')!;
  assert.is(rej.rejectWith, 'icmp-port-unreachable');
  assert.is(rej.table, 'filter');
  assert.is(r.find((x) => x.chain === 'KUBE-MARK-DROP' && x.kind === 'rule')!.setXmark, '0x8000/0x8000');
  assert.equal(r.find((x) => x.chain === 'KUBE-FORWARD' && x.target === 'DROP')!.ctstate, ['INVALID']);
  assert.ok(r.every((x) => x.kind === 'chain' || (x.raw !== undefined && lineOf('iptables-save-c.txt', x.line).endsWith(x.raw))));
});

test('iptables-save without -c and ip6tables-save -c (real): no rule counters; IPv6 family and bracketed DNAT', () => {
  const r = one<IptablesSaveRecord>('iptables-save-nat.txt', 'iptables-save');
  assert.ok(r.filter((x) => x.kind === 'rule').every((x) => x.packets === undefined && x.table === 'nat'));
  const v6 = one<IptablesSaveRecord>('ip6tables-save-c.txt', 'iptables-save');
  assert.ok(v6.every((x) => x.family === 'inet6'));
  assert.is(v6.find((x) => x.target === 'DNAT')!.toDestination, '[fd00:42::12]:8080');
  assert.is(v6.find((x) => x.target === 'DNAT')!.packets, 1);
});

test('iptables-save: unquoted comments, match-set values, iptables -S; truncated and garbage input', () => {
  const r = iptablesSave.parse(['*filter', '-A FORWARD -m comment --comment kubernetes forwarding rules -j KUBE-FORWARD', '-A X -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT', 'COMMIT'], 1);
  assert.equal(r.problems, []);
  assert.is(r.records[0].comment, 'kubernetes forwarding rules');
  assert.equal(r.records[1].options, [{ option: 'match-set', module: 'set', value: 'KUBE-CLUSTER-IP dst,dst' }]);
  const s = parseDump('rules.txt', '-P INPUT ACCEPT\n-N KUBE-SERVICES\n-A INPUT -j KUBE-SERVICES\n');
  assert.is(s[0].command, 'iptables-save');
  assert.equal((s[0].records as IptablesSaveRecord[]).map((x) => [x.kind, x.chain, x.policy]), [['chain', 'INPUT', 'ACCEPT'], ['chain', 'KUBE-SERVICES', undefined], ['rule', 'INPUT', undefined]]);
  const text = fixture('iptables-save-nat.txt').toString();
  const cut = text.slice(0, text.indexOf('COMMIT'));
  const t = parseDump('iptables-save.txt', cut);
  assert.is(t[0].command, 'iptables-save');
  assert.ok(t[0].problems.some((p) => /no COMMIT: the dump looks truncated/.test(p.message) && p.line === 2), describe(t));
  const bad = iptablesSave.parse(['*nat', '-A X -j', 'COMMIT'], 5);
  assert.equal(bad.problems.map((p) => p.line), [6]);
  assert.match(bad.problems[0].message, /-j without a target/);
});

// --- iptables -L ------------------------------------------------------------------------------

test('iptables -t nat -L -n -v (real): chains with policy/references and counters, rules with the trailing match text', () => {
  const r = one<IptablesListRecord>('iptables-t-nat-L-n-v.txt', 'iptables-list');
  const post = r.find((x) => x.kind === 'chain' && x.chain === 'POSTROUTING')!;
  assert.is(post.policy, 'ACCEPT');
  assert.is(typeof post.packets, 'number');
  assert.is(r.find((x) => x.kind === 'chain' && x.chain === 'KUBE-SVC-ULMVA6XWNOGFK3AF')!.references, 2);
  const dnat = r.find((x) => x.chain === 'KUBE-SEP-AAAAQ3UCPZ54E6Q2' && x.target === 'DNAT')!;
  assert.is(dnat.to, '10.42.1.12:8080');
  assert.is(dnat.prot, '6');
  assert.equal([dnat.in, dnat.out], ['*', '*']);
  const prob = r.find((x) => x.chain === 'KUBE-SVC-ULMVA6XWNOGFK3AF' && x.probability !== undefined)!;
  assert.is(prob.probability, 0.5);
  assert.is(prob.comment, 'default/web:http -> 10.42.1.12:8080');
  const mm = r.find((x) => x.chain === 'KUBE-SVC-ULMVA6XWNOGFK3AF' && x.target === 'KUBE-MARK-MASQ')!;
  assert.equal([mm.source, mm.destination, mm.dport], ['!10.42.0.0/16', '10.43.0.10', '80']);
  // the same counters as iptables-save -c saw (both were taken after the same traffic)
  const save = one<IptablesSaveRecord>('iptables-save-c.txt', 'iptables-save');
  const sv = save.find((x) => x.chain === 'KUBE-SVC-ULMVA6XWNOGFK3AF' && x.statistic)!;
  assert.is(prob.packets, sv.packets);
  // --line-numbers -x: the same rules, numbered
  const x = one<IptablesListRecord>('iptables-t-nat-L-n-v-x-line-numbers.txt', 'iptables-list');
  const rules = (l: IptablesListRecord[]) => l.filter((y) => y.kind === 'rule').map((y) => [y.chain, y.num, y.target, y.packets]);
  assert.equal(rules(x), rules(r));
  assert.ok(x.every((y) => !y.approximate));
});

test('iptables -L -n (real, filter table), counters with K/M suffixes, rules without a target, truncation', () => {
  const r = one<IptablesListRecord>('iptables-L-n.txt', 'iptables-list');
  assert.is(r.find((x) => x.kind === 'chain' && x.chain === 'FORWARD')!.policy, 'DROP');
  assert.is(r.find((x) => x.target === 'REJECT')!.rejectWith, 'icmp-port-unreachable');
  const p = iptablesList.parse(['Chain INPUT (policy ACCEPT 12K packets, 3M bytes)', ' pkts bytes target     prot opt in     out     source               destination', ' 1137  318K ACCEPT     all  --  *      *       0.0.0.0/0            0.0.0.0/0', '    3   180            all  --  *      *       0.0.0.0/0            0.0.0.0/0', '    0     0 DNAT'], 1);
  assert.equal([p.records[0].packets, p.records[0].bytes, p.records[0].approximate], [12000, 3000000, true]);
  assert.equal([p.records[1].bytes, p.records[1].target], [318000, 'ACCEPT']);
  assert.equal([p.records[2].target, p.records[2].prot, p.records[2].packets], [undefined, 'all', 3]);
  assert.equal(p.problems.map((x) => x.line), [5]);
  assert.match(p.problems[0].message, /truncated/);
});

// --- nft ---------------------------------------------------------------------------------------

test('nft list ruleset (real, kube-proxy nftables layout): tables, chains, maps, verdict maps, DNAT, counters', () => {
  const r = one<NftRecord>('nft-list-ruleset.txt', 'nft-ruleset');
  assert.equal(r.filter((x) => x.kind === 'table').map((x) => `${x.family} ${x.table}`), ['ip kube-proxy', 'ip6 kube-proxy']);
  assert.is(r.find((x) => x.kind === 'table')!.comment, 'rules for kube-proxy');
  const out = r.find((x) => x.kind === 'chain' && x.name === 'nat-output' && x.family === 'ip')!;
  assert.equal([out.type, out.hook, out.priority, out.policy], ['nat', 'output', '-100', 'accept']);
  const sips = r.find((x) => x.kind === 'map' && x.name === 'service-ips')!;
  assert.is(sips.keyType, 'ipv4_addr . inet_proto . inet_service : verdict');
  assert.equal(sips.elements, [{ key: '10.43.0.10 . tcp . 80', value: 'goto service-ULMVA6XW-default/web/tcp/http' }]);
  assert.equal(r.find((x) => x.name === 'no-endpoint-services')!.elements![0].comment, 'default/noep:http');
  const lb = r.find((x) => x.kind === 'rule' && x.chain === 'service-ULMVA6XW-default/web/tcp/http' && x.vmap)!;
  assert.is(lb.vmap!.key, 'numgen random mod 2');
  assert.equal(lb.vmap!.elements!.map((e) => e.key), ['0', '1']);
  assert.match(lb.vmap!.elements![0].verdict, /^goto endpoint-AAAAQ3UC/);
  const eps = r.filter((x) => x.kind === 'rule' && x.nat?.type === 'dnat' && x.family === 'ip');
  assert.equal(eps.map((x) => x.nat!.to), ['10.42.1.12:8080', '10.42.1.13:8080']);
  assert.is(eps[0].comment, 'default/web:http');
  // every connection went through exactly one endpoint chain: the counters add up to the vmap rule's
  assert.is(eps.reduce((a, x) => a + (x.packets ?? 0), 0), lb.packets);
  const masq = r.find((x) => x.nat?.type === 'masquerade')!;
  assert.equal(masq.nat!.flags, ['fully-random']);
  const jump = r.find((x) => x.kind === 'rule' && x.chain === 'endpoint-AAAAQ3UC-default/web/tcp/http__10.42.1.12/8080' && x.index === 1)!;
  assert.equal([jump.verdict, jump.jump, jump.nat], ['jump', 'mark-for-masquerade', undefined]);
  assert.is(r.find((x) => x.kind === 'rule' && x.chain === 'external-ULMVA6XW-default/web/tcp/http' && x.index === 2)!.goto, 'service-ULMVA6XW-default/web/tcp/http');
  assert.is(r.find((x) => x.family === 'ip6' && x.nat)!.nat!.to, '[fd00:42::12]:8080');
  for (const x of r) assert.ok(lineOf('nft-list-ruleset.txt', x.line).trim() !== '', `line ${x.line}`);
});

test('nft: multi-line elements and anonymous chains are one statement; truncated input is a problem', () => {
  const text = ['table inet f {', '\tset s {', '\t\ttype ipv4_addr', '\t\telements = { 10.0.0.1,', '\t\t\t     10.0.0.2 }', '\t}', '\tchain c {', '\t\ttcp flags syn jump {', '\t\t\ttcp sport 0 drop', '\t\t}', '\t}', '}'];
  const r = nftRuleset.parse(text, 1);
  assert.equal(r.problems, []);
  assert.equal(r.records.find((x) => x.kind === 'set')!.elements, [{ key: '10.0.0.1' }, { key: '10.0.0.2' }]);
  const rule = r.records.find((x) => x.kind === 'rule')!;
  assert.equal([rule.line, rule.jump], [8, '{anonymous}']);
  const t = nftRuleset.parse(text.slice(0, 9), 1);
  assert.ok(t.problems.some((p) => p.line === 8 && /truncated nft ruleset/.test(p.message)), JSON.stringify(t.problems));
});

// --- conntrack ---------------------------------------------------------------------------------

test('conntrack -L, -o extended and /proc/net/nf_conntrack (real): tuples, DNAT/SNAT, flags, counters, IPv6', () => {
  for (const [name, hasZone] of [['conntrack-L.txt', false], ['conntrack-L-o-extended.txt', false], ['proc-net-nf_conntrack.txt', true]] as const) {
    const r = one<ConntrackRecord>(name, 'conntrack');
    assert.is(r.length, 8, name);
    const tcp = r.filter((x) => x.protocol === 'tcp' && x.family === 'inet');
    assert.is(tcp.length, 6, name);
    for (const c of tcp) {
      assert.equal([c.original.dst, c.original.dport, c.state, c.protocolNumber], ['10.43.0.10', 80, 'TIME_WAIT', 6]);
      assert.ok(['10.42.1.12', '10.42.1.13'].includes(c.reply!.src), c.reply!.src);
      assert.equal([c.reply!.sport, c.dnat, c.flags], [8080, true, ['ASSURED']]);
      assert.ok((c.original.packets ?? 0) > 0 && (c.reply!.bytes ?? 0) > 0);
      assert.ok(lineOf(name, c.line).includes(`sport=${c.original.sport}`));
    }
    // connections from the endpoint itself were masqueraded (hairpin): the reply goes to another port
    assert.ok(tcp.some((c) => c.snat && c.reply!.dport !== c.original.sport));
    const udp = r.find((x) => x.protocol === 'udp')!;
    assert.equal([udp.flags, udp.timeout, udp.state, udp.original.dport], [['UNREPLIED'], udp.timeout, undefined, 53]);
    const v6 = r.find((x) => x.family === 'inet6')!;
    assert.equal([v6.original.src, v6.original.dst, v6.reply!.src], ['fd00:42::12', 'fd00:43::10', 'fd00:42::12']);
    assert.is(v6.zone, hasZone ? 0 : undefined, name);
  }
});

test('conntrack -E events and garbage lines', () => {
  const r = conntrack.parse(['    [NEW] tcp      6 120 SYN_SENT src=1.1.1.1 dst=2.2.2.2 sport=1 dport=80 [UNREPLIED] src=3.3.3.3 dst=1.1.1.1 sport=80 dport=1 zone=9', 'icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=7 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=7 mark=0 use=1', 'tcp 6 oops src=1'], 1);
  assert.equal([r.records[0].event, r.records[0].zone, r.records[0].dnat], ['NEW', 9, true]);
  assert.equal([r.records[1].original.icmpType, r.records[1].reply!.icmpId, r.records[1].dnat], [8, 7, undefined]);
  assert.equal(r.problems.map((p) => p.line), [3]);
});

// --- ipvsadm -----------------------------------------------------------------------------------

test('ipvsadm -Ln, --stats and -c (kubectl-style hand-written: this kernel has no IPVS)', () => {
  const ln = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.43.0.10:80 rr persistent 10800
  -> 10.42.1.12:8080              Masq    1      2          4
  -> 10.42.1.13:8080              Masq    1      0          6
UDP  [fd00:43::10]:53 wrr
  -> [fd00:42::12]:53             Masq    3      0          0
`;
  const r = one<IpvsRecord>('ipvsadm.txt', 'ipvsadm', ln);
  assert.equal(r.map((x) => x.kind), ['service', 'server', 'server', 'service', 'server']);
  assert.equal([r[0].serviceAddress, r[0].servicePort, r[0].scheduler, r[0].persistent], ['10.43.0.10', 80, 'rr', 10800]);
  assert.equal([r[1].address, r[1].port, r[1].forward, r[1].weight, r[1].activeConns, r[1].inactiveConns, r[1].serviceAddress], ['10.42.1.12', 8080, 'Masq', 1, 2, 4, '10.43.0.10']);
  assert.equal([r[4].address, r[4].protocol, r[4].servicePort], ['fd00:42::12', 'UDP', 53]);
  const c = ipvsadm.parse(['IPVS connection entries', 'pro expire state       source             virtual            destination', 'TCP 14:59  ESTABLISHED 10.42.0.5:51234    10.43.0.10:80      10.42.1.12:8080'], 1);
  assert.equal(c.problems, []);
  assert.equal([c.records[0].state, c.records[0].source, c.records[0].address], ['ESTABLISHED', '10.42.0.5:51234', '10.42.1.12']);
  const t = ipvsadm.parse(ln.split('\n').slice(0, 5).concat(['  -> 10.42.1.13:8080   Masq']), 1);
  assert.ok(t.problems.some((p) => p.line === 6 && /truncated/.test(p.message)));
});

// --- kubectl (written by hand in kubectl's column format: no cluster here) ---------------------

test('kubectl get svc -A -o wide / without -A: types, dual-stack cluster IPs, ports with node ports, selector', () => {
  const wide = `NAMESPACE     NAME         TYPE           CLUSTER-IP              EXTERNAL-IP    PORT(S)                      AGE   SELECTOR
default       kubernetes   ClusterIP      10.43.0.1               <none>         443/TCP                      12d   <none>
default       web          NodePort       10.43.0.10,fd00::10     <none>         80:30080/TCP,53/UDP          5d    app=web,tier=front
kube-system   traefik      LoadBalancer   10.43.112.7             <pending>      80:31080/TCP,443:31443/TCP   12d   app.kubernetes.io/name=traefik
default       db           ClusterIP      None                    <none>         5432/TCP                     1h    app=db
`;
  const r = one<KubectlServiceRecord>('svc.txt', 'kubectl-services', wide);
  assert.equal(r.map((x) => `${x.namespace}/${x.name}`), ['default/kubernetes', 'default/web', 'kube-system/traefik', 'default/db']);
  assert.equal(r[1].clusterIps, ['10.43.0.10', 'fd00::10']);
  assert.equal(r[1].ports, [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }]);
  assert.equal(r[1].selector, { app: 'web', tier: 'front' });
  assert.equal(r[0].selector, {});
  assert.equal([r[2].pending, r[2].externalIps], [true, []]);
  assert.equal([r[3].headless, r[3].clusterIps], [true, []]);
  const plain = one<KubectlServiceRecord>('x.txt', 'kubectl-services', 'NAME   TYPE       CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE\nweb    NodePort   10.43.0.10   <none>        80:30080/TCP   5d\n');
  assert.equal([plain[0].namespace, plain[0].selector, plain[0].line], [undefined, undefined, 2]);
  const bad = kubectlServices.parse(['NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE', 'web NodePort 10.43.0.10 <none> eighty 5d'], 3);
  assert.equal(bad.problems.map((p) => p.line), [4]);
  assert.match(bad.problems[0].message, /bad PORT\(S\)/);
});

test('kubectl get endpoints -A and endpointslices -A: addresses, ports, "+ N more...", <none>', () => {
  const ep = `NAMESPACE     NAME         ENDPOINTS                                                  AGE
default       web          10.42.1.12:8080,10.42.0.9:8080,10.42.2.3:8080 + 2 more...  5d
default       noep         <none>                                                     5d
default       web6         [fd00:42::12]:8080                                         5d
`;
  const r = one<KubectlEndpointsRecord>('endpoints.txt', 'kubectl-endpoints', ep);
  assert.equal(r[0].endpoints, [{ address: '10.42.1.12', port: 8080 }, { address: '10.42.0.9', port: 8080 }, { address: '10.42.2.3', port: 8080 }]);
  assert.is(r[0].more, 2);
  assert.equal([r[1].endpoints, r[1].more], [[], undefined]);
  assert.equal(r[2].endpoints, [{ address: 'fd00:42::12', port: 8080 }]);
  const sl = `NAMESPACE     NAME              ADDRESSTYPE   PORTS     ENDPOINTS                           AGE
default       web-x7k2p         IPv4          8080      10.42.1.12,10.42.0.9 + 1 more...    5d
default       web-v6-9zq2c      IPv6          8080,53   fd00:42::12                         5d
default       noep-abcde        IPv4          <unset>   <unset>                             5d
`;
  const s = one<KubectlEndpointSliceRecord>('endpointslices.txt', 'kubectl-endpointslices', sl);
  assert.equal([s[0].addressType, s[0].ports, s[0].endpoints, s[0].more], ['IPv4', [8080], ['10.42.1.12', '10.42.0.9'], 1]);
  assert.equal([s[1].ports, s[1].endpoints], [[8080, 53], ['fd00:42::12']]);
  assert.equal([s[2].ports, s[2].endpoints], [[], []]);
  assert.equal(kubectlEndpoints.parse(['web 10.0.0.1:80 5d'], 1).problems.length, 1);
  assert.equal(kubectlEndpointSlices.parse([], 1), { records: [], problems: [] });
});

// --- routing: names, prompts, detection ---------------------------------------------------------

test('file names hint the NAT commands', () => {
  assert.equal(nameHints('iptables-save.txt'), ['iptables-save']);
  assert.equal(nameHints('node1/nft-ruleset.txt'), ['nft-ruleset']);
  assert.equal(nameHints('conntrack.txt'), ['conntrack']);
  assert.equal(nameHints('svc.txt'), ['kubectl-services']);
  assert.equal(nameHints('endpointslices.txt'), ['kubectl-endpointslices']);
  assert.equal(nameHints('endpoints.txt'), ['kubectl-endpoints']);
  assert.equal(nameHints('ipvsadm.txt'), ['ipvsadm']);
  assert.equal(nameHints('iptables-t-nat-L-n-v.txt'), ['iptables-list']);
});

test('a pasted session picks each NAT parser from its prompt', () => {
  const session = [
    'root@node1:~# iptables-save -c -t nat',
    ...fixture('iptables-save-nat.txt').toString().trimEnd().split('\n'),
    'root@node1:~# iptables -t nat -L -n -v',
    ...fixture('iptables-t-nat-L-n-v.txt').toString().trimEnd().split('\n'),
    'root@node1:~# nft list ruleset',
    ...fixture('nft-list-ruleset.txt').toString().trimEnd().split('\n'),
    'root@node1:~# conntrack -L',
    ...fixture('conntrack-L.txt').toString().trimEnd().split('\n'),
    'sh-5.2# cat /proc/net/nf_conntrack',
    ...fixture('proc-net-nf_conntrack.txt').toString().trimEnd().split('\n'),
    '$ kubectl get svc -A',
    'NAMESPACE   NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE',
    'default     web    ClusterIP   10.43.0.10   <none>        80/TCP    5d',
    '$ kubectl get ep',
    'NAME   ENDPOINTS         AGE',
    'web    10.42.1.12:8080   5d',
    '$ kubectl get endpointslices',
    'NAME        ADDRESSTYPE   PORTS   ENDPOINTS    AGE',
    'web-x7k2p   IPv4          8080    10.42.1.12   5d',
    '# ipvsadm -Ln',
    'IP Virtual Server version 1.2.1 (size=4096)',
    'Prot LocalAddress:Port Scheduler Flags',
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
  ].join('\n');
  const s = parseDump('session.txt', session);
  assert.equal(
    s.map((x) => x.command),
    ['iptables-save', 'iptables-list', 'nft-ruleset', 'conntrack', 'conntrack', 'kubectl-services', 'kubectl-endpoints', 'kubectl-endpointslices', 'ipvsadm'],
    describe(s),
  );
  assert.equal(s.flatMap((x) => x.problems), [], describe(s));
  const lines = session.split('\n');
  for (const sec of s) for (const r of sec.records as { line: number }[]) assert.ok(lines[r.line - 1] !== undefined && !/^\S+[#$] /.test(lines[r.line - 1]), `${sec.command} line ${r.line}`);
  assert.is(detectDump(fixture('nft-list-ruleset.txt')).command, 'nft-ruleset');
  assert.is(detectDump(fixture('iptables-save-c.txt')).command, 'iptables-save');
  assert.is(detectDump(fixture('conntrack-L.txt')).command, 'conntrack');
});

test('empty, binary and wrong input: a clear problem, never an exception', () => {
  const ps = [iptablesSave, iptablesList, nftRuleset, ipvsadm, conntrack, kubectlServices, kubectlEndpoints, kubectlEndpointSlices];
  const junk = Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x50, 0x4b, 0x03, 0x04, 0x9c, 0x1b]).toString('latin1').split('\n');
  for (const p of ps) {
    assert.equal(p.parse([], 1), { records: [], problems: [] });
    assert.equal(p.parse(['', '  '], 1), { records: [], problems: [] });
    const j = p.parse(junk, 1);
    assert.equal(j.records, [], p.info.command);
    assert.ok(j.problems.length > 0 && j.problems.every((x) => x.line === 1), `${p.info.command}: ${JSON.stringify(j.problems)}`);
    assert.ok(p.info.detect(junk) < 0.3);
  }
  const bin = parseDump('conntrack.txt', Buffer.from([0x00, 0x01, 0x02, 0x03, 0x41]));
  assert.match(bin[0].problems[0].message, /binary data/);
  const s = parseDump('nft-ruleset.txt', 'hello world\n');
  assert.is(s[0].command, 'unknown');
  assert.match(s[0].problems[0].message, /not recognized.*name suggests nft list ruleset/);
});

// --- third-party outputs --------------------------------------------------------------------------

const base = process.env.PODPATH_SHARED || shared('NAT corpus dump tests');
const DUMPS = base ? join(base, 'corpus', 'dumps') : undefined;
const FOLDERS: Record<string, DumpCommand> = {
  'conntrack-E': 'conntrack',
  'conntrack-L': 'conntrack',
  'proc-net-ip_conntrack': 'conntrack',
  'ip6tables-save': 'iptables-save',
  'iptables-save': 'iptables-save',
  'iptables-save-c': 'iptables-save',
  'iptables-L': 'iptables-list',
  'iptables-L-n-v': 'iptables-list',
  'iptables-t-nat-L-n': 'iptables-list',
  'ipvsadm-Ln': 'ipvsadm',
  'ipvsadm-Ln-stats': 'ipvsadm',
  'kubectl-get-endpoints': 'kubectl-endpoints',
  'kubectl-get-endpointslices': 'kubectl-endpointslices',
  'kubectl-get-svc': 'kubectl-services',
  'nft-list-ruleset': 'nft-ruleset',
};
/** Problems a corpus file rightly gets. */
const EXPECTED: Record<string, RegExp> = {
  // the paste ends in the middle of a rule ("DNAT  ")
  'kubernetes-enhancements-kep265-kube-proxy-iptables-mode.txt': /truncated iptables -L rule/,
};
// words in some corpus names that the older hints read as pods/nodes ("kube-router-pod-...")
const NAME_NOTE = /^the name suggests kubectl get (pods|nodes) output/;

if (DUMPS && existsSync(DUMPS)) {
  const cache = new Map<string, DumpSection[]>();
  const parsed = (f: string) => {
    if (!cache.has(f)) cache.set(f, parseDump(basename(f), readFileSync(f)));
    return cache.get(f)!;
  };
  for (const [folder, want] of Object.entries(FOLDERS)) {
    const dir = join(DUMPS, folder);
    if (!existsSync(dir)) continue;
    for (const f of filesUnder(dir)) {
      test(`corpus ${folder}/${basename(f)}: ${want}, records, no unexpected problem`, () => {
        const s = parsed(f);
        const rec = s.filter((x) => x.command !== 'unknown');
        assert.ok(rec.length >= 1 && rec.every((x) => x.command === want), describe(s));
        assert.ok(rec.reduce((a, x) => a + x.records.length, 0) > 0, describe(s));
        assert.is(detectDump(readFileSync(f), basename(f)).command, want);
        const problems = s.flatMap((x) => x.problems).filter((p) => !NAME_NOTE.test(p.message));
        const exp = EXPECTED[basename(f)];
        if (exp) assert.ok(problems.length > 0 && problems.every((p) => exp.test(p.message)), describe(s));
        else assert.equal(problems, [], describe(s));
        const lines = readFileSync(f, 'latin1').split('\n');
        for (const x of s) for (const r of x.records as { line: number }[]) assert.ok(r.line >= 1 && r.line <= lines.length && lines[r.line - 1].trim() !== '');
      });
    }
  }

  const recs = <R>(rel: string) => parsed(join(DUMPS, rel)).flatMap((x) => x.records) as R[];
  test('corpus facts: kube-proxy test rules, IPVS services, hairpin conntrack zones, kubectl tables, nft NAT maps', () => {
    const kp = recs<IptablesSaveRecord>('iptables-save/kubernetes-kube-proxy-test-cleanup-initial.txt');
    assert.ok(kp.some((r) => r.target === 'DNAT' && r.toDestination === '10.180.0.5:80'));
    assert.ok(kp.some((r) => r.comment === 'kubernetes forwarding rules' && r.target === 'KUBE-FORWARD'));
    const ovn = recs<IptablesSaveRecord>('iptables-save/ovn-kubernetes-egress-ip-iptables-save-elided.txt');
    assert.ok(ovn.some((r) => r.target === 'MASQUERADE' && r.randomFully));
    assert.ok(ovn.some((r) => r.target === 'SNAT' && r.toSource === '10.10.10.100' && r.outInterface === 'dummy'));
    const ipvs = recs<IpvsRecord>('ipvsadm-Ln/kube-router-pod-toolbox-motd.txt');
    assert.equal(ipvs.filter((r) => r.kind === 'service').length, 5);
    assert.equal(ipvs.find((r) => r.kind === 'server' && r.activeConns === 45)!.serviceAddress, '10.3.0.15');
    const st = recs<IpvsRecord>('ipvsadm-Ln-stats/electrocucaracha-ipvs-demo-stats.txt');
    assert.equal(st[0].stats, { Conns: 6, InPkts: 30, OutPkts: 30, InBytes: 2034, OutBytes: 2064 });
    const z = recs<ConntrackRecord>('conntrack-L/ovn-kubernetes-hairpin-ct-entry-zone-16.txt')[0];
    assert.equal([z.zone, z.dnat, z.reply!.src, z.secctx], [16, true, '10.244.1.3', 'system_u:object_r:unlabeled_t:s0']);
    const svc = recs<KubectlServiceRecord>('kubectl-get-svc/metallb-dev-env-get-svc-ipv6.txt');
    assert.equal([svc[1].clusterIps, svc[1].externalIps, svc[1].ports], [['fd00:10:96::d362'], ['fc00:f853:ccd:e799::'], [{ port: 80, nodePort: 32587, protocol: 'TCP' }]]);
    const ep6 = recs<KubectlEndpointsRecord>('kubectl-get-endpoints/kubernetes-enhancements-kep563-get-ep-ipv6.txt');
    assert.equal(ep6[0].endpoints.map((e) => e.address), ['fd00:200::7', 'fd00:200::8', 'fd00::6']);
    const nat = recs<NftRecord>('nft-list-ruleset/nftables-maps-nat_addr_port.nft');
    assert.ok(nat.some((r) => r.nat?.type === 'dnat' && r.nat.to === '10.2.3.4:4242'));
    assert.ok(nat.some((r) => r.nat?.type === 'dnat' && r.nat.to === 'ip daddr map @x'));
    const vm = recs<NftRecord>('nft-list-ruleset/nftables-maps-0009vmap_0.nft');
    assert.equal(vm.find((r) => r.vmap && r.chain === 'wan_input')!.vmap, { key: 'tcp dport', elements: [{ key: '22', verdict: 'jump ssh_input' }] });
  });
} else if (DUMPS) console.log('SKIP NAT corpus dump tests: no corpus/dumps in ../shared');
test.run();
