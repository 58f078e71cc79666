/**
 * kube-proxy's IPVS mode: the NAT decision from `ipvsadm -Ln`. This machine's kernel has no ip_vs
 * (ipvsadm answers "Protocol not available"), so the dump below is TYPED BY HAND, not captured: it
 * is in ipvsadm's exact format, with the samples/services cluster's addresses (web 10.43.0.50:80 ->
 * 10.42.0.9:8080 and 10.42.1.12:8080, its NodePort 10.32.11.62:30080, kube-dns 10.43.0.10:53,
 * default/empty 10.43.0.60:80 without real servers). Real third-party dumps of
 * ../shared/corpus/dumps/ipvsadm-Ln* are read too (skipped, visibly, when absent).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDump } from '../../src/dumps/index.js';
import type { IpvsRecord } from '../../src/dumps/nat-types.js';
import { ipvsDecisions, ipvsFilterVerdict, type IpvsHostFacts } from '../../src/nat/decide-ipvs.js';
import { decisionText } from '../../src/nat/decide.js';
import { shared } from '../helpers.js';
import { filesUnder } from '../dumps/util.js';

// Typed, not captured (see above).
const TYPED = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.32.11.62:30080 rr
  -> 10.42.0.9:8080               Masq    1      0          3
  -> 10.42.1.12:8080              Masq    1      0          1
TCP  10.43.0.1:443 rr
  -> 10.32.11.62:6443             Masq    1      0          0
TCP  10.43.0.10:53 rr
  -> 10.42.1.3:53                 Masq    1      0          0
TCP  10.43.0.10:9153 rr
  -> 10.42.1.3:9153               Masq    1      0          0
TCP  10.43.0.50:80 rr
  -> 10.42.0.9:8080               Masq    1      0          1
  -> 10.42.1.12:8080              Masq    3      0          5
TCP  10.43.0.60:80 rr
UDP  10.43.0.10:53 rr
  -> 10.42.1.3:53                 Masq    1      0          1
`;

function facts(input: string, text: string | Buffer): IpvsHostFacts {
  const recs = parseDump(input, text).filter((s) => s.command === 'ipvsadm').flatMap((s) => s.records) as IpvsRecord[];
  return { host: 'ip-10-32-11-62', records: recs.filter((r) => r.kind !== 'connection').map((rec) => ({ rec, evidence: { input, line: rec.line } })) };
}

test('ipvs (typed dump): DNAT to each real server with probability weight/sum, source ipvs, the server line named', () => {
  const f = facts('ip-10-32-11-62/ipvsadm-Ln.txt', TYPED);
  const d = ipvsDecisions(f, { protocol: 'tcp', src: '10.42.0.20', dst: '10.43.0.50', sport: 34568, dport: 80, dstLocal: false });
  assert.equal(d.map((x) => `${x.dnat?.ip}:${x.dnat?.port} p=${x.probability} ${x.source} line ${x.dnat?.rule.evidence.line} masq=${!!x.masquerade}`), [
    '10.42.0.9:8080 p=0.25 ipvs line 14 masq=false',
    '10.42.1.12:8080 p=0.75 ipvs line 15 masq=false',
  ]);
  assert.is(decisionText(d[1]), 'TCP 10.43.0.50:80, picked by IPVS virtual server 10.43.0.50:80 with probability 0.75, ipvsadm-Ln line 15');
  const udp = ipvsDecisions(f, { protocol: 'udp', src: '10.42.0.20', dst: '10.43.0.10', sport: 37952, dport: 53, dstLocal: false });
  assert.equal(udp.map((x) => `${x.dnat?.ip}:${x.dnat?.port} p=${x.probability}`), ['10.42.1.3:53 p=1']);
  // No masquerade without evidence; with the iptables walk's mark and MASQUERADE, it is added.
  const np = ipvsDecisions(f, { protocol: 'tcp', src: '10.32.0.5', dst: '10.32.11.62', sport: 54046, dport: 30080, dstLocal: true });
  assert.equal(np.map((x) => `${x.dnat?.ip} ${!!x.masquerade}`), ['10.42.0.9 false', '10.42.1.12 false']);
  const masq = { host: 'h', table: 'nat', chain: 'KUBE-POSTROUTING', record: { kind: 'rule', chain: 'KUBE-POSTROUTING', target: 'MASQUERADE', line: 9 }, evidence: { input: 'iptables-save.txt', line: 9 } } as never;
  const np2 = ipvsDecisions(f, { protocol: 'tcp', src: '10.32.0.5', dst: '10.32.11.62', sport: 54046, dport: 30080, dstLocal: true }, { masquerade: masq, markedBy: masq });
  assert.equal(np2.map((x) => `${x.dnat?.ip} ${!!x.masquerade}`), ['10.42.0.9 true', '10.42.1.12 true']);
});

test('ipvs (typed dump): a virtual server without real servers has no endpoints; others are not rejected', () => {
  const f = facts('ipvsadm-Ln.txt', TYPED);
  const p = { protocol: 'tcp', src: '10.42.0.20', dst: '10.43.0.60', sport: 46842, dport: 80, dstLocal: false };
  assert.equal(ipvsDecisions(f, p), []);
  const v = ipvsFilterVerdict(f, p);
  assert.ok(v);
  assert.is(v!.target, 'REJECT');
  assert.is(v!.rule.source, 'ipvs');
  assert.is(v!.rule.evidence.line, 16);
  assert.is(v!.rule.record.comment, 'IPVS virtual server 10.43.0.60:80 has no real servers');
  assert.is(ipvsFilterVerdict(f, { ...p, dst: '10.43.0.50' }), undefined);
  assert.is(ipvsFilterVerdict(f, { ...p, dst: '10.9.9.9' }), undefined);
});

const base = shared('nat ipvs corpus');
const dirs = base ? ['ipvsadm-Ln', 'ipvsadm-Ln-stats'].map((d) => join(base, 'corpus', 'dumps', d)).filter((d) => existsSync(d)) : [];
if (dirs.length > 0) {
  test('corpus ipvsadm -Ln: every virtual server with real servers gives decisions summing to 1', () => {
    for (const dir of dirs) {
      for (const file of filesUnder(dir)) {
        const f = facts(file, readFileSync(file));
        for (const { rec } of f.records.filter((r) => r.rec.kind === 'service' && r.rec.servicePort !== undefined)) {
          const d = ipvsDecisions(f, { protocol: rec.protocol.toLowerCase(), src: '192.0.2.1', dst: rec.serviceAddress, sport: 1, dport: rec.servicePort, dstLocal: false });
          if (d.length === 0) assert.ok(ipvsFilterVerdict(f, { protocol: rec.protocol.toLowerCase(), src: '192.0.2.1', dst: rec.serviceAddress, sport: 1, dport: rec.servicePort, dstLocal: false }), `${file}: ${rec.serviceAddress}`);
          else assert.ok(Math.abs(d.reduce((a, x) => a + x.probability, 0) - 1) < 1e-9, `${file}: ${rec.serviceAddress}:${rec.servicePort}`);
        }
      }
    }
  });
} else console.log('SKIP nat ipvs corpus: no ../shared/corpus/dumps/ipvsadm-Ln* dumps');

test.run();
