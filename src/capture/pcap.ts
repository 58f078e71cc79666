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
  private pending: Buffer | null = null;
  private readonly frame: Frame;

  constructor(
    readonly input: string,
    private readonly handler: CaptureHandler,
  ) {
    this.frame = {
      input,
      index: 0,
      offset: 0,
      sec: 0,
      nsec: 0,
      linktype: 0,
      bytes: new Uint8Array(0),
      wireLength: 0,
      point: {},
      cutByEof: false,
    };
  }

  /** Feeds the next chunk of the stream. Frames are delivered synchronously. */
  push(chunk: Buffer): void {
    if (this.aborted) return;
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let at = 0;
    if (!this.headerDone) {
      if (buf.length < FILE_HEADER) {
        this.pending = buf;
        return;
      }
      if (!this.readFileHeader(buf)) return;
      at = FILE_HEADER;
    }
    const little = this.little;
    while (buf.length - at >= RECORD_HEADER) {
      const caplen = little ? buf.readUInt32LE(at + 8) : buf.readUInt32BE(at + 8);
      if (caplen > MAX_RECORD_BYTES) {
        this.fail(
          `record claims ${caplen} captured bytes (more than the ${MAX_RECORD_BYTES}-byte limit): the file is corrupt from here on`,
          this.packets + 1,
          this.position + at,
        );
        return;
      }
      if (buf.length - at - RECORD_HEADER < caplen) break;
      this.emit(buf, at, caplen, caplen, false);
      at += RECORD_HEADER + caplen;
    }
    this.position += at;
    if (at < buf.length) this.pending = buf.subarray(at);
  }

  /** Signals the end of the stream: a partial record is delivered as cut by EOF. */
  end(): void {
    if (this.aborted) return;
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
    this.emit(rest, 0, have, caplen, true);
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

  private emit(buf: Buffer, at: number, have: number, caplen: number, cut: boolean): void {
    const little = this.little;
    const f = this.frame;
    const sec = little ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
    const frac = little ? buf.readUInt32LE(at + 4) : buf.readUInt32BE(at + 4);
    const wire = little ? buf.readUInt32LE(at + 12) : buf.readUInt32BE(at + 12);
    this.packets++;
    f.index = this.packets;
    f.offset = this.position + at;
    f.sec = sec;
    f.nsec = this.nano ? frac : frac * 1000;
    f.bytes = buf.subarray(at + RECORD_HEADER, at + RECORD_HEADER + have);
    f.wireLength = wire;
    f.cutByEof = cut;
    void caplen;
    this.handler.frame(f);
  }

  private fail(message: string, packet: number | undefined, offset: number): void {
    this.aborted = true;
    this.pending = null;
    this.handler.problem({ input: this.input, severity: 'error', message, packet, offset });
  }
}
