import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { render, FORMATS } from '../../src/report/index.js';
import { renderJson, renderNdjson } from '../../src/report/json.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderText } from '../../src/report/text.js';
import { buildReport } from './fixture.js';

/** The same value with every object's keys in reverse order. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)]));
}

test('json: the report, 2-space indent, trailing newline, contract key order whatever the build order', () => {
  const r = buildReport({ evil: true });
  const out = renderJson(r);
  assert.ok(out.endsWith('}\n'));
  assert.equal(JSON.parse(out), JSON.parse(JSON.stringify(r)));
  assert.ok(out.startsWith('{\n  "schema": "podpath.report/1",\n  "inputs": ['));
  assert.is(renderJson(reversed(r) as typeof r), out);
  const flow = JSON.parse(out).flows[0];
  assert.equal(Object.keys(flow).slice(0, 6), ['id', 'protocol', 'src', 'dst', 'kind', 'verdict']);
  assert.equal(Object.keys(flow.path[0]), ['host', 'interface', 'action', 'detail', 'evidence']);
});

test('json keeps unknown keys (after the known ones) and drops undefined', () => {
  const r = buildReport() as unknown as Record<string, unknown>;
  r.extra = 1;
  r.problems = undefined;
  const o = JSON.parse(renderJson(r as never));
  assert.is(o.extra, 1);
  assert.not.ok('problems' in o);
  assert.is(Object.keys(o).at(-1), 'extra');
});

test('ndjson: flows, then findings, then stats', () => {
  const r = buildReport();
  const lines = renderNdjson(r).trimEnd().split('\n');
  const recs = lines.map((l) => JSON.parse(l));
  assert.equal(
    recs.map((x) => x.type),
    ['flow', 'flow', 'finding', 'finding', 'finding', 'stats'],
  );
  assert.is(recs[0].id, 'f1');
  assert.is(recs[2].code, 'overlay-blocked');
  assert.is(recs[4].code, 'underlay-from-name');
  assert.equal(recs[5], { type: 'stats', ...r.stats });
  assert.ok(renderNdjson(r).endsWith('}\n'));
});

test('render dispatches every format', () => {
  const r = buildReport();
  assert.equal([...FORMATS], ['text', 'markdown', 'html', 'json', 'ndjson']);
  assert.is(render(r, 'text', { columns: 90 }), renderText(r, { columns: 90 }));
  assert.is(render(r, 'markdown'), renderMarkdown(r));
  assert.is(render(r, 'html'), renderHtml(r));
  assert.is(render(r, 'json'), renderJson(r));
  assert.is(render(r, 'ndjson'), renderNdjson(r));
  assert.throws(() => render(r, 'pdf' as never), /unknown report format/);
});

test.run();
