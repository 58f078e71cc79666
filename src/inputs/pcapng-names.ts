/**
 * Interface names of a pcapng file from its first bytes, without reading the packets: the Section
 * Header Block sets the byte order, each Interface Description Block (type 1) may carry `if_name`
 * (option 2; a conversion's placeholder name counts as none). Blocks cut by the end of `head` end the scan. Never throws.
 *
 *   block: type u32 | total length u32 | body ... | total length u32
 *   IDB body: linktype u16 | reserved u16 | snaplen u32 | options (code u16, length u16, value, pad to 4)
 */
import { open } from 'node:fs/promises';
import { gunzipSync, constants as zc } from 'node:zlib';
import { realInterfaceName } from '../capture/pcapng.js';
import { fsPath } from './byte-paths.js';

const SHB = 0x0a0d0d0a;
const IDB = 1;
const BOM = 0x1a2b3c4d;

export function pcapngInterfaceNames(head: Uint8Array): string[] {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const names: string[] = [];
  let off = 0;
  let little = true;
  while (off + 12 <= b.length) {
    const typeBE = b.readUInt32BE(off);
    if (typeBE === SHB) {
      if (off + 12 > b.length) break;
      const bomLE = b.readUInt32LE(off + 8);
      if (bomLE === BOM) little = true;
      else if (b.readUInt32BE(off + 8) === BOM) little = false;
      else break;
    }
    const u32 = (o: number) => (little ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u16 = (o: number) => (little ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const type = u32(off);
    const len = u32(off + 4);
    if (len < 12 || len % 4 !== 0 || off + len > b.length) break;
    if (type === IDB) {
      let o = off + 16;
      const end = off + len - 4;
      let name = '';
      while (o + 4 <= end) {
        const code = u16(o);
        const olen = u16(o + 2);
        if (code === 0 || o + 4 + olen > end) break;
        // a converted pcap's placeholder ("Unknown/not available in original file format(libpcap)") is no name
        if (code === 2) name = realInterfaceName(b.toString('utf8', o + 4, o + 4 + olen).replace(/\0+$/, '')) ?? '';
        o += 4 + olen + ((4 - (olen % 4)) % 4);
      }
      names.push(name);
    }
    off += len;
  }
  return names;
}

/** pcapng interface names of a file (gzip-compressed or not), from its first 256 KiB. */
export async function pcapngInterfaceNamesOf(path: string): Promise<string[]> {
  try {
    const fh = await open(fsPath(path), 'r');
    let head: Buffer;
    try {
      const buf = Buffer.alloc(256 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      head = gunzipSync(head, { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: 256 * 1024 });
    }
    if (head.length < 4 || head.readUInt32BE(0) !== SHB) return [];
    return pcapngInterfaceNames(head);
  } catch {
    return [];
  }
}
