/**
 * One incident, as a worker runs it: analyze, render markdown, html and json, write
 * `<out>/<slug>/report.{md,html,json}`, and return the index row. Never throws: anything that
 * goes wrong makes the incident `failed` with a one-line error.
 */
import { SEVERITIES } from '../severity.js';
import { rm } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { analyze } from '../analyze.js';
import type { Report } from '../path/types.js';
import { renderHtml } from '../report/html.js';
import { renderJson } from '../report/json.js';
import { renderMarkdown } from '../report/markdown.js';
import { summarize } from '../report/summary.js';
import { REPORT_FILES, type IncidentEntry, type Job } from './types.js';
import { incidentDir, writeFileIn } from './write.js';
import { slugDir } from './slug.js';

/** Longest error line kept for the index. */
const MAX_ERROR = 300;

export function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > MAX_ERROR ? line.slice(0, MAX_ERROR - 1) + '…' : line;
}

export function emptyEntry(job: Pick<Job, 'slug' | 'path'>): IncidentEntry {
  return {
    slug: job.slug,
    path: job.path,
    status: 'ok',
    worst: null,
    worstCode: null,
    headline: '',
    findings: { critical: 0, error: 0, warning: 0, info: 0 },
    flows: { total: 0, ok: 0, lost: 0, unanswered: 0, partial: 0 },
    packets: 0,
    inputs: 0,
    problems: 0,
    error: null,
  };
}

export function failedEntry(job: Pick<Job, 'slug' | 'path'>, error: string): IncidentEntry {
  return { ...emptyEntry(job), status: 'failed', error: oneLine(error) || 'failed' };
}

/** The index row of an analyzed incident. */
export function entryOf(job: Pick<Job, 'slug' | 'path'>, report: Report): IncidentEntry {
  const e = emptyEntry(job);
  const s = summarize(report);
  for (const f of report.findings) e.findings[f.severity]++;
  const worst = SEVERITIES.find((x) => e.findings[x] > 0);
  e.worst = worst ?? null;
  // summary.ts's worst skips info findings for the headline; the row names the worst code.
  e.worstCode = s.worst?.code ?? (worst ? report.findings.find((f) => f.severity === worst)!.code : null);
  e.headline = oneLine(s.headline);
  e.flows.total = report.flows.length;
  for (const f of report.flows) {
    if (f.verdict === 'rejected') e.flows.rejected = (e.flows.rejected ?? 0) + 1;
    else e.flows[f.verdict]++;
  }
  e.packets = report.stats.packets;
  e.inputs = report.inputs.length;
  e.problems = report.problems.length;
  return e;
}

/** Something was read: a packet, or a dump command podpath knows (as `podpath analyze` decides). */
export function readSomething(report: Report): boolean {
  return report.inputs.some((i) => (i.packets ?? 0) > 0 || (i.commands ?? []).some((c) => c !== 'unknown'));
}

async function removeStale(job: Job): Promise<void> {
  let dir: string;
  try {
    dir = slugDir(job.out, job.slug);
  } catch {
    return;
  }
  for (const f of REPORT_FILES) await rm(join(dir, f), { force: true }).catch(() => {});
}

export async function runJob(job: Job): Promise<IncidentEntry> {
  try {
    // Inputs are named relative to the incident's parent folder, so a report reads the same
    // wherever the incidents are kept (a laptop, a shared volume in a cluster).
    const report = await analyze([basename(job.abs), ...(job.more ?? []).map((m) => relative(dirname(job.abs), m))], {
      cwd: dirname(job.abs),
      vxlanPorts: job.vxlanPorts,
      genevePorts: job.genevePorts,
    });
    if (!readSomething(report)) {
      await removeStale(job);
      const first = report.problems[0];
      return failedEntry(job, `no input could be read${first ? ` (${first}${report.problems.length > 1 ? `, and ${report.problems.length - 1} more problems` : ''})` : ''}`);
    }
    const entry = entryOf(job, report);
    const dir = await incidentDir(job.out, job.slug);
    await writeFileIn(dir, 'report.md', renderMarkdown(report));
    await writeFileIn(dir, 'report.html', renderHtml(report));
    await writeFileIn(dir, 'report.json', renderJson(report));
    return entry;
  } catch (e) {
    await removeStale(job);
    const err = e as NodeJS.ErrnoException;
    return failedEntry(job, err?.message ?? String(e));
  }
}
