/**
 * Shared by the batch tests: the sample incidents copied into a temp folder (the lab may be
 * regenerating samples/ meanwhile: a scenario without its lab.json is waited for), a memory Io,
 * and file-tree helpers.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { memoryIo } from '../../src/io.js';
import { SAMPLES } from '../helpers.js';

export const SCENARIOS = ['blocked-overlay', 'cross-node', 'intra-pod', 'same-node'] as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const temps: string[] = [];
process.once('exit', () => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp folder, removed at exit. */
export function tempDir(prefix = 'podpath-batch-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** Copies samples/<name> to dest/<as>, waiting (up to 3 min) while the lab rewrites it. */
export async function copyScenario(name: string, dest: string, as = name): Promise<string> {
  const src = join(SAMPLES, name);
  const to = join(dest, as);
  for (let attempt = 0; ; attempt++) {
    try {
      if (!existsSync(join(src, 'lab.json'))) throw new Error(`${name}: lab.json missing`);
      rmSync(to, { recursive: true, force: true });
      cpSync(src, to, { recursive: true });
      if (existsSync(join(src, 'lab.json')) && existsSync(join(to, 'lab.json'))) return to;
      throw new Error(`${name}: rewritten while copying`);
    } catch (e) {
      if (attempt >= 180) throw e;
      await sleep(1000);
    }
  }
}

/** `<root>/incidents/<scenario>` for the four scenarios; returns root. */
export async function sampleIncidents(root = tempDir()): Promise<string> {
  const inc = join(root, 'incidents');
  mkdirSync(inc, { recursive: true });
  for (const s of SCENARIOS) await copyScenario(s, inc);
  return root;
}

/** A memory Io in `cwd`, with the stderr status writes kept too. */
export function io(cwd: string, tty = false) {
  const m = memoryIo(cwd);
  const status: string[] = [];
  return Object.assign(m, { stderrIsTTY: tty, status: (t: string) => void status.push(t), statusLines: status });
}

/** Every file under dir (relative paths, sorted) with its bytes. */
export function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  if (existsSync(dir) && statSync(dir).isDirectory()) walk(dir);
  return out;
}

export function read(p: string): string {
  return readFileSync(p, 'utf8');
}
