/**
 * `node dist/test/bench/profile-top.js FILE.cpuprofile [N] [--lines FUNCTION]`: the top N (25)
 * functions by self time of a V8 CPU profile (`node --cpu-prof --cpu-prof-dir=DIR ...`), or the
 * hottest source lines of one function (line numbers of the compiled file in dist/).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  positionTicks?: { line: number; ticks: number }[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-top FILE.cpuprofile [N] [--lines FUNCTION]');
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const li = rest.indexOf('--lines');
if (li >= 0) {
  const fn = rest[li + 1];
  const lines = new Map<number, number>();
  for (const n of prof.nodes) {
    if (n.callFrame.functionName !== fn) continue;
    for (const t of n.positionTicks ?? []) lines.set(t.line, (lines.get(t.line) ?? 0) + t.ticks);
  }
  for (const [l, t] of [...lines].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${String(t).padStart(6)} ticks  line ${l}`);
} else {
  const top = Number(rest[0] ?? 25);
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    total += dt;
    const cf = byId.get(id)!.callFrame;
    const k = `${cf.functionName || '(anonymous)'} ${cf.url.split('/').slice(-3).join('/')}:${cf.lineNumber + 1}`;
    self.set(k, (self.get(k) ?? 0) + dt);
  });
  console.log(`total ${(total / 1e3).toFixed(0)} ms sampled`);
  for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(t / 1e3).toFixed(0).padStart(7)} ms ${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
  }
}
