/**
 * `podpath report`: the records a batch keeps of each incident. One IncidentEntry per incident is
 * all the index needs, so an unsharded run and a merge of shard manifests build the index from
 * the same data (byte-identical). docs/batch.md.
 */
import type { Severity } from '../topology/model.js';

export const SHARD_SCHEMA = 'podpath.batch-shard/1';

/** What one incident came to: the index row. Plain JSON (it crosses threads and manifests). */
export interface IncidentEntry {
  /** Folder of its reports under --out: only [A-Za-z0-9._-], never a leading dot. */
  slug: string;
  /** The incident as named (relative to the working folder when under it, else absolute). */
  path: string;
  status: 'ok' | 'failed';
  /** Worst finding's severity, null when there is none (or the incident failed). */
  worst: Severity | null;
  /** Worst finding's code ("overlay-blocked"). */
  worstCode: string | null;
  /** What failed and where, one sentence (summary.ts); empty for a failed incident. */
  headline: string;
  findings: Record<Severity, number>;
  flows: { total: number; ok: number; lost: number; unanswered: number; partial: number; rejected?: number };
  packets: number;
  inputs: number;
  /** Problem lines of the analysis (unreadable files, corrupt packets...). */
  problems: number;
  /** One line: why the incident failed. Null when it did not. */
  error: string | null;
}

/** A job for a worker: analyze one incident, render, write `<out>/<slug>/report.*`. */
export interface Job {
  /** Absolute path of the incident folder or archive. */
  abs: string;
  /** More archives of the same incident (absolute), analyzed with `abs`. */
  more?: string[];
  /** As shown in the index. */
  path: string;
  slug: string;
  /** Absolute --out folder. */
  out: string;
  vxlanPorts: number[];
  genevePorts: number[];
}

/** `<out>/shard-I-of-N.json`. */
export interface ShardManifest {
  schema: typeof SHARD_SCHEMA;
  shard: { index: number; count: number };
  /** Incidents in the whole (unsharded) list, to tell when a merge misses a shard. */
  total: number;
  incidents: IncidentEntry[];
}

export const REPORT_FILES = ['report.md', 'report.html', 'report.json'] as const;
