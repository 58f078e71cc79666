/** `podpath report` says where it wrote the index and skips folders that are not incidents. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/io.js';
import { runReport } from '../../src/commands/report.js';
import { copyScenario, io, tempDir } from './fixture.js';

test('a folder of scripts beside the incidents is skipped, saying so; the index path is printed', async () => {
  const root = tempDir();
  await copyScenario('cross-node', join(root, 'incidents', 'cross-node'));
  mkdirSync(join(root, 'incidents', 'lab', 'tools'), { recursive: true });
  writeFileSync(join(root, 'incidents', 'lab', 'run.sh'), '#!/bin/sh\necho hi\n');
  writeFileSync(join(root, 'incidents', 'lab', 'tools', 'describe.py'), 'print(1)\n');
  const m = io(root);
  assert.is(await runReport({ incidents: ['incidents/*'], out: 'out' }, m), EXIT.OK, m.stderr.join('\n'));
  assert.match(m.stderr.join('\n'), /incidents\/lab: holds only scripts and notes \(not an incident\), skipped/);
  assert.not.ok(existsSync(join(root, 'out', 'lab')));
  assert.ok(existsSync(join(root, 'out', 'cross-node', 'report.md')));
  assert.equal(m.stdout.join(''), '1 report; index: out/index.html (and index.md beside it)\n');
  assert.ok(existsSync(join(root, 'out', 'index.html')));
});

test('only non-incidents: nothing to analyze (exit 3), every one named', async () => {
  const root = tempDir();
  mkdirSync(join(root, 'notes'), { recursive: true });
  writeFileSync(join(root, 'notes', 'todo.md'), 'look at the firewall\n');
  const m = io(root);
  assert.is(await runReport({ incidents: ['notes'], out: 'out' }, m), EXIT.NO_INPUT);
  assert.match(m.stderr.join('\n'), /notes: holds only scripts and notes \(not an incident\), skipped/);
});

test.run();
