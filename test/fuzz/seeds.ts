/**
 * Seeds for the fuzzer: every capture and dump of samples/ (each scenario folder, when the lab has
 * generated them) and of ../shared/corpus, read in a fixed order (the run is deterministic given
 * --seed and the same seed files). Incident templates for the full-pipeline tier: each samples/
 * scenario as it is, plus a few two-node incidents assembled in memory from corpus files.
 * Nothing is copied into the repository.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SAMPLES, shared } from '../helpers.js';
import { shapeOf, type CaptureShape } from './mutate.js';

export interface CaptureSeed {
  name: string;
  buf: Uint8Array;
  shape: CaptureShape;
}

export interface DumpSeed {
  /** A file name that the name hints of src/dumps understand (ip-addr.txt, route-n.txt...). */
  name: string;
  buf: Uint8Array;
}

/** An incident: relative path -> bytes. */
export type Scenario = { name: string; files: Map<string, Uint8Array> };

export interface Seeds {
  captures: CaptureSeed[];
  dumps: DumpSeed[];
  scenarios: Scenario[];
}

/** Seeds bigger than this are cut at a record boundary (the fast tier wants thousands of execs/s). */
const MAX_SEED_BYTES = 128 * 1024;
/** Capture files of a sample scenario are cut to this (at a record boundary) for the full tier. */
const MAX_SCENARIO_CAPTURE = 1024 * 1024;

function walk(dir: string, out: string[] = [], depth = 0): string[] {
  if (depth > 6 || !existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) walk(p, out, depth + 1);
    else if (st.isFile()) out.push(p);
  }
  return out;
}

const CAPTURE_NAME = /\.(pcap|pcapng|cap)(\.gz)?$/i;

function isCaptureBytes(b: Uint8Array): boolean {
  return shapeOf(b).format !== 'other';
}

function readMaybeGz(p: string): Uint8Array | undefined {
  try {
    let b: Uint8Array = readFileSync(p);
    if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) b = gunzipSync(b, { maxOutputLength: 64 * 1024 * 1024 });
    return b;
  } catch {
    return undefined;
  }
}

/** Cuts a capture to at most `max` bytes, at a record or block boundary. */
export function cutCapture(b: Uint8Array, max: number): Uint8Array {
  if (b.length <= max) return b;
  const s = shapeOf(b.subarray(0, max + 65536 + 32));
  const at = [...s.boundaries].reverse().find((x) => x <= max && x > 0) ?? max;
  return b.subarray(0, at);
}

function hintName(dir: string, file: string): string {
  // corpus dumps live in folders named for the command: give the fuzzed file a matching name
  const d = dir.toLowerCase();
  const table: [RegExp, string][] = [
    [/bridge-vlan-show-json/, 'bridge-vlan.json.txt'],
    [/bridge-vlan/, 'bridge-vlan.txt'],
    [/bridge-fdb/, 'bridge-fdb.txt'],
    [/ip-addr-show-json/, 'ip-addr.json'],
    [/ip-addr/, 'ip-addr.txt'],
    [/ip-d-link/, 'ip-d-link.txt'],
    [/ip-o-link|ip-link/, 'ip-link.txt'],
    [/ip-neigh/, 'ip-neigh.txt'],
    [/ip-route/, 'ip-route.txt'],
    [/route-n|netstat-rn|proc-net-route/, 'route-n.txt'],
    [/route/, 'route.txt'],
    [/arp/, 'arp.txt'],
  ];
  for (const [re, n] of table) if (re.test(d)) return n;
  return file.replace(/\.(out|raw)$/, '.txt');
}

export function loadSeeds(opts: { quiet?: boolean } = {}): Seeds {
  const captures: CaptureSeed[] = [];
  const dumps: DumpSeed[] = [];
  const scenarios: Scenario[] = [];

  // samples/: every scenario folder (lab/ holds the generator, not a scenario)
  if (existsSync(SAMPLES)) {
    for (const name of readdirSync(SAMPLES).sort()) {
      const dir = join(SAMPLES, name);
      if (name === 'lab' || name.startsWith('.') || !statSync(dir).isDirectory()) continue;
      const files = new Map<string, Uint8Array>();
      for (const p of walk(dir)) {
        const rel = relative(dir, p);
        if (/\.(md|json)$/i.test(rel) && !/ip-|bridge|addr|route/i.test(rel)) continue;
        let b: Uint8Array;
        try {
          b = readFileSync(p);
        } catch {
          continue;
        }
        const raw = readMaybeGz(p) ?? b;
        if (CAPTURE_NAME.test(rel) || isCaptureBytes(raw)) {
          captures.push({ name: `samples/${name}/${rel}`, buf: cutCapture(raw, MAX_SEED_BYTES), shape: shapeOf(cutCapture(raw, MAX_SEED_BYTES)) });
          files.set(rel.replace(/\.gz$/, ''), cutCapture(raw, MAX_SCENARIO_CAPTURE));
        } else if (b.length <= MAX_SEED_BYTES) {
          dumps.push({ name: rel.split('/').pop()!, buf: raw });
          files.set(rel.replace(/\.gz$/, ''), raw);
        }
      }
      if (files.size > 0) scenarios.push({ name: `samples/${name}`, files });
    }
  }

  // ../shared/corpus
  const root = shared('fuzz seeds from ../shared/corpus');
  if (root) {
    const corpus = join(root, 'corpus');
    for (const sub of ['tcpdump/tests', 'tcpdump/tcpdump-4.99.3/tests', 'libpcap', 'pcapng-conformance']) {
      for (const p of walk(join(corpus, sub))) {
        if (!CAPTURE_NAME.test(p)) continue;
        const b = readMaybeGz(p);
        if (!b) continue;
        const cut = cutCapture(b, MAX_SEED_BYTES);
        captures.push({ name: relative(corpus, p), buf: cut, shape: shapeOf(cut) });
      }
    }
    for (const sub of ['dumps', 'jc']) {
      for (const p of walk(join(corpus, sub))) {
        if (/\.(json|md)$/i.test(p) && !/json/i.test(relative(join(corpus, sub), p).split('/')[0])) continue;
        const b = readFileSync(p);
        if (b.length > MAX_SEED_BYTES) continue;
        const parts = relative(corpus, p).split('/');
        dumps.push({ name: hintName(parts.slice(0, -1).join('/'), parts[parts.length - 1]), buf: b });
      }
    }
    scenarios.push(...corpusScenarios(captures, dumps));
  }
  if (!opts.quiet && captures.length + dumps.length === 0) console.log('fuzz: no seeds (neither samples/ scenarios nor ../shared/corpus): using built-in minimal seeds');
  if (captures.length === 0) captures.push(...builtinCaptures());
  if (dumps.length === 0) dumps.push(...builtinDumps());
  if (scenarios.length === 0) scenarios.push(...corpusScenarios(captures, dumps));
  return { captures, dumps, scenarios };
}

/** Two-node incidents assembled from seeds: captures named like interfaces, dumps named like commands. */
function corpusScenarios(captures: CaptureSeed[], dumps: DumpSeed[]): Scenario[] {
  const byName = (re: RegExp) => captures.filter((c) => re.test(c.name));
  const dumpOf = (name: string, k: number) => {
    const all = dumps.filter((d) => d.name === name);
    return all.length ? all[k % all.length].buf : undefined;
  };
  const tunnels = [...byName(/vxlan|geneve/i), ...captures].slice(0, 8);
  const out: Scenario[] = [];
  for (let k = 0; k < 4; k++) {
    const files = new Map<string, Uint8Array>();
    for (const [hi, host] of ['node-a', 'node-b'].entries()) {
      const c = tunnels[(2 * k + hi) % tunnels.length];
      if (c) files.set(`${host}/eth0.${c.shape.format === 'pcapng' ? 'pcapng' : 'pcap'}`, c.buf);
      for (const d of ['ip-addr.txt', 'ip-route.txt', 'route-n.txt', 'bridge-fdb.txt', 'ip-d-link.txt', 'bridge-vlan.txt', 'ip-neigh.txt']) {
        const b = dumpOf(d, 2 * k + hi);
        if (b) files.set(`${host}/${d}`, b);
      }
    }
    files.set('pods.txt', Buffer.from(PODS));
    out.push({ name: `corpus-two-node-${k}`, files });
  }
  return out;
}

const PODS = `NAMESPACE     NAME      READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES
default       pod1      1/1     Running   0          1h    10.42.0.5    node-a   <none>           <none>
default       pod2      1/1     Running   0          1h    10.42.1.7    node-b   <none>           <none>
`;

function builtinCaptures(): CaptureSeed[] {
  // one Ethernet/IPv4/ICMP echo request in a little-endian microsecond pcap
  const frame = Buffer.from(
    'ffffffffffff0200000000010800' + '45000054000040004001' + '0000' + '0a2a0005' + '0a2a0107' + '0800f7ff00010001' + '00'.repeat(56),
    'hex',
  );
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(262144, 16);
  hdr.writeUInt32LE(1, 20);
  const rec = Buffer.alloc(16);
  rec.writeUInt32LE(1700000000, 0);
  rec.writeUInt32LE(frame.length, 8);
  rec.writeUInt32LE(frame.length, 12);
  const b = Buffer.concat([hdr, rec, frame, rec, frame]);
  return [{ name: 'builtin.pcap', buf: b, shape: shapeOf(b) }];
}

function builtinDumps(): DumpSeed[] {
  return [
    {
      name: 'ip-addr.txt',
      buf: Buffer.from(
        '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP group default qlen 1000\n    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n    inet 10.0.0.1/24 brd 10.0.0.255 scope global eth0\n',
      ),
    },
    {
      name: 'route-n.txt',
      buf: Buffer.from(
        'Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n0.0.0.0         10.0.0.254      0.0.0.0         UG    0      0        0 eth0\n10.42.1.0       10.42.1.0       255.255.255.0   UG    0      0        0 flannel.1\n',
      ),
    },
    { name: 'pods.txt', buf: Buffer.from(PODS) },
  ];
}
