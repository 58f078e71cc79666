/**
 * Pasted terminal sessions: finds the prompt lines (`$ route -n`, `root@node:~# ip a`, `# bridge vlan`,
 * `[root@host ~]$ ...`, `user@host:path$ ...`, `$bridge vlan show`), splits the text into one part
 * per command, and names the parser for each typed command (`ip a`, `ip -4 addr show`, `route -n`,
 * `netstat -rn`, `k get pods -A -o wide`, `kubectl exec POD -- netstat -anp`, ...) from the `typed`
 * patterns of the parsers' info records (./registry.ts).
 */
import type { DumpCommand } from './types.js';
import { words } from './text.js';
import { TYPED_COMMANDS, TYPED_PROGRAMS } from './registry.js';
import { KUBECTL, READERS, VALUE_OPTS, firstPlain, ipObject, kubectlGet, netstatFlags } from './typed.js';

export interface SessionPart {
  /** The command as typed, when a prompt (or a bare command line) introduced this part. */
  commandLine?: string;
  /** 0-based index of the prompt line, when there is one. */
  promptIndex?: number;
  /** 0-based index of the first output line. */
  start: number;
  lines: string[];
}

/** Programs whose output podpath reads (the parsers' typed commands), plus wrappers and a few more; a bare line starting with one may be a command. */
const KNOWN: ReadonlySet<string> = new Set([...TYPED_PROGRAMS, 'cat', 'sudo', 'docker', 'podman', 'nerdctl', 'crictl', 'nsenter', 'microk8s', 'k3s', 'ifconfig', 'tcpdump', 'ping', 'curl', 'watch']);

const STRONG = [
  // [root@host ~]# cmd   [fedora@fedora ~]ip a   [root@host ~]$ cmd
  /^\[[^\]\s@]+@[^\]]+\]\s*[#$%>]?\s?(.*)$/,
  // root@node:~# cmd   user@host02:~$ cmd   root@moja-mojo:bridge# ./bridge fdb show
  /^[\w.-]+@[\w.-]+(?::[^\s#$%]*)?\s?[#$%]\s?(.*)$/,
  // node01:~ # cmd (SUSE)
  /^[\w.-]+:[~/][^\s#$]*\s?[#$]\s(.*)$/,
  // PS C:\> cmd
  /^PS [A-Z]:\\[^>]*>\s?(.*)$/,
  // sh-5.2# cmd   bash-4.4$ cmd (a shell without a configured prompt, e.g. `oc debug node/X`)
  /^(?:ba|da|z|k|a)?sh-\d+(?:\.\d+)*[#$]\s?(.*)$/,
];
const WEAK = /^[$#]\s?(.*)$/;

/** Prompts that name their host: `[root@host ~]#`, `root@node1:~#`, `node01:~ #`. */
const HOST_PROMPTS = [/^\[[^\]\s@]+@([\w.-]+)[\s\]]/, /^[\w.-]+@([\w.-]+)(?::[^\s#$%]*)?\s?[#$%]/, /^([\w.-]+):[~/][^\s#$]*\s?[#$]\s/];

/** The host a prompt line names (`root@node1:~# ip a` -> node1), undefined for other lines. */
export function promptHost(line: string): string | undefined {
  const t = line.replace(/^\s+/, '').replace(/^\([\w.-]+\)\s+/, '');
  for (const re of HOST_PROMPTS) {
    const m = re.exec(t);
    if (m && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(m[1]) && m[1] !== 'localhost') return m[1];
  }
  return undefined;
}

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
    if (KUBECTL.includes(prog) && ws.includes('exec')) {
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

/** Files shown with cat that no parser reads (the content would be taken for something else). */
const UNREAD_FILES = /\/proc\/net\/arp$/;

/** The parser family for a typed command; undefined when only the content can tell (`cat file`). */
export function commandFor(commandLine: string): CommandMapping | undefined {
  const ws = innerCommand(commandLine);
  if (ws.length === 0) return { command: 'unknown', program: commandLine.trim() || '(nothing)' };
  const prog = ws[0].replace(/^.*\//, '');
  const args = ws.slice(1);
  const plain = args.filter((a) => !a.startsWith('-'));
  const shown = READERS.has(prog) ? (plain[plain.length - 1] ?? '') : undefined;
  for (const { command, displayName, typed } of TYPED_COMMANDS) {
    if ('programs' in typed) {
      if (typed.programs.includes(prog) && (!typed.args || typed.args(args))) return { command, program: displayName };
    } else if (shown !== undefined && typed.file.test(shown)) return { command, program: `cat ${shown}` };
  }
  if (shown !== undefined) return UNREAD_FILES.test(shown) ? { command: 'unknown', program: `cat ${shown}` } : undefined;
  return { command: 'unknown', program: unreadProgram(prog, args) };
}

/** How a message names a command no parser reads: with its object for ip, bridge, kubectl get, netstat -i. */
function unreadProgram(prog: string, args: string[]): string {
  if (prog === 'ip') return `ip ${ipObject(args) ?? ''}`.trim();
  if (prog === 'bridge') return `bridge ${firstPlain(args) ?? ''}`.trim();
  if (prog === 'netstat') return netstatFlags(args).interfaces ? 'netstat -i' : 'netstat';
  if (KUBECTL.includes(prog)) {
    const what = kubectlGet(args);
    return what === undefined ? `${prog} ${firstPlain(args) ?? ''}`.trim() : `kubectl get ${what}`.trim();
  }
  return prog;
}
