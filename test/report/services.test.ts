/**
 * HTML and Markdown show Services and NAT (samples/services): every flow addressed to a Service
 * names it and its backend in its row, and its `nat` step is a hop of its own naming the
 * translation. Names that could break the markup are escaped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../src/analyze.js';
import type { Report } from '../../src/path/types.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { backendText, natText, serviceText } from '../../src/report/service-text.js';
import { ROOT, SAMPLES } from '../helpers.js';

const has = existsSync(join(SAMPLES, 'services', 'lab.json'));
if (!has) console.log('SKIP report services: samples/services is absent');

let cached: Report | undefined;
async function report(): Promise<Report> {
  cached ??= await analyze([join('samples', 'services')], { cwd: ROOT, hash: false });
  return cached;
}

const escHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

if (has) {
  test('services: the sample has flows with a Service, a backend and a nat step', async () => {
    const r = await report();
    const svc = r.flows.filter((f) => f.service);
    assert.ok(svc.length >= 3, `${svc.length} Service flows`);
    assert.ok(svc.some((f) => f.backend && f.path.some((s) => s.action === 'nat' && s.nat?.some((n) => n.type === 'dnat'))));
    assert.ok(svc.some((f) => f.service!.nodePort !== undefined || f.nat?.some((n) => n.type === 'masquerade')));
  });

  test('services: HTML names the Service and backend per flow row, and the NAT hop', async () => {
    const r = await report();
    const html = renderHtml(r);
    const table = html.slice(html.indexOf('id="flows-table"'), html.indexOf('</table>', html.indexOf('id="flows-table"')));
    const rows = table.split('<tr data-order=').slice(1);
    assert.is(rows.length, r.flows.length);
    r.flows.forEach((f, i) => {
      if (f.service) assert.ok(rows[i].includes(escHtml(serviceText(f)!)), `${f.id} row names ${serviceText(f)}`);
      else assert.not.ok(rows[i].includes('class="muted svc"'), `${f.id}: no Service`);
      if (f.backend) assert.ok(rows[i].includes(escHtml(`→ ${backendText(f)!}`)), `${f.id} row names backend ${backendText(f)}`);
    });
    const paths = html.slice(html.indexOf('id="paths"'));
    const details = paths.split('<details class="flow"').slice(1);
    r.flows.forEach((f, i) => {
      const hops = /<ol class="hops">([\s\S]*?)<\/ol>/.exec(details[i])![1];
      const natSteps = f.path.filter((s) => s.action === 'nat');
      const natHops = hops.match(/<li class="hop a-nat[^"]*"[\s\S]*?<\/li>/g) ?? [];
      assert.is(natHops.length, natSteps.length, `${f.id}: one hop per nat step`);
      natSteps.forEach((s, k) => {
        assert.ok(natHops[k].includes(escHtml(s.host)), `${f.id}: nat hop names ${s.host}`);
        for (const n of s.nat ?? []) assert.ok(natHops[k].includes(`<span class="nat">${escHtml(natText(n))}</span>`), `${f.id}: ${natText(n)}`);
      });
      if (f.service) assert.ok(details[i].split('</summary>')[0].includes(escHtml(serviceText(f)!)), `${f.id}: summary names the Service`);
    });
    const dnat = r.flows.flatMap((f) => f.path).find((s) => s.action === 'nat' && s.nat?.[0]?.type === 'dnat')!.nat![0];
    assert.match(natText(dnat), /^DNAT \d+\.\d+\.\d+\.\d+:\d+ → \d+\.\d+\.\d+\.\d+:\d+$/);
  });

  test('services: Markdown names the Service, backend and translations in the flow row', async () => {
    const r = await report();
    const md = renderMarkdown(r);
    const flows = md.slice(md.indexOf('## Flows'), md.indexOf('## Findings'));
    for (const f of r.flows) {
      const row = flows.split('\n').find((l) => l.startsWith(`| ${f.id} |`));
      assert.ok(row, `${f.id} row`);
      if (f.service) assert.ok(row!.includes(serviceText(f)!), `${f.id}: ${row}`);
      if (f.backend) assert.ok(row!.includes(`backend ${backendText(f)!}`), `${f.id}: ${row}`);
      for (const n of f.nat ?? []) assert.ok(row!.includes(natText(n)), `${f.id}: ${natText(n)} in ${row}`);
    }
  });

  test('services: a Service name with markup is escaped in HTML and Markdown', async () => {
    const r = structuredClone(await report());
    const f = r.flows.find((x) => x.service && x.backend)!;
    f.service = { ...f.service!, name: 'x<script>alert(1)</script>|y' };
    f.backend = { ...f.backend!, pod: 'p<img src=x onerror=alert(1)>' };
    const html = renderHtml(r);
    assert.not.ok(html.includes('<script>alert(1)'));
    assert.not.ok(html.includes('<img src=x'));
    assert.ok(html.includes('x&lt;script&gt;alert(1)&lt;/script&gt;|y'));
    const md = renderMarkdown(r);
    const row = md.split('\n').find((l) => l.startsWith(`| ${f.id} |`))!;
    assert.not.ok(/[^\\]\|y/.test(row), `the pipe is escaped: ${row}`);
    assert.not.ok(row.includes('<script>'), row);
  });
}

test.run();
