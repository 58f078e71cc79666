/**
 * The full-pipeline runner, a child process of fuzz.ts (forked with --max-old-space-size): for
 * every message { id, paths, cwd } it runs analyze() and renders every report format, checks the
 * report's accounting, and answers { id, ok } or { id, ok: false, message, stack }. An uncaught
 * exception kills it: the parent saves the input as a crash. Does nothing when imported.
 */
import { pathToFileURL } from 'node:url';
import { analyze } from '../../src/analyze.js';
import { finish } from '../../src/commands/analyze.js';
import { memoryIo } from '../../src/io.js';
import { FORMATS, render } from '../../src/report/index.js';
import type { Report } from '../../src/path/types.js';

export interface RunRequest {
  id: number;
  paths: string[];
  cwd: string;
}

export interface RunReply {
  id: number;
  ok: boolean;
  invariant?: boolean;
  message?: string;
  stack?: string;
  packets?: number;
  flows?: number;
}

class InvariantError extends Error {
  override name = 'InvariantError';
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new InvariantError(message);
}

/** The report's own accounting: every packet counted once, in one class, and in one input. */
export function checkReport(report: Report): void {
  const s = report.stats;
  check(s.packets === s.decoded + s.truncated + s.malformed + s.skipped, `stats: ${JSON.stringify(s)} do not add up`);
  const perInput = report.inputs.reduce((a, i) => a + (i.packets ?? 0), 0);
  check(s.packets === perInput, `stats.packets ${s.packets} != sum of inputs[].packets ${perInput}`);
  const flowPackets = report.flows.reduce((a, f) => a + f.packets, 0);
  // A skipped packet (an encapsulation or payload podpath does not open) still has its outer flow.
  check(flowPackets <= s.decoded + s.truncated + s.skipped, `flows hold ${flowPackets} packets, more than decoded + truncated + skipped ${s.decoded + s.truncated + s.skipped}`);
  // what the analyze command prints: one line per problem, no control characters
  const io = memoryIo('.');
  finish(report, {}, io);
  check(io.stderr.length === report.problems.length + (report.inputs.some((i) => (i.packets ?? 0) > 0 || (i.commands ?? []).some((c) => c !== 'unknown')) ? 0 : 1), `stderr has ${io.stderr.length} entries for ${report.problems.length} problems`);
  // eslint-disable-next-line no-control-regex
  for (const l of io.stderr) check(!/[\u0000-\u001f\u007f-\u009f]/.test(l), `a stderr line holds a control character: ${JSON.stringify(l)}`);
}

export async function runOnce(req: RunRequest): Promise<RunReply> {
  const report = await analyze(req.paths, { cwd: req.cwd });
  checkReport(report);
  for (const f of FORMATS) {
    const out = render(report, f, { columns: 100 });
    check(typeof out === 'string', `${f}: not a string`);
    if (f === 'json') JSON.parse(out);
    if (f === 'ndjson') for (const line of out.split('\n')) if (line) JSON.parse(line);
  }
  return { id: req.id, ok: true, packets: report.stats.packets, flows: report.flows.length };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.send) {
  process.on('message', (m: RunRequest) => {
    runOnce(m).then(
      (r) => process.send!(r),
      (e: Error) => process.send!({ id: m.id, ok: false, invariant: e instanceof InvariantError, message: String(e?.message ?? e), stack: String(e?.stack ?? e) } satisfies RunReply),
    );
  });
  process.send({ ready: true });
}
