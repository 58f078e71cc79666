/**
 * Mutators for the fuzzer: deterministic (an Rng per exec), structure-aware for captures (pcap
 * records, pcapng blocks and options, the length fields of IP/UDP/TCP/VXLAN/Geneve found by
 * decoding the seed once) and for dumps (lines shuffled, cut, duplicated, bytes that are not UTF-8).
 * Nothing here reads files: seeds.ts does.
 */
import { gzipSync } from 'node:zlib';
import { Decoder } from '../../src/decode/decoder.js';
import { L } from '../../src/decode/packet.js';
import type { Frame } from '../../src/capture/frame.js';

// ------------------------------------------------------------------------------------------ rng

/** splitmix32: small, fast, good enough, and deterministic. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let z = (this.s = (this.s + 0x9e3779b9) | 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
  /** 0 <= x < n (n >= 1). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.next() / 4294967296) * n);
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
}

/** The Rng of exec `i` of a tier, from the run's seed: any exec can be replayed alone. */
export function execRng(seed: number, tier: number, i: number): Rng {
  const r = new Rng((Math.imul(seed | 0, 0x27d4eb2d) ^ Math.imul(i + 1, 0x165667b1) ^ Math.imul(tier + 1, 0x9e3779b9)) >>> 0);
  r.next();
  return r;
}

// ------------------------------------------------------------------------------------ structure

/** A length (or other interesting) field of a seed capture: where, how wide, which byte order. */
export interface Field {
  at: number;
  size: 1 | 2 | 4;
  little: boolean;
  what: string;
}

/** What the mutators know about one seed capture. */
export interface CaptureShape {
  format: 'pcap' | 'pcapng' | 'other';
  /** Record (pcap: 24 + records) or block (pcapng) boundaries, first one 0, last one the size. */
  boundaries: number[];
  fields: Field[];
}

const le32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const be32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const le16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const be16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];

const MAX_SHAPE_FIELDS = 4000;

/** Walks a seed capture once (it is well formed, or at least its start is) to find its structure. */
export function shapeOf(buf: Uint8Array): CaptureShape {
  if (buf.length >= 24) {
    const m = be32(buf, 0);
    const pcapLittle = m === 0xd4c3b2a1 || m === 0x4d3cb2a1;
    const pcapBig = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
    if (pcapLittle || pcapBig) return pcapShape(buf, pcapLittle);
    if (m === 0x0a0d0d0a) return pcapngShape(buf);
  }
  return { format: 'other', boundaries: [0, buf.length], fields: [] };
}

function pcapShape(buf: Uint8Array, little: boolean): CaptureShape {
  const r32 = little ? le32 : be32;
  const linktype = r32(buf, 20) & 0x0fffffff;
  const fields: Field[] = [
    { at: 0, size: 4, little, what: 'magic' },
    { at: 4, size: 2, little, what: 'version major' },
    { at: 16, size: 4, little, what: 'snaplen' },
    { at: 20, size: 4, little, what: 'linktype' },
  ];
  const boundaries = [0, 24];
  let at = 24;
  const frames: { at: number; len: number; wire: number }[] = [];
  while (at + 16 <= buf.length) {
    const caplen = r32(buf, at + 8);
    if (fields.length < MAX_SHAPE_FIELDS) {
      fields.push({ at: at + 8, size: 4, little, what: 'caplen' }, { at: at + 12, size: 4, little, what: 'wirelen' }, { at: at + 4, size: 4, little, what: 'ts frac' });
    }
    if (caplen > buf.length - at - 16) break;
    frames.push({ at: at + 16, len: caplen, wire: r32(buf, at + 12) });
    at += 16 + caplen;
    boundaries.push(at);
  }
  if (boundaries[boundaries.length - 1] !== buf.length) boundaries.push(buf.length);
  for (const f of frames) addPacketFields(buf, f.at, f.len, f.wire, linktype, fields);
  return { format: 'pcap', boundaries, fields };
}

function pcapngShape(buf: Uint8Array): CaptureShape {
  const fields: Field[] = [];
  const boundaries = [0];
  let at = 0;
  let little = true;
  const linktypes: number[] = [];
  while (at + 12 <= buf.length) {
    if (be32(buf, at) === 0x0a0d0d0a) {
      little = le32(buf, at + 8) === 0x1a2b3c4d;
      linktypes.length = 0;
    }
    const r32 = little ? le32 : be32;
    const r16 = little ? le16 : be16;
    const type = r32(buf, at);
    const len = r32(buf, at + 4);
    if (len < 12 || len % 4 !== 0 || at + len > buf.length) break;
    const push = (f: Omit<Field, 'little'>) => {
      if (fields.length < MAX_SHAPE_FIELDS) fields.push({ ...f, little });
    };
    push({ at: at + 4, size: 4, what: 'block total length' });
    push({ at: at + len - 4, size: 4, what: 'block trailing length' });
    push({ at, size: 4, what: 'block type' });
    let optStart = -1;
    if (type === 0x0a0d0d0a) {
      push({ at: at + 8, size: 4, what: 'byte-order magic' });
      push({ at: at + 12, size: 2, what: 'shb major' });
      optStart = at + 24;
    } else if (type === 1 && len >= 20) {
      linktypes.push(r16(buf, at + 8));
      push({ at: at + 8, size: 2, what: 'idb linktype' });
      push({ at: at + 12, size: 4, what: 'idb snaplen' });
      optStart = at + 16;
    } else if ((type === 6 || type === 2) && len >= 32) {
      const id = type === 6 ? r32(buf, at + 8) : r16(buf, at + 8);
      const caplen = r32(buf, at + 20);
      push({ at: at + 8, size: type === 6 ? 4 : 2, what: 'interface id' });
      push({ at: at + 20, size: 4, what: 'captured length' });
      push({ at: at + 24, size: 4, what: 'original length' });
      if (caplen <= len - 32) {
        if (id < linktypes.length) addPacketFields(buf, at + 28, caplen, r32(buf, at + 24), linktypes[id], fields, little);
        optStart = at + 28 + caplen + ((4 - (caplen % 4)) % 4);
      }
    } else if (type === 3 && len >= 16) {
      push({ at: at + 8, size: 4, what: 'spb original length' });
    }
    if (optStart >= 0) {
      // options: code 2, length 2, value padded
      let o = optStart;
      const end = at + len - 4;
      while (o + 4 <= end) {
        const olen = r16(buf, o + 2);
        push({ at: o + 2, size: 2, what: 'option length' });
        push({ at: o, size: 2, what: 'option code' });
        if (r16(buf, o) === 0) break;
        o += 4 + olen + ((4 - (olen % 4)) % 4);
      }
    }
    at += len;
    boundaries.push(at);
  }
  if (boundaries[boundaries.length - 1] !== buf.length) boundaries.push(buf.length);
  return { format: 'pcapng', boundaries, fields };
}

const shapeDecoder = new Decoder();

/** IP total length, IPv6 payload length, UDP length, TCP data offset, tunnel lengths: by decoding. */
function addPacketFields(buf: Uint8Array, at: number, len: number, wire: number, linktype: number, fields: Field[], _little = true): void {
  if (fields.length >= MAX_SHAPE_FIELDS) return;
  const frame: Frame = {
    input: 'seed',
    index: 1,
    offset: 0,
    sec: 0,
    nsec: 0,
    linktype,
    bytes: buf.subarray(at, at + len),
    wireLength: wire,
    point: {},
    cutByEof: false,
  };
  let p;
  try {
    p = shapeDecoder.decode(frame);
  } catch {
    return;
  }
  for (let i = 0; i < p.layerCount; i++) {
    const o = at + p.layerOffset[i];
    const k = p.layerKind[i];
    const f = (d: number, size: 1 | 2 | 4, what: string) => {
      if (o + d + size <= at + len) fields.push({ at: o + d, size, little: false, what });
    };
    switch (k) {
      case L.IPV4: f(0, 1, 'ipv4 version/ihl'); f(2, 2, 'ipv4 total length'); f(6, 2, 'ipv4 flags/fragment'); f(9, 1, 'ipv4 protocol'); break;
      case L.IPV6: f(4, 2, 'ipv6 payload length'); f(6, 1, 'ipv6 next header'); break;
      case L.UDP: f(4, 2, 'udp length'); f(2, 2, 'udp dport'); break;
      case L.TCP: f(12, 1, 'tcp data offset'); break;
      case L.GENEVE: f(0, 1, 'geneve opt len'); f(2, 2, 'geneve protocol'); break;
      case L.VXLAN: f(0, 1, 'vxlan flags'); break;
      case L.GRE: f(0, 2, 'gre flags'); f(2, 2, 'gre protocol'); break;
      case L.VLAN: f(2, 2, 'vlan ethertype'); break;
      case L.ETH: f(12, 2, 'ethertype'); break;
      case L.ARP: f(4, 1, 'arp hln'); f(5, 1, 'arp pln'); break;
      case L.AH: f(1, 1, 'ah length'); break;
      case L.SLL: f(14, 2, 'sll protocol'); break;
      case L.SLL2: f(0, 2, 'sll2 protocol'); break;
      default: break;
    }
    if (fields.length >= MAX_SHAPE_FIELDS) return;
  }
}

// ------------------------------------------------------------------------------------ mutations

export const MAGICS: readonly number[] = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a, 0x1f8b0800, 0x00000000, 0x34cdb2a1];
/** Link types the decoder knows, and a few it does not. */
export const LINKTYPES: readonly number[] = [0, 1, 9, 12, 14, 50, 101, 108, 113, 228, 229, 276, 105, 127, 147, 0xffff, 0x0fffffff];

function writeField(b: Uint8Array, f: Field, v: number): void {
  if (f.at + f.size > b.length) return;
  v = f.size === 4 ? v >>> 0 : f.size === 2 ? v & 0xffff : v & 0xff;
  for (let i = 0; i < f.size; i++) {
    const shift = f.little ? 8 * i : 8 * (f.size - 1 - i);
    b[f.at + i] = (v >>> shift) & 0xff;
  }
}

function readField(b: Uint8Array, f: Field): number {
  let v = 0;
  for (let i = 0; i < f.size; i++) {
    const shift = f.little ? 8 * i : 8 * (f.size - 1 - i);
    v += b[f.at + i] * 2 ** shift;
  }
  return v;
}

function fieldValue(r: Rng, b: Uint8Array, f: Field): number {
  const max = f.size === 4 ? 0xffffffff : f.size === 2 ? 0xffff : 0xff;
  const old = f.at + f.size <= b.length ? readField(b, f) : 0;
  switch (r.int(9)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return max;
    case 3: return max >>> 1;
    case 4: return old + 1;
    case 5: return old - 1;
    case 6: return old + r.pick([4, 8, 16, 64, 1500, 65536]);
    case 7: return f.size === 4 ? r.pick([0x100000, 0x100001, 0x100010, 0x7fffffff, 0x80000000, 65535, 262144]) : r.next();
    default: return r.next();
  }
}

/** Names of the mutations applied, for the crash report. */
export type Log = string[];

export function mutateCapture(r: Rng, seed: Uint8Array, shape: CaptureShape, other: { buf: Uint8Array; shape: CaptureShape }, log: Log): Uint8Array {
  let b: Uint8Array = Uint8Array.from(seed);
  let fields = shape.fields;
  const n = r.chance(0.5) ? 1 : r.range(2, 5);
  for (let k = 0; k < n; k++) {
    const kind = r.int(14);
    switch (kind) {
      case 0:
      case 1: {
        // length / structural field set to 0, 1, max, +-1, random
        if (fields.length === 0 || b.length === 0) break;
        const f = r.pick(fields);
        const v = fieldValue(r, b, f);
        writeField(b, f, v);
        log.push(`field ${f.what}@${f.at}=${v >>> 0}`);
        break;
      }
      case 2: {
        // bit flips
        if (b.length === 0) break;
        const flips = r.range(1, 8);
        for (let i = 0; i < flips; i++) {
          const at = r.int(b.length);
          b[at] ^= 1 << r.int(8);
        }
        log.push(`flip x${flips}`);
        break;
      }
      case 3: {
        // random bytes overwritten
        if (b.length === 0) break;
        const at = r.int(b.length);
        const len = Math.min(b.length - at, r.range(1, 16));
        for (let i = 0; i < len; i++) b[at + i] = r.pick([0, 0xff, 0x7f, 0x80, r.int(256)]);
        log.push(`overwrite ${len}@${at}`);
        break;
      }
      case 4: {
        // insertion
        const at = r.int(b.length + 1);
        const len = r.pick([1, 2, 3, 4, 8, 16, r.range(1, 256)]);
        const ins = new Uint8Array(len);
        for (let i = 0; i < len; i++) ins[i] = r.int(256);
        b = concat(b.subarray(0, at), ins, b.subarray(at));
        fields = [];
        log.push(`insert ${len}@${at}`);
        break;
      }
      case 5: {
        // deletion
        if (b.length === 0) break;
        const at = r.int(b.length);
        const len = Math.min(b.length - at, r.pick([1, 2, 3, 4, 8, 16, r.range(1, 256)]));
        b = concat(b.subarray(0, at), b.subarray(at + len));
        fields = [];
        log.push(`delete ${len}@${at}`);
        break;
      }
      case 6:
      case 7: {
        // truncation at a record/block boundary (or just beside it), or anywhere
        if (b.length === 0) break;
        let cut: number;
        if (r.chance(0.7) && shape.boundaries.length > 1) cut = r.pick(shape.boundaries) + r.pick([0, 0, 0, -1, 1, 4, 8, 12, 16]);
        else cut = r.int(b.length);
        cut = Math.max(0, Math.min(b.length, cut));
        b = b.subarray(0, cut);
        log.push(`truncate ${cut}`);
        break;
      }
      case 8: {
        // link type swapped
        const lt = fields.filter((f) => f.what === 'linktype' || f.what === 'idb linktype');
        if (lt.length === 0) break;
        const f = r.pick(lt);
        const v = r.pick(LINKTYPES) | (r.chance(0.1) ? 0x10000000 : 0);
        writeField(b, f, f.size === 2 ? v & 0xffff : v);
        log.push(`linktype ${v}`);
        break;
      }
      case 9: {
        // magic swapped
        if (b.length < 4) break;
        const m = r.pick(MAGICS);
        b[0] = m >>> 24;
        b[1] = (m >>> 16) & 0xff;
        b[2] = (m >>> 8) & 0xff;
        b[3] = m & 0xff;
        log.push(`magic ${m.toString(16)}`);
        break;
      }
      case 10: {
        // splice: a prefix of this input, a suffix of another, at record boundaries when possible
        const a = r.pick(shape.boundaries.length > 1 ? shape.boundaries : [r.int(b.length + 1)]);
        const ob = other.shape.boundaries;
        const c = ob.length > 2 ? r.pick(ob.slice(1)) : r.int(other.buf.length + 1);
        b = concat(b.subarray(0, Math.min(a, b.length)), other.buf.subarray(c));
        fields = [];
        log.push(`splice ${a} + other@${c}`);
        break;
      }
      case 11: {
        // a record duplicated or removed (timestamps going backwards, same packet twice)
        const bs = shape.boundaries;
        if (bs.length < 4 || fields !== shape.fields) break;
        const i = r.range(1, bs.length - 2);
        const rec = b.subarray(bs[i], bs[i + 1]);
        if (r.chance(0.5)) b = concat(b.subarray(0, bs[i]), rec, rec, b.subarray(bs[i + 1]));
        else b = concat(b.subarray(0, bs[i]), b.subarray(bs[i + 1]));
        fields = [];
        log.push(`record ${i} ${b.length > seed.length ? 'duplicated' : 'removed'}`);
        break;
      }
      case 12: {
        // interesting 32-bit value at a random aligned offset
        if (b.length < 4) break;
        const at = r.int(b.length - 3) & ~3;
        const v = r.pick([0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x100000, 0x0a0d0d0a, 0x1a2b3c4d, 0x4d3c2b1a]);
        b[at] = v >>> 24;
        b[at + 1] = (v >>> 16) & 0xff;
        b[at + 2] = (v >>> 8) & 0xff;
        b[at + 3] = v & 0xff;
        log.push(`u32 ${v.toString(16)}@${at}`);
        break;
      }
      default: {
        // a chunk copied over another place
        if (b.length < 8) break;
        const from = r.int(b.length);
        const len = Math.min(b.length - from, r.range(1, 64));
        const to = r.int(b.length);
        const chunk = b.slice(from, from + len);
        b = concat(b.subarray(0, to), chunk, b.subarray(Math.min(b.length, to + (r.chance(0.5) ? len : 0))));
        fields = [];
        log.push(`copy ${len} ${from}->${to}`);
        break;
      }
    }
  }
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Gzip, and sometimes a cut or damaged gzip stream. */
export function gzipVariant(r: Rng, b: Uint8Array, log: Log): Uint8Array {
  let z: Uint8Array = gzipSync(b, { level: 1 });
  const what = r.int(4);
  if (what === 1 && z.length > 20) {
    z = z.subarray(0, r.range(10, z.length - 1));
    log.push('gzip cut');
  } else if (what === 2 && z.length > 20) {
    z = Uint8Array.from(z);
    z[r.range(10, z.length - 1)] ^= 1 << r.int(8);
    log.push('gzip flipped');
  } else log.push('gzip');
  return z;
}

// ------------------------------------------------------------------------------------------ dumps

const WEIRD_LINES = [
  '',
  '   ',
  '\t',
  '$ ip route',
  '$ ip -d link show',
  '# bridge vlan show',
  'root@node:~# route -n',
  '$ kubectl get pods -A -o wide',
  '$ cat /etc/hostname',
  'NAMESPACE NAME READY STATUS RESTARTS AGE IP NODE',
  'Kernel IP routing table',
  'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface',
  'port              vlan-id',
  '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
  '    inet 10.42.0.1/24 brd 10.42.0.255 scope global cni0',
  '    inet6 fe80::1/64 scope link',
  '    link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff',
  '    vxlan id 1 local 10.0.0.1 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300',
  '10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink',
  'default via 999.1.1.1 dev eth0',
  '0.0.0.0         10.0.0.1        0.0.0.0         UG    0      0        0 eth0',
  'aa:bb:cc:dd:ee:ff dev flannel.1 dst 10.0.0.2 self permanent',
  '10.0.0.2 dev eth0 lladdr aa:bb:cc:dd:ee:ff REACHABLE',
  '[{"ifname":"eth0","addr_info":[{"family":"inet","local":"10.0.0.1","prefixlen":99}]}]',
  '[{',
  '}',
  '4294967296: x@: <> mtu 99999999999999999999',
  '    inet 1.2.3.4/33 scope global x',
  'default via fe80::1 dev eth0 proto ra metric 1024 expires 4294967295sec hoplimit 255 pref medium',
  'kube-system pod-x 1/1 Running 0 1d 10.42.0.5 node-a <none> <none>',
  '\u00e9\u00e8\u202e\u200b\ufeff',
  'x'.repeat(5000),
  ' '.repeat(3000) + 'inet 10.0.0.1/24',
];

/** Dump text mutations: returns bytes (the result may not be UTF-8 on purpose). */
export function mutateDump(r: Rng, seed: Uint8Array, other: Uint8Array, log: Log): Uint8Array {
  const text = Buffer.from(seed).toString('latin1');
  let lines = text.split('\n');
  let bytes: Uint8Array;
  const n = r.chance(0.5) ? 1 : r.range(2, 4);
  for (let k = 0; k < n; k++) {
    switch (r.int(12)) {
      case 0: {
        // shuffle
        for (let i = lines.length - 1; i > 0; i--) {
          const j = r.int(i + 1);
          [lines[i], lines[j]] = [lines[j], lines[i]];
        }
        log.push('shuffle');
        break;
      }
      case 1:
        lines = lines.slice(0, r.int(lines.length + 1));
        log.push(`cut at line ${lines.length}`);
        break;
      case 2: {
        const i = r.int(lines.length);
        lines.splice(i, 0, r.pick(WEIRD_LINES));
        log.push(`weird line @${i}`);
        break;
      }
      case 3: {
        const i = r.int(lines.length);
        lines.splice(i, 1);
        log.push(`drop line ${i}`);
        break;
      }
      case 4: {
        const i = r.int(lines.length);
        const times = r.pick([1, 2, 10, 100]);
        lines.splice(i, 0, ...new Array(times).fill(lines[i] ?? ''));
        log.push(`dup line ${i} x${times}`);
        break;
      }
      case 5: {
        // numbers in a line replaced by extreme ones
        const i = r.int(lines.length);
        const v = r.pick(['0', '-1', '4294967296', '99999999999999999999', '65536', '1e309', 'NaN', '256.256.256.256', '::ffff:', '/129']);
        lines[i] = (lines[i] ?? '').replace(/\d+/g, () => (r.chance(0.5) ? v : String(r.int(100000))));
        log.push(`numbers ${i}=${v}`);
        break;
      }
      case 6: {
        // a line cut in the middle
        const i = r.int(lines.length);
        const l = lines[i] ?? '';
        lines[i] = l.slice(0, r.int(l.length + 1));
        log.push(`cut line ${i}`);
        break;
      }
      case 7: {
        // another dump's lines spliced in
        const o = Buffer.from(other).toString('latin1').split('\n');
        const at = r.int(lines.length + 1);
        const from = r.int(o.length);
        lines.splice(at, 0, ...o.slice(from, from + r.range(1, 30)));
        log.push(`splice other @${at}`);
        break;
      }
      case 8:
        lines = lines.map((l) => l + '\r');
        log.push('crlf');
        break;
      case 9: {
        // whitespace changes: tabs, indentation lost
        const f = r.int(3);
        lines = lines.map((l) => (f === 0 ? l.trimStart() : f === 1 ? l.replace(/ +/g, '\t') : l.replace(/\s+/g, ' ')));
        log.push(`whitespace ${f}`);
        break;
      }
      default: {
        // the text cut at any byte
        const all = lines.join('\n');
        lines = all.slice(0, r.int(all.length + 1)).split('\n');
        log.push('cut anywhere');
        break;
      }
    }
  }
  const outText = lines.join('\n');
  bytes = Buffer.from(outText, 'latin1');
  if (r.chance(0.2)) {
    // bytes that are not UTF-8, NULs, control characters, a UTF-8 BOM
    const b = Uint8Array.from(bytes);
    const at = b.length ? r.int(b.length) : 0;
    const junk = r.pick([[0xff, 0xfe], [0xc3], [0xe2, 0x82], [0x00], [0x1b, 0x5b, 0x33, 0x31, 0x6d], [0xef, 0xbb, 0xbf], [0xed, 0xa0, 0x80]]);
    bytes = concat(b.subarray(0, at), Uint8Array.from(junk), b.subarray(at));
    log.push(`bytes ${junk.join(',')}@${at}`);
  }
  if (r.chance(0.05)) {
    const b = Uint8Array.from(bytes);
    for (let i = 0; i < r.range(1, 16); i++) if (b.length) b[r.int(b.length)] = r.int(256);
    bytes = b;
    log.push('random bytes');
  }
  return bytes;
}
