/**
 * The pipeline, top to bottom. Each phase is one call, run once, in order, handing typed values
 * to the next; every phase adds its problems (one line each, naming the file, and packet and
 * byte offset where they apply) to one list, and bad input never throws.
 *
 *   1 load      inputs/load.ts         folders, files, globs, .tar.gz -> inputs tied to hosts; dumps parsed
 *   2 observe   observe/captures.ts    every capture streamed once: frames -> packets -> flows and
 *                                      journeys (the same packet at several points) + capture facts
 *   3 topology  topology/build.ts      dumps + capture facts -> hosts, bridges, veths, overlay map,
 *                                      pods, capture points bound (built once)
 *   4 clocks    path/correlate.ts      clock offsets between hosts; captures that dropped packets
 *   5 trace     trace/trace.ts         each flow on the topology (explain) and its journeys on that
 *                                      path (correlate): steps, verdicts, latencies
 *   6 diagnose  path/diagnose.ts       findings with evidence, ranked
 *   7 assemble  report/assemble.ts     the Report (podpath.report/1), rendered by src/report/
 *   8 gaps      path/gaps.ts           what the evidence cannot judge, and the command to run where
 *
 * Where a new protocol, dump format, finding or report format goes: docs/architecture.md.
 */
import type { Readable } from 'node:stream';
import { loadIncident } from './inputs/load.js';
import { nameCapturePoints, observeCaptures } from './observe/captures.js';
import { buildTopology } from './topology/build.js';
import { estimateClocks, findLossyCaptures } from './path/correlate.js';
import { traceFlows } from './trace/trace.js';
import { captureDropFindings, diagnose } from './path/diagnose.js';
import { joinNatFlows } from './nat/join.js';
import { natFindings } from './nat/findings.js';
import { rankFindings } from './severity.js';
import { consolidate } from './path/root-cause.js';
import { assembleReport, type Analysis } from './report/assemble.js';
import { computeGaps } from './path/gaps.js';
import type { Report } from './path/types.js';

export type { Analysis, PacketPlace } from './report/assemble.js';

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

export async function analyzeDetailed(paths: string[], opts: AnalyzeOptions): Promise<Analysis> {
  const problems: string[] = [];
  const incident = await loadIncident(paths, opts, problems);
  try {
    const observed = await observeCaptures(incident, opts, problems);
    const topology = buildTopology(incident.dumps.sections, observed.facts, { lineText: incident.dumps.lineText });
    const sealed = observed.table.seal();
    nameCapturePoints(observed, topology, sealed, incident.dumps.logs);
    // One flow per connection across NAT (kube-proxy Services): src/nat/join.ts
    const flows = joinNatFlows(sealed, topology, observed.points);

    const clocks = estimateClocks(flows, observed.points);
    findLossyCaptures(flows, observed.points, clocks);
    topology.findings.push(...captureDropFindings(observed.points));
    const traced = traceFlows(flows, topology, observed.points, clocks, observed.baseSec);
    observed.stats.unexplained += traced.unexplained;

    // One root cause, its consequences under it (src/path/root-cause.ts); ranked.
    const findings = consolidate(rankFindings([...topology.findings, ...diagnose(traced.diagnosed, topology, observed.points), ...natFindings(traced.diagnosed, topology, observed.points)]));
    const analysis = await assembleReport({ incident, observed, topology, flows: traced.reports, diagnosed: traced.diagnosed, findings, clocks, problems, hash: opts.hash !== false, cwd: opts.cwd });
    // 8 gaps: what the evidence cannot judge, and the commands that would answer it.
    const r = analysis.report;
    r.gaps = computeGaps({
      sections: incident.dumps.sections,
      captures: observed.points.map((p, i) => ({ input: p.input, host: p.host, packets: observed.reads[i]?.packets ?? 0 })),
      topology,
      flows: r.flows,
      inputs: r.inputs,
    });
    return analysis;
  } finally {
    await incident.cleanup();
  }
}
