/** `podpath packets --paths`: each packet with its flow, path, and the step its capture saw it at. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { memoryIo } from '../../src/io.js';
import { packets } from '../../src/commands/packets.js';
import { ROOT } from '../helpers.js';

const INCIDENT = join('samples', 'cross-node');

test('VXLAN packets on the sender eth0 sit at its underlay step; replies at the far side of their return path', async () => {
  if (!existsSync(join(ROOT, INCIDENT, 'lab.json'))) {
    console.log('SKIP packets --paths: samples/cross-node missing');
    return;
  }
  const io = memoryIo(ROOT);
  const file = join(INCIDENT, 'ip-10-32-11-62', 'eth0.pcap');
  const code = await packets.run({ inputs: [file, INCIDENT], format: 'ndjson', paths: true }, io);
  assert.is(code, 0, io.stderr.join('\n'));
  const recs = io.stdout.join('').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.input.endsWith('ip-10-32-11-62/eth0.pcap'));
  const vxlan = recs.filter((r) => r.tunnel?.type === 'vxlan');
  assert.ok(vxlan.length > 0);
  for (const r of vxlan) {
    assert.match(r.flow, /^f\d+$/);
    assert.ok(r.step, `packet ${r.index} has a step`);
    assert.is(r.step.host, 'ip-10-32-11-62');
    assert.is(r.step.interface, 'eth0');
    assert.is(r.step.action, 'underlay');
    assert.match(r.path, /flannel\.1 \[vxlan 1\] -> eth0 => eth0/);
  }
  // Without --paths the records carry none of it.
  const plain = memoryIo(ROOT);
  await packets.run({ inputs: [file], format: 'ndjson' }, plain);
  assert.not.ok('flow' in JSON.parse(plain.stdout.join('').split('\n')[0]));
});

test.run();
