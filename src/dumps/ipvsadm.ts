/**
 * `ipvsadm -Ln` (also `--stats`, `--rate`, `-c` connections): virtual services and their real servers.
 *
 *   IP Virtual Server version 1.2.1 (size=4096)
 *   Prot LocalAddress:Port Scheduler Flags
 *     -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
 *   TCP  10.43.0.10:80 rr persistent 10800
 *     -> 10.42.1.12:8080              Masq    1      0          0
 */
import type { DumpParser, DumpProblem } from './types.js';
import type { IpvsRecord } from './nat-types.js';
import { ProblemList, nonBlank, numbered, toInt, words } from './text.js';

const VERSION = /^IP Virtual Server version\s+\S+/;
const HEADER = /^Prot\s+LocalAddress:Port\b/;
const SUBHEADER = /^->\s+RemoteAddress:Port\b/;
const CONN_TITLE = /^IPVS connection entries\s*$/;
const CONN_HEADER = /^pro\s+expire\s+state\s+source\s+virtual\s+destination\b/;
const SERVICE = /^(TCP|UDP|SCTP|FWM)\s+(\S+)(?:\s+(.*))?$/;

function detect(lines: string[]): number {
  const nb = nonBlank(lines).slice(0, 10).map((l) => l.trim());
  if (nb.some((l) => VERSION.test(l))) return 1;
  if (nb.some((l) => HEADER.test(l) || CONN_TITLE.test(l) || CONN_HEADER.test(l))) return 0.9;
  return 0;
}

/** "10.0.0.1:443" / "[fd00::1]:80" -> address and port. */
export function hostPort(s: string): { address: string; port?: number } | undefined {
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(s);
  if (v6) return { address: v6[1], port: Number(v6[2]) };
  const v4 = /^([^:\s]+):(\d+)$/.exec(s);
  if (v4) return { address: v4[1], port: Number(v4[2]) };
  return undefined;
}

function parse(lines: string[], firstLine: number): { records: IpvsRecord[]; problems: DumpProblem[] } {
  const problems = new ProblemList('ipvsadm');
  const records: IpvsRecord[] = [];
  let service: IpvsRecord | undefined;
  let statCols: string[] | undefined;
  let seenHeader = false;
  let conns = false;
  for (const { n, text } of numbered(lines, firstLine)) {
    const t = text.trim();
    if (t === '') continue;
    if (VERSION.test(t)) continue;
    if (HEADER.test(t)) {
      seenHeader = true;
      conns = false;
      const ws = words(t).slice(2);
      statCols = ws[0] === 'Scheduler' ? undefined : ws;
      continue;
    }
    if (SUBHEADER.test(t)) continue;
    if (CONN_TITLE.test(t)) continue;
    if (CONN_HEADER.test(t)) {
      conns = true;
      seenHeader = true;
      continue;
    }
    const ws = words(t);
    if (conns) {
      const src = hostPort(ws[3] ?? '');
      const vip = hostPort(ws[4] ?? '');
      const dst = hostPort(ws[5] ?? '');
      if (ws.length < 6 || !src || !vip || !dst) {
        problems.unrecognized(n, text, 'expected "pro expire state source virtual destination"');
        continue;
      }
      records.push({ kind: 'connection', protocol: ws[0].toUpperCase(), expire: ws[1], state: ws[2], source: `${src.address}:${src.port}`, serviceAddress: vip.address, servicePort: vip.port, address: dst.address, port: dst.port, line: n });
      continue;
    }
    if (!seenHeader) {
      problems.unrecognized(n, text, 'expected the "Prot LocalAddress:Port ..." header');
      continue;
    }
    if (t.startsWith('->')) {
      if (!service) {
        problems.unrecognized(n, text, 'a real server before any virtual service');
        continue;
      }
      const hp = hostPort(ws[1] ?? '');
      if (!hp) {
        problems.unrecognized(n, text, 'expected "-> ADDRESS:PORT ..."');
        continue;
      }
      const r: IpvsRecord = { kind: 'server', protocol: service.protocol, serviceAddress: service.serviceAddress, address: hp.address, line: n };
      if (service.servicePort !== undefined) r.servicePort = service.servicePort;
      if (hp.port !== undefined) r.port = hp.port;
      if (statCols) {
        r.stats = {};
        statCols.forEach((c, i) => {
          const v = toInt(ws[2 + i]) ?? counterValue(ws[2 + i]);
          if (v !== undefined) r.stats![c] = v;
        });
      } else {
        if (ws.length < 5) {
          problems.add(n, `truncated ipvsadm real server line: ${JSON.stringify(t)}`);
          continue;
        }
        r.forward = ws[2];
        r.weight = toInt(ws[3]);
        r.activeConns = toInt(ws[4]);
        r.inactiveConns = toInt(ws[5]);
        if (r.inactiveConns === undefined) delete r.inactiveConns;
      }
      records.push(r);
      continue;
    }
    const m = SERVICE.exec(t);
    if (m) {
      const r: IpvsRecord = { kind: 'service', protocol: m[1], serviceAddress: '', line: n };
      if (m[1] === 'FWM') {
        r.fwmark = toInt(m[2]);
        r.serviceAddress = m[2];
      } else {
        const hp = hostPort(m[2]);
        if (!hp) {
          problems.unrecognized(n, text, 'expected "PROT ADDRESS:PORT scheduler"');
          continue;
        }
        r.serviceAddress = hp.address;
        if (hp.port !== undefined) r.servicePort = hp.port;
      }
      const rest = words(m[3] ?? '');
      if (statCols) {
        r.stats = {};
        statCols.forEach((c, i) => {
          const v = toInt(rest[i]) ?? counterValue(rest[i]);
          if (v !== undefined) r.stats![c] = v;
        });
      } else {
        if (rest[0]) r.scheduler = rest[0];
        if (rest.length > 1) r.flags = rest.slice(1).join(' ');
        const p = rest.indexOf('persistent');
        if (p >= 0) r.persistent = toInt(rest[p + 1]);
      }
      service = r;
      records.push(r);
      continue;
    }
    problems.unrecognized(n, text);
  }
  if (records.length === 0 && !seenHeader && nonBlank(lines).length > 0 && problems.problems.length === 0)
    problems.add(firstLine, 'no ipvsadm table found (expected "IP Virtual Server version ...")');
  return { records, problems: problems.done() };
}

/** --stats prints 1234K for large numbers. */
function counterValue(s: string | undefined): number | undefined {
  const m = /^(\d+)([KMGT])$/.exec(s ?? '');
  return m ? Number(m[1]) * { K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] as 'K']! : undefined;
}

export const ipvsadm: DumpParser<'ipvsadm'> = {
  info: {
    command: 'ipvsadm',
    displayName: 'ipvsadm -Ln',
    nameHint: { pattern: /ipvsadm/, rank: 150 },
    typed: [{ programs: ['ipvsadm'] }],
    description: 'ipvsadm -Ln [--stats|--rate] / ipvsadm -Lnc (IPVS services, real servers, connections)', detect },
  parse,
};
