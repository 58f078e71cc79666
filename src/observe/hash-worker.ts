/**
 * Worker thread: the sha256 of one file (workerData.path), posted back as hex, or `undefined`
 * when the file cannot be read. Started by src/observe/hash.ts.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

const { path } = workerData as { path: string };
try {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  parentPort!.postMessage(h.digest('hex'));
} catch {
  parentPort!.postMessage(undefined);
}
