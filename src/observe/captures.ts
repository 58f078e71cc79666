/**
 * Phase 2 of the pipeline: every capture is streamed once, each frame decoded and grouped into
 * flows and journeys (the same packet at several capture points), and what the captures show
 * about the network is kept as capture facts (tunnel outer headers, addresses, ARP, link types)
 * for the topology. No topology is needed here: a packet's interface on a `-i any` capture is
 * kept as its ifindex and named once the topology knows the host's interfaces
 * (nameCapturePoints).
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { formatProblem, type Frame } from '../capture/frame.js';
import { readCapture } from '../capture/open.js';
import { WORKER_HASH_BYTES, hashInWorker } from './hash.js';
import { Decoder } from '../decode/decoder.js';
import { NET_ARP, type Packet, type Tunnel } from '../decode/packet.js';
import { tunnelById } from '../decode/tunnels.js';
import { pcapngInterfaceNamesOf } from '../inputs/pcapng-names.js';
import type { Incident } from '../inputs/load.js';
import { addAddress, addMac, addTunnel, MAX_ADDRESSES, newCaptureFacts, type CaptureFacts } from '../topology/facts.js';
import type { Topology } from '../topology/model.js';
import { FlowTable, type Flow } from '../path/flows.js';
import type { CapturePointInfo } from '../path/correlate.js';
import type { Stats } from '../path/types.js';
import { fsPath } from '../inputs/byte-paths.js';

export interface ObserveOptions {
  vxlanPorts?: number[];
  genevePorts?: number[];
  stdin?: Readable;
  /** sha256 of every capture for the inventory (default true), taken in the same read pass. */
  hash?: boolean;
  /** Called as captures are read: bytes done of bytes total, packets so far. */
  progress?: (done: number, total: number, packets: number) => void;
}

export interface CaptureRead {
  packets: number;
  /** Packets by what podpath did not open in them (Packet.notDecoded). */
  notDecoded?: Map<string, number>;
  format?: string;
  problems: string[];
  sha256?: string;
}

export interface Observed {
  table: FlowTable;
  /** Per capture (same index as Incident.captures). */
  facts: CaptureFacts[];
  points: CapturePointInfo[];
  reads: CaptureRead[];
  stats: Stats;
  /** Epoch second that packet times (ns) count from; undefined when no capture held a packet. */
  baseSec?: number;
}

/** Prefix of the placeholder interface name of a packet that names its ifindex (SLL2). */
const IFINDEX = 'ifindex ';

export async function observeCaptures(incident: Incident, opts: ObserveOptions, problems: string[]): Promise<Observed> {
  const captures = incident.captures;
  const stats: Stats = { packets: 0, decoded: 0, truncated: 0, malformed: 0, skipped: 0, unexplained: 0 };
  const table = new FlowTable();
  const facts: CaptureFacts[] = [];
  const points: CapturePointInfo[] = [];
  const reads: CaptureRead[] = [];
  const sizes = await Promise.all(captures.map((f) => stat(fsPath(incident.abs(f))).then((s) => s.size, () => 0)));
  const total = sizes.reduce((a, b) => a + b, 0);
  const clock: { baseSec?: number } = {};
  let done = 0;
  for (let ci = 0; ci < captures.length; ci++) {
    const f = captures[ci];
    const cf = newCaptureFacts(f.path, f.host);
    cf.fileName = f.nameRest ?? basename(f.path);
    cf.ifNames = await pcapngInterfaceNamesOf(incident.abs(f));
    facts.push(cf);
    const point: CapturePointInfo = { input: f.path, host: f.host, packets: 0 };
    points.push(point);
    const read: CaptureRead = { packets: 0, problems: [] };
    reads.push(read);
    // Progress by bytes read within the file (compressed bytes for a .gz: the sizes above are on disk).
    const before = done;
    let inFile = 0;
    const onBytes = opts.progress ? (n: number) => opts.progress!(before + (inFile += n), total, stats.packets) : undefined;
    await readOne(incident.abs(f), ci, { table, cf, point, read, stats, clock, problems, onBytes }, opts);
    done = before + ((await stat(fsPath(incident.abs(f))).catch(() => undefined))?.size ?? inFile);
    opts.progress?.(done, total, stats.packets);
  }
  return { table, facts, points, reads, stats, baseSec: clock.baseSec };
}

interface ReadState {
  table: FlowTable;
  cf: CaptureFacts;
  point: CapturePointInfo;
  read: CaptureRead;
  stats: Stats;
  clock: { baseSec?: number };
  problems: string[];
  /** Told the size of every chunk read from the file (for progress). */
  onBytes?: (n: number) => void;
}

/**
 * The hot per-packet loop: it stays one function (well over 120 lines with its helpers) because
 * every call and allocation here is paid per packet; strings are built only for new facts.
 */
async function readOne(file: string, ci: number, s: ReadState, opts: ObserveOptions): Promise<void> {
  const { table, cf, point, read, stats, clock } = s;
  const decoder = new Decoder({ vxlanPorts: opts.vxlanPorts, genevePorts: opts.genevePorts });
  const ifaceNames: string[] = [];
  const ifindexes = new Set<number>();
  const linktypes = new Set<number>();
  const book = table.book;
  // Address ids already told to this capture's facts.
  let told = new Uint8Array(1024);
  const seenAddress = (id: number): boolean => {
    if (id >= told.length) {
      const grown = new Uint8Array(Math.max(told.length * 2, id + 1));
      grown.set(told);
      told = grown;
    }
    if (told[id] === 1) return true;
    told[id] = 1;
    return false;
  };
  // Tunnel facts already told: outer addresses -> (type, port, VNI) -> inner address pairs, as numbers.
  const tunnelsTold = new Map<number, Map<number, Set<number>>>();
  const tunnelFact = (p: Packet, tun: Tunnel, innerSrc: number, innerDst: number) => {
    const outer = p.nets[0];
    const os = book.id(outer, true);
    const od = book.id(outer, false);
    const port = tun.port >= 0 ? tun.port : outer.dport >= 0 ? outer.dport : 0;
    if (os < 0x100000 && od < 0x100000 && innerSrc < 0x100000 && innerDst < 0x100000) {
      const k1 = os * 0x100000 + od;
      let byKind = tunnelsTold.get(k1);
      if (byKind === undefined) tunnelsTold.set(k1, (byKind = new Map()));
      const k2 = ((tun.vni + 1) * 0x10000 + port) * 8 + tun.type;
      let pairs = byKind.get(k2);
      if (pairs === undefined) byKind.set(k2, (pairs = new Set()));
      const pair = innerSrc * 0x100000 + innerDst;
      if (pairs.has(pair)) return;
      if (pairs.size < 4096) pairs.add(pair);
    }
    addTunnel(cf, {
      type: tunnelById(tun.type).name as 'vxlan' | 'geneve',
      outerSrc: book.text[os],
      outerDst: book.text[od],
      port,
      vni: tun.vni >= 0 ? tun.vni : undefined,
      innerSrc: book.text[innerSrc],
      innerDst: book.text[innerDst],
      packet: p.index,
    });
  };
  // Source addresses whose MAC is told (capture facts), by address id.
  const macTold = new Set<number>();
  const handler = {
    frame(fr: Frame) {
      if (clock.baseSec === undefined) clock.baseSec = fr.sec;
      read.packets++;
      stats.packets++;
      cf.packets++;
      const t = (fr.sec - clock.baseSec) * 1e9 + fr.nsec;
      if (point.first === undefined || t < point.first) point.first = t;
      if (point.last === undefined || t > point.last) point.last = t;
      point.packets++;
      linktypes.add(fr.linktype);
      const p = decoder.decode(fr);
      const status = p.status;
      stats[status]++;
      if (p.notDecoded !== '') {
        const m = (read.notDecoded ??= new Map());
        m.set(p.notDecoded, (m.get(p.notDecoded) ?? 0) + 1);
      }
      // A skipped packet with a network header (an encapsulation not opened) still has its outer flow.
      if (status === 'malformed') return;
      const n = p.inner;
      if (!n) return;
      let iface: string | undefined;
      if (p.ifindex >= 0) {
        if (ifindexes.size < 256) ifindexes.add(p.ifindex);
        iface = p.ifindex < 4096 ? (ifaceNames[p.ifindex] ??= IFINDEX + p.ifindex) : IFINDEX + p.ifindex;
      }
      // Capture facts, told each distinct thing once (addTunnel and addAddress ignore repeats).
      const srcId = book.id(n, true);
      const dstId = book.id(n, false);
      if (p.tunnelCount > 0 && p.netCount > 1) {
        const tun = p.tunnels[0];
        if (tunnelById(tun.type).overlay) tunnelFact(p, tun, srcId, dstId);
      }
      if (n.kind === NET_ARP && n.proto !== 0x8035) cf.arp = true;
      if (!seenAddress(srcId)) addAddress(cf, book.text[srcId]);
      if (!seenAddress(dstId)) addAddress(cf, book.text[dstId]);
      if (p.tunnelCount === 0 && p.macSrc >= 0 && !macTold.has(srcId) && macTold.size < MAX_ADDRESSES) {
        macTold.add(srcId);
        addMac(cf, book.text[srcId], p.macSrc);
      }
      table.addPacket(p, ci, t, iface, false, srcId, dstId);
    },
    problem(pr: Parameters<typeof formatProblem>[0]) {
      const line = formatProblem({ ...pr, input: point.input });
      read.problems.push(line);
      s.problems.push(line);
    },
  };
  // The sha256: in a worker for a big file (off the critical path, src/observe/hash.ts), else in this pass.
  const size = opts.hash !== false && file !== '-' ? await stat(file).then((st) => (st.isFile() ? st.size : 0), () => 0) : 0;
  const pending = size >= WORKER_HASH_BYTES ? hashInWorker(file) : undefined;
  const hash = opts.hash !== false && !pending ? createHash('sha256') : undefined;
  const onBytes = s.onBytes;
  const onRawChunk = hash && onBytes ? (c: Buffer) => (hash.update(c), onBytes(c.length)) : hash ? (c: Buffer) => hash.update(c) : onBytes ? (c: Buffer) => onBytes(c.length) : undefined;
  const summary = await readCapture(file, handler, { stdin: opts.stdin, onRawChunk });
  if (hash && !summary.aborted) read.sha256 = hash.digest('hex');
  if (pending) {
    if (summary.aborted) pending.cancel();
    else read.sha256 = await pending.result();
  }
  read.format = summary.format === 'unknown' ? undefined : `${summary.format}${summary.compressed ? '.gz' : ''}`;
  cf.ifindexes = [...ifindexes];
  cf.linktypes = [...linktypes];
}

/**
 * Once the topology has bound every capture to its host and interface: capture points get them,
 * packets that named an ifindex get that interface's name, and flows seen on `lo` are loopback.
 */
export function nameCapturePoints(observed: Observed, topology: Topology, flows: Flow[], logs: Map<string, { captureStart?: number; captureEnd?: number }>): void {
  const { points, facts } = observed;
  const bindings = new Map(topology.captures.map((c) => [c.input, c]));
  const names: (Map<string, string> | undefined)[] = points.map((p, i) => {
    const b = bindings.get(p.input);
    p.host = b?.host;
    p.interface = facts[i].ifindexes.length > 1 ? 'any' : b?.interface;
    if (facts[i].ifindexes.length === 0) return undefined;
    const host = topology.hosts.find((h) => h.name === p.host);
    const m = new Map<string, string>();
    for (const itf of host?.interfaces ?? []) if (itf.index !== undefined) m.set(IFINDEX + itf.index, itf.name);
    return m;
  });
  // Capture windows the collector logged (a capture with no packet still proves it ran).
  points.forEach((p, i) => {
    const host = observed.facts[i].host;
    const log = host !== undefined ? logs.get(host) : undefined;
    if (!log || log.captureStart === undefined || log.captureEnd === undefined || observed.baseSec === undefined) return;
    p.windowStart = (log.captureStart - observed.baseSec) * 1e9;
    p.windowEnd = (log.captureEnd + 1 - observed.baseSec) * 1e9;
  });
  const rename = (c: number, iface: string | undefined) => (iface === undefined ? undefined : (names[c]?.get(iface) ?? iface));
  for (const f of flows) {
    for (const [c, seen] of f.seen) {
      if (points[c].interface === 'lo') f.loopback = true;
      if (names[c] && seen.points.size > 0) seen.points = new Set([...seen.points].map((x) => rename(c, x)!));
    }
    for (const j of f.journeys) for (const sg of j.sightings) if (names[sg.capture]) sg.iface = rename(sg.capture, sg.iface);
  }
}
