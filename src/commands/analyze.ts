/**
 * `podpath analyze <paths..>` (the main job, the default command): inputs inventory, topology
 * summary, flows with their paths and verdicts, findings with evidence.
 * `podpath explain <paths..> --flow "A > B" | --packet FILE#N`: the hop-by-hop story.
 */
import { SEVERITIES, atLeast } from '../severity.js';
import type { Argv } from 'yargs';
import type { Command } from './command.js';
import { EXIT, UserError, problemLine, type Io } from '../io.js';
import { analyzeDetailed, type AnalyzeOptions } from '../analyze.js';
import { FORMATS, loadChunks, type Format } from '../report/formats.js';
import { writeChunks } from '../report/stream.js';
import type { Report } from '../path/types.js';
import type { Severity } from '../topology/model.js';
import { parseHostOptions } from './host-options.js';

/** --fail-on's choices, least severe first (the order is src/severity.ts'). */
const FAIL_ON: readonly Severity[] = [...SEVERITIES].reverse();

function common(y: Argv): Argv {
  return y
    .positional('paths', { type: 'string', array: true, describe: 'incident folder, host folders, captures, dumps, .tar.gz archives or globs ("-" reads a capture from stdin)' })
    .option('host', { type: 'string', array: true, describe: 'NAME=PATH: the inputs at PATH belong to host NAME (repeatable)' })
    .option('vxlan-port', { type: 'number', array: true, describe: 'also decode this UDP port as VXLAN (4789 and 8472 always are)' })
    .option('geneve-port', { type: 'number', array: true, describe: 'also decode this UDP port as Geneve (6081 always is)' })
    .option('quiet', { type: 'boolean', describe: 'no progress bar and no problem lines on stderr' });
}

function numbers(v: unknown, name: string): number[] {
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
  return list.map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UserError(`--${name} takes a UDP port (1-65535), not ${String(x)}`, EXIT.USAGE);
    return n;
  });
}

export function analyzeOptions(argv: Record<string, unknown>, io: Io): AnalyzeOptions {
  const quiet = Boolean(argv.quiet);
  let last = 0;
  return {
    cwd: io.cwd,
    hosts: parseHostOptions(argv.host),
    vxlanPorts: numbers(argv['vxlan-port'], 'vxlan-port'),
    genevePorts: numbers(argv['geneve-port'], 'geneve-port'),
    stdin: io.stdin,
    progress:
      io.stderrIsTTY && io.status && !quiet
        ? (done, total, packets) => {
            const now = Date.now();
            if (now - last < 200 && done < total) return;
            last = now;
            const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
            const bar = '#'.repeat(Math.floor(pct / 5)).padEnd(20, '.');
            io.status!(`\r[${bar}] ${pct}% ${(done / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB, ${packets} packets${done >= total ? '\n' : ''}`);
          }
        : undefined,
  };
}

function paths(argv: Record<string, unknown>): string[] {
  const p = ((argv.paths as unknown[] | undefined) ?? []).map(String);
  if (p.length === 0) throw new UserError('name an incident folder, host folders, captures or dumps', EXIT.USAGE);
  return p;
}

/** Problems to stderr (one line each), and the exit code the report calls for. */
export function finish(report: Report, argv: Record<string, unknown>, io: Io): number {
  if (!argv.quiet) for (const p of report.problems) io.err(problemLine(p));
  const readSomething = report.inputs.some((i) => (i.packets ?? 0) > 0 || (i.commands ?? []).some((c) => c !== 'unknown'));
  if (!readSomething) {
    io.err('podpath: no input could be read');
    return EXIT.NO_INPUT;
  }
  const failOn = argv['fail-on'] as Severity | undefined;
  if (failOn) {
        if (report.findings.some((f) => atLeast(f.severity, failOn))) return EXIT.FINDING;
  }
  return EXIT.OK;
}

async function write(io: Io, text: string): Promise<void> {
  if (!io.out(text)) await io.drain();
}

export const analyzeCommand: Command = {
  command: ['analyze <paths..>', '$0 <paths..>'],
  describe: 'Explain every flow in an incident: paths, verdicts, where packets were lost, findings',
  builder(y: Argv): Argv {
    return common(y)
      .option('format', { choices: FORMATS, default: 'text' as const, describe: 'output format (json: docs/report-json.md)' })
      .option('fail-on', { choices: FAIL_ON, describe: 'exit 1 when a finding at or above this severity is reported' })
      .example('$0 analyze samples/blocked-overlay', 'an incident folder: one sub-folder per node')
      .example('$0 analyze incident.tar.gz --format markdown > report.md', 'a collector archive, as a ticket attachment')
      .example('$0 analyze node1/eth0.pcap node2/eth0.pcap --fail-on error', 'exit 1 when something is broken');
  },
  async run(argv: Record<string, unknown>, io: Io): Promise<number> {
    const { report } = await analyzeDetailed(paths(argv), analyzeOptions(argv, io));
    const code = finish(report, argv, io);
    if (code === EXIT.NO_INPUT) return code;
    const format = String(argv.format ?? 'text') as Format;
    // Streamed: written chunk by chunk as it is rendered, waiting for the pipe between them;
    // only the renderer of this format is loaded.
    const chunks = await loadChunks(format);
    await writeChunks(io, chunks(report, { columns: io.columns }));
    return code;
  },
};

/** "10.42.0.37 > 10.42.1.39", ports optional ("10.42.0.37:5000 > 10.42.1.39:80"), either direction. */
function matchFlow(report: Report, spec: string): string[] {
  const m = /^\s*([^\s>]+)\s*>\s*([^\s>]+)\s*$/.exec(spec);
  // A Service name: "default/web" or "web" (its connections).
  if (!m && /^\s*[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?\s*$/.test(spec)) {
    const [ns, name] = spec.trim().includes('/') ? spec.trim().split('/') : [undefined, spec.trim()];
    return report.flows.filter((f) => f.service && f.service.name === name && (ns === undefined || f.service.namespace === ns)).map((f) => f.id);
  }
  if (!m) throw new UserError(`--flow takes "SRC > DST" (addresses, optionally :port) or a Service name, not ${JSON.stringify(spec)}`, EXIT.USAGE);
  const parse = (x: string) => {
    const v6 = x.includes(':') && x.indexOf(':') !== x.lastIndexOf(':');
    const c = v6 ? -1 : x.lastIndexOf(':');
    return c > 0 ? { ip: x.slice(0, c), port: Number(x.slice(c + 1)) } : { ip: x, port: undefined };
  };
  const a = parse(m[1]);
  const b = parse(m[2]);
  const hit = (e: { ip: string; port?: number }, want: { ip: string; port?: number }) => e.ip === want.ip && (want.port === undefined || e.port === want.port);
  return report.flows.filter((f) => (hit(f.src, a) && hit(f.dst, b)) || (hit(f.src, b) && hit(f.dst, a))).map((f) => f.id);
}

export const explainCommand: Command = {
  command: 'explain <paths..>',
  describe: 'The hop-by-hop story of one flow or packet, with the evidence of each step',
  builder(y: Argv): Argv {
    return common(y)
      .option('flow', { type: 'string', describe: 'the flow: "SRC > DST" (either direction; :port optional), or a Service ("default/web" or "web")' })
      .option('packet', { type: 'string', describe: 'the flow of this packet: FILE#N (N as tcpdump -# counts)' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'text story, or the flows as JSON' })
      .example('$0 explain samples/cross-node --flow "10.42.0.37 > 10.42.1.39"', 'the cross-node ping, hop by hop')
      .example('$0 explain samples/same-node --packet ip-10-32-7-224/cni0.pcap#3', 'the flow of the 3rd packet of that capture');
  },
  async run(argv: Record<string, unknown>, io: Io): Promise<number> {
    const { report, flowOfPacket } = await analyzeDetailed(paths(argv), analyzeOptions(argv, io));
    const code = finish(report, argv, io);
    if (code === EXIT.NO_INPUT) return code;
    let ids: string[] = [];
    if (argv.flow !== undefined) {
      ids = matchFlow(report, String(argv.flow));
      if (ids.length === 0) throw new UserError(`no flow matches ${JSON.stringify(argv.flow)}; flows: ${report.flows.map((f) => `${f.src.ip} > ${f.dst.ip}`).join(', ') || 'none'}`, EXIT.USAGE);
    } else if (argv.packet !== undefined) {
      const m = /^(.*)#(\d+)$/.exec(String(argv.packet));
      if (!m) throw new UserError(`--packet takes FILE#N, not ${JSON.stringify(argv.packet)}`, EXIT.USAGE);
      const id = flowOfPacket(m[1], Number(m[2]));
      if (!id) throw new UserError(`packet ${m[2]} of ${m[1]} belongs to no flow (not read, not decoded, or no such capture)`, EXIT.USAGE);
      ids = [id];
    }
    if (argv.format === 'json') {
      await write(io, JSON.stringify(report.flows.filter((f) => ids.length === 0 || ids.includes(f.id)), null, 2) + '\n');
    } else {
      const { renderExplain } = await import('../report/text.js');
      await write(io, renderExplain(report, ids, { columns: io.columns }));
    }
    return code;
  },
};
