/** Each layer decoder on real corpus bytes, and on synthetic edge cases (truncation, bounds, options). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { shared } from '../helpers.js';
import { Decoder } from '../../src/decode/decoder.js';
import { L, LAYER_NAMES, MAX_TUNNELS, type Packet } from '../../src/decode/packet.js';
import { ipv6String, isoTime, summarize, tcpFlagString } from '../../src/decode/summary.js';
import { fnv1a } from '../../src/decode/bytes.js';
import { packetLine } from '../../src/report/packet-line.js';
import { eth, frame, framesOf, hex, icmpEcho, ipv4, udp } from './frames.js';

const layers = (p: Packet) => Array.from(p.layerKind.subarray(0, p.layerCount), (k) => LAYER_NAMES[k]);

function corpus(rel: string): string | undefined {
  const root = shared('decoder unit tests on corpus bytes');
  return root ? join(root, 'corpus', rel) : undefined;
}

test('VXLAN (vxlan.pcap #1): the whole stack eth/ipv4/udp/vxlan/eth/ipv4/icmp and every field', async () => {
  const f = corpus('tcpdump/tests/vxlan.pcap');
  if (!f) return;
  const frames = await framesOf(f);
  const d = new Decoder();
  const p = d.decode(frames[0]);
  assert.equal(layers(p), ['eth', 'ipv4', 'udp', 'vxlan', 'eth', 'ipv4', 'icmp']);
  assert.equal(Array.from(p.layerOffset.subarray(0, p.layerCount)), [0, 14, 34, 42, 50, 64, 84]);
  assert.is(p.netCount, 2);
  assert.is(p.tunnelCount, 1);
  assert.is(p.status, 'decoded');
  const s = summarize(p);
  assert.equal(s.outer, { src: '192.168.203.1', dst: '192.168.202.1', proto: 'udp', sport: 45149, dport: 4789, ttl: 64, ipId: s.outer!.ipId! });
  assert.equal(s.tunnel, { type: 'vxlan', vni: 100, port: 4789 });
  assert.equal(s.inner, { src: '192.168.203.3', dst: '192.168.203.5', proto: 'icmp', ttl: 64, ipId: 0, icmpType: 8, icmpCode: 0, icmpId: 1292, icmpSeq: 1 });
  assert.is(s.time, '2013-05-18T20:21:44.837063Z');
  assert.is(p.tunnels[0].flags, 0x08);
  assert.is(p.macSrc, 0x00163e37f604, 'innermost Ethernet source MAC');
  // the payload hash covers the ICMP echo data (after the 8-byte ICMP header)
  assert.is(p.payloadHash, fnv1a(frames[0].bytes, 92, frames[0].bytes.length));
  assert.is(packetLine(p), '1 20:21:44.837063 - 192.168.203.1.45149 > 192.168.202.1.4789 VXLAN vni 100 | 192.168.203.3 > 192.168.203.5 ICMP echo request id 1292 seq 1 len 64');
  // ARP inside VXLAN: inner src/dst are sender/target protocol addresses
  const arp = summarize(d.decode(frames[1]));
  assert.equal(arp.layers, ['eth', 'ipv4', 'udp', 'vxlan', 'eth', 'arp']);
  assert.equal(arp.inner, { src: '192.168.203.5', dst: '192.168.203.3', proto: 'arp', arpOp: 1 });
  assert.match(packetLine(d.decode(frames[1])), /\| ARP who-has 192\.168\.203\.3 tell 192\.168\.203\.5$/);
});

test('the Decoder reuses one Packet; summaries are independent plain objects', async () => {
  const f = corpus('tcpdump/tests/vxlan.pcap');
  if (!f) return;
  const frames = await framesOf(f);
  const d = new Decoder();
  const a = d.decode(frames[0]);
  const sa = summarize(a);
  const b = d.decode(frames[1]);
  assert.ok(a === b, 'same Packet object');
  assert.is(sa.inner!.proto, 'icmp', 'the earlier summary is unchanged');
  assert.is(b.inner!.kind, 1);
});

test('UDP 8472 is VXLAN by default; other ports only with addUdpPort / --vxlan-port', async () => {
  const f = corpus('tcpdump/tests/vxlan_port_8472.pcap');
  if (!f) return;
  const frames = await framesOf(f);
  const p = new Decoder().decode(frames[0]);
  assert.is(p.tunnels[0].port, 8472);
  assert.is(layers(p).join(','), 'eth,ipv4,udp,vxlan,eth,ipv4,icmp');
  // Move the destination port to 9999: plain UDP, unless configured.
  const moved = frames[0].bytes.slice();
  moved[36] = 9999 >> 8;
  moved[37] = 9999 & 255;
  assert.equal(layers(new Decoder().decode(frame(moved))), ['eth', 'ipv4', 'udp']);
  const d = new Decoder({ vxlanPorts: [9999] });
  assert.equal(layers(d.decode(frame(moved))), ['eth', 'ipv4', 'udp', 'vxlan', 'eth', 'ipv4', 'icmp']);
  const g = new Decoder({ genevePorts: [9999] });
  const asGeneve = g.decode(frame(moved));
  assert.equal(layers(asGeneve), ['eth', 'ipv4', 'udp', 'geneve'], 'the port decides the header, whatever the bytes');
  assert.is(asGeneve.unknownEthertype, 0, 'protocol type 0 (reserved bytes of the VXLAN header) is not decoded');
});

test('Geneve (geneve.pcap): options skipped by length, protocol 0x6558 -> inner Ethernet, vni, C flag', async () => {
  const f = corpus('tcpdump/tests/geneve.pcap');
  if (!f) return;
  const frames = await framesOf(f);
  const d = new Decoder();
  const p = d.decode(frames[0]);
  assert.equal(layers(p), ['eth', 'ipv4', 'udp', 'geneve', 'eth', 'ipv4', 'icmp']);
  assert.is(p.tunnels[0].vni, 10);
  assert.is(p.tunnels[0].flags, 0x40, 'critical options present');
  assert.is(p.tunnels[0].proto, 0x6558);
  assert.is(p.layerOffset[4] - p.layerOffset[3], 16, '8-byte header + 8 bytes of options');
  const tcp = summarize(d.decode(frames[3]));
  assert.equal([tcp.inner!.sport, tcp.inner!.dport, tcp.inner!.tcpFlags, tcp.inner!.tcpSeq, tcp.inner!.tcpAck], [22, 51225, 'S.', 2910871522, 397610160]);
});

test('SLL (113): direction from the packet type; SLL2 (276): ifindex and direction', async () => {
  const f = corpus('tcpdump/tests/tcp-handshake-nano.pcap');
  if (f) {
    const frames = await framesOf(f);
    const d = new Decoder();
    const out = summarize(d.decode(frames[0]));
    assert.equal(out.layers, ['sll', 'ipv4', 'tcp']);
    assert.equal(out.point, { direction: 'out' });
    assert.is(summarize(d.decode(frames[1])).point!.direction, 'in');
    assert.is(out.time, '2014-12-09T17:16:09.924505488Z', 'nanosecond file: 9 digits');
  }
  // SLL2: protocol 0x0800, ifindex 7, ARPHRD_ETHER, PACKET_OUTGOING, 6-byte address
  const sll2 = [0x08, 0x00, 0, 0, 0, 0, 0, 7, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0];
  const pkt = [...sll2, ...ipv4(17, [10, 42, 0, 5], [10, 42, 1, 7], 28 + 4), ...udp(5353, 53, 4), 1, 2, 3, 4];
  const p = new Decoder().decode(frame(pkt, 276));
  assert.equal(layers(p), ['sll2', 'ipv4', 'udp']);
  assert.equal(summarize(p).point, { ifindex: 7, direction: 'out' });
  assert.is(packetLine(p), '1 00:00:00.000000 ifindex 7 Out 10.42.0.5.5353 > 10.42.1.7.53 UDP len 4');
  // the reader's point wins over the link header
  const q = new Decoder().decode(frame(pkt, 276, { point: { interface: 'eth0', direction: 'in' } }));
  assert.equal(summarize(q).point, { interface: 'eth0', ifindex: 7, direction: 'in' });
});

test('NULL/LOOP (0/108): the address family in either byte order', () => {
  const ip = [...ipv4(1, [127, 0, 0, 1], [127, 0, 0, 1], 28), ...icmpEcho(1, 1, 0)];
  for (const fam of [[2, 0, 0, 0], [0, 0, 0, 2]]) {
    for (const lt of [0, 108]) assert.equal(layers(new Decoder().decode(frame([...fam, ...ip], lt))), ['null', 'ipv4', 'icmp']);
  }
  const v6 = [0x60, 0, 0, 0, 0, 8, 58, 64, ...new Array(15).fill(0), 1, ...new Array(15).fill(0), 1, 128, 0, 0, 0, 0, 1, 0, 2];
  for (const fam of [[30, 0, 0, 0], [0, 0, 0, 24], [28, 0, 0, 0], [10, 0, 0, 0]]) {
    const p = new Decoder().decode(frame([...fam, ...v6], 0));
    assert.equal(layers(p), ['null', 'ipv6', 'icmp6']);
    assert.equal([summarize(p).inner!.src, p.inner!.icmpSeq], ['::1', 2]);
  }
});

test('raw IP link types: RAW (101) by version nibble, IPV4 (228), IPV6 (229); the wrong version is malformed', async () => {
  for (const [file, lt, want] of [
    ['LINKTYPE_RAW_ipv4.pcap', 101, ['ipv4', 'udp']],
    ['LINKTYPE_IPV4.pcap', 228, ['ipv4', 'udp']],
    ['LINKTYPE_IPV6.pcap', 229, ['ipv6', 'udp']],
  ] as const) {
    const f = corpus('tcpdump/tests/' + file);
    if (!f) return;
    const [fr] = await framesOf(f);
    assert.is(fr.linktype, lt);
    assert.equal(layers(new Decoder().decode(fr)), want);
  }
  const f = corpus('tcpdump/tests/LINKTYPE_IPV4_invalid.pcap');
  if (!f) return;
  const p = new Decoder().decode((await framesOf(f))[0]);
  assert.is(p.status, 'malformed');
  assert.equal(p.problems, ['ipv4: version 6 != 4']);
});

test('802.1ad QinQ: two vlan layers, outermost VLAN id, ARP inside', async () => {
  const f = corpus('tcpdump/tests/802.1ad_QinQ.pcap');
  if (!f) return;
  const p = new Decoder().decode((await framesOf(f))[0]);
  assert.equal(layers(p), ['eth', 'vlan', 'vlan', 'arp']);
  assert.is(p.vlan, 200);
  assert.equal(summarize(p).inner, { src: '172.21.79.97', dst: '172.21.79.100', proto: 'arp', arpOp: 1 });
});

test('ARP with odd lengths (arp-too-long-tha) and RARP (rarp_req_reply.pcapng)', async () => {
  const f = corpus('tcpdump/tests/arp-too-long-tha.pcap');
  if (f) {
    const p = new Decoder().decode((await framesOf(f))[0]);
    assert.equal(layers(p).slice(-1), ['arp']);
    assert.is(p.inner!.arpHln, 14);
    assert.equal([summarize(p).inner!.src, summarize(p).inner!.dst], ['48.48.48.48', '48.48.48.48']);
  }
  const r = corpus('libpcap/rarp_req_reply.pcapng');
  if (!r) return;
  const frames = await framesOf(r);
  const d = new Decoder();
  assert.equal([summarize(d.decode(frames[0])).inner!.proto, d.p.inner!.arpOp], ['rarp', 3]);
  assert.match(packetLine(d.decode(frames[1])), /RARP reply 00:0c:29:34:0b:de at 10\.1\.1\.100$/);
});

test('IPv4 fragments: only the first carries L4; AH is a layer (ah-ipip-ping.pcap)', async () => {
  const f = corpus('libpcap/ah-ipip-ping.pcap');
  if (!f) return;
  const frames = await framesOf(f);
  const d = new Decoder();
  const first = summarize(d.decode(frames[0]));
  assert.equal(first.layers, ['eth', 'ipv4', 'ah', 'icmp']);
  assert.equal(first.inner!.fragment, { offset: 0, more: true });
  assert.is(first.inner!.proto, 'icmp', 'the protocol after AH');
  const later = summarize(d.decode(frames[1]));
  assert.equal(later.layers, ['eth', 'ipv4']);
  assert.equal(later.inner!.fragment, { offset: 1480, more: true });
  assert.is(later.inner!.proto, 'ah');
  assert.is(later.inner!.icmpType, undefined);
  assert.is(later.status, 'decoded');
});

test('IPv6: extension headers walked (hop-by-hop in icmpv6.pcap), fragment header, bad version', async () => {
  const f = corpus('tcpdump/tests/icmpv6.pcap');
  if (f) {
    const p = new Decoder().decode((await framesOf(f))[1]);
    assert.equal(layers(p), ['eth', 'ipv6', 'icmp6']);
    assert.is(p.inner!.icmpType, 143);
  }
  // IPv6 + fragment header (offset 1448, M) + UDP bytes: a later fragment, no L4
  const frag = [17, 0, (1448 >> 8) & 255, (1448 & 0xf8) | 1, 0, 0, 0x12, 0x34];
  const v6 = (next: number, plen: number) => [0x60, 0, 0, 0, plen >> 8, plen & 255, next, 64, 0x20, 1, 0xd, 0xb8, ...new Array(11).fill(0), 1, 0x20, 1, 0xd, 0xb8, ...new Array(11).fill(0), 2];
  const p = new Decoder().decode(frame([...eth(0x86dd), ...v6(44, 16), ...frag, 1, 2, 3, 4, 5, 6, 7, 8]));
  const s = summarize(p);
  assert.equal(s.layers, ['eth', 'ipv6']);
  assert.equal(s.inner!.fragment, { offset: 1448, more: true });
  assert.is(s.inner!.ipId, 0x1234);
  assert.is(s.inner!.proto, 'udp');
  assert.is(s.inner!.src, '2001:db8::1');
  const bad = corpus('tcpdump/tests/ipv6-bad-version.pcap');
  if (bad) {
    const frames = await framesOf(bad);
    const d = new Decoder();
    assert.is(d.decode(frames[0]).status, 'decoded');
    assert.equal([d.decode(frames[1]).status, d.p.problems], ['malformed', ['ipv6: version 0 != 6']]);
  }
});

test('GRE: key, version 1 (PPTP) with PPP, transparent Ethernet bridging (0x6558)', async () => {
  const f = corpus('tcpdump/tests/various_gre.pcap');
  if (f) {
    const frames = await framesOf(f);
    const p = new Decoder().decode(frames[10]);
    assert.equal(layers(p), ['eth', 'vlan', 'ipv4', 'gre']);
    assert.equal(summarize(p).tunnel, { type: 'gre', key: 0x28 });
  }
  const pptp = corpus('tcpdump/tests/pptp.pcap');
  if (pptp) {
    const frames = await framesOf(pptp);
    const d = new Decoder();
    const gre = frames.map((fr) => summarize(d.decode(fr))).filter((s) => s.tunnel?.type === 'gre');
    assert.ok(gre.length > 0, 'pptp.pcap has enhanced GRE packets');
    assert.ok(gre.every((s) => s.layers.includes('gre')));
  }
  // gretap: IPv4 / GRE with key / Ethernet / IPv4 / ICMP
  const inner = [...eth(0x0800), ...ipv4(1, [10, 42, 0, 2], [10, 42, 1, 3], 36), ...icmpEcho(7, 9, 8)];
  const greHdr = [0x20, 0, 0x65, 0x58, 0, 0, 0, 42];
  const pkt = [...eth(0x0800), ...ipv4(47, [192, 168, 1, 1], [192, 168, 1, 2], 20 + greHdr.length + inner.length), ...greHdr, ...inner];
  const p = new Decoder().decode(frame(pkt));
  assert.equal(layers(p), ['eth', 'ipv4', 'gre', 'eth', 'ipv4', 'icmp']);
  const s = summarize(p);
  assert.equal(s.tunnel, { type: 'gre', key: 42 });
  assert.equal([s.outer!.proto, s.inner!.icmpId, s.inner!.icmpSeq], ['gre', 7, 9]);
  assert.match(packetLine(p), / GRE key 0x2a \| 10\.42\.0\.2 > 10\.42\.1\.3 ICMP echo request id 7 seq 9 len 16$/);
});

test('IP-in-IP (4 and 41) is a tunnel; nesting stops at MAX_TUNNELS with a problem, never a throw', () => {
  const icmp = icmpEcho(1, 1, 0);
  const one = [...ipv4(4, [1, 1, 1, 1], [2, 2, 2, 2], 48), ...ipv4(1, [10, 0, 0, 1], [10, 0, 0, 2], 28), ...icmp];
  const p = new Decoder().decode(frame(one, 101));
  assert.equal(layers(p), ['ipv4', 'ipv4', 'icmp']);
  const s = summarize(p);
  assert.equal([s.tunnel!.type, s.outer!.proto, s.inner!.src], ['ipip', 'ipip', '10.0.0.1']);
  assert.match(packetLine(p), /1\.1\.1\.1 > 2\.2\.2\.2 IPIP \| 10\.0\.0\.1 > 10\.0\.0\.2 ICMP/);
  // 20 nested IPv4 headers
  let pkt = [...ipv4(1, [10, 0, 0, 1], [10, 0, 0, 2], 28), ...icmp];
  for (let i = 0; i < 20; i++) pkt = [...ipv4(4, [1, 1, 1, i], [2, 2, 2, i], 20 + pkt.length), ...pkt];
  const deep = new Decoder().decode(frame(pkt, 101));
  assert.is(deep.tunnelCount, MAX_TUNNELS);
  assert.is(deep.status, 'malformed');
  assert.match(deep.problems[0], /more than 8 encapsulations/);
});

test('truncation: every prefix of a VXLAN frame decodes, is truncated, and names the cut layer', async () => {
  const f = corpus('tcpdump/tests/vxlan.pcap');
  if (!f) return;
  const full = (await framesOf(f))[0].bytes;
  const d = new Decoder();
  for (let n = 0; n < full.length; n++) {
    const p = d.decode(frame(full.subarray(0, n), 1, { wireLength: full.length }));
    if (n < 92) {
      assert.is(p.truncated, true, `prefix ${n} is truncated: the capture cut it`);
      assert.is(p.malformed, false, `prefix ${n} is not malformed`);
    }
    // the same bytes as a whole frame: the packet itself is too short
    const whole = d.decode(frame(full.subarray(0, n)));
    if (n < 92) assert.is(whole.status, 'malformed', `prefix ${n} as a whole frame`);
    assert.ok(typeof packetLine(p) === 'string');
    JSON.stringify(summarize(p));
  }
  const cut = (n: number) => d.decode(frame(full.subarray(0, n), 1, { wireLength: full.length }));
  assert.is(LAYER_NAMES[cut(30).truncatedLayer], 'ipv4');
  assert.is(LAYER_NAMES[cut(45).truncatedLayer], 'vxlan');
  assert.is(LAYER_NAMES[cut(88).truncatedLayer], 'icmp');
  assert.match(packetLine(cut(45)), /\[\|vxlan\]$/);
});

test('malformed lengths: IPv4 header length < 20, total length < header, UDP length < 8, TCP offset < 20', () => {
  const d = new Decoder();
  const ip = ipv4(17, [1, 2, 3, 4], [5, 6, 7, 8], 40);
  const short = [...ip];
  short[0] = 0x44;
  assert.match(d.decode(frame([...short, ...udp(1, 2, 12)], 101)).problems[0], /header length 16 < 20/);
  const tl = [...ip];
  tl[3] = 10;
  assert.match(d.decode(frame([...tl, ...udp(1, 2, 12)], 101)).problems[0], /total length 10 < header length 20/);
  const u = udp(1, 2, 12);
  u[5] = 4;
  assert.match(d.decode(frame([...ip, ...u, ...new Array(12).fill(0)], 101)).problems[0], /udp: length 4 < 8/);
  const tcp = [0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x30, 0x02, 0, 0, 0, 0, 0, 0];
  const p = d.decode(frame([...ipv4(6, [1, 2, 3, 4], [5, 6, 7, 8], 40), ...tcp], 101));
  assert.equal([p.status, p.problems], ['malformed', ['tcp: data offset 12 < 20']]);
  assert.is(p.inner!.sport, 1, 'the ports are kept');
});

test('fuzz: random mutations of real frames never throw and always classify', async () => {
  const files = ['tcpdump/tests/vxlan.pcap', 'tcpdump/tests/geneve.pcap', 'tcpdump/tests/various_gre.pcap', 'tcpdump/tests/icmpv6.pcap', 'tcpdump/tests/gso-ipv6-geneve-ipv6.pcap'];
  const frames = [];
  for (const rel of files) {
    const f = corpus(rel);
    if (!f) return;
    frames.push(...(await framesOf(f)));
  }
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const d = new Decoder({ vxlanPorts: [22], genevePorts: [80] });
  for (let i = 0; i < 4000; i++) {
    const fr = frames[Math.floor(rand() * frames.length)];
    const b = fr.bytes.slice(0, Math.min(fr.bytes.length, 400));
    const flips = 1 + Math.floor(rand() * 6);
    for (let k = 0; k < flips; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    const cut = rand() < 0.3 ? b.subarray(0, Math.floor(rand() * b.length)) : b;
    const p = d.decode(frame(cut, fr.linktype));
    assert.ok(['decoded', 'truncated', 'malformed', 'skipped'].includes(p.status));
    packetLine(p);
    summarize(p);
  }
});

test('text helpers: IPv6 compression as tcpdump, TCP flags order, ISO times', () => {
  const w = (...g: number[]) => Uint32Array.from([0, 2, 4, 6].map((i) => ((g[i] << 16) | g[i + 1]) >>> 0));
  assert.is(ipv6String(w(0, 0, 0, 0, 0, 0, 0, 0)), '::');
  assert.is(ipv6String(w(0, 0, 0, 0, 0, 0, 0, 1)), '::1');
  assert.is(ipv6String(w(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)), '2001:db8::1');
  assert.is(ipv6String(w(0xfe80, 0, 0, 0, 0x20c, 0x29ff, 0xfe76, 0x6c14)), 'fe80::20c:29ff:fe76:6c14');
  assert.is(ipv6String(w(1, 0, 0, 1, 0, 0, 0, 1)), '1:0:0:1::1');
  assert.is(ipv6String(w(1, 0, 1, 0, 1, 0, 1, 0)), '1:0:1:0:1:0:1:0');
  assert.is(ipv6String(w(0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304)), '::ffff:1.2.3.4');
  assert.is(ipv6String(w(0xff02, 0, 0, 0, 0, 1, 0xff76, 0x6c14)), 'ff02::1:ff76:6c14');
  assert.is(ipv6String(w(1, 2, 3, 4, 5, 6, 7, 0)), '1:2:3:4:5:6:7:0');
  assert.is(ipv6String(w(1, 2, 3, 4, 5, 0, 0, 0)), '1:2:3:4:5::');
  assert.is(tcpFlagString(0x12), 'S.');
  assert.is(tcpFlagString(0x19), 'FP.');
  assert.is(tcpFlagString(0xc2), 'SEW');
  assert.is(tcpFlagString(0), 'none');
  assert.is(isoTime(1368908504, 837063000, 6), '2013-05-18T20:21:44.837063Z');
  assert.is(isoTime(1418145369, 924505488, 9), '2014-12-09T17:16:09.924505488Z');
  assert.is(isoTime(4294967296 + 86400 * 365, 1000, 6), '2107-02-07T06:28:16.000001Z');
  assert.is(isoTime(0, 0, 6), '1970-01-01T00:00:00.000000Z');
  assert.is(L.ETH, 1);
});

test.run();
