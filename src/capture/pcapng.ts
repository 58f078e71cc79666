/**
 * pcapng reader (draft-ietf-opsawg-pcapng, "PCAP Now Generic"), streaming, push-based.
 *
 *   Every block:                                 Section Header Block (type 0x0A0D0D0A)
 *   +---------------------------------------+    +--------------------------------------------+
 *   | block type 4 | block total length 4   |    | type | length | BOM 1A2B3C4D | major 1 2   |
 *   | body (padded to 32 bits)              |    | minor 0 2 | section length 8 | options...  |
 *   | block total length 4 (same as above)  |    | length                                     |
 *   +---------------------------------------+    +--------------------------------------------+
 *
 *   IDB (1): linktype 2, reserved 2, snaplen 4, options (if_name 2, if_description 3,
 *            if_tsresol 9, if_tsoffset 14)
 *   EPB (6): interface id 4, timestamp high 4, timestamp low 4, captured len 4, original len 4,
 *            data (padded), options
 *   SPB (3): original len 4, data (captured len = min(original, snaplen, room in the block))
 *   OPB (2): interface id 2, drops 2, timestamp high 4, low 4, captured len 4, original len 4, data
 *   NRB (4), ISB (5), DSB (10), custom (0xBAD, 0x40000BAD) and unknown blocks are counted and skipped.
 *
 * Options: code 2, length 2, value padded to 32 bits; code 0 ends the list. Each section (SHB) has
 * its own byte order (given by the BOM) and its own interface numbering.
 *
 * Every block's total length is checked (multiple of 4, at least 12, under a ceiling, equal to the
 * trailing copy) before the block is buffered: memory stays bounded whatever the file claims.
 * Timestamps are 64-bit counts of if_tsresol units; they are split into seconds and nanoseconds
 * exactly, also beyond 2^53 (nanosecond files) and after 2106.
 */
import {
  MAX_RECORD_BYTES,
  type CaptureHandler,
  type CaptureInterface,
  type Frame,
  newFrame,
  topUp,
} from './frame.js';

/**
 * An if_name that names no interface: what editcap/Wireshark write when converting a pcap file
 * ("Unknown/not available in original file format(libpcap)"), or an empty or "unknown" name.
 */
export function realInterfaceName(name: string): string | undefined {
  const t = name.trim();
  if (t === '' || /^unknown$/i.test(t) || /not available in original file format/i.test(t)) return undefined;
  return t;
}

export const PCAPNG_SHB = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;

/** True when the first four bytes are a pcapng Section Header Block type (same in both orders). */
export function isPcapngMagic(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x0a && b[1] === 0x0d && b[2] === 0x0d && b[3] === 0x0a;
}

/** Blocks the reader buffers whole (SHB, IDB, packet blocks) may not be longer than this. */
export const MAX_PCAPNG_BLOCK_BYTES = MAX_RECORD_BYTES + 65536;
/** Blocks the reader skips (NRB, ISB, custom...) are streamed past, up to this length. */
export const MAX_SKIPPED_BLOCK_BYTES = 256 * 1024 * 1024;

/** Block counts by kind, named as in the pcapng-test-generator descriptions. */
export interface PcapngBlockCounts {
  SHB: number;
  IDB: number;
  EPB: number;
  SPB: number;
  OPB: number;
  NRB: number;
  ISB: number;
  /** Decryption Secrets Block (type 10). */
  DSB: number;
  /** Custom block that may be copied (0x00000BAD). */
  CB: number;
  /** Custom block that must not be copied (0x40000BAD). */
  DCB: number;
  other: number;
}

export type PcapngBlockName = Exclude<keyof PcapngBlockCounts, 'other'> | `0x${string}`;

export function pcapngBlockName(type: number): PcapngBlockName {
  switch (type) {
    case PCAPNG_SHB: return 'SHB';
    case 1: return 'IDB';
    case 2: return 'OPB';
    case 3: return 'SPB';
    case 4: return 'NRB';
    case 5: return 'ISB';
    case 6: return 'EPB';
    case 10: return 'DSB';
    case 0x00000bad: return 'CB';
    case 0x40000bad: return 'DCB';
    default: return `0x${(type >>> 0).toString(16).padStart(8, '0')}`;
  }
}

const LONG_NAMES: Record<string, string> = {
  SHB: 'section header block',
  IDB: 'interface description block',
  EPB: 'enhanced packet block',
  SPB: 'simple packet block',
  OPB: 'obsolete packet block',
  NRB: 'name resolution block',
  ISB: 'interface statistics block',
  DSB: 'decryption secrets block',
  CB: 'custom block',
  DCB: 'custom block (not to be copied)',
};

/** "enhanced packet block", or "block of type 0x00000123". */
export function pcapngBlockDescription(type: number): string {
  const n = pcapngBlockName(type);
  return LONG_NAMES[n] ?? `block of type ${n}`;
}

/** One interface of the current section, with what turning its timestamps into time needs. */
interface SectionInterface {
  info: CaptureInterface;
  linktype: number;
  snaplen: number;
  name: string | undefined;
  /** Units per second when at most 2^31 (exact number arithmetic), else 0. */
  div: number;
  /** Units per second as a BigInt (slow path). */
  bigDiv: bigint;
  /** frac * mul = nanoseconds (power of 10 up to 10^9); 0 when not applicable. */
  mul: number;
  /** Power of 2 exponent when the resolution is 2^-k, else -1. */
  pow2: number;
  /** if_tsoffset, seconds. */
  tsOffset: number;
}

// Byte reads without Buffer's argument validation (the callers have checked the bounds).
function le32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
function be32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

const HEADER = 12; // type + length + first body word (the SHB's byte-order magic)
const TWO32 = 4294967296;
/** The smallest valid total length of a block of this type. */
function minLength(type: number): number {
  switch (type) {
    case 6: return 32;
    case PCAPNG_SHB: return 28;
    case 1: return 20;
    case 2: return 32;
    case 3: return 16;
    case 5: return 24;
    default: return 12;
  }
}

function isPacketType(type: number): boolean {
  return type === 6 || type === 3 || type === 2;
}

export interface PcapngParserOptions {
  /** Keep the sequence of block names (for conformance tests; grows with the file). */
  recordBlocks?: boolean;
}

export class PcapngParser {
  /** Every interface declared in the file, all sections in order. */
  readonly interfaces: CaptureInterface[] = [];
  readonly blockCounts: PcapngBlockCounts = {
    SHB: 0, IDB: 0, EPB: 0, SPB: 0, OPB: 0, NRB: 0, ISB: 0, DSB: 0, CB: 0, DCB: 0, other: 0,
  };
  /** Block names in file order, when constructed with `recordBlocks`. */
  readonly blocks: PcapngBlockName[] | undefined;
  packets = 0;
  cutByEof = 0;
  /** Bytes consumed so far (offset of the next unread byte). */
  position = 0;
  aborted = false;
  sections = 0;

  private little = true;
  private section: SectionInterface[] = [];
  private pending: Buffer | null = null;
  /** Bytes `step` needs from the start of the pending unit before it can make progress. */
  private need = HEADER;
  /** Body bytes of a skipped (streamed past) block still to discard. */
  private skipLeft = 0;
  /** Trailer value expected after a skipped block, or -1. */
  private skipTrailer = -1;
  private skipOffset = 0;
  private skipName = '';
  private readonly frame: Frame;

  constructor(
    readonly input: string,
    private readonly handler: CaptureHandler,
    opts: PcapngParserOptions = {},
  ) {
    this.blocks = opts.recordBlocks ? [] : undefined;
    this.frame = newFrame(input);
  }

  /** Feeds the next chunk of the stream. Frames are delivered synchronously. */
  push(chunk: Buffer): void {
    if (this.aborted) return;
    let off = this.discard(chunk, 0);
    // Complete a unit started in an earlier chunk, copying only the bytes it needs.
    while (this.pending !== null) {
      const t = topUp(this.pending, this.need, chunk, off);
      const p = t.buf;
      off = t.off;
      if (!t.complete) {
        this.pending = p;
        return;
      }
      this.pending = null;
      const r = this.step(p, 0);
      if (r < 0) return;
      if (r === 0) {
        this.pending = p; // header read: `need` is now the whole block
        continue;
      }
      this.position += r;
      if (r < p.length) this.pending = p.subarray(r);
      else off = this.discard(chunk, off);
    }
    while (off < chunk.length) {
      const r = this.step(chunk, off);
      if (r < 0) return;
      if (r === 0) {
        this.pending = chunk.subarray(off);
        return;
      }
      off += r;
      this.position += r;
      off = this.discard(chunk, off);
    }
  }

  /** Signals the end of the stream: a cut packet block is delivered as cut by EOF. */
  end(): void {
    if (this.aborted) return;
    const rest = this.pending;
    this.pending = null;
    if (this.skipLeft > 0 || this.skipTrailer >= 0) {
      this.warn(`${this.skipName} cut by end of file`, this.skipOffset);
      return;
    }
    if (this.sections === 0) {
      const n = rest ? rest.length : 0;
      this.fail(n === 0 ? 'empty file' : `section header block cut short (${n} bytes)`, 0);
      return;
    }
    if (!rest || rest.length === 0) return;
    const at = this.position;
    if (rest.length < HEADER) {
      this.handler.problem({
        input: this.input,
        severity: 'error',
        message: `block header cut by end of file (${rest.length} of ${HEADER} bytes)`,
        offset: at,
      });
      this.position += rest.length;
      return;
    }
    const type = this.u32(rest, 0);
    const len = this.u32(rest, 4);
    const name = pcapngBlockDescription(type);
    const fixed = type === 3 ? 16 : 28;
    const iface = this.section.length > 0 ? this.ifaceFor(type, rest) : undefined;
    if ((type === 6 || type === 2 || type === 3) && rest.length >= fixed && iface !== undefined) {
      const room = rest.length - fixed;
      let caplen: number;
      if (type === 3) {
        const wire = this.u32(rest, 8);
        caplen = Math.min(wire, iface.snaplen > 0 ? iface.snaplen : wire, len - 16);
      } else {
        caplen = this.u32(rest, 20);
      }
      const have = Math.min(room, caplen);
      this.handler.problem({
        input: this.input,
        severity: 'warning',
        message: `${name} cut by end of file: ${have} of ${caplen} captured bytes present`,
        packet: this.packets + 1,
        offset: at,
      });
      this.count(type);
      this.cutByEof++;
      this.emitPacket(type, rest, 0, iface, have, true);
    } else {
      this.handler.problem({
        input: this.input,
        severity: type === 6 || type === 2 || type === 3 ? 'error' : 'warning',
        message: `${name} cut by end of file (${rest.length} of ${len} bytes)${type === 6 || type === 2 || type === 3 ? '; packet not read' : ''}`,
        packet: type === 6 || type === 2 || type === 3 ? this.packets + 1 : undefined,
        offset: at,
      });
    }
    this.position += rest.length;
  }

  /** Discards bytes of a block being streamed past; returns the new offset in `buf`. */
  private discard(buf: Buffer, off: number): number {
    if (this.skipLeft === 0) return off;
    const n = Math.min(this.skipLeft, buf.length - off);
    this.skipLeft -= n;
    this.position += n;
    return off + n;
  }

  private u32(b: Buffer, o: number): number {
    return this.little ? le32(b, o) : be32(b, o);
  }

  private u16(b: Buffer, o: number): number {
    return this.little ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
  }

  /**
   * Processes one unit at buf[at]: returns the bytes consumed, 0 when more bytes are needed
   * (`need` says how many from `at`), or -1 when the reader stopped on an error.
   */
  private step(buf: Buffer, at: number): number {
    const avail = buf.length - at;
    if (this.skipTrailer >= 0) {
      if (avail < 4) {
        this.need = 4;
        return 0;
      }
      const t = this.u32(buf, at);
      if (t !== this.skipTrailer) {
        this.fail(`block total length in header (${this.skipTrailer}) and trailer (${t}) don't match`, this.skipOffset);
        return -1;
      }
      this.skipTrailer = -1;
      this.need = HEADER;
      return 4;
    }
    if (avail < HEADER) {
      this.need = HEADER;
      return 0;
    }
    const blockOffset = this.position;
    let type: number;
    if (buf[at] === 0x0a && buf[at + 1] === 0x0d && buf[at + 2] === 0x0d && buf[at + 3] === 0x0a) {
      type = PCAPNG_SHB;
      if (le32(buf, at + 8) === BOM) this.little = true;
      else if (be32(buf, at + 8) === BOM) this.little = false;
      else {
        this.fail(`section header block has a bad byte-order magic 0x${buf.readUInt32BE(at + 8).toString(16).padStart(8, '0')}`, blockOffset);
        return -1;
      }
    } else {
      if (this.sections === 0) {
        this.fail(`not a pcapng file (first block type 0x${buf.readUInt32BE(at).toString(16).padStart(8, '0')}, expected a section header block 0x0a0d0d0a)`, 0);
        return -1;
      }
      type = this.u32(buf, at);
    }
    const len = this.u32(buf, at + 4);
    if ((len & 3) !== 0 || len < minLength(type) || len > MAX_PCAPNG_BLOCK_BYTES) return this.unusualLength(buf, at, type, len);
    if (avail < len) {
      this.need = len;
      return 0;
    }
    const trailer = this.u32(buf, at + len - 4);
    if (trailer !== len) {
      this.fail(
        `block total length in header (${len}) and trailer (${trailer}) don't match (${pcapngBlockDescription(type)})`,
        blockOffset,
        isPacketType(type) ? this.packets + 1 : undefined,
      );
      return -1;
    }
    this.need = HEADER;
    const c = this.blockCounts;
    switch (type) {
      case 6:
        c.EPB++;
        if (!this.readPacket(type, buf, at, len, blockOffset)) return -1;
        break;
      case PCAPNG_SHB:
        c.SHB++;
        if (!this.readSectionHeader(buf, at, len, blockOffset)) return -1;
        break;
      case 1:
        c.IDB++;
        if (!this.readInterface(buf, at, len, blockOffset)) return -1;
        break;
      case 3:
        c.SPB++;
        if (!this.readPacket(type, buf, at, len, blockOffset)) return -1;
        break;
      case 2:
        c.OPB++;
        if (!this.readPacket(type, buf, at, len, blockOffset)) return -1;
        break;
      default:
        this.countOther(type);
        break;
    }
    if (this.blocks) this.blocks.push(pcapngBlockName(type));
    return len;
  }

  /** A length that is invalid, or too large to buffer: an error, or a block streamed past. */
  private unusualLength(buf: Buffer, at: number, type: number, len: number): number {
    const blockOffset = this.position;
    const avail = buf.length - at;
    const name = pcapngBlockDescription(type);
    const packet = isPacketType(type) ? this.packets + 1 : undefined;
    if (len % 4 !== 0) {
      this.fail(`${name} total length ${len} is not a multiple of 4: the file is corrupt from here on`, blockOffset, packet);
      return -1;
    }
    const min = minLength(type);
    if (len < min) {
      this.fail(`${name} total length ${len} is less than the ${min} bytes such a block needs: the file is corrupt from here on`, blockOffset, packet);
      return -1;
    }
    const read = isPacketType(type) || type === PCAPNG_SHB || type === 1;
    if (read || len > MAX_SKIPPED_BLOCK_BYTES) {
      this.fail(
        `${name} claims ${len} bytes (more than the ${read ? MAX_PCAPNG_BLOCK_BYTES : MAX_SKIPPED_BLOCK_BYTES}-byte limit): the file is corrupt from here on`,
        blockOffset,
        packet,
      );
      return -1;
    }
    // A large block we do not read: stream past it, then check its trailer.
    this.countOther(type);
    if (this.blocks) this.blocks.push(pcapngBlockName(type));
    this.skipLeft = len - 12;
    this.skipTrailer = len;
    this.skipOffset = blockOffset;
    this.skipName = name;
    const body = Math.min(this.skipLeft, avail - 8);
    this.skipLeft -= body;
    this.need = 4;
    return 8 + body;
  }

  private countOther(type: number): void {
    const c = this.blockCounts;
    switch (type) {
      case 4: c.NRB++; break;
      case 5: c.ISB++; break;
      case 10: c.DSB++; break;
      case 0x00000bad: c.CB++; break;
      case 0x40000bad: c.DCB++; break;
      default: c.other++;
    }
  }

  /** Counts a block cut by the end of the file (packet blocks only). */
  private count(type: number): void {
    if (type === 6) this.blockCounts.EPB++;
    else if (type === 3) this.blockCounts.SPB++;
    else if (type === 2) this.blockCounts.OPB++;
    if (this.blocks) this.blocks.push(pcapngBlockName(type));
  }

  private readSectionHeader(buf: Buffer, at: number, len: number, offset: number): boolean {
    const major = this.u16(buf, at + 12);
    const minor = this.u16(buf, at + 14);
    // 1.0 is the version; libpcap and Wireshark also accept 1.2, written by some old tools.
    if (major !== 1 || (minor !== 0 && minor !== 2)) {
      this.fail(`unsupported pcapng version ${major}.${minor} (only 1.0 is read)`, offset + 12);
      return false;
    }
    void len;
    this.sections++;
    this.section = [];
    return true;
  }

  private readInterface(buf: Buffer, at: number, len: number, offset: number): boolean {
    const linktype = this.u16(buf, at + 8);
    const snaplen = this.u32(buf, at + 12);
    let name: string | undefined;
    let description: string | undefined;
    let tsresol = 6;
    let tsOffset = 0;
    const end = at + len - 4;
    let o = at + 16;
    while (o + 4 <= end) {
      const code = this.u16(buf, o);
      const olen = this.u16(buf, o + 2);
      if (code === 0) break;
      if (o + 4 + olen > end) {
        this.warn(`interface description block option ${code} runs past the end of the block; its remaining options are ignored`, offset);
        break;
      }
      const v = o + 4;
      if (code === 2) name = realInterfaceName(buf.toString('utf8', v, v + olen).replace(/\0+$/, ''));
      else if (code === 3) description = buf.toString('utf8', v, v + olen).replace(/\0+$/, '');
      else if (code === 9 && olen >= 1) tsresol = buf[v];
      else if (code === 14 && olen >= 8) {
        const s = this.little ? buf.readBigInt64LE(v) : buf.readBigInt64BE(v);
        tsOffset = Number(s);
      }
      o = v + ((olen + 3) & ~3);
    }
    let exp = tsresol & 0x7f;
    const pow2 = (tsresol & 0x80) !== 0;
    if ((pow2 && exp > 63) || (!pow2 && exp > 19)) {
      this.warn(`interface ${this.section.length} has an if_tsresol of 0x${tsresol.toString(16)} (finer than a 64-bit count can use); microseconds assumed`, offset);
      exp = 6;
      tsresol = 6;
    }
    const isPow2 = (tsresol & 0x80) !== 0;
    const units = isPow2 ? 2 ** exp : 10 ** exp;
    const bigDiv = isPow2 ? 1n << BigInt(exp) : 10n ** BigInt(exp);
    const info: CaptureInterface = { linktype, snaplen, tsUnitsPerSecond: units };
    if (name !== undefined) info.name = name;
    if (description !== undefined) info.description = description;
    this.interfaces.push(info);
    this.section.push({
      info,
      linktype,
      snaplen,
      name,
      div: units <= 2 ** 31 ? units : 0,
      bigDiv,
      mul: !isPow2 && exp <= 9 ? 10 ** (9 - exp) : 0,
      pow2: isPow2 ? exp : -1,
      tsOffset,
    });
    return true;
  }

  /** The interface of a packet block, or undefined when there is none. */
  private ifaceFor(type: number, buf: Buffer): SectionInterface | undefined {
    if (type === 3) return this.section[0];
    const id = type === 6 ? this.u32(buf, 8) : this.u16(buf, 8);
    return this.section[id];
  }

  private readPacket(type: number, buf: Buffer, at: number, len: number, offset: number): boolean {
    const name = pcapngBlockDescription(type);
    let iface: SectionInterface | undefined;
    if (type === 3) {
      iface = this.section[0];
      if (iface === undefined) {
        this.fail(`${name} before any interface description block in its section`, offset, this.packets + 1);
        return false;
      }
      const wire = this.u32(buf, at + 8);
      let caplen = len - 16;
      if (wire < caplen) caplen = wire;
      if (iface.snaplen > 0 && iface.snaplen < caplen) caplen = iface.snaplen;
      this.emitPacket(type, buf, at, iface, caplen, false);
      return true;
    }
    const id = type === 6 ? this.u32(buf, at + 8) : this.u16(buf, at + 8);
    iface = this.section[id];
    if (iface === undefined) {
      this.fail(
        `${name} names interface ${id}, but its section declares ${this.section.length} interface${this.section.length === 1 ? '' : 's'}`,
        offset,
        this.packets + 1,
      );
      return false;
    }
    const caplen = this.u32(buf, at + 20);
    if (caplen > len - 32) {
      this.fail(`${name} claims ${caplen} captured bytes, more than the ${len}-byte block holds: the file is corrupt from here on`, offset, this.packets + 1);
      return false;
    }
    this.emitPacket(type, buf, at, iface, caplen, false);
    return true;
  }

  private emitPacket(type: number, buf: Buffer, at: number, iface: SectionInterface, have: number, cut: boolean): void {
    const f = this.frame;
    this.packets++;
    f.index = this.packets;
    f.offset = this.position;
    f.linktype = iface.linktype;
    f.point.interface = iface.name;
    if (type === 3) {
      f.sec = 0;
      f.nsec = 0;
      f.wireLength = this.u32(buf, at + 8);
      f.bytes = new Uint8Array(buf.buffer, buf.byteOffset + at + 12, have);
    } else {
      this.setTime(f, iface, this.u32(buf, at + 12), this.u32(buf, at + 16));
      f.wireLength = this.u32(buf, at + 24);
      f.bytes = new Uint8Array(buf.buffer, buf.byteOffset + at + 28, have);
    }
    f.cutByEof = cut;
    this.handler.frame(f);
  }

  /** Splits a 64-bit count of interface time units into seconds and nanoseconds, exactly. */
  private setTime(f: Frame, iface: SectionInterface, hi: number, lo: number): void {
    const d = iface.div;
    let sec: number;
    let frac: number;
    if (d === 0) {
      this.setTimeBig(f, iface, hi, lo);
      return;
    }
    if (hi < 0x200000) {
      // below 2^53: one division, then an exact correction
      const ts = hi * TWO32 + lo;
      sec = Math.floor(ts / d);
      frac = ts - sec * d;
      if (frac < 0) {
        sec--;
        frac += d;
      } else if (frac >= d) {
        sec++;
        frac -= d;
      }
    } else {
      // long division by 16-bit digits: every intermediate stays below 2^47, so exact
      let r = hi >>> 16;
      const q3 = Math.floor(r / d);
      r -= q3 * d;
      let cur = r * 65536 + (hi & 0xffff);
      const q2 = Math.floor(cur / d);
      r = cur - q2 * d;
      cur = r * 65536 + (lo >>> 16);
      const q1 = Math.floor(cur / d);
      r = cur - q1 * d;
      cur = r * 65536 + (lo & 0xffff);
      const q0 = Math.floor(cur / d);
      frac = cur - q0 * d;
      sec = ((q3 * 65536 + q2) * 65536 + q1) * 65536 + q0;
    }
    if (iface.mul !== 0) f.nsec = frac * iface.mul;
    else if (iface.pow2 >= 9) f.nsec = Math.floor((frac * 1953125) / 2 ** (iface.pow2 - 9)); // 1e9 = 2^9 * 1953125
    else if (iface.pow2 >= 0) f.nsec = Math.floor((frac * 1e9) / 2 ** iface.pow2);
    else f.nsec = Number((BigInt(frac) * 1_000_000_000n) / iface.bigDiv);
    f.sec = sec + iface.tsOffset;
  }

  private setTimeBig(f: Frame, iface: SectionInterface, hi: number, lo: number): void {
    const ts = (BigInt(hi) << 32n) | BigInt(lo);
    const sec = ts / iface.bigDiv;
    const frac = ts % iface.bigDiv;
    f.sec = Number(sec) + iface.tsOffset;
    f.nsec = Number((frac * 1_000_000_000n) / iface.bigDiv);
  }

  private warn(message: string, offset: number): void {
    this.handler.problem({ input: this.input, severity: 'warning', message, offset });
  }

  private fail(message: string, offset: number, packet?: number): void {
    this.aborted = true;
    this.pending = null;
    this.handler.problem({ input: this.input, severity: 'error', message, packet, offset });
  }
}
