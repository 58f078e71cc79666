/**
 * What every capture reader hands to the rest of podpath: one Frame per record, plus problems.
 *
 * A Frame's `bytes` is a view into the reader's buffer: it is valid only during the callback that
 * receives it. Copy it (`Uint8Array.prototype.slice`) to keep it longer.
 */
import { problemText } from '../io.js';

/** Where a packet was captured. Filled by the reader where the file says so, by topology later. */
export interface CapturePoint {
  /** Interface name: pcapng `if_name`, or inferred later from the file name or content. */
  interface?: string;
  /** Linux SLL2 per-packet interface index. */
  ifindex?: number;
  /** Linux SLL/SLL2 packet type, as words. */
  direction?: PacketDirection;
  /** Host (node or pod namespace), set by topology. */
  host?: string;
}

export type PacketDirection = 'in' | 'out' | 'broadcast' | 'multicast' | 'otherhost' | 'loopback';

export interface Frame {
  /** The input as the user named it ("-" for standard input). */
  input: string;
  /** 1-based packet number within the input, as `tcpdump -#` counts. */
  index: number;
  /** Byte offset of the record (its header) in the decompressed stream. */
  offset: number;
  /** Seconds since the Unix epoch (may exceed 2^32 in pcapng). */
  sec: number;
  /** Nanoseconds within the second (0..999999999; a bad file may say more, see problems). */
  nsec: number;
  /** Link-layer header type (LINKTYPE_*), already masked with 0x0FFFFFFF. */
  linktype: number;
  /** Captured bytes. Valid only during the callback. */
  bytes: Uint8Array;
  /** Length of the packet on the wire (original length). */
  wireLength: number;
  point: CapturePoint;
  /** The record was cut by the end of the file: `bytes` is shorter than the record claimed. */
  cutByEof: boolean;
}

export type ProblemSeverity = 'error' | 'warning';

/** One problem with an input: printed as one line naming the file, packet and byte offset. */
export interface InputProblem {
  input: string;
  severity: ProblemSeverity;
  message: string;
  /** 1-based packet number, where the problem belongs to a packet. */
  packet?: number;
  /** Byte offset in the (decompressed) file. */
  offset?: number;
}

export function formatProblem(p: InputProblem): string {
  return problemText(p);
}

/** Receives the frames and problems of one capture, synchronously, in file order. */
export interface CaptureHandler {
  frame(f: Frame): void;
  problem(p: InputProblem): void;
}

/** What a reader reports about one capture once it has read it. */
export interface CaptureSummary {
  input: string;
  /** 'unknown' when the input could not be read or is not a capture (see the problems). */
  format: 'pcap' | 'pcapng' | 'unknown';
  compressed: boolean;
  /** Frames handed to the handler (including those cut by EOF). */
  packets: number;
  /** Frames whose record was cut by the end of the file. */
  cutByEof: number;
  /** Bytes of the (decompressed) stream consumed. */
  bytes: number;
  /** The reader stopped early on an unrecoverable error (the error is among the problems). */
  aborted: boolean;
  /** Interfaces declared by the file (pcapng IDBs; one pseudo-interface for classic pcap). */
  interfaces: CaptureInterface[];
}

export interface CaptureInterface {
  linktype: number;
  snaplen: number;
  name?: string;
  description?: string;
  /** Timestamp resolution, in units per second (1e6 for microseconds, 1e9 for nanoseconds). */
  tsUnitsPerSecond: number;
}

/** A record longer than this is refused whatever its length field claims (bounded memory). */
export const MAX_RECORD_BYTES = 1 << 20;

/** A Frame to reuse for every record of one input. */
export function newFrame(input: string): Frame {
  return { input, index: 0, offset: 0, sec: 0, nsec: 0, linktype: 0, bytes: new Uint8Array(0), wireLength: 0, point: {}, cutByEof: false };
}

/**
 * Completes a unit (record or block) that began in an earlier chunk, copying only the bytes it
 * still needs from `chunk` at `off`. Runs once per chunk boundary, not per packet.
 */
export function topUp(pending: Buffer, need: number, chunk: Buffer, off: number): { buf: Buffer; off: number; complete: boolean } {
  const missing = need - pending.length;
  if (missing <= 0) return { buf: pending, off, complete: true };
  const take = Math.min(missing, chunk.length - off);
  if (take <= 0) return { buf: pending, off, complete: false };
  return { buf: Buffer.concat([pending, chunk.subarray(off, off + take)]), off: off + take, complete: take === missing };
}
