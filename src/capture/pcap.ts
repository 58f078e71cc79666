/**
 * Classic pcap reader (the `tcpdump -w` format), streaming, push-based.
 *
 *   File header (24 bytes)                     Record header (16 bytes), then caplen bytes
 *   +------------------+---------+---------+   +-----------+-------------------+---------+---------+
 *   | magic a1b2c3d4   | ver 2.4 | thiszone|   | ts_sec    | ts_usec / ts_nsec | caplen  | len     |
 *   | (a1b23c4d = ns)  | 2+2     | 4       |   | 4         | 4                 | 4       | 4       |
 *   | sigfigs 4        | snaplen 4         |   +-----------+-------------------+---------+---------+
 *   | linktype 4 (FCS/F bits above 0x0FFFFFFF) |
 *   +------------------------------------------+
 *
 * Both byte orders. Every record length is checked against MAX_RECORD_BYTES before anything is
 * buffered, so a record claiming 4 GiB is an error at its offset, never an allocation. A record
 * cut by the end of the file is handed on with `cutByEof` set, never dropped.
 */
import {
  MAX_RECORD_BYTES,
  type CaptureHandler,
  type CaptureInterface,
  type Frame,
  newFrame,
  topUp,
} from './frame.js';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;

/** True when the first four bytes are a classic pcap magic, in either byte order. */
export function isPcapMagic(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const be = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const le = ((b[3] << 24) | (b[2] << 16) | (b[1] << 8) | b[0]) >>> 0;
  return be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS || le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS;
}

// Byte reads without Buffer's argument validation (the callers have checked the bounds).
function le32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
function be32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

const FILE_HEADER = 24;
const RECORD_HEADER = 16;

export class PcapParser {
  readonly iface: CaptureInterface = { linktype: 0, snaplen: 0, tsUnitsPerSecond: 1e6 };
  packets = 0;
  cutByEof = 0;
  /** Bytes consumed so far (offset of the next unread byte). */
  position = 0;
  aborted = false;
  private headerDone = false;
  private little = true;
  private nano = false;
  /** Records whose fractional-second field is out of range (normalised; see emit). */
  badFractions = 0;
  private pending: Buffer | null = null;
  /** Bytes the next step needs from the start of `pending`. */
  private need = FILE_HEADER;
  private readonly frame: Frame;

  constructor(
    readonly input: string,
    private readonly handler: CaptureHandler,
  ) {
    this.frame = newFrame(input);
  }

  /** Feeds the next chunk of the stream. Frames are delivered synchronously. */
  push(chunk: Buffer): void {
    if (this.aborted) return;
    let off = 0;
    // Complete a record started in an earlier chunk, copying only the bytes it needs.
    while (this.pending !== null) {
      const t = topUp(this.pending, this.need, chunk, off);
      const p = t.buf;
      off = t.off;
      if (!t.complete) {
        this.pending = p;
        return;
      }
      this.pending = null;
      const r = this.run(p, 0);
      if (r < 0) return;
      if (r < p.length) this.pending = p.subarray(r);
    }
    const r = this.run(chunk, off);
    if (r >= 0 && r < chunk.length) this.pending = chunk.subarray(r);
  }

  /**
   * Reads every whole record of buf from `start` (whose stream offset is `position`). Returns the
   * offset of the first unread byte (`need` says how many bytes the next step needs), or -1.
   */
  private run(buf: Buffer, start: number): number {
    const base = this.position - start;
    let at = start;
    const end = buf.length;
    if (!this.headerDone) {
      if (end - at < FILE_HEADER) {
        this.need = FILE_HEADER;
        return at;
      }
      if (!this.readFileHeader(at === 0 ? buf : buf.subarray(at))) return -1;
      at += FILE_HEADER;
    }
    const little = this.little;
    for (;;) {
      if (end - at < RECORD_HEADER) {
        this.need = RECORD_HEADER;
        break;
      }
      const caplen = little ? le32(buf, at + 8) : be32(buf, at + 8);
      if (caplen > MAX_RECORD_BYTES) {
        this.position = base + at;
        this.fail(
          `record claims ${caplen} captured bytes (more than the ${MAX_RECORD_BYTES}-byte limit): the file is corrupt from here on`,
          this.packets + 1,
          base + at,
        );
        return -1;
      }
      if (end - at - RECORD_HEADER < caplen) {
        this.need = RECORD_HEADER + caplen;
        break;
      }
      this.emit(buf, at, caplen, false, base + at);
      at += RECORD_HEADER + caplen;
    }
    this.position = base + at;
    return at;
  }

  /** Signals the end of the stream: a partial record is delivered as cut by EOF. */
  end(): void {
    if (this.aborted) return;
    this.endRecords();
    if (!this.aborted) this.endFractions();
  }

  private endRecords(): void {
    const rest = this.pending;
    this.pending = null;
    if (!this.headerDone) {
      const n = rest ? rest.length : 0;
      this.fail(
        n === 0 ? 'empty file' : `file header cut short (${n} of ${FILE_HEADER} bytes)`,
        undefined,
        0,
      );
      return;
    }
    if (!rest || rest.length === 0) return;
    const index = this.packets + 1;
    if (rest.length < RECORD_HEADER) {
      this.handler.problem({
        input: this.input,
        severity: 'error',
        message: `record header cut by end of file (${rest.length} of ${RECORD_HEADER} bytes); packet not read`,
        packet: index,
        offset: this.position,
      });
      this.position += rest.length;
      return;
    }
    const caplen = this.little ? rest.readUInt32LE(8) : rest.readUInt32BE(8);
    const have = rest.length - RECORD_HEADER;
    this.handler.problem({
      input: this.input,
      severity: 'warning',
      message: `record cut by end of file: ${have} of ${caplen} captured bytes present`,
      packet: index,
      offset: this.position,
    });
    this.cutByEof++;
    this.emit(rest, 0, have, true, this.position);
    this.position += rest.length;
  }

  private readFileHeader(buf: Buffer): boolean {
    const be = buf.readUInt32BE(0);
    const le = buf.readUInt32LE(0);
    if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) {
      this.little = true;
      this.nano = le === PCAP_MAGIC_NS;
    } else if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) {
      this.little = false;
      this.nano = be === PCAP_MAGIC_NS;
    } else {
      this.fail(`not a pcap file (magic 0x${be.toString(16).padStart(8, '0')})`, undefined, 0);
      return false;
    }
    const r16 = (o: number) => (this.little ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
    const r32 = (o: number) => (this.little ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const major = r16(4);
    const minor = r16(6);
    if (major < 2) {
      this.fail(`archaic pcap savefile format (version ${major}.${minor}; only 2.x up to 2.4 is read)`, undefined, 4);
      return false;
    }
    if (major !== 2 || minor > 4) {
      this.fail(`unsupported pcap version ${major}.${minor} (only 2.x up to 2.4 is read)`, undefined, 4);
      return false;
    }
    this.iface.snaplen = r32(16);
    this.iface.linktype = r32(20) & 0x0fffffff;
    this.iface.tsUnitsPerSecond = this.nano ? 1e9 : 1e6;
    this.frame.linktype = this.iface.linktype;
    this.headerDone = true;
    return true;
  }

  private emit(buf: Buffer, at: number, have: number, cut: boolean, offset: number): void {
    const f = this.frame;
    let sec: number, frac: number, wire: number;
    if (this.little) {
      sec = le32(buf, at);
      frac = le32(buf, at + 4);
      wire = le32(buf, at + 12);
    } else {
      sec = be32(buf, at);
      frac = be32(buf, at + 4);
      wire = be32(buf, at + 12);
    }
    this.packets++;
    f.index = this.packets;
    f.offset = offset;
    const units = this.nano ? 1e9 : 1e6;
    if (frac >= units) {
      // Not a valid fraction (tcpdump prints the raw digits, "20.4294967295"; tshark flags it).
      // Read as the sum of the two fields, as a writer that forgot to carry meant it: the time
      // stays ordered and printable. Told once per file, with a count at the end.
      const carry = Math.floor(frac / units);
      if (++this.badFractions === 1) {
        this.handler.problem({
          input: this.input,
          severity: 'warning',
          message: `timestamp ${this.nano ? 'nanoseconds' : 'microseconds'} field is ${frac} (valid: below ${units}): read as ${carry} s more and ${frac - carry * units} ${this.nano ? 'ns' : 'µs'}`,
          packet: this.packets,
          offset,
        });
      }
      sec += carry;
      frac -= carry * units;
    }
    f.sec = sec;
    f.nsec = this.nano ? frac : frac * 1000;
    f.bytes = new Uint8Array(buf.buffer, buf.byteOffset + at + RECORD_HEADER, have);
    f.wireLength = wire;
    f.cutByEof = cut;
    this.handler.frame(f);
  }

  private endFractions(): void {
    if (this.badFractions > 1) {
      this.handler.problem({
        input: this.input,
        severity: 'warning',
        message: `${this.badFractions} packets in all have a timestamp ${this.nano ? 'nanoseconds' : 'microseconds'} field of ${this.nano ? 1e9 : 1e6} or more (each read as the sum of the two fields)`,
      });
    }
  }

  private fail(message: string, packet: number | undefined, offset: number): void {
    this.aborted = true;
    this.pending = null;
    this.handler.problem({ input: this.input, severity: 'error', message, packet, offset });
  }
}
