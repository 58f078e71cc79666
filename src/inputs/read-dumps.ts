/**
 * Reads every dump of an incident: command sections for the topology, the text of each line for
 * evidence, and the collector's logs (when its captures ran). Unreadable or oversized files
 * become problem lines; nothing throws.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzipBuffer } from '../capture/gunzip.js';
import { parseDump } from '../dumps/index.js';
import type { HostSection } from '../topology/build.js';
import { COLLECT_LOG_NAME, COLLECTOR_META, notAnalyzedCommand, parseCollectLog, type CollectLog } from './collect-log.js';
import type { InputFile } from './discover.js';
import { pushAll } from '../arrays.js';
import { fsPath } from './byte-paths.js';

/** A dump larger than this is not a command's output. */
export const MAX_DUMP_BYTES = 64 * 1024 * 1024;

export interface Dumps {
  sections: HostSection[];
  lineText: (input: string, line: number) => string | undefined;
  commands: Map<string, string[]>;
  problems: Map<string, string[]>;
  /** Collector logs by host: when its captures ran. */
  logs: Map<string, CollectLog>;
}

export async function readDumps(inputs: InputFile[], abs: (f: InputFile) => string, problems: string[]): Promise<Dumps> {
  const sections: HostSection[] = [];
  const lines = new Map<string, string[]>();
  const commands = new Map<string, string[]>();
  const perFile = new Map<string, string[]>();
  const logs = new Map<string, CollectLog>();
  for (const f of inputs) {
    if (f.kind !== 'dump') continue;
    if (basename(f.path) === COLLECT_LOG_NAME) {
      // The collector's log: when that host's captures ran, not a command's output.
      const text = await readFile(fsPath(abs(f)), 'utf8').catch(() => '');
      if (f.host !== undefined) logs.set(f.host, parseCollectLog(text));
      commands.set(f.path, ['collect-log']);
      continue;
    }
    if (COLLECTOR_META.test(basename(f.path))) {
      // uname.txt, the manifest: about the run, nothing to parse
      commands.set(f.path, ['collector-meta']);
      continue;
    }
    if (f.empty) {
      // a command that ran and printed nothing (no rules, no neighbours): a fact, not a problem
      commands.set(f.path, ['empty']);
      continue;
    }
    const mine: string[] = [];
    perFile.set(f.path, mine);
    let bytes: Buffer;
    try {
      const st = await stat(fsPath(abs(f)));
      if (st.size > MAX_DUMP_BYTES) {
        mine.push(`${f.path}: skipped: ${st.size} bytes is too large for a command dump`);
        pushAll(problems, mine);
        continue;
      }
      bytes = await readFile(fsPath(abs(f)));
      if (f.gzip) {
        // What decompresses before damage is kept (gunzip.ts); the damage is one line.
        const z = gunzipBuffer(bytes, MAX_DUMP_BYTES);
        for (const p of z.problems) mine.push(`${f.path}: compressed byte offset ${p.offset}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`);
        bytes = z.data;
      }
    } catch (e) {
      mine.push(`${f.path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      pushAll(problems, mine);
      continue;
    }
    lines.set(f.path, bytes.toString('utf8').split(/\r?\n/));
    const cmds: string[] = [];
    const parsed = parseDump(f.path, bytes);
    const known = notAnalyzedCommand(basename(f.path));
    if (known !== undefined && parsed.every((s) => s.command === 'unknown')) {
      // saved by the collector for a command podpath does not analyze: known, not a problem
      commands.set(f.path, [`${known} (not analyzed)`]);
      continue;
    }
    for (const section of parsed) {
      sections.push({ host: f.host, section });
      cmds.push(section.command);
      for (const p of section.problems) mine.push(`${f.path}:${p.line}: ${p.message}`);
    }
    commands.set(f.path, cmds);
    pushAll(problems, mine);
  }
  return { sections, lineText: (input, line) => lines.get(input)?.[line - 1], commands, problems: perFile, logs };
}

