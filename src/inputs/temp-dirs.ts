/**
 * The temp folders this process made and has not removed yet (extracted archives, standard input
 * spooled to a file), so that a signal handler can remove them. No dependencies beyond node:fs:
 * the CLI loads it at start-up.
 */
import { rmSync } from 'node:fs';

const liveTempDirs = new Set<string>();

/** Records a temp folder as live; the function returned forgets it (call it once it is removed). */
export function trackTempDir(dir: string): () => void {
  liveTempDirs.add(dir);
  return () => {
    liveTempDirs.delete(dir);
  };
}

/** The live temp folders, oldest first. */
export function liveTempDirList(): string[] {
  return [...liveTempDirs];
}

/** Removes every live temp folder, synchronously (a signal handler cannot wait). */
export function removeLiveTempDirsSync(): void {
  for (const dir of liveTempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // nothing more can be done on the way out
    }
    liveTempDirs.delete(dir);
  }
}

