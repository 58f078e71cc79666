import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeAttr } from '../../src/report/escape.js';
import { renderHtml } from '../../src/report/html.js';
import { buildReport, EVIL } from './fixture.js';

const svgOf = (html: string) => /<svg[\s\S]*<\/svg>/.exec(html)?.[0] ?? '';

/** The tags the renderer writes; anything else would have come from an input. */
const TAGS = new Set(
  'html head meta title style body header div ul li b h1 h2 h3 p strong main section svg defs marker path rect text g line circle span table thead tbody tr th td button input a details summary ol code br article footer script'.split(' '),
);

test('one self-contained document: CSP with the hashes of its own style and script, no external loads', () => {
  const html = renderHtml(buildReport());
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;/g, "'");
  assert.ok(csp, 'CSP meta tag');
  assert.match(csp!, /default-src 'none'/);
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
  const b64 = (s: string) => createHash('sha256').update(s).digest('base64');
  assert.ok(csp!.includes(`script-src 'sha256-${b64(script)}'`));
  assert.ok(csp!.includes(`style-src 'sha256-${b64(style)}'`));
  assert.not.match(csp!, /unsafe-inline|unsafe-eval/);
  assert.not.match(html, /https?:\/\//);
  assert.not.match(html, /\ssrc=/);
  assert.not.match(html, /@import|@font-face/);
  for (const m of html.matchAll(/href="([^"]*)"/g)) assert.ok(m[1].startsWith('#'), m[1]);
  for (const m of html.matchAll(/url\(([^)]*)\)/g)) assert.ok(m[1].startsWith('#'), m[1]);
  // The inline script builds no markup and evaluates nothing.
  assert.not.match(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|setTimeout\(['"]/);
  assert.ok(script.includes('textContent'));
  assert.not.match(html, /\sstyle="/, 'no style attributes (CSP)');
  assert.not.match(html, /\son[a-z]+="/, 'no inline event handlers (CSP)');
});

test('summary header first: what failed, where, why', () => {
  const html = renderHtml(buildReport());
  const h1 = /<h1[^>]*>([^<]*)<\/h1>/.exec(html)![1];
  assert.is(h1, 'UDP 8472 between ip-10-32-11-62 (10.32.11.62) and ip-10-32-7-224 (10.32.7.224) is dropped');
  assert.ok(html.indexOf('<h1') < html.indexOf('<svg'));
  assert.match(html, /Likely cause:<\/strong> 6 encapsulated packet/);
});

test('the SVG shows every host and every tunnel, and marks the lost one', () => {
  for (const evil of [false, true]) {
    const r = buildReport({ evil });
    const svg = svgOf(renderHtml(r));
    assert.ok(svg.length > 1000);
    for (const h of r.topology.hosts) assert.ok(svg.includes(`data-host="${escapeAttr(h.name)}"`), h.name);
    for (const p of r.topology.pods) assert.ok(svg.includes(`data-pod="${escapeAttr(p.name)}"`), p.name);
    for (const o of r.topology.overlay) {
      for (const rem of o.remotes) assert.ok(svg.includes(`data-tunnel="${escapeAttr(`${o.host}->${rem.host}`)}"`), `${o.host}->${rem.host}`);
    }
    const [n1, n2] = r.topology.hosts.map((h) => h.name);
    const lost = new RegExp(`<g class="tunnel lost" data-tunnel="${escapeAttr(`${n1}->${n2}`).replace(/[|()[\]\\^$.*+?{}]/g, '\\$&')}" data-lost="true">`);
    assert.match(svg, lost);
    assert.match(svg, /class="cross"/);
    assert.is((svg.match(/class="tunnel lost"/g) ?? []).length, 1, 'only the blocked direction is red');
    assert.match(svg, /VXLAN VNI 1 UDP 8472/);
  }
});

test('a symmetric tunnel pair without loss is one arc, both directions identifiable', () => {
  const r = buildReport();
  r.findings = [];
  const svg = svgOf(renderHtml(r));
  assert.is((svg.match(/<path class="arc"/g) ?? []).length, 1);
  assert.match(svg, /marker-start="url\(#pp-arrow\)"/);
  assert.ok(svg.includes('data-tunnel="ip-10-32-11-62->ip-10-32-7-224"'.replace('>', '&gt;')));
  assert.ok(svg.includes('data-tunnel="ip-10-32-7-224->ip-10-32-11-62"'.replace('>', '&gt;')));
  assert.not.match(svg, /class="cross"/);
});

test('flows table (filterable, sortable), hop diagrams, findings by severity, inputs with sha256', () => {
  const html = renderHtml(buildReport());
  assert.match(html, /<input type="search" id="flow-filter"/);
  assert.match(html, /<table id="flows-table"><thead><tr><th data-type="text"><button type="button">id<\/button>/);
  assert.is((html.match(/<tr data-order="/g) ?? []).length, 2);
  assert.match(html, /<ol class="hops">/);
  assert.match(html, /class="hop a-underlay vanished"/);
  assert.match(html, /\+84 µs/);
  assert.match(html, /<article class="finding f-critical">[\s\S]*<article class="finding f-warning">/);
  assert.ok(html.includes('a'.repeat(64)) && html.includes('e'.repeat(64)));
});

test('injection: names, paths and summaries from inputs appear only as text', () => {
  const r = buildReport({ evil: true });
  const html = renderHtml(r);
  assert.not.ok(html.includes('<script>alert'), 'no script element from input');
  assert.is((html.match(/<script/gi) ?? []).length, 1, 'only the report script');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&#96;|'), 'shown as text');
  // Every tag is one the renderer writes, every attribute is double-quoted with nothing raw inside.
  const withoutCode = html.replace(/<style>[\s\S]*?<\/style>|<script>[\s\S]*?<\/script>/g, '');
  const tags = withoutCode.match(/<[^>]*>/g) ?? [];
  for (const t of tags) {
    if (t.startsWith('<!DOCTYPE') || t.startsWith('</')) {
      if (t.startsWith('</')) assert.ok(TAGS.has(t.slice(2, -1)), t);
      continue;
    }
    const name = /^<([a-zA-Z][\w-]*)/.exec(t)?.[1];
    assert.ok(name && TAGS.has(name), `unexpected tag ${t.slice(0, 80)}`);
    assert.match(t, /^<[a-zA-Z][\w-]*(\s+[a-zA-Z][\w:-]*(="[^"<>`]*")?)*\s*\/?>$/, `attributes not quoted/escaped: ${t.slice(0, 120)}`);
  }
  // Outside tags and the style/script blocks, no raw markup characters from inputs.
  const text = html.replace(/<style>[\s\S]*?<\/style>|<script>[\s\S]*?<\/script>/g, '').replace(/<[^>]*>/g, '');
  assert.not.ok(/[<>"`]/.test(text.replace(/-->/g, '')), 'raw markup characters in text');
  assert.ok(text.includes(EVIL.replace('<', '&lt;').replace('>', '&gt;').slice(0, 12)));
});

test('deterministic: same report, byte-identical output', () => {
  const a = renderHtml(buildReport({ evil: true }));
  const b = renderHtml(buildReport({ evil: true }));
  assert.is(a, b);
  assert.is(renderHtml(JSON.parse(JSON.stringify(buildReport()))), renderHtml(buildReport()));
});

test('degenerate reports still render', () => {
  const r = buildReport();
  r.topology = { hosts: [], pods: [], overlay: [], captures: [], findings: [] };
  r.flows = [];
  r.findings = [];
  const html = renderHtml(r);
  assert.match(html, /No host dumps/);
  assert.match(html, /No flows/);
  const r2 = buildReport();
  // A remote VTEP nobody dumped: a ghost host still appears with its tunnel.
  r2.topology.hosts = r2.topology.hosts.filter((h) => h.name !== 'ip-10-32-7-224');
  r2.topology.overlay = r2.topology.overlay.slice(0, 1);
  r2.topology.overlay[0].remotes[0].host = undefined;
  const svg = svgOf(renderHtml(r2));
  assert.ok(svg.includes('data-host="VTEP 10.32.7.224"'));
  assert.ok(svg.includes('data-tunnel="ip-10-32-11-62-&gt;VTEP 10.32.7.224"'));
});

test.run();
