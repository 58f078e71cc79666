/**
 * The fast tier's worker thread: runs execs [start, end) until the deadline, publishing the exec
 * under way in a shared Int32Array (the main thread's hang watchdog reads it: a worker stuck in a
 * loop cannot post messages) and posting every crash. Loaded by fuzz.ts; does nothing on the main
 * thread (uvu may import it).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSeeds } from './seeds.js';
import { InvariantError, makeFastInput, runFastInput, sweepList } from './fast.js';

export interface FastWorkerData {
  seed: number;
  start: number;
  end: number;
  deadline: number;
  heartbeat: SharedArrayBuffer;
}

export interface FastCrashMessage {
  type: 'crash';
  exec: number;
  invariant: boolean;
  message: string;
  stack: string;
}

async function main(): Promise<void> {
  const data = workerData as FastWorkerData;
  const hb = new Int32Array(data.heartbeat);
  const seeds = loadSeeds({ quiet: true });
  const sweep = sweepList(seeds);
  const tmp = await mkdtemp(join(tmpdir(), 'podpath-fuzz-fast-'));
  Atomics.store(hb, 2, 1);
  try {
    for (let i = data.start; i < data.end && Date.now() < data.deadline; i++) {
      Atomics.store(hb, 0, i);
      try {
        await runFastInput(makeFastInput(seeds, sweep, data.seed, i), tmp);
      } catch (e) {
        const err = e as Error;
        const msg: FastCrashMessage = {
          type: 'crash',
          exec: i,
          invariant: err instanceof InvariantError,
          message: String(err?.message ?? e),
          stack: String(err?.stack ?? e),
        };
        parentPort!.postMessage(msg);
      }
      Atomics.add(hb, 1, 1);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  parentPort!.postMessage({ type: 'done' });
}

if (!isMainThread && parentPort && (workerData as { podpathFuzz?: boolean } | undefined)?.podpathFuzz) void main();
