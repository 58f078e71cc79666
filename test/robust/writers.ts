/** Tiny pcap and pcapng writers for the robustness tests (records as given, no validation). */

export interface Rec {
  sec: number;
  /** Microseconds (or nanoseconds for a nanosecond file). */
  frac: number;
  data: Uint8Array;
  /** Original length (default data.length). */
  wire?: number;
  /** The caplen field as written (default data.length): lets a test lie about it. */
  caplen?: number;
}

export interface PcapOptions {
  little?: boolean;
  nano?: boolean;
  linktype?: number;
  snaplen?: number;
  major?: number;
  minor?: number;
}

export function pcapHeader(o: PcapOptions = {}): Buffer {
  const little = o.little ?? true;
  const h = Buffer.alloc(24);
  const w32 = (v: number, at: number) => (little ? h.writeUInt32LE(v >>> 0, at) : h.writeUInt32BE(v >>> 0, at));
  const w16 = (v: number, at: number) => (little ? h.writeUInt16LE(v, at) : h.writeUInt16BE(v, at));
  w32(o.nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(o.major ?? 2, 4);
  w16(o.minor ?? 4, 6);
  w32(o.snaplen ?? 262144, 16);
  w32(o.linktype ?? 1, 20);
  return h;
}

export function pcapRecord(r: Rec, little = true): Buffer {
  const h = Buffer.alloc(16);
  const w32 = (v: number, at: number) => (little ? h.writeUInt32LE(v >>> 0, at) : h.writeUInt32BE(v >>> 0, at));
  w32(r.sec, 0);
  w32(r.frac, 4);
  w32(r.caplen ?? r.data.length, 8);
  w32(r.wire ?? r.data.length, 12);
  return Buffer.concat([h, r.data]);
}

export function pcap(records: Rec[], o: PcapOptions = {}): Buffer {
  return Buffer.concat([pcapHeader(o), ...records.map((r) => pcapRecord(r, o.little ?? true))]);
}

// ---------------------------------------------------------------------------------------- pcapng

function block(type: number, body: Buffer, little: boolean): Buffer {
  const pad = (4 - (body.length % 4)) % 4;
  const len = 12 + body.length + pad;
  const b = Buffer.alloc(len);
  const w32 = (v: number, at: number) => (little ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at));
  w32(type, 0);
  w32(len, 4);
  body.copy(b, 8);
  w32(len, len - 4);
  return b;
}

function option(code: number, value: Buffer, little: boolean): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const b = Buffer.alloc(4 + value.length + pad);
  if (little) {
    b.writeUInt16LE(code, 0);
    b.writeUInt16LE(value.length, 2);
  } else {
    b.writeUInt16BE(code, 0);
    b.writeUInt16BE(value.length, 2);
  }
  value.copy(b, 4);
  return b;
}

export interface NgInterface {
  linktype: number;
  snaplen?: number;
  name?: string;
}

export interface NgPacket extends Rec {
  iface: number;
}

/** One section: SHB, the IDBs, then the packets as EPBs (microsecond timestamps). */
export function pcapng(ifaces: NgInterface[], packets: NgPacket[], little = true): Buffer {
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (little) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  };
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    if (little) b.writeUInt16LE(v);
    else b.writeUInt16BE(v);
    return b;
  };
  const shb = block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d), u16(1), u16(0), Buffer.alloc(8, 0xff)]), little);
  const idbs = ifaces.map((i) => {
    const opts = i.name !== undefined ? Buffer.concat([option(2, Buffer.from(i.name), little), option(0, Buffer.alloc(0), little)]) : Buffer.alloc(0);
    return block(1, Buffer.concat([u16(i.linktype), u16(0), u32(i.snaplen ?? 0), opts]), little);
  });
  const epbs = packets.map((p) => {
    const ts = p.sec * 1e6 + p.frac;
    const hi = Math.floor(ts / 4294967296);
    const lo = ts % 4294967296;
    const data = Buffer.from(p.data);
    const padded = Buffer.concat([data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
    return block(6, Buffer.concat([u32(p.iface), u32(hi), u32(lo), u32(p.caplen ?? data.length), u32(p.wire ?? data.length), padded]), little);
  });
  return Buffer.concat([shb, ...idbs, ...epbs]);
}

/** An Ethernet + IPv4 + ICMP echo request frame from `src` to `dst` (dotted quads). */
export function icmpFrame(src: string, dst: string, seq = 1): Buffer {
  const ip = (s: string) => Buffer.from(s.split('.').map(Number));
  const icmp = Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 1, seq >> 8, seq & 0xff]), Buffer.alloc(56)]);
  const hdr = Buffer.concat([Buffer.from([0x45, 0, 0, 0, 0, seq & 0xff, 0x40, 0, 64, 1, 0, 0]), ip(src), ip(dst)]);
  hdr.writeUInt16BE(20 + icmp.length, 2);
  return Buffer.concat([Buffer.from('020000000002020000000001', 'hex'), Buffer.from([0x08, 0x00]), hdr, icmp]);
}
