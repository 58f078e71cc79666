/**
 * The committed "real node" samples (samples/lab/real.sh): facts of the captures and dumps,
 * checked with tcpdump and tshark as oracles. Nothing here runs podpath's analysis.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SAMPLES } from '../helpers.js';

const REAL = ['healthy-3node', 'mtu-fragments', 'stale-vtep'] as const;
const DUMPS = ['ip-addr.txt', 'ip-addr.json', 'ip-route.txt', 'route-n.txt', 'bridge-fdb.txt', 'bridge-vlan.txt',
  'ip-neigh.txt', 'ip-d-link.txt', 'hostname'];

interface Iface { name: string; mtu: number; kind: string; mac: string; addresses: string[] }
interface Capture { file: string; host: string; interface: string; packets: number; maxFrameLength: number }
interface RealLab {
  schema: string;
  scenario: string;
  nodes: string[];
  hosts: { name: string; role: string; interfaces: Iface[] }[];
  pods: { name: string; ip: string; host: string; hostNetwork: boolean }[];
  captures: Capture[];
  flows: { id: string; protocol: string; kind: string; expect: string; result: string }[];
  underlay: { mtu: number; filter: { rule: string; dropped: number } | null };
  expect: { rootCause: string | null; mustNotFind: string[]; notes: string };
  stale?: { node: string; vtep: string; mac: string; replacedBy: string; currentVtep: string };
}

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const TCPDUMP = has('tcpdump');
const TSHARK = has('tshark');
const present = REAL.filter((s) => existsSync(join(SAMPLES, s, 'lab.json')));
if (present.length < REAL.length) console.log(`SKIP real lab: samples missing for ${REAL.filter((s) => !present.includes(s)).join(', ')}`);
if (!TCPDUMP) console.log('SKIP real lab: tcpdump is not installed, capture facts not checked');
if (!TSHARK) console.log('SKIP real lab: tshark is not installed, tshark-based capture facts not checked');

const lab = (s: string): RealLab => JSON.parse(readFileSync(join(SAMPLES, s, 'lab.json'), 'utf8')) as RealLab;
const file = (s: string, f: string) => join(SAMPLES, s, f);

/** tcpdump -nn -r FILE [filter]: one line per packet (plus continuation lines with -v). */
function tcpdump(path: string, filter = '', ...opts: string[]): string[] {
  const r = spawnSync('tcpdump', ['-nn', ...opts, '-r', path, ...(filter ? [filter] : [])], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tcpdump -r ${path} ${filter}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.length > 0);
}
/** tshark -r FILE -Y FILTER -T fields -e FIELDS...: defragmentation off (each frame as it was on the wire), UDP 8472 (flannel) decoded as VXLAN. */
function tshark(path: string, filter: string, ...fields: string[]): string[][] {
  const args = ['-n', '-o', 'ip.defragment:FALSE', '-d', 'udp.port==8472,vxlan', '-r', path, '-Y', filter, '-T', 'fields', '-E', 'separator=\t'];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tshark -r ${path} -Y '${filter}': ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}
const iface = (l: RealLab, host: string, name: string) => {
  const i = l.hosts.find((h) => h.name === host)?.interfaces.find((x) => x.name === name);
  if (!i) throw new Error(`${l.scenario}: ${host} has no ${name}`);
  return i;
};
const v4 = (i: Iface) => i.addresses.filter((a) => !a.includes(':')).map((a) => a.split('/')[0]);

const VOCABULARY = (() => {
  const doc = readFileSync(join(ROOT, 'docs', 'report-json.md'), 'utf8');
  const table = doc.slice(doc.indexOf('## Finding codes'));
  return [...table.matchAll(/^\| `([a-z-]+)`(?: \/ `([a-z-]+)`)? \|/gm)].flatMap((m) => [m[1], m[2]].filter(Boolean));
})();

test('real samples: files, pods.txt, lab.json and its expect block', () => {
  assert.ok(VOCABULARY.includes('mtu') && VOCABULARY.includes('overlay-blocked'), 'finding codes read from docs/report-json.md');
  for (const s of present) {
    const l = lab(s);
    assert.is(l.schema, 'podpath-lab/1');
    assert.is(l.scenario, s);
    for (const n of l.nodes) {
      for (const d of DUMPS) assert.ok(existsSync(file(s, `${n}/${d}`)), `${s}/${n}/${d}`);
      assert.is(readFileSync(file(s, `${n}/hostname`), 'utf8').trim(), n);
    }
    for (const c of l.captures) assert.ok(existsSync(file(s, c.file)), `${s}: ${c.file}`);
    const pods = readFileSync(file(s, 'pods.txt'), 'utf8').trimEnd().split('\n');
    assert.match(pods[0], /^NAMESPACE\s{3,}NAME\s{3,}READY\s{3,}STATUS\s{3,}RESTARTS\s{3,}AGE\s{3,}IP\s{3,}NODE\s{3,}NOMINATED NODE\s{3,}READINESS GATES$/);
    for (const p of l.pods) assert.ok(pods.some((r) => r.includes(` ${p.name} `) && r.includes(` ${p.ip} `) && r.includes(p.host)), `${s}: pods.txt row for ${p.name}`);
    // hostNetwork pods carry their node's eth0 address, as kubectl shows them.
    const hostPods = l.pods.filter((p) => p.hostNetwork);
    assert.ok(hostPods.length >= l.nodes.length, `${s}: hostNetwork pods`);
    for (const p of hostPods) assert.ok(v4(iface(l, p.host, 'eth0')).includes(p.ip), `${s}: ${p.name} shares ${p.host}'s address`);
    const { rootCause, mustNotFind, notes } = l.expect;
    assert.ok(rootCause === null || rootCause === 'mtu' || rootCause === 'stale-vtep', `${s}: rootCause ${rootCause}`);
    assert.ok(typeof notes === 'string' && notes.length > 0);
    for (const c of mustNotFind) assert.ok(VOCABULARY.includes(c), `${s}: mustNotFind ${c} is a documented code`);
    if (rootCause) assert.not.ok(mustNotFind.includes(rootCause));
  }
});

test('real samples: tcpdump reads every capture and counts what lab.json says', () => {
  if (!TCPDUMP) return;
  let total = 0;
  for (const s of present) {
    for (const c of lab(s).captures) {
      // One line per packet starts with its timestamp (VXLAN adds a line for the inner frame).
      assert.is(tcpdump(file(s, c.file)).filter((x) => /^\d\d:\d\d:\d\d\.\d{6} /.test(x)).length, c.packets, `${s}: ${c.file}`);
      total += c.packets;
    }
  }
  assert.ok(present.length === 0 || total > 1000, `${total} packets in all`);
});

test('healthy-3node: IPv6 left on: DAD, router solicitations and MLDv2 reports in the captures', () => {
  if (!TSHARK || !present.includes('healthy-3node')) return;
  const l = lab('healthy-3node');
  assert.is(l.nodes.length, 3);
  const types = new Map<string, number>();
  for (const c of l.captures) {
    for (const [t, src] of tshark(file('healthy-3node', c.file), 'icmpv6', 'icmpv6.type', 'ipv6.src')) {
      types.set(t, (types.get(t) ?? 0) + 1);
      if (t === '135' && src === '::') types.set('dad', (types.get('dad') ?? 0) + 1);
    }
  }
  assert.ok((types.get('133') ?? 0) > 0, 'router solicitations');
  assert.ok((types.get('dad') ?? 0) > 0, 'DAD neighbour solicitations from ::');
  assert.ok((types.get('143') ?? 0) > 0, 'MLDv2 reports');
});

test('healthy-3node: GSO/TSO super-segments longer than the MTU on veths, cni0, flannel.1 and eth0', () => {
  if (!TSHARK || !present.includes('healthy-3node')) return;
  const l = lab('healthy-3node');
  const kinds = new Set<string>();
  for (const c of l.captures) {
    const mtu = iface(l, c.host, c.interface).mtu;
    const big = tshark(file('healthy-3node', c.file), `frame.len > ${mtu + 14}`, 'frame.len', 'tcp.len');
    if (big.length === 0) continue;
    assert.ok(c.maxFrameLength > mtu + 14, `${c.file}: lab.json maxFrameLength`);
    kinds.add(c.interface.startsWith('veth') ? 'veth' : c.interface);
    // Each of them is TCP carrying more than one MSS.
    for (const [, tcpLen] of big) assert.ok(Number(tcpLen) > mtu - 40, `${c.file}: super-segment is TCP data`);
  }
  for (const k of ['veth', 'cni0', 'flannel.1', 'eth0']) assert.ok(kinds.has(k), `a super-segment on ${k}`);
});

test('healthy-3node: DNS lookups all answered, VXLAN is VNI 1 on UDP 8472, every flow ok', () => {
  if (!TSHARK || !present.includes('healthy-3node')) return;
  const l = lab('healthy-3node');
  assert.ok(l.flows.length >= 10, `${l.flows.length} flows`);
  for (const f of l.flows) assert.is(f.expect, 'ok', f.id);
  assert.ok(l.flows.some((f) => f.kind === 'same-node') && l.flows.some((f) => f.kind === 'cross-node'));
  const dnsPod = l.pods.find((p) => p.name.startsWith('coredns-'));
  assert.ok(dnsPod, 'a coredns pod');
  // On the DNS pod's node cni0 sees every query (same-node and decapsulated) and every response.
  const dns = tshark(file('healthy-3node', `${dnsPod!.host}/cni0.pcap`), `udp.port == 53 && ip.addr == ${dnsPod!.ip}`, 'dns.flags.response', 'dns.id', 'udp.srcport', 'udp.dstport');
  const queries = dns.filter((r) => r[0] === 'False' || r[0] === '0');
  const answers = dns.filter((r) => r[0] === 'True' || r[0] === '1');
  assert.ok(queries.length >= 30, `${queries.length} queries`);
  assert.is(answers.length, queries.length);
  assert.ok(new Set(queries.map((q) => q[2])).size >= 30, 'a new source port per lookup');
  for (const n of l.nodes) {
    const vx = tshark(file('healthy-3node', `${n}/eth0.pcap`), 'udp.dstport == 8472', 'vxlan.vni');
    assert.ok(vx.length > 0, `${n}: VXLAN on eth0`);
    for (const [vni] of vx) assert.is(vni, '1', `${n}: VNI`);
  }
});

test('mtu-fragments: outer fragments leave the sender\'s eth0 and never reach the receiver\'s', () => {
  if (!TCPDUMP || !present.includes('mtu-fragments')) return;
  const l = lab('mtu-fragments');
  const [a, b] = l.nodes;
  const addr = (n: string) => v4(iface(l, n, 'eth0'))[0];
  for (const n of l.nodes) {
    assert.is(iface(l, n, 'eth0').mtu, 1500, `${n}: eth0 MTU`);
    assert.is(iface(l, n, 'vxlan.calico').mtu, 1500, `${n}: vxlan.calico MTU (the misconfiguration)`);
    assert.match(readFileSync(file('mtu-fragments', `${n}/ip-d-link.txt`), 'utf8'), /vxlan\.calico: .*mtu 1500[\s\S]*vxlan id 4096 .*dstport 4789/);
  }
  // Any packet with MF set or a fragment offset.
  const frags = (n: string) => tcpdump(file('mtu-fragments', `${n}/eth0.pcap`), 'ip[6:2] & 0x3fff != 0');
  for (const [n, other] of [[a, b], [b, a]]) {
    const f = frags(n);
    const own = f.filter((x) => x.includes(` IP ${addr(n)}`));
    const fromPeer = f.filter((x) => x.includes(` IP ${addr(other)}`));
    assert.ok(own.length > 0, `${n} sends outer fragments (the -s 1472 ping from ${a}, the bulk reply from ${b})`);
    assert.is(fromPeer.length, 0, `${n} never receives a fragment from ${other}`);
  }
  // Sent as fragments because the outer DF bit is clear: first fragments are 1500 bytes of IP.
  const first = tcpdump(file('mtu-fragments', `${a}/eth0.pcap`), 'ip[6:2] & 0x3fff = 0x2000', '-v');
  assert.ok(first.some((x) => /offset 0, flags \[\+\], proto UDP \(17\), length 1500/.test(x)), 'a 1500-byte first fragment');
  assert.ok(l.underlay.filter && l.underlay.filter.dropped > 0, 'the underlay counted dropped fragments');
  // Small pings work, the large one is seen only on the sending side.
  const fe = l.pods.find((p) => !p.hostNetwork && p.host === a)!;
  const be = l.pods.find((p) => !p.hostNetwork && p.host === b)!;
  const cali = (n: string) => l.captures.find((c) => c.host === n && c.interface.startsWith('cali'))!.file;
  const reqs = (f: string, len: string) => tcpdump(file('mtu-fragments', f), `icmp[icmptype] = icmp-echo and ip dst ${be.ip} and ip[2:2] ${len}`);
  assert.ok(reqs(cali(a), '= 1500').length >= 3 && reqs(cali(a), '< 200').length >= 3, 'sender pod sends big and small pings');
  assert.is(reqs(cali(b), '= 1500').length, 0, 'big pings never reach the receiver');
  assert.ok(reqs(cali(b), '< 200').length >= 3, 'small pings reach the receiver');
  assert.ok(tcpdump(file('mtu-fragments', cali(a)), `icmp[icmptype] = icmp-echoreply and ip src ${be.ip}`).length >= 3, 'small pings answered');
  const byId = new Map(l.flows.map((f) => [f.id.includes('-s 1472') ? 'big' : f.id.includes('bulk') ? 'bulk' : f.id, f.expect]));
  assert.is(byId.get('big'), 'lost');
  assert.is(byId.get('bulk'), 'lost');
  if (TSHARK) {
    const vni = tshark(file('mtu-fragments', `${b}/eth0.pcap`), 'vxlan', 'vxlan.vni', 'udp.dstport');
    assert.ok(vni.length > 0);
    for (const [v, p] of vni) assert.equal([v, p], ['4096', '4789']);
  }
});

test('stale-vtep: the fdb names a VTEP no node has; its ARP goes unanswered; no VXLAN is sent to it', () => {
  if (!TCPDUMP || !present.includes('stale-vtep')) return;
  const l = lab('stale-vtep');
  const st = l.stale!;
  assert.ok(st, 'lab.json names the stale entry');
  const fdb = readFileSync(file('stale-vtep', `${st.node}/bridge-fdb.txt`), 'utf8');
  assert.ok(fdb.split('\n').includes(`${st.mac} dev flannel.1 dst ${st.vtep} self permanent`), 'stale fdb entry');
  const neigh = readFileSync(file('stale-vtep', `${st.node}/ip-neigh.txt`), 'utf8');
  assert.match(neigh, new RegExp(`lladdr ${st.mac} PERMANENT`));
  assert.match(neigh, new RegExp(`^${st.vtep.replace(/\./g, '\\.')} dev eth0 (FAILED|INCOMPLETE)`, 'm'));
  for (const n of l.nodes) {
    const addrs = readFileSync(file('stale-vtep', `${n}/ip-addr.txt`), 'utf8');
    assert.not.ok(addrs.includes(`inet ${st.vtep}/`), `${n} does not own ${st.vtep}`);
  }
  const newMac = l.hosts.find((h) => h.name === st.replacedBy)!.interfaces.find((i) => i.name === 'flannel.1')!;
  assert.is.not(newMac.mac, st.mac, 'the replacement has another VTEP MAC');
  assert.ok(v4(iface(l, st.replacedBy, 'eth0')).includes(st.currentVtep));
  const eth0 = file('stale-vtep', `${st.node}/eth0.pcap`);
  const asks = tcpdump(eth0, `arp and arp[6:2] = 1 and arp dst host ${st.vtep}`);
  const replies = tcpdump(eth0, `arp and arp[6:2] = 2 and arp src host ${st.vtep}`);
  assert.ok(asks.length >= 3, `${asks.length} ARP requests for ${st.vtep}`);
  assert.is(replies.length, 0);
  for (const c of l.captures) assert.is(tcpdump(file('stale-vtep', c.file), `dst host ${st.vtep} and udp`).length, 0, `${c.file}: nothing sent to ${st.vtep}`);
  // UDP 8472 is open: the new worker's VXLAN reaches the control plane.
  assert.ok(tcpdump(eth0, `udp dst port 8472 and src host ${st.currentVtep}`).length > 0, 'VXLAN from the new worker arrives');
  assert.ok(l.flows.some((f) => f.kind === 'same-node' && f.expect === 'ok'));
  assert.ok(l.flows.filter((f) => f.kind === 'cross-node').every((f) => f.expect === 'lost'));
});

test.run();
