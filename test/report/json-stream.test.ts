/** The streamed JSON writer makes the bytes of the reference (a reordered copy, JSON.stringify'ed), in pieces. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { analyze } from '../../src/analyze.js';
import { REPORT, jsonChunks, ordered } from '../../src/report/json.js';
import type { Report } from '../../src/path/types.js';
import { ROOT } from '../helpers.js';

/** The reference: a copy with the contract's key order, stringified at once. */
const reference = (r: Report) => JSON.stringify(ordered(r, REPORT), null, 2) + '\n';

test('every sample: streamed JSON is byte for byte the reordered copy stringified', async () => {
  for (const s of ['intra-pod', 'same-node', 'cross-node', 'blocked-overlay', 'healthy-3node', 'services']) {
    const report = await analyze([join('samples', s)], { cwd: ROOT, hash: false });
    const want = reference(report);
    const got = [...jsonChunks(report)].join('');
    assert.is(got, want, s);
    // Key order is the contract's: the first keys of the report and of a flow.
    assert.equal(Object.keys(JSON.parse(got)).slice(0, 3), ['schema', 'inputs', 'topology'], s);
    if (report.flows.length) assert.is(Object.keys(JSON.parse(got).flows[0])[0], 'id', s);
  }
});

test('odd values: undefined members dropped, undefined array elements null, unknown keys after known ones, empty containers', () => {
  const report = {
    extra: { z: 1, a: [undefined, null, 'x'] },
    flows: [{ why: 'w', id: 'f1', mystery: { b: {}, a: [] }, protocol: undefined, src: { port: 1, ip: '10.0.0.1' } }],
    schema: 'podpath.report/1',
    findings: [],
    stats: { unexplained: 0, packets: 3, decoded: undefined },
  } as unknown as Report;
  const got = [...jsonChunks(report)].join('');
  const want = JSON.stringify(
    {
      schema: 'podpath.report/1',
      flows: [{ id: 'f1', src: { ip: '10.0.0.1', port: 1 }, why: 'w', mystery: { b: {}, a: [] } }],
      findings: [],
      stats: { packets: 3, unexplained: 0 },
      extra: { z: 1, a: [null, null, 'x'] },
    },
    null,
    2,
  ) + '\n';
  assert.is(got, want);
  assert.is(got, reference(report));
});

test('a big report comes in several pieces of bounded size', () => {
  const flows = Array.from({ length: 3000 }, (_, i) => ({ id: `f${i}`, protocol: 'tcp', summary: 'x'.repeat(50) }));
  const chunks = [...jsonChunks({ schema: 'podpath.report/1', flows } as unknown as Report)];
  assert.ok(chunks.length > 2, `${chunks.length} chunks`);
  for (const c of chunks.slice(0, -1)) assert.ok(c.length < 2 * 65536);
  assert.is(JSON.parse(chunks.join('')).flows.length, 3000);
});

test.run();
