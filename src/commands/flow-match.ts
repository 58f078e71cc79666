/**
 * `explain --flow SPEC`: which flows SPEC names. SPEC is a flow id as podpath prints it (`f2`),
 * or one or two endpoints separated by `>` or `->`, each an IP (`10.42.0.37`, `10.42.0.37:80`,
 * `[fd00::1]:80`, `fd00::1`), a pod (`pod2`, `default/pod2`) or a host (`ip-10-32-11-62`).
 * Matches in the named direction rank before reversed ones, flows with a problem before
 * healthy ones, then report order.
 */
import { EXIT, UserError } from '../io.js';
import type { Endpoint, FlowReport, Report } from '../path/types.js';

interface EndSpec {
  ip?: string;
  port?: number;
  name?: string;
}

function parseEnd(x: string): EndSpec {
  const s = x.trim();
  let m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(s);
  if (m) return { ip: m[1].toLowerCase(), port: m[2] === undefined ? undefined : Number(m[2]) };
  if (/^[0-9a-fA-F:]+$/.test(s) && (s.match(/:/g) ?? []).length >= 2) return { ip: s.toLowerCase() };
  m = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d+))?$/.exec(s);
  if (m) return { ip: m[1], port: m[2] === undefined ? undefined : Number(m[2]) };
  if (/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(s)) return { name: s };
  throw new UserError(`--flow: ${JSON.stringify(x)} is neither an address (IP or IP:port) nor a pod or host name`, EXIT.USAGE);
}

function endMatches(e: Endpoint, want: EndSpec): boolean {
  if (want.ip !== undefined) return e.ip.toLowerCase() === want.ip && (want.port === undefined || e.port === want.port);
  const n = want.name!;
  if (e.pod !== undefined) return e.pod === n || (e.namespace !== undefined && `${e.namespace}/${e.pod}` === n);
  return e.host === n;
}

/** The ids of the flows SPEC names, best match first (empty when none). */
export function matchFlows(report: Report, spec: string): string[] {
  const s = spec.trim();
  if (/^f\d+$/.test(s)) return report.flows.some((f) => f.id === s) ? [s] : [];
  const parts = s.split(/\s*-?>\s*/);
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new UserError(`--flow takes a flow id (f2) or "A > B" / "A -> B" (IPs with optional :port, pod or ns/pod names), not ${JSON.stringify(spec)}`, EXIT.USAGE);
  }
  // A Service: "default/web" or "web" (the connections to it).
  if (parts.length === 1) {
    const [ns, name] = s.includes('/') ? s.split('/', 2) : [undefined, s];
    const viaService = report.flows.filter((f) => f.service && f.service.name === name && (ns === undefined || f.service.namespace === ns));
    if (viaService.length) return viaService.map((f) => f.id);
  }
  const ends = parts.map(parseEnd);
  const scored: { f: FlowReport; score: number; i: number }[] = [];
  report.flows.forEach((f, i) => {
    let dir = 0;
    if (ends.length === 1) dir = endMatches(f.src, ends[0]) ? 2 : endMatches(f.dst, ends[0]) ? 1 : 0;
    else if (endMatches(f.src, ends[0]) && endMatches(f.dst, ends[1])) dir = 2;
    else if (endMatches(f.src, ends[1]) && endMatches(f.dst, ends[0])) dir = 1;
    if (dir === 0) return;
    const problem = f.verdict !== 'ok' ? 1 : 0;
    const linkLocal = f.kind === 'link-local' ? 0 : 1;
    scored.push({ f, score: dir * 4 + linkLocal * 2 + problem, i });
  });
  return scored.sort((a, b) => b.score - a.score || a.i - b.i).map((x) => x.f.id);
}
