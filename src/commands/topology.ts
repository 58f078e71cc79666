/**
 * `podpath topology <paths..>`: rebuilds the network of an incident (hosts, interfaces, bridges,
 * veth pairs, VXLAN overlay map, pods) from its dumps, and ties captures to capture points by
 * pcapng interface name, SLL2 index, file name or content. Captures up to AUTO_SCAN_BYTES are
 * streamed for their facts (tunnel outer headers, addresses); `--no-scan` binds by name only.
 *
 * Formats: text (tables), json (docs/topology-json.md, schema podpath.topology/1), mermaid, dot.
 * Input problems go to standard error, one line each.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { Command } from './command.js';
import { EXIT, UserError, type Io, problemLine, problemText } from '../io.js';
import { discoverIncident, type InputFile } from '../inputs/discover.js';
import { pcapngInterfaceNamesOf } from '../inputs/pcapng-names.js';
import { readDumps } from '../inputs/read-dumps.js';
import { buildTopology } from '../topology/build.js';
import { newCaptureFacts, type CaptureFacts } from '../topology/facts.js';
import { scanCapture } from '../topology/scan.js';
import type { Topology } from '../topology/model.js';
import { renderTopologyText } from '../report/topology-text.js';
import { renderTopologyJson } from '../report/topology-json.js';
import { renderTopologyMermaid } from '../report/topology-mermaid.js';
import { renderTopologyDot } from '../report/topology-dot.js';

const FORMATS = ['text', 'json', 'mermaid', 'dot'] as const;

import { incidentArgs, parseHostOptions } from './host-options.js';

export { parseHostOptions };

export interface LoadedIncident {
  inputs: InputFile[];
  topology: Topology;
  /** Problems, one line each (`path: message` or `path:line: message`). */
  problems: string[];
}

/** Discovery -> dump parsing -> topology. The library entry behind the command. */
/** Captures up to this size are streamed for content facts unless --no-scan; larger ones only with --scan. */
export const AUTO_SCAN_BYTES = 64 * 1024 * 1024;

export async function loadTopology(
  paths: string[],
  opts: { hosts?: Record<string, string>; cwd: string; scan?: boolean },
): Promise<LoadedIncident> {
  const { inputs, problems: found } = await discoverIncident(paths, opts);
  const problems = found.map((p) => `${p.path}: ${p.message}`);
  const dumps = await readDumps(inputs, (f) => resolve(opts.cwd, f.path), problems);
  const captures: CaptureFacts[] = [];
  for (const f of inputs) {
    const abs = resolve(opts.cwd, f.path);
    if (f.kind === 'capture') {
      let scan = opts.scan === true;
      if (opts.scan === undefined) {
        const size = await stat(abs).then((s) => s.size).catch(() => Infinity);
        scan = size <= AUTO_SCAN_BYTES;
        if (!scan) problems.push(`${f.path}: not scanned (larger than ${AUTO_SCAN_BYTES / 1024 / 1024} MiB; --scan reads it): bound by name only`);
      }
      if (scan) {
        const r = await scanCapture(abs, { input: f.path, host: f.host });
        for (const p of r.problems) problems.push(problemText({ ...p, input: f.path }));
        if (f.nameRest) r.facts.fileName = f.nameRest;
        captures.push(r.facts);
      } else {
        const facts = newCaptureFacts(f.path, f.host);
        if (f.nameRest) facts.fileName = f.nameRest;
        facts.ifNames = await pcapngInterfaceNamesOf(abs);
        captures.push(facts);
      }
    }
  }
  const topology = buildTopology(dumps.sections, captures, { lineText: dumps.lineText });
  return { inputs, topology, problems };
}

export function renderTopology(t: Topology, format: (typeof FORMATS)[number], columns?: number): string {
  switch (format) {
    case 'json':
      return renderTopologyJson(t);
    case 'mermaid':
      return renderTopologyMermaid(t);
    case 'dot':
      return renderTopologyDot(t);
    default:
      return renderTopologyText(t, columns);
  }
}

export const topologyCommand: Command = {
  command: 'topology <paths..>',
  describe: 'Rebuild the network of an incident: hosts, bridges, veth pairs, the VXLAN overlay map, pods',
  builder(y: Argv): Argv {
    return y
      .positional('paths', { type: 'string', array: true, describe: 'incident folder, host folders, files or globs' })
      .option('format', { choices: FORMATS, default: 'text' as const, describe: 'output format (json: docs/topology-json.md)' })
      .option('scan', {
        type: 'boolean',
        describe: `stream captures for content facts (tunnel VTEPs, VNI/port, capture points); default: captures up to ${AUTO_SCAN_BYTES / 1024 / 1024} MiB`,
      })
      .option('host', { type: 'string', array: true, describe: 'NAME=PATH: the inputs at PATH belong to host NAME (repeatable)' })
      .example('$0 topology incident/', 'sub-folders are hosts, root files (kubectl output) apply to all')
      .example('$0 topology --host node1=dumps/a.txt --host node2=dumps/b.txt', 'name the host of loose files')
      .example('$0 topology incident/ --format mermaid', 'a diagram for a Markdown page');
  },
  async run(argv: Record<string, unknown>, io: Io): Promise<number> {
    const format = String(argv.format ?? 'text') as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) throw new UserError(`--format must be one of ${FORMATS.join(', ')}, not ${format}`, EXIT.USAGE);
    const { paths, hosts } = incidentArgs(argv);
    const scan = typeof argv.scan === 'boolean' ? argv.scan : undefined;
    const { inputs, topology, problems } = await loadTopology(paths, { hosts, cwd: io.cwd, scan });
    for (const p of problems) io.err(problemLine(p));
    if (inputs.length === 0) {
      io.err('podpath: no input could be read');
      return EXIT.NO_INPUT;
    }
    if (!io.out(renderTopology(topology, format, io.columns))) await io.drain();
    return EXIT.OK;
  },
};
