/**
 * What kubectl says is true: hostNetwork pods share their node's address (never a
 * duplicate-address finding), the corpus' real kubectl outputs raise no error by themselves, and
 * tunnel devices are compared per overlay (two devices on one node are not "different between
 * nodes"; an `external` collect-metadata device has no fixed VNI). The tunnel devices are made by
 * the kernel in network namespaces (prefix tgap-) and dumped with `ip -d link show`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../src/analyze.js';
import { shared } from '../helpers.js';

const SHARED = shared('kubectl corpus findings');
const severe = (r: Awaited<ReturnType<typeof analyze>>) => r.findings.filter((f) => f.severity === 'error' || f.severity === 'critical');

test('every kubectl output of the corpus alone raises no error finding', async () => {
  if (!SHARED) return;
  const root = join(SHARED, 'corpus', 'dumps');
  const dirs = readdirSync(root).filter((d) => d.startsWith('kubectl') && statSync(join(root, d)).isDirectory());
  let files = 0;
  for (const d of dirs) {
    for (const f of readdirSync(join(root, d))) {
      files++;
      const r = await analyze([join(root, d, f)], { cwd: root, hash: false });
      assert.equal(severe(r).map((x) => `${x.code}: ${x.message}`), [], `${d}/${f}`);
    }
  }
  assert.ok(files > 0, 'the corpus has kubectl outputs');
});

const PODS = `NAMESPACE     NAME                             READY   STATUS    RESTARTS   AGE   IP            NODE      NOMINATED NODE   READINESS GATES
kube-system   etcd-cp1                         1/1     Running   0          5d    10.0.0.10     cp1       <none>           <none>
kube-system   kube-apiserver-cp1               1/1     Running   0          5d    10.0.0.10     cp1       <none>           <none>
kube-system   kube-proxy-7xk2p                 1/1     Running   0          5d    10.0.0.10     cp1       <none>           <none>
kube-system   kube-proxy-q9z8d                 1/1     Running   0          5d    10.0.0.11     w1        <none>           <none>
kube-system   kube-flannel-ds-abcde            1/1     Running   0          5d    10.0.0.11     w1        <none>           <none>
default       web-6d4f8-x1                     1/1     Running   0          1h    10.244.1.5    w1        <none>           <none>
`;
const NODES = `NAME   STATUS   ROLES           AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE             KERNEL-VERSION     CONTAINER-RUNTIME
cp1    Ready    control-plane   5d    v1.29.2   10.0.0.10     <none>        Ubuntu 22.04.4 LTS   5.15.0-97-generic  containerd://1.7.2
w1     Ready    <none>          5d    v1.29.2   10.0.0.11     <none>        Ubuntu 22.04.4 LTS   5.15.0-97-generic  containerd://1.7.2
`;

test('hostNetwork pods sharing their node address are no duplicate; two pods of two nodes on one pod IP are', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-kubectl-'));
  try {
    writeFileSync(join(dir, 'pods.txt'), PODS);
    let r = await analyze([join(dir, 'pods.txt')], { cwd: dir, hash: false });
    assert.equal(r.findings.filter((f) => f.code === 'duplicate-address').map((f) => f.message), [], 'pods only (same node)');
    writeFileSync(join(dir, 'nodes.txt'), NODES);
    r = await analyze([dir], { cwd: dir, hash: false });
    assert.equal(r.findings.filter((f) => f.code === 'duplicate-address').map((f) => f.message), [], 'pods and nodes');
    // A real duplicate: a pod IP on two nodes.
    writeFileSync(join(dir, 'pods.txt'), PODS + 'default       web-6d4f8-x2                     1/1     Running   0          1h    10.244.1.5    cp1       <none>           <none>\n');
    r = await analyze([dir], { cwd: dir, hash: false });
    const dup = r.findings.filter((f) => f.code === 'duplicate-address');
    assert.is(dup.length, 1, r.findings.map((f) => f.message).join('; '));
    assert.match(dup[0].message, /10\.244\.1\.5.*web-6d4f8-x1.*web-6d4f8-x2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function ip(args: string[]): boolean {
  return spawnSync('ip', args, { stdio: 'ignore' }).status === 0;
}

/** Two nodes, each with flannel.1 (VNI `flannelVni[n]`), vxlan.calico (VNI 4096) and an external cilium_vxlan. */
function makeNodes(dir: string, flannelVni: [number, number]): boolean {
  const names = ['tgap-a', 'tgap-b'];
  try {
    for (let n = 0; n < 2; n++) {
      const ns = `${names[n]}-${process.pid}`;
      if (!ip(['netns', 'add', ns])) return false;
      try {
        const ok =
          ip(['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p']) &&
          ip(['-n', ns, 'addr', 'add', `10.9.0.${11 + n}/24`, 'dev', 'eth0']) &&
          ip(['-n', ns, 'link', 'set', 'eth0', 'up']) &&
          ip(['-n', ns, 'link', 'add', 'flannel.1', 'type', 'vxlan', 'id', String(flannelVni[n]), 'dstport', '8472', 'dev', 'eth0', 'nolearning']) &&
          ip(['-n', ns, 'link', 'add', 'vxlan.calico', 'type', 'vxlan', 'id', '4096', 'dstport', '4789', 'dev', 'eth0']) &&
          ip(['-n', ns, 'link', 'add', 'cilium_vxlan', 'type', 'vxlan', 'external', 'dstport', '8473']);
        if (!ok) return false;
        const host = join(dir, `node-${n === 0 ? 'a' : 'b'}`);
        mkdirSync(host, { recursive: true });
        writeFileSync(join(host, 'ip-d-link.txt'), spawnSync('ip', ['-n', ns, '-d', 'link', 'show'], { encoding: 'utf8' }).stdout);
        writeFileSync(join(host, 'ip-addr.txt'), spawnSync('ip', ['-n', ns, 'addr', 'show'], { encoding: 'utf8' }).stdout);
      } finally {
        ip(['netns', 'del', ns]);
      }
    }
    return true;
  } catch {
    return false;
  }
}

test('two tunnel devices per node (and an external one) are compared per overlay only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podpath-tunnels-'));
  try {
    if (!makeNodes(join(dir, 'same'), [1, 1])) {
      console.log('SKIP tunnel devices: cannot create network namespaces and VXLAN devices here (needs root)');
      return;
    }
    let r = await analyze([join(dir, 'same')], { cwd: dir, hash: false });
    assert.ok(r.topology.overlay.filter((o) => o.host === 'node-a').length >= 2, 'two tunnel devices on one node');
    assert.equal(r.findings.filter((f) => f.code === 'vxlan-mismatch').map((f) => f.message), []);
    const ext = r.topology.hosts.flatMap((h) => h.interfaces).filter((i) => i.name === 'cilium_vxlan');
    assert.ok(ext.length === 2 && ext.every((i) => i.vxlan?.external === true && i.vxlan.vni === undefined), 'external: no fixed VNI');
    // The same overlay with another VNI on one node is still a mismatch.
    assert.ok(makeNodes(join(dir, 'differ'), [1, 2]));
    r = await analyze([join(dir, 'differ')], { cwd: dir, hash: false });
    const m = r.findings.filter((f) => f.code === 'vxlan-mismatch');
    assert.is(m.length, 1, m.map((f) => f.message).join('; '));
    assert.match(m[0].message, /flannel\.1/);
    assert.not.match(m[0].message, /vxlan\.calico|cilium_vxlan/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
