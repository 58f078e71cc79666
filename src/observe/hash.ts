/**
 * The inventory's sha256 of a capture, off the critical path: a big file is hashed by a worker
 * thread that reads it on its own (from the page cache, on the other core) while the main thread
 * decodes it; a small file (or standard input) is hashed in the read pass, where a worker's
 * start-up (~30 ms) would cost more than the hash. docs/performance.md has the measurements.
 */
import { Worker } from 'node:worker_threads';

/** Files at least this big are hashed in a worker. */
export const WORKER_HASH_BYTES = 16 << 20;

export interface PendingHash {
  /** The hex digest (undefined: the file could not be read). */
  result(): Promise<string | undefined>;
  /** Stops the worker (the read was aborted: no digest is wanted). */
  cancel(): void;
}

export function hashInWorker(path: string): PendingHash {
  const worker = new Worker(new URL('./hash-worker.js', import.meta.url), { workerData: { path } });
  worker.unref();
  const done = new Promise<string | undefined>((resolve) => {
    worker.once('message', (m: string | undefined) => resolve(m));
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });
  return {
    result: () => done,
    cancel: () => void worker.terminate(),
  };
}
