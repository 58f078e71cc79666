/**
 * `podpath inputs <paths..>`: a dry run of what `analyze` would read. For each input: its kind and
 * format, the host it belongs to and why (--host, folder, hostname file, file-name prefix,
 * session prompt, the packets), for a capture the interface and why, for a dump the commands
 * recognised. Captures are streamed only for the facts binding needs (up to AUTO_SCAN_BYTES;
 * larger ones are bound by name), nothing is traced or diagnosed.
 *
 * Formats: text (one block per input), json ({ schema: "podpath.inputs/1", inputs: [...] }, each
 * row the inventory row of docs/report-json.md without packets and sha256).
 */
import { stat } from 'node:fs/promises';
import type { Argv } from 'yargs';
import type { Command } from './command.js';
import { EXIT, UserError, type Io, stderrLine } from '../io.js';
import { loadIncident } from '../inputs/load.js';
import { pcapngInterfaceNamesOf } from '../inputs/pcapng-names.js';
import { inputReasons } from '../inputs/reasons.js';
import { sniffInputDetails } from '../capture/open.js';
import { buildTopology } from '../topology/build.js';
import { newCaptureFacts, type CaptureFacts } from '../topology/facts.js';
import { scanCapture } from '../topology/scan.js';
import type { InputReport } from '../path/types.js';
import { AUTO_SCAN_BYTES } from './topology.js';
import { incidentArgs } from './host-options.js';

const FORMATS = ['text', 'json'] as const;

export type InputRow = Omit<InputReport, 'packets' | 'sha256'>;

/** Discovery, dump parsing and capture binding, nothing more. Problems are pushed, one line each. */
export async function listInputs(paths: string[], opts: { cwd: string; hosts?: Record<string, string> }, problems: string[]): Promise<InputRow[]> {
  const incident = await loadIncident(paths, opts, problems);
  try {
    const facts: CaptureFacts[] = [];
    const formats = new Map<string, string>();
    for (const f of incident.captures) {
      const abs = incident.abs(f);
      const d = await sniffInputDetails(abs);
      const fmt = d.kind === 'gzip' ? `${d.inner ?? 'unknown'}.gz` : d.kind;
      formats.set(f.path, fmt);
      const size = await stat(abs).then((s) => s.size).catch(() => Infinity);
      let cf: CaptureFacts;
      if (size <= AUTO_SCAN_BYTES) {
        const r = await scanCapture(abs, { input: f.path, host: f.host });
        for (const p of r.problems) problems.push(`${f.path}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`);
        cf = r.facts;
      } else {
        problems.push(`${f.path}: not scanned (larger than ${AUTO_SCAN_BYTES / 1024 / 1024} MiB): bound by name only`);
        cf = newCaptureFacts(f.path, f.host);
        cf.ifNames = await pcapngInterfaceNamesOf(abs);
      }
      if (f.nameRest) cf.fileName = f.nameRest;
      facts.push(cf);
    }
    const topology = buildTopology(incident.dumps.sections, facts, { lineText: incident.dumps.lineText });
    const rows: InputRow[] = [];
    for (const f of incident.inputs) {
      const row: InputRow = { path: f.path, kind: f.kind, problems: [] };
      if (f.host !== undefined) row.host = f.host;
      if (f.kind === 'capture') {
        const b = topology.captures.find((c) => c.input === f.path);
        Object.assign(row, inputReasons(f, b));
        if (b?.host) row.host = b.host;
        if (b?.interface) row.interface = b.interface;
        row.format = formats.get(f.path);
      } else {
        Object.assign(row, inputReasons(f));
        if (f.kind === 'dump') {
          row.format = f.gzip ? 'text.gz' : 'text';
          row.commands = incident.dumps.commands.get(f.path) ?? [];
          row.problems = incident.dumps.problems.get(f.path) ?? [];
        }
      }
      rows.push(row);
    }
    for (const x of incident.refused) {
      const row = rows.find((r) => r.path === x.path);
      if (row) row.problems.push(x.line);
      else rows.push({ path: x.path, kind: 'unknown', problems: [x.line] });
    }
    return rows;
  } finally {
    await incident.cleanup();
  }
}

export function renderInputsText(rows: InputRow[]): string {
  const out: string[] = [];
  for (const r of rows) {
    out.push(`${r.path}  ${r.kind}${r.format ? ' ' + r.format : ''}`);
    out.push(`  host ${r.host ?? '-'}  (${r.hostFrom ?? 'unknown'}: ${r.hostNote ?? ''})`);
    if (r.kind === 'capture') out.push(`  interface ${r.interface ?? '?'}  (${r.interfaceFrom ?? 'unknown'}: ${r.interfaceNote ?? ''})`);
    if (r.commands?.length) out.push(`  commands ${r.commands.join(', ')}`);
    for (const p of r.problems) out.push(`  problem ${p}`);
  }
  return out.join('\n') + '\n';
}

export const inputsCommand: Command = {
  command: 'inputs <paths..>',
  describe: "List what analyze would read: each input's host, interface, format and commands, with the reason (a dry run)",
  builder(y: Argv): Argv {
    return y
      .positional('paths', { type: 'string', array: true, describe: 'incident folder, host folders, files, globs or .tar.gz' })
      .option('format', { choices: FORMATS, default: 'text' as const, describe: 'output format' })
      .option('host', { type: 'string', array: true, describe: 'NAME=PATH: the inputs at PATH belong to host NAME (repeatable)' })
      .example('$0 inputs incident/', 'which host and interface each file is taken for, and why')
      .example('$0 inputs node1-eth0.pcap node2-eth0.pcap --format json', 'the same as JSON');
  },
  async run(argv: Record<string, unknown>, io: Io): Promise<number> {
    const format = String(argv.format ?? 'text') as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) throw new UserError(`--format must be one of ${FORMATS.join(', ')}, not ${format}`, EXIT.USAGE);
    const { paths, hosts } = incidentArgs(argv);
    const problems: string[] = [];
    const rows = await listInputs(paths, { cwd: io.cwd, hosts }, problems);
    for (const p of problems) io.err(stderrLine(p));
    const text = format === 'json' ? JSON.stringify({ schema: 'podpath.inputs/1', inputs: rows }, null, 2) + '\n' : renderInputsText(rows);
    if (!io.out(text)) await io.drain();
    return rows.some((r) => r.kind !== 'unknown') ? EXIT.OK : EXIT.NO_INPUT;
  },
};
