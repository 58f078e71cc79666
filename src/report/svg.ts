/**
 * The topology as inline SVG, laid out by hand (no library): nodes as boxes side by side; inside
 * each, from the top: pods, their veths, the bridge, the VXLAN/Geneve device, the underlay NIC.
 * Tunnels are arcs below the boxes between the nodes' NICs (the outer packets travel between
 * them), one per direction, labeled with the devices, VNI and port; a tunnel where packets
 * vanished is red with a cross. Every host carries `data-host`, every tunnel `data-tunnel="a->b"`,
 * every interface `data-iface`, every pod `data-pod` (all escaped). Deterministic.
 */
import { networkOf, subnetContains } from '../topology/lookup.js';
import type { TopoInterface } from '../topology/model.js';
import type { Report } from '../path/types.js';
import { bridgeWire, buildDiagram, encapWired, inetAddresses, tunnelLabel, type Diagram, type DiagramLostLink, type DiagramNode, type DiagramPod, type DiagramTunnel } from './diagram.js';
import { escapeAttr, svgText } from './escape.js';

const PAD = 16;
const SLOT_W = 136;
const SLOT_GAP = 12;
const NODE_GAP = 96;
const MARGIN = 24;
const MIN_NODE_W = 300;
const CHAR_W = 6.9; // average advance of the 12px sans-serif used, for truncation
const ROW = {
  title: 28,
  subtitle: 46,
  podTop: 64,
  podH: 46,
  vethTop: 136,
  vethH: 28,
  bridgeTop: 186,
  bridgeH: 36,
  vtepTop: 250,
  vtepH: 40,
  nicTop: 318,
  nicH: 40,
  height: 376,
};

/** Cuts `s` to fit `px` at ~CHAR_W per character, with an ellipsis. */
function fit(s: string, px: number, charW = CHAR_W): string {
  const max = Math.max(3, Math.floor(px / charW));
  const cps = [...s];
  return cps.length <= max ? s : cps.slice(0, max - 1).join('') + '…';
}

const n = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function rect(b: Box, cls: string, rx = 6): string {
  return `<rect class="${cls}" x="${n(b.x)}" y="${n(b.y)}" width="${n(b.w)}" height="${n(b.h)}" rx="${rx}"/>`;
}

function text(x: number, y: number, s: string, cls: string, anchor: 'start' | 'middle' | 'end' = 'middle'): string {
  return `<text class="${cls}" x="${n(x)}" y="${n(y)}" text-anchor="${anchor}">${svgText(s)}</text>`;
}

function line(x1: number, y1: number, x2: number, y2: number, cls: string): string {
  return `<line class="${cls}" x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}"/>`;
}

function title(s: string): string {
  return `<title>${svgText(s)}</title>`;
}

function cross(x: number, y: number, label: string, r = 11): string {
  const a = r / 2;
  return (
    `<g class="cross" data-lost="true">${title(label)}` +
    `<circle class="cross-bg" cx="${n(x)}" cy="${n(y)}" r="${r}"/>` +
    line(x - a, y - a, x + a, y + a, 'cross-x') +
    line(x - a, y + a, x + a, y - a, 'cross-x') +
    '</g>'
  );
}

function ifaceBox(host: string, i: TopoInterface | undefined, name: string, sub: string, b: Box, cls: string, tip: string): string {
  return (
    `<g class="iface ${cls}" data-host-iface="${escapeAttr(host)}" data-iface="${escapeAttr(i?.name ?? name)}">${title(tip)}` +
    rect(b, `box ${cls}`) +
    text(b.x + b.w / 2, b.y + (sub ? b.h / 2 - 2 : b.h / 2 + 4), fit(name, b.w - 12), 'label') +
    (sub ? text(b.x + b.w / 2, b.y + b.h / 2 + 13, fit(sub, b.w - 12, 6.2), 'sub') : '') +
    '</g>'
  );
}

function ifaceTip(host: string, i: TopoInterface): string {
  const parts = [`${host} ${i.name} (${i.kind})`, ...inetAddresses(i)];
  if (i.mtu !== undefined) parts.push(`mtu ${i.mtu}`);
  if (i.vxlan) parts.push(`VNI ${i.vxlan.vni ?? '?'} port ${i.vxlan.port ?? '?'}${i.vxlan.local ? ` local ${i.vxlan.local}` : ''}`);
  return parts.join(' · ');
}

function podBox(p: DiagramPod, b: Box, cls = ''): string {
  const hostAttr = p.host !== undefined ? ` data-host="${escapeAttr(p.host)}"` : '';
  const full = `${p.namespace ? p.namespace + '/' : ''}${p.name}`;
  return (
    `<g class="pod${cls}" data-pod="${escapeAttr(p.name)}"${hostAttr}>${title(`pod ${full}${p.ip ? ' ' + p.ip : ''}`)}` +
    rect(b, 'box pod', 10) +
    text(b.x + b.w / 2, b.y + 20, fit(p.name, b.w - 12), 'label') +
    text(b.x + b.w / 2, b.y + 36, fit(p.ip ?? '', b.w - 12, 6.2), 'sub mono') +
    '</g>'
  );
}

interface Placed {
  node: DiagramNode;
  x: number;
  w: number;
  /** NIC anchor (bottom center). */
  nicX: number;
}

function nodeWidth(nd: DiagramNode): number {
  if (!nd.known) return 220;
  const slots = Math.max(1, nd.veths.length + nd.pods.length);
  return Math.max(MIN_NODE_W, slots * SLOT_W + (slots - 1) * SLOT_GAP + 2 * PAD);
}

function drawNode(p: Placed, report: Report): string {
  const { node: nd, x, w } = p;
  const y = 0;
  const out: string[] = [];
  const cls = nd.known ? 'node' : 'node ghost';
  out.push(`<g class="${cls}" data-host="${escapeAttr(nd.host)}">`);
  out.push(title(`${nd.host}${nd.address ? ' · underlay ' + nd.address : ''}${nd.known ? '' : ' · no dumps of this host'}`));
  out.push(rect({ x, y, w, h: ROW.height }, nd.known ? 'frame' : 'frame ghost', 12));
  out.push(text(x + PAD, y + ROW.title, fit(nd.host, w - 2 * PAD - 24, 8.2), 'host', 'start'));
  out.push(text(x + PAD, y + ROW.subtitle, nd.known ? `node · underlay ${nd.address ?? '?'}` : 'no dumps of this host', 'sub', 'start'));
  const inner = w - 2 * PAD;
  const cx = x + w / 2;
  if (nd.known) {
    // Slots: veths (with their pods) first, then pods whose veth is unknown.
    const slotX = (i: number) => x + PAD + i * (SLOT_W + SLOT_GAP);
    const bridgeBoxes = nd.bridges.map((b, i) => {
      const bw = (inner - (nd.bridges.length - 1) * SLOT_GAP) / nd.bridges.length;
      return { iface: b, box: { x: x + PAD + i * (bw + SLOT_GAP), y: y + ROW.bridgeTop, w: bw, h: ROW.bridgeH } };
    });
    const vw = Math.min(240, inner);
    const vtepBoxes = nd.vteps.map((v, i) => {
      const each = (vw - (nd.vteps.length - 1) * SLOT_GAP) / nd.vteps.length;
      return { iface: v, box: { x: cx - vw / 2 + i * (each + SLOT_GAP), y: y + ROW.vtepTop, w: each, h: ROW.vtepH } };
    });
    const nicBox = { x: cx - vw / 2, y: y + ROW.nicTop, w: vw, h: ROW.nicH };
    // Wires first, so boxes paint over their ends.
    const wires: string[] = [];
    const bridgeFor = (master?: string) => bridgeBoxes.find((b) => b.iface.name === master) ?? bridgeBoxes[0];
    nd.veths.forEach((v, i) => {
      const sx = slotX(i) + SLOT_W / 2;
      if (v.pod) wires.push(line(sx, y + ROW.podTop + ROW.podH, sx, y + ROW.vethTop, 'wire'));
      const b = v.iface.master !== undefined ? bridgeFor(v.iface.master) : undefined;
      if (b) wires.push(line(sx, y + ROW.vethTop + ROW.vethH, sx, b.box.y, 'wire'));
    });
    nd.pods.forEach((pod, j) => {
      const sx = slotX(nd.veths.length + j) + SLOT_W / 2;
      // Its veth is unknown: a dashed line to the bridge whose subnet holds the pod's address.
      const b =
        bridgeBoxes.find((x) => x.iface.addresses.some((a) => pod.ip !== undefined && subnetContains(networkOf(a.address, a.prefixLength) ?? '', pod.ip))) ?? bridgeBoxes[0];
      if (b) {
        const tx = Math.min(Math.max(sx, b.box.x + 12), b.box.x + b.box.w - 12);
        wires.push(line(sx, y + ROW.podTop + ROW.podH, tx, b.box.y, 'wire dashed'));
      }
    });
    for (const b of bridgeBoxes) {
      const wired = bridgeWire(report, nd, b.iface, nd.vteps);
      const target = wired === undefined ? undefined : wired === nd.nic ? nicBox : vtepBoxes.find((v) => v.iface === wired)?.box;
      if (!target) continue;
      const bx = Math.min(Math.max(target.x + target.w / 2, b.box.x + 10), b.box.x + b.box.w - 10);
      wires.push(line(bx, b.box.y + b.box.h, bx, target.y, 'wire'));
    }
    for (const v of vtepBoxes) {
      if (!encapWired(report, nd, v.iface)) continue;
      const vx = v.box.x + v.box.w / 2;
      wires.push(line(vx, v.box.y + v.box.h, vx, nicBox.y, 'wire encap'));
    }
    out.push(`<g class="wires">${wires.join('')}</g>`);
    nd.veths.forEach((v, i) => {
      const sx = slotX(i);
      if (v.pod) out.push(podBox(v.pod, { x: sx, y: y + ROW.podTop, w: SLOT_W, h: ROW.podH }));
      out.push(ifaceBox(nd.host, v.iface, v.iface.name, '', { x: sx + 8, y: y + ROW.vethTop, w: SLOT_W - 16, h: ROW.vethH }, 'veth', ifaceTip(nd.host, v.iface)));
    });
    nd.pods.forEach((pod, j) => out.push(podBox(pod, { x: slotX(nd.veths.length + j), y: y + ROW.podTop, w: SLOT_W, h: ROW.podH }, ' noveth')));
    for (const b of bridgeBoxes) {
      out.push(ifaceBox(nd.host, b.iface, `${b.iface.name} · bridge`, inetAddresses(b.iface).join(' '), b.box, 'bridge', ifaceTip(nd.host, b.iface)));
    }
    for (const v of vtepBoxes) {
      const ov = report.topology.overlay.find((o) => o.host === nd.host && o.device === v.iface.name);
      const vni = v.iface.vxlan?.vni ?? v.iface.geneve?.vni ?? ov?.vni;
      const port = v.iface.vxlan?.port ?? v.iface.geneve?.port ?? ov?.port;
      const kind = v.iface.kind === 'geneve' || ov?.type === 'geneve' ? 'Geneve' : 'VXLAN';
      out.push(
        ifaceBox(nd.host, v.iface, `${v.iface.name} · ${kind}`, `VNI ${vni ?? '?'} · UDP ${port ?? '?'} · ${inetAddresses(v.iface).join(' ')}`, v.box, 'vtep', ifaceTip(nd.host, v.iface)),
      );
    }
    if (nd.nic) {
      out.push(ifaceBox(nd.host, nd.nic, nd.nic.name, inetAddresses(nd.nic).join(' '), nicBox, 'nic', ifaceTip(nd.host, nd.nic)));
    } else {
      out.push(ifaceBox(nd.host, undefined, 'underlay NIC unknown', nd.address ?? '', nicBox, 'nic unknown', `${nd.host}: no underlay interface in the dumps`));
    }
  } else {
    const vw = w - 2 * PAD;
    out.push(ifaceBox(nd.host, undefined, `VTEP ${nd.address ?? '?'}`, 'no dumps', { x: x + PAD, y: y + ROW.nicTop, w: vw, h: ROW.nicH }, 'nic ghost', `VTEP ${nd.address ?? '?'}: no dumps of the host owning it`));
  }
  out.push('</g>');
  return out.join('');
}

/** Point of the cubic Bézier (p0, p1, p2, p3) at t. */
function bezier(t: number, p0: number, p1: number, p2: number, p3: number): number {
  const u = 1 - t;
  return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
}

export interface SvgResult {
  /** The wide layout (nodes side by side). */
  svg: string;
  width: number;
  height: number;
  /** The narrow layout (nodes stacked, tunnels beside them), for small screens. */
  narrow: string;
}

/** One drawn tunnel: a direction, or a merged pair of directions both seen. */
interface Arc {
  t: DiagramTunnel;
  pair?: DiagramTunnel;
}

/** Pairs two `seen` directions with the same label into one arc; everything else is one arc. */
function arcsOf(d: Diagram): Arc[] {
  const merged = new Set<number>();
  const arcs: Arc[] = [];
  d.tunnels.forEach((t, k) => {
    if (merged.has(k)) return;
    const back =
      t.evidence !== 'seen'
        ? -1
        : d.tunnels.findIndex((u, m) => m !== k && !merged.has(m) && u.from === t.to && u.to === t.from && u.evidence === 'seen' && tunnelLabel(u) === tunnelLabel(t));
    if (back >= 0) merged.add(back);
    arcs.push({ t, pair: back >= 0 ? d.tunnels[back] : undefined });
  });
  return arcs;
}

interface ArcLook {
  open: string;
  close: string;
  tip: string;
  /** First label line (what the evidence says), second (devices, VNI, port). */
  line1: string;
  line2?: string;
  cls: 'seen' | 'unseen' | 'lost';
  marker: string;
}

function arcLook(a: Arc, ids: string): ArcLook {
  const { t, pair } = a;
  const ev = t.evidence;
  const attrs = (x: DiagramTunnel, extra = '') =>
    `data-tunnel="${escapeAttr(`${x.from}->${x.to}`)}" data-evidence="${x.evidence}"${x.evidence === 'lost' ? ' data-lost="true"' : ''}${extra}`;
  const devices = `${t.fromDevice}${pair ? ' ⇄ ' : ' → '}${t.toDevice ?? t.to}`;
  const label = `${devices} · ${tunnelLabel(t)}`;
  const open =
    `<g class="tunnel ${ev}" ${attrs(t)}>` + (pair ? `<g class="tunnel back ${pair.evidence}" ${attrs(pair)}>` : '');
  const close = pair ? '</g></g>' : '</g>';
  const tip = [`${t.from}${pair ? ' ⇄ ' : ' → '}${t.to}: ${tunnelLabel(t)}`, t.evidenceNote, ...(pair ? [pair.evidenceNote] : [])].join('. ');
  if (ev === 'lost') return { open, close, tip, line1: `✗ ${t.lostLabel ?? 'packets lost'}`, line2: label, cls: 'lost', marker: `pp-arrow-lost${ids}` };
  if (ev === 'unseen') return { open, close, tip, line1: `no packets seen ${t.from} → ${t.to}`, line2: label, cls: 'unseen', marker: `pp-arrow-unseen${ids}` };
  return { open, close, tip, line1: label, cls: 'seen', marker: `pp-arrow${ids}` };
}

function markers(ids: string): string {
  const m = (id: string, cls: string) =>
    `<marker id="${id}${ids}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="${cls}"/></marker>`;
  return `<defs>${m('pp-arrow', 'arrowhead')}${m('pp-arrow-lost', 'arrowhead lost')}${m('pp-arrow-unseen', 'arrowhead unseen')}</defs>`;
}

/** A lost link between two nodes that is not a tunnel: its own red arc group. */
function lostLinkOpen(l: DiagramLostLink): string {
  return `<g class="tunnel lost link" data-link="${escapeAttr(`${l.link.from}->${l.link.to}`)}" data-evidence="lost" data-lost="true">${title(`${l.label}: ${l.link.finding.code}`)}`;
}

/** Lost links with no two nodes to draw between: a line of text, never a mark on a box. */
function lostNotes(d: Diagram, drawn: Set<DiagramLostLink>, x: number, y: number, w: number): { svg: string; h: number } {
  const rest = d.otherLostLinks.filter((l) => !drawn.has(l));
  const parts = rest.map(
    (l, i) =>
      `<g class="lostnote" data-lost="true">${title(`${l.label}: ${l.link.finding.code}`)}${text(x, y + 16 + i * 18, fit(`✗ ${l.label}`, w, 6.4), 'tlabel lost', 'start')}</g>`,
  );
  return { svg: parts.join(''), h: rest.length ? rest.length * 18 + 10 : 0 };
}

export function renderTopologySvg(report: Report): SvgResult {
  const d = buildDiagram(report);
  const wide = renderWide(d, report);
  return { ...wide, narrow: renderNarrow(d, report) };
}

function renderWide(d: Diagram, report: Report): { svg: string; width: number; height: number } {
  const placed: Placed[] = [];
  let cursor = MARGIN;
  for (const nd of d.nodes) {
    const w = nodeWidth(nd);
    placed.push({ node: nd, x: cursor, w, nicX: cursor + w / 2 });
    cursor += w + NODE_GAP;
  }
  // Pods whose node is unknown: one extra column.
  let unplacedSvg = '';
  if (d.unplaced.length) {
    const w = SLOT_W + 2 * PAD;
    const parts = [`<g class="unplaced">`, rect({ x: cursor, y: 0, w, h: ROW.height }, 'frame ghost', 12), text(cursor + PAD, ROW.title, 'node unknown', 'host', 'start')];
    d.unplaced.slice(0, 6).forEach((p, i) => parts.push(podBox(p, { x: cursor + PAD, y: ROW.podTop + i * (ROW.podH + 8), w: SLOT_W, h: ROW.podH })));
    if (d.unplaced.length > 6) parts.push(text(cursor + w / 2, ROW.height - 10, `+${d.unplaced.length - 6} more`, 'sub'));
    parts.push('</g>');
    unplacedSvg = parts.join('');
    cursor += w + NODE_GAP;
  }
  const width = Math.max(cursor - NODE_GAP + MARGIN, 320);
  const top = 8;
  const nicBottom = ROW.nicTop + ROW.nicH;
  const index = new Map(placed.map((p, i) => [p.node.host, i]));
  const tunnels: string[] = [];
  let maxY = nicBottom + 30;
  /** An arc between the NICs of nodes i and j; returns its path, label anchor and a point for a cross. */
  const geometry = (i: number, j: number, merged: boolean, extra: number) => {
    const a = placed[i];
    const b = placed[j];
    const forward = i < j;
    const span = Math.abs(i - j);
    const depth = 70 + (span - 1) * 110 + (forward || merged ? 0 : 76) + extra;
    // Left-to-right is the inner arc (its ends inside), right-to-left the outer: they never cross.
    const inward = forward ? 1 : -1;
    const x1 = a.nicX + 14 * inward;
    const x2 = b.nicX - 14 * inward;
    const y0 = nicBottom;
    const c = y0 + depth;
    const path = `M ${n(x1)} ${n(y0 + (merged ? 2 : 0))} C ${n(x1)} ${n(c)}, ${n(x2)} ${n(c)}, ${n(x2)} ${n(y0 + 2)}`;
    const bottom = bezier(0.5, y0, c, c, y0);
    return { path, x1, x2, bottom, mid: { x: (x1 + x2) / 2, y: bottom } };
  };
  // Labels under the arcs: each block of lines goes down until it overlaps no earlier block.
  const labelBoxes: { x1: number; x2: number; y1: number; y2: number }[] = [];
  const freeY = (cx: number, w: number, want: number, lines: number): number => {
    const x1 = cx - w / 2;
    const x2 = cx + w / 2;
    let y = want;
    for (let moved = true; moved; ) {
      moved = false;
      for (const b of labelBoxes) {
        if (x1 < b.x2 && b.x1 < x2 && y - 11 < b.y2 && b.y1 < y - 11 + lines * 14) {
          y = b.y2 + 11 + 4;
          moved = true;
        }
      }
    }
    labelBoxes.push({ x1, x2, y1: y - 11, y2: y - 11 + lines * 14 });
    return y;
  };
  for (const arc of arcsOf(d)) {
    const { t, pair } = arc;
    const i = index.get(t.from);
    const j = index.get(t.to);
    if (i === undefined || j === undefined) continue;
    const look = arcLook(arc, '');
    const g = geometry(i, j, !!pair, 0);
    const lost = look.cls === 'lost';
    const room = Math.max(Math.abs(g.x2 - g.x1) + 40, 220);
    // The first line (where packets were lost, or what was seen) wraps onto a second rather than lose its end.
    const l1 = wrap(look.line1, Math.floor(room / 6.4), 2);
    const l2 = look.line2 ? fit(look.line2, room, 6.2) : undefined;
    const y1 = freeY(g.mid.x, Math.max(...[...l1, l2 ?? ''].map((x) => [...x].length)) * 6.4, g.bottom + (lost ? 27 : 16), l1.length + (l2 ? 1 : 0));
    const y2 = y1 + 14 * l1.length;
    const parts = [
      look.open,
      title(look.tip),
      `<path class="arc" d="${g.path}"${pair ? ` marker-start="url(#${look.marker})"` : ''} marker-end="url(#${look.marker})"/>`,
      ...l1.map((line, k) => text(g.mid.x, y1 + 14 * k, line, `tlabel ${look.cls}`)),
      l2 ? text(g.mid.x, y2, l2, 'sub') : '',
    ];
    if (lost) {
      const inside = t.lost?.inside;
      const p = inside ? placed.find((x) => x.node.host === inside.host) : undefined;
      // Inside a node: on its NIC-to-VTEP wire; else on the arc, between the two NICs.
      if (p) parts.push(cross(p.x + p.w / 2, ROW.vtepTop + ROW.vtepH + (ROW.nicTop - ROW.vtepTop - ROW.vtepH) / 2, `${look.line1.slice(2)}`, 10));
      else parts.push(cross(g.mid.x, g.mid.y, `${look.line1.slice(2)} (${t.lost?.finding.code ?? 'lost'})`));
    }
    parts.push(look.close);
    tunnels.push(parts.join(''));
    maxY = Math.max(maxY, y2 + (look.line2 ? 14 : 0));
  }
  const drawn = new Set<DiagramLostLink>();
  for (const l of d.otherLostLinks) {
    const i = l.fromNode !== undefined ? index.get(l.fromNode) : undefined;
    const j = l.toNode !== undefined ? index.get(l.toNode) : undefined;
    if (i === undefined || j === undefined || i === j) continue;
    drawn.add(l);
    const g = geometry(i, j, false, 40);
    const l1 = wrap(`✗ ${l.label}`, Math.floor(Math.max(Math.abs(g.x2 - g.x1) + 40, 220) / 6.4), 2);
    const y1 = freeY(g.mid.x, Math.max(...l1.map((x) => [...x].length)) * 6.4, g.bottom + 27, l1.length);
    tunnels.push(
      lostLinkOpen(l) +
        `<path class="arc" d="${g.path}" marker-end="url(#pp-arrow-lost)"/>` +
        l1.map((line, k) => text(g.mid.x, y1 + 14 * k, line, 'tlabel lost')).join('') +
        cross(g.mid.x, g.mid.y, `${l.label} (${l.link.finding.code})`) +
        '</g>',
    );
    maxY = Math.max(maxY, y1 + 14 * l1.length);
  }
  const notes = lostNotes(d, drawn, MARGIN, maxY, width - 2 * MARGIN);
  maxY += notes.h;
  const nodesSvg = placed.map((p) => drawNode(p, report)).join('');
  const height = Math.ceil(maxY + top);
  const underlay =
    d.tunnels.length || drawn.size
      ? rect({ x: MARGIN / 2, y: ROW.height + 8, w: width - MARGIN, h: maxY - ROW.height - 8 - notes.h }, 'underlay', 10) + text(MARGIN, ROW.height + 24, 'underlay network', 'sub', 'start')
      : '';
  const svg =
    `<svg class="topology wide" role="img" aria-label="Topology: ${escapeAttr(d.nodes.map((x) => x.host).join(', '))}" viewBox="0 ${-top} ${width} ${height}" width="${width}" height="${height}">` +
    markers('') +
    underlay +
    nodesSvg +
    unplacedSvg +
    tunnels.join('') +
    notes.svg +
    '</svg>';
  return { svg, width, height };
}

// ---- The narrow layout: nodes stacked, each as rows; tunnels as arcs in a gutter on the right,
// numbered, with their labels in a list below (legible at 400 px: the viewBox is 360 wide).

const NW = 360;
const NX = 8;
const NBOX = 252;
const NIN = 10;
const NIC_R = NX + NBOX - NIN; // right edge of the NIC box, where arcs start

interface Stacked {
  node: DiagramNode;
  y: number;
  h: number;
  /** Centre line of the NIC row, and of the NIC-to-VTEP wire. */
  nicY: number;
  wireY?: number;
}

/** Word-wraps `s` into lines of at most `max` characters (long words are cut with …). */
function wrap(s: string, max: number, lines = 3): string[] {
  const out: string[] = [];
  let cur = '';
  for (const w of s.split(' ')) {
    const word = [...w].length > max ? fit(w, max * 6.4, 6.4) : w;
    if (cur && [...cur].length + 1 + [...word].length > max) {
      out.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) out.push(cur);
  if (out.length > lines) return [...out.slice(0, lines - 1), fit(out.slice(lines - 1).join(' '), max * 6.4, 6.4)];
  return out;
}

function drawStacked(nd: DiagramNode, y0: number, report: Report): { svg: string; st: Stacked } {
  const x = NX;
  const w = NBOX;
  const out: string[] = [];
  const wires: string[] = [];
  const boxes: string[] = [];
  let y = y0 + 54;
  const inner = w - 2 * NIN;
  if (!nd.known) {
    const h = 110;
    out.push(`<g class="node ghost" data-host="${escapeAttr(nd.host)}">${title(`${nd.host} · no dumps of this host`)}`);
    out.push(rect({ x, y: y0, w, h }, 'frame ghost', 12));
    out.push(text(x + NIN, y0 + 24, fit(nd.host, w - 2 * NIN, 8.2), 'host', 'start'));
    out.push(text(x + NIN, y0 + 42, 'no dumps of this host', 'sub', 'start'));
    out.push(ifaceBox(nd.host, undefined, `VTEP ${nd.address ?? '?'}`, 'no dumps', { x: x + NIN, y: y0 + 60, w: inner, h: 36 }, 'nic ghost', `VTEP ${nd.address ?? '?'}: no dumps of the host owning it`));
    out.push('</g>');
    return { svg: out.join(''), st: { node: nd, y: y0, h, nicY: y0 + 78 } };
  }
  const podW = 118;
  const vethX = x + NIN + podW + 12;
  const vethW = x + w - NIN - vethX;
  const slotH = 40;
  const vethRows: { v: DiagramNode['veths'][number]; y: number }[] = nd.veths.map((v, i) => ({ v, y: y + i * (slotH + 8) }));
  const podRows = nd.pods.map((p, j) => ({ p, y: y + (nd.veths.length + j) * (slotH + 8) }));
  y += (nd.veths.length + nd.pods.length) * (slotH + 8);
  // A bridge tied to nothing here (no pod's veth, no route to the tunnel: docker0) is drawn
  // under the NIC, so no wire of the pods' path runs through it.
  const attached = (b: TopoInterface) =>
    nd.veths.some((v) => v.iface.master === b.name) || bridgeWire(report, nd, b, nd.vteps) !== undefined;
  const bridgeRows = nd.bridges.filter(attached).map((b, i) => ({ b, box: { x: x + NIN, y: y + i * 40, w: inner, h: 32 } }));
  y += bridgeRows.length * 40;
  const vw = nd.vteps.length ? (inner - (nd.vteps.length - 1) * 8) / nd.vteps.length : inner;
  const vtepRows = nd.vteps.map((v, i) => ({ v, box: { x: x + NIN + i * (vw + 8), y: y + 4, w: vw, h: 38 } }));
  if (nd.vteps.length) y += 54;
  const nicBox = { x: x + NIN, y: y + 4, w: inner, h: 38 };
  y += 50;
  for (const b of nd.bridges.filter((b) => !attached(b))) {
    bridgeRows.push({ b, box: { x: x + NIN, y, w: inner, h: 32 } });
    y += 40;
  }
  const h = y - y0;
  const cx = x + w / 2;
  for (const { v, y: ry } of vethRows) {
    if (v.pod) wires.push(line(x + NIN + podW, ry + slotH / 2, vethX, ry + slotH / 2, 'wire'));
    const b = bridgeRows.find((r) => r.b.name === v.iface.master) ?? (v.iface.master !== undefined ? bridgeRows[0] : undefined);
    if (b) wires.push(line(vethX + vethW / 2, ry + slotH / 2 + 13, vethX + vethW / 2, b.box.y, 'wire'));
  }
  for (const { y: ry } of podRows) {
    const b = bridgeRows[0];
    if (b) wires.push(line(x + NIN + 14, ry + slotH, x + NIN + 14, b.box.y, 'wire dashed'));
  }
  for (const r of bridgeRows) {
    const wired = bridgeWire(report, nd, r.b, nd.vteps);
    const target = wired === undefined ? undefined : wired === nd.nic ? nicBox : vtepRows.find((v) => v.v === wired)?.box;
    // Bridges are stacked rows: the wire runs down the middle to the first row below this one.
    if (target) wires.push(line(target.x + target.w / 2, r.box.y + r.box.h, target.x + target.w / 2, target.y, 'wire'));
  }
  for (const r of vtepRows) if (encapWired(report, nd, r.v)) wires.push(line(r.box.x + r.box.w / 2, r.box.y + r.box.h, r.box.x + r.box.w / 2, nicBox.y, 'wire encap'));
  for (const { v, y: ry } of vethRows) {
    if (v.pod) boxes.push(podBox(v.pod, { x: x + NIN, y: ry, w: podW, h: slotH }));
    boxes.push(ifaceBox(nd.host, v.iface, v.iface.name, '', { x: vethX, y: ry + 7, w: vethW, h: 26 }, 'veth', ifaceTip(nd.host, v.iface)));
  }
  for (const { p, y: ry } of podRows) boxes.push(podBox(p, { x: x + NIN, y: ry, w: podW, h: slotH }, ' noveth'));
  for (const r of bridgeRows) boxes.push(ifaceBox(nd.host, r.b, `${r.b.name} · bridge`, inetAddresses(r.b).join(' '), r.box, 'bridge', ifaceTip(nd.host, r.b)));
  for (const r of vtepRows) {
    const ov = report.topology.overlay.find((o) => o.host === nd.host && o.device === r.v.name);
    const vni = r.v.vxlan?.vni ?? r.v.geneve?.vni ?? ov?.vni;
    const port = r.v.vxlan?.port ?? r.v.geneve?.port ?? ov?.port;
    const kind = r.v.kind === 'geneve' || ov?.type === 'geneve' ? 'Geneve' : 'VXLAN';
    boxes.push(ifaceBox(nd.host, r.v, `${r.v.name} · ${kind}`, `VNI ${vni ?? '?'} · UDP ${port ?? '?'} · ${inetAddresses(r.v).join(' ')}`, r.box, 'vtep', ifaceTip(nd.host, r.v)));
  }
  if (nd.nic) boxes.push(ifaceBox(nd.host, nd.nic, nd.nic.name, inetAddresses(nd.nic).join(' '), nicBox, 'nic', ifaceTip(nd.host, nd.nic)));
  else boxes.push(ifaceBox(nd.host, undefined, 'underlay NIC unknown', nd.address ?? '', nicBox, 'nic unknown', `${nd.host}: no underlay interface in the dumps`));
  out.push(`<g class="node" data-host="${escapeAttr(nd.host)}">`);
  out.push(title(`${nd.host}${nd.address ? ' · underlay ' + nd.address : ''}`));
  out.push(rect({ x, y: y0, w, h }, 'frame', 12));
  out.push(text(x + NIN, y0 + 24, fit(nd.host, w - 2 * NIN, 8.2), 'host', 'start'));
  out.push(text(x + NIN, y0 + 42, fit(`node · underlay ${nd.address ?? '?'}`, w - 2 * NIN, 6.2), 'sub', 'start'));
  out.push(`<g class="wires">${wires.join('')}</g>`, ...boxes, '</g>');
  const wireY = vtepRows.length ? (vtepRows[0].box.y + vtepRows[0].box.h + nicBox.y) / 2 : undefined;
  return { svg: out.join(''), st: { node: nd, y: y0, h, nicY: nicBox.y + nicBox.h / 2, wireY } };
}

function renderNarrow(d: Diagram, report: Report): string {
  const stacked: Stacked[] = [];
  const parts: string[] = [];
  let y = 0;
  for (const nd of d.nodes) {
    const r = drawStacked(nd, y, report);
    stacked.push(r.st);
    parts.push(r.svg);
    y += r.st.h + 22;
  }
  if (d.unplaced.length) {
    const shown = d.unplaced.slice(0, 6);
    const h = 40 + shown.length * 48 + (d.unplaced.length > 6 ? 18 : 0);
    parts.push(`<g class="unplaced">`, rect({ x: NX, y, w: NBOX, h }, 'frame ghost', 12), text(NX + NIN, y + 24, 'node unknown', 'host', 'start'));
    shown.forEach((p, i) => parts.push(podBox(p, { x: NX + NIN, y: y + 36 + i * 48, w: NBOX - 2 * NIN, h: 40 })));
    if (d.unplaced.length > 6) parts.push(text(NX + NBOX / 2, y + h - 8, `+${d.unplaced.length - 6} more`, 'sub'));
    parts.push('</g>');
    y += h + 22;
  }
  const index = new Map(stacked.map((s, i) => [s.node.host, i]));
  const arcs = arcsOf(d).filter((a) => index.has(a.t.from) && index.has(a.t.to));
  const links = d.otherLostLinks.filter((l) => l.fromNode !== undefined && l.toNode !== undefined && l.fromNode !== l.toNode && index.has(l.fromNode) && index.has(l.toNode));
  // Short spans nearest the boxes, so nested arcs do not cross.
  const order = [...arcs.map((a) => ({ a, span: Math.abs(index.get(a.t.from)! - index.get(a.t.to)!) })), ...links.map((l) => ({ l, span: Math.abs(index.get(l.fromNode!)! - index.get(l.toNode!)!) }))].sort(
    (p, q) => p.span - q.span,
  );
  const bulgeOf = new Map<unknown, number>();
  // The control points stay inside the viewBox too (a browser may count them in an arc's box).
  order.forEach((o, k) => bulgeOf.set('a' in o ? o.a : o.l, Math.min(18 + k * 16, (NW - 6 - NIC_R) * 0.75, NW - NIC_R - 12)));
  const gutter: string[] = [];
  const list: string[] = [];
  let ly = y + 6;
  if (order.length) list.push(text(NX, ly + 10, 'Tunnels (numbered on the right)', 'sub', 'start'));
  ly += 22;
  // Labels start at x 32 and are bold 11.5 px: about 7.2 units a character, to stay inside the viewBox.
  const maxChars = Math.floor((NW - 32 - 8) / 7.2);
  const curve = (i: number, j: number, bulge: number) => {
    const yi = stacked[i].nicY + (i < j ? 6 : -6);
    const yj = stacked[j].nicY + (i < j ? -6 : 6);
    const gx = NIC_R + bulge / 0.75;
    return { d: `M ${n(NIC_R)} ${n(yi)} C ${n(gx)} ${n(yi)}, ${n(gx)} ${n(yj)}, ${n(NIC_R)} ${n(yj)}`, mx: NIC_R + bulge, my: (yi + yj) / 2 };
  };
  const badge = (x: number, yy: number, k: number, cls: string) => `<circle class="badge ${cls}" cx="${n(x)}" cy="${n(yy)}" r="8"/>${text(x, yy + 4, String(k), 'badgeno')}`;
  let k = 0;
  for (const arc of arcs) {
    k++;
    const look = arcLook(arc, '-n');
    const i = index.get(arc.t.from)!;
    const j = index.get(arc.t.to)!;
    const c = curve(i, j, bulgeOf.get(arc)!);
    const g = [look.open, title(look.tip), `<path class="arc" d="${c.d}"${arc.pair ? ` marker-start="url(#${look.marker})"` : ''} marker-end="url(#${look.marker})"/>`];
    if (look.cls === 'lost') {
      const inside = arc.t.lost?.inside;
      const st = inside ? stacked.find((s) => s.node.host === inside.host) : undefined;
      if (st?.wireY !== undefined) g.push(cross(NX + NBOX / 2, st.wireY, look.line1.slice(2), 9));
      else g.push(cross(c.mx, c.my, look.line1.slice(2), 9));
      g.push(badge(c.mx, c.my - 22, k, look.cls));
    } else g.push(badge(c.mx, c.my, k, look.cls));
    // Its entry in the list below.
    g.push(badge(NX + 8, ly + 2, k, look.cls));
    const l1 = wrap(look.line1, maxChars, 3);
    l1.forEach((s, m) => g.push(text(NX + 24, ly + 6 + m * 15, s, `tlabel ${look.cls}`, 'start')));
    let used = l1.length * 15;
    if (look.line2) {
      const l2 = wrap(look.line2, maxChars + 2, 2);
      l2.forEach((s, m) => g.push(text(NX + 24, ly + 6 + used + m * 14, s, 'sub', 'start')));
      used += l2.length * 14;
    }
    ly += used + 10;
    g.push(look.close);
    gutter.push(g.join(''));
  }
  for (const l of links) {
    k++;
    const c = curve(index.get(l.fromNode!)!, index.get(l.toNode!)!, bulgeOf.get(l)!);
    const g = [lostLinkOpen(l), `<path class="arc" d="${c.d}" marker-end="url(#pp-arrow-lost-n)"/>`, cross(c.mx, c.my, l.label, 9), badge(c.mx, c.my - 22, k, 'lost'), badge(NX + 8, ly + 2, k, 'lost')];
    const l1 = wrap(`✗ ${l.label}`, maxChars, 3);
    l1.forEach((s, m) => g.push(text(NX + 24, ly + 6 + m * 15, s, 'tlabel lost', 'start')));
    ly += l1.length * 15 + 10;
    g.push('</g>');
    gutter.push(g.join(''));
  }
  const drawn = new Set(links);
  const notes = lostNotes(d, drawn, NX, ly, NW - 2 * NX);
  ly += notes.h;
  const height = Math.ceil(ly + 8);
  return (
    `<svg class="topology narrow" role="img" aria-label="Topology: ${escapeAttr(d.nodes.map((x) => x.host).join(', '))}" viewBox="0 -4 ${NW} ${height}" width="${NW}" height="${height}">` +
    markers('-n') +
    parts.join('') +
    gutter.join('') +
    list.join('') +
    notes.svg +
    '</svg>'
  );
}
