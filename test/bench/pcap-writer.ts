/**
 * A classic pcap writer (microsecond, little endian) for the benchmark's generated captures:
 * records are built in place in one large buffer and written to the file descriptor when it fills,
 * so a multi-gigabyte capture never sits in memory.
 *
 *   const w = new PcapWriter(path);
 *   const o = w.record(sec, usec, 98);   // 16-byte record header written; fill w.buf[o .. o + 98)
 *   ...
 *   w.close();
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export interface PcapWriterOptions {
  /** LINKTYPE_* (default 1, Ethernet). */
  linktype?: number;
  snaplen?: number;
  /** Bytes buffered before each write (default 8 MiB). */
  bufferSize?: number;
}

export class PcapWriter {
  readonly buf: Buffer;
  private at = 0;
  private readonly fd: number;
  /** Bytes written so far (file header included, buffered bytes counted). */
  bytes = 0;
  packets = 0;

  constructor(path: string, opts: PcapWriterOptions = {}) {
    this.buf = Buffer.allocUnsafe(Math.max(opts.bufferSize ?? 8 << 20, 1 << 17));
    this.fd = openSync(path, 'w');
    const h = this.buf;
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(opts.snaplen ?? 262144, 16);
    h.writeUInt32LE(opts.linktype ?? 1, 20);
    this.at = 24;
    this.bytes = 24;
  }

  /**
   * Starts a record of `caplen` captured bytes (`wireLength` on the wire, default the same) and
   * returns the offset in `buf` where its bytes go. The caller fills them before the next call.
   */
  record(sec: number, usec: number, caplen: number, wireLength = caplen): number {
    if (caplen > 65535 + 64) throw new RangeError(`record of ${caplen} bytes`);
    if (this.at + 16 + caplen > this.buf.length) this.flush();
    const b = this.buf;
    const o = this.at;
    b.writeUInt32LE(sec >>> 0, o);
    b.writeUInt32LE(usec >>> 0, o + 4);
    b.writeUInt32LE(caplen, o + 8);
    b.writeUInt32LE(wireLength, o + 12);
    this.at = o + 16 + caplen;
    this.bytes += 16 + caplen;
    this.packets++;
    return o + 16;
  }

  flush(): void {
    let done = 0;
    while (done < this.at) done += writeSync(this.fd, this.buf, done, this.at - done);
    this.at = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
