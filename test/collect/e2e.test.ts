import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { extractArchive } from '../../src/inputs/archive.js';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ROOT } from '../helpers.js';
import { collectTwoNodes, labUnavailable } from './two-nodes.js';

const PCAP_MAGICS = ['d4c3b2a1', 'a1b2c3d4', '4d3cb2a1', 'a1b23c4d'];

test('collector e2e: two flannel-shaped nodes in namespaces, collected at once while pods ping', async () => {
  const lab = await collectTwoNodes({ duration: 3 });
  if (!lab) return;
  try {
    assert.ok(lab.pingOk, `pod1 -> pod2 ping across flannel.1 must work in the lab:\n${lab.ping}`);
    for (const node of lab.nodes) {
      assert.ok(existsSync(node.archive), `${node.archive} exists\n${node.output}`);
      assert.match(node.output, `podpath analyze ${node.archive}`);
      const x = await extractArchive(node.archive);
      try {
        assert.equal(x.problems, []);
        const top = readdirSync(x.dir);
        assert.equal(top, [node.hostname], 'the archive holds one top folder named after --out');
        const d = join(x.dir, node.hostname, node.hostname);
        for (const f of ['hostname', 'uname.txt', 'ip-addr.txt', 'ip-d-link.txt', 'route-n.txt', 'ip-route.txt', 'bridge-vlan.txt', 'bridge-fdb.txt', 'ip-neigh.txt', 'ss-tulpn.txt', 'collect.log']) {
          assert.ok(existsSync(join(d, f)), `${node.hostname}/${f}`);
        }
        assert.match(readFileSync(join(d, 'ip-addr.txt'), 'utf8'), 'flannel.1');
        assert.match(readFileSync(join(d, 'ip-d-link.txt'), 'utf8'), 'vxlan id 1');
        assert.match(readFileSync(join(d, 'route-n.txt'), 'utf8'), 'flannel.1');
        assert.match(readFileSync(join(d, 'bridge-fdb.txt'), 'utf8'), 'dst 192.168.77.');
        const log = readFileSync(join(d, 'collect.log'), 'utf8');
        assert.match(log, 'interfaces (auto): eth0 cni0 flannel.1');
        for (const ifc of ['eth0', 'cni0', 'flannel.1']) {
          const pcap = readFileSync(join(d, `${ifc}.pcap`));
          assert.ok(PCAP_MAGICS.includes(pcap.subarray(0, 4).toString('hex')), `${ifc}.pcap is a pcap`);
          assert.ok(pcap.length > 24 + 16 + 40, `${ifc}.pcap on ${node.hostname} holds packets (${pcap.length} bytes)\n${log}`);
          assert.match(log, `captured: ${ifc} -> ${node.hostname}/${ifc}.pcap`);
        }
      } finally {
        await x.cleanup();
      }
    }
    console.log(`collector e2e: node1 under ${lab.nodes[0].shell}, node2 under ${lab.nodes[1].shell}`);
  } finally {
    lab.cleanup();
  }
});

/** The collector in a fresh namespace of its own (lo only); resolves when it exits. */
function collectorInNs(ns: string, args: string[]) {
  const c = spawn('ip', ['netns', 'exec', ns, 'sh', join(ROOT, 'bin', 'podpath-collect'), ...args]);
  let text = '';
  c.stdout.on('data', (d) => (text += d));
  c.stderr.on('data', (d) => (text += d));
  const done = new Promise<{ code: number | null; text: string }>((resolve) => c.on('close', (code) => resolve({ code, text })));
  return { child: c, done };
}

function withNs(tag: string) {
  const why = labUnavailable();
  if (why) return { why };
  const ns = `ppco${process.pid}-${tag}`;
  const tmp = mkdtempSync(join(tmpdir(), 'podpath-collect-ns-'));
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  return { ns, tmp, cleanup: () => { spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); rmSync(tmp, { recursive: true, force: true }); } };
}

test('--max-total is a budget: -C/-W rotation keeps the files within it under a flood', async () => {
  const env = withNs('budget');
  if (!env.ns) return console.log(`SKIP collector --max-total: ${env.why}`);
  try {
    const out = join(env.tmp, 'out');
    const c = collectorInNs(env.ns, ['--duration', '8', '--interfaces', 'lo', '--max-total', '2', '--max-mb', '1', '--snaplen', '64', '--no-kubectl', '--keep-folder', '--hostname', 'n', '--out', out]);
    await new Promise((r) => setTimeout(r, 1000));
    // ~80,000 packets of 80 bytes kept (64 + 16): about 6 MB offered to a 2 MB budget
    spawnSync('ip', ['netns', 'exec', env.ns, 'ping', '-f', '-c', '40000', '-s', '1000', '-q', '127.0.0.1'], { stdio: 'ignore', timeout: 30_000 });
    const r = await c.done;
    assert.is(r.code, 0, r.text);
    const log = readFileSync(join(out, 'n', 'collect.log'), 'utf8');
    assert.match(log, '-C 1 -W 2 -p -w');
    const files = readdirSync(join(out, 'n')).filter((f) => f.endsWith('.pcap')).sort();
    assert.equal(files, ['lo.0.pcap', 'lo.1.pcap'], log);
    let total = 0;
    for (const f of files) {
      const size = statSync(join(out, 'n', f)).size;
      assert.ok(size <= 1_000_000 + 80, `${f} is ${size} bytes`);
      total += size;
    }
    assert.ok(total <= 2_000_000 + 160, `captures hold ${total} bytes`);
    assert.ok(total > 1_000_000, `captures hold ${total} bytes: more than one file, so the ring turned`);
  } finally {
    env.cleanup!();
  }
});

test('SIGTERM during the capture: every tcpdump stopped, nothing left running, the archive written', async () => {
  const env = withNs('term');
  if (!env.ns) return console.log(`SKIP collector SIGTERM: ${env.why}`);
  try {
    const out = join(env.tmp, 'out');
    const c = collectorInNs(env.ns, ['--duration', '0', '--interfaces', 'lo', '--max-total', '4', '--no-kubectl', '--keep-folder', '--hostname', 'n', '--out', out]);
    const logFile = join(out, 'n', 'collect.log');
    for (let i = 0; i < 100 && !(existsSync(logFile) && /capture started/.test(readFileSync(logFile, 'utf8'))); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000)); // tcpdump opens lo
    spawnSync('ip', ['netns', 'exec', env.ns, 'ping', '-c', '3', '-i', '0.2', '127.0.0.1'], { stdio: 'ignore' });
    const t0 = Date.now();
    c.child.kill('SIGTERM');
    const r = await c.done;
    assert.is(r.code, 0, r.text);
    assert.ok(Date.now() - t0 < 10_000, 'stopped promptly');
    const log = readFileSync(logFile, 'utf8');
    assert.match(log, 'stopped by a signal');
    assert.match(log, 'captured: lo -> n/lo.pcap');
    const pids = [...log.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    assert.ok(pids.length === 1, log);
    for (const pid of pids) assert.is(spawnSync('kill', ['-0', String(pid)]).status, 1, `tcpdump ${pid} is gone`);
    assert.ok(statSync(`${out}.tar.gz`).size > 0);
    assert.ok(statSync(join(out, 'n', 'lo.pcap')).size > 24, 'the packets before the signal are kept');
  } finally {
    env.cleanup!();
  }
});

test.run();
