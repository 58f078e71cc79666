/**
 * Pasted terminal sessions: finds the prompt lines (`$ route -n`, `root@node:~# ip a`, `# bridge vlan`,
 * `[root@host ~]$ ...`, `user@host:path$ ...`, `$bridge vlan show`), splits the text into one part
 * per command, and names the parser for each typed command (`ip a`, `ip -4 addr show`, `route -n`,
 * `netstat -rn`, `k get pods -A -o wide`, `kubectl exec POD -- netstat -anp`, ...).
 */
import type { DumpCommand } from './types.js';
import { words } from './text.js';

export interface SessionPart {
  /** The command as typed, when a prompt (or a bare command line) introduced this part. */
  commandLine?: string;
  /** 0-based index of the prompt line, when there is one. */
  promptIndex?: number;
  /** 0-based index of the first output line. */
  start: number;
  lines: string[];
}

/** Programs whose output podpath reads, plus wrappers; a bare line starting with one may be a command. */
const KNOWN = new Set(['ip', 'route', 'netstat', 'ss', 'bridge', 'kubectl', 'k', 'oc', 'kubecolor', 'arp', 'hostname', 'cat', 'sudo', 'docker', 'podman', 'nerdctl', 'crictl', 'nsenter', 'microk8s', 'k3s', 'ifconfig', 'tcpdump', 'ping', 'curl', 'watch', 'iptables', 'ip6tables', 'iptables-save', 'ip6tables-save', 'iptables-legacy', 'iptables-nft', 'iptables-legacy-save', 'iptables-nft-save', 'ip6tables-legacy-save', 'ip6tables-nft-save', 'nft', 'ipvsadm', 'conntrack']);

const STRONG = [
  // [root@host ~]# cmd   [fedora@fedora ~]ip a   [root@host ~]$ cmd
  /^\[[^\]\s@]+@[^\]]+\]\s*[#$%>]?\s?(.*)$/,
  // root@node:~# cmd   user@host02:~$ cmd   root@moja-mojo:bridge# ./bridge fdb show
  /^[\w.-]+@[\w.-]+(?::[^\s#$%]*)?\s?[#$%]\s?(.*)$/,
  // node01:~ # cmd (SUSE)
  /^[\w.-]+:[~/][^\s#$]*\s?[#$]\s(.*)$/,
  // sh-5.2# cmd   bash-4.4$ cmd (a shell without a configured prompt, e.g. `oc debug node/X`)
  /^(?:ba|da|z|k|a)?sh-\d+(?:\.\d+)*[#$]\s?(.*)$/,
  // PS C:\> cmd
  /^PS [A-Z]:\\[^>]*>\s?(.*)$/,
];
const WEAK = /^[$#]\s?(.*)$/;

function programOf(cmd: string): string {
  const w = words(cmd)[0] ?? '';
  return w.replace(/^.*\//, '');
}

/** Returns the typed command when `line` is a prompt line ('' for a prompt with nothing typed). */
export function promptCommand(line: string, allowBare: boolean): string | undefined {
  const t = line.replace(/^\s+/, '').replace(/^\([\w.-]+\)\s+/, '');
  for (const re of STRONG) {
    const m = re.exec(t);
    if (m) return m[1].trim();
  }
  const m = WEAK.exec(t);
  if (m) {
    const cmd = m[1].trim();
    if (cmd === '') return t.length === 1 ? '' : undefined;
    const prog = programOf(cmd);
    const spaced = /^[$#]\s/.test(t);
    if (KNOWN.has(prog) || /^\.{0,2}\//.test(words(cmd)[0] ?? '')) return cmd;
    // `$ vi file`, `$ curl ...`: any shell-like word after "$ " (not after "# ", which starts comments)
    if (spaced && t[0] === '$' && /^[a-z][\w.+-]*$/.test(prog)) return cmd;
    return undefined;
  }
  if (allowBare) {
    const cmd = t.trim();
    const mapped = commandFor(cmd);
    if (mapped && mapped.command !== 'unknown' && KNOWN.has(programOf(cmd))) return cmd;
  }
  return undefined;
}

/** Splits cleaned lines into parts at prompt lines. Lines before the first prompt form a part without a command. */
export function splitSession(lines: string[]): SessionPart[] {
  const parts: SessionPart[] = [];
  let cur: SessionPart = { start: 0, lines: [] };
  let seenContent = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    // A bare command (no prompt) is accepted only as the first non-blank line, or after a blank line
    // that follows another command's output in a session that already had prompts.
    const allowBare = !seenContent;
    const cmd = line.trim() === '' ? undefined : promptCommand(line, allowBare);
    if (cmd !== undefined) {
      if (cur.commandLine !== undefined || cur.lines.some((l) => l.trim() !== '')) parts.push(cur);
      cur = { commandLine: cmd === '' ? undefined : cmd, promptIndex: i, start: i + 1, lines: [] };
      if (cmd === '') cur = { start: i + 1, lines: [] };
      seenContent = true;
      continue;
    }
    if (line.trim() !== '') seenContent = true;
    cur.lines.push(line);
  }
  if (cur.commandLine !== undefined || cur.lines.some((l) => l.trim() !== '')) parts.push(cur);
  return parts;
}

export interface CommandMapping {
  /** The parser family, or 'unknown' for a command podpath does not read. */
  command: DumpCommand;
  /** Readable name of the program run ("ip addr", "zsh"). */
  program: string;
}

const VALUE_OPTS = new Set(['-c', '--container', '-n', '--namespace', '--context', '--kubeconfig', '-u', '--user', '-e', '--env', '-w', '--workdir', '--name', '-v', '--volume', '--network', '--net', '--entrypoint', '-t', '--target', '--cluster', '-l', '--selector']);

/** Strips sudo/env/watch and `kubectl exec ... --`, `docker exec CTR`, `ip netns exec NS`, `nsenter ...` wrappers. */
export function innerCommand(commandLine: string): string[] {
  let ws = words(commandLine.split(/\s*(?:\|\||&&|;|\|)\s*/)[0] ?? '');
  for (let guard = 0; guard < 8 && ws.length > 0; guard++) {
    const prog = ws[0].replace(/^.*\//, '');
    if (prog === 'sudo' || prog === 'time' || prog === 'command' || prog === 'exec' || prog === 'env' || prog === 'busybox') {
      ws = ws.slice(1);
      while (ws.length && (ws[0].startsWith('-') || /^\w+=/.test(ws[0]))) ws = ws.slice(1);
      continue;
    }
    if (/^\w+=/.test(ws[0])) {
      ws = ws.slice(1);
      continue;
    }
    if (prog === 'watch') {
      ws = ws.slice(1);
      while (ws.length && ws[0].startsWith('-')) ws = ws.slice(ws[0] === '-n' ? 2 : 1);
      continue;
    }
    if (['kubectl', 'k', 'oc', 'kubecolor'].includes(prog) && ws.includes('exec')) {
      const dd = ws.indexOf('--');
      if (dd >= 0) {
        ws = ws.slice(dd + 1);
        continue;
      }
      let i = ws.indexOf('exec') + 1;
      while (i < ws.length && ws[i].startsWith('-')) i += VALUE_OPTS.has(ws[i]) ? 2 : 1;
      ws = ws.slice(i + 1);
      continue;
    }
    if (['docker', 'podman', 'nerdctl', 'crictl'].includes(prog) && (ws[1] === 'exec' || ws[1] === 'run')) {
      let i = 2;
      while (i < ws.length && ws[i].startsWith('-')) i += VALUE_OPTS.has(ws[i]) ? 2 : 1;
      ws = ws.slice(i + 1);
      continue;
    }
    if (prog === 'ip' && ws[1] === 'netns' && ws[2] === 'exec') {
      ws = ws.slice(4);
      continue;
    }
    if (prog === 'nsenter') {
      const dd = ws.indexOf('--');
      if (dd >= 0) ws = ws.slice(dd + 1);
      else {
        let i = 1;
        while (i < ws.length && ws[i].startsWith('-')) i += ws[i] === '-t' || ws[i] === '--target' ? 2 : 1;
        ws = ws.slice(i);
      }
      continue;
    }
    if ((prog === 'microk8s' || prog === 'k3s') && ws[1] === 'kubectl') {
      ws = ws.slice(1);
      continue;
    }
    break;
  }
  return ws;
}

const IP_VALUE_OPTS = new Set(['-n', '-netns', '--netns', '-b', '-batch', '-rc', '-rcvbuf', '-l', '-loops', '-f', '-family']);

function ipObject(obj: string | undefined): DumpCommand | undefined {
  if (!obj) return undefined;
  const is = (full: string, min: number) => obj.length >= min && full.startsWith(obj);
  if (is('address', 1) || obj === 'addr') return 'ip-addr';
  if (is('route', 1)) return 'ip-route';
  if (is('link', 1)) return 'ip-link';
  if (is('neighbour', 1) || is('neighbor', 1)) return 'ip-neigh';
  return undefined;
}

/** The parser family for a typed command; undefined when only the content can tell (`cat file`). */
export function commandFor(commandLine: string): CommandMapping | undefined {
  const ws = innerCommand(commandLine);
  if (ws.length === 0) return { command: 'unknown', program: commandLine.trim() || '(nothing)' };
  const prog = ws[0].replace(/^.*\//, '');
  const args = ws.slice(1);
  const plain = args.filter((a) => !a.startsWith('-'));
  switch (prog) {
    case 'ip': {
      let i = 0;
      while (i < args.length && args[i].startsWith('-')) i += IP_VALUE_OPTS.has(args[i]) ? 2 : 1;
      const c = ipObject(args[i]);
      return { command: c ?? 'unknown', program: `ip ${args[i] ?? ''}`.trim() };
    }
    case 'route':
      return { command: 'route-n', program: 'route' };
    case 'netstat': {
      const opts = args.filter((a) => /^-[a-zA-Z]+$/.test(a)).join('') + ' ' + args.filter((a) => a.startsWith('--')).join(' ');
      if (/^-?[a-zA-Z]*r/.test(opts.replace(/-/g, '')) || opts.includes('--route')) return { command: 'route-n', program: 'netstat -r' };
      if (/i/.test(opts.replace(/--\S+/g, '')) || opts.includes('--interfaces')) return { command: 'unknown', program: 'netstat -i' };
      return { command: 'sockets', program: 'netstat' };
    }
    case 'ss':
      return { command: 'sockets', program: 'ss' };
    case 'arp':
      return { command: 'ip-neigh', program: 'arp' };
    case 'bridge': {
      const obj = plain[0] ?? '';
      if (obj.length > 0 && 'vlan'.startsWith(obj)) return { command: 'bridge-vlan', program: 'bridge vlan' };
      if (obj.length > 0 && 'fdb'.startsWith(obj)) return { command: 'bridge-fdb', program: 'bridge fdb' };
      return { command: 'unknown', program: `bridge ${obj}`.trim() };
    }
    case 'kubectl':
    case 'k':
    case 'oc':
    case 'kubecolor': {
      const g = args.indexOf('get');
      if (g < 0) return { command: 'unknown', program: `${prog} ${plain[0] ?? ''}`.trim() };
      let i = g + 1;
      while (i < args.length && args[i].startsWith('-')) i += VALUE_OPTS.has(args[i]) ? 2 : 1;
      const what = (args[i] ?? '').toLowerCase().split(/[/,]/)[0];
      if (['pods', 'pod', 'po'].includes(what)) return { command: 'kubectl-pods', program: 'kubectl get pods' };
      if (['nodes', 'node', 'no'].includes(what)) return { command: 'kubectl-nodes', program: 'kubectl get nodes' };
      if (['svc', 'service', 'services'].includes(what)) return { command: 'kubectl-services', program: 'kubectl get svc' };
      if (['ep', 'endpoints', 'endpoint'].includes(what)) return { command: 'kubectl-endpoints', program: 'kubectl get endpoints' };
      if (['endpointslices', 'endpointslice', 'endpointslices.discovery.k8s.io'].includes(what))
        return { command: 'kubectl-endpointslices', program: 'kubectl get endpointslices' };
      return { command: 'unknown', program: `kubectl get ${what}`.trim() };
    }
    case 'iptables-save':
    case 'ip6tables-save':
    case 'iptables-legacy-save':
    case 'iptables-nft-save':
    case 'ip6tables-legacy-save':
    case 'ip6tables-nft-save':
      return { command: 'iptables-save', program: prog };
    case 'iptables':
    case 'ip6tables':
    case 'iptables-legacy':
    case 'iptables-nft':
    case 'ip6tables-legacy':
    case 'ip6tables-nft': {
      const short = args.filter((a) => /^-[a-zA-Z]+$/.test(a)).join('');
      if (args.includes('--list') || /L/.test(short)) return { command: 'iptables-list', program: `${prog} -L` };
      if (args.includes('--list-rules') || /S/.test(short)) return { command: 'iptables-save', program: `${prog} -S` };
      return { command: 'unknown', program: prog };
    }
    case 'nft': {
      if (args.some((a) => a === '-j' || a === '--json' || /^-[a-zA-Z]*j/.test(a))) return { command: 'unknown', program: 'nft -j' };
      return plain[0] === 'list' ? { command: 'nft-ruleset', program: `nft list ${plain[1] ?? ''}`.trim() } : { command: 'unknown', program: `nft ${plain[0] ?? ''}`.trim() };
    }
    case 'ipvsadm':
      return { command: 'ipvsadm', program: 'ipvsadm' };
    case 'conntrack': {
      const short = args.filter((a) => /^-[a-zA-Z]+$/.test(a)).join('');
      if (/[LEG]/.test(short) || args.some((a) => ['--dump', '--event', '--get'].includes(a))) return { command: 'conntrack', program: 'conntrack' };
      return { command: 'unknown', program: 'conntrack' };
    }
    case 'hostname':
      return plain.length === 0 && !args.some((a) => /^-[iIA]|--ip|--all-ip/.test(a))
        ? { command: 'hostname', program: 'hostname' }
        : { command: 'unknown', program: 'hostname' };
    case 'cat':
    case 'more':
    case 'less':
    case 'type': {
      const f = plain[plain.length - 1] ?? '';
      if (/\/proc\/net\/(route|ipv6_route)$/.test(f)) return { command: 'route-n', program: `cat ${f}` };
      if (/(^|\/)hostname$/.test(f)) return { command: 'hostname', program: `cat ${f}` };
      if (/\/proc\/net\/(nf|ip)_conntrack$/.test(f)) return { command: 'conntrack', program: `cat ${f}` };
      if (/\/proc\/net\/arp$/.test(f)) return { command: 'unknown', program: `cat ${f}` };
      return undefined;
    }
    default:
      return { command: 'unknown', program: prog };
  }
}
