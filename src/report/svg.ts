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
import { buildDiagram, inetAddresses, tunnelLabel, type DiagramNode, type DiagramPod } from './diagram.js';
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

function cross(x: number, y: number, label: string): string {
  const r = 11;
  const a = 5.5;
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

function drawNode(p: Placed, report: Report, lostHere: string[]): string {
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
    const firstVtep = vtepBoxes[0]?.box;
    for (const b of bridgeBoxes) {
      const target = firstVtep ?? nicBox;
      const bx = Math.min(Math.max(cx, b.box.x + 10), b.box.x + b.box.w - 10);
      wires.push(line(bx, b.box.y + b.box.h, bx, target.y, 'wire'));
    }
    for (const v of vtepBoxes) {
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
  if (lostHere.length) out.push(cross(x + w - 20, y + 22, lostHere.join('; ')));
  out.push('</g>');
  return out.join('');
}

/** Point of the cubic Bézier (p0, p1, p2, p3) at t. */
function bezier(t: number, p0: number, p1: number, p2: number, p3: number): number {
  const u = 1 - t;
  return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
}

export interface SvgResult {
  svg: string;
  width: number;
  height: number;
}

export function renderTopologySvg(report: Report): SvgResult {
  const d = buildDiagram(report);
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
  // A symmetric pair with no loss and the same VNI/port is one double-headed arc (both
  // directions keep their own data-tunnel group); otherwise one arc per direction.
  const merged = new Set<number>();
  d.tunnels.forEach((t, k) => {
    if (merged.has(k)) return;
    const i = index.get(t.from);
    const j = index.get(t.to);
    if (i === undefined || j === undefined) return;
    const back = d.tunnels.findIndex((u, m) => m !== k && !merged.has(m) && u.from === t.to && u.to === t.from && !u.lost && !t.lost && tunnelLabel(u) === tunnelLabel(t));
    const pair = back >= 0 ? d.tunnels[back] : undefined;
    if (pair) merged.add(back);
    const a = placed[i];
    const b = placed[j];
    const forward = i < j;
    const span = Math.abs(i - j);
    const depth = 70 + (span - 1) * 110 + (forward || pair ? 0 : 56);
    // Left-to-right is the inner arc (its ends inside), right-to-left the outer: they never cross.
    const inward = forward ? 1 : -1;
    const x1 = a.nicX + 14 * inward;
    const x2 = b.nicX - 14 * inward;
    const y0 = nicBottom;
    const c = y0 + depth;
    const path = `M ${n(x1)} ${n(y0 + (pair ? 2 : 0))} C ${n(x1)} ${n(c)}, ${n(x2)} ${n(c)}, ${n(x2)} ${n(y0 + 2)}`;
    const bottom = bezier(0.5, y0, c, c, y0);
    const lost = !!t.lost;
    const devices = `${t.fromDevice}${pair ? ' ⇄ ' : ' → '}${t.toDevice ?? t.to}`;
    const label = `${devices} · ${tunnelLabel(t)}`;
    const tip = `${t.from}${pair ? ' ⇄ ' : ' → '}${t.to}: ${tunnelLabel(t)}${lost ? ' — packets dropped here' : ''}`;
    const marker = lost ? 'pp-arrow-lost' : 'pp-arrow';
    const parts = [
      `<g class="tunnel${lost ? ' lost' : ''}" data-tunnel="${escapeAttr(`${t.from}->${t.to}`)}"${lost ? ' data-lost="true"' : ''}>`,
      pair ? `<g class="tunnel back" data-tunnel="${escapeAttr(`${pair.from}->${pair.to}`)}">` : '',
      title(tip),
      `<path class="arc" d="${path}"${pair ? ` marker-start="url(#${marker})"` : ''} marker-end="url(#${marker})"/>`,
      text((x1 + x2) / 2, bottom + 16, fit((lost ? '✗ dropped · ' : '') + label, Math.max(Math.abs(x2 - x1) + 40, 220), 6.4), lost ? 'tlabel lost' : 'tlabel'),
    ];
    if (lost) {
      const tt = 0.7;
      parts.push(cross(bezier(tt, x1, x1, x2, x2), bezier(tt, y0, c, c, y0), `${t.from} → ${t.to}: ${t.lost!.finding.code}`));
    }
    parts.push(pair ? '</g></g>' : '</g>');
    tunnels.push(parts.join(''));
    maxY = Math.max(maxY, bottom + 30);
  });
  const lostByHost = new Map<string, string[]>();
  for (const l of d.otherLost) {
    const list = lostByHost.get(l.to) ?? [];
    list.push(`packets from ${l.from} never reached ${l.to} (${l.finding.code})`);
    lostByHost.set(l.to, list);
  }
  const nodesSvg = placed.map((p) => drawNode(p, report, lostByHost.get(p.node.host) ?? [])).join('');
  const height = Math.ceil(maxY + top);
  const underlay = d.tunnels.length
    ? rect({ x: MARGIN / 2, y: ROW.height + 8, w: width - MARGIN, h: maxY - ROW.height - 8 }, 'underlay', 10) +
      text(MARGIN, ROW.height + 24, 'underlay network', 'sub', 'start')
    : '';
  const svg =
    `<svg class="topology" role="img" aria-label="Topology: ${escapeAttr(d.nodes.map((x) => x.host).join(', '))}" viewBox="0 ${-top} ${width} ${height}" width="${width}" height="${height}">` +
    '<defs>' +
    '<marker id="pp-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="arrowhead"/></marker>' +
    '<marker id="pp-arrow-lost" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="arrowhead lost"/></marker>' +
    '</defs>' +
    underlay +
    nodesSvg +
    unplacedSvg +
    tunnels.join('') +
    '</svg>';
  return { svg, width, height };
}
