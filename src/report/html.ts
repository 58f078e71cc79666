/**
 * The HTML report: ONE self-contained file (inline CSS, inline SVG, a small inline script; no
 * network, no fonts, no images to fetch), safe to open from an email attachment. A strict
 * Content-Security-Policy allows exactly the inline style and script by their sha256, computed
 * here at render time (deterministic: the same report gives byte-identical output).
 *
 * Sections: summary header (what failed, where, likely cause, evidence), topology (inline SVG
 * from svg.ts, and the overlay map), flows (filterable, sortable table), each flow's path as a
 * hop diagram with latencies, findings by severity, inputs with sha256, stats and clocks.
 * Everything from the inputs goes through escapeHtml; the script only reads textContent and
 * attributes and never builds markup.
 */
import { chunked, joinChunks, mapIter } from './stream.js';
import { createHash } from 'node:crypto';
import type { Evidence, Finding } from '../topology/model.js';
import type { FlowReport, Report, Step } from '../path/types.js';
import { escapeAttr, escapeHtml as h } from './escape.js';
import { renderTopologySvg } from './svg.js';
import { pathTunnels } from './diagram.js';
import { backendText, natText, serviceText } from './service-text.js';
import {
  endpointText,
  evidenceRef,
  formatUs,
  latencyText,
  sortedFindings,
  stepLatency,
  stepSightings,
  summarize,
  vanishedAt,
  type Summary,
  gapParts,
  notDecodedText,
} from './summary.js';

const STYLE = `
:root{--bg:#f5f7fa;--card:#fff;--line:#e4e7ec;--text:#101828;--muted:#667085;--accent:#444ce7;
--crit:#b42318;--crit-bg:#fef3f2;--err:#c4320a;--err-bg:#fff6ed;--warn:#b54708;--warn-bg:#fffaeb;
--info:#175cd3;--info-bg:#eff8ff;--ok:#067647;--ok-bg:#ecfdf3;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif}
code,.mono{font-family:var(--mono);font-size:12.5px}
.wrap{max-width:1320px;margin:0 auto;padding:0 24px}
.banner{background:#fff;border-bottom:1px solid var(--line);border-top:6px solid var(--ok)}
.banner.sev-critical,.banner.sev-error{border-top-color:var(--crit)}
.banner.sev-warning{border-top-color:var(--warn)}
.banner .wrap{padding-top:22px;padding-bottom:22px}
.brand{display:flex;align-items:center;gap:10px;color:var(--muted);font-size:12px;letter-spacing:.06em;text-transform:uppercase;font-weight:600}
.status{display:inline-flex;align-items:center;gap:6px;padding:2px 10px;border-radius:999px;font-size:12px;letter-spacing:0;text-transform:none;background:var(--ok-bg);color:var(--ok)}
.status::before{content:"";width:8px;height:8px;border-radius:50%;background:currentColor}
.sev-critical .status,.sev-error .status{background:var(--crit-bg);color:var(--crit)}
.sev-warning .status{background:var(--warn-bg);color:var(--warn)}
h1{font-size:24px;line-height:1.3;margin:10px 0 8px;font-weight:650;overflow-wrap:anywhere}
h2{font-size:16px;margin:0 0 14px;font-weight:650}
h3{font-size:14px;margin:0;font-weight:600}
.cause{margin:0 0 12px;color:#344054;max-width:110ch;overflow-wrap:anywhere}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin:0;padding:0;list-style:none}
.evh{margin:16px 0 0;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.chips li{background:var(--bg);border:1px solid var(--line);border-radius:999px;padding:2px 12px;font-size:12.5px;color:#344054}
main{padding:20px 0 40px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:20px 22px;margin:0 0 18px;box-shadow:0 1px 2px rgba(16,24,40,.04)}
.card>h2 .count{color:var(--muted);font-weight:400;font-size:13px;margin-left:6px}
.evidence{margin:8px 0 0;padding:0;list-style:none}
.evidence li{padding:3px 0;overflow-wrap:anywhere;color:#344054}
.evidence code{background:#f2f4f7;border-radius:4px;padding:1px 6px;margin-right:8px;color:var(--text)}
.svg-wrap{overflow-x:auto;padding:4px 0}
svg.topology{display:block;max-width:100%;height:auto;margin:0 auto}
svg.topology.narrow{display:none}
svg text{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",sans-serif}
svg .frame{fill:#fcfcfd;stroke:#d0d5dd;stroke-width:1.2}
svg .frame.ghost{fill:#fff;stroke-dasharray:6 4}
svg .host{font-size:15px;font-weight:650;fill:var(--text)}
svg .label{font-size:12px;font-weight:550;fill:var(--text)}
svg .sub{font-size:11px;fill:var(--muted)}
svg .tunnel .sub{paint-order:stroke;stroke:#f9fafb;stroke-width:4px;stroke-linejoin:round}
svg .mono{font-family:var(--mono);font-size:10.5px}
svg .box{stroke-width:1.2}
svg .box.pod{fill:#eef4ff;stroke:#84adff}
svg .box.veth{fill:#fff;stroke:#d0d5dd}
svg .box.bridge{fill:#ecfdf3;stroke:#75e0a7}
svg .box.vtep{fill:#f4f3ff;stroke:#a4bcfd}
svg .box.nic{fill:#fffaeb;stroke:#fec84b}
svg .box.ghost{fill:#fff;stroke:#d0d5dd;stroke-dasharray:4 3}
svg .wire{stroke:#98a2b3;stroke-width:1.5}
svg .wire.dashed{stroke-dasharray:4 3}
svg .wire.encap{stroke:#6172f3;stroke-dasharray:5 3}
svg .underlay{fill:#f9fafb;stroke:#eaecf0;stroke-dasharray:6 4}
svg .arc{fill:none;stroke:#6172f3;stroke-width:2}
svg .arrowhead{fill:#6172f3}
svg .arrowhead.lost{fill:#d92d20}
svg .tunnel.lost .arc{stroke:#d92d20;stroke-width:2.5;stroke-dasharray:7 4}
svg .tunnel.unseen .arc{stroke:#98a2b3;stroke-width:1.6;stroke-dasharray:3 4}
svg .arrowhead.unseen{fill:#98a2b3}
svg .tlabel.unseen{fill:#667085;font-weight:500}
svg .badge{fill:#fff;stroke:#6172f3;stroke-width:1.5}
svg .badge.unseen{stroke:#98a2b3}
svg .badge.lost{stroke:#d92d20}
svg .badgeno{font-size:10px;font-weight:700;fill:#344054;text-anchor:middle}
svg .hl>.frame{stroke:#f79009;stroke-width:3}
svg .hl>.box,svg .hl>rect.box{stroke:#f79009;stroke-width:3}
svg .tunnel.hl .arc{stroke-width:4.5}
svg .tunnel.seen.hl .arc{stroke:#f79009}
svg .tunnel.seen.hl .arrowhead{fill:#f79009}
.has-hl svg .tunnel:not(.hl){opacity:.3}
tr.hl-row{background:#fffaeb}
#flows-table tbody tr{cursor:pointer}
#topo-hl:empty{display:none}
svg .tlabel{font-size:11.5px;font-weight:550;fill:#3538cd;paint-order:stroke;stroke:#f9fafb;stroke-width:4px;stroke-linejoin:round}
svg .tlabel.lost{fill:#b42318}
svg .cross-bg{fill:#fff;stroke:#d92d20;stroke-width:2}
svg .cross-x{stroke:#d92d20;stroke-width:2.6;stroke-linecap:round}
.legend{display:flex;flex-wrap:wrap;gap:16px;color:var(--muted);font-size:12px;margin:10px 0 16px}
.legend span::before{content:"";display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;vertical-align:-2px;border:1px solid}
.legend .l-pod::before{background:#eef4ff;border-color:#84adff}
.legend .l-bridge::before{background:#ecfdf3;border-color:#75e0a7}
.legend .l-vtep::before{background:#f4f3ff;border-color:#a4bcfd}
.legend .l-nic::before{background:#fffaeb;border-color:#fec84b}
.legend .l-lost::before{background:#fef3f2;border-color:#d92d20;border-radius:50%}
.legend .l-seen::before{height:0;border-width:2px 0 0;border-color:#6172f3;border-radius:0;vertical-align:3px}
.legend .l-unseen::before{height:0;border-width:2px 0 0;border-style:dashed;border-color:#98a2b3;border-radius:0;vertical-align:3px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:anywhere}
th{font-size:12px;color:var(--muted);font-weight:600;background:#f9fafb;white-space:nowrap}
tbody tr:hover{background:#f9fafb}
td.num,th.num{text-align:right;white-space:nowrap}
.tscroll{overflow-x:auto}
td code{overflow-wrap:anywhere}
th button{all:unset;cursor:pointer}
th button:focus-visible{outline:2px solid var(--accent);outline-offset:2px;border-radius:2px}
th button::after{content:" \\2195";color:#c0c5d0}
th[aria-sort=ascending] button::after{content:" \\2191";color:var(--accent)}
th[aria-sort=descending] button::after{content:" \\2193";color:var(--accent)}
.toolbar{display:flex;align-items:center;gap:12px;margin:0 0 12px}
.toolbar input{flex:0 1 360px;padding:8px 12px;border:1px solid #d0d5dd;border-radius:8px;font:inherit;background:#fff}
.toolbar input:focus{outline:2px solid #a4bcfd;border-color:#6172f3}
.toolbar .muted{color:var(--muted);font-size:12.5px}
.pill{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap}
.v-ok{background:var(--ok-bg);color:var(--ok)}
.v-lost{background:var(--crit-bg);color:var(--crit)}
.v-unanswered{background:var(--err-bg);color:var(--err)}
.v-partial{background:#f2f4f7;color:#475467}
.ep{min-width:150px}
.path-sum{color:#475467;font-family:var(--mono);font-size:12px}
details.flow{border:1px solid var(--line);border-radius:10px;margin:0 0 12px;background:#fff}
details.flow>summary{cursor:pointer;padding:12px 16px;display:flex;flex-wrap:wrap;gap:10px;align-items:center;list-style:none}
details.flow>summary::-webkit-details-marker{display:none}
details.flow>summary::before{content:"\\25B8";color:var(--muted)}
details.flow[open]>summary::before{content:"\\25BE"}
details.flow[open]>summary{border-bottom:1px solid var(--line)}
.flow-body{padding:14px 16px}
.hops{display:flex;flex-wrap:wrap;align-items:stretch;gap:0;margin:0 0 14px;padding:0;list-style:none}
.hop{min-width:120px;max-width:190px;border:1px solid #d0d5dd;border-radius:8px;padding:6px 10px;background:#fff;display:flex;flex-direction:column;gap:1px}
.hop .act{font-size:10.5px;text-transform:uppercase;letter-spacing:.05em;font-weight:700;color:var(--accent)}
.hop .hh{font-weight:600;font-size:12.5px;overflow-wrap:anywhere}
.hop .ii{font-family:var(--mono);font-size:11.5px;color:#475467;overflow-wrap:anywhere}
.hop .seen{font-size:11px;color:var(--ok)}
.hop .nat{font-family:var(--mono);font-size:11px;color:#6941c6;overflow-wrap:anywhere}
.hop.a-nat{border-color:#bdb4fe;background:#f9f8ff}
.svc{font-size:12px;overflow-wrap:anywhere}
.hop.seen-yes{border-color:#75e0a7;background:#f6fef9}
.hop.vanished{border:2px solid #d92d20;background:var(--crit-bg)}
.hop.vanished .act,.hop.vanished .seen{color:var(--crit)}
.hop.a-drop{border-color:#d92d20}
.hop.a-unknown{border-style:dashed}
.arrow{display:flex;flex-direction:column;align-items:center;justify-content:center;min-width:58px;padding:0 4px;color:#98a2b3;font-size:18px;line-height:1}
.arrow .lat{font-size:10.5px;color:#475467;margin-bottom:2px;white-space:nowrap}
.arrow.lost{color:#d92d20;font-weight:700}
table.steps td:first-child{color:var(--muted);width:32px}
table.steps td:nth-child(2){overflow-wrap:normal;word-break:keep-all;white-space:nowrap}
.why{margin:0 0 10px;color:#344054}
.finding{border:1px solid var(--line);border-left:5px solid var(--info);border-radius:10px;padding:12px 16px;margin:0 0 12px;background:#fff}
.finding header{display:flex;gap:10px;align-items:center;margin:0 0 6px}
.finding p{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;padding:1px 8px;border-radius:6px;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em}
.f-critical{border-left-color:var(--crit);background:linear-gradient(90deg,var(--crit-bg),#fff 40%)}
.f-error{border-left-color:var(--err)}
.f-warning{border-left-color:var(--warn)}
.b-critical{background:var(--crit);color:#fff}
.b-error{background:var(--err-bg);color:var(--err)}
.b-warning{background:var(--warn-bg);color:var(--warn)}
.b-info{background:var(--info-bg);color:var(--info)}
.sha{font-family:var(--mono);font-size:11px;color:#475467;word-break:break-all;max-width:250px}
.ipath{min-width:240px}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(130px,1fr));gap:10px;margin:0 0 12px}
.stat{border:1px solid var(--line);border-radius:10px;padding:10px 12px}
.stat b{display:block;font-size:20px;font-weight:650}
.stat span{color:var(--muted);font-size:12px}
.muted{color:var(--muted)}
.problems li{color:var(--err)}
footer{color:var(--muted);font-size:12px;text-align:center;padding:0 0 28px}
@media (max-width:700px){
.wrap{padding:0 8px}
.card{padding:14px 10px;border-radius:10px}
.banner .wrap{padding-top:14px;padding-bottom:14px}
h1{font-size:19px}
svg.topology.wide{display:none}
svg.topology.narrow{display:block}
.toolbar{flex-wrap:wrap}
.toolbar input{flex:1 1 100%;min-width:0}
.hop{min-width:0;max-width:100%}
.arrow{min-width:28px}
.ep{min-width:110px}
.ipath{min-width:160px}
.finding header{flex-wrap:wrap}
.brand{flex-wrap:wrap}
}
@media print{.toolbar{display:none}details.flow{break-inside:avoid}body{background:#fff}}
`;

const SCRIPT = `
(function () {
  'use strict';
  var table = document.getElementById('flows-table');
  if (!table || !table.tBodies[0]) return;
  var tbody = table.tBodies[0];
  var filter = document.getElementById('flow-filter');
  var count = document.getElementById('flow-count');
  function apply() {
    var q = filter ? filter.value.trim().toLowerCase() : '';
    var rows = tbody.rows;
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var hit = q === '' || rows[i].textContent.toLowerCase().indexOf(q) !== -1;
      rows[i].hidden = !hit;
      if (hit) shown++;
    }
    if (count) count.textContent = shown + ' of ' + rows.length + ' flows';
  }
  function key(cell, numeric) {
    var v = cell.getAttribute('data-value');
    if (v === null) v = cell.textContent || '';
    if (numeric) {
      var f = parseFloat(v);
      return isNaN(f) ? Infinity : f;
    }
    return v.toLowerCase();
  }
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    var button = th.querySelector('button');
    if (!button) return;
    button.addEventListener('click', function () {
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      Array.prototype.forEach.call(heads, function (o) { o.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      var numeric = th.getAttribute('data-type') === 'number';
      var rows = Array.prototype.slice.call(tbody.rows);
      rows.sort(function (a, b) {
        var x = key(a.cells[col], numeric);
        var y = key(b.cells[col], numeric);
        var c = x < y ? -1 : x > y ? 1 : 0;
        return c * dir || Number(a.getAttribute('data-order')) - Number(b.getAttribute('data-order'));
      });
      rows.forEach(function (r) { tbody.appendChild(r); });
    });
  });
  if (filter) filter.addEventListener('input', apply);
  apply();
  // Clicking a flow row highlights its hosts, interfaces and tunnel directions in the topology.
  var topo = document.getElementById('topology');
  var note = document.getElementById('topo-hl');
  var current = null;
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function list(spec, name) { return spec && Array.isArray(spec[name]) ? spec[name] : []; }
  function mark(el) {
    el.classList.add('hl');
    if (el.parentNode && el.parentNode.getAttribute && el.parentNode.hasAttribute('data-tunnel')) el.parentNode.classList.add('hl');
    each(el.querySelectorAll('[data-tunnel]'), function (c) { c.classList.add('hl'); });
  }
  function highlight(row) {
    if (!topo) return;
    each(topo.querySelectorAll('.hl'), function (el) { el.classList.remove('hl'); });
    each(tbody.querySelectorAll('.hl-row'), function (r) { r.classList.remove('hl-row'); });
    topo.classList.remove('has-hl');
    if (note) note.textContent = '';
    if (current === row) { current = null; return; }
    current = row;
    var spec = null;
    try { spec = JSON.parse(row.getAttribute('data-path') || 'null'); } catch (e) { spec = null; }
    var hosts = list(spec, 'hosts');
    var ifaces = list(spec, 'ifaces');
    var tunnels = list(spec, 'tunnels');
    var pods = list(spec, 'pods');
    each(topo.querySelectorAll('[data-host]'), function (el) { if (hosts.indexOf(el.getAttribute('data-host')) !== -1) mark(el); });
    each(topo.querySelectorAll('[data-pod]'), function (el) { if (pods.indexOf(el.getAttribute('data-pod')) !== -1) mark(el); });
    each(topo.querySelectorAll('[data-iface]'), function (el) {
      if (ifaces.indexOf(el.getAttribute('data-host-iface') + '|' + el.getAttribute('data-iface')) !== -1) mark(el);
    });
    each(topo.querySelectorAll('[data-tunnel]'), function (el) { if (tunnels.indexOf(el.getAttribute('data-tunnel')) !== -1) mark(el); });
    topo.classList.add('has-hl');
    row.classList.add('hl-row');
    if (note) note.textContent = 'Highlighted in the picture: flow ' + (row.cells[0] ? row.cells[0].textContent : '') + ' (click the row again to clear).';
  }
  tbody.addEventListener('click', function (ev) {
    var t = ev.target;
    while (t && t !== tbody && t.tagName !== 'TR') t = t.parentNode;
    if (t && t !== tbody) highlight(t);
  });
  tbody.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter' && ev.target && ev.target.tagName === 'TR') highlight(ev.target);
  });
})();
`;

function sha256b64(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('base64');
}

/** The Content-Security-Policy of the report: nothing but its own inline style and script. */
export function contentSecurityPolicy(): string {
  return [
    "default-src 'none'",
    `style-src 'sha256-${sha256b64(STYLE)}'`,
    `script-src 'sha256-${sha256b64(SCRIPT)}'`,
    "img-src 'none'",
    "font-src 'none'",
    "connect-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const VERDICT_RANK: Record<string, number> = { lost: 0, unanswered: 1, partial: 2, ok: 3 };

function pill(verdict: string): string {
  return `<span class="pill v-${escapeAttr(verdict)}">${h(verdict)}</span>`;
}

function evidenceList(ev: Evidence[]): string {
  if (!ev.length) return '';
  return `<ul class="evidence">${ev.map((e) => `<li><code>${h(evidenceRef(e))}</code>${e.text ? h(e.text) : ''}</li>`).join('')}</ul>`;
}

function header(report: Report, s: Summary): string {
  const sev = s.worst?.severity ?? (s.status === 'ok' ? 'ok' : 'warning');
  const status = s.worst ? `${s.worst.severity}: ${s.worst.code}` : s.status === 'ok' ? 'all flows ok' : s.status;
  const headline = s.headline[0].toUpperCase() + s.headline.slice(1);
  const chips = [s.counts, s.flows, `${report.stats.packets} packets`, `${report.inputs.length} inputs`];
  return (
    `<header class="banner sev-${escapeAttr(sev)}"><div class="wrap">` +
    `<div class="brand">podpath report <span class="status">${h(status)}</span></div>` +
    `<h1 id="summary">${h(headline)}</h1>` +
    (s.cause ? `<p class="cause"><strong>Likely cause:</strong> ${h(s.cause)}</p>` : '') +
    `<ul class="chips">${chips.map((c) => `<li>${h(c)}</li>`).join('')}</ul>` +
    (s.worst?.evidence.length ? `<h3 class="evh">Evidence</h3>${evidenceList(s.worst.evidence)}` : '') +
    '</div></header>'
  );
}

function topologySection(report: Report): string {
  const topo = report.topology;
  if (!topo.hosts.length && !topo.overlay.length) {
    return '<section class="card" id="topology"><h2>Topology</h2><p class="muted">No host dumps: the topology is unknown.</p></section>';
  }
  const { svg, narrow } = renderTopologySvg(report);
  const legend =
    '<div class="legend"><span class="l-pod">pod</span><span class="l-bridge">bridge</span><span class="l-vtep">VXLAN / Geneve device</span><span class="l-nic">underlay NIC</span>' +
    '<span class="l-seen">packets seen at both ends</span><span class="l-unseen">no packets seen</span><span class="l-lost">packets lost here</span></div>' +
    '<p class="muted" id="topo-hl" aria-live="polite"></p>';
  let overlay = '';
  if (topo.overlay.length) {
    const rows: string[] = [];
    for (const o of topo.overlay) {
      for (const r of o.remotes.length ? o.remotes : [undefined]) {
        rows.push(
          `<tr><td>${h(o.host)}</td><td><code>${h(o.device)}</code> ${h(o.type)}</td><td class="num">${h(o.vni ?? '?')}</td><td class="num">${h(o.port ?? '?')}</td>` +
            `<td><code>${h(o.subnet ?? '?')}</code></td><td>${r ? `<code>${h(r.subnet)}</code>` : '<span class="muted">no remotes</span>'}</td>` +
            `<td>${r ? `${h(r.vtep ?? r.gateway ?? '?')}${r.host ? ` <span class="muted">on</span> ${h(r.host)}` : ''}` : ''}</td><td>${r ? h(r.source) : ''}</td></tr>`,
        );
      }
    }
    overlay =
      '<h3>Overlay map</h3><div class="tscroll"><table class="overlay"><thead><tr><th>host</th><th>device</th><th class="num">VNI</th><th class="num">port</th><th>subnet</th><th>remote subnet</th><th>via VTEP</th><th>source</th></tr></thead>' +
      `<tbody>${rows.join('')}</tbody></table></div>`;
  }
  return `<section class="card" id="topology"><h2>Topology<span class="count">${h(topo.hosts.filter((x) => x.role === 'node').length)} nodes · ${h(topo.pods.length)} pods</span></h2><div class="svg-wrap">${svg}${narrow}</div>${legend}${overlay}</section>`;
}

function* flowsSection(report: Report): Generator<string> {
  if (!report.flows.length) return yield '<section class="card" id="flows"><h2>Flows</h2><p class="muted">No flows.</p></section>';
  const head = [
    ['id', 'text'],
    ['protocol', 'text'],
    ['source', 'text'],
    ['destination', 'text'],
    ['kind', 'text'],
    ['path', 'text'],
    ['verdict', 'number'],
    ['packets', 'number'],
    ['latency', 'number'],
  ];
  const rows = mapIter(report.flows, (f, i) => {
    const lat = f.latency?.rttUs ?? (f.latency?.hops.length ? f.latency.hops.reduce((s, x) => s + x.medianUs, 0) : undefined);
    return (
      `<tr data-order="${i}" tabindex="0" data-path="${escapeAttr(JSON.stringify(pathSpec(f)))}">` +
      `<td><a href="#flow-${i}">${h(f.id)}</a></td>` +
      `<td>${h(f.protocol)}</td>` +
      `<td class="ep">${h(endpointText(f.src))}</td>` +
      `<td class="ep">${h(endpointText(f.dst))}${serviceCell(f)}</td>` +
      `<td>${h(f.kind)}</td>` +
      `<td class="path-sum">${h(f.summary)}</td>` +
      `<td data-value="${VERDICT_RANK[f.verdict] ?? 9}">${pill(f.verdict)}</td>` +
      `<td class="num">${h(f.packets)}</td>` +
      `<td class="num"${lat !== undefined ? ` data-value="${escapeAttr(lat)}"` : ''}>${h(latencyText(f))}</td>` +
      '</tr>'
    );
  });
  yield (
    `<section class="card" id="flows"><h2>Flows<span class="count">${h(report.flows.length)}</span></h2>` +
    '<div class="toolbar"><input type="search" id="flow-filter" placeholder="Filter flows: pod, address, verdict…" aria-label="Filter flows"><span id="flow-count" class="muted"></span></div>' +
    `<div class="tscroll"><table id="flows-table"><thead><tr>${head
      .map(([name, type]) => `<th data-type="${type}"${type === 'number' && name !== 'verdict' ? ' class="num"' : ''}><button type="button">${name}</button></th>`)
      .join('')}</tr></thead><tbody>`
  );
  yield* rows;
  yield '</tbody></table></div></section>';
}

/** What a flow row highlights in the topology: its hosts, pods, host|interface pairs and tunnel directions. */
function pathSpec(f: FlowReport): { hosts: string[]; pods: string[]; ifaces: string[]; tunnels: string[] } {
  const steps = [...f.path, ...(f.returnPath ?? [])];
  const uniq = (xs: string[]) => [...new Set(xs)];
  return {
    hosts: uniq(steps.map((s) => s.host)),
    pods: uniq([f.src.pod, f.dst.pod, f.backend?.pod].filter((x): x is string => x !== undefined)),
    ifaces: uniq(steps.filter((s) => s.interface !== undefined).map((s) => `${s.host}|${s.interface}`)),
    tunnels: uniq([...pathTunnels(f.path), ...pathTunnels(f.returnPath ?? [])]),
  };
}

/** The Service a flow addressed and the backend its NAT chose, under the destination. */
function serviceCell(f: FlowReport): string {
  const svc = serviceText(f);
  const be = backendText(f);
  return (svc ? `<div class="muted svc">${h(svc)}</div>` : '') + (be ? `<div class="muted backend">→ ${h(be)}</div>` : '');
}

function hopDiagram(f: FlowReport, vanished: number | undefined): string {
  const items: string[] = [];
  f.path.forEach((s, i) => {
    if (i > 0) {
      const lat = stepLatency(f, i);
      const lost = vanished === i;
      items.push(
        `<li class="arrow${lost ? ' lost' : ''}" aria-hidden="true">${lat !== undefined ? `<span class="lat">+${h(formatUs(lat))}</span>` : ''}${lost ? '✗' : '→'}</li>`,
      );
    }
    const seen = stepSightings(f, s);
    const seenN = seen.inputs.length + (seen.inputs.length ? 0 : seen.packets.length ? 1 : 0);
    const cls = ['hop', `a-${s.action}`, seenN && s.action !== 'drop' ? 'seen-yes' : '', vanished === i ? 'vanished' : ''].filter(Boolean).join(' ');
    if (s.action === 'drop' && s.missing) {
      // The loss sits between two capture points, never on the device that saw the packets.
      const m = s.missing;
      items.push(
        `<li class="${escapeAttr(cls)} between" title="${escapeAttr(s.detail)}">` +
          `<span class="act">lost between</span><span class="hh">${h(s.host)} ${h(s.interface ?? '')}</span><span class="ii">and ${h(m.host)} ${h(m.interface ?? '')}</span>` +
          `<span class="seen">✗ never seen on ${h(m.host)} ${h(m.interface ?? '')}</span></li>`,
      );
      return;
    }
    items.push(
      `<li class="${escapeAttr(cls)}" title="${escapeAttr(s.detail)}">` +
        `<span class="act">${h(s.action)}</span><span class="hh">${h(s.host)}</span><span class="ii">${h(s.interface ?? '—')}</span>` +
        (s.action === 'nat' && s.nat?.length ? s.nat.map((n) => `<span class="nat">${h(natText(n))}</span>`).join('') : '') +
        (vanished === i ? '<span class="seen">✗ never arrived</span>' : seenN ? `<span class="seen">✓ seen</span>` : '') +
        '</li>',
    );
  });
  return `<ol class="hops">${items.join('')}</ol>`;
}

function stepsTable(f: FlowReport, path: Step[], vanished: number | undefined, withSightings: boolean): string {
  const rows = path.map((s, i) => {
    const m = s.action === 'drop' ? s.missing : undefined;
    const seen = withSightings && !m ? stepSightings(f, s) : { inputs: [], packets: [] };
    const lat = withSightings ? stepLatency(f, i) : undefined;
    const notes = [
      ...seen.inputs.map((x) => `seen in ${x}`),
      ...(seen.packets.length ? [`packets ${seen.packets.map(evidenceRef).join(', ')}`] : []),
      ...(s.evidence ?? []).filter((e) => e.packet === undefined).map((e) => `from ${evidenceRef(e)}`),
    ];
    return (
      `<tr${vanished === i ? ' class="vanished"' : ''}><td>${i + 1}</td><td>${h(s.host)}</td><td><code>${h(s.interface ?? '—')}</code>${m ? ` → ${h(m.host)} <code>${h(m.interface ?? '—')}</code>` : ''}</td><td>${m ? 'lost between' : h(s.action)}</td>` +
      `<td>${vanished === i ? '<strong>✗ never arrived:</strong> ' : ''}${h(s.detail)}${notes.length ? `<div class="muted">${notes.map(h).join('<br>')}</div>` : ''}</td>` +
      `<td class="num">${lat !== undefined ? h('+' + formatUs(lat)) : ''}</td></tr>`
    );
  });
  return `<div class="tscroll"><table class="steps"><thead><tr><th>#</th><th>host</th><th>interface</th><th>action</th><th>detail</th><th class="num">latency</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function* pathsSection(report: Report, s: Summary): Generator<string> {
  if (!report.flows.length) return yield '';
  const parts = mapIter(report.flows, (f, i) => {
    const vanished = vanishedAt(f, s.lost);
    const open = f.verdict !== 'ok' ? ' open' : '';
    const seenAt = f.seenAt.length
      ? `<p class="muted">Seen at: ${f.seenAt.map((x) => `${h(x.input)} (${h(x.host ?? '?')} ${h(x.interface ?? '?')}, ${h(x.packets)} packets)`).join('; ')}</p>`
      : '';
    return (
      `<details class="flow" id="flow-${i}"${open}><summary>${pill(f.verdict)}<strong>${h(f.id)}</strong><span>${h(f.protocol)}</span>` +
      `<span>${h(endpointText(f.src))} → ${h(endpointText(f.dst))}</span>${f.service || f.backend ? `<span class="svc">${[serviceText(f), backendText(f) ? `backend ${backendText(f)}` : ''].filter(Boolean).map((x) => h(x)).join(' → ')}</span>` : ''}<span class="muted">${h(f.kind)}${f.tunnel ? ` · ${h(f.tunnel.type)} VNI ${h(f.tunnel.vni ?? '?')} UDP ${h(f.tunnel.port ?? '?')}` : ''}${latencyText(f) ? ` · ${h(latencyText(f))}` : ''}</span></summary>` +
      `<div class="flow-body"><p class="why"><strong>Why ${h(f.verdict)}:</strong> ${h(f.why)}</p>` +
      hopDiagram(f, vanished) +
      stepsTable(f, f.path, vanished, true) +
      (f.returnPath?.length ? `<h3>Return path</h3>${stepsTable(f, f.returnPath, undefined, false)}` : '') +
      seenAt +
      '</div></details>'
    );
  });
  yield '<section class="card" id="paths"><h2>Flow paths</h2>';
  yield* parts;
  yield '</section>';
}

function findingCard(f: Finding): string {
  const sev = escapeAttr(f.severity);
  return (
    `<article class="finding f-${sev}"><header><span class="badge b-${sev}">${h(f.severity)}</span><h3><code>${h(f.code)}</code></h3></header>` +
    `<p>${h(f.message)}</p>${evidenceList(f.evidence)}</article>`
  );
}

function findingsSection(report: Report): string {
  const fs = sortedFindings(report.findings);
  return `<section class="card" id="findings"><h2>Findings<span class="count">${h(fs.length)}</span></h2>${fs.length ? fs.map(findingCard).join('') : '<p class="muted">None.</p>'}</section>`;
}

function gapsSection(report: Report): string {
  const gaps = report.gaps ?? [];
  if (!gaps.length) return '';
  const items = gaps.map((g) => {
    const p = gapParts(g);
    return `<li>${p.where ? `<strong>${h(p.where)}</strong>: ` : ''}${h(p.what)}. Run <code>${h(p.command)}</code>${p.flows ? ` <span class="muted">(${h(p.flows)})</span>` : ''}</li>`;
  });
  return `<section class="card" id="gaps"><h2>Evidence gaps<span class="count">${h(gaps.length)}</span></h2><ul class="gaps">${items.join('')}</ul></section>\n`;
}

function* inputsSection(report: Report): Generator<string> {
  if (!report.inputs.length) return yield '<section class="card" id="inputs"><h2>Inputs</h2><p class="muted">No inputs.</p></section>';
  const rows = mapIter(
    report.inputs,
    (i) =>
      `<tr><td class="ipath"><code>${h(i.path)}</code></td><td>${h(i.kind)}${i.format ? ` <span class="muted">${h(i.format)}</span>` : ''}</td><td>${h(i.host ?? '')}</td><td>${h(i.interface ?? '')}</td>` +
      `<td class="num">${h(i.packets ?? '')}</td><td class="sha">${h(i.sha256 ?? '')}</td><td>${[...i.problems, notDecodedText(i)].filter((x) => x !== '').map(h).join('<br>')}${i.commands?.length ? `<div class="muted">${i.commands.map(h).join(', ')}</div>` : ''}</td></tr>`,
  );
  yield (
    `<section class="card" id="inputs"><h2>Inputs<span class="count">${h(report.inputs.length)}</span></h2>` +
    `<div class="tscroll"><table><thead><tr><th>path</th><th>kind</th><th>host</th><th>interface</th><th class="num">packets</th><th>sha256</th><th>problems / commands</th></tr></thead><tbody>`
  );
  yield* rows;
  yield '</tbody></table></div></section>';
}

function statsSection(report: Report): string {
  const s = report.stats;
  const stat = (v: number, label: string) => `<div class="stat"><b>${h(v)}</b><span>${h(label)}</span></div>`;
  const clocks = report.clocks.length
    ? `<h3>Clock offsets</h3><ul>${report.clocks
        .map((c) => `<li>${h(c.host)}: ${h((c.offsetUs >= 0 ? '+' : '-') + formatUs(Math.abs(c.offsetUs)))} vs ${h(c.reference)} <span class="muted">(${h(c.samples)} samples)</span></li>`)
        .join('')}</ul>`
    : '';
  const problems = report.problems.length ? `<h3>Problems</h3><ul class="problems">${report.problems.map((p) => `<li>${h(p)}</li>`).join('')}</ul>` : '';
  return (
    '<section class="card" id="stats"><h2>Stats</h2><div class="stats">' +
    stat(s.packets, 'packets read') +
    stat(s.decoded, 'decoded') +
    stat(s.truncated, 'truncated') +
    stat(s.malformed, 'malformed') +
    stat(s.skipped, 'skipped') +
    stat(s.unexplained, 'unexplained') +
    `</div>${clocks}${problems}</section>`
  );
}

export function renderHtml(report: Report): string {
  return joinChunks(htmlChunks(report));
}

/** The HTML report as chunks, written as they are made (the flow rows and paths one by one). */
export function htmlChunks(report: Report): Generator<string> {
  return chunked(htmlPieces(report));
}

function* htmlPieces(report: Report): Generator<string> {
  const s = summarize(report);
  yield (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy())}">\n` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="referrer" content="no-referrer">\n' +
    `<title>podpath: ${h(s.headline)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n` +
    header(report, s) +
    '\n<main class="wrap">\n' +
    topologySection(report) +
    '\n'
  );
  yield* flowsSection(report);
  yield '\n';
  yield* pathsSection(report, s);
  yield '\n' + findingsSection(report) + '\n' + gapsSection(report);
  yield* inputsSection(report);
  yield (
    '\n' +
    statsSection(report) +
    '\n</main>\n' +
    `<footer>podpath · ${h(report.schema)}</footer>\n` +
    `<script>${SCRIPT}</script>\n</body>\n</html>\n`
  );
}
