import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeAttr } from '../../src/report/escape.js';
import { renderHtml } from '../../src/report/html.js';
import { buildReport, EVIL } from './fixture.js';
import { join } from 'node:path';
import { SAMPLES } from '../helpers.js';
import { analyze } from '../../src/analyze.js';

/** The wide layout (the narrow one, for small screens, follows it). */
const svgOf = (html: string) => /<svg class="topology wide"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
const narrowOf = (html: string) => /<svg class="topology narrow"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
/** The red labels of a picture, their wrapped lines joined back (one label per run of lines starting with ✗). */
const lostLabels = (svg: string) =>
  [...svg.matchAll(/<text class="tlabel lost"[^>]*>([^<]*)<\/text>/g)]
    .map((m) => m[1])
    .join(' ')
    .split(/ ?(?=✗)/)
    .filter((x) => x);

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
    const lost = new RegExp(`<g class="tunnel lost" data-tunnel="${escapeAttr(`${n1}->${n2}`).replace(/[|()[\]\\^$.*+?{}]/g, '\\$&')}" data-evidence="lost" data-lost="true">`);
    assert.match(svg, lost);
    assert.match(svg, /class="cross"/);
    assert.is((svg.match(/class="tunnel lost"/g) ?? []).length, 1, 'only the blocked direction is red');
    assert.match(svg, /VXLAN VNI 1 UDP 8472/);
  }
});

/** The fixture with both tunnel directions evidenced: f1 answered, captured on both nodes' NICs. */
function bothWaysSeen(): ReturnType<typeof buildReport> {
  const r = buildReport();
  r.findings = [];
  const [n1, n2] = r.topology.hosts.map((h) => h.name);
  const f = r.flows[0];
  f.verdict = 'ok';
  f.seenAt.push({ input: r.inputs[2].path, host: n2, interface: 'eth0', packets: 12, first: '2024-05-01T10:00:00.002Z', last: '2024-05-01T10:00:05.002Z' });
  f.returnPath = [
    { host: n2, interface: 'flannel.1', action: 'encap', detail: 'encapsulates the reply' },
    { host: n2, interface: 'eth0', action: 'underlay', detail: 'leaves through eth0' },
    { host: n1, interface: 'eth0', action: 'underlay', detail: 'arrives on eth0' },
    { host: n1, interface: 'flannel.1', action: 'decap', detail: 'decapsulates' },
  ];
  return r;
}

test('a tunnel pair seen both ways is one double-headed arc, both directions identifiable', () => {
  const svg = svgOf(renderHtml(bothWaysSeen()));
  assert.is((svg.match(/<path class="arc"/g) ?? []).length, 1);
  assert.match(svg, /marker-start="url\(#pp-arrow\)"/);
  assert.ok(svg.includes('data-tunnel="ip-10-32-11-62->ip-10-32-7-224" data-evidence="seen"'.replace('>', '&gt;')));
  assert.ok(svg.includes('data-tunnel="ip-10-32-7-224->ip-10-32-11-62" data-evidence="seen"'.replace('>', '&gt;')));
  assert.match(svg, /f1 captured on ip-10-32-11-62 eth0 and on ip-10-32-7-224 eth0/, 'the tooltip says what was seen');
  assert.not.match(svg, /class="cross"/);
  assert.not.match(svg, /data-evidence="unseen"/);
});

test('a direction no packet took is not drawn healthy: dashed grey, "no packets seen", never merged', () => {
  const r = buildReport();
  r.findings = [];
  // f1 was captured leaving ip-10-32-11-62 but nowhere on ip-10-32-7-224: one end only.
  const svg = svgOf(renderHtml(r));
  assert.is((svg.match(/<path class="arc"/g) ?? []).length, 2, 'one arc per direction');
  assert.not.match(svg, /marker-start=/);
  assert.is((svg.match(/data-evidence="unseen"/g) ?? []).length, 2);
  assert.not.match(svg, /data-evidence="seen"/);
  assert.match(svg, /<g class="tunnel unseen" data-tunnel="ip-10-32-7-224-&gt;ip-10-32-11-62" data-evidence="unseen">/);
  assert.match(svg, /no packets seen ip-10-32-7-224 → ip-10-32-11-62/);
  assert.match(svg, /only one end seen: f1 captured leaving on ip-10-32-11-62 eth0, not on ip-10-32-7-224/);
  assert.match(svg, /no flow in the captures went this way/);
  assert.match(svg, /marker-end="url\(#pp-arrow-unseen\)"/);
});

test('the drop is marked between the two NICs, labelled with their names and the port, not on a box', () => {
  const html = renderHtml(buildReport());
  for (const svg of [svgOf(html), narrowOf(html)]) {
    assert.ok(svg.length > 1000);
    assert.ok(lostLabels(svg).includes('✗ lost between ip-10-32-11-62 eth0 and ip-10-32-7-224 eth0 (UDP 8472)'), lostLabels(svg).join(' | '));
    // The cross is inside the lost tunnel's group, not inside a node (device) group.
    const group = /<g class="tunnel lost"[^>]*data-lost="true">([\s\S]*?)<\/g><\/g>|<g class="tunnel lost"[^>]*data-lost="true">([\s\S]*?class="cross"[\s\S]*?)<\/g>/.exec(svg);
    assert.ok(group, 'lost group');
    assert.match(group![0], /class="cross"/);
    for (const node of svg.matchAll(/<g class="node[^"]*" data-host="[^"]*">[\s\S]*?<g class="wires">/g)) assert.not.match(node[0], /class="cross"/);
    assert.is((svg.match(/class="cross"/g) ?? []).length, 1);
    // The other direction: no packet went that way.
    assert.match(svg, /data-tunnel="ip-10-32-7-224-&gt;ip-10-32-11-62" data-evidence="unseen"/);
  }
});

test('a loss inside the receiving node (its filter) is marked on its NIC-to-VTEP wire, said so', () => {
  const r = buildReport();
  const [n1, n2] = r.topology.hosts.map((h) => h.name);
  const f = r.findings[0];
  f.subject = { from: { host: n2, interface: 'eth0' }, to: { host: n2, interface: 'flannel.1' }, tunnel: { type: 'vxlan', port: 8472, vni: 1 } };
  f.evidence = [{ input: r.inputs[1].path, packet: 12 }, { input: r.inputs[4].path }];
  r.flows[0].path = [...r.flows[0].path.slice(0, 6), { host: n2, interface: 'eth0', action: 'drop', detail: 'vanished after eth0', cause: 'observed-loss' }];
  const svg = svgOf(renderHtml(r));
  assert.match(svg, new RegExp(`<g class="tunnel lost" data-tunnel="${n1}-&gt;${n2}" data-evidence="lost" data-lost="true">`));
  assert.ok(lostLabels(svg).includes('✗ lost inside ip-10-32-7-224 between eth0 and flannel.1 (UDP 8472)'), lostLabels(svg).join(' | '));
  // On the receiving node's VTEP-to-NIC wire: x at the centre of its boxes, y between the VTEP's bottom and the NIC's top.
  const boxes = [...svg.matchAll(/<rect class="box (vtep|nic)" x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"/g)].map((m) => ({ kind: m[1], x: +m[2], y: +m[3], w: +m[4], h: +m[5] }));
  const vtep = boxes.filter((b) => b.kind === 'vtep')[1];
  const nic = boxes.filter((b) => b.kind === 'nic')[1];
  assert.ok(vtep && nic, 'the second node has a VTEP and a NIC box');
  const cross = /<circle class="cross-bg" cx="([\d.]+)" cy="([\d.]+)"/.exec(svg);
  assert.ok(cross, 'one cross');
  assert.is(+cross![1], vtep.x + vtep.w / 2);
  assert.is(+cross![2], (vtep.y + vtep.h + nic.y) / 2);
  assert.is((svg.match(/class="cross-bg"/g) ?? []).length, 1);
});

test('the narrow layout: every host, pod and tunnel direction again, a 360-unit viewBox', () => {
  const r = buildReport();
  const html = renderHtml(r);
  const narrow = narrowOf(html);
  assert.match(narrow, /^<svg class="topology narrow"[^>]* viewBox="0 -4 360 \d+"/);
  for (const h of r.topology.hosts) assert.ok(narrow.includes(`data-host="${escapeAttr(h.name)}"`), h.name);
  for (const p of r.topology.pods) assert.ok(narrow.includes(`data-pod="${escapeAttr(p.name)}"`), p.name);
  for (const o of r.topology.overlay) for (const rem of o.remotes) assert.ok(narrow.includes(`data-tunnel="${escapeAttr(`${o.host}->${rem.host}`)}"`));
  // Marker ids do not collide with the wide layout's.
  assert.match(narrow, /id="pp-arrow-n"/);
  assert.not.match(narrow, /id="pp-arrow"/);
  assert.match(html, /@media \(max-width:700px\)\{[\s\S]*svg\.topology\.wide\{display:none\}[\s\S]*svg\.topology\.narrow\{display:block\}/);
});

test('each flow row lists what it highlights: hosts, pods, host|interface, tunnel directions', () => {
  const r = buildReport();
  const html = renderHtml(r);
  const rows = [...html.matchAll(/<tr data-order="(\d+)" tabindex="0" data-path="([^"]*)">/g)];
  assert.is(rows.length, 2);
  const unq = (s: string) => s.replace(/&quot;/g, '"').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  const spec = JSON.parse(unq(rows[0][2]));
  assert.equal(spec.tunnels, ['ip-10-32-11-62->ip-10-32-7-224']);
  assert.ok(spec.hosts.includes('ip-10-32-7-224') && spec.hosts.includes('pod2'));
  assert.ok(spec.ifaces.includes('ip-10-32-11-62|flannel.1'));
  assert.equal(spec.pods, ['pod2', 'pod1']);
  assert.equal(JSON.parse(unq(rows[1][2])).tunnels, []);
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
  assert.match(script, /getAttribute\('data-path'\)/);
  assert.match(script, /classList\.add\('hl'\)/);
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

test('blocked-overlay sample: wires only where the dumps tie (docker0 touches no wire; cni0 to flannel.1 to eth0), both layouts', async () => {
  const r = await analyze([join(SAMPLES, 'blocked-overlay')], { cwd: SAMPLES, hash: false });
  const html = renderHtml(r);
  for (const svg of [svgOf(html), narrowOf(html)]) {
    const node = /<g class="node" data-host="ip-10-32-11-62">([\s\S]*?)<\/g><g class="node/.exec(svg)?.[1] ?? '';
    assert.ok(node.length > 500, 'the first node group');
    const box = (iface: string) => {
      const m = new RegExp(`data-iface="${iface.replace('.', '\\.')}"><title>[^<]*</title><rect class="box [a-z]+" x="([\\d.]+)" y="([\\d.]+)" width="([\\d.]+)" height="([\\d.]+)"`).exec(node);
      assert.ok(m, iface);
      return { x: +m![1], y: +m![2], w: +m![3], h: +m![4] };
    };
    const wires = [...node.matchAll(/<line class="wire[^"]*" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"/g)].map((m) => m.slice(1).map(Number));
    const touches = (b: { x: number; y: number; w: number; h: number }) =>
      wires.filter(([x1, y1, x2, y2]) => [[x1, y1], [x2, y2]].some(([x, y]) => x >= b.x && x <= b.x + b.w && (y === b.y || y === b.y + b.h)));
    assert.equal(touches(box('docker0')), [], 'docker0 is wired to nothing');
    const cni0 = box('cni0');
    const vtep = box('flannel.1');
    const nic = box('eth0');
    assert.ok(wires.some(([x1, y1, x2, y2]) => y1 === cni0.y + cni0.h && y2 === vtep.y && x1 === x2 && x1 >= vtep.x && x1 <= vtep.x + vtep.w), 'cni0 to flannel.1');
    assert.ok(wires.some(([x1, y1, , y2]) => y1 === vtep.y + vtep.h && y2 === nic.y && x1 >= nic.x), 'flannel.1 to eth0');
  }
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
