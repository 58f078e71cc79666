/**
 * Phase 6 of the pipeline: the report (podpath.report/1) and the packet lookups behind
 * `packets --paths` and `explain --packet`.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import type { Incident } from '../inputs/load.js';
import type { Observed } from '../observe/captures.js';
import { pointId, stepIndexOf, type Clocks } from '../path/correlate.js';
import type { DiagnosedFlow } from '../path/diagnose.js';
import type { FlowReport, InputReport, Report, Step } from '../path/types.js';
import type { Finding, Topology } from '../topology/model.js';
import { inputReasons } from '../inputs/reasons.js';
import { fsPath } from '../inputs/byte-paths.js';

export interface PacketPlace {
  flow: string;
  path: Step[];
  step: number;
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

export interface Assembly {
  incident: Incident;
  observed: Observed;
  topology: Topology;
  flows: FlowReport[];
  diagnosed: DiagnosedFlow[];
  findings: Finding[];
  clocks: Clocks;
  problems: string[];
  hash: boolean;
  cwd: string;
}

export async function assembleReport(a: Assembly): Promise<Analysis> {
  const report: Report = {
    schema: 'podpath.report/1',
    inputs: await inventory(a),
    topology: a.topology,
    flows: a.flows,
    findings: a.findings,
    clocks: a.clocks.report,
    stats: a.observed.stats,
    problems: a.problems,
  };
  return { report, ...packetLookups(a) };
}

/** One row per input: host, interface, format, packets, sha256, commands, problems. */
async function inventory(a: Assembly): Promise<InputReport[]> {
  const { incident, observed } = a;
  const rows: InputReport[] = [];
  const captureIndex = new Map(incident.captures.map((f, i) => [f, i]));
  for (const f of incident.inputs) {
    const r: InputReport = { path: f.path, kind: f.kind, problems: [] };
    if (f.host) r.host = f.host;
    let sha: string | undefined;
    if (f.kind === 'capture') {
      const i = captureIndex.get(f)!;
      const point = observed.points[i];
      const read = observed.reads[i];
      if (point?.interface) r.interface = point.interface;
      if (point?.host) r.host = point.host;
      Object.assign(r, inputReasons(f, a.topology.captures.find((c) => c.input === f.path)));
      r.packets = read?.packets ?? 0;
      if (read?.format) r.format = read.format;
      r.problems = read?.problems ?? [];
      if (read?.notDecoded?.size) r.notDecoded = [...read.notDecoded].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([what, packets]) => ({ what, packets }));
      sha = read?.sha256;
    } else if (f.kind === 'dump') {
      Object.assign(r, inputReasons(f));
      r.commands = incident.dumps.commands.get(f.path) ?? [];
      r.problems = incident.dumps.problems.get(f.path) ?? [];
    }
    if (a.hash) r.sha256 = sha ?? (f.path === '-' ? undefined : await sha256(incident.abs(f)));
    rows.push(r);
  }
  const byPath = new Map(rows.map((r) => [r.path, r]));
  for (const x of incident.refused) {
    const row = byPath.get(x.path);
    if (row) row.problems.push(x.line);
    else rows.push({ path: x.path, kind: 'unknown', problems: [x.line] });
  }
  return rows;
}

async function sha256(path: string): Promise<string | undefined> {
  try {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(fsPath(path), { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
    return h.digest('hex');
  } catch {
    return undefined;
  }
}

function packetLookups(a: Assembly): Pick<Analysis, 'flowOfPacket' | 'placeOf'> {
  const points = a.observed.points;
  const flowOfPacket = (input: string, packet: number): string | undefined => {
    const ci = points.findIndex((p) => p.input === input || p.input.endsWith('/' + input));
    if (ci < 0) return undefined;
    return a.diagnosed.find((d) => d.flow.journeys.some((j) => j.sightings.some((s) => s.capture === ci && s.packet === packet)))?.id;
  };
  let places: Map<number, Map<number, PacketPlace>> | undefined;
  const build = () => {
    const out = new Map<number, Map<number, PacketPlace>>();
    const byId = new Map(a.flows.map((r) => [r.id, r]));
    for (const d of a.diagnosed) {
      const flowReport = byId.get(d.id)!;
      for (const j of d.flow.journeys) {
        const path = j.dir === 'fwd' ? flowReport.path : (flowReport.returnPath ?? []);
        for (const sg of j.sightings) {
          const c = points[sg.capture];
          const m = out.get(sg.capture) ?? new Map<number, PacketPlace>();
          m.set(sg.packet, { flow: d.id, path, step: stepIndexOf(path, pointId(c.host, sg.iface ?? c.interface)) });
          out.set(sg.capture, m);
        }
      }
    }
    return out;
  };
  const placeOf = (file: string, packet: number): PacketPlace | undefined => {
    places ??= build();
    const ci = a.incident.captures.findIndex((f) => a.incident.abs(f) === resolve(a.cwd, file));
    return ci < 0 ? undefined : places.get(ci)?.get(packet);
  };
  return { flowOfPacket, placeOf };
}
