/**
 * Writes under --out that never leave it: every file is written to a temporary name in its own
 * folder and renamed over the target (a symlink planted at the target is replaced, not followed;
 * a reader never sees half a file), and an incident folder that exists as anything but a real
 * folder (a symlink to elsewhere) is refused.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { slugDir } from './slug.js';

let counter = 0;

/** Writes `name` (a plain file name) in `dir` atomically. */
export async function writeFileIn(dir: string, name: string, data: string): Promise<void> {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) throw new Error(`unsafe file name ${JSON.stringify(name)}`);
  const tmp = join(dir, `.${name}.tmp-${randomBytes(8).toString('hex')}-${counter++}`);
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, join(dir, name));
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

/** Creates (or reuses) `<out>/<slug>`: a real folder directly inside out. */
export async function incidentDir(out: string, slug: string): Promise<string> {
  const dir = slugDir(out, slug);
  await mkdir(dir, { recursive: true });
  const st = await lstat(dir);
  if (!st.isDirectory() || st.isSymbolicLink()) throw new Error(`${slug} in the output folder is not a folder (a symlink?): refusing to write through it`);
  return dir;
}

/** The --out folder itself: created, and a folder. */
export async function outDir(out: string): Promise<void> {
  await mkdir(out, { recursive: true });
  const st = await lstat(out).catch(() => undefined);
  if (!st) throw new Error(`cannot create ${out}`);
}
