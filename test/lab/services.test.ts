/**
 * The committed "services" sample (samples/lab/services.sh): its captures, read by tshark (the
 * oracle), must show what its lab.json says about every flow through kube-proxy's NAT, and its
 * iptables and conntrack dumps must agree with both.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES } from '../helpers.js';

const DIR = join(SAMPLES, 'services');
const CP = 'ip-10-32-11-62';
const WK = 'ip-10-32-7-224';

interface Tuple { src: string; sport: number | null; dst: string; dport: number }
interface Hop { host: string; interface: string; action: string; seen: Tuple & { icmp?: { type: number; code: number } }; captures: string[] }
interface Flow {
  id: string; protocol: 'tcp' | 'udp'; src: string; dst: string; sport: number | null; dport: number; kind: string;
  service: { namespace: string; name: string; clusterIP: string; port: number; nodePort?: number };
  backend: { ip: string; port: number; pod: string; host: string } | null;
  nat: { type: 'dnat' | 'masquerade'; host: string; from: { ip: string; port: number }; to: { ip: string; port: number } }[];
  expect: 'ok' | 'rejected'; path: Hop[]; reply: { src: string; dst: string; path: Hop[] };
}
interface ServicesLab {
  schema: string; scenario: string; nodes: string[];
  pods: { name: string; ip: string; host: string; veth: string }[];
  services: { namespace: string; name: string; clusterIP: string; endpoints: { ip: string; port: number }[];
    ports: { name: string; protocol: string; port: number; nodePort?: number; chains: { svc: string | null; ext: string | null; sep: Record<string, string> } }[] }[];
  captures: { file: string }[]; dumps: { file: string }[]; flows: Flow[];
  expect: { rootCause: string; notes: string };
}

const lab = JSON.parse(readFileSync(join(DIR, 'lab.json'), 'utf8')) as ServicesLab;
const hasTshark = spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status === 0;

interface Pkt { ips: string[]; dsts: string[]; sport: number | null; dport: number | null; seq: number | null; syn: boolean; ack: boolean; icmp: [number, number] | null; quoted: string | null }
const cache = new Map<string, Pkt[]>();
/** The packets of a capture as tshark decodes them (VXLAN on flannel's port 8472 included). */
function packets(file: string): Pkt[] {
  const hit = cache.get(file);
  if (hit) return hit;
  const fields = ['ip.src', 'ip.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'tcp.seq_raw', 'tcp.flags.syn', 'tcp.flags.ack', 'icmp.type', 'icmp.code'];
  const r = spawnSync('tshark', ['-n', '-r', join(DIR, file), '-d', 'udp.port==8472,vxlan', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,',
    ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  assert.is(r.status, 0, `tshark -r ${file}: ${r.stderr}`);
  const last = (s: string) => (s ? s.split(',').pop()! : '');
  const num = (s: string) => (s ? Number(last(s)) : null);
  const out = r.stdout.split('\n').filter((l) => l.trim()).map((l) => {
    const [src, dst, tsp, tdp, usp, udp, seq, syn, ack, it, ic] = l.split('\t');
    const icmp = it ? ([Number(it.split(',')[0]), Number(ic.split(',')[0])] as [number, number]) : null;
    return {
      ips: src ? src.split(',') : [], dsts: dst ? dst.split(',') : [],
      // The innermost transport header: inside VXLAN, or the one an ICMP error quotes.
      sport: num(tsp) ?? num(usp), dport: num(tdp) ?? num(udp), seq: num(seq),
      syn: last(syn) === '1' || last(syn) === 'True', ack: last(ack) === '1' || last(ack) === 'True', icmp,
      quoted: icmp && dst ? last(dst) : null,
    };
  });
  cache.set(file, out);
  return out;
}
/** Packets (not ICMP errors) whose innermost IP and transport header match the tuple. */
function matching(file: string, t: Tuple): Pkt[] {
  return packets(file).filter((p) => !p.icmp && p.ips[p.ips.length - 1] === t.src && p.dsts[p.dsts.length - 1] === t.dst
    && p.dport === t.dport && (t.sport === null || p.sport === t.sport));
}
const synOf = (file: string, t: Tuple) => matching(file, t).find((p) => p.syn && !p.ack);
const vethOf = (pod: string) => { const p = lab.pods.find((x) => x.name === pod || x.ip === pod); assert.ok(p, `pod ${pod}`); return p!.veth; };
const kpHash = (s: string) => base32(createHash('sha256').update(s).digest()).slice(0, 16);
function base32(b: Buffer): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0, out = '';
  for (const byte of b) {
    value = (value << 8) | byte; bits += 8;
    while (bits >= 5) { out += abc[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  return bits ? out + abc[(value << (5 - bits)) & 31] : out;
}
const read = (f: string) => readFileSync(join(DIR, f), 'utf8');
const web = lab.flows.filter((f) => f.service.name === 'web');
const clusterWeb = web.filter((f) => f.kind === 'service-cluster-ip');
const nodePort = web.filter((f) => f.kind === 'service-node-port');

test('services sample: lab.json names its files, both web endpoints were reached, the empty Service was rejected', () => {
  assert.is(lab.schema, 'podpath-lab/1');
  assert.is(lab.scenario, 'services');
  for (const f of [...lab.captures, ...lab.dumps]) assert.ok(existsSync(join(DIR, f.file)), f.file);
  assert.equal(new Set(clusterWeb.map((f) => f.backend!.ip)), new Set(['10.42.0.9', '10.42.1.12']));
  assert.ok(nodePort.some((f) => f.backend!.host === WK), 'a NodePort connection reached the worker');
  const rejected = lab.flows.filter((f) => f.expect === 'rejected');
  assert.equal(rejected.map((f) => f.service.name), ['empty']);
  assert.is(lab.expect.rootCause, 'service-no-endpoints');
  for (const f of lab.flows) {
    assert.ok(f.path.some((h) => h.action === (f.expect === 'ok' ? 'nat' : 'reject') && h.host === CP), `${f.id}: translated on ${CP}`);
    if (f.expect === 'ok') assert.is(f.nat[0].type, 'dnat');
  }
});

test('services sample: chain names are kube-proxy\'s hashes and the rules carry the traffic\'s counters', () => {
  const save = read(`${CP}/iptables-save.txt`);
  for (const s of lab.services) {
    for (const p of s.ports) {
      const key = `${s.namespace}/${s.name}:${p.name}`;
      if (!s.endpoints.length) {
        assert.match(save, new RegExp(`^\\[(\\d+):\\d+\\] -A KUBE-SERVICES -d ${s.clusterIP}/32 -p tcp -m comment --comment "${key} has no endpoints" -m tcp --dport ${p.port} -j REJECT --reject-with icmp-port-unreachable$`, 'm'));
        continue;
      }
      assert.is(p.chains.svc, `KUBE-SVC-${kpHash(key + p.protocol.toLowerCase())}`, key);
      for (const [ep, chain] of Object.entries(p.chains.sep)) assert.is(chain, `KUBE-SEP-${kpHash(key + p.protocol.toLowerCase() + ep)}`, `${key} ${ep}`);
      assert.ok(save.includes(`-j ${p.chains.svc}`), `${key}: KUBE-SERVICES jumps to ${p.chains.svc}`);
    }
  }
  const rejectCount = Number(/^\[(\d+):\d+\] -A KUBE-SERVICES .*has no endpoints/m.exec(save)![1]);
  assert.ok(rejectCount >= 1, 'the REJECT rule counted the SYN');
  const webPort = lab.services.find((s) => s.name === 'web')!.ports[0];
  assert.ok(save.includes(`-m statistic --mode random --probability 0.50000000000 -j ${Object.values(webPort.chains.sep)[0]}`));
  for (const [ep, chain] of Object.entries(webPort.chains.sep)) {
    const m = new RegExp(`^\\[(\\d+):\\d+\\] -A ${chain} -p tcp .*-j DNAT --to-destination ${ep}$`, 'm').exec(save);
    assert.ok(m && Number(m[1]) === web.filter((f) => `${f.backend!.ip}:${f.backend!.port}` === ep).length, `${chain} DNAT counter = connections to ${ep}`);
  }
  assert.match(save, /-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully/);
  assert.match(read(`${CP}/iptables-nat.txt`), /^Chain KUBE-SERVICES \(2 references\)/m);
});

test('services sample: conntrack on the control plane holds every translated connection as lab.json says', () => {
  const ct = read(`${CP}/conntrack-L.txt`);
  for (const f of lab.flows.filter((x) => x.expect === 'ok')) {
    const masq = f.nat.find((n) => n.type === 'masquerade');
    const line = `src=${f.src} dst=${f.dst} sport=${f.sport} dport=${f.dport}`;
    const reply = `src=${f.backend!.ip} dst=${masq ? masq.to.ip : f.src} sport=${f.backend!.port} dport=${masq ? masq.to.port : f.sport}`;
    assert.ok(ct.split('\n').some((l) => l.includes(line) && l.includes(reply)), `${f.id}: ${line} ... ${reply}`);
  }
  const svc = read('svc.txt');
  for (const s of lab.services) assert.match(svc, new RegExp(`^${s.namespace}\\s+${s.name}\\s+\\S+\\s+${s.clusterIP.replace(/\./g, '\\.')}\\s`, 'm'));
  assert.match(read('endpoints.txt'), /^default\s+empty\s+<none>\s/m);
  assert.match(read('endpointslices.txt'), /^default\s+empty-\w{5}\s+IPv4\s+<unset>\s+<unset>\s/m);
});

if (!hasTshark) {
  console.log('SKIP services sample: tshark is not installed, the committed captures were not checked');
} else {
  test('services captures: every hop\'s capture shows the addresses lab.json says it sees there', () => {
    for (const f of lab.flows.filter((x) => x.expect === 'ok')) {
      for (const [dir, path] of [['request', f.path], ['reply', f.reply.path]] as const) {
        for (const h of path) {
          for (const c of h.captures) {
            assert.ok(matching(c, h.seen).length > 0, `${f.id} ${dir}: ${c} has ${h.seen.src}:${h.seen.sport} > ${h.seen.dst}:${h.seen.dport}`);
          }
        }
      }
    }
  });

  test('services captures: the client sends to the ClusterIP; flannel.1 carries the DNATed packet with the same sequence number', () => {
    const veth = `${CP}/${vethOf('client')}.pcap`;
    const remote = clusterWeb.find((f) => f.backend!.host === WK)!;
    const sent = synOf(veth, { src: remote.src, sport: remote.sport, dst: '10.43.0.50', dport: 80 });
    assert.ok(sent, 'the client\'s veth shows the SYN to 10.43.0.50:80');
    assert.is(matching(veth, { src: remote.src, sport: remote.sport, dst: '10.42.1.12', dport: 8080 }).length, 0, 'no DNATed address on the client\'s veth');
    for (const file of [`${CP}/flannel.1.pcap`, `${WK}/flannel.1.pcap`, `${CP}/eth0.pcap`, `${WK}/${vethOf('10.42.1.12')}.pcap`]) {
      const syn = synOf(file, { src: remote.src, sport: remote.sport, dst: '10.42.1.12', dport: 8080 });
      assert.ok(syn, `${file}: SYN to 10.42.1.12:8080`);
      assert.is(syn!.seq, sent!.seq, `${file}: same initial sequence number`);
      assert.is(matching(file, { src: remote.src, sport: remote.sport, dst: '10.43.0.50', dport: 80 }).length, 0, `${file}: never the ClusterIP`);
    }
    const answer = matching(veth, { src: '10.43.0.50', sport: 80, dst: remote.src, dport: remote.sport! });
    assert.ok(answer.some((p) => p.syn && p.ack), 'the SYN-ACK reaches the client from the ClusterIP');
    // The same-node endpoint is reached without the overlay.
    const local = clusterWeb.find((f) => f.backend!.host === CP)!;
    assert.ok(synOf(`${CP}/${vethOf('10.42.0.9')}.pcap`, { src: local.src, sport: local.sport, dst: '10.42.0.9', dport: 8080 }));
    assert.is(matching(`${CP}/flannel.1.pcap`, { src: local.src, sport: local.sport, dst: '10.42.0.9', dport: 8080 }).length, 0);
  });

  test('services captures: the NodePort connection reaches the worker masqueraded as the control plane\'s flannel.1 address', () => {
    const f = nodePort.find((x) => x.backend!.host === WK)!;
    const masq = f.nat.find((n) => n.type === 'masquerade')!;
    assert.is(masq.to.ip, '10.42.0.0');
    const arrived = synOf(`${CP}/eth0.pcap`, { src: '10.32.0.5', sport: f.sport, dst: '10.32.11.62', dport: 30080 });
    assert.ok(arrived, 'the admin\'s SYN to the NodePort on the control plane\'s eth0');
    for (const file of [`${WK}/eth0.pcap`, `${WK}/flannel.1.pcap`, `${WK}/cni0.pcap`, `${WK}/${vethOf('10.42.1.12')}.pcap`]) {
      const syn = synOf(file, { src: '10.42.0.0', sport: masq.to.port, dst: '10.42.1.12', dport: 8080 });
      assert.ok(syn, `${file}: SYN from 10.42.0.0:${masq.to.port}`);
      assert.is(syn!.seq, arrived!.seq, `${file}: the admin's sequence number`);
      assert.not.ok(packets(file).some((p) => p.ips.includes('10.32.0.5')), `${file}: the admin's address never reaches the worker`);
    }
  });

  test('services captures: ICMP port unreachable from the node answers the SYN to the Service without endpoints', () => {
    const f = lab.flows.find((x) => x.expect === 'rejected')!;
    const veth = `${CP}/${vethOf('client')}.pcap`;
    const icmp = packets(veth).filter((p) => p.icmp);
    assert.is(icmp.length, 1);
    assert.equal(icmp[0].icmp, [3, 3]);
    assert.is(icmp[0].ips[0], '10.42.0.1');
    assert.is(icmp[0].quoted, f.dst);
    assert.is(icmp[0].dport, 80);
    for (const file of [`${CP}/eth0.pcap`, `${CP}/flannel.1.pcap`, `${WK}/eth0.pcap`]) {
      assert.not.ok(packets(file).some((p) => p.dsts.includes(f.dst)), `${file}: the SYN to ${f.dst} never left the node`);
    }
  });

  test('services captures: the DNS query to kube-dns is DNATed to the CoreDNS pod on the worker', () => {
    const f = lab.flows.find((x) => x.service.name === 'kube-dns')!;
    assert.ok(matching(`${CP}/${vethOf('client')}.pcap`, { src: f.src, sport: f.sport, dst: '10.43.0.10', dport: 53 }).length);
    assert.ok(matching(`${WK}/${vethOf(f.backend!.ip)}.pcap`, { src: f.src, sport: f.sport, dst: f.backend!.ip, dport: 53 }).length);
    assert.ok(matching(`${CP}/${vethOf('client')}.pcap`, { src: '10.43.0.10', sport: 53, dst: f.src, dport: f.sport! }).length, 'the answer comes from the ClusterIP');
  });
}

test.run();
