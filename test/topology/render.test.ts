/** Renderers and the command: formats, escaping of hostile names, the JSON contract, exit codes. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryIo } from '../../src/io.js';
import { topologyCommand, parseHostOptions } from '../../src/commands/topology.js';
import { renderTopologyMermaid, mermaidText } from '../../src/report/topology-mermaid.js';
import { renderTopologyDot, dotString } from '../../src/report/topology-dot.js';
import { renderTopologyText, plain } from '../../src/report/topology-text.js';
import { renderTopologyJson, TOPOLOGY_SCHEMA } from '../../src/report/topology-json.js';
import type { Host, Topology } from '../../src/topology/model.js';
import { shared } from '../helpers.js';

const EVIL = 'evil"]; click n0 call alert(1) %%\n<script>x</script>\u001b[31m{}|#\\';

function host(name: string, role: 'node' | 'pod' = 'node'): Host {
  return {
    name,
    role,
    interfaces: [
      { name: 'eth0', kind: 'ethernet', mtu: 1500, addresses: [{ family: 'inet', address: '192.168.0.1', prefixLength: 24 }], evidence: [] },
      { name: 'flannel.1', kind: 'vxlan', mtu: 1450, addresses: [{ family: 'inet', address: '10.42.0.0', prefixLength: 32 }], vxlan: { vni: 1, port: 8472 }, evidence: [] },
      { name: 'cni0', kind: 'bridge', addresses: [{ family: 'inet', address: '10.42.0.1', prefixLength: 24 }], ports: [EVIL], evidence: [] },
      { name: EVIL, kind: 'veth', master: 'cni0', evidence: [], addresses: [] },
    ],
    routes: [{ destination: '10.42.1.0/24', gateway: '10.42.1.0', interface: 'flannel.1', evidence: { input: EVIL, line: 3, text: EVIL } }],
    neighbors: [],
    fdb: [],
    listening: [],
    inputs: [],
  };
}

const hostile: Topology = {
  hosts: [host(EVIL), host('node2')],
  pods: [{ name: EVIL, namespace: EVIL, ip: '10.42.0.5', host: EVIL, source: 'kubectl' }],
  overlay: [
    { host: EVIL, device: 'flannel.1', type: 'vxlan', vni: 1, port: 8472, local: '192.168.0.1', subnet: '10.42.0.0/24', remotes: [{ subnet: '10.42.1.0/24', gateway: '10.42.1.0', vtep: '192.168.0.2', host: 'node2', source: 'route', evidence: [] }] },
  ],
  captures: [{ input: EVIL, host: EVIL, interface: 'eth0', via: 'file-name' }],
  findings: [{ severity: 'warning', code: 'route-no-owner', message: EVIL, evidence: [{ input: EVIL, line: 1, text: EVIL }] }],
};

test('mermaid: hostile names stay inside their quoted labels', () => {
  const m = renderTopologyMermaid(hostile);
  assert.ok(m.startsWith('flowchart LR\n'));
  assert.not.ok(m.includes('<script'));
  assert.not.ok(m.includes('\u001b'));
  for (const line of m.trimEnd().split('\n').slice(1)) {
    // Every quote is a label delimiter: an even number per line, and none inside a label.
    assert.is((line.match(/"/g) ?? []).length % 2, 0, line);
    for (const label of line.match(/"[^"]*"/g) ?? []) assert.not.ok(/[<>[\](){}|;\\]/.test(label.replace(/<br\/>/g, '').replace(/#\d+;/g, '')), label);
  }
  assert.ok(m.includes(' -.->'), 'the tunnel, one direction as configured');
  assert.is(mermaidText('a"b<c'), 'a#34;b#60;c');
});

test('dot: hostile names are escaped DOT strings', () => {
  const d = renderTopologyDot(hostile);
  assert.ok(d.startsWith('graph topology {'));
  assert.ok(d.trimEnd().endsWith('}'));
  assert.not.ok(d.includes('\u001b'));
  for (const line of d.split('\n')) {
    // strip well-formed strings; what is left has no quote or newline escapes
    const rest = line.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    assert.not.ok(rest.includes('"""'), line);
    assert.not.ok(/[<>]/.test(rest), line);
  }
  assert.is(dotString('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
});

test('text: no escape sequences or control characters reach the terminal', () => {
  const t = renderTopologyText(hostile);
  assert.not.ok(/[\u0000-\u0008\u000b-\u001f\u007f]/.test(t));
  assert.ok(t.includes('Overlay map'));
  assert.ok(t.includes('route-no-owner'));
  assert.is(plain('a\u001b[31mred\u0007'), 'ared?');
});

test('json: the contract carries the schema and round-trips', () => {
  const j = JSON.parse(renderTopologyJson(hostile));
  assert.is(j.schema, TOPOLOGY_SCHEMA);
  assert.equal(Object.keys(j), ['schema', 'hosts', 'pods', 'overlay', 'captures', 'findings']);
  assert.is(j.hosts[0].name, EVIL);
  assert.is(j.overlay[0].remotes[0].source, 'route');
});

test('--host parsing: NAME=PATH, repeatable; bad forms are usage errors', () => {
  assert.equal(parseHostOptions(['a=x/y', 'b=c=d']), { a: 'x/y', b: 'c=d' });
  assert.equal(parseHostOptions(undefined), {});
  for (const bad of ['noequals', '=path', 'name=']) assert.throws(() => parseHostOptions([bad]), /NAME=PATH/);
});

test('command: no input -> exit 3 with problems on stderr', async () => {
  const root = mkdtempSync(join(tmpdir(), 'podpath-topo-'));
  try {
    const io = memoryIo(root);
    const code = await topologyCommand.run({ paths: ['missing'], format: 'text' }, io);
    assert.is(code, 3);
    assert.ok(io.stderr.join('\n').includes('missing: no such file or folder'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('command: the seed as an incident folder (copied to a temp folder) in every format', async () => {
  const dir = shared('topology command on the seed');
  if (!dir) return;
  const md = readFileSync(join(dir, 'seed', 'pod-network.md'), 'utf8');
  const blocks = [...md.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]);
  const root = mkdtempSync(join(tmpdir(), 'podpath-seed-'));
  try {
    const w = join(root, 'inc', 'ip-10-32-7-224');
    const c = join(root, 'inc', 'ip-10-32-11-62');
    mkdirSync(w, { recursive: true });
    mkdirSync(c, { recursive: true });
    const routes = blocks.filter((b) => b.startsWith('$ route -n'));
    writeFileSync(join(w, 'ip-addr.txt'), blocks.find((b) => b.startsWith('$ ip addr show') && b.includes('1: lo:'))!);
    writeFileSync(join(c, 'route-n.txt'), routes[0]);
    writeFileSync(join(w, 'route-n.txt'), routes[1]);
    writeFileSync(join(root, 'inc', 'pods.txt'), blocks.find((b) => b.includes('kubectl get pods -o wide') && b.includes('10.42.0.37'))!);
    writeFileSync(join(w, 'eth0.pcap'), Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'));
    const run = async (format: string) => {
      const io = memoryIo(root);
      const code = await topologyCommand.run({ paths: ['inc'], format }, io);
      assert.is(code, 0, io.stderr.join('\n'));
      return io.stdout.join('');
    };
    const j = JSON.parse(await run('json'));
    assert.equal(
      j.overlay.map((o: { host: string; local: string; remotes: { subnet: string; vtep: string; host: string }[] }) => [o.host, o.local, o.remotes.map((r) => `${r.subnet}>${r.vtep}@${r.host}`)]),
      [
        ['ip-10-32-11-62', '10.32.11.62', ['10.42.1.0/24>10.32.7.224@ip-10-32-7-224']],
        ['ip-10-32-7-224', '10.32.7.224', ['10.42.0.0/24>10.32.11.62@ip-10-32-11-62']],
      ],
    );
    assert.equal(j.captures, [{ input: 'inc/ip-10-32-7-224/eth0.pcap', host: 'ip-10-32-7-224', interface: 'eth0', via: 'file-name' }]);
    assert.is(j.hosts[0].routes[0].evidence.input, 'inc/ip-10-32-11-62/route-n.txt', 'relative paths, no machine paths');
    assert.ok((await run('text')).includes('10.42.0.0/24'));
    assert.ok((await run('mermaid')).includes('subgraph'));
    assert.ok((await run('dot')).includes('cluster_'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
