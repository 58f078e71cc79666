/**
 * The terminal report (`podpath analyze`, default format), the answer first: a headline (what
 * failed, where), the findings ranked with their evidence and fix, the flows with a problem, one
 * line for the healthy ones and one per host for link-local traffic; the inventory, topology and
 * every flow only when asked (`show`), as lists below LIST_BELOW columns, tables above.
 * Tables use the `table` package with column widths fitted to the terminal width; every other
 * line is word-wrapped to it. Input text is stripped of escape sequences (terminalText).
 */
import { filterLine } from '../filter/flows.js';
import { chunked, joinChunks, withNewlines } from './stream.js';
import { getBorderCharacters, table } from 'table';
import type { Finding, Host, TopoInterface, Topology } from '../topology/model.js';
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
import { palette, type Palette } from './color.js';
import { fixOf } from './fixes.js';

export interface TextOptions {
  /** Terminal width; 100 when not a terminal. Never below 40. */
  columns?: number;
  /** ANSI colour (the caller decides: terminal, NO_COLOR, --color). */
  color?: boolean;
  /** Sections beyond the answer: the inventory, the topology, every flow (`--verbose`, `--show`). */
  show?: readonly Section[];
  /** explain: other flows that matched the request (listed after the story, by id). */
  others?: readonly string[];
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
      const pods = topo.pods.filter((p) => p.host === h.name).map(podText);
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

/** Sections of the terminal view shown only when asked for (`--verbose`, `--show`). */
export { SECTIONS, type Section } from './formats.js';
import type { Section } from './formats.js';

/** Below this width the inventory, topology and flow tables are drawn as lists. */
export const LIST_BELOW = 100;

/** Evidence lines shown per finding unless --verbose. */
const EVIDENCE_SHOWN = 2;

/** The first line: what failed and where (the cause is the first finding, printed right below). */
export function headlineText(report: Report): string {
  const s = summarize(report);
  if (s.worst) return `${s.lead}: ${s.headline}. (${s.counts}; ${s.flows}.)`;
  return `${s.headline[0].toUpperCase()}${s.headline.slice(1)}. ${s.flows}, ${report.stats.packets} packets, ${report.inputs.length} inputs.`;
}

function findingsView(report: Report, columns: number, p: Palette, all: boolean): string[] {
  const out: string[] = [];
  const list = sortedFindings(report.findings);
  list.forEach((f, n) => {
    const label = `${n + 1}. ${f.severity.toUpperCase()} ${f.code}`;
    const lines = wrap(label, columns, '   ', '');
    lines[0] = p.severity(f.severity, p.bold(lines[0]));
    pushAll(out, lines);
    pushAll(out, wrap(f.message, columns, '   '));
    const fix = fixOf(f);
    if (fix) {
      const fl = wrap(`Fix: ${fix}`, columns, '        ', '   ');
      fl[0] = fl[0].replace(/^( {3})Fix:/, (_m, sp: string) => sp + p.bold('Fix:'));
      pushAll(out, fl);
    }
    const shown = all ? f.evidence : f.evidence.slice(0, EVIDENCE_SHOWN);
    for (const e of shown) pushAll(out, wrap(`${evidenceRef(e)}${e.text ? '  ' + e.text : ''}`, columns, '       ', '   - '));
    if (shown.length < f.evidence.length) {
      pushAll(out, wrap(`and ${f.evidence.length - shown.length} more (--verbose shows all)`, columns, '     ', '   - '));
    }
  });
  return out;
}

function findingOfFlow(report: Report, id: string): Finding | undefined {
  return sortedFindings(report.findings).find((f) => f.subject?.flows?.includes(id));
}

/** One flow as a list item: id, verdict, protocol, ends; then its path and why. */
function flowItem(report: Report, f: FlowReport, columns: number, p: Palette): string[] {
  const out: string[] = [];
  const head = wrap(`${f.id}  ${f.verdict.toUpperCase()}  ${f.protocol} ${endpointText(f.src)} → ${endpointText(f.dst)}`, columns, '      ', '  ');
  head[0] = head[0].replace(` ${f.verdict.toUpperCase()} `, ` ${p.verdict(f.verdict, f.verdict.toUpperCase())} `);
  pushAll(out, head);
  pushAll(out, wrap(`${f.kind}: ${f.summary.replace(/ -> /g, ' → ').replace(/ -x-> /g, ' ✗→ ')}`, columns, '        ', '      '));
  const finding = f.verdict === 'ok' ? undefined : findingOfFlow(report, f.id);
  const see = finding ? ` See finding ${sortedFindings(report.findings).indexOf(finding) + 1}.` : '';
  pushAll(out, wrap(f.why.replace(/\.?$/, '.') + see, columns, '        ', '      '));
  return out;
}

function healthyLine(flows: FlowReport[]): string {
  const ids = flows.map((f) => f.id);
  const shown = ids.slice(0, 12).join(', ') + (ids.length > 12 ? `, … ${ids.length - 12} more` : '');
  return `${flows.length} healthy flow${flows.length === 1 ? '' : 's'} (${shown}).`;
}

/** Link-local traffic (ARP, neighbour discovery, fe80::) is summarised: one line per host. */
function linkLocalLines(flows: FlowReport[]): string[] {
  const byHost = new Map<string, FlowReport[]>();
  for (const f of flows) {
    // The host it was seen on (link-local traffic never leaves it), else its sender's.
    const h = f.seenAt.find((x) => x.host !== undefined)?.host ?? f.src.host ?? 'an unknown host';
    byHost.set(h, [...(byHost.get(h) ?? []), f]);
  }
  return [...byHost].map(([h, list]) => {
    const protos = [...new Set(list.map((f) => f.protocol))].join('/');
    const packets = list.reduce((s, f) => s + f.packets, 0);
    const bad = list.filter((f) => f.verdict !== 'ok').length;
    return `link-local on ${h}: ${list.length} flow${list.length === 1 ? '' : 's'} (${protos}), ${packets} packet${packets === 1 ? '' : 's'}${bad ? `, ${bad} unanswered` : ''}.`;
  });
}

function inputsList(report: Report, columns: number): string[] {
  const out: string[] = [];
  for (const i of report.inputs) {
    const what = i.kind === 'capture' ? `capture ${i.host ?? '?'}:${i.interface ?? '?'}, ${i.packets ?? 0} packets` : i.kind === 'dump' ? `dump ${i.host ?? ''} ${(i.commands ?? []).join(', ')}`.replace('  ', ' ') : 'not read';
    pushAll(out, wrap(i.path, columns, '    ', '  '));
    pushAll(out, wrap(what, columns, '      ', '    '));
    for (const pr of i.problems) pushAll(out, wrap(`problem: ${pr}`, columns, '      ', '    '));
  }
  return out.length ? out : ['  No inputs.'];
}

function topologyList(report: Report, columns: number): string[] {
  const topo = report.topology;
  const out: string[] = [];
  for (const h of topo.hosts) {
    const addr = h.role === 'node' ? nodeAddress(topo, h.name) : undefined;
    pushAll(out, wrap(`${h.name}  ${h.role}${h.node ? ` on ${h.node}` : ''}${addr ? `, underlay ${addr}` : ''}`, columns, '    ', '  '));
    const { key, veths } = keyInterfaces(h);
    for (const i of key) pushAll(out, wrap(ifaceText(i), columns, '      ', '    '));
    if (veths.length) out.push(`    ${veths.length} veth${veths.length === 1 ? '' : 's'}`);
    for (const pod of topo.pods.filter((x) => x.host === h.name)) pushAll(out, wrap(`pod ${podText(pod)}`, columns, '      ', '    '));
  }
  for (const o of topo.overlay) {
    const head = `${o.host} ${o.device} ${o.type} VNI ${o.vni ?? '?'} port ${o.port ?? '?'}`;
    if (o.remotes.length === 0) pushAll(out, wrap(`${head}: ${o.subnet ?? '?'} (no remotes)`, columns, '    ', '  '));
    for (const r of o.remotes) {
      pushAll(out, wrap(`${head}: ${o.subnet ?? '?'} → ${r.subnet} via ${r.vtep ?? r.gateway ?? '?'}${r.host ? ` on ${r.host}` : ''} [${r.source}]`, columns, '    ', '  '));
    }
  }
  return out.length ? out : ['  No host dumps.'];
}

function flowsList(report: Report, columns: number, p: Palette): string[] {
  const out: string[] = [];
  for (const f of report.flows) pushAll(out, flowItem(report, f, columns, p));
  return out.length ? out : ['  No flows.'];
}

export function renderText(report: Report, opts: TextOptions = {}): string {
  return joinChunks(textChunks(report, opts));
}

/** The text report as chunks, written as they are made (the flows table row by row). */
/** "default/pod2 10.42.0.37"; a pod kubectl did not name (named by its address): "10.42.0.37 (unnamed)". */
function podText(p: Topology['pods'][number]): string {
  if (p.name === p.ip) return `${p.ip} (unnamed, from ${p.source})`;
  return `${p.namespace ? p.namespace + '/' : ''}${p.name} ${p.ip}`;
}

export function textChunks(report: Report, opts: TextOptions = {}): Generator<string> {
  return chunked(withNewlines(textLines(report, opts)));
}

function* textLines(report: Report, opts: TextOptions): Generator<string> {
  const columns = Math.max(40, opts.columns ?? DEFAULT_COLUMNS);
  const p = palette(Boolean(opts.color));
  const show = new Set<Section>(opts.show ?? []);
  const narrow = columns < LIST_BELOW;
  const head = wrap(headlineText(report), columns);
  yield* summarize(report).status === 'problem' ? head.map((l) => p.bold(l)) : head;
  if (report.filter) yield* wrap(filterLine(report.filter, report.flows.length), columns);

  if (report.findings.length) {
    yield* ['', p.bold(heading('Findings', columns))];
    yield* findingsView(report, columns, p, show.size > 0);
  }
  if (report.gaps?.length) {
    yield* ['', p.bold(heading('Evidence gaps', columns))];
    yield* gapsText(report, columns);
  }

  const linkLocal = report.flows.filter((f) => f.kind === 'link-local');
  const others = report.flows.filter((f) => f.kind !== 'link-local');
  const bad = others.filter((f) => f.verdict !== 'ok');
  const good = others.filter((f) => f.verdict === 'ok');
  if (bad.length) {
    yield* ['', p.bold(heading(`Flows with a problem (${bad.length} of ${others.length})`, columns))];
    for (const f of bad) yield* flowItem(report, f, columns, p);
  }
  if (good.length || linkLocal.length) yield* [''];
  if (good.length) yield* wrap(healthyLine(good), columns, '  ');
  for (const l of linkLocalLines(linkLocal)) yield* wrap(l, columns, '  ');

  if (show.has('flows')) {
    yield* ['', p.bold(heading('All flows', columns))];
    if (narrow) yield* flowsList(report, columns, p);
    else yield* flowsTable(report, columns);
  }
  if (show.has('inputs')) {
    yield* ['', p.bold(heading('Inputs', columns))];
    if (narrow) yield* inputsList(report, columns);
    else yield* inputsTable(report, columns);
  }
  if (show.has('topology')) {
    yield* ['', p.bold(heading('Topology', columns))];
    if (narrow) yield* topologyList(report, columns);
    else yield topologyText(report, columns);
  }
  yield* [''];
  yield* wrap(statsLine(report), columns);
  const clocks = clockLines(report);
  if (clocks.length) yield* wrap('Clock offsets: ' + clocks.join('; '), columns, '  ', '');
  if (report.problems.length) {
    yield* ['', heading('Problems', columns)];
    const shown = show.size > 0 ? report.problems : report.problems.slice(0, 5);
    for (const pr of shown) yield* wrap(pr, columns, '    ', '  - ');
    if (shown.length < report.problems.length) yield* [`  - and ${report.problems.length - shown.length} more (--verbose shows all)`];
  }
  if (!show.size) {
    yield* [''];
    yield* wrap('More: --verbose (inputs, topology, every flow), podpath explain --flow ID (one flow hop by hop).', columns);
  }
}

/**
 * A hop's latency with its uncertainty: between two hosts the clocks were aligned by an estimated
 * offset, and the estimate can be off by as much as the correction it made (NTP-style offsets
 * assume symmetric paths), so "58 µs ± 10 µs"; on one host the clock is shared: "58 µs".
 */
export function withUncertainty(report: Report, us: number, from?: string, to?: string): string {
  // A pod's network namespace shares its node's clock.
  const clockOf = (h?: string) => (h === undefined ? undefined : (report.topology.hosts.find((x) => x.name === h)?.node ?? report.topology.pods.find((x) => x.name === h)?.host ?? h));
  from = clockOf(from);
  to = clockOf(to);
  if (from === undefined || to === undefined || from === to) return formatUs(us);
  const off = (h: string) => report.clocks.find((c) => c.host === h)?.offsetUs ?? (report.clocks.some((c) => c.reference === h) ? 0 : undefined);
  const a = off(from);
  const b = off(to);
  if (a === undefined || b === undefined) return `${formatUs(us)} (clocks of ${from} and ${to} not aligned)`;
  return `${formatUs(us)} ± ${formatUs(Math.max(1, Math.abs(b - a)))}`;
}

/** The hop-by-hop story of the flows with these ids (all flows when `flowIds` is empty). */
export function renderExplain(report: Report, flowIds: string[] = [], opts: TextOptions = {}): string {
  const columns = Math.max(40, opts.columns ?? DEFAULT_COLUMNS);
  const p = palette(Boolean(opts.color));
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
          pushAll(out, wrap(`│ ${withUncertainty(report, lat, hop?.from.host, hop?.to.host)}${since}${n}`, columns, ' '.repeat(w + 6), ' '.repeat(w + 4)));
        }
        const num = `${String(i + 1).padStart(w)}.`;
        const cross = i === mark ? 'NEVER ARRIVED: ' : '';
        // A loss is between the last point that saw the packets and the next one, not on the first.
        const m = s.action === 'drop' ? s.missing : undefined;
        const headline = m
          ? `${num} lost between ${s.host} ${s.interface ?? '-'} and ${m.host} ${m.interface ?? '-'}`
          : `${num} ${s.host}  ${s.interface ?? '-'}  ${s.action}`;
        pushAll(out, wrap(headline, columns, ' '.repeat(w + 6), '  '));
        pushAll(out, wrap(cross + s.detail, columns, ' '.repeat(w + 6)));
        if (!m) {
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
    const verdict = wrap(`Verdict: ${f.verdict.toUpperCase()}. ${f.why}${rtt}`, columns, '    ', '  ');
    verdict[0] = verdict[0].replace(`Verdict: ${f.verdict.toUpperCase()}.`, p.verdict(f.verdict, `Verdict: ${f.verdict.toUpperCase()}.`));
    pushAll(out, verdict);
    const finding = f.verdict === 'ok' ? undefined : findingOfFlow(report, f.id);
    if (finding) {
      const n = sortedFindings(report.findings).indexOf(finding) + 1;
      const sum = summarize(report);
      const subject = sum.worst === finding ? sum.headline : (finding.subject?.title ?? finding.message);
      pushAll(out, wrap(`Finding ${n} (${finding.severity} ${finding.code}): ${subject.replace(/\.$/, '')}.`, columns, '    ', '  '));
      const fix = fixOf(finding);
      if (fix) pushAll(out, wrap(`Fix: ${fix}`, columns, '    ', '  '));
    }
    if (f.seenAt.length) {
      pushAll(out, wrap('Seen at: ' + f.seenAt.map((s) => `${s.input} (${s.host ?? '?'} ${s.interface ?? '?'}, ${s.packets} packets, ${s.first} .. ${s.last})`).join('; '), columns, '    ', '  '));
    }
    out.push('');
  }
  if (flows.length === 0 && !missing.length) out.push('No flows.');
  if (opts.others?.length) {
    const list = opts.others.map((id) => report.flows.find((f) => f.id === id)).filter((f): f is FlowReport => f !== undefined);
    pushAll(out, wrap(`Also matching (--all shows them, or --flow ID): ${list.map((f) => `${f.id} ${f.protocol} ${f.verdict}`).join(', ')}.`, columns));
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}
