/**
 * The short fuzz run of CI: both tiers of test/fuzz/fuzz.ts at once, fixed seed, bounded in time
 * (about 25 s; PODPATH_FUZZ_SECONDS changes it): no crash, hang or ceiling hit. Failing inputs are
 * saved under test/fuzz-crashes/ (see its README) and named in the failure message.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatResult, runFuzz } from './fuzz.js';

const SECONDS = Number(process.env.PODPATH_FUZZ_SECONDS ?? 25);

test(`short fuzz run, seed 1, both tiers (at most ${SECONDS} s): no crashes, hangs or ceiling hits`, async () => {
  const r = await runFuzz({ seed: 1, count: 40000, full: 300, seconds: SECONDS, log: (l) => console.log(`  ${l}`) });
  const summary = formatResult(r);
  console.log(summary.replace(/^/gm, '  '));
  assert.ok(r.fast && r.fast.execs >= 1000, `fast tier ran ${r.fast?.execs} execs`);
  assert.ok(r.full && r.full.execs >= 10, `full tier ran ${r.full?.execs} execs`);
  assert.ok(r.ok, summary);
});

test.run();
