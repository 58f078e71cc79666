/**
 * One root cause, its consequences under it. Runs on the full list of findings (the topology's
 * and the flows'), after they are made:
 *
 *  - identical findings (same severity, code and message) are one, with `subject.count` adding up;
 *  - a finding whose flows (`subject.flows`) all belong to a root-cause finding (stale-vtep, mtu,
 *    overlay-blocked, service findings: any finding above the consequence codes that names flows)
 *    is a consequence: lost, unanswered, arp-unanswered and drop findings of those flows are
 *    folded into it (their flows listed in its subject, their message kept as evidence);
 *  - a dump-only `mtu` finding about a host of a packet-proven `mtu` root cause is folded into it
 *    as evidence (the device MTUs behind what the packets show);
 *  - ranked: by severity (src/severity.ts), root causes before consequences at equal severity.
 */
import type { Evidence, Finding } from '../topology/model.js';
import { rankFindings } from '../severity.js';

/** Codes that describe what happened to packets, not why. */
const CONSEQUENCES = new Set(['lost', 'unanswered', 'arp-unanswered', 'drop', 'capture-gap']);
/** Evidence kept per finding after folding. */
const MAX_EVIDENCE = 12;

function merged(a: Finding, b: Finding): void {
  const ca = a.subject?.count ?? 1;
  const cb = b.subject?.count ?? 1;
  a.subject = { ...(a.subject ?? {}), count: ca + cb };
  const flows = new Set([...(a.subject.flows ?? []), ...(b.subject?.flows ?? [])]);
  if (flows.size > 0) a.subject.flows = [...flows];
  for (const e of b.evidence) if (a.evidence.length < MAX_EVIDENCE && !a.evidence.includes(e)) a.evidence.push(e);
}

export function consolidate(findings: Finding[]): Finding[] {
  // Identical findings.
  const byText = new Map<string, Finding>();
  const out: Finding[] = [];
  for (const f of findings) {
    const k = `${f.severity}|${f.code}|${f.message}`;
    const have = byText.get(k);
    if (have) {
      merged(have, f);
      continue;
    }
    const copy: Finding = { ...f, evidence: [...f.evidence], ...(f.subject ? { subject: { ...f.subject } } : {}) };
    byText.set(k, copy);
    out.push(copy);
  }

  // Root causes: findings that name flows and are not consequences.
  const roots = out.filter((f) => !CONSEQUENCES.has(f.code) && (f.subject?.flows?.length ?? 0) > 0);
  const folded = new Set<Finding>();
  for (const f of out) {
    if (!CONSEQUENCES.has(f.code) || !f.subject?.flows?.length) continue;
    const ids = f.subject.flows;
    const root = roots.find((r) => ids.every((id) => r.subject!.flows!.includes(id)));
    if (!root) continue;
    folded.add(f);
    const ev: Evidence = { input: f.evidence[0]?.input ?? '', text: `consequence (${f.code}): ${f.message}` };
    if (root.evidence.length < MAX_EVIDENCE) root.evidence.push(ev);
  }
  // Dump-only MTU findings behind a packet-proven MTU root cause.
  const mtuRoots = roots.filter((r) => r.code === 'mtu');
  for (const f of out) {
    if (f.code !== 'mtu' || mtuRoots.includes(f) || f.subject?.flows?.length) continue;
    const hosts = f.subject?.hosts ?? [];
    const root = mtuRoots.find((r) => hosts.length > 0 && hosts.every((h) => r.subject?.hosts?.includes(h)));
    if (!root) continue;
    folded.add(f);
    for (const e of f.evidence) if (root.evidence.length < MAX_EVIDENCE) root.evidence.push(e.text ? e : { ...e, text: f.message });
  }
  const kept = out.filter((f) => !folded.has(f));
  // Root causes first within a severity (a stable sort keeps the rest in order).
  const rootFirst = [...kept].sort((a, b) => Number(CONSEQUENCES.has(a.code)) - Number(CONSEQUENCES.has(b.code)));
  return rankFindings(rootFirst);
}
