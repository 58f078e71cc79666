/**
 * Shard manifests (`<out>/shard-I-of-N.json`, schema podpath.batch-shard/1) and the merge that
 * turns them back into one incident list. A manifest is read as untrusted input: entries are
 * checked field by field (a slug must be one safe path component), so a tampered manifest can
 * neither write outside --out nor inject markup (the index escapes everything anyway).
 */
import { randomBytes } from 'node:crypto';
import { SEVERITIES } from '../severity.js';
import { constants } from 'node:fs';
import { copyFile, lstat, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MAX_SHARDS } from './incidents.js';
import { isSafeSlug } from './slug.js';
import { REPORT_FILES, SHARD_SCHEMA, type IncidentEntry, type ShardManifest } from './types.js';
import { incidentDir, writeFileIn } from './write.js';

export function manifestName(index: number, count: number): string {
  return `shard-${index}-of-${count}.json`;
}

export async function writeManifest(out: string, index: number, count: number, total: number, incidents: IncidentEntry[]): Promise<string> {
  const m: ShardManifest = { schema: SHARD_SCHEMA, shard: { index, count }, total, incidents };
  const name = manifestName(index, count);
  await writeFileIn(out, name, JSON.stringify(m, null, 2) + '\n');
  return name;
}

/**
 * Bounds a manifest is checked against before anything is built from its numbers (a forged
 * "1 of 10^15" would otherwise make a list of 10^15 missing shards). docs/robustness.md.
 */
export const MANIFEST_LIMITS = {
  /** Shards: the same ceiling as --shard. */
  shards: MAX_SHARDS,
  /** Incidents in a batch (`total`) and entries in one manifest. */
  incidents: 1_000_000,
  /** Bytes of one manifest file (about 600 bytes an entry). */
  bytes: 512 * 1024 * 1024,
  /** Characters of an entry's path, headline, error or worst code. */
  text: 16 * 1024,
  /** Per-entry warnings shown for one manifest; the rest are counted. */
  warnings: 20,
} as const;
const nat = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : NaN);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const text = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.length <= MANIFEST_LIMITS.text);

/** A manifest entry, checked and normalised; undefined when it is not one. */
export function checkEntry(v: unknown): IncidentEntry | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (!isSafeSlug(o.slug) || typeof o.path !== 'string' || (o.status !== 'ok' && o.status !== 'failed')) return undefined;
  if (![o.path, o.headline, o.error, o.worstCode].every(text)) return undefined;
  const f = (o.findings ?? {}) as Record<string, unknown>;
  const fl = (o.flows ?? {}) as Record<string, unknown>;
  const e: IncidentEntry = {
    slug: o.slug,
    path: o.path,
    status: o.status,
    worst: SEVERITIES.includes(o.worst as never) ? (o.worst as IncidentEntry['worst']) : null,
    worstCode: typeof o.worstCode === 'string' ? o.worstCode : null,
    headline: str(o.headline),
    findings: { critical: nat(f.critical), error: nat(f.error), warning: nat(f.warning), info: nat(f.info) },
    flows: { total: nat(fl.total), ok: nat(fl.ok), lost: nat(fl.lost), unanswered: nat(fl.unanswered), partial: nat(fl.partial) },
    packets: nat(o.packets),
    inputs: nat(o.inputs),
    problems: nat(o.problems),
    error: typeof o.error === 'string' ? o.error : null,
  };
  const nums = [...Object.values(e.findings), ...Object.values(e.flows), e.packets, e.inputs, e.problems];
  if (nums.some((n) => Number.isNaN(n))) return undefined;
  if (o.worst !== null && e.worst === null) return undefined;
  return e;
}

export interface Merged {
  entries: IncidentEntry[];
  /** Sharding found: N of "I of N". */
  count: number;
  /** "2/3" for each shard without a manifest. */
  missing: string[];
  /** Incidents the full list had, by the manifests. */
  total: number;
  /** Where each entry's reports are (the merge folder holding its manifest). */
  from: Map<string, string>;
  warnings: string[];
}

export class MergeError extends Error {}

/** Why the manifest's numbers cannot be right, or undefined. Checks before any use of them. */
function manifestBounds(m: ShardManifest): string | undefined {
  const L = MANIFEST_LIMITS;
  const { index, count } = m.shard;
  if (!Number.isSafeInteger(count) || count < 1 || count > L.shards) return `shard count ${String(count).slice(0, 40)} is not between 1 and ${L.shards}`;
  if (!Number.isSafeInteger(index) || index < 1 || index > count) return `shard index ${String(index).slice(0, 40)} is not between 1 and ${count}`;
  if (!Number.isSafeInteger(m.total) || m.total < 0 || m.total > L.incidents) return `total ${String(m.total).slice(0, 40)} is not between 0 and ${L.incidents}`;
  if (m.incidents.length > L.incidents) return `${m.incidents.length} incident entries (more than ${L.incidents})`;
  if (m.incidents.length > m.total) return `${m.incidents.length} incident entries for a batch of ${m.total}`;
  return undefined;
}

/** "2/9", "4-7/9": the shards without a manifest, runs of them as one range. */
function missingRanges(have: Set<number>, count: number): string[] {
  const out: string[] = [];
  // Walk the gaps between the (at most MAX_SHARDS, bounded above) indexes present.
  const present = [...have].sort((a, b) => a - b);
  let next = 1;
  for (const i of [...present, count + 1]) {
    if (i > next) out.push(i - 1 === next ? `${next}/${count}` : `${next}-${i - 1}/${count}`);
    next = i + 1;
  }
  return out;
}

/** Reads every shard-I-of-N.json in the folders. */
export async function readManifests(dirs: string[]): Promise<Merged> {
  const warnings: string[] = [];
  const found: { dir: string; file: string; m: ShardManifest }[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      throw new MergeError(`${dir}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const name of names.filter((n) => /^shard-\d+-of-\d+\.json$/.test(n)).sort()) {
      const file = join(dir, name);
      const size = await stat(file).then((st) => st.size, () => 0);
      if (size > MANIFEST_LIMITS.bytes) throw new MergeError(`${file}: ${size} bytes is too large for a shard manifest (limit ${MANIFEST_LIMITS.bytes})`);
      let m: ShardManifest;
      try {
        m = JSON.parse(await readFile(file, 'utf8')) as ShardManifest;
      } catch (e) {
        throw new MergeError(`${file}: not a shard manifest: ${(e as Error).message}`);
      }
      if (m?.schema !== SHARD_SCHEMA || !m.shard || !Array.isArray(m.incidents) || name !== manifestName(m.shard.index, m.shard.count)) {
        throw new MergeError(`${file}: not a ${SHARD_SCHEMA} manifest (or renamed)`);
      }
      const bad = manifestBounds(m);
      if (bad) throw new MergeError(`${file}: not a usable shard manifest: ${bad}`);
      found.push({ dir, file, m });
    }
  }
  if (found.length === 0) throw new MergeError(`no shard manifests (shard-I-of-N.json) in ${dirs.join(', ')}`);
  const counts = [...new Set(found.map((f) => f.m.shard.count))];
  if (counts.length > 1) throw new MergeError(`manifests of different shardings (of ${counts.join(', of ')}): merge one batch at a time`);
  const count = counts[0];
  const totals = [...new Set(found.map((f) => f.m.total))];
  if (totals.length > 1) throw new MergeError(`manifests disagree on the number of incidents (${totals.join(', ')}): were the shards given the same incident list?`);
  const byIndex = new Map<number, (typeof found)[number]>();
  for (const f of found) {
    const other = byIndex.get(f.m.shard.index);
    if (other && resolve(other.file) !== resolve(f.file)) throw new MergeError(`shard ${f.m.shard.index}/${count} twice: ${other.file} and ${f.file}`);
    byIndex.set(f.m.shard.index, f);
  }
  const missing = missingRanges(new Set(byIndex.keys()), count);
  const entries: IncidentEntry[] = [];
  const from = new Map<string, string>();
  for (const f of [...byIndex.values()].sort((a, b) => a.m.shard.index - b.m.shard.index)) {
    let ignored = 0;
    for (const raw of f.m.incidents) {
      const e = checkEntry(raw);
      if (!e) {
        if (++ignored <= MANIFEST_LIMITS.warnings) warnings.push(`${f.file}: an entry is not an incident record, ignored`);
        continue;
      }
      if (from.has(e.slug.toLowerCase())) throw new MergeError(`incident folder ${e.slug} appears in two manifests`);
      from.set(e.slug.toLowerCase(), f.dir);
      entries.push(e);
    }
    if (ignored > MANIFEST_LIMITS.warnings) warnings.push(`${f.file}: ${ignored - MANIFEST_LIMITS.warnings} more entries are not incident records, ignored`);
  }
  if (missing.length === 0 && entries.length !== totals[0]) warnings.push(`the manifests list ${entries.length} incidents, the batch had ${totals[0]}`);
  return { entries, count, missing, total: totals[0], from, warnings };
}

/** Brings an incident's reports from a shard's folder into --out (when they are elsewhere). */
export async function copyReports(fromDir: string, out: string, slug: string): Promise<string | undefined> {
  const src = resolve(fromDir, slug);
  const dest = await incidentDir(out, slug);
  if (resolve(src) === dest) return undefined;
  for (const name of REPORT_FILES) {
    const st = await lstat(join(src, name)).catch(() => undefined);
    if (!st?.isFile()) return `${slug}: ${name} missing in ${fromDir}`;
    const tmp = join(dest, `.${name}.copy-${randomBytes(8).toString('hex')}`);
    await rm(tmp, { force: true });
    await copyFile(join(src, name), tmp, constants.COPYFILE_EXCL);
    await rename(tmp, join(dest, name));
  }
  return undefined;
}
