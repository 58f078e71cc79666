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

test('--max-mb is a hard ceiling: tcpdump stops by count before the file passes it', async () => {
  const why = labUnavailable();
  if (why) {
    console.log(`SKIP collector --max-mb: ${why}`);
    return;
  }
  const ns = `ppc${process.pid}-maxmb`;
  const tmp = mkdtempSync(join(tmpdir(), 'podpath-maxmb-'));
  try {
    execFileSync('ip', ['netns', 'add', ns]);
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const out = join(tmp, 'out');
    const collector = new Promise<{ code: number | null; text: string }>((resolve) => {
      const c = spawn('ip', ['netns', 'exec', ns, 'sh', join(ROOT, 'bin', 'podpath-collect'), '--duration', '20', '--interfaces', 'lo', '--max-mb', '1', '--snaplen', '64', '--no-kubectl', '--hostname', 'n', '--out', out]);
      let text = '';
      c.stdout.on('data', (d) => (text += d));
      c.stderr.on('data', (d) => (text += d));
      c.on('close', (code) => resolve({ code, text }));
    });
    await new Promise((r) => setTimeout(r, 1000));
    // ~2 x 12,000 packets of 1000 bytes on lo: far more than 1 MB at snaplen 64 (12,499 packets).
    spawnSync('ip', ['netns', 'exec', ns, 'ping', '-f', '-c', '12000', '-s', '1000', '-q', '127.0.0.1'], { stdio: 'ignore', timeout: 30_000 });
    const t0 = Date.now();
    const r = await collector;
    assert.is(r.code, 0, r.text);
    assert.ok(Date.now() - t0 < 15_000, 'the collector ended early: tcpdump reached its count');
    const log = readFileSync(join(out, 'n', 'collect.log'), 'utf8');
    assert.match(log, '-c 12499');
    assert.match(log, 'every tcpdump has ended on its own');
    const size = statSync(join(out, 'n', 'lo.pcap')).size;
    assert.ok(size <= 1_000_000, `lo.pcap is ${size} bytes`);
    assert.ok(size > 900_000, `lo.pcap is ${size} bytes: the ceiling was reached`);
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
