/** Paths and skips shared by the tests. Tests run from dist/test/**, compiled from test/**. */
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('project root not found');
    dir = up;
  }
  return dir;
}

/** The project's root folder. */
export const ROOT = findRoot();
/** The bundled samples. */
export const SAMPLES = join(ROOT, 'samples');

const sharedDir = resolve(ROOT, '..', 'shared');
const skipped = new Set<string>();

/**
 * `../shared/` (the third-party corpus and the seed) when it exists beside the project, else
 * undefined after printing one visible SKIP line for `what`.
 */
export function shared(what: string): string | undefined {
  if (existsSync(join(sharedDir, 'corpus'))) return sharedDir;
  if (!skipped.has(what)) {
    skipped.add(what);
    console.log(`SKIP ${what}: ../shared/ is not beside the project (it exists on developer and CI machines only)`);
  }
  return undefined;
}

/** A Chromium (or Chrome) on PATH for the browser tests, undefined when there is none. */
export function findChromium(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
      const p = join(dir, name);
      if (dir && existsSync(p)) return p;
    }
  }
  return undefined;
}
