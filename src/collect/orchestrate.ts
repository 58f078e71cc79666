/**
 * `podpath collect --nodes a,b --via ssh|kubectl`: runs the node collector (bin/podpath-collect) on
 * every node at the same moment and gathers the archives into ONE incident folder:
 *
 *   DIR/
 *     podpath-manifest.txt    incident id, start time, per node: the command, times, exit code
 *     pods.txt, kubectl-wide.txt   kubectl get ... -A -o wide, when kubectl works here
 *     NODE/                   one folder per node, extracted from its archive (dumps, captures,
 *                             collect.log, the node's own podpath-manifest.txt)
 *
 * Transports, the script always on standard input and the archive on standard output
 * (`--to-stdout`), so nothing is copied to or left on the node:
 *   ssh:     ssh [opts] TARGET sudo sh -s -- ARGS < script > archive
 *   kubectl: kubectl debug node/NAME -i --profile=sysadm --image IMG -- chroot /host sh -s -- ARGS
 *
 * Every collector gets the same --start-epoch (now + lead seconds), so the captures cover the same
 * seconds. The only module besides tests that starts processes; it never reads `process`: the
 * caller passes env and cwd (undefined env = the parent's).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { extractArchive } from '../inputs/archive.js';

export interface NodeSpec {
  /** The node's name: its folder, --hostname, and node/NAME for kubectl. */
  name: string;
  /** ssh destination (user@host, an ssh_config alias); the name when not given. */
  target: string;
}

export interface OrchestrateOptions {
  nodes: NodeSpec[];
  via: 'ssh' | 'kubectl';
  /** Capture seconds (the collector's --duration; 0 is refused here: nobody could press Ctrl-C). */
  duration: number;
  /** The incident folder to create (must not exist). */
  out: string;
  /** The collector script's text. */
  script: string;
  /** kubectl debug image (needs chroot: busybox is enough). */
  image?: string;
  /** Extra ssh options, before the destination (-i key, -o UserKnownHostsFile=..., -p 2222). */
  sshOpts?: string[];
  /** Prefix the remote command with sudo (ssh only; default true). */
  sudo?: boolean;
  /** Seconds from now to the common start (default: 5 for ssh, 30 for kubectl). */
  lead?: number;
  incident?: string;
  /** More collector options (--interfaces, --filter, --max-total ...), passed as is. */
  collectorArgs?: string[];
  /** Folder on the node for the collector's work files (default /tmp). */
  remoteTmp?: string;
  /** Commands (default "ssh" and "kubectl"). */
  ssh?: string;
  kubectl?: string;
  env?: NodeJS.ProcessEnv;
  cwd: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface NodeRun {
  name: string;
  command: string[];
  started: string;
  ended: string;
  exitCode: number | null;
  signal?: string;
  archiveBytes: number;
  extracted: boolean;
  /** The transport's standard error (the collector's messages), last lines. */
  stderr: string;
  problems: string[];
}

export interface OrchestrateResult {
  dir: string;
  incident: string;
  startEpoch: number;
  nodes: NodeRun[];
  kubectl: string;
  /** 0 when every node's archive came back whole and its collector exited 0. */
  exitCode: number;
}

/** "a,b=root@10.0.0.2" -> specs; names must be plain (they become folders). */
export function parseNodes(list: string): NodeSpec[] | string {
  const specs: NodeSpec[] = [];
  for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = raw.indexOf('=');
    const target = eq >= 0 ? raw.slice(eq + 1) : raw;
    const name = eq >= 0 ? raw.slice(0, eq) : raw.replace(/^.*@/, '');
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/.test(name)) return `bad node name '${name}' (letters, digits, . _ -; use NAME=TARGET for an ssh destination)`;
    if (!target || target.startsWith('-')) return `bad node target '${target}'`;
    if (specs.some((s) => s.name === name)) return `node '${name}' named twice`;
    specs.push({ name, target });
  }
  return specs.length ? specs : 'no node named';
}

/** A word for a POSIX shell (the remote side of ssh runs one). */
export function shQuote(w: string): string {
  return /^[A-Za-z0-9_./:=@,+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

function utc(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface Spawned {
  code: number | null;
  signal: string | null;
  stderr: string;
  bytes: number;
  error?: string;
}

/** Runs a command: `input` on stdin, stdout into `outFile`, stderr kept (last 64 KiB). */
function runTo(cmd: string, args: string[], o: { input: string; outFile: string; env?: NodeJS.ProcessEnv; cwd: string; timeoutMs: number }): Promise<Spawned> {
  return new Promise((done) => {
    let stderr = '';
    let bytes = 0;
    let settled = false;
    const sink = createWriteStream(o.outFile, { mode: 0o600 });
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => {
      bytes += d.length;
      sink.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-65536);
    });
    const timer = setTimeout(() => {
      stderr += `\n(timed out after ${Math.round(o.timeoutMs / 1000)} s: sent SIGTERM)`;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    }, o.timeoutMs);
    const finish = (r: Spawned) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sink.end(() => done(r));
    };
    child.on('error', (e) => finish({ code: null, signal: null, stderr, bytes, error: e.message }));
    child.on('close', (code, signal) => finish({ code, signal, stderr, bytes }));
    child.stdin.on('error', () => undefined); // a command that exits before reading its input
    child.stdin.end(o.input);
  });
}

/** The command that runs the collector on one node. */
export function nodeCommand(o: OrchestrateOptions, node: NodeSpec, collectorArgs: string[]): string[] {
  if (o.via === 'ssh') {
    const remote = [...(o.sudo === false ? [] : ['sudo']), 'sh', '-s', '--', ...collectorArgs].map(shQuote).join(' ');
    return [o.ssh ?? 'ssh', ...(o.sshOpts ?? []), '-T', '-o', 'BatchMode=yes', '--', node.target, remote];
  }
  return [o.kubectl ?? 'kubectl', 'debug', `node/${node.name}`, '-i', '--profile=sysadm', `--image=${o.image ?? 'busybox'}`, '--', 'chroot', '/host', 'sh', '-s', '--', ...collectorArgs];
}

export async function orchestrate(o: OrchestrateOptions): Promise<OrchestrateResult> {
  const say = o.log ?? (() => undefined);
  const dir = resolve(o.cwd, o.out);
  const parent = await stat(dirname(dir)).catch(() => undefined);
  if (!parent?.isDirectory()) throw new OrchestrateError(`the parent folder of --out does not exist: ${dirname(dir)}`);
  if (await stat(dir).then(() => true, () => false)) throw new OrchestrateError(`--out already exists: ${o.out}`);
  await mkdir(dir, { mode: 0o700 });
  const incident = o.incident ?? `${utc().replace(/[-:]/g, '')}-${randomBytes(3).toString('hex')}`;
  const lead = o.lead ?? (o.via === 'ssh' ? 5 : 30);
  const startEpoch = Math.floor(Date.now() / 1000) + lead;
  const remoteTmp = (o.remoteTmp ?? '/tmp').replace(/\/+$/, '') || '/tmp';
  say(`incident ${incident}: ${o.nodes.length} node(s) via ${o.via}, capture starts at ${utc(startEpoch * 1000)} for ${o.duration} s`);

  const runs = await Promise.all(
    o.nodes.map(async (node): Promise<NodeRun> => {
      const args = [
        '--start-epoch', String(startEpoch), '--duration', String(o.duration), '--hostname', node.name, '--incident', incident,
        '--out', `${remoteTmp}/podpath-${incident}-${node.name}`, '--to-stdout', '--no-kubectl', ...(o.collectorArgs ?? []),
      ];
      const command = nodeCommand(o, node, args);
      const archive = join(dir, `.incoming-${node.name}.tar.gz`);
      const started = utc();
      say(`${node.name}: ${command.map(shQuote).join(' ')}`);
      const r = await runTo(command[0], command.slice(1), { input: o.script, outFile: archive, env: o.env, cwd: o.cwd, timeoutMs: (lead + o.duration + 120) * 1000 });
      const run: NodeRun = {
        name: node.name, command, started, ended: utc(), exitCode: r.code, archiveBytes: r.bytes, extracted: false,
        stderr: r.stderr.trim().split('\n').slice(-20).join('\n'), problems: [],
      };
      if (r.signal) run.signal = r.signal;
      if (r.error) run.problems.push(`${command[0]}: ${r.error}`);
      if (r.bytes > 0) {
        const problems = await unpack(archive, dir, node.name);
        run.problems.push(...problems);
        run.extracted = problems.length === 0 || (await stat(join(dir, node.name)).then((s) => s.isDirectory(), () => false));
      } else run.problems.push('no archive came back');
      await rm(archive, { force: true });
      say(`${node.name}: exit ${r.code ?? r.signal}, ${r.bytes} archive bytes${run.problems.length ? `; ${run.problems.join('; ')}` : ''}`);
      return run;
    }),
  );

  // The cluster's view, when kubectl works from here.
  let kubectl = 'not run';
  const kc = o.kubectl ?? 'kubectl';
  const pods = await runTo(kc, ['get', 'pods', '-A', '-o', 'wide', '--request-timeout=10s'], { input: '', outFile: join(dir, 'pods.txt'), env: o.env, cwd: o.cwd, timeoutMs: 20_000 });
  if (pods.code === 0 && pods.bytes > 0) {
    const wide = await runTo(kc, ['get', 'pods,svc,endpointslices,nodes', '-A', '-o', 'wide', '--request-timeout=10s'], { input: '', outFile: join(dir, 'kubectl-wide.txt'), env: o.env, cwd: o.cwd, timeoutMs: 20_000 });
    if (wide.code !== 0 || wide.bytes === 0) await rm(join(dir, 'kubectl-wide.txt'), { force: true });
    kubectl = `ok (pods.txt${wide.code === 0 && wide.bytes > 0 ? ', kubectl-wide.txt' : ''})`;
  } else {
    await rm(join(dir, 'pods.txt'), { force: true });
    kubectl = `unavailable: ${pods.error ?? (pods.stderr.trim().split('\n')[0] || `exit ${pods.code}`)}`;
  }

  const exitCode = runs.every((r) => r.exitCode === 0 && r.extracted) ? 0 : 1;
  const lines = [
    'podpath-incident-manifest: 1',
    `incident: ${incident}`,
    `via: ${o.via}`,
    `start-epoch: ${startEpoch} (${utc(startEpoch * 1000)})`,
    `duration: ${o.duration}`,
    `kubectl: ${kubectl}`,
    `exit: ${exitCode}`,
  ];
  for (const r of runs) {
    lines.push(
      '',
      `node: ${r.name}`,
      `  command: ${r.command.map(shQuote).join(' ')}`,
      `  started: ${r.started}`,
      `  ended: ${r.ended}`,
      `  exit: ${r.exitCode ?? `signal ${r.signal ?? 'none'}`}`,
      `  archive: ${r.archiveBytes} bytes, ${r.extracted ? `extracted into ${r.name}/` : 'not extracted'}`,
      ...r.problems.map((p) => `  problem: ${p}`),
      ...r.stderr.split('\n').filter(Boolean).map((l) => `  | ${l}`),
    );
  }
  await writeFile(join(dir, 'podpath-manifest.txt'), lines.join('\n') + '\n', { mode: 0o600 });
  return { dir, incident, startEpoch, nodes: runs, kubectl, exitCode };
}

export class OrchestrateError extends Error {}

/** Extracts one node's archive (OUT/NODE/..., OUT/podpath-manifest.txt) into DIR/NODE/. */
async function unpack(archive: string, dir: string, name: string): Promise<string[]> {
  const x = await extractArchive(archive, { tmpRoot: dir });
  const problems = [...x.problems];
  try {
    const tops = await readdir(x.dir);
    if (tops.length !== 1) return [...problems, `the archive holds ${tops.length} top folders, not 1`];
    const top = join(x.dir, tops[0]);
    const inner = await readdir(top);
    if (!inner.includes(name)) return [...problems, `the archive has no folder ${name}/ (it holds ${inner.join(', ')})`];
    await rename(join(top, name), join(dir, name));
    for (const f of inner) {
      if (f === name) continue;
      // the node's manifest beside its files; anything else at the archive root too
      await rename(join(top, f), join(dir, name, f)).catch((e: Error) => problems.push(`${f}: ${e.message}`));
    }
  } finally {
    await x.cleanup();
  }
  return problems;
}
