/**
 * The worker thread of `podpath report`: takes jobs ({ seq, job }) one at a time from the pool,
 * runs them (job.ts) and answers { seq, entry }. Loaded from dist/ as
 * new URL('./worker.js', import.meta.url).
 */
import { parentPort } from 'node:worker_threads';
import { runJob } from './job.js';
import type { Job } from './types.js';

if (!parentPort) throw new Error('src/batch/worker.ts runs as a worker thread');
const port = parentPort;
port.on('message', (m: { seq: number; job: Job }) => {
  void runJob(m.job).then((entry) => port.postMessage({ seq: m.seq, entry }));
});
