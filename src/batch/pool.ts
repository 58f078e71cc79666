/**
 * A fixed pool of worker threads for `podpath report`. Each worker takes one incident at a time;
 * results come back in any order and are returned in job order. A worker that dies (an uncaught
 * error, an out-of-memory abort, process.exit) fails only the incident it held: it is replaced
 * and the others go on.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { failedEntry } from './job.js';
import type { IncidentEntry, Job } from './types.js';

export const WORKER_URL = new URL('./worker.js', import.meta.url);

export function defaultJobs(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

export interface PoolOptions {
  /** Worker threads at most (never more than there are jobs). */
  size: number;
  /** The worker script (tests substitute one); default ./worker.js beside this module. */
  workerUrl?: URL;
  onStart?(job: Job, index: number): void;
  onDone?(entry: IncidentEntry, job: Job, index: number): void;
}

export function runPool(jobs: Job[], opts: PoolOptions): Promise<IncidentEntry[]> {
  const results: (IncidentEntry | undefined)[] = new Array(jobs.length);
  if (jobs.length === 0) return Promise.resolve([]);
  const size = Math.max(1, Math.min(opts.size, jobs.length));
  let next = 0;
  let finished = 0;
  let live = 0;
  return new Promise((resolveAll) => {
    const complete = (index: number, entry: IncidentEntry) => {
      if (results[index] !== undefined) return;
      results[index] = entry;
      finished++;
      opts.onDone?.(entry, jobs[index], index);
    };
    const maybeEnd = () => {
      if (finished === jobs.length && live === 0) resolveAll(results as IncidentEntry[]);
    };
    const spawn = () => {
      const worker = new Worker(opts.workerUrl ?? WORKER_URL);
      live++;
      let current: number | undefined;
      let lastError: string | undefined;
      const feed = () => {
        if (next >= jobs.length) {
          current = undefined;
          void worker.terminate();
          return;
        }
        current = next++;
        opts.onStart?.(jobs[current], current);
        worker.postMessage({ seq: current, job: jobs[current] });
      };
      worker.on('message', (m: { seq: number; entry: IncidentEntry }) => {
        complete(m.seq, m.entry);
        feed();
      });
      worker.on('error', (e) => {
        lastError = (e as Error)?.message ?? String(e);
      });
      worker.on('exit', (code) => {
        live--;
        if (current !== undefined && results[current] === undefined) {
          const why = lastError ? `analysis crashed: ${lastError}` : `analysis stopped: worker exited with code ${code}`;
          complete(current, failedEntry(jobs[current], why));
          // The others go on, on a fresh worker.
          if (next < jobs.length) spawn();
        }
        maybeEnd();
      });
      feed();
    };
    for (let i = 0; i < size; i++) spawn();
  });
}
