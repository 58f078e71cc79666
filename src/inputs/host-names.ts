/**
 * Host names in what users send, for input discovery: a host prefix of a file name
 * (`node1-eth0.pcap`, `ip-10-32-7-224_cni0.pcap`, `node2.ip-neigh.txt`), the host the prompts of a
 * pasted session name (`root@node1:~#`), and the one name of a `hostname` dump. Never throws.
 */
import { fsPath } from './byte-paths.js';
import { open } from 'node:fs/promises';
import { gunzipSync, constants as zc } from 'node:zlib';
import { nameHints } from '../dumps/registry.js';
import { promptHost } from '../dumps/session.js';
import { WELL_KNOWN } from '../topology/bind.js';

export interface HostPrefix {
  prefix: string;
  /** The name after the prefix and its separator. */
  rest: string;
}

/** Words that start file names but are no host: programs, objects, generic capture names. */
const NOT_A_HOST = /^(ip|ip6|ip4|bridge|route|routes|kubectl|k|oc|iptables|ip6tables|nft|nftables|ss|netstat|conntrack|ipvsadm|tcpdump|tshark|capture|captures|cap|dump|dumps|trace|pcap|output|out|log|logs|session|hostname|pods?|nodes?|svc|services?|endpoints?|etc|proc|sys|cat|show|all|before|after|test|tmp)$/i;
const CAPTURE_EXT = /\.(pcapng|pcap|cap|dmp)(\.gz)?$/i;
const HOSTNAME_REST = /^(hostname|hostname\.txt|etc-hostname)$/i;
const SESSION_REST = /^(session|terminal|console|typescript|commands?|shell|history)(\.(txt|log|out))?$/i;
const HOSTLIKE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Whether `rest` reads as a file name on its own: a known dump, a capture of an interface, hostname, a session. */
function standsAlone(rest: string): boolean {
  if (!rest || !/^[A-Za-z0-9]/.test(rest)) return false;
  if (CAPTURE_EXT.test(rest)) {
    const base = rest.replace(CAPTURE_EXT, '');
    return WELL_KNOWN.test(base) || /^(capture|cap|dump|trace|tcpdump)[-_]?\d*$/i.test(base);
  }
  if (HOSTNAME_REST.test(rest) || SESSION_REST.test(rest)) return true;
  return nameHints(rest.replace(/\.gz$/i, '')).length > 0;
}

/** Every way to read `name` as `<host><sep><rest>` (sep one of - _ .). */
function candidates(name: string): HostPrefix[] {
  const out: HostPrefix[] = [];
  for (let i = 1; i < name.length - 1; i++) {
    if (!'-_.'.includes(name[i])) continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (!HOSTLIKE.test(prefix) || NOT_A_HOST.test(prefix) || WELL_KNOWN.test(prefix) || nameHints(prefix).length > 0) continue;
    if (standsAlone(prefix + (CAPTURE_EXT.exec(name)?.[0] ?? ''))) continue;
    if (standsAlone(rest)) out.push({ prefix, rest });
  }
  return out;
}

/**
 * The host prefix of each of `names` (the files of one folder), when it has one: of the ways to
 * split a name, the prefix the most names share, the longest among equals. A name that reads on
 * its own (`ip-route.txt`, `eth0.pcap`) keeps no prefix.
 */
export function hostPrefixes(names: string[]): Map<string, HostPrefix> {
  const byName = new Map(names.map((n) => [n, candidates(n)]));
  const count = new Map<string, number>();
  for (const cs of byName.values()) for (const p of new Set(cs.map((c) => c.prefix))) count.set(p, (count.get(p) ?? 0) + 1);
  const out = new Map<string, HostPrefix>();
  for (const [n, cs] of byName) {
    let best: HostPrefix | undefined;
    for (const c of cs) {
      const a = count.get(c.prefix)!;
      const b = best ? count.get(best.prefix)! : -1;
      if (a > b || (a === b && c.prefix.length > best!.prefix.length)) best = c;
    }
    if (best) out.set(n, best);
  }
  return out;
}

async function head(path: string, bytes: number, gzip: boolean): Promise<string> {
  try {
    const fh = await open(fsPath(path), 'r');
    let buf: Buffer;
    try {
      const b = Buffer.alloc(bytes);
      const { bytesRead } = await fh.read(b, 0, bytes, 0);
      buf = b.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
    if (gzip || (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b)) buf = gunzipSync(buf, { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: bytes });
    if (buf.includes(0)) return '';
    return buf.toString('utf8');
  } catch {
    return '';
  }
}

/** The host every prompt of a pasted session names, when they name exactly one. */
export async function promptHostOf(path: string, gzip: boolean): Promise<string | undefined> {
  const text = await head(path, 256 * 1024, gzip);
  const hosts = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const h = promptHost(line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''));
    if (h) hosts.add(h);
  }
  return hosts.size === 1 ? [...hosts][0] : undefined;
}

/** The name in a `hostname` file, when it holds exactly one plausible name. */
export async function readHostnameFile(path: string): Promise<string | undefined> {
  const text = await head(path, 512, false);
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^\$\s*hostname/.test(l) && !l.startsWith('#'));
  if (lines.length !== 1) return undefined;
  const name = lines[0];
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(name) ? name : undefined;
}
