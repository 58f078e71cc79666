/**
 * A large, realistic flannel capture for the benchmark, deterministic from a seed: what a
 * `tcpdump -i any`-like Ethernet capture on node A (10.32.11.62) of a two-node k3s cluster shows.
 *
 *   share  traffic
 *   ~70%   VXLAN (UDP 8472, VNI 1) between 10.32.11.62 and 10.32.7.224, carrying pod traffic
 *          10.42.0.x <-> 10.42.1.x: TCP connections (handshake, MSS-sized data, ACKs, FIN),
 *          UDP request/response, ICMP echo request/reply
 *   ~20%   bridged pod traffic on cni0 (Ethernet/IPv4/TCP between pods of node A)
 *    ~3%   ARP who-has / reply
 *    ~7%   IPv6 noise: ICMPv6 neighbor solicitation/advertisement, UDP (mDNS, DHCPv6)
 *
 * Sizes are those of real traffic: 60-byte ACKs and ARP, 98-byte pings, MSS-sized (1448-byte)
 * data segments, flannel's 1450-byte inner MTU. Conversations start and end as the capture goes
 * (a few long-lived "elephants", many short ones), so the number of flows grows with the size.
 * IPv4 header checksums are correct; TCP/UDP checksums are 0 (tcpdump -nn does not check them).
 *
 * The same seed gives the same packets: a smaller size is an exact prefix of a larger one.
 *
 * The `short` mix is the other realistic shape (a busy node seen from one capture point): many
 * short conversations (1 to 40 packets; 0.2% long ones) between 200 pods per node, 80% of them
 * one-sided (only the client's packets are in the capture: the answer took another path, or
 * there was none), 6% ARP and 6% IPv6 neighbour/mDNS noise. It has about 10 times as many flows
 * per packet as the flannel mix (more than 10,000 per 500,000 packets).
 */
import { PcapWriter } from './pcap-writer.js';

export type Mix = 'flannel' | 'short';
export const MIXES: readonly Mix[] = ['flannel', 'short'];

export interface GenerateResult {
  packets: number;
  bytes: number;
  /** Packets per traffic kind. */
  mix: Record<string, number>;
}

/** mulberry32: a small, fast, seeded PRNG in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ip = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const NODE_A = ip(10, 32, 11, 62);
const NODE_B = ip(10, 32, 7, 224);
const MAC_A = 0x02000a200b3e;
const MAC_B = 0x02000a2007e0;
const VTEP_A = 0x1ea7c0ffee01;
const VTEP_B = 0x1ea7c0ffee02;
const CNI0 = 0x1ea7c0ffee10;
const GATEWAY = ip(10, 32, 0, 1);
const MAC_GW = 0x02000a200001;

const podA = (i: number) => ip(10, 42, 0, 2 + i);
const podB = (i: number) => ip(10, 42, 1, 2 + i);
const podMac = (addr: number) => 0x0a5800000000 + (addr & 0xffff);
const SERVICES = [80, 443, 8080, 5432, 6379, 9090, 3000, 50051];

// ---------------------------------------------------------------- header writers (big endian)

function mac(b: Buffer, o: number, m: number): void {
  b.writeUInt16BE(Math.floor(m / 0x100000000), o);
  b.writeUInt32BE(m % 0x100000000, o + 2);
}

function eth(b: Buffer, o: number, dst: number, src: number, type: number): number {
  mac(b, o, dst);
  mac(b, o + 6, src);
  b.writeUInt16BE(type, o + 12);
  return o + 14;
}

function ipv4(b: Buffer, o: number, src: number, dst: number, proto: number, total: number, id: number, ttl: number): number {
  b[o] = 0x45;
  b[o + 1] = 0;
  b.writeUInt16BE(total, o + 2);
  b.writeUInt16BE(id & 0xffff, o + 4);
  b.writeUInt16BE(0x4000, o + 6); // DF
  b[o + 8] = ttl;
  b[o + 9] = proto;
  b.writeUInt16BE(0, o + 10);
  b.writeUInt32BE(src, o + 12);
  b.writeUInt32BE(dst, o + 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (b[o + i] << 8) | b[o + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, o + 10);
  return o + 20;
}

function udp(b: Buffer, o: number, sport: number, dport: number, length: number): number {
  b.writeUInt16BE(sport, o);
  b.writeUInt16BE(dport, o + 2);
  b.writeUInt16BE(length, o + 4);
  b.writeUInt16BE(0, o + 6);
  return o + 8;
}

function tcp(b: Buffer, o: number, sport: number, dport: number, seq: number, ack: number, flags: number, win: number): number {
  b.writeUInt16BE(sport, o);
  b.writeUInt16BE(dport, o + 2);
  b.writeUInt32BE(seq >>> 0, o + 4);
  b.writeUInt32BE(ack >>> 0, o + 8);
  b[o + 12] = 0x50;
  b[o + 13] = flags;
  b.writeUInt16BE(win, o + 14);
  b.writeUInt32BE(0, o + 16);
  return o + 20;
}

const FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10;

// ---------------------------------------------------------------- conversations

interface Conv {
  kind: 'tcp' | 'udp' | 'icmp';
  overlay: boolean;
  client: number;
  server: number;
  cport: number;
  sport: number;
  cseq: number;
  sseq: number;
  step: number;
  left: number;
  id: number;
  /** Only the client's packets are written (the short mix). */
  oneSided: boolean;
}

export function generate(path: string, targetBytes: number, seed = 8472, kind: Mix = 'flannel'): GenerateResult {
  const short = kind === 'short';
  const PODS = short ? 200 : 40;
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const w = new PcapWriter(path);
  const junk = Buffer.alloc(1 << 16);
  for (let i = 0; i < junk.length; i++) junk[i] = int(256);
  const ipIds = new Map<number, number>();
  const nextId = (addr: number) => {
    const v = ((ipIds.get(addr) ?? addr * 7919) + 1) & 0xffff;
    ipIds.set(addr, v);
    return v;
  };
  const mix: Record<string, number> = { vxlan: 0, bridged: 0, arp: 0, ipv6: 0 };

  const newConv = (kind: Conv['kind'], overlay: boolean): Conv => {
    // Overlay: one side on each node; bridged: two pods of node A.
    const a = podA(int(PODS));
    let b = overlay ? podB(int(PODS)) : podA(int(PODS));
    if (b === a) b = podA((a - podA(0) + 1) % PODS);
    const fromA = rnd() < 0.5;
    const elephant = rnd() < (short ? 0.002 : 0.05);
    return {
      kind,
      overlay,
      client: fromA ? a : b,
      server: fromA ? b : a,
      cport: 32768 + int(28232),
      sport: kind === 'udp' ? (rnd() < 0.5 ? 53 : 8125) : SERVICES[int(SERVICES.length)],
      cseq: int(0xffffffff),
      sseq: int(0xffffffff),
      step: 0,
      left: short ? (elephant ? 1000 + int(5000) : 1 + int(40)) : elephant ? 5000 + int(50000) : 6 + int(600),
      id: int(0xffff),
      oneSided: short && rnd() < 0.8,
    };
  };
  const pools: { kind: Conv['kind']; overlay: boolean; convs: Conv[]; weight: number }[] = [
    { kind: 'tcp', overlay: true, convs: [], weight: 0.55 },
    { kind: 'udp', overlay: true, convs: [], weight: 0.08 },
    { kind: 'icmp', overlay: true, convs: [], weight: 0.07 },
    { kind: 'tcp', overlay: false, convs: [], weight: 0.2 },
  ];
  const sizes = short ? [1500, 600, 300, 600] : [300, 60, 30, 150];
  pools.forEach((p, i) => {
    for (let k = 0; k < sizes[i]; k++) p.convs.push(newConv(p.kind, p.overlay));
  });

  let sec = 1714564800;
  let usec = 0;
  const b = w.buf;

  /** Writes one IPv4 packet of conversation c (inner, if overlay) and returns nothing. */
  const emitIp = (c: Conv, fromClient: boolean, proto: number, l4: (b: Buffer, o: number) => number, l4Length: number) => {
    if (c.oneSided && !fromClient) return;
    const src = fromClient ? c.client : c.server;
    const dst = fromClient ? c.server : c.client;
    const ipTotal = 20 + l4Length;
    const inner = 14 + ipTotal;
    const frame = c.overlay ? 14 + 20 + 8 + 8 + inner : inner;
    const o0 = w.record(sec, usec, frame);
    let o = o0;
    if (c.overlay) {
      // Which node sends it: the one the source pod lives on.
      const srcOnA = (src >>> 8) === (podA(0) >>> 8);
      const outerSrc = srcOnA ? NODE_A : NODE_B;
      const outerDst = srcOnA ? NODE_B : NODE_A;
      o = eth(b, o, srcOnA ? MAC_GW : MAC_A, srcOnA ? MAC_A : MAC_GW, 0x0800);
      o = ipv4(b, o, outerSrc, outerDst, 17, 20 + 8 + 8 + inner, nextId(outerSrc), 64);
      const hash = ((src ^ dst ^ (c.cport * 31) ^ c.sport) >>> 0) % 28232;
      o = udp(b, o, 32768 + hash, 8472, 8 + 8 + inner);
      b.writeUInt32BE(0x08000000, o);
      b.writeUInt32BE(1 << 8, o + 4);
      o += 8;
      o = eth(b, o, srcOnA ? VTEP_B : VTEP_A, srcOnA ? VTEP_A : VTEP_B, 0x0800);
      mix.vxlan++;
    } else {
      o = eth(b, o, podMac(dst), podMac(src), 0x0800);
      mix.bridged++;
    }
    o = ipv4(b, o, src, dst, proto, ipTotal, nextId(src), 64);
    const end = l4(b, o);
    // payload bytes from the junk block
    const pay = o0 + frame - end;
    if (pay > 0) {
      const from = int(junk.length - pay);
      junk.copy(b, end, from, from + pay);
    }
  };

  const stepTcp = (c: Conv) => {
    const mss = c.overlay ? 1398 : 1448;
    let fromClient: boolean;
    let flags: number;
    let data = 0;
    if (c.step === 0) {
      fromClient = true;
      flags = SYN;
    } else if (c.step === 1) {
      fromClient = false;
      flags = SYN | ACK;
    } else if (c.step === 2) {
      fromClient = true;
      flags = ACK;
    } else if (c.left <= 2) {
      fromClient = c.left === 2;
      flags = FIN | ACK;
    } else {
      const r = rnd();
      if (r < 0.15) {
        fromClient = true;
        flags = PSH | ACK;
        data = 40 + int(400);
      } else if (r < 0.6) {
        fromClient = false;
        flags = ACK | (rnd() < 0.3 ? PSH : 0);
        data = rnd() < 0.8 ? mss : 100 + int(mss - 100);
      } else {
        fromClient = true;
        flags = ACK;
      }
    }
    const seq = fromClient ? c.cseq : c.sseq;
    const ack = fromClient ? c.sseq : c.cseq;
    const sp = fromClient ? c.cport : c.sport;
    const dp = fromClient ? c.sport : c.cport;
    emitIp(c, fromClient, 6, (b, o) => tcp(b, o, sp, dp, seq, flags & ACK ? ack : 0, flags, 502), 20 + data);
    const adv = data + (flags & (SYN | FIN) ? 1 : 0);
    if (fromClient) c.cseq = (c.cseq + adv) >>> 0;
    else c.sseq = (c.sseq + adv) >>> 0;
    c.step++;
  };

  const stepUdp = (c: Conv) => {
    const fromClient = c.step % 2 === 0;
    const len = fromClient ? 30 + int(60) : 60 + int(450);
    const sp = fromClient ? c.cport : c.sport;
    const dp = fromClient ? c.sport : c.cport;
    emitIp(c, fromClient, 17, (b, o) => udp(b, o, sp, dp, 8 + len), 8 + len);
    c.step++;
  };

  const stepIcmp = (c: Conv) => {
    const fromClient = c.step % 2 === 0;
    const seq = (c.step >> 1) & 0xffff;
    emitIp(c, fromClient, 1, (b, o) => {
      b[o] = fromClient ? 8 : 0;
      b[o + 1] = 0;
      b.writeUInt16BE(0, o + 2);
      b.writeUInt16BE(c.id, o + 4);
      b.writeUInt16BE(seq, o + 6);
      return o + 8;
    }, 64);
    c.step++;
  };

  const arp = () => {
    const o = w.record(sec, usec, 42);
    const reply = rnd() < 0.5;
    const a = podA(int(PODS));
    const gw = ip(10, 42, 0, 1);
    let p = eth(b, o, reply ? podMac(a) : 0xffffffffffff, reply ? CNI0 : podMac(a), 0x0806);
    b.writeUInt16BE(1, p);
    b.writeUInt16BE(0x0800, p + 2);
    b[p + 4] = 6;
    b[p + 5] = 4;
    b.writeUInt16BE(reply ? 2 : 1, p + 6);
    p += 8;
    mac(b, p, reply ? CNI0 : podMac(a));
    b.writeUInt32BE(reply ? gw : a, p + 6);
    mac(b, p + 10, reply ? podMac(a) : 0);
    b.writeUInt32BE(reply ? a : gw, p + 16);
    mix.arp++;
  };

  const ipv6 = () => {
    const nd = rnd() < 0.6;
    const l4len = nd ? 32 : 8 + 20 + int(200);
    const o = w.record(sec, usec, 14 + 40 + l4len);
    const host = 0x10 + int(64);
    let p = eth(b, o, nd ? 0x3333ff000000 + host : 0x3333000000fb, 0x0a5800000000 + host, 0x86dd);
    b.writeUInt32BE(0x60000000, p);
    b.writeUInt16BE(l4len, p + 4);
    b[p + 6] = nd ? 58 : 17;
    b[p + 7] = 255;
    // fe80::a8:0:0:<host>
    b.writeUInt32BE(0xfe800000, p + 8);
    b.writeUInt32BE(0, p + 12);
    b.writeUInt32BE(0x00a80000, p + 16);
    b.writeUInt32BE(host, p + 20);
    if (nd) {
      // ff02::1:ff00:<host>
      b.writeUInt32BE(0xff020000, p + 24);
      b.writeUInt32BE(0, p + 28);
      b.writeUInt32BE(1, p + 32);
      b.writeUInt32BE(0xff000000 + host, p + 36);
    } else {
      b.writeUInt32BE(0xff020000, p + 24);
      b.writeUInt32BE(0, p + 28);
      b.writeUInt32BE(0, p + 32);
      b.writeUInt32BE(0xfb, p + 36);
    }
    p += 40;
    if (nd) {
      b[p] = 135;
      b[p + 1] = 0;
      b.writeUInt16BE(0, p + 2);
      b.writeUInt32BE(0, p + 4);
      b.writeUInt32BE(0xfe800000, p + 8);
      b.writeUInt32BE(0, p + 12);
      b.writeUInt32BE(0x00a80000, p + 16);
      b.writeUInt32BE(0x10 + int(64), p + 20);
      b[p + 24] = 1;
      b[p + 25] = 1;
      mac(b, p + 26, 0x0a5800000000 + host);
    } else {
      udp(b, p, 5353, 5353, l4len);
      junk.copy(b, p + 8, 0, l4len - 8);
    }
    mix.ipv6++;
  };

  let total = 0;
  for (const p of pools) total += p.weight;
  while (w.bytes < targetBytes) {
    usec += 1 + int(40);
    if (usec >= 1e6) {
      usec -= 1e6;
      sec++;
    }
    const r = rnd();
    if (r < (short ? 0.06 : 0.03)) {
      arp();
      continue;
    }
    if (r < (short ? 0.12 : 0.1)) {
      ipv6();
      continue;
    }
    // pick a pool by weight, then a conversation (skewed towards the first ones: elephants)
    let x = rnd() * total;
    let pool = pools[0];
    for (const p of pools) {
      if (x < p.weight) {
        pool = p;
        break;
      }
      x -= p.weight;
    }
    const u = rnd();
    const k = Math.floor(u * u * pool.convs.length);
    const c = pool.convs[k];
    if (c.kind === 'tcp') stepTcp(c);
    else if (c.kind === 'udp') stepUdp(c);
    else stepIcmp(c);
    if (--c.left <= 0) pool.convs[k] = newConv(pool.kind, pool.overlay);
  }
  w.close();
  return { packets: w.packets, bytes: w.bytes, mix };
}
