/**
 * The one severity order of findings: critical, error, warning, info (most severe first).
 * Every ranking, count and `--fail-on` threshold uses it.
 */
import type { Finding, Severity } from './topology/model.js';

export const SEVERITIES: readonly Severity[] = ['critical', 'error', 'warning', 'info'];

/** 0 for critical up to 3 for info; unknown values rank after info. */
export function severityIndex(s: string): number {
  const i = (SEVERITIES as readonly string[]).indexOf(s);
  return i < 0 ? SEVERITIES.length : i;
}

/** Whether `s` is at least as severe as `threshold`. */
export function atLeast(s: string, threshold: Severity): boolean {
  return severityIndex(s) <= severityIndex(threshold);
}

/** Findings most severe first; equal severities keep their order (a stable sort). */
export function rankFindings<F extends Pick<Finding, 'severity'>>(findings: F[]): F[] {
  return [...findings].sort((a, b) => severityIndex(a.severity) - severityIndex(b.severity));
}
