/**
 * `kubectl get svc [-A] [-o wide]`, `kubectl get endpoints [-A]` and `kubectl get endpointslices [-A]`
 * tables. No value of these tables holds a space except the ENDPOINTS overflow ("+ 2 more..."), so rows
 * are split on whitespace and matched to the header's columns.
 *
 *   NAMESPACE     NAME         TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)                  AGE   SELECTOR
 *   default       web          NodePort    10.43.0.10   <none>        80:30080/TCP,53/UDP      5d    app=web
 *   NAMESPACE     NAME         ENDPOINTS                                      AGE
 *   default       web          10.42.1.12:8080,10.42.0.9:8080 + 2 more...    5d
 *   NAMESPACE     NAME         ADDRESSTYPE   PORTS   ENDPOINTS               AGE
 *   default       web-x7k2p    IPv4          8080    10.42.1.12,10.42.0.9    5d
 */
import { KUBECTL, kubectlGet } from './typed.js';
import type { DumpParser, DumpProblem } from './types.js';
import type { KubectlEndpointSliceRecord, KubectlEndpointsRecord, KubectlServiceRecord, ServicePort } from './nat-types.js';
import { ProblemList, firstNonBlank, numbered, words } from './text.js';
import { hostPort } from './ipvsadm.js';

const SVC_HEADER = /^(NAMESPACE\s+)?NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)(\s|$)/;
const EP_HEADER = /^(NAMESPACE\s+)?NAME\s+ENDPOINTS\s+AGE(\s|$)/;
const SLICE_HEADER = /^(NAMESPACE\s+)?NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS(\s|$)/;
const NO_RESOURCES = /^No resources found\b/;

function headerDetect(lines: string[], re: RegExp): number {
  const i = firstNonBlank(lines);
  return i >= 0 && re.test(lines[i].trim()) ? 0.98 : 0;
}

/** Cells by header name; the ENDPOINTS overflow "+ N more..." stays with its column. */
function cells(row: string, cols: string[]): Map<string, string> | undefined {
  const ts = words(row.replace(/\s\+\s(\d+)\smore\.\.\./g, '\u0000+$1more'));
  if (ts.length !== cols.length) return undefined;
  const m = new Map<string, string>();
  cols.forEach((c, i) => m.set(c, ts[i].replace(/\u0000\+(\d+)more/, ' + $1 more...')));
  return m;
}

const NONE = new Set(['<none>', '<pending>', '<unset>', '<nil>', '']);
const list = (v: string | undefined) => (v === undefined || NONE.has(v) ? [] : v.split(',').filter((x) => x !== ''));

function ports(v: string): ServicePort[] | undefined {
  if (NONE.has(v)) return [];
  const out: ServicePort[] = [];
  for (const p of v.split(',')) {
    const m = /^(\d+)(?::(\d+))?\/([A-Z]+)$/.exec(p);
    if (!m) return undefined;
    const sp: ServicePort = { port: Number(m[1]), protocol: m[3] };
    if (m[2] !== undefined) sp.nodePort = Number(m[2]);
    out.push(sp);
  }
  return out;
}

function more(v: string): { text: string; more?: number } {
  const m = /^(.*?) \+ (\d+) more\.\.\.$/.exec(v);
  return m ? { text: m[1], more: Number(m[2]) } : { text: v };
}

function table<R>(
  lines: string[],
  firstLine: number,
  what: string,
  header: RegExp,
  headerText: string,
  row: (c: Map<string, string>, n: number) => R | string,
): { records: R[]; problems: DumpProblem[] } {
  const problems = new ProblemList(what);
  const records: R[] = [];
  let cols: string[] | undefined;
  for (const { n, text } of numbered(lines, firstLine)) {
    const t = text.trim();
    if (t === '' || NO_RESOURCES.test(t)) continue;
    if (header.test(t)) {
      cols = words(t);
      continue;
    }
    if (!cols) {
      problems.unrecognized(n, text, `expected the "${headerText}" header`);
      continue;
    }
    const c = cells(t, cols);
    if (!c) {
      problems.unrecognized(n, text, `${words(t).length} columns, the header has ${cols.length}`);
      continue;
    }
    const r = row(c, n);
    if (typeof r === 'string') problems.unrecognized(n, text, r);
    else records.push(r);
  }
  if (!cols && records.length === 0 && lines.some((l) => l.trim() !== '' && !NO_RESOURCES.test(l.trim())) && problems.problems.length === 0)
    problems.add(firstLine, `no ${what} header found`);
  return { records, problems: problems.done() };
}

function svcRow(c: Map<string, string>, n: number): KubectlServiceRecord | string {
  const p = ports(c.get('PORT(S)') ?? '');
  if (!p) return `bad PORT(S) ${JSON.stringify(c.get('PORT(S)'))} (expected PORT[:NODEPORT]/PROTO,...)`;
  const cip = c.get('CLUSTER-IP') ?? '';
  const r: KubectlServiceRecord = { name: c.get('NAME')!, type: c.get('TYPE') ?? '', clusterIps: cip === 'None' ? [] : list(cip), externalIps: list(c.get('EXTERNAL-IP')), ports: p, line: n };
  if (c.has('NAMESPACE')) r.namespace = c.get('NAMESPACE');
  if (cip === 'None') r.headless = true;
  if (c.get('EXTERNAL-IP') === '<pending>') r.pending = true;
  if (c.get('AGE')) r.age = c.get('AGE');
  if (c.has('SELECTOR')) {
    r.selector = {};
    for (const kv of list(c.get('SELECTOR'))) {
      const i = kv.indexOf('=');
      if (i > 0) r.selector[kv.slice(0, i)] = kv.slice(i + 1);
    }
  }
  return r;
}

function epRow(c: Map<string, string>, n: number): KubectlEndpointsRecord | string {
  const { text, more: m } = more(c.get('ENDPOINTS') ?? '');
  const endpoints: KubectlEndpointsRecord['endpoints'] = [];
  for (const e of list(text)) {
    const hp = hostPort(e);
    if (!hp) return `bad endpoint ${JSON.stringify(e)} (expected ADDRESS:PORT)`;
    endpoints.push(hp.port === undefined ? { address: hp.address } : { address: hp.address, port: hp.port });
  }
  const r: KubectlEndpointsRecord = { name: c.get('NAME')!, endpoints, line: n };
  if (c.has('NAMESPACE')) r.namespace = c.get('NAMESPACE');
  if (m !== undefined) r.more = m;
  if (c.get('AGE')) r.age = c.get('AGE');
  return r;
}

function sliceRow(c: Map<string, string>, n: number): KubectlEndpointSliceRecord | string {
  const { text, more: m } = more(c.get('ENDPOINTS') ?? '');
  const ps = list(c.get('PORTS')).map(Number);
  if (ps.some((p) => !Number.isInteger(p))) return `bad PORTS ${JSON.stringify(c.get('PORTS'))}`;
  const r: KubectlEndpointSliceRecord = { name: c.get('NAME')!, addressType: c.get('ADDRESSTYPE') ?? '', ports: ps, endpoints: list(text), line: n };
  if (c.has('NAMESPACE')) r.namespace = c.get('NAMESPACE');
  if (m !== undefined) r.more = m;
  if (c.get('AGE')) r.age = c.get('AGE');
  return r;
}

export const kubectlServices: DumpParser<'kubectl-services'> = {
  info: {
    command: 'kubectl-services',
    displayName: 'kubectl get svc',
    nameHint: { pattern: /(^|-)(svc|services)(-|$)/, rank: 190 },
    typed: [{ programs: KUBECTL, args: (a) => ['svc', 'service', 'services'].includes(kubectlGet(a) ?? '') }],
    description: 'kubectl get svc [-A] [-o wide]', detect: (l) => headerDetect(l, SVC_HEADER) },
  parse: (lines, first) => table(lines, first, 'kubectl get svc', SVC_HEADER, 'NAME  TYPE  CLUSTER-IP  EXTERNAL-IP  PORT(S) ...', svcRow),
};

export const kubectlEndpoints: DumpParser<'kubectl-endpoints'> = {
  info: {
    command: 'kubectl-endpoints',
    displayName: 'kubectl get endpoints',
    nameHint: { pattern: /(^|-)(endpoints?|ep)(-|$)/, rank: 180 },
    typed: [{ programs: KUBECTL, args: (a) => ['ep', 'endpoints', 'endpoint'].includes(kubectlGet(a) ?? '') }],
    description: 'kubectl get endpoints [-A]', detect: (l) => headerDetect(l, EP_HEADER) },
  parse: (lines, first) => table(lines, first, 'kubectl get endpoints', EP_HEADER, 'NAME  ENDPOINTS  AGE', epRow),
};

export const kubectlEndpointSlices: DumpParser<'kubectl-endpointslices'> = {
  info: {
    command: 'kubectl-endpointslices',
    displayName: 'kubectl get endpointslices',
    nameHint: { pattern: /endpointslices?|(^|-)eps(-|$)/, rank: 170 },
    typed: [{ programs: KUBECTL, args: (a) => ['endpointslices', 'endpointslice', 'endpointslices.discovery.k8s.io'].includes(kubectlGet(a) ?? '') }],
    description: 'kubectl get endpointslices [-A]', detect: (l) => headerDetect(l, SLICE_HEADER) },
  parse: (lines, first) => table(lines, first, 'kubectl get endpointslices', SLICE_HEADER, 'NAME  ADDRESSTYPE  PORTS  ENDPOINTS  AGE', sliceRow),
};
