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
import { matchFlows } from './flow-match.js';
import { SECTIONS, type Section } from '../report/formats.js';
import { wantColor } from '../report/color.js';
import { FILTER_OPTIONS, applyFlowFilter, parseFlowFilter } from '../filter/flows.js';

/** --fail-on's choices, least severe first (the order is src/severity.ts'). */
const FAIL_ON: readonly Severity[] = [...SEVERITIES].reverse();

function common(y: Argv): Argv {
  return y
    .positional('paths', { type: 'string', array: true, describe: 'incident folder, host folders, captures, dumps, .tar.gz archives or globs ("-" reads a capture from stdin)' })
    .option('host', { type: 'string', array: true, describe: 'NAME=PATH: the inputs at PATH belong to host NAME (repeatable)' })
    .option('vxlan-port', { type: 'number', array: true, describe: 'also decode this UDP port as VXLAN (4789 and 8472 always are)' })
    .option('geneve-port', { type: 'number', array: true, describe: 'also decode this UDP port as Geneve (6081 always is)' })
    .option('quiet', { type: 'boolean', describe: 'no progress bar and no problem lines on stderr' })
    .option('color', { choices: ['auto', 'always', 'never'] as const, default: 'auto' as const, describe: 'ANSI colour (auto: on a terminal, unless NO_COLOR is set)' })
    .options(FILTER_OPTIONS);
}

/** The report narrowed by --pod/--node/--proto/--verdict/--since/--until (findings stay). */
function filtered(report: Report, argv: Record<string, unknown>): Report {
  const filter = parseFlowFilter(argv);
  return filter ? applyFlowFilter(report, filter) : report;
}

/** Text render options from --color, --verbose, --show and the terminal. */
function textOptions(argv: Record<string, unknown>, io: Io): { columns?: number; color: boolean; show: Section[] } {
  const show = new Set<Section>();
  if (argv.verbose) for (const s of SECTIONS) show.add(s);
  for (const item of ((argv.show as unknown[] | undefined) ?? []).flatMap((v) => String(v).split(','))) {
    const s = item.trim();
    if (s === '') continue;
    if (s === 'all') for (const x of SECTIONS) show.add(x);
    else if ((SECTIONS as readonly string[]).includes(s)) show.add(s as Section);
    else throw new UserError(`--show takes ${SECTIONS.join(', ')} or all (comma-separated), not ${JSON.stringify(s)}`, EXIT.USAGE);
  }
  return { columns: io.columns, color: wantColor(argv.color, io.stdoutIsTTY, io.noColor), show: [...show] };
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
      .option('verbose', { alias: 'v', type: 'boolean', describe: 'text: also the inputs, the topology and every flow' })
      .option('show', { type: 'string', array: true, describe: `text: also these sections (${SECTIONS.join(',')})` })
      .example('$0 analyze samples/blocked-overlay', 'an incident folder: one sub-folder per node')
      .example('$0 analyze incident.tar.gz --format markdown > report.md', 'a collector archive, as a ticket attachment')
      .example('$0 analyze node1/eth0.pcap node2/eth0.pcap --fail-on error', 'exit 1 when something is broken');
  },
  async run(argv: Record<string, unknown>, io: Io): Promise<number> {
    parseFlowFilter(argv);
    const { report: whole } = await analyzeDetailed(paths(argv), analyzeOptions(argv, io));
    const code = finish(whole, argv, io);
    if (code === EXIT.NO_INPUT) return code;
    const report = filtered(whole, argv);
    const format = String(argv.format ?? 'text') as Format;
    // Streamed: written chunk by chunk as it is rendered, waiting for the pipe between them;
    // only the renderer of this format is loaded.
    const chunks = await loadChunks(format);
    await writeChunks(io, chunks(report, textOptions(argv, io)));
    return code;
  },
};

export const explainCommand: Command = {
  command: 'explain <paths..>',
  describe: 'The hop-by-hop story of one flow or packet, with the evidence of each step',
  builder(y: Argv): Argv {
    return common(y)
      .option('flow', { type: 'string', describe: 'the flow: its id (f2), "SRC > DST" / "SRC -> DST" with IPs (:port optional), pod or ns/pod names (either direction), or a Service ("default/web")' })
      .option('all', { type: 'boolean', describe: 'every flow --flow matches, not only the best' })
      .option('packet', { type: 'string', describe: 'the flow of this packet: FILE#N (N as tcpdump -# counts)' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'text story, or the flows as JSON' })
      .example('$0 explain samples/cross-node --flow "pod2 > pod1"', 'the best-matching flow from pod2 to pod1, hop by hop')
      .example('$0 explain samples/cross-node --flow f2', 'flow f2 as analyze numbers it')
      .example('$0 explain samples/same-node --packet ip-10-32-7-224/cni0.pcap#3', 'the flow of the 3rd packet of that capture');
  },
  async run(argv: Record<string, unknown>, io: Io): Promise<number> {
    parseFlowFilter(argv);
    const { report: whole, flowOfPacket } = await analyzeDetailed(paths(argv), analyzeOptions(argv, io));
    const code = finish(whole, argv, io);
    if (code === EXIT.NO_INPUT) return code;
    const report = filtered(whole, argv);
    let ids: string[] = [];
    let others: string[] = [];
    if (argv.flow !== undefined) {
      const all = matchFlows(report, String(argv.flow));
      if (all.length === 0) {
        const list = report.flows.filter((f) => f.kind !== 'link-local').map((f) => `${f.id} ${f.src.pod ?? f.src.ip} > ${f.dst.pod ?? f.dst.ip}`);
        throw new UserError(`no flow matches ${JSON.stringify(argv.flow)}; flows: ${list.join(', ') || 'none'}`, EXIT.USAGE);
      }
      ids = argv.all ? all : all.slice(0, 1);
      others = argv.all ? [] : all.slice(1);
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
      await write(io, renderExplain(report, ids, { ...textOptions(argv, io), others }));
    }
    return code;
  },
};
