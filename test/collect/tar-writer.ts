/** Writes tar archives byte by byte for the archive reader's tests (hostile ones included). */
import { gzipSync } from 'node:zlib';

export interface Entry {
  name: string;
  data?: Buffer | string;
  /** Tar type flag: '0' file, '5' folder, '2' symlink, '1' hardlink, 'L' GNU long name, 'x' pax. */
  type?: string;
  linkname?: string;
  prefix?: string;
  /** Claimed size, when it should differ from the data's. */
  size?: number;
}

function put(b: Buffer, text: string, at: number, len: number): void {
  Buffer.from(text, 'utf8').subarray(0, len).copy(b, at);
}

export function header(e: Entry): Buffer {
  const b = Buffer.alloc(512);
  const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
  put(b, e.name, 0, 100);
  put(b, '0000644\0', 100, 8);
  put(b, '0000000\0', 108, 8);
  put(b, '0000000\0', 116, 8);
  put(b, (e.size ?? data.length).toString(8).padStart(11, '0') + '\0', 124, 12);
  put(b, (1_700_000_000).toString(8).padStart(11, '0') + '\0', 136, 12);
  b.fill(0x20, 148, 156);
  b[156] = (e.type ?? '0').charCodeAt(0);
  put(b, e.linkname ?? '', 157, 100);
  put(b, 'ustar\0' + '00', 257, 8);
  put(b, e.prefix ?? '', 345, 155);
  let sum = 0;
  for (const x of b) sum += x;
  put(b, sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return b;
}

function pad(n: number): Buffer {
  return Buffer.alloc((512 - (n % 512)) % 512);
}

/** A whole entry: header, data, padding. */
export function entry(e: Entry): Buffer {
  const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
  return Buffer.concat([header(e), data, pad(data.length)]);
}

/** A pax record "LEN key=value\n" (LEN counts itself). */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len++;
  return `${len}${body}`;
}

export function tar(entries: Entry[], end = true): Buffer {
  return Buffer.concat([...entries.map(entry), end ? Buffer.alloc(1024) : Buffer.alloc(0)]);
}

export function tgz(entries: Entry[], end = true): Buffer {
  return gzipSync(tar(entries, end));
}
