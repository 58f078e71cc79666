/**
 * The terminal report (`podpath analyze`, default format): a summary paragraph first, then the
 * inputs, the topology, the flows, the findings with their evidence, stats and clock offsets.
 * Tables use the `table` package with column widths fitted to the terminal width; every other
 * line is word-wrapped to it. Input text is stripped of escape sequences (terminalText).
 */
import { chunked, joinChunks, withNewlines } from './stream.js';
import { getBorderCharacters, table } from 'table';
import type { Host, TopoInterface } from '../topology/model.js';
import type { FlowReport, Report } from '../path/types.js';
import { terminalText } from './escape.js';
import {
  endpointText,
  evidenceRef,
  formatUs,
  latencyText,
  nodeAddress,
  sortedFindings,
  stepLatency,
  stepSightings,
  summarize,
  underlayInterface,
  vanishedAt,
  gapParts,
  notDecodedText,
} from './summary.js';
import { maxOf, pushAll } from '../arrays.js';

export interface TextOptions {
  /** Terminal width; 100 when not a terminal. Never below 40. */
  columns?: number;
}

const DEFAULT_COLUMNS = 100;

/** Display width of a line (one column per code point; the renderer writes no wide characters of its own). */
function width(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--; // a surrogate pair is one code point
  }
  return n;
}

/** Word-wraps `text` to `columns`, every line prefixed by `indent` (the first by `first`, if given). */
export function wrap(text: string, columns: number, indent = '', first = indent): string[] {
  const out: string[] = [];
  for (const para of terminalText(text).split('\n')) {
    let prefix = first;
    let line = prefix;
    // Each word keeps the spaces before it, so "a  b" stays aligned when it fits.
    const tokens = para.match(/ *[^ ]+/g) ?? [];
    if (tokens.length === 0) {
      out.push(first.trimEnd());
      first = indent;
      continue;
    }
    for (const tok of tokens) {
      const sep = /^ */.exec(tok)![0];
      let w = tok.slice(sep.length);
      if (line !== prefix && width(line) + sep.length + width(w) <= columns) {
        line += sep + w;
        continue;
      }
      if (line !== prefix) {
        out.push(line);
        line = prefix = indent;
      }
      // Words longer than a line are cut.
      while (width(prefix) + width(w) > columns) {
        const r = Math.max(columns - width(prefix), 1);
        out.push(prefix + [...w].slice(0, r).join(''));
        line = prefix = indent;
        w = [...w].slice(r).join('');
      }
      line += w;
    }
    out.push(line);
    first = indent;
  }
  return out;
}

interface ColumnSpec {
  /** Columns that can not shrink below this (the header's longest word, by default). */
  min?: number;
  max?: number;
  align?: 'left' | 'right';
}

/**
 * Draws a table whose total width fits `columns`: natural widths first, then the widest column
 * shrinks (wrapping its cells) until it fits or every column is at its minimum.
 */
export function fitTable(header: string[], rows: string[][], columns: number, specs: ColumnSpec[] = []): string {
  return [...fitTableLines(header, rows, columns, specs)].join('\n');
}

/** fitTable, as its lines (a big table is drawn row by row as it is written). */
export function* fitTableLines(header: string[], rows: string[][], columns: number, specs: ColumnSpec[] = []): Generator<string> {
  const data = pushAll([header], rows).map((r) => r.map((c) => terminalText(c)));
  const n = header.length;
  const overhead = 3 * n + 1;
  const lineWidth = (c: string) => (c.includes('\n') ? maxOf(c.split('\n').map(width)) : width(c));
  const natural = header.map((_, i) => {
    let m = 1;
    for (const r of data) m = Math.max(m, lineWidth(r[i]));
    return m;
  });
  const mins = header.map((h, i) => {
    const longestHeaderWord = maxOf(h.split(/\s+/).map(width));
    return Math.min(natural[i], Math.max(specs[i]?.min ?? 4, longestHeaderWord));
  });
  const widths = natural.map((w, i) => Math.min(w, specs[i]?.max ?? Infinity));
  let total = widths.reduce((a, b) => a + b, 0) + overhead;
  while (total > columns) {
    let best = -1;
    for (let i = 0; i < n; i++) {
      if (widths[i] > mins[i] && (best < 0 || widths[i] - mins[i] > widths[best] - mins[best])) best = i;
    }
    if (best < 0) break;
    widths[best]--;
    total--;
  }
  // Still too wide with every column at its minimum: shrink the widest further (headers wrap).
  while (total > columns) {
    let best = 0;
    for (let i = 1; i < n; i++) if (widths[i] > widths[best]) best = i;
    if (widths[best] <= 2) break;
    widths[best]--;
    total--;
  }
  if (data.length > BIG_TABLE_ROWS) return yield* plainTable(data, widths, specs);
  yield table(data, {
    border: getBorderCharacters('norc'),
    columns: widths.map((w, i) => ({ width: w, wrapWord: true, alignment: specs[i]?.align ?? 'left' })),
    drawHorizontalLine: (i, size) => i === 0 || i === 1 || i === size,
  }).trimEnd();
}

/**
 * Past this many rows a table is drawn by plainTable: the `table` package costs about half a
 * millisecond a row (grapheme and ANSI scanning of every cell), 100 s for 200,000 flows.
 */
export const BIG_TABLE_ROWS = 2000;

/** One cell's lines at `w` columns: words kept whole when they fit, longer ones cut. */
function cellLines(text: string, w: number): string[] {
  if (!text.includes('\n') && width(text) <= w) return [text];
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      let rest = word;
      while (width(rest) > w) {
        if (line !== '') {
          out.push(line);
          line = '';
        }
        const cps = [...rest];
        out.push(cps.slice(0, w).join(''));
        rest = cps.slice(w).join('');
      }
      if (line === '') line = rest;
      else if (width(line) + 1 + width(rest) <= w) line += ' ' + rest;
      else {
        out.push(line);
        line = rest;
      }
    }
    out.push(line);
  }
  return out;
}

/** The same box as `table` with the 'norc' border, header rule only, in linear time. */
function* plainTable(data: string[][], widths: number[], specs: ColumnSpec[]): Generator<string> {
  const rule = (l: string, m: string, r: string) => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  yield rule('┌', '┬', '┐');
  for (let ri = 0; ri < data.length; ri++) {
    const row = data[ri];
    const cells = widths.map((w, i) => cellLines(row[i] ?? '', w));
    let height = 1;
    for (const c of cells) if (c.length > height) height = c.length;
    for (let k = 0; k < height; k++) {
      let line = '│';
      for (let i = 0; i < widths.length; i++) {
        const t = cells[i][k] ?? '';
        const pad = ' '.repeat(Math.max(0, widths[i] - width(t)));
        line += ' ' + (specs[i]?.align === 'right' ? pad + t : t + pad) + ' │';
      }
      yield line;
    }
    if (ri === 0) yield rule('├', '┼', '┤');
  }
  yield rule('└', '┴', '┘');
}

function heading(title: string, columns: number): string {
  return `${title}\n${'─'.repeat(Math.min(width(title), columns))}`;
}

function ifaceText(i: TopoInterface): string {
  const kind =
    i.kind === 'vxlan' && i.vxlan
      ? `vxlan VNI ${i.vxlan.vni ?? '?'} port ${i.vxlan.port ?? '?'}`
      : i.kind === 'geneve' && i.geneve
        ? `geneve VNI ${i.geneve.vni ?? '?'}`
        : i.kind;
  const addrs = i.addresses.filter((a) => a.family === 'inet').map((a) => `${a.address}/${a.prefixLength}`);
  const more = i.kind === 'bridge' && i.ports?.length ? ` (${i.ports.length} ports)` : '';
  return `${i.name} ${kind}${more}${addrs.length ? ' ' + addrs.join(' ') : ''}`;
}

/** A node's key interfaces: its underlay NIC, tunnel devices, bridges; veths are counted. */
export function keyInterfaces(h: Host): { key: TopoInterface[]; veths: TopoInterface[] } {
  const nic = underlayInterface(h);
  const key = h.interfaces.filter(
    (i) => i === nic || i.kind === 'vxlan' || i.kind === 'geneve' || i.kind === 'bridge' || i.kind === 'ipip' || i.kind === 'gre' || (h.role === 'pod' && i.kind !== 'loopback'),
  );
  return { key, veths: h.role === 'node' ? h.interfaces.filter((i) => i.kind === 'veth') : [] };
}

/** Short words for the inventory's "from" column (host reason / interface reason); the JSON has the full notes. */
const SHORT_FROM: Record<string, string> = {
  option: '--host',
  folder: 'folder',
  'hostname-dump': 'hostname',
  'file-prefix': 'prefix',
  prompt: 'prompt',
  content: 'packets',
  root: '-',
  pcapng: 'pcapng',
  'sll2-ifindex': 'ifindex',
  'file-name': 'name',
  unknown: '?',
};

function* inputsTable(report: Report, columns: number): Generator<string> {
  if (report.inputs.length === 0) return yield 'No inputs.';
  const rows = report.inputs.map((i) => [
    i.path,
    i.kind,
    i.host ?? '',
    [SHORT_FROM[i.hostFrom ?? ''] ?? i.hostFrom ?? '', i.interfaceFrom ? (SHORT_FROM[i.interfaceFrom] ?? i.interfaceFrom) : ''].filter(Boolean).join('/'),
    i.interface ?? '',
    i.packets !== undefined ? String(i.packets) : i.commands?.length ? `${i.commands.length} cmds` : '',
    [...i.problems, notDecodedText(i)].filter((x) => x !== '').join('\n'),
  ]);
  yield* fitTableLines(['path', 'kind', 'host', 'from', 'interface', 'packets', 'problems'], rows, columns, [
    { min: 24 },
    {},
    { min: 8 },
    { min: 4 },
    { min: 5 },
    { align: 'right' },
    { min: 8 },
  ]);
}

function topologyText(report: Report, columns: number): string {
  const topo = report.topology;
  const parts: string[] = [];
  if (topo.hosts.length) {
    const rows = topo.hosts.map((h) => {
      const { key, veths } = keyInterfaces(h);
      const lines = key.map(ifaceText);
      if (veths.length) lines.push(`${veths.length} veth${veths.length === 1 ? '' : 's'}`);
      const pods = topo.pods.filter((p) => p.host === h.name).map((p) => `${p.namespace ? p.namespace + '/' : ''}${p.name} ${p.ip}`);
      const addr = h.role === 'node' ? nodeAddress(topo, h.name) : undefined;
      return [h.name, h.role + (h.node ? ` on ${h.node}` : '') + (addr ? `\nunderlay ${addr}` : ''), lines.join('\n'), pods.join('\n')];
    });
    parts.push(fitTable(['host', 'role', 'interfaces', 'pods'], rows, columns, [{ min: 10 }, { min: 8 }, { min: 14 }, { min: 8 }]));
  } else parts.push('No host dumps.');
  const ovRows: string[][] = [];
  for (const o of topo.overlay) {
    const dev = `${o.device} ${o.type}`;
    const vp = `${o.vni ?? '?'}/${o.port ?? '?'}`;
    if (o.remotes.length === 0) ovRows.push([o.host, dev, vp, `${o.subnet ?? '?'} (no remotes)`, '']);
    for (const r of o.remotes) {
      ovRows.push([
        o.host,
        dev,
        vp,
        `${o.subnet ?? '?'} → ${r.subnet}`,
        `${r.vtep ?? r.gateway ?? '?'}${r.host ? ` on ${r.host}` : ''} [${r.source}]`,
      ]);
    }
  }
  if (ovRows.length) {
    parts.push(fitTable(['host', 'device', 'VNI/port', 'subnet → remote', 'via VTEP [source]'], ovRows, columns, [{ min: 10 }, { min: 8 }]));
  }
  return parts.join('\n');
}

function flowRow(f: FlowReport): string[] {
  return [
    f.id,
    f.protocol,
    `${endpointText(f.src)}\n→ ${endpointText(f.dst)}`,
    f.kind,
    f.summary,
    f.verdict,
    latencyText(f),
  ];
}

function* flowsTable(report: Report, columns: number): Generator<string> {
  if (report.flows.length === 0) return yield 'No flows.';
  yield* fitTableLines(['id', 'proto', 'src → dst', 'kind', 'path', 'verdict', 'latency'], report.flows.map(flowRow), columns, [
    { min: 2 },
    { min: 4 },
    { min: 14 },
    { min: 5 },
    { min: 12 },
    { min: 7 },
    { min: 6 },
  ]);
}

function findingsText(report: Report, columns: number): string[] {
  const out: string[] = [];
  for (const f of sortedFindings(report.findings)) {
    pushAll(out, wrap(`${f.severity.toUpperCase()} ${f.code}`, columns, '  ', '  '));
    pushAll(out, wrap(f.message, columns, '    '));
    for (const e of f.evidence) {
      pushAll(out, wrap(`${evidenceRef(e)}${e.text ? '  ' + e.text : ''}`, columns, '        ', '      '));
    }
  }
  return out.length ? out : ['  none'];
}

/** What could not be judged, and the command to run (on which host). */
function gapsText(report: Report, columns: number): string[] {
  const out: string[] = [];
  for (const g of report.gaps ?? []) {
    const p = gapParts(g);
    pushAll(out, wrap(`${p.where ? `[${p.where}] ` : ''}${p.what}`, columns, '    ', '  - '));
    pushAll(out, wrap(`run: ${p.command}${p.flows ? `  (${p.flows})` : ''}`, columns, '        ', '      '));
  }
  return out;
}

function statsLine(report: Report): string {
  const s = report.stats;
  return `Packets: ${s.packets} read, ${s.decoded} decoded, ${s.truncated} truncated, ${s.malformed} malformed, ${s.skipped} skipped, ${s.unexplained} unexplained`;
}

function clockLines(report: Report): string[] {
  return report.clocks.map((c) => {
    const sign = c.offsetUs >= 0 ? '+' : '-';
    return `${c.host} ${sign}${formatUs(Math.abs(c.offsetUs))} vs ${c.reference} (${c.samples} sample${c.samples === 1 ? '' : 's'})`;
  });
}

/** The summary paragraph: what failed, where, the likely cause. */
export function summaryParagraph(report: Report): string {
  const s = summarize(report);
  if (s.worst) {
    return `${s.lead}: ${s.headline}. ${s.cause ?? ''} (${s.counts}; ${s.flows}.)`.replace(/\.\. /g, '. ');
  }
  return `${s.headline[0].toUpperCase()}${s.headline.slice(1)}. ${s.flows}, ${report.stats.packets} packets, ${report.inputs.length} inputs.`;
}

export function renderText(report: Report, opts: TextOptions = {}): string {
  return joinChunks(textChunks(report, opts));
}

/** The text report as chunks, written as they are made (the flows table row by row). */
export function textChunks(report: Report, opts: TextOptions = {}): Generator<string> {
  return chunked(withNewlines(textLines(report, opts)));
}

function* textLines(report: Report, opts: TextOptions): Generator<string> {
  const columns = Math.max(40, opts.columns ?? DEFAULT_COLUMNS);
  yield* wrap(summaryParagraph(report), columns);
  yield* ['', heading('Inputs', columns)];
  yield* inputsTable(report, columns);
  yield* ['', heading('Topology', columns), topologyText(report, columns)];
  yield* ['', heading('Flows', columns)];
  yield* flowsTable(report, columns);
  yield* ['', heading('Findings', columns)];
  yield* findingsText(report, columns);
  if (report.gaps?.length) {
    yield* ['', heading('Evidence gaps', columns)];
    yield* gapsText(report, columns);
  }
  yield '';
  yield* wrap(statsLine(report), columns);
  const clocks = clockLines(report);
  if (clocks.length) yield* wrap('Clock offsets: ' + clocks.join('; '), columns, '  ', '');
  if (report.problems.length) {
    yield* ['', heading('Problems', columns)];
    for (const p of report.problems) yield* wrap(p, columns, '    ', '  - ');
  }
}

/** The hop-by-hop story of the flows with these ids (all flows when `flowIds` is empty). */
export function renderExplain(report: Report, flowIds: string[] = [], opts: TextOptions = {}): string {
  const columns = Math.max(40, opts.columns ?? DEFAULT_COLUMNS);
  const flows = flowIds.length ? report.flows.filter((f) => flowIds.includes(f.id)) : report.flows;
  const out: string[] = [];
  const missing = flowIds.filter((id) => !report.flows.some((f) => f.id === id));
  if (missing.length) {
    pushAll(out, wrap(`No flow with id ${missing.join(', ')} (ids: ${report.flows.map((f) => f.id).join(', ') || 'none'}).`, columns));
    out.push('');
  }
  const lost = summarize(report).lost;
  for (const f of flows) {
    pushAll(out, wrap(`Flow ${f.id}: ${f.protocol} ${endpointText(f.src)} → ${endpointText(f.dst)} (${f.kind}${f.tunnel ? `, ${f.tunnel.type} VNI ${f.tunnel.vni ?? '?'} port ${f.tunnel.port ?? '?'}` : ''})`, columns));
    const counts = [`${f.packets} packet${f.packets === 1 ? '' : 's'}`];
    if (f.requests !== undefined) counts.push(`${f.requests} request${f.requests === 1 ? '' : 's'}`);
    if (f.responses !== undefined) counts.push(`${f.responses} response${f.responses === 1 ? '' : 's'}`);
    pushAll(out, wrap(counts.join(', '), columns, '  ', '  '));
    const story = (title: string, path: FlowReport['path'], mark?: number) => {
      out.push('', `  ${title}`);
      const w = String(path.length).length;
      path.forEach((s, i) => {
        const lat = title === 'Path' ? stepLatency(f, i) : undefined;
        if (lat !== undefined) {
          const hop = f.latency?.hops.find((x) => x.to.host === s.host && x.to.interface === s.interface && x.medianUs === lat);
          const from = hop ? path.findIndex((p) => p.host === hop.from.host && p.interface === hop.from.interface) : -1;
          const since = from >= 0 && from !== i - 1 ? ` since step ${from + 1}` : '';
          const n = hop ? ` (median of ${hop.samples})` : '';
          pushAll(out, wrap(`│ +${formatUs(lat)}${since}${n}`, columns, ' '.repeat(w + 6), ' '.repeat(w + 4)));
        }
        const num = `${String(i + 1).padStart(w)}.`;
        const cross = i === mark ? 'NEVER ARRIVED: ' : '';
        const headline = `${num} ${s.host}  ${s.interface ?? '-'}  ${s.action}`;
        pushAll(out, wrap(headline, columns, ' '.repeat(w + 6), '  '));
        pushAll(out, wrap(cross + s.detail, columns, ' '.repeat(w + 6)));
        {
          // The capture points of this step (a capture holds both directions of the flow).
          const seen = stepSightings(f, s);
          for (const inp of seen.inputs) pushAll(out, wrap(`seen in ${inp}`, columns, ' '.repeat(w + 8), ' '.repeat(w + 6)));
          if (seen.packets.length) {
            pushAll(out, wrap(`packets ${seen.packets.map(evidenceRef).join(', ')}`, columns, ' '.repeat(w + 8), ' '.repeat(w + 6)));
          }
        }
        for (const e of (s.evidence ?? []).filter((e) => e.packet === undefined)) {
          pushAll(out, wrap(`from ${evidenceRef(e)}${e.text ? '  ' + e.text : ''}`, columns, ' '.repeat(w + 8), ' '.repeat(w + 6)));
        }
      });
    };
    story('Path', f.path, vanishedAt(f, lost));
    if (f.returnPath?.length) story('Return path', f.returnPath);
    const rtt = f.latency?.rttUs !== undefined ? ` RTT ${formatUs(f.latency.rttUs)}.` : '';
    out.push('');
    pushAll(out, wrap(`Verdict: ${f.verdict.toUpperCase()}. ${f.why}${rtt}`, columns, '    ', '  '));
    if (f.seenAt.length) {
      pushAll(out, wrap('Seen at: ' + f.seenAt.map((s) => `${s.input} (${s.host ?? '?'} ${s.interface ?? '?'}, ${s.packets} packets, ${s.first} .. ${s.last})`).join('; '), columns, '    ', '  '));
    }
    out.push('');
  }
  if (flows.length === 0 && !missing.length) out.push('No flows.');
  return out.join('\n').replace(/\n+$/, '') + '\n';
}
