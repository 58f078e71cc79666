/**
 * The pipeline, top to bottom:
 *
 *   discover   folders, files, globs, .tar.gz archives -> inputs, each tied to a host
 *   dumps      every text input -> command sections (ip addr, route -n, bridge vlan, ...)
 *   topology   dumps (+ capture facts) -> hosts, bridges, veths, overlay map, pods
 *   read       every capture, streamed -> frames
 *   decode     frame -> packet -> observation (inner headers of VXLAN/Geneve included)
 *   group      observations -> flows and journeys (the same packet at several capture points)
 *   explain    flow -> expected path on the topology (Batfish-style steps)
 *   correlate  journeys placed on their path -> clock offsets, hop latencies, verdicts
 *   diagnose   -> findings with evidence
 *   report     -> Report (podpath.report/1), rendered by src/report/
 *
 * Bad input never throws: it becomes a problem line naming the file (and packet, byte offset).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { resolve, basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { formatProblem, type Frame } from './capture/frame.js';
import { readCapture } from './capture/open.js';
import { Decoder } from './decode/decoder.js';
import { parseDump } from './dumps/index.js';
import { discoverIncident, type InputFile } from './inputs/discover.js';
import { archiveDisplayPath, extractArchive, isTarGz, type ExtractedArchive } from './inputs/archive.js';
import { pcapngInterfaceNamesOf } from './inputs/pcapng-names.js';
import { readDumps } from './inputs/read-dumps.js';
import { buildTopology, type HostSection } from './topology/build.js';
import { bindCapture } from './topology/bind.js';
import { addAddress, addTunnel, newCaptureFacts, type CaptureFacts } from './topology/facts.js';
import { isLoopbackAddress, ownerOf } from './topology/lookup.js';
import type { Topology } from './topology/model.js';
import { isoTime } from './decode/summary.js';
import { NET_ARP, TUN_GENEVE, TUN_VXLAN, type Packet, type Tunnel } from './decode/packet.js';
import { FlowTable, type Flow } from './path/flows.js';
import { explainPath, pathSummary, podByIp, type PathHints } from './path/explain.js';
import { estimateClocks, findLossyCaptures, flowVerdict, hopLatencies, median, type CapturePointInfo, type FlowVerdict, pointId, stepIndexOf } from './path/correlate.js';
import { diagnose, type DiagnosedFlow } from './path/diagnose.js';
import type { Endpoint, FlowKind, FlowReport, InputReport, Report, SeenAt, Stats, Step } from './path/types.js';

export interface AnalyzeOptions {
  cwd: string;
  /** `--host NAME=PATH`. */
  hosts?: Record<string, string>;
  vxlanPorts?: number[];
  genevePorts?: number[];
  stdin?: Readable;
  /** sha256 of every input for the inventory (default true). */
  hash?: boolean;
  /** Called as captures are read: bytes done of bytes total, packets so far. */
  progress?: (done: number, total: number, packets: number) => void;
}

export async function analyze(paths: string[], opts: AnalyzeOptions): Promise<Report> {
  return (await analyzeDetailed(paths, opts)).report;
}

export interface Analysis {
  report: Report;
  /** The flow (id) a packet belongs to: input as shown in the report, 1-based packet number. */
  flowOfPacket(input: string, packet: number): string | undefined;
  /**
   * Where a packet sits: its flow, the path it follows (the flow's path, or its return path for a
   * response) and the index of the step at which this capture saw it (-1: at no step of it).
   * `file` is the capture's path (resolved against cwd). Only packets kept as journeys are known.
   */
  placeOf(file: string, packet: number): PacketPlace | undefined;
}

export interface PacketPlace {
  flow: string;
  path: Step[];
  step: number;
}

export async function analyzeDetailed(paths: string[], opts: AnalyzeOptions): Promise<Analysis> {
  const problems: string[] = [];
  const archives: ExtractedArchive[] = [];
  try {
    // discover
    const expanded = await expandArchives(paths, opts.cwd, archives, problems);
    const { inputs, problems: found } = await discoverIncident(expanded.paths, { cwd: opts.cwd, hosts: opts.hosts });
    for (const p of found) problems.push(`${expanded.display(p.path)}: ${p.message}`);
    // Inputs refused at discovery still get an inventory row, with their problem.
    const refused = found.map((p) => ({ path: expanded.display(p.path), line: `${expanded.display(p.path)}: ${p.message}` }));
    for (const f of inputs) f.path = expanded.display(f.path);
    const abs = (f: InputFile) => expanded.real.get(f.path) ?? resolve(opts.cwd, f.path);

    // dumps
    const dumps = await readDumps(inputs, abs, problems);

    // topology from the dumps alone, to name capture points while reading
    const captureInputs = inputs.filter((f) => f.kind === 'capture');
    const facts: CaptureFacts[] = [];
    for (const f of captureInputs) {
      const cf = newCaptureFacts(f.path, f.host);
      cf.ifNames = await pcapngInterfaceNamesOf(abs(f));
      facts.push(cf);
    }
    let topology = buildTopology(dumps.sections, facts, { lineText: dumps.lineText });
    const points: CapturePointInfo[] = captureInputs.map((f, i) => {
      const b = bindCapture(topology, { input: f.path, host: f.host, pcapngIfNames: facts[i].ifNames, sll2Ifindexes: [], fileName: basename(f.path) });
      return { input: f.path, host: b.host, interface: b.interface, packets: 0 };
    });

    // read, decode, group
    const stats: Stats = { packets: 0, decoded: 0, truncated: 0, malformed: 0, skipped: 0, unexplained: 0 };
    const table = new FlowTable();
    const hashes = new Map<string, string>();
    const perInput = new Map<string, { packets: number; format?: string; problems: string[] }>();
    let baseSec: number | undefined;
    const total = (await Promise.all(captureInputs.map((f) => stat(abs(f)).then((s) => s.size, () => 0)))).reduce((a, b) => a + b, 0);
    let done = 0;
    for (let ci = 0; ci < captureInputs.length; ci++) {
      const f = captureInputs[ci];
      const cf = facts[ci];
      const point = points[ci];
      const info = { packets: 0, format: undefined as string | undefined, problems: [] as string[] };
      perInput.set(f.path, info);
      const decoder = new Decoder({ vxlanPorts: opts.vxlanPorts, genevePorts: opts.genevePorts });
      const host = topology.hosts.find((h) => h.name === point.host);
      const byIndex = new Map<number, string>();
      for (const i of host?.interfaces ?? []) if (i.index !== undefined) byIndex.set(i.index, i.name);
      const ifindexes = new Set<number>();
      const linktypes = new Set<number>();
      const loopbackCapture = point.interface === 'lo';
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
          type: tun.type === TUN_VXLAN ? 'vxlan' : 'geneve',
          outerSrc: book.text[os],
          outerDst: book.text[od],
          port,
          vni: tun.vni >= 0 ? tun.vni : undefined,
          innerSrc: book.text[innerSrc],
          innerDst: book.text[innerDst],
          packet: p.index,
        });
      };
      const handler = {
        frame(fr: Frame) {
          if (baseSec === undefined) baseSec = fr.sec;
          info.packets++;
          stats.packets++;
          cf.packets++;
          const t = (fr.sec - baseSec) * 1e9 + fr.nsec;
          if (point.first === undefined || t < point.first) point.first = t;
          if (point.last === undefined || t > point.last) point.last = t;
          point.packets++;
          linktypes.add(fr.linktype);
          const p = decoder.decode(fr);
          const status = p.status;
          stats[status]++;
          if (status === 'skipped' || status === 'malformed') return;
          const n = p.inner;
          if (!n) return;
          let iface: string | undefined;
          if (p.ifindex >= 0) {
            if (ifindexes.size < 256) ifindexes.add(p.ifindex);
            iface = byIndex.get(p.ifindex) ?? `ifindex ${p.ifindex}`;
          }
          // Capture facts, told each distinct thing once (addTunnel and addAddress ignore repeats).
          const srcId = book.id(n, true);
          const dstId = book.id(n, false);
          if (p.tunnelCount > 0 && p.netCount > 1) {
            const tun = p.tunnels[0];
            if (tun.type === TUN_VXLAN || tun.type === TUN_GENEVE) tunnelFact(p, tun, srcId, dstId);
          }
          if (n.kind === NET_ARP && n.proto !== 0x8035) cf.arp = true;
          if (!seenAddress(srcId)) addAddress(cf, book.text[srcId]);
          if (!seenAddress(dstId)) addAddress(cf, book.text[dstId]);
          table.addPacket(p, ci, t, iface, loopbackCapture, srcId, dstId);
        },
        problem(pr: Parameters<typeof formatProblem>[0]) {
          const line = formatProblem({ ...pr, input: f.path });
          info.problems.push(line);
          problems.push(line);
        },
      };
      // The inventory's sha256 is taken in the same pass as the packets.
      const hash = opts.hash !== false ? createHash('sha256') : undefined;
      const summary = await readCapture(abs(f), handler, { stdin: opts.stdin, onRawChunk: hash ? (c) => hash.update(c) : undefined });
      if (hash && !summary.aborted) hashes.set(f.path, hash.digest('hex'));
      info.format = summary.format === 'unknown' ? undefined : `${summary.format}${summary.compressed ? '.gz' : ''}`;
      cf.ifindexes = [...ifindexes];
      cf.linktypes = [...linktypes];
      done += (await stat(abs(f)).catch(() => undefined))?.size ?? 0;
      opts.progress?.(done, total, stats.packets);
    }

    // capture windows the collector logged (a capture with no packet still proves it ran)
    captureInputs.forEach((f, i) => {
      const log = f.host !== undefined ? dumps.logs.get(f.host) : undefined;
      if (!log || log.captureStart === undefined || log.captureEnd === undefined || baseSec === undefined) return;
      points[i].windowStart = (log.captureStart - baseSec) * 1e9;
      points[i].windowEnd = (log.captureEnd + 1 - baseSec) * 1e9;
    });

    // topology again, now with what the captures showed; capture points re-bound
    topology = buildTopology(dumps.sections, facts, { lineText: dumps.lineText });
    captureInputs.forEach((f, i) => {
      const b = bindCapture(topology, { input: f.path, host: f.host, pcapngIfNames: facts[i].ifNames, sll2Ifindexes: facts[i].ifindexes, fileName: basename(f.path), facts: facts[i] });
      points[i].host = b.host;
      points[i].interface = facts[i].ifindexes.length > 1 ? 'any' : b.interface;
      topology.captures.push(b);
      if (b.via === 'content') {
        topology.findings.push({
          severity: 'warning',
          code: 'capture-point-inferred',
          message: `${f.path}: capture point ${b.host ?? '?'} ${b.interface ?? '?'} inferred from its content${b.note ? ` (${b.note})` : ''}`,
          evidence: [{ input: f.path }],
        });
      }
    });

    // explain, correlate, diagnose
    const flows = table.seal();
    const clocks = estimateClocks(flows, points);
    findLossyCaptures(flows, points, clocks);
    for (const c of points) {
      if (!c.missed) continue;
      topology.findings.push({
        severity: 'warning',
        code: 'capture-drops',
        message: `${c.input} (${c.host ?? '?'} ${c.interface ?? '?'}) missed ${c.missed} packet(s) that another capture of the same point saw: the capturing tool dropped them, so what it lacks is not taken as evidence of loss`,
        evidence: [{ input: c.input }, ...(c.missedExample ? [{ input: c.missedExample.input, packet: c.missedExample.packet, text: 'seen here, missing from ' + c.input }] : [])],
      });
    }
    const hints = vethHints(flows, points, topology);
    const diagnosed: DiagnosedFlow[] = [];
    const reports: FlowReport[] = [];
    flows.forEach((flow, k) => {
      const id = `f${k + 1}`;
      const loopHost = flow.loopback ? [...flow.seen.keys()].map((c) => points[c].host).find((h) => h) : undefined;
      const what = flowWhat(flow);
      let path = explainPath(topology, { src: flow.src.ip, dst: flow.dst.ip, dport: flow.dst.port, what, loopback: flow.loopback, loopbackHost: loopHost }, hints);
      const returnPath =
        flow.packets.rev > 0 ? explainPath(topology, { src: flow.dst.ip, dst: flow.src.ip, dport: flow.src.port, loopback: flow.loopback, loopbackHost: loopHost }, hints) : [];
      const verdict = flowVerdict(flow, path, returnPath, points, clocks);
      path = endAtLoss(path, verdict);
      const label = `${id} ${flow.protocol} ${endpointLabel(topology, flow.src.ip, flow.src.port)} -> ${endpointLabel(topology, flow.dst.ip, flow.dst.port)}`;
      diagnosed.push({ flow, id, path, returnPath, verdict, label });
      const unknown = path.some((s) => s.action === 'unknown');
      if (unknown) stats.unexplained += flow.packets.fwd + flow.packets.rev;
      const fwd = flow.journeys.filter((j) => j.dir === 'fwd');
      const hops = hopLatencies(fwd, path, points, clocks);
      const rtt = rttOf(flow, points, clocks);
      const seenAt: SeenAt[] = [...flow.seen.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([c, s]) => ({
          input: points[c].input,
          host: points[c].host,
          interface: points[c].interface === 'any' ? [...s.points].sort().join(',') || 'any' : points[c].interface,
          packets: s.packets,
          first: isoTime(baseSec! + Math.floor(s.first / 1e9), mod(s.first), 6),
          last: isoTime(baseSec! + Math.floor(s.last / 1e9), mod(s.last), 6),
        }));
      const r: FlowReport = {
        id,
        protocol: flow.protocol,
        src: endpoint(topology, flow.src.ip, flow.src.port),
        dst: endpoint(topology, flow.dst.ip, flow.dst.port),
        kind: flowKind(topology, flow, loopHost),
        verdict: verdict.verdict,
        packets: flow.packets.fwd + flow.packets.rev,
        path,
        seenAt,
        summary: pathSummary(path, flow.tunnel?.vni),
        why: verdict.why,
      };
      if (verdict.requests > 0 || verdict.responses > 0) {
        r.requests = verdict.requests;
        r.responses = verdict.responses;
      }
      if (returnPath.length > 0) r.returnPath = returnPath;
      if (flow.tunnel) r.tunnel = { ...flow.tunnel };
      if (hops.length > 0 || rtt !== undefined) r.latency = { hops, ...(rtt !== undefined ? { rttUs: rtt } : {}) };
      reports.push(r);
    });
    const findings = [...topology.findings, ...diagnose(diagnosed, topology, points)];
    findings.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);

    // inventory
    const inventory: InputReport[] = [];
    for (const f of inputs) {
      const r: InputReport = { path: f.path, kind: f.kind, problems: [] };
      if (f.host) r.host = f.host;
      if (f.kind === 'capture') {
        const i = captureInputs.indexOf(f);
        const info = perInput.get(f.path);
        if (points[i]?.interface) r.interface = points[i].interface;
        if (points[i]?.host) r.host = points[i].host;
        r.packets = info?.packets ?? 0;
        if (info?.format) r.format = info.format;
        r.problems = info?.problems ?? [];
      } else if (f.kind === 'dump') {
        r.commands = dumps.commands.get(f.path) ?? [];
        r.problems = dumps.problems.get(f.path) ?? [];
      }
      if (opts.hash !== false) r.sha256 = hashes.get(f.path) ?? (f.path === '-' ? undefined : await sha256(abs(f)));
      inventory.push(r);
    }
    for (const x of refused) {
      const row = inventory.find((r) => r.path === x.path);
      if (row) row.problems.push(x.line);
      else inventory.push({ path: x.path, kind: 'unknown', problems: [x.line] });
    }
    const report: Report = {
      schema: 'podpath.report/1',
      inputs: inventory,
      topology,
      flows: reports,
      findings,
      clocks: clocks.report,
      stats,
      problems,
    };
    const flowOfPacket = (input: string, packet: number): string | undefined => {
      const ci = points.findIndex((p) => p.input === input || p.input.endsWith('/' + input));
      if (ci < 0) return undefined;
      return diagnosed.find((d) => d.flow.journeys.some((j) => j.sightings.some((s) => s.capture === ci && s.packet === packet)))?.id;
    };
    let places: Map<number, Map<number, PacketPlace>> | undefined;
    const placeOf = (file: string, packet: number): PacketPlace | undefined => {
      if (!places) {
        places = new Map();
        for (const d of diagnosed) {
          const flowReport = reports.find((r) => r.id === d.id)!;
          for (const j of d.flow.journeys) {
            const path = j.dir === 'fwd' ? flowReport.path : (flowReport.returnPath ?? []);
            for (const sg of j.sightings) {
              const c = points[sg.capture];
              const m = places.get(sg.capture) ?? new Map<number, PacketPlace>();
              m.set(sg.packet, { flow: d.id, path, step: stepIndexOf(path, pointId(c.host, sg.iface ?? c.interface)) });
              places.set(sg.capture, m);
            }
          }
        }
      }
      const ci = captureInputs.findIndex((f) => abs(f) === resolve(opts.cwd, file));
      return ci < 0 ? undefined : places.get(ci)?.get(packet);
    };
    return { report, flowOfPacket, placeOf };
  } finally {
    for (const a of archives) await a.cleanup();
  }
}

/**
 * When no forward packet got past the point where they vanished, the path ends there, with a
 * `drop` step saying between which capture points (like a traceroute's last hop).
 */
function endAtLoss(path: Step[], v: FlowVerdict): Step[] {
  const fwd = v.lost.filter((l) => l.journey.dir === 'fwd');
  if (fwd.length === 0) return path;
  const k = Math.max(...fwd.map((l) => l.v.lastSeen!));
  // Some packet got further: the path itself works, only some packets were lost.
  if (v.fwdLastSeen.some((s) => s > k)) return path;
  const next = path[Math.min(...fwd.map((l) => l.v.missingAt!))];
  const last = path[k];
  const tunnel = path.slice(0, k + 1).some((s) => s.action === 'encap') && last.action === 'underlay' && next.host !== last.host;
  return [
    ...path.slice(0, k + 1),
    {
      host: last.host,
      interface: last.interface,
      action: 'drop',
      detail:
        `${fwd.length} packet(s) vanished after ${last.host} ${last.interface ?? ''}: never seen on ${next.host} ${next.interface ?? ''}, whose capture was running` +
        (tunnel ? ' (dropped in the underlay network between the nodes)' : ''),
    },
  ];
}

const SEVERITY_RANK = { info: 0, warning: 1, error: 2, critical: 3 } as const;

function mod(ns: number): number {
  const r = ns % 1e9;
  return r < 0 ? r + 1e9 : Math.round(r);
}

/** Archives (.tar.gz of an incident, as the collector packs) are extracted to a temp folder. */
async function expandArchives(paths: string[], cwd: string, archives: ExtractedArchive[], problems: string[]) {
  const out: string[] = [];
  const real = new Map<string, string>();
  const roots: { dir: string; name: string }[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    if (p !== '-' && (await isTarGz(abs).catch(() => false))) {
      const x = await extractArchive(abs);
      archives.push(x);
      problems.push(...x.problems);
      // A single top folder (as the collector packs) is the incident.
      let dir = x.dir;
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      if (entries.length === 1 && entries[0].isDirectory()) dir = join(dir, entries[0].name);
      roots.push({ dir: x.dir, name: p });
      out.push(dir);
    } else out.push(p);
  }
  const display = (path: string): string => {
    for (const r of roots) {
      const abs = resolve(cwd, path);
      if (abs.startsWith(r.dir)) {
        const shown = archiveDisplayPath(r.name, r.dir, abs);
        real.set(shown, abs);
        return shown;
      }
    }
    return path;
  };
  return { paths: out, display, real };
}

async function sha256(path: string): Promise<string | undefined> {
  try {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
    return h.digest('hex');
  } catch {
    return undefined;
  }
}

function flowWhat(f: Flow): string {
  const p = f.protocol;
  if (p === 'icmp' || p === 'icmp6') return f.key.includes('-echo-') ? `${p.toUpperCase()} echo` : p.toUpperCase();
  if (p === 'tcp' || p === 'udp') return `${p.toUpperCase()}${f.dst.port !== undefined ? ` to port ${f.dst.port}` : ''}`;
  if (p === 'arp') return 'ARP';
  return p.toUpperCase();
}

function endpoint(topo: Topology, ip: string, port?: number): Endpoint {
  const e: Endpoint = { ip };
  if (port !== undefined) e.port = port;
  const pod = podByIp(topo, ip);
  if (pod) {
    if (pod.source !== 'subnet' && pod.source !== 'capture') e.pod = pod.name;
    if (pod.namespace) e.namespace = pod.namespace;
    if (pod.host) e.host = pod.host;
  } else {
    const o = ownerOf(topo, ip);
    if (o) e.host = o.host.name;
  }
  return e;
}

function endpointLabel(topo: Topology, ip: string, port?: number): string {
  const pod = podByIp(topo, ip);
  const name = pod && pod.source !== 'subnet' && pod.source !== 'capture' ? `${pod.name} ` : '';
  return `${name}${ip}${port !== undefined ? `:${port}` : ''}`;
}

function flowKind(topo: Topology, f: Flow, loopHost: string | undefined): FlowKind {
  if (f.loopback || isLoopbackAddress(f.src.ip) || isLoopbackAddress(f.dst.ip)) {
    const h = topo.hosts.find((x) => x.name === loopHost);
    return h?.role === 'node' ? 'host' : 'intra-pod';
  }
  const side = (ip: string) => {
    const pod = podByIp(topo, ip);
    const owner = ownerOf(topo, ip);
    if (owner && owner.host.role === 'node') return { node: owner.host.name, pod: false };
    if (pod) return { node: pod.host, pod: true };
    if (owner) return { node: owner.host.node, pod: true };
    return undefined;
  };
  const a = side(f.src.ip);
  const b = side(f.dst.ip);
  if (!a || !b) return 'external';
  if (a.pod && b.pod) return a.node !== undefined && a.node === b.node ? 'same-node' : 'cross-node';
  return 'host';
}

/** Round-trip time at the source side: request seen -> response seen at the same point. */
function rttOf(f: Flow, points: CapturePointInfo[], clocks: ReturnType<typeof estimateClocks>): number | undefined {
  const resp = new Map<string, typeof f.journeys[number]>();
  for (const j of f.journeys) if (j.role === 'response' && j.pair) resp.set(j.pair, j);
  const samples: number[] = [];
  for (const req of f.journeys) {
    if (req.role !== 'request' || !req.pair) continue;
    const r = resp.get(req.pair);
    if (!r) continue;
    // The earliest sighting of the request, and the response at that same point.
    const first = [...req.sightings].sort((a, b) => a.t - b.t)[0];
    const back = r.sightings.find((s) => s.capture === first.capture && s.iface === first.iface);
    if (back) samples.push(clocks.correct(points[back.capture].host, back.t) - clocks.correct(points[first.capture].host, first.t));
  }
  return samples.length ? Math.round(median(samples) / 100) / 10 : undefined;
}

/**
 * Which veth is a pod's: a packet from a pod shows on its veth before any other point of the
 * node, and a packet to a pod shows on its veth after them (votes over all journeys).
 */
function vethHints(flows: Flow[], points: CapturePointInfo[], topo: Topology): PathHints {
  const votes = new Map<string, Map<string, number>>();
  const vote = (ip: string, key: string) => {
    const m = votes.get(ip) ?? new Map<string, number>();
    m.set(key, (m.get(key) ?? 0) + 1);
    votes.set(ip, m);
  };
  const isVeth = (host: string | undefined, iface: string | undefined) =>
    !!host && !!iface && topo.hosts.find((h) => h.name === host)?.interfaces.find((i) => i.name === iface)?.kind === 'veth';
  for (const f of flows) {
    for (const j of f.journeys) {
      const byHost = new Map<string, { iface?: string; t: number }[]>();
      for (const s of j.sightings) {
        const host = points[s.capture].host;
        const iface = s.iface ?? points[s.capture].interface;
        if (!host) continue;
        const l = byHost.get(host) ?? [];
        l.push({ iface, t: s.t });
        byHost.set(host, l);
      }
      const src = j.dir === 'fwd' ? f.src.ip : f.dst.ip;
      const dst = j.dir === 'fwd' ? f.dst.ip : f.src.ip;
      for (const [host, list] of byHost) {
        if (list.length < 2) continue;
        const sorted = [...list].sort((a, b) => a.t - b.t);
        const first = sorted[0];
        const last = sorted[sorted.length - 1];
        if (first.t < sorted[1].t && isVeth(host, first.iface)) vote(src, pointId(host, first.iface));
        if (last.t > sorted[sorted.length - 2].t && isVeth(host, last.iface)) vote(dst, pointId(host, last.iface));
      }
    }
  }
  const vethOf = new Map<string, { host: string; interface: string }>();
  for (const [ip, m] of votes) {
    const ranked = [...m].sort((a, b) => b[1] - a[1]);
    if (ranked.length === 1 || ranked[0][1] > ranked[1][1]) {
      const [host, iface] = ranked[0][0].split('|');
      vethOf.set(ip, { host, interface: iface });
    }
  }
  return { vethOf };
}
