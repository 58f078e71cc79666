/**
 * The Markdown report, for tickets: what failed, where and why in the first lines, with the
 * evidence; a Mermaid topology diagram (a subgraph per node, tunnels between VTEPs, the lost
 * tunnel in red with a cross); the flows; each finding with its evidence; the inputs with their
 * sha256; stats. Deterministic: the same report gives byte-identical output.
 */
import { natText, serviceLine } from './service-text.js';
import { chunked, joinChunks, mapIter, withNewlines } from './stream.js';
import type { Report } from '../path/types.js';
import { bridgeWire, buildDiagram, encapWired, inetAddresses, tunnelLabel, type DiagramPod } from './diagram.js';
import { escapeMarkdown, markdownCode, mermaidLabel } from './escape.js';
import { endpointText, evidenceRef, formatUs, gapParts, latencyText, notDecodedText, sortedFindings, summarize } from './summary.js';
import { pushAll } from '../arrays.js';

const md = (s: unknown) => escapeMarkdown(s, 'inline');
const cell = (s: unknown) => escapeMarkdown(s, 'cell');

function row(cells: string[]): string {
  return `| ${cells.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`;
}

function* tableMd(header: string[], rows: Iterable<string[]>, align: ('l' | 'r')[] = []): Generator<string> {
  yield row(header);
  yield `|${header.map((_, i) => (align[i] === 'r' ? ' ---: ' : ' --- ')).join('|')}|`;
  for (const r of rows) yield row(r);
}

function evidenceLine(e: { input: string; line?: number; packet?: number; text?: string }): string {
  return `- ${markdownCode(evidenceRef(e))}${e.text ? ` ${md(e.text)}` : ''}`;
}

function summaryMd(report: Report): string[] {
  const s = summarize(report);
  const out: string[] = [];
  if (s.worst) {
    out.push(`**${md(s.headline)}** (${md(s.lead)}: ${markdownCode(s.worst.code)})`);
    out.push('');
    out.push(`**Likely cause:** ${md(s.cause)}`);
    if (s.worst.evidence.length) {
      out.push('', '**Evidence:**', '');
      for (const e of s.worst.evidence) out.push(evidenceLine(e));
    }
  } else {
    out.push(`**${md(s.headline[0].toUpperCase() + s.headline.slice(1))}**`);
  }
  out.push('', `${md(s.counts)} · ${md(s.flows)} · ${report.stats.packets} packets from ${report.inputs.length} inputs`);
  return out;
}

/** The Mermaid flowchart: every id is generated (n0, n1, ...), every label goes through mermaidLabel. */
export function mermaidTopology(report: Report): string[] {
  const d = buildDiagram(report);
  const lines: string[] = ['```mermaid', 'flowchart LR'];
  let links = 0;
  const redLinks: number[] = [];
  const ids = new Map<string, string>();
  let next = 0;
  const id = (key: string) => {
    let v = ids.get(key);
    if (!v) {
      v = `n${next++}`;
      ids.set(key, v);
    }
    return v;
  };
  const label = (first: string | undefined, more: readonly (string | undefined)[] = []) =>
    `"${[first, ...more]
      .filter((p): p is string => !!p)
      .map(mermaidLabel)
      .join('<br/>')}"`;
  const podLabel = (p: DiagramPod) => label(`pod ${p.namespace ? p.namespace + '/' : ''}${p.name}`, [p.ip]);
  const link = (a: string, b: string, arrow = '---', text?: string): number => {
    lines.push(`    ${a} ${text !== undefined ? `${arrow}|"${mermaidLabel(text)}"|` : arrow} ${b}`);
    return links++;
  };
  // Keys are built from array positions, never from names alone (names may collide once escaped).
  d.nodes.forEach((n, ni) => {
    const g = id(`host:${ni}`);
    lines.push(`  subgraph ${g}[${label(n.known ? n.host : `${n.host} (no dumps)`, [n.address])}]`);
    lines.push('    direction TB');
    const nic = n.nic ? id(`nic:${ni}`) : undefined;
    if (n.nic && nic) lines.push(`    ${nic}[${label(n.nic.name, inetAddresses(n.nic))}]`);
    n.vteps.forEach((v, i) => {
      const vid = id(`vtep:${ni}:${i}`);
      const ov = report.topology.overlay.find((o) => o.host === n.host && o.device === v.name);
      const vni = v.vxlan?.vni ?? v.geneve?.vni ?? ov?.vni;
      lines.push(`    ${vid}[${label(`${v.name} ${v.kind === 'geneve' ? 'Geneve' : 'VXLAN'}${vni !== undefined ? ` VNI ${vni}` : ''}`, inetAddresses(v))}]`);
      if (nic && encapWired(report, n, v)) link(vid, nic, '-.-', 'encap');
    });
    if (!n.known || (!n.nic && n.vteps.length === 0)) {
      // A ghost VTEP: one box standing for the host.
      lines.push(`    ${id(`vtep:${ni}:0`)}[${label(n.address ? `VTEP ${n.address}` : n.host)}]`);
    }
    n.bridges.forEach((b, i) => {
      const bid = id(`br:${ni}:${i}`);
      lines.push(`    ${bid}[${label(`${b.name} bridge`, inetAddresses(b))}]`);
      // Only as routes tie them (a bridge no route sends to the tunnel, docker0, stays apart).
      const down = bridgeWire(report, n, b, n.vteps);
      if (down && down === n.nic && nic) link(bid, nic, '---');
      else if (down) link(bid, id(`vtep:${ni}:${n.vteps.indexOf(down)}`), '---', 'routes');
    });
    const bridgeOf = (master: string | undefined) => {
      const i = n.bridges.findIndex((b) => b.name === master);
      return n.bridges.length ? id(`br:${ni}:${Math.max(i, 0)}`) : nic;
    };
    n.veths.forEach((v, i) => {
      const vid = id(`veth:${ni}:${i}`);
      lines.push(`    ${vid}[${label(v.iface.name)}]`);
      const b = bridgeOf(v.iface.master);
      if (b) link(vid, b, '---');
      if (v.pod) {
        const pid = id(`pod:${ni}:v${i}`);
        lines.push(`    ${pid}(${podLabel(v.pod)})`);
        link(pid, vid, '---');
      }
    });
    n.pods.forEach((p, i) => {
      const pid = id(`pod:${ni}:p${i}`);
      lines.push(`    ${pid}(${podLabel(p)})`);
      const b = bridgeOf(undefined);
      if (b) link(pid, b, '-.-');
    });
    lines.push('  end');
  });
  d.unplaced.forEach((p, i) => lines.push(`  ${id(`unplaced:${i}`)}(${podLabel({ ...p, name: `${p.name} (node unknown)` })})`));
  const vtepId = (host: string) => {
    const ni = d.nodes.findIndex((n) => n.host === host);
    return ni < 0 ? undefined : d.nodes[ni].vteps.length || !d.nodes[ni].nic ? id(`vtep:${ni}:0`) : id(`nic:${ni}`);
  };
  const nicId = (host: string) => {
    const ni = d.nodes.findIndex((n) => n.host === host);
    return ni >= 0 && d.nodes[ni].nic ? id(`nic:${ni}`) : vtepId(host);
  };
  // Tunnels, one arrow per direction as the captures show it: seen at both ends (a pair seen both
  // ways is one double arrow), no packets seen (dotted), lost (red, on the NICs' link, where it happened).
  const done = new Set<number>();
  d.tunnels.forEach((t, i) => {
    if (done.has(i)) return;
    const a = vtepId(t.from);
    const b = vtepId(t.to);
    if (!a || !b) return;
    if (t.evidence === 'lost') {
      const inside = t.lost?.inside;
      const ni = inside ? d.nodes.findIndex((n) => n.host === inside.host) : -1;
      const text = `✗ ${t.lostLabel ?? `${tunnelLabel(t)} dropped`}`;
      if (ni >= 0 && d.nodes[ni].nic && d.nodes[ni].vteps.length) redLinks.push(link(id(`nic:${ni}`), id(`vtep:${ni}:0`), '-.-x', text));
      else redLinks.push(link(nicId(t.from) ?? a, nicId(t.to) ?? b, '==x', text));
      link(a, b, '-.->', `${tunnelLabel(t)}`);
      return;
    }
    const j = d.tunnels.findIndex((u, k) => k > i && u.from === t.to && u.to === t.from && tunnelLabel(u) === tunnelLabel(t) && u.evidence === t.evidence);
    if (t.evidence === 'seen' && j >= 0) {
      done.add(j);
      link(a, b, '<==>', tunnelLabel(t));
    } else if (t.evidence === 'seen') link(a, b, '==>', tunnelLabel(t));
    else link(a, b, '-.->', `no packets seen: ${tunnelLabel(t)}`);
  });
  // The underlay between the nodes' NICs, once per pair with a tunnel, unless a loss is drawn on it.
  const pairs = new Set<string>();
  for (const t of d.tunnels) {
    const [x, y] = [t.from, t.to].sort();
    const key = `${x}\u0000${y}`;
    if (pairs.has(key) || d.tunnels.some((u) => u.evidence === 'lost' && !u.lost?.inside && [u.from, u.to].sort().join('\u0000') === key)) continue;
    pairs.add(key);
    const nx = d.nodes.find((n) => n.host === x);
    const ny = d.nodes.find((n) => n.host === y);
    if (!nx?.nic || !ny?.nic) continue;
    link(id(`nic:${d.nodes.indexOf(nx)}`), id(`nic:${d.nodes.indexOf(ny)}`), '===', `underlay ${nx.address ?? '?'} - ${ny.address ?? '?'}`);
  }
  for (const l of d.otherLostLinks) {
    const a = (l.fromNode !== undefined ? nicId(l.fromNode) : undefined) ?? podId(l.link.from);
    const b = (l.toNode !== undefined ? nicId(l.toNode) : undefined) ?? podId(l.link.to);
    if (a && b && a !== b) redLinks.push(link(a, b, '-.-x', `✗ ${l.label}`));
  }
  function podId(name: string): string | undefined {
    for (const [ni, n] of d.nodes.entries()) {
      const vi = n.veths.findIndex((v) => v.pod?.name === name || v.pod?.host === name);
      if (vi >= 0) return id(`pod:${ni}:v${vi}`);
      const pi = n.pods.findIndex((p) => p.name === name || p.host === name);
      if (pi >= 0) return id(`pod:${ni}:p${pi}`);
    }
    return undefined;
  }
  if (redLinks.length) lines.push(`  linkStyle ${redLinks.join(',')} stroke:#d32f2f,stroke-width:3px,color:#d32f2f`);
  lines.push('```');
  return lines;
}

export function renderMarkdown(report: Report): string {
  return joinChunks(markdownChunks(report));
}

/** The Markdown report as chunks, written as they are made (tables row by row). */
export function markdownChunks(report: Report): Generator<string> {
  return chunked(withNewlines(markdownLines(report)));
}

function* markdownLines(report: Report): Generator<string> {
  yield* summaryMd(report);

  yield* ['', '## Topology', ''];
  if (report.topology.hosts.length || report.topology.overlay.length) yield* mermaidTopology(report);
  else yield* ['No host dumps: the topology is unknown.'];
  if (report.topology.overlay.length) {
    yield* [''];
    const rows: string[][] = [];
    for (const o of report.topology.overlay) {
      for (const r of o.remotes.length ? o.remotes : [undefined]) {
        rows.push([
          cell(o.host),
          cell(`${o.device} (${o.type})`),
          o.vni !== undefined ? String(o.vni) : '?',
          o.port !== undefined ? String(o.port) : '?',
          cell(o.subnet ?? '?'),
          r ? cell(r.subnet) : '',
          r ? cell(`${r.vtep ?? r.gateway ?? '?'}${r.host ? ` on ${r.host}` : ''}`) : '',
          r ? cell(r.source) : '',
        ]);
      }
    }
    yield* tableMd(['host', 'device', 'VNI', 'port', 'subnet', 'remote subnet', 'via VTEP', 'source'], rows, ['l', 'l', 'r', 'r']);
  }

  yield* ['', '## Flows', ''];
  if (report.flows.length) {
    yield* tableMd(
        ['id', 'protocol', 'src → dst', 'kind', 'path', 'verdict', 'latency'],
        mapIter(report.flows, (f) => [
          cell(f.id),
          cell(f.protocol),
          `${cell(endpointText(f.src))} → ${cell(endpointText(f.dst))}${serviceLine(f) ? ` (${cell(serviceLine(f)!)})` : ''}`,
          cell(f.kind),
          cell(f.summary + (f.nat?.length ? ` [${f.nat.map(natText).join('; ')}]` : '')),
          f.verdict === 'ok' ? 'ok' : `**${cell(f.verdict)}**`,
          cell(latencyText(f)),
        ]),
    );
  } else yield 'No flows.';

  yield* ['', '## Findings', ''];
  const findings = sortedFindings(report.findings);
  if (findings.length === 0) yield 'None.';
  for (let fi = 0; fi < findings.length; fi++) {
    const f = findings[fi];
    if (fi > 0) yield '';
    yield* [`### ${f.severity.toUpperCase()} ${md(f.code)}`, '', md(f.message)];
    if (f.evidence.length) {
      yield '';
      for (const e of f.evidence) yield evidenceLine(e);
    }
  }

  if (report.gaps?.length) {
    yield* ['', '## Evidence gaps', ''];
    for (const g of report.gaps) {
      const p = gapParts(g);
      yield `- ${p.where ? `**${md(p.where)}**: ` : ''}${md(p.what)}. Run ${markdownCode(p.command)}${p.flows ? ` (${md(p.flows)})` : ''}`;
    }
  }
  yield* ['', '## Inputs', ''];
  if (report.inputs.length) {
    yield* tableMd(
        ['path', 'kind', 'host', 'interface', 'packets', 'sha256', 'problems'],
        mapIter(report.inputs, (i) => [
          markdownCode(i.path, true),
          cell(i.kind + (i.format ? ` (${i.format})` : '')),
          cell(i.host ?? ''),
          cell(i.interface ?? ''),
          i.packets !== undefined ? String(i.packets) : '',
          i.sha256 ? markdownCode(i.sha256, true) : '',
          cell([...i.problems, notDecodedText(i)].filter((x) => x !== '').join('\n')),
        ]),
        ['l', 'l', 'l', 'l', 'r'],
    );
  } else yield 'No inputs.';

  const s = report.stats;
  yield* ['', '## Stats', ''];
  yield* [`Packets: ${s.packets} read, ${s.decoded} decoded, ${s.truncated} truncated, ${s.malformed} malformed, ${s.skipped} skipped, ${s.unexplained} unexplained.`];
  if (report.clocks.length) {
    yield* ['', 'Clock offsets:', ''];
    for (const c of report.clocks) {
      yield* [`- ${md(c.host)}: ${c.offsetUs >= 0 ? '+' : '-'}${formatUs(Math.abs(c.offsetUs))} vs ${md(c.reference)} (${c.samples} samples)`];
    }
  }
  if (report.problems.length) {
    yield* ['', '## Problems', ''];
    for (const p of report.problems) yield* [`- ${md(p)}`];
  }
}
