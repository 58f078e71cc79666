/**
 * Sockets: `netstat -anp` / `netstat -tulpn` / `netstat -a` (Internet part; the UNIX part is
 * skipped) and `ss -tulpn` / `ss -antp`.
 *
 *   Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name
 *   tcp        0      0 0.0.0.0:80              0.0.0.0:*               LISTEN      -
 *   Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process
 *   tcp   LISTEN 0      4096   0.0.0.0:22         0.0.0.0:*         users:(("sshd",pid=1,fd=3))
 */
import type { DumpParser, DumpProblem, SocketRecord } from './types.js';
import { ProblemList, firstNonBlank, numbered, toInt, words } from './text.js';
import { netstatFlags } from './typed.js';

const NETSTAT_TITLE = /^Active (Internet|UNIX domain|Bluetooth) connections\b|^Active UNIX domain sockets\b/;
const NETSTAT_HEADER = /^Proto\s+Recv-Q\s+Send-Q\s+Local Address\s+Foreign Address\b/;
const SS_HEADER = /^(Netid\s+)?State\s+Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port/;
const STATES = new Set([
  'LISTEN', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK',
  'CLOSING', 'UNKNOWN', 'UNCONN', 'ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSE-WAIT',
  'LAST-ACK', 'LISTENING', '7',
]);
/** Service names netstat prints without -n, for the ports a pod network uses. */
const SERVICES: Record<string, number> = {
  ssh: 22, domain: 53, bootps: 67, bootpc: 68, http: 80, sunrpc: 111, ntp: 123, https: 443, 'http-alt': 8080,
  webcache: 8080, otv: 8472, mdns: 5353, 'kube-apiserver': 6443, 'sun-sr-https': 6443, bgp: 179, geneve: 6081,
  'vxlan': 4789, 'etcd-client': 2379, 'etcd-server': 2380, 'x11': 6000, 'ipp': 631, 'postgresql': 5432, mysql: 3306,
  'redis': 6379, 'kubelet': 10250,
};

function splitAddr(s: string): { address: string; port?: number; name?: string } {
  const i = s.lastIndexOf(':');
  if (i < 0) return { address: s };
  let address = s.slice(0, i);
  const p = s.slice(i + 1);
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  address = address.replace(/%[^%]*$/, '');
  if (address === '') address = '::';
  if (p === '*') return { address };
  const port = toInt(p);
  if (port !== undefined) return { address, port };
  if (SERVICES[p] !== undefined) return { address, port: SERVICES[p] };
  return { address, name: p };
}

function detect(lines: string[]): number {
  const i = firstNonBlank(lines);
  if (i < 0) return 0;
  const head = lines.slice(i, i + 3).map((l) => l.trim());
  if (head.some((l) => NETSTAT_TITLE.test(l))) return 0.97;
  if (head.some((l) => NETSTAT_HEADER.test(l) || SS_HEADER.test(l))) return 0.97;
  // `netstat -a | grep udp`: rows only
  const rows = lines.filter((l) => l.trim() !== '').slice(0, 100);
  const good = rows.filter((l) => /^(tcp|udp|raw|sctp)6?\s+\d+\s+\d+\s+\S+:\S+\s+\S+:\S+/.test(l.trim())).length;
  return good === rows.length ? 0.7 : 0;
}

function parse(lines: string[], firstLine: number): { records: SocketRecord[]; problems: DumpProblem[] } {
  const problems = new ProblemList('socket');
  const records: SocketRecord[] = [];
  let mode: 'netstat' | 'ss' | 'skip' | 'rows' = 'rows';
  let ssNetid = true;
  for (const { n, text } of numbered(lines, firstLine)) {
    const t = text.trim();
    if (t === '') continue;
    if (NETSTAT_TITLE.test(t)) {
      mode = /Internet/.test(t) ? 'netstat' : 'skip';
      continue;
    }
    if (NETSTAT_HEADER.test(t)) {
      mode = 'netstat';
      continue;
    }
    if (SS_HEADER.test(t)) {
      mode = 'ss';
      ssNetid = /^Netid/.test(t);
      continue;
    }
    if (mode === 'skip' || /^Proto\s+RefCnt\b/.test(t)) {
      mode = 'skip';
      continue;
    }
    const ws = words(t);
    let rec: SocketRecord | undefined;
    let unknownPort: string | undefined;
    if (mode === 'ss') {
      const off = ssNetid ? 1 : 0;
      if (ws.length < 5 + off) {
        problems.unrecognized(n, text);
        continue;
      }
      const proto = ssNetid ? ws[0] : 'tcp';
      const local = splitAddr(ws[3 + off]);
      const peer = splitAddr(ws[4 + off]);
      if (local.port === undefined) unknownPort = local.name ?? ws[3 + off];
      else {
        rec = { proto, localAddress: local.address, localPort: local.port, state: ws[off ? 1 : 0], line: n };
        if (peer.address !== '*' && peer.address !== '0.0.0.0' && peer.address !== '::' || peer.port !== undefined) {
          rec.foreignAddress = peer.address;
          if (peer.port !== undefined) rec.foreignPort = peer.port;
        }
        const proc = ws.slice(5 + off).join(' ');
        if (proc) rec.process = proc;
      }
    } else {
      if (!/^(tcp|udp|raw|sctp|udpl|icmp)6?$/.test(ws[0] ?? '') || ws.length < 5) {
        problems.unrecognized(n, text, 'expected "PROTO RECV-Q SEND-Q LOCAL FOREIGN [STATE] [PID/PROGRAM]"');
        continue;
      }
      const local = splitAddr(ws[3]);
      const peer = splitAddr(ws[4]);
      if (local.port === undefined) unknownPort = local.name ?? ws[3];
      else {
        rec = { proto: ws[0], localAddress: local.address, localPort: local.port, line: n };
        if (peer.port !== undefined || !['0.0.0.0', '::', '*'].includes(peer.address)) {
          rec.foreignAddress = peer.address;
          if (peer.port !== undefined) rec.foreignPort = peer.port;
        }
        let i = 5;
        if (ws[i] !== undefined && STATES.has(ws[i])) rec.state = ws[i++] === 'LISTENING' ? 'LISTEN' : ws[i - 1];
        const proc = ws.slice(i).join(' ');
        if (proc && proc !== '-') rec.process = proc;
      }
    }
    if (unknownPort !== undefined) {
      problems.add(n, `port '${unknownPort}' is a service name podpath does not know; run netstat with -n for numeric ports`);
      continue;
    }
    if (rec) records.push(rec);
  }
  return { records, problems: problems.done() };
}

export const sockets: DumpParser<'sockets'> = {
  info: {
    command: 'sockets',
    displayName: 'netstat/ss',
    description: 'netstat -anp / netstat -tulpn / ss -tulpn',
    detect,
    nameHint: { pattern: /netstat|(^|-)ss(-|$)|socket|listen/, rank: 110 },
    typed: [{ programs: ['netstat'], args: (a) => !netstatFlags(a).route && !netstatFlags(a).interfaces }, { programs: ['ss'] }],
  },
  parse,
};
