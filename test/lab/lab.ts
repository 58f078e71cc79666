/**
 * The namespace lab (samples/lab/run.sh) for tests: can it run here, run it once per process into a
 * fresh temp folder, read its lab.json, and read captures through `tcpdump -nn -r` (the oracle).
 *
 * Later tests (podpath's own analysis checked against lab.json) should use `freshLab()` or
 * `SAMPLES` with `readLab()`, and `flowPatterns()` to know what each flow looks like in tcpdump.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ROOT } from '../helpers.js';

export const SCENARIOS = ['intra-pod', 'same-node', 'cross-node', 'blocked-overlay'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const ACTIONS = ['send', 'loopback', 'bridge', 'route', 'encap', 'underlay', 'decap', 'deliver', 'drop'] as const;
export type Action = (typeof ACTIONS)[number];

export interface LabHop {
  host: string;
  interface: string;
  action: Action;
  /** Capture files (relative to the scenario folder) that see the packet at this hop. */
  captures: string[];
}

export interface LabEncap {
  protocol: 'udp';
  port: number;
  vni: number;
  outerSrc: string;
  outerDst: string;
}

export interface LabDirection {
  src: string;
  dst: string;
  expect: 'ok' | 'lost';
  path: LabHop[];
  encap?: LabEncap;
  broadcast?: boolean;
}

export interface LabFlow {
  id: string;
  protocol: 'icmp' | 'tcp' | 'udp' | 'arp';
  src: string;
  dst: string;
  srcHost: string;
  dstHost: string;
  sport: number | null;
  dport: number | null;
  packets: number | null;
  kind: 'intra-pod' | 'same-node' | 'cross-node' | 'pod-to-node' | 'node-to-pod' | 'node-to-node';
  command: string | null;
  result: string | null;
  expect: 'ok' | 'lost';
  encap?: LabEncap;
  broadcast?: boolean;
  trigger?: string;
  path: LabHop[];
  reply: LabDirection | null;
  captures: string[];
  /** For lost flows: captures further along the would-be path, which must not hold the flow. */
  absentFrom?: string[];
}

export interface LabInterface {
  name: string;
  kind: string;
  ifindex: number;
  mtu: number;
  mac: string | null;
  state: string;
  flags: string[];
  addresses: string[];
  master: string | null;
  peer: { host: string; interface: string; ifindex: number } | null;
  vxlan?: { vni: number; local: string; port: number; learning: boolean; device: string | null };
  bridge?: { vlanFiltering: boolean; stp: number };
}

export interface LabHost {
  name: string;
  role: 'node' | 'pod' | 'network';
  netns: string;
  nodeRole?: 'control-plane' | 'worker';
  node?: string;
  folder: string | null;
  interfaces: LabInterface[];
  routes: { dst: string; gateway?: string; dev: string; protocol?: string; scope?: string; prefsrc?: string; flags: string[] }[];
}

export interface LabCapture {
  file: string;
  host: string;
  interface: string;
  tool: 'tcpdump' | 'dumpcap' | 'gzip';
  command: string;
  format: 'pcap' | 'pcapng' | 'pcap.gz';
  linktype: number;
  linktypeName: string;
  precision: 'micro' | 'nano';
  packets: number;
  bytes: number;
  copyOf?: string;
}

export interface Lab {
  schema: 'podpath-lab/1';
  scenario: Scenario;
  story: string;
  generator: string;
  kernel: { release: string; vlanFiltering: boolean; anyLinktype: string | null };
  nodes: string[];
  hosts: LabHost[];
  underlay: { host: string; bridge: string; gateway: string; subnet: string; filter: { rule: string; dropped: number } | null };
  overlay: Record<string, {
    device: string; vni: number; port: number; local: string; mac: string; subnet: string;
    remotes: { subnet: string; vtep: string; mac: string; gateway: string; host: string }[];
  }>;
  pods: { name: string; namespace: string; ip: string; host: string; netns: string; veth: string; ready: string; containers: { name: string; ports: number[] }[] }[];
  captures: LabCapture[];
  dumps: { file: string; host: string; command: string }[];
  flows: LabFlow[];
}

export function readLab(dir: string, scenario: Scenario): Lab {
  return JSON.parse(readFileSync(join(dir, scenario, 'lab.json'), 'utf8')) as Lab;
}

function sh(cmd: string): boolean {
  return spawnSync('sh', ['-c', cmd], { stdio: 'ignore' }).status === 0;
}

let unavailable: string | null | undefined;
/** Why the lab cannot run on this machine, or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (unavailable !== undefined) return unavailable ?? undefined;
  unavailable = null;
  if (process.platform !== 'linux') unavailable = 'not Linux';
  else if (process.getuid?.() !== 0) unavailable = 'not root (the lab needs network namespaces)';
  else {
    const probe = `podpath-probe-${process.pid}`;
    const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
    if (add.error || add.status !== 0) {
      unavailable = `ip netns add does not work here (${(add.error?.message ?? add.stderr).trim()})`;
    } else {
      spawnSync('ip', ['netns', 'del', probe]);
      const missing = ['tcpdump', 'dumpcap', 'iptables', 'ping', 'netstat', 'route', 'curl', 'python3', 'bridge']
        .filter((t) => !sh(`command -v ${t}`));
      if (missing.length) unavailable = `missing tools: ${missing.join(', ')} (.ci/run installs them)`;
    }
  }
  return unavailable ?? undefined;
}

/** Lab namespaces (pp<pid>-*) present now. */
export function labNamespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').map((l) => l.split(' ')[0]).filter((n) => /^pp\d+-/.test(n));
}

export interface LabRun {
  /** The output folder: one subfolder per scenario, laid out like samples/. */
  dir: string;
  seconds: number;
  /** Namespaces of this run (pp<pid of its bash>-*) still present after it ended. */
  leftovers: string[];
  log: string;
}

let run: LabRun | undefined;
/**
 * Runs `bash samples/lab/run.sh <tmp>` for all scenarios into a fresh folder under os.tmpdir(),
 * once per process (the folder is removed when the process exits). Throws if the lab fails; check
 * `labUnavailable()` first.
 */
export function freshLab(): LabRun {
  if (run) return run;
  const dir = mkdtempSync(join(tmpdir(), 'podpath-lab-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const t0 = Date.now();
  const r = spawnSync('bash', [join(ROOT, 'samples', 'lab', 'run.sh'), dir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
    killSignal: 'SIGINT',
  });
  const seconds = (Date.now() - t0) / 1000;
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error || r.status !== 0) {
    throw new Error(`lab failed (status ${r.status}, ${r.error?.message ?? 'no spawn error'}):\n${log}`);
  }
  // Only this run's prefix: other lab runs (another checkout, `npm run samples`) may be going on.
  const leftovers = labNamespaces().filter((n) => n.startsWith(`pp${r.pid}-`));
  run = { dir, seconds, leftovers, log };
  return run;
}

/** Every file under dir, relative, sorted. */
export function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(join(dir, rel)).isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

/** `tcpdump -nn -r` of a capture (.gz is decompressed first) as text. */
export function tcpdumpText(file: string): string {
  const gz = file.endsWith('.gz');
  const r = spawnSync('tcpdump', ['-nn', '-r', gz ? '-' : file], {
    encoding: 'utf8',
    input: gz ? gunzipSync(readFileSync(file)) : undefined,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`tcpdump -nn -r ${file} failed: ${r.stderr}`);
  return r.stdout;
}

export function hasTcpdump(): boolean {
  return sh('command -v tcpdump');
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * What a flow's first packet in each direction looks like in `tcpdump -nn` output: `request` and
 * `reply` (inner headers, also printed under the VXLAN line on underlay captures) and `outer` /
 * `replyOuter` (the VXLAN UDP datagram, for cross-node flows).
 */
export function flowPatterns(f: LabFlow): { request: RegExp; reply: RegExp; outer?: RegExp; replyOuter?: RegExp } {
  const s = esc(f.src);
  const d = esc(f.dst);
  let request: RegExp;
  let reply: RegExp;
  switch (f.protocol) {
    case 'icmp':
      request = new RegExp(`IP ${s} > ${d}: ICMP echo request`);
      reply = new RegExp(`IP ${d} > ${s}: ICMP echo reply`);
      break;
    case 'tcp':
      request = new RegExp(`IP ${s}\\.\\d+ > ${d}\\.${f.dport}: Flags \\[S\\]`);
      reply = new RegExp(`IP ${d}\\.${f.dport} > ${s}\\.\\d+: Flags \\[S\\.\\]`);
      break;
    case 'udp':
      request = new RegExp(`IP ${s}\\.\\d+ > ${d}\\.${f.dport}: UDP`);
      reply = new RegExp(`IP ${d}\\.${f.dport} > ${s}\\.\\d+: UDP`);
      break;
    case 'arp':
      request = new RegExp(`ARP, Request who-has ${d} tell ${s}`);
      reply = new RegExp(`ARP, Reply ${d} is-at`);
      break;
  }
  const out: { request: RegExp; reply: RegExp; outer?: RegExp; replyOuter?: RegExp } = { request, reply };
  if (f.encap) {
    out.outer = new RegExp(`IP ${esc(f.encap.outerSrc)}\\.\\d+ > ${esc(f.encap.outerDst)}\\.${f.encap.port}: `);
    out.replyOuter = new RegExp(`IP ${esc(f.encap.outerDst)}\\.\\d+ > ${esc(f.encap.outerSrc)}\\.${f.encap.port}: `);
  }
  return out;
}

/** Problems (empty when none) between a scenario's lab.json flows and its captures, read with tcpdump. */
export function checkFlowsAgainstCaptures(dir: string, scenario: Scenario): string[] {
  const lab = readLab(dir, scenario);
  const texts = new Map<string, string>();
  const text = (file: string) => {
    let t = texts.get(file);
    if (t === undefined) {
      t = tcpdumpText(join(dir, scenario, file));
      texts.set(file, t);
    }
    return t;
  };
  const problems: string[] = [];
  for (const f of lab.flows) {
    const p = flowPatterns(f);
    const check = (hops: LabHop[], inner: RegExp, outer: RegExp | undefined, dirName: string) => {
      for (const h of hops) {
        for (const c of h.captures) {
          if (!inner.test(text(c))) problems.push(`${f.id} (${dirName}): ${c} lacks ${inner} at ${h.host}/${h.interface} ${h.action}`);
          if (h.action === 'underlay' && outer && !outer.test(text(c))) {
            problems.push(`${f.id} (${dirName}): ${c} lacks the VXLAN datagram ${outer}`);
          }
        }
      }
    };
    check(f.path, p.request, p.outer, 'request');
    if (f.reply) check(f.reply.path, p.reply, p.replyOuter, 'reply');
    for (const c of f.absentFrom ?? []) {
      if (p.request.test(text(c))) problems.push(`${f.id}: ${c} holds ${p.request} but the flow is lost before it`);
      if (p.outer && p.outer.test(text(c))) problems.push(`${f.id}: ${c} holds ${p.outer} but the flow is lost before it`);
    }
  }
  return problems;
}

/** True when `samples/<scenario>` holds the lab's output (so tests can compare against it). */
export function hasSamples(samples: string, scenario: Scenario): boolean {
  return existsSync(join(samples, scenario, 'lab.json'));
}
