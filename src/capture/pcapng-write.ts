/**
 * A small pcapng writer (the format of draft-ietf-opsawg-pcapng): one Section Header Block, an
 * Interface Description Block per capture point (if_name, if_tsresol 9: nanosecond timestamps),
 * and an Enhanced Packet Block per packet with an optional opt_comment. Little-endian; every
 * block and option padded to 32 bits. Enough for Wireshark/tshark to show the capture points as
 * interfaces and each packet's comment (frame.comment).
 */

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_END = 0;
const OPT_COMMENT = 1;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const SHB_USERAPPL = 4;

const pad4 = (n: number) => (4 - (n % 4)) % 4;

function option(code: number, value: Uint8Array): Buffer {
  const b = Buffer.alloc(4 + value.length + pad4(value.length));
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(value.length, 2);
  Buffer.from(value).copy(b, 4);
  return b;
}

function options(list: Buffer[]): Buffer {
  if (list.length === 0) return Buffer.alloc(0);
  const end = Buffer.alloc(4);
  end.writeUInt16LE(OPT_END, 0);
  return Buffer.concat([...list, end]);
}

function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const b = Buffer.alloc(total);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(total, 4);
  body.copy(b, 8);
  b.writeUInt32LE(total, total - 4);
  return b;
}

export interface PcapngPacket {
  /** Index into the interfaces given to the writer. */
  iface: number;
  sec: number;
  nsec: number;
  bytes: Uint8Array;
  wireLength: number;
  comment?: string;
}

export interface PcapngInterface {
  name: string;
  linktype: number;
}

/** The whole file in memory: blocks in order (SHB, IDBs, EPBs). */
export function writePcapng(interfaces: PcapngInterface[], packets: Iterable<PcapngPacket>, application = 'podpath'): Buffer {
  const parts: Buffer[] = [];
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  shb.writeUInt16LE(1, 4); // major
  shb.writeUInt16LE(0, 6); // minor
  shb.writeInt32LE(-1, 8); // section length: not given
  shb.writeInt32LE(-1, 12);
  parts.push(block(SHB, Buffer.concat([shb, options([option(SHB_USERAPPL, Buffer.from(application, 'utf8'))])])));
  for (const i of interfaces) {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(i.linktype, 0);
    head.writeUInt32LE(0, 4); // snaplen: no limit
    parts.push(block(IDB, Buffer.concat([head, options([option(IF_NAME, Buffer.from(i.name, 'utf8')), option(IF_TSRESOL, Uint8Array.of(9))])])));
  }
  for (const p of packets) {
    if (p.iface < 0 || p.iface >= interfaces.length) throw new Error(`pcapng: packet on interface ${p.iface} of ${interfaces.length}`);
    const ts = BigInt(p.sec) * 1_000_000_000n + BigInt(p.nsec);
    const head = Buffer.alloc(20);
    head.writeUInt32LE(p.iface, 0);
    head.writeUInt32LE(Number(ts >> 32n), 4);
    head.writeUInt32LE(Number(ts & 0xffffffffn), 8);
    head.writeUInt32LE(p.bytes.length, 12);
    head.writeUInt32LE(Math.max(p.wireLength, p.bytes.length), 16);
    const data = Buffer.alloc(p.bytes.length + pad4(p.bytes.length));
    Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.length).copy(data);
    const opts = p.comment ? options([option(OPT_COMMENT, Buffer.from(p.comment, 'utf8'))]) : Buffer.alloc(0);
    parts.push(block(EPB, Buffer.concat([head, data, opts])));
  }
  return Buffer.concat(parts);
}
