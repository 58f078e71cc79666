/**
 * `podpath packets <inputs..>`: decodes captures and prints one line (or one ndjson record,
 * docs/packets-ndjson.md) per packet, with the capture point and every encapsulation level.
 *
 * Inputs are files, folders (searched recursively for files whose content is pcap, pcapng or gzip)
 * and globs. Problems go to standard error, one line each (file, packet number, byte offset);
 * standard output carries only packets. Exit 0 when at least one input was read, 3 when none could
 * be, 2 for usage errors.
 */
import { open, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { Argv } from 'yargs';
import { globby, isDynamicPattern } from 'globby';
import type { Command } from './command.js';
import { EXIT, UserError, type Io, problemLine } from '../io.js';
import type { Frame, InputProblem } from '../capture/frame.js';
import { readCapture, sniffInputDetails } from '../capture/open.js';
import { isPcapMagic, PCAP_MAGIC_NS } from '../capture/pcap.js';
import { Decoder } from '../decode/decoder.js';
import { netAddr, summarize } from '../decode/summary.js';
import { FILTER_OPTIONS, flowsOfKind, needsAnalysis, packetInWindow, packetWindow, parseFlowFilter } from '../filter/flows.js';
import { packetLine } from '../report/packet-line.js';
import { analyzeDetailed } from '../analyze.js';
import { pathSummary } from '../path/explain.js';
import { compileFilter, type PacketFilter } from '../filter/match.js';
import { FilterError } from '../filter/parse.js';
import { writePcapng, type PcapngInterface, type PcapngPacket } from '../capture/pcapng-write.js';
import { matchFlows } from './flow-match.js';
import type { PacketPlace } from '../analyze.js';
import type { Report } from '../path/types.js';

/** Output is handed to io.out() in strings of about this many characters. */
const BATCH = 1 << 16;
const CHUNK = 1 << 20;
/** Packets with decode problems printed per input; the rest are counted. */
const MAX_PACKET_PROBLEMS = 100;

export interface PacketStats {
  input: string;
  read: number;
  decoded: number;
  truncated: number;
  malformed: number;
  skipped: number;
}

export interface PacketsOptions {
  format: 'text' | 'ndjson';
  vxlanPorts: number[];
  genevePorts: number[];
  limit?: number;
  stats: boolean;
}

function ports(v: unknown, name: string): number[] {
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => {
    const n = typeof x === 'number' ? x : Number(x);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UserError(`--${name}: "${x}" is not a UDP port (1-65535)`);
    return n;
  });
}

export function packetsOptions(argv: Record<string, unknown>): PacketsOptions {
  const format = (argv.format ?? 'text') as string;
  if (format !== 'text' && format !== 'ndjson') throw new UserError(`--format: "${format}" is not text or ndjson`);
  let limit: number | undefined;
  if (argv.limit !== undefined) {
    limit = Number(argv.limit);
    if (!Number.isInteger(limit) || limit < 0) throw new UserError(`--limit: "${String(argv.limit)}" is not a whole number`);
  }
  return {
    format,
    vxlanPorts: ports(argv['vxlan-port'] ?? argv.vxlanPort, 'vxlan-port'),
    genevePorts: ports(argv['geneve-port'] ?? argv.genevePort, 'geneve-port'),
    limit,
    stats: Boolean(argv.stats),
  };
}

interface Input {
  /** As shown in messages and records. */
  name: string;
  /** Where to read it ("-" for standard input). */
  path: string;
}

/**
 * Expands the command line's inputs: "-", files, folders (recursive, content-sniffed), globs.
 * Inputs that name nothing become problems.
 */
export async function expandInputs(args: string[], cwd: string, problem: (p: InputProblem) => void): Promise<Input[]> {
  const out: Input[] = [];
  for (const arg of args) {
    if (arg === '-') {
      out.push({ name: '-', path: '-' });
      continue;
    }
    const abs = isAbsolute(arg) ? arg : resolve(cwd, arg);
    const st = await stat(abs).catch(() => undefined);
    if (st?.isDirectory()) {
      const files = (await globby('**/*', { cwd: abs, onlyFiles: true, dot: false, followSymbolicLinks: true })).sort();
      let n = 0;
      for (const rel of files) {
        const d = await sniffInputDetails(join(abs, rel));
        const capture = d.kind === 'pcap' || d.kind === 'pcapng' || (d.kind === 'gzip' && (d.inner === 'pcap' || d.inner === 'pcapng'));
        if (!capture) continue;
        out.push({ name: join(arg, rel), path: join(abs, rel) });
        n++;
      }
      if (n === 0) problem({ input: arg, severity: 'error', message: 'folder holds no pcap, pcapng or gzip-compressed capture' });
      continue;
    }
    if (st === undefined && isDynamicPattern(arg)) {
      const files = (await globby(arg, { cwd, onlyFiles: true })).sort();
      if (files.length === 0) problem({ input: arg, severity: 'error', message: 'no file matches this pattern' });
      for (const f of files) out.push({ name: f, path: isAbsolute(f) ? f : resolve(cwd, f) });
      continue;
    }
    out.push({ name: arg, path: abs });
  }
  return out;
}

/**
 * Words that start a filter: the supported primitives, and tcpdump's others (so that an unsupported
 * expression is a clear usage error naming the word, never taken for a file name).
 */
const FILTER_WORDS = new Set([
  ...['src', 'dst', 'host', 'net', 'port', 'portrange', 'ip', 'ip6', 'arp', 'tcp', 'udp', 'icmp', 'icmp6', 'vxlan', 'geneve', 'not', 'and', 'or'],
  ...['ether', 'vlan', 'mpls', 'pppoed', 'pppoes', 'rarp', 'sctp', 'proto', 'protochain', 'less', 'greater', 'broadcast', 'multicast', 'gateway', 'inbound', 'outbound', 'len', 'ifname', 'on', 'rnr', 'reason', 'rset', 'srnr', 'subrulenum', 'action', 'wlan', 'type', 'subtype', 'dir', 'atalk', 'decnet', 'iso', 'stp', 'ipx', 'netbeui', 'lat', 'moprc', 'mopdl', 'llc', 'igmp', 'igrp', 'pim', 'vrrp', 'carp', 'ah', 'esp'],
]);

/**
 * The command line's words: inputs first, then (as with tcpdump) a filter expression. The filter
 * starts at the first word that names no file, folder or glob match, or that is a filter keyword
 * (src, host, udp, not, ...: name a file called so ./src); --filter is ANDed with it.
 */
export async function splitFilter(args: string[], option: unknown, cwd: string): Promise<{ files: string[]; filter?: PacketFilter }> {
  const files: string[] = [];
  let rest: string[] = [];
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    // The filter starts at the first filter word (host, port, tcp, not, "(", ...), even if a file
    // has that name (write ./src for such a file); every argument before it is an input, and an
    // input that names nothing is reported as such (one line) while the others are read.
    const word = a.trim().split(/\s+/)[0];
    const named = !FILTER_WORDS.has(word) && !a.startsWith('(') && !a.startsWith('!');
    if (named) {
      files.push(a);
      continue;
    }
    rest = args.slice(k);
    break;
  }
  const parts = [rest.join(' ').trim(), option === undefined ? '' : String(option).trim()].filter((x) => x !== '');
  if (parts.length === 0) return { files };
  const text = parts.length === 2 ? `(${parts[0]}) and (${parts[1]})` : parts[0];
  try {
    return { files, filter: compileFilter(text) };
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    // One word that is neither a file nor a filter: most likely a mistyped file name.
    if (rest.length === 1 && option === undefined && !/\s/.test(rest[0]) && /[/\\.]/.test(rest[0]) && !/^[\d.:/]+$/.test(rest[0])) {
      throw new UserError(`${rest[0]}: no such file or directory`, EXIT.NO_INPUT);
    }
    throw new UserError(`filter ${JSON.stringify(text)}: ${e.message}`, EXIT.USAGE);
  }
}

/** A packet kept for the merged view: its time, its line, and for -w its frame. */
interface Gathered {
  sec: number;
  nsec: number;
  order: number;
  text: string;
  packet?: PcapngPacket;
}

/**
 * "host:interface" of a capture: the folder it is in names the host (as in an incident folder),
 * the pcapng interface name or else the file name (eth0.pcap, cni0.pcapng.gz) the interface.
 */
export function pointName(input: string, iface: string | undefined): string {
  const dir = dirname(input);
  const host = dir === '.' || dir === '' || input === '-' ? '-' : basename(dir);
  const name = iface ?? (input === '-' ? '-' : basename(input).replace(/(\.gz)?$/, '').replace(/\.(pcapng|pcap|cap)$/, ''));
  return `${host}:${name}`;
}

/** The pcapng comment of an exported packet: its flow, the hop (capture point) and the step. */
function placeComment(report: Report, at: PacketPlace, point: string): string {
  const flow = report.flows.find((f) => f.id === at.flow);
  const ret = flow !== undefined && at.path === flow.returnPath;
  const step = at.path[at.step];
  const where = step ? `step ${at.step + 1} of ${at.path.length} on the ${ret ? 'return ' : ''}path: ${step.action} at ${step.host} ${step.interface ?? '-'}` : `at no step of the ${ret ? 'return ' : ''}path`;
  return `podpath flow ${at.flow}${flow ? ` (${flow.protocol} ${flow.src.ip} > ${flow.dst.ip})` : ''}, hop ${point}, ${where}`;
}

function ioMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'cannot read the file: permission denied';
    case 'EISDIR':
      return 'is a directory, not a capture file';
    default:
      return `cannot read the file: ${err?.message ?? String(e)}`;
  }
}

export const packets: Command = {
  command: 'packets <inputs..>',
  describe: 'decode captures: one line (or ndjson record) per packet, inner headers included',
  builder: (y: Argv) =>
    y
      .positional('inputs', { type: 'string', array: true, describe: 'capture files, folders, globs, or - for standard input; then, as with tcpdump, an optional filter expression' })
      .option('format', { choices: ['text', 'ndjson'] as const, default: 'text', describe: 'output format' })
      .option('vxlan-port', { type: 'number', array: true, describe: 'also decode this UDP port as VXLAN (4789 and 8472 always are); repeatable' })
      .option('geneve-port', { type: 'number', array: true, describe: 'also decode this UDP port as Geneve (6081 always is); repeatable' })
      .option('flow', { type: 'string', describe: 'only the packets of this flow (an id such as f2, or "pod2 > pod1"), from every capture point; analyzes the incident first' })
      .option('w', { alias: 'write', type: 'string', describe: 'write the selected packets to this pcapng file (one interface per capture point, named host:interface, and a comment per packet) instead of printing them' })
      .option('filter', { type: 'string', describe: 'only packets matching this tcpdump-style expression (also accepted after the inputs)' })
      .option('limit', { type: 'number', describe: 'stop after this many packets (over all inputs)' })
      .options(FILTER_OPTIONS)
      .option('stats', { type: 'boolean', default: false, describe: 'print per-input packet accounting on standard error' })
      .option('paths', {
        type: 'boolean',
        default: false,
        describe: 'analyze the incident first (dumps included) and add each packet\'s flow, path and the step it was seen at',
      }) as unknown as Argv,
  run: (argv, io) => runPackets(argv, io),
};

export async function runPackets(argv: Record<string, unknown>, io: Io): Promise<number> {
  const opts = packetsOptions(argv);
  const args = ((argv.inputs as unknown[] | undefined) ?? []).map(String);
  if (args.length === 0) throw new UserError('name at least one capture (file, folder, glob or -)');
  const problem = (p: InputProblem) => io.err(problemLine(p));
  const flowFilter = parseFlowFilter(argv);
  const { files, filter } = await splitFilter(args, argv.filter, io.cwd);
  const inputs = await expandInputs(files, io.cwd, problem);
  const decoder = new Decoder({ vxlanPorts: opts.vxlanPorts, genevePorts: opts.genevePorts });
  // --paths: the analysis of the whole incident tells each packet's flow and step.
  const flowSpec = argv.flow === undefined ? undefined : String(argv.flow);
  const writeTo = argv.w === undefined ? undefined : String(argv.w);
  if (writeTo === '') throw new UserError('-w needs a file name');
  if (flowSpec !== undefined && files.includes('-')) throw new UserError('--flow analyzes the incident: name files or folders, not standard input');
  if (flowFilter && needsAnalysis(flowFilter) && files.includes('-')) throw new UserError('--pod, --proto, --verdict and relative --since/--until analyze the incident: name files or folders, not standard input');
  const analysis = argv.paths || flowSpec !== undefined || (flowFilter && needsAnalysis(flowFilter))
    ? await analyzeDetailed(files.filter((a) => a !== '-'), { cwd: io.cwd, hash: false, vxlanPorts: opts.vxlanPorts, genevePorts: opts.genevePorts })
    : undefined;
  let flowId: string | undefined;
  if (flowSpec !== undefined && analysis) {
    flowId = matchFlows(analysis.report, flowSpec)[0];
    if (flowId === undefined) {
      const list = analysis.report.flows.filter((f) => f.kind !== 'link-local').map((f) => `${f.id} ${f.src.pod ?? f.src.ip} > ${f.dst.pod ?? f.dst.ip}`);
      throw new UserError(`no flow matches ${JSON.stringify(flowSpec)}; flows: ${list.join(', ') || 'none'}`);
    }
  }
  const window = flowFilter ? packetWindow(flowFilter, analysis?.report) : undefined;
  const kindFlows = flowFilter ? flowsOfKind(flowFilter, analysis?.report) : undefined;
  // Several captures (or a flow, or -w): one time-ordered view, gathered then sorted.
  const merge = inputs.length > 1 || flowId !== undefined || writeTo !== undefined;
  const gathered: Gathered[] = [];
  const ifaces: PcapngInterface[] = [];
  const ifaceIndex = new Map<string, number>();
  const all: PacketStats[] = [];
  let readCount = 0;
  let total = 0;
  let out = '';
  let drain: Promise<void> | undefined;
  const flush = () => {
    if (out.length === 0) return;
    if (!io.out(out) && drain === undefined) drain = io.drain();
    out = '';
  };
  const limit = opts.limit ?? Infinity;
  const text = opts.format === 'text';

  for (const input of inputs) {
    if (total >= limit) break;
    const st: PacketStats = { input: input.name, read: 0, decoded: 0, truncated: 0, malformed: 0, skipped: 0 };
    let shownProblems = 0;
    let hiddenProblems = 0;
    let stopped = false;

    // Our own chunk source, so that reading waits while standard output drains.
    let fh: Awaited<ReturnType<typeof open>> | undefined;
    if (input.path !== '-') {
      try {
        const s = await stat(input.path);
        if (s.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
        fh = await open(input.path, 'r');
      } catch (e) {
        problem({ input: input.name, severity: 'error', message: ioMessage(e) });
        continue;
      }
    } else if (io.stdin === undefined) {
      problem({ input: '-', severity: 'error', message: 'standard input is not available' });
      continue;
    }
    decoder.tsDigits = 0;
    const file = fh;
    const stdin = io.stdin;
    async function* chunks(): AsyncGenerator<Buffer> {
      let first = true;
      const next = async (): Promise<Buffer | undefined> => {
        if (file) {
          const buf = Buffer.allocUnsafe(CHUNK);
          const { bytesRead } = await file.read(buf, 0, CHUNK, null);
          return bytesRead === 0 ? undefined : buf.subarray(0, bytesRead);
        }
        return undefined;
      };
      const fromStdin = file ? undefined : (stdin as Readable)[Symbol.asyncIterator]();
      for (;;) {
        if (drain !== undefined) {
          await drain;
          drain = undefined;
        }
        if (stopped) return;
        let c: Buffer | undefined;
        if (fromStdin) {
          const r = await fromStdin.next();
          c = r.done ? undefined : typeof r.value === 'string' ? Buffer.from(r.value) : (r.value as Buffer);
        } else c = await next();
        if (c === undefined) return;
        if (first) {
          first = false;
          // Timestamp digits from a classic pcap's magic; pcapng and gzip: per packet (decoder default).
          if (c.length >= 4 && isPcapMagic(c)) {
            const be = c.readUInt32BE(0);
            const le = c.readUInt32LE(0);
            decoder.tsDigits = be === PCAP_MAGIC_NS || le === PCAP_MAGIC_NS ? 9 : 6;
          }
        }
        yield c;
      }
    }
    const source = Readable.from(chunks(), { objectMode: true, highWaterMark: 1 });
    let summary;
    try {
      summary = await readCapture('-', {
        frame(f: Frame) {
          if (stopped) return;
          if (total >= limit) {
            stopped = true;
            return;
          }
          const p = decoder.decode(f);
          p.input = input.name;
          if (filter && !filter.test(p, f.bytes)) return;
          if (window && !packetInWindow(window, f.sec * 1000 + f.nsec / 1e6, pointName(input.name, undefined).split(':')[0], () => p.nets.slice(0, p.netCount).flatMap((n) => [netAddr(n, true), netAddr(n, false)]))) return;
          const place = (flowId !== undefined || kindFlows !== undefined) && input.path !== '-' ? analysis!.placeOf(resolve(io.cwd, input.path), f.index) : undefined;
          if (flowId !== undefined && place?.flow !== flowId) return;
          if (kindFlows !== undefined && (place === undefined || !kindFlows.has(place.flow))) return;
          total++;
          st.read++;
          if (total >= limit) stopped = true;
          switch (p.status) {
            case 'decoded':
              st.decoded++;
              break;
            case 'truncated':
              st.truncated++;
              break;
            case 'malformed':
              st.malformed++;
              break;
            case 'skipped':
              st.skipped++;
              break;
          }
          if (p.problems.length > 0) {
            if (shownProblems < MAX_PACKET_PROBLEMS) {
              shownProblems++;
              io.err(problemLine({ input: input.name, severity: 'warning', message: p.problems.join('; '), packet: f.index, offset: f.offset }));
            } else hiddenProblems++;
          }
          const point = pointName(input.name, p.point.interface);
          if (writeTo !== undefined) {
            const key = `${input.name}\u0000${f.linktype}\u0000${p.point.interface ?? ''}`;
            let iface = ifaceIndex.get(key);
            if (iface === undefined) {
              iface = ifaces.length;
              ifaces.push({ name: point, linktype: f.linktype });
              ifaceIndex.set(key, iface);
            }
            gathered.push({ sec: f.sec, nsec: f.nsec, order: gathered.length, text: '', packet: { iface, sec: f.sec, nsec: f.nsec, bytes: Uint8Array.from(f.bytes), wireLength: f.wireLength, comment: place ? placeComment(analysis!.report, place, point) : undefined } });
            return;
          }
          if (merge) {
            const at = place ?? (analysis && input.path !== '-' ? analysis.placeOf(resolve(io.cwd, input.path), f.index) : undefined);
            let line: string;
            if (text) line = `${point} ${packetLine(p)}${at && analysis && argv.paths ? `  {${at.flow} ${pathSummary(at.path, undefined, at.step)}}` : ''}`;
            else {
              const rec: Record<string, unknown> = summarize(p) as unknown as Record<string, unknown>;
              rec.point = point;
              if (at) {
                rec.flow = at.flow;
                if (argv.paths) {
                  const st = at.path[at.step];
                  rec.step = st ? { index: at.step, action: st.action, host: st.host, interface: st.interface } : null;
                  rec.path = pathSummary(at.path);
                }
              }
              line = JSON.stringify(rec);
            }
            gathered.push({ sec: f.sec, nsec: f.nsec, order: gathered.length, text: line });
            return;
          }
          if (analysis) {
            const at = input.path === '-' ? undefined : analysis.placeOf(resolve(io.cwd, input.path), f.index);
            if (text) out += packetLine(p) + (at ? `  {${at.flow} ${pathSummary(at.path, undefined, at.step)}}` : '') + '\n';
            else {
              const rec: Record<string, unknown> = summarize(p) as unknown as Record<string, unknown>;
              if (at) {
                rec.flow = at.flow;
                const st = at.path[at.step];
                rec.step = st ? { index: at.step, action: st.action, host: st.host, interface: st.interface } : null;
                rec.path = pathSummary(at.path);
              }
              out += JSON.stringify(rec) + '\n';
            }
          } else out += text ? packetLine(p) + '\n' : JSON.stringify(summarize(p)) + '\n';
          if (out.length >= BATCH) flush();
        },
        problem(x: InputProblem) {
          if (stopped) return;
          problem({ ...x, input: input.name });
        },
      }, { stdin: source });
    } finally {
      await fh?.close().catch(() => undefined);
    }
    if (hiddenProblems > 0) {
      io.err(problemLine({ input: input.name, severity: 'warning', message: `${hiddenProblems} more packets with decode problems not shown` }));
    }
    if (summary.format !== 'unknown') readCount++;
    all.push(st);
    flush();
  }
  if (merge) {
    gathered.sort((a, b) => a.sec - b.sec || a.nsec - b.nsec || a.order - b.order);
    if (writeTo !== undefined) {
      const target = isAbsolute(writeTo) ? writeTo : resolve(io.cwd, writeTo);
      try {
        await writeFile(target, writePcapng(ifaces, gathered.map((g) => g.packet!)));
      } catch (e) {
        throw new UserError(`-w ${writeTo}: ${ioMessage(e)}`, EXIT.USAGE);
      }
      io.err(`podpath: wrote ${gathered.length} packet${gathered.length === 1 ? '' : 's'}${flowId ? ` of flow ${flowId}` : ''} from ${ifaces.length} capture point${ifaces.length === 1 ? '' : 's'} to ${writeTo}`);
    } else {
      for (const g of gathered) {
        out += g.text + '\n';
        if (out.length >= BATCH) {
          flush();
          if (drain !== undefined) {
            await drain;
            drain = undefined;
          }
        }
      }
    }
  }
  flush();
  if (drain !== undefined) await drain;
  if (opts.stats) {
    const line = (s: PacketStats) =>
      `${s.input}: read ${s.read}, decoded ${s.decoded}, truncated ${s.truncated}, malformed ${s.malformed}, skipped ${s.skipped}`;
    for (const s of all) io.err(`podpath: stats: ${line(s)}`);
    if (all.length > 1) {
      const t: PacketStats = { input: 'total', read: 0, decoded: 0, truncated: 0, malformed: 0, skipped: 0 };
      for (const s of all) {
        t.read += s.read;
        t.decoded += s.decoded;
        t.truncated += s.truncated;
        t.malformed += s.malformed;
        t.skipped += s.skipped;
      }
      io.err(`podpath: stats: ${line(t)}`);
    }
  }
  return readCount > 0 ? EXIT.OK : EXIT.NO_INPUT;
}
