/**
 * kube-proxy's NAT decision from its nftables table: samples/variants/services-nft holds the
 * services captures with `nft list ruleset` per node (written by samples/lab/services-nft.sh,
 * loaded by the kernel with `nft -f` in a scratch namespace) instead of iptables-save, conntrack and
 * the kubectl Service listings. The analysis must give the same flows, backends, verdicts and
 * findings as samples/services, with nat source "nft" and the rule lines of nft-ruleset.txt.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../src/analyze.js';
import type { Report } from '../../src/path/types.js';
import { parseDump } from '../../src/dumps/index.js';
import type { NftRecord } from '../../src/dumps/nat-types.js';
import { nftDecisions, nftHostFacts } from '../../src/nat/decide-nft.js';
import { headlineText } from '../../src/report/text.js';
import { ROOT, SAMPLES, shared } from '../helpers.js';
import { filesUnder } from '../dumps/util.js';

const VAR = join(SAMPLES, 'variants', 'services-nft');
const have = existsSync(join(VAR, 'ip-10-32-11-62', 'nft-ruleset.txt')) && existsSync(join(SAMPLES, 'services', 'lab.json'));
if (!have) console.log('SKIP nat walks: no samples/variants/services-nft');

const rows = (r: Report) =>
  r.flows.map((f) => `${f.id} ${f.src.ip}:${f.src.port ?? ''} > ${f.dst.ip}:${f.dst.port ?? ''} ${f.verdict} ${f.kind} ${f.service ? `${f.service.namespace}/${f.service.name}` : '-'} ${f.backend ? `${f.backend.ip}:${f.backend.port} ${f.backend.pod ?? ''}` : '-'}`);
const nats = (r: Report) => r.flows.flatMap((f) => (f.nat ?? []).map((n) => `${f.id} ${n.type} ${n.host} ${n.from.ip}:${n.from.port} -> ${n.to.ip}:${n.to.port}`));

if (have) {
  test('services-nft: same flows, backends, verdicts and findings as samples/services; NAT from nft', async () => {
    const base = await analyze([join('samples', 'services')], { cwd: ROOT, hash: false });
    const r = await analyze([join('samples', 'variants', 'services-nft')], { cwd: ROOT, hash: false });
    assert.equal(rows(r), rows(base));
    assert.equal(nats(r), nats(base));
    assert.equal(r.findings.map((f) => f.code), ['service-no-endpoints']);
    assert.equal(r.findings.map((f) => f.code), base.findings.map((f) => f.code));
    assert.is(headlineText(r), headlineText(base));
    const all = r.flows.flatMap((f) => f.nat ?? []);
    assert.ok(all.length >= 14);
    for (const n of all) {
      assert.is(n.source, 'nft');
      assert.ok(n.rule && n.rule.input.endsWith('nft-ruleset.txt'), 'rule in nft-ruleset.txt');
      const lines = readFileSync(join(ROOT, n.rule!.input), 'utf8').split('\n');
      const text = lines[n.rule!.line - 1];
      assert.ok(n.type === 'dnat' ? /dnat to /.test(text) : /masquerade/.test(text), `${n.type}: ${text}`);
    }
    const f12 = r.flows.find((f) => f.dst.ip === '10.43.0.60')!;
    assert.is(f12.verdict, 'rejected');
    assert.match(r.findings[0].message, /default\/empty \(ClusterIP 10\.43\.0\.60:80\/TCP\) has no endpoints/);
    assert.match(r.findings[0].message, /reject-chain "reject" \(default\/empty:http has no endpoints \(no-endpoint-services line \d+\)/);
    // Services come from kube-proxy's nft table alone (no kubectl svc listing in the variant).
    const svcs = (r.topology.services ?? []).map((s) => `${s.namespace}/${s.name} ${s.clusterIPs.join(',')} ${s.ports.map((p) => `${p.port}${p.nodePort ? ':' + p.nodePort : ''}/${p.protocol}`).join(',')} ${s.endpoints.map((e) => `${e.ip}:${e.port}`).join(',')}`);
    assert.equal(svcs, [
      'default/empty 10.43.0.60 80/TCP ',
      'default/kubernetes 10.43.0.1 443/TCP 10.32.11.62:6443',
      'default/web 10.43.0.50 80:30080/TCP 10.42.0.9:8080,10.42.1.12:8080',
      'kube-system/kube-dns 10.43.0.10 53/TCP,53/UDP,9153/TCP 10.42.1.3:53,10.42.1.3:9153',
    ]);
  });

  test('services-nft: the walk picks each web endpoint with probability 1/2, the NodePort masquerades', () => {
    const input = join(VAR, 'ip-10-32-11-62', 'nft-ruleset.txt');
    const recs = parseDump(input, readFileSync(input)).flatMap((x) => x.records) as NftRecord[];
    const f = nftHostFacts('ip-10-32-11-62', input, recs, (i, line) => ({ input: i, line }))!;
    assert.ok(f);
    const d = nftDecisions(f, { protocol: 'tcp', src: '10.42.0.20', dst: '10.43.0.50', sport: 4000, dport: 80, dstLocal: false });
    assert.equal(d.map((x) => `${x.dnat?.ip}:${x.dnat?.port} ${x.probability} ${x.pick?.probability} ${!!x.masquerade}`), ['10.42.0.9:8080 0.5 0.5 false', '10.42.1.12:8080 0.5 0.5 false']);
    const np = nftDecisions(f, { protocol: 'tcp', src: '10.32.0.5', dst: '10.32.11.62', sport: 4000, dport: 30080, dstLocal: true });
    assert.equal(np.map((x) => `${x.dnat?.ip} ${!!x.masquerade} ${x.source}`), ['10.42.0.9 true nft', '10.42.1.12 true nft']);
    assert.equal(nftDecisions(f, { protocol: 'tcp', src: '10.42.0.20', dst: '10.43.0.60', sport: 1, dport: 80, dstLocal: false }), []);
  });
}

const base = shared('nat walks corpus');
const NFT = base ? join(base, 'corpus', 'dumps', 'nft-list-ruleset') : undefined;
if (NFT && existsSync(NFT)) {
  test('corpus nft rulesets: the kube-proxy walk reads them without error', () => {
    for (const file of filesUnder(NFT)) {
      const recs = parseDump(file, readFileSync(file)).filter((x) => x.command === 'nft-ruleset').flatMap((x) => x.records) as NftRecord[];
      const f = nftHostFacts('h', file, recs, (i, line) => ({ input: i, line }));
      if (f) nftDecisions(f, { protocol: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 80, dstLocal: true });
    }
  });
} else console.log('SKIP nat walks corpus: no corpus nft-list-ruleset dumps');

test.run();
