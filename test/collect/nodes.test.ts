/**
 * `podpath collect --nodes ... --via ssh|kubectl` end to end: the two-node flannel lab of
 * two-nodes.ts, a real OpenSSH sshd in each node namespace (key auth, keys made here, listening on
 * the node's underlay address), the CLI run from node1 like an admin would, then `podpath analyze`
 * on the one incident folder. The kubectl path uses a stand-in `kubectl` on PATH that does only
 * the transport (runs the real collector in the node's namespace).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { analyze } from '../../src/analyze.js';
import { orchestrate } from '../../src/collect/orchestrate.js';
import { LAB, labUnavailable, withLab, type Lab } from './two-nodes.js';

const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => existsSync(p));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sshUnavailable(): string | undefined {
  const why = labUnavailable();
  if (why) return why;
  if (!SSHD) return 'sshd is not installed (apt openssh-server)';
  for (const c of ['ssh', 'ssh-keygen']) if (spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0) return `${c} is not installed`;
  return undefined;
}

/** Keys, known_hosts and one sshd per node namespace; returns the ssh options and a stopper. */
async function startSshd(lab: Lab): Promise<{ sshOpts: string; stop(): void; logs(): string }> {
  const dir = join(lab.tmp, 'ssh');
  mkdirSync(dir, { mode: 0o700 });
  const keygen = (f: string) => spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, f)], { stdio: 'pipe' });
  keygen('client');
  keygen('hostkey');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client.pub')), { mode: 0o600 });
  const hostPub = readFileSync(join(dir, 'hostkey.pub'), 'utf8').trim();
  writeFileSync(join(dir, 'known_hosts'), `${LAB.node1.underlay} ${hostPub}\n${LAB.node2.underlay} ${hostPub}\n`);
  // sshd's privilege separation folder (made at service start by the package; absent in containers)
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const children: ChildProcess[] = [];
  let logs = '';
  for (const [name, ns, addr] of [['node1', lab.ns.n1, LAB.node1.underlay], ['node2', lab.ns.n2, LAB.node2.underlay]] as const) {
    const cfg = join(dir, `sshd-${name}.conf`);
    writeFileSync(
      cfg,
      [
        `ListenAddress ${addr}:22`,
        `HostKey ${join(dir, 'hostkey')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, `sshd-${name}.pid`)}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'LogLevel ERROR',
        '',
      ].join('\n'),
    );
    const c = spawn('ip', ['netns', 'exec', ns, SSHD!, '-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr!.on('data', (d) => (logs += `${name}: ${d}`));
    children.push(c);
  }
  // listening?
  for (let i = 0; i < 50; i++) {
    const up = [lab.ns.n1, lab.ns.n2].every((ns) => /:22\b/.test(spawnSync('ip', ['netns', 'exec', ns, 'ss', '-ltn'], { encoding: 'utf8' }).stdout));
    if (up) break;
    await sleep(100);
  }
  const key = join(dir, 'client');
  return {
    sshOpts: `-F /dev/null -i ${key} -o IdentitiesOnly=yes -o UserKnownHostsFile=${join(dir, 'known_hosts')} -o StrictHostKeyChecking=yes -o ConnectTimeout=5`,
    stop: () => {
      for (const c of children) c.kill('SIGTERM');
    },
    logs: () => logs,
  };
}

/** The CLI, run from node1's namespace: `podpath collect --nodes ... --via ssh`. */
async function collectViaSsh(blockOverlay: boolean, tag: string) {
  return withLab({ blockOverlay, prefix: `ppco${process.pid}-${tag}` }, async (lab) => {
    const sshd = await startSshd(lab);
    try {
      const out = join(lab.tmp, 'incident');
      const lead = 3;
      // 6 s: the 8 pings (1.6 s, started 1.2 s into the capture) end well inside it even on a loaded CI
      // machine; at 4 s a late ping's reply could fall after one node's capture ended.
      const duration = 6;
      const t0 = Date.now();
      const cli = new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        const c = spawn('ip', [
          'netns', 'exec', lab.ns.n1, process.execPath, join(ROOT, 'bin', 'podpath.js'), 'collect',
          '--nodes', `node1=root@${LAB.node1.underlay},node2=root@${LAB.node2.underlay}`, '--via', 'ssh', '--no-sudo',
          '--duration', String(duration), '--lead', String(lead), '--incident', `e2e-${tag}`, '--out', out, `--ssh-opts=${sshd.sshOpts}`,
        ]);
        let stdout = '';
        let stderr = '';
        c.stdout.on('data', (d) => (stdout += d));
        c.stderr.on('data', (d) => (stderr += d));
        c.on('close', (code) => done({ code, stdout, stderr }));
      });
      // the common start is within `lead` s; the collectors dump first, then capture for `duration` s
      await sleep(lead * 1000 + 1200);
      const ping = await lab.ping(8);
      const r = await cli;
      console.log(`collect --via ssh (${tag}): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      if (!existsSync(join(out, 'podpath-manifest.txt'))) throw new Error(`podpath collect wrote no manifest (exit ${r.code}):\n${r.stderr}\n${sshd.logs()}`);
      const report = await analyze([out], { cwd: lab.tmp, hash: false });
      return { out, r, ping, report, manifest: readFileSync(join(out, 'podpath-manifest.txt'), 'utf8'), sshdLogs: sshd.logs(), tree: readdirSync(out).sort() };
    } finally {
      sshd.stop();
    }
  });
}

test('collect --nodes --via ssh: one incident folder; analyze explains the cross-node ping through flannel.1', async () => {
  const why = sshUnavailable();
  if (why) return console.log(`SKIP collect --via ssh: ${why}`);
  const c = await collectViaSsh(false, 's');
  assert.is(c.r.code, 0, `${c.r.stderr}\n${c.manifest}\n${c.sshdLogs}`);
  assert.ok(c.ping.ok, c.ping.text);
  assert.equal(c.tree, ['node1', 'node2', 'podpath-manifest.txt'], 'one sub-folder per node and the manifest (no kubectl here)');
  assert.match(c.manifest, 'incident: e2e-s');
  assert.match(c.manifest, /node: node1\n {2}command: ssh .* root@192\.168\.77\.11 '?sh -s -- --start-epoch \d+ /);
  assert.equal(c.manifest.match(/^ {2}exit: 0$/gm)?.length, 2, c.manifest);
  assert.match(c.manifest, /^kubectl: unavailable/m);
  // both collectors got the same start
  const starts = [...c.manifest.matchAll(/--start-epoch (\d+)/g)].map((m) => m[1]);
  assert.is(new Set(starts).size, 1);
  const rep = c.report;
  assert.equal(rep.topology.hosts.map((h) => h.name).filter((n) => n.startsWith('node')).sort(), ['node1', 'node2']);
  const ping = rep.flows.find((f) => f.protocol === 'icmp' && f.src.ip === LAB.node1.pod && f.dst.ip === LAB.node2.pod);
  assert.ok(ping, rep.flows.map((f) => `${f.protocol} ${f.src.ip} > ${f.dst.ip}`).join(', '));
  assert.is(ping.kind, 'cross-node');
  assert.is(ping.verdict, 'ok', ping.why);
  const actions = ping.path.map((s) => `${s.host} ${s.interface} ${s.action}`);
  assert.ok(actions.includes('node1 flannel.1 encap'), actions.join(' | '));
  assert.ok(actions.includes('node2 flannel.1 decap'), actions.join(' | '));
  // the collector's own files raise no problem line (uname, manifests, empty dumps, not-analyzed dumps)
  assert.equal(rep.problems, [], rep.problems.join('\n'));
  const row = rep.inputs.find((i) => i.path.endsWith('node1/sysctl.txt'));
  assert.equal(row?.commands, ['sysctl (not analyzed)']);
});

test('collect --nodes --via ssh with UDP 8472 dropped on node2: overlay-blocked', async () => {
  const why = sshUnavailable();
  if (why) return console.log(`SKIP collect --via ssh (blocked overlay): ${why}`);
  const c = await collectViaSsh(true, 'b');
  assert.is(c.r.code, 0, `${c.r.stderr}\n${c.manifest}`);
  assert.not.ok(c.ping.ok, 'the ping must fail');
  const f = c.report.findings.find((x) => x.code === 'overlay-blocked');
  assert.ok(f, c.report.findings.map((x) => `${x.code}: ${x.message}`).join('\n'));
  assert.match(f.message, /UDP 8472/);
  assert.match(f.message, /node2/);
});

test('collect --via kubectl: kubectl debug node/NAME -i ... -- chroot /host sh -s -- (a transport stand-in)', async () => {
  const why = labUnavailable();
  if (why) return console.log(`SKIP collect --via kubectl: ${why}`);
  await withLab({ prefix: `ppco${process.pid}-k` }, async (lab) => {
    const bin = join(lab.tmp, 'bin');
    mkdirSync(bin);
    // Only the transport: the argv kubectl debug gets, minus `chroot /host`, run in the node's namespace.
    writeFileSync(
      join(bin, 'kubectl'),
      [
        '#!/bin/sh',
        'case $1 in debug) ;; *) echo "kubectl stand-in: no cluster" >&2; exit 1 ;; esac',
        'node=${2#node/}',
        'echo "$*" >> "$PPCO_KUBECTL_LOG"',
        'shift 2',
        'while [ "$#" -gt 0 ] && [ "$1" != -- ]; do shift; done',
        'shift',
        '[ "$1" = chroot ] && [ "$2" = /host ] && shift 2',
        'case $node in node1) ns=$PPCO_NS1 ;; node2) ns=$PPCO_NS2 ;; *) echo "no node $node" >&2; exit 1 ;; esac',
        'exec ip netns exec "$ns" "$@"',
        '',
      ].join('\n'),
    );
    chmodSync(join(bin, 'kubectl'), 0o755);
    const out = join(lab.tmp, 'incident');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, PPCO_NS1: lab.ns.n1, PPCO_NS2: lab.ns.n2, PPCO_KUBECTL_LOG: join(lab.tmp, 'kubectl.log') };
    const run = orchestrate({
      nodes: [{ name: 'node1', target: 'node1' }, { name: 'node2', target: 'node2' }],
      via: 'kubectl', duration: 4, lead: 2, out, script: readFileSync(join(ROOT, 'bin', 'podpath-collect'), 'utf8'), env, cwd: lab.tmp,
    });
    await sleep(3200);
    const ping = await lab.ping(8);
    const r = await run;
    const manifest = readFileSync(join(out, 'podpath-manifest.txt'), 'utf8');
    assert.is(r.exitCode, 0, manifest);
    assert.ok(ping.ok, ping.text);
    const calls = readFileSync(join(lab.tmp, 'kubectl.log'), 'utf8');
    assert.match(calls, /^debug node\/node1 -i --profile=sysadm --image=busybox -- chroot \/host sh -s -- --start-epoch \d+ /m);
    assert.match(manifest, /^kubectl: unavailable: kubectl stand-in: no cluster/m);
    const report = await analyze([out], { cwd: lab.tmp, hash: false });
    const flow = report.flows.find((f) => f.protocol === 'icmp' && f.src.ip === LAB.node1.pod && f.dst.ip === LAB.node2.pod);
    assert.is(flow?.verdict, 'ok', flow?.why);
    assert.equal(report.problems, []);
  });
});

test.run();
