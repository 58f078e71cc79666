/**
 * Archives of one incident group together in `podpath report`: the collector writes its incident id
 * (--incident) into the archive's first entry, and listIncidents puts archives that share it under
 * one incident, analyzed together.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { archiveIncidentId, listIncidents } from '../../src/batch/incidents.js';

const SCRIPT = join(ROOT, 'bin', 'podpath-collect');
const work = mkdtempSync(join(tmpdir(), 'podpath-incidents-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function collect(name: string, host: string, incident: string): string {
  const out = join(work, name);
  const r = spawnSync('sh', [SCRIPT, '--no-capture', '--no-kubectl', '--hostname', host, '--incident', incident, '--out', out], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return `${out}.tar.gz`;
}

test('archives sharing an incident id are one incident; others stay apart', async () => {
  const a = collect('a-node1', 'node1', 'inc-1');
  const b = collect('b-node2', 'node2', 'inc-1');
  const c = collect('c-node1', 'node1', 'inc-2');
  // an archive that is not the collector's: no id, its own incident
  mkdirSync(join(work, 'plain', 'h'), { recursive: true });
  writeFileSync(join(work, 'plain', 'h', 'hostname'), 'h\n');
  spawnSync('tar', ['-czf', join(work, 'plain.tar.gz'), '-C', work, 'plain']);
  assert.is(await archiveIncidentId(a), 'inc-1');
  assert.is(await archiveIncidentId(c), 'inc-2');
  assert.is(await archiveIncidentId(join(work, 'plain.tar.gz')), undefined);

  const { incidents } = await listIncidents(['*.tar.gz'], work);
  assert.equal(
    incidents.map((i) => [i.path, i.more ?? []]),
    [
      ['a-node1.tar.gz', [b]],
      ['c-node1.tar.gz', []],
      ['plain.tar.gz', []],
    ],
  );

  // podpath report: one report for inc-1 holding both nodes
  const out = join(work, 'reports');
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'podpath.js'), 'report', 'a-node1.tar.gz', 'b-node2.tar.gz', 'c-node1.tar.gz', '--out', out, '--jobs', '1'], { cwd: work, encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  const dirs = readdirSync(out).filter((d) => !d.includes('.'));
  assert.is(dirs.length, 2, dirs.join(', '));
  const first = JSON.parse(readFileSync(join(out, dirs.sort()[0], 'report.json'), 'utf8')) as { topology: { hosts: { name: string }[] } };
  assert.equal(first.topology.hosts.map((h) => h.name).sort(), ['node1', 'node2']);
});

test.run();
