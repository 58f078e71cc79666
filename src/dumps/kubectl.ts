/**
 * `kubectl get pods [-A] [-o wide]` and `kubectl get nodes [-o wide]` tables. Columns are located by
 * the header's positions (kubectl aligns every row), because values contain spaces:
 * RESTARTS "6 (97m ago)", OS-IMAGE "Ubuntu 22.04.3 LTS". When a paste lost the alignment, the row
 * is split on whitespace instead (with "N (… ago)" kept together).
 *
 *   NAMESPACE     NAME                         READY   STATUS    RESTARTS      AGE   IP           NODE
 *   kube-system   svclb-traefik-549b62e4-dqvvz 2/2     Running   6 (97m ago)   18h   10.42.1.34   ip-10-32-7-224...
 */
import type { DumpParser, DumpProblem, KubectlNodeRecord, KubectlPodRecord } from './types.js';
import { ProblemList, firstNonBlank, numbered } from './text.js';
import { KUBECTL, kubectlGet } from './typed.js';

interface Column {
  name: string;
  start: number;
}

/** Header words and where they start; "NOMINATED NODE" and "READINESS GATES" are one column each. */
function columnsOf(header: string): Column[] {
  const cols: Column[] = [];
  const re = /NOMINATED NODE|READINESS GATES|\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header))) cols.push({ name: m[0], start: m.index });
  return cols;
}

function tokens(row: string): string[] {
  return row
    .trim()
    .replace(/(\d+) (\([^)]*\))/g, (_m, n: string, p: string) => `${n}\u0000${p.replace(/ /g, '\u0000')}`)
    .split(/\s+/)
    .map((t) => t.replace(/\u0000/g, ' '));
}

/** Cells of a row by header positions, or by tokens when the positions do not fit. */
function cells(row: string, cols: Column[], check: (c: Map<string, string>) => boolean): Map<string, string> | undefined {
  const byPos = new Map<string, string>();
  cols.forEach((c, i) => {
    const end = i + 1 < cols.length ? cols[i + 1].start : row.length;
    byPos.set(c.name, row.slice(c.start, end).trim());
  });
  // a value must start exactly at its column: the character before it is a space (or line start)
  const aligned = cols.every((c) => c.start === 0 || row[c.start - 1] === undefined || row[c.start - 1] === ' ' || row[c.start - 1] === '\t');
  if (aligned && check(byPos)) return byPos;
  const ts = tokens(row);
  if (ts.length === cols.length) {
    const byTok = new Map<string, string>();
    cols.forEach((c, i) => byTok.set(c.name, ts[i]));
    if (check(byTok)) return byTok;
  }
  // fewer tokens than columns: trailing optional columns missing (NOMINATED NODE ...)
  if (ts.length > 0 && ts.length < cols.length) {
    const byTok = new Map<string, string>();
    cols.slice(0, ts.length).forEach((c, i) => byTok.set(c.name, ts[i]));
    if (check(byTok)) return byTok;
  }
  return undefined;
}

const none = (v: string | undefined) => (v === undefined || v === '<none>' || v === '<pending>' ? '' : v);

function isPodHeader(l: string): boolean {
  return /^(NAMESPACE\s+)?NAME\s+READY\s+STATUS\b/.test(l.trim());
}
function isNodeHeader(l: string): boolean {
  return /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\b/.test(l.trim());
}

function headerDetect(lines: string[], test: (l: string) => boolean): number {
  const i = firstNonBlank(lines);
  if (i < 0) return 0;
  return test(lines[i]) ? 0.98 : 0;
}

function parsePods(lines: string[], firstLine: number): { records: KubectlPodRecord[]; problems: DumpProblem[] } {
  const problems = new ProblemList('kubectl get pods');
  const records: KubectlPodRecord[] = [];
  let cols: Column[] | undefined;
  for (const { n, text } of numbered(lines, firstLine)) {
    if (text.trim() === '') continue;
    if (isPodHeader(text)) {
      cols = columnsOf(text);
      continue;
    }
    if (/^No resources found\b/.test(text.trim())) continue;
    if (!cols) {
      problems.unrecognized(n, text, 'expected the "NAME  READY  STATUS ..." header');
      continue;
    }
    const c = cells(text, cols, (m) => /^\d+\/\d+$/.test(m.get('READY') ?? '') && (m.get('NAME') ?? '') !== '');
    if (!c) {
      problems.unrecognized(n, text, 'READY is not N/M');
      continue;
    }
    const r: KubectlPodRecord = { name: c.get('NAME')!, ready: c.get('READY')!, status: c.get('STATUS') ?? '', ip: none(c.get('IP')), node: none(c.get('NODE')), line: n };
    if (c.has('NAMESPACE')) r.namespace = c.get('NAMESPACE');
    if (c.get('RESTARTS')) r.restarts = c.get('RESTARTS');
    if (c.get('AGE')) r.age = c.get('AGE');
    records.push(r);
  }
  if (!cols && records.length === 0 && lines.some((l) => l.trim() !== '' && !/^No resources found\b/.test(l.trim())))
    problems.add(firstLine, 'no `kubectl get pods` header found ("NAME  READY  STATUS  RESTARTS  AGE ...")');
  return { records, problems: problems.done() };
}

function parseNodes(lines: string[], firstLine: number): { records: KubectlNodeRecord[]; problems: DumpProblem[] } {
  const problems = new ProblemList('kubectl get nodes');
  const records: KubectlNodeRecord[] = [];
  let cols: Column[] | undefined;
  for (const { n, text } of numbered(lines, firstLine)) {
    if (text.trim() === '') continue;
    if (isNodeHeader(text)) {
      cols = columnsOf(text);
      continue;
    }
    if (/^No resources found\b/.test(text.trim())) continue;
    if (!cols) {
      problems.unrecognized(n, text, 'expected the "NAME  STATUS  ROLES  AGE  VERSION ..." header');
      continue;
    }
    const c = cells(text, cols, (m) => /^v?\d+\.\d+/.test(m.get('VERSION') ?? '') || /Ready|Unknown/.test(m.get('STATUS') ?? ''));
    if (!c) {
      problems.unrecognized(n, text);
      continue;
    }
    const r: KubectlNodeRecord = { name: c.get('NAME') ?? '', status: c.get('STATUS') ?? '', line: n };
    if (c.get('ROLES')) r.roles = c.get('ROLES');
    if (c.get('VERSION')) r.version = c.get('VERSION');
    if (none(c.get('INTERNAL-IP'))) r.internalIp = c.get('INTERNAL-IP');
    if (none(c.get('EXTERNAL-IP'))) r.externalIp = c.get('EXTERNAL-IP');
    records.push(r);
  }
  if (!cols && records.length === 0 && lines.some((l) => l.trim() !== '' && !/^No resources found\b/.test(l.trim())))
    problems.add(firstLine, 'no `kubectl get nodes` header found ("NAME  STATUS  ROLES  AGE  VERSION ...")');
  return { records, problems: problems.done() };
}

export const kubectlPods: DumpParser<'kubectl-pods'> = {
  info: {
    command: 'kubectl-pods',
    displayName: 'kubectl get pods',
    description: 'kubectl get pods [-A] [-o wide]',
    detect: (l) => headerDetect(l, isPodHeader),
    nameHint: { pattern: /(^|-)(pods?|po)(-|$)/, rank: 30 },
    typed: [{ programs: KUBECTL, args: (a) => ['pods', 'pod', 'po'].includes(kubectlGet(a) ?? '') }],
    listField: 'name',
  },
  parse: parsePods,
};

export const kubectlNodes: DumpParser<'kubectl-nodes'> = {
  info: {
    command: 'kubectl-nodes',
    displayName: 'kubectl get nodes',
    description: 'kubectl get nodes [-o wide]',
    detect: (l) => headerDetect(l, isNodeHeader),
    nameHint: { pattern: /(^|-)(nodes?|no)(-|$)/, rank: 40 },
    typed: [{ programs: KUBECTL, args: (a) => ['nodes', 'node', 'no'].includes(kubectlGet(a) ?? '') }],
    listField: 'name',
  },
  parse: parseNodes,
};
