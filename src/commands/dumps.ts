/**
 * `podpath dumps <inputs..>`: what each pasted or saved command output is, and what was read from it.
 *
 * Inputs are files, folders (recursive; binary files such as pcap, pcapng and gzip are skipped by
 * their first bytes), globs, or "-" for standard input. Prints one row per command output found, or
 * with `--format json` the array documented in docs/dumps-json.md (schema podpath.dumps/1).
 * Problems go to standard error, one line each: `input:line: message`.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import type { Readable } from 'node:stream';
import type { Argv } from 'yargs';
import { globby } from 'globby';
import { getBorderCharacters, table } from 'table';
import type { Command } from './command.js';
import { EXIT, UserError, type Io, problemLine } from '../io.js';
import { maxOf } from '../arrays.js';
import { parseDump, parserFor } from '../dumps/index.js';
import { looksBinary } from '../dumps/text.js';
import type { DumpSection } from '../dumps/types.js';

/** Dumps larger than this are not text someone pasted. */
const MAX_DUMP_BYTES = 64 * 1024 * 1024;

export const DUMPS_SCHEMA = 'podpath.dumps/1';

/** Files a folder walk leaves out: scripts, sources and documents beside the dumps (named files are always read). */
const NOT_DUMPS = /\.(sh|bash|py|js|mjs|cjs|ts|go|rs|c|h|md|markdown|html?|ya?ml|toml|ini|cfg|conf|tsv|csv|pcap|pcapng|cap|gz|tgz|zst|xz|bz2|zip|tar)$/i;

/** Why a file found in a folder is not a dump: its first bytes. Undefined when it may be text. */
export function binaryKind(head: Uint8Array): string | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4) {
    const be = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
    const le = ((head[3] << 24) | (head[2] << 16) | (head[1] << 8) | head[0]) >>> 0;
    if ([0xa1b2c3d4, 0xa1b23c4d].includes(be) || [0xa1b2c3d4, 0xa1b23c4d].includes(le)) return 'pcap';
    if (be === 0x0a0d0d0a) return 'pcapng';
    if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4) return 'zip';
    if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
    if (head[0] === 0xfd && head[1] === 0x37 && head[2] === 0x7a && head[3] === 0x58) return 'xz';
    if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return 'bzip2';
    if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) return 'ELF';
  }
  if (looksBinary(head)) return 'binary';
  return undefined;
}

interface Found {
  /** Name shown in output (as given, or relative to the folder named). */
  name: string;
  path?: string;
  /** Found while walking a folder (binary files there are skipped quietly). */
  fromFolder: boolean;
}

async function walk(dir: string, shown: string, out: Found[], skipped: { n: number }, depth = 0): Promise<void> {
  if (depth > 32) return;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    const s = join(shown, e.name);
    if (e.isDirectory()) await walk(p, s, out, skipped, depth + 1);
    else if (e.isFile() && NOT_DUMPS.test(e.name)) skipped.n++;
    else if (e.isFile()) out.push({ name: s, path: p, fromFolder: true });
  }
}

async function readStdin(stdin: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stdin) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(String(c));
    size += b.length;
    if (size > MAX_DUMP_BYTES) throw new Error(`standard input is larger than ${MAX_DUMP_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function summary(s: DumpSection): string {
  const r = s.records as unknown as Record<string, unknown>[];
  const names = (k: string) => {
    const v = r.map((x) => String(x[k] ?? '')).filter(Boolean);
    const shown = v.slice(0, 4).join(', ');
    return v.length > 4 ? `${shown}, … (+${v.length - 4})` : shown;
  };
  switch (s.command) {
    case 'bridge-vlan':
      return r.length === 0 ? 'no VLAN filtering (header only)' : names('port');
    case 'sockets':
      return r
        .filter((x) => x.state === 'LISTEN' || x.state === 'UNCONN' || x.state === undefined)
        .slice(0, 6)
        .map((x) => `${x.proto} ${x.localAddress}:${x.localPort}`)
        .join(', ');
    default: {
      // the field the parser's info names (ip addr: name, routes: destination, fdb: mac, ...)
      const field = s.command === 'unknown' ? undefined : parserFor(s.command)?.info.listField;
      return field ? names(field) : (s.problems[0]?.message ?? '');
    }
  }
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

export const dumpsCommand: Command = {
  command: 'dumps [inputs..]',
  describe: 'Recognize and parse saved command outputs (ip addr, ip route, route -n, bridge vlan, kubectl get pods, ...)',
  builder(y: Argv): Argv {
    return y
      .positional('inputs', {
        type: 'string',
        array: true,
        describe: 'files, folders (recursive; captures, archives, scripts and documents in them are skipped), globs',
      })
      .option('stdin', { type: 'boolean', describe: 'also read one dump from standard input (as the input "-")' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table', describe: 'output format (json: docs/dumps-json.md)' })
      .example('$0 dumps node1/ node2/', 'what every dump in two node folders is')
      .example("$0 dumps 'incident/**/*.txt' --format json", 'the parsed records, as JSON');
  },
  async run(argv: Record<string, unknown>, io: Io): Promise<number> {
    const inputs = ((argv.inputs as unknown[] | undefined) ?? []).map(String);
    if (argv.stdin === true && !inputs.includes('-')) inputs.push('-');
    const format = String(argv.format ?? 'table');
    if (format !== 'table' && format !== 'json') throw new UserError(`--format must be table or json, not ${format}`, EXIT.USAGE);
    if (inputs.length === 0) throw new UserError('name at least one input (file, folder, glob, or --stdin)', EXIT.USAGE);

    const found: Found[] = [];
    let unreadable = 0;
    for (const input of inputs) {
      if (input === '-') {
        found.push({ name: '-', fromFolder: false });
        continue;
      }
      const abs = isAbsolute(input) ? input : resolve(io.cwd, input);
      let st;
      try {
        st = await stat(abs);
      } catch {
        st = undefined;
      }
      if (st?.isDirectory()) {
        const before = found.length;
        const skipped = { n: 0 };
        await walk(abs, input, found, skipped);
        if (found.length === before)
          io.err(problemLine(`${input}: no dump files in this folder${skipped.n ? ` (${skipped.n} capture, archive, script or document files skipped)` : ''}`));
        continue;
      }
      if (st?.isFile()) {
        found.push({ name: input, path: abs, fromFolder: false });
        continue;
      }
      if (st) {
        // A FIFO, a socket, a device (/dev/zero): it exists, and is never opened (a FIFO would block).
        io.err(problemLine(`${input}: not a regular file or folder`));
        unreadable++;
        continue;
      }
      if (/[*?[\]{}]/.test(input)) {
        let matches: string[] = [];
        try {
          matches = await globby(input, { cwd: io.cwd, onlyFiles: true, absolute: true, dot: false });
        } catch (e) {
          io.err(problemLine(`${input}: bad glob: ${(e as Error).message}`));
        }
        matches.sort();
        if (matches.length === 0) {
          io.err(problemLine(`${input}: no file matches`));
          unreadable++;
        }
        for (const m of matches) found.push({ name: isAbsolute(input) ? m : relative(io.cwd, m), path: m, fromFolder: true });
        continue;
      }
      io.err(problemLine(`${input}: no such file or folder`));
      unreadable++;
    }

    const sections: DumpSection[] = [];
    let readCount = 0;
    for (const f of found) {
      let bytes: Buffer;
      try {
        if (f.path === undefined) {
          if (!io.stdin) throw new Error('no standard input');
          bytes = await readStdin(io.stdin);
        } else {
          const st = await stat(f.path);
          if (st.size > MAX_DUMP_BYTES) {
            io.err(problemLine(`${f.name}: skipped: ${st.size} bytes is too large for a command dump`));
            continue;
          }
          bytes = await readFile(f.path);
        }
      } catch (e) {
        io.err(problemLine(`${f.name}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`));
        unreadable++;
        continue;
      }
      const kind = binaryKind(bytes.subarray(0, 8192));
      if (kind && f.fromFolder) continue; // captures and archives beside the dumps
      readCount++;
      if (kind) {
        sections.push({ input: f.name, command: 'unknown', line: 1, records: [], problems: [{ line: 1, message: `${kind} data, not a text dump` }] });
        continue;
      }
      sections.push(...parseDump(f.name, bytes));
    }

    for (const s of sections) for (const p of s.problems) io.err(problemLine({ input: s.input, line: p.line, message: p.message }));

    if (format === 'json') {
      io.out(JSON.stringify(sections, null, 2) + '\n');
    } else if (sections.length > 0) {
      const width = Math.max(80, io.columns ?? 120);
      const rows = [['INPUT', 'LINE', 'COMMAND', 'RECORDS', 'PROBLEMS', 'WHAT']];
      for (const s of sections)
        rows.push([s.input, String(s.line), s.command, String(s.records.length), String(s.problems.length), clip(summary(s), 300)]);
      const inputWidth = Math.min(48, maxOf(sections.map((s) => s.input.length), 5));
      const whatWidth = Math.max(20, width - inputWidth - 4 - 13 - 7 - 8 - 6 * 2);
      io.out(
        table(rows, {
          border: getBorderCharacters('void'),
          columnDefault: { paddingLeft: 0, paddingRight: 2 },
          columns: { 0: { width: inputWidth }, 2: { width: 13 }, 5: { width: whatWidth, wrapWord: true, paddingRight: 0 } },
          drawHorizontalLine: () => false,
        }),
      );
    }
    if (readCount === 0) {
      if (found.length > 0 && unreadable === 0) io.err('podpath: no text dump among the inputs (only captures or binary files)');
      return EXIT.NO_INPUT;
    }
    return sections.some((s) => s.command !== 'unknown') ? EXIT.OK : EXIT.NO_INPUT;
  },
};
