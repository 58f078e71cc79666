/**
 * The committed cilium-geneve scenario (samples/lab/cilium.sh) checked against its own lab.json with
 * tshark and tcpdump as oracles, and the blocked-overlay variants (samples/lab/variants.sh) checked
 * to be byte-identical copies of the seed incident where variant.json says so.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES } from '../helpers.js';
import { listFiles } from './lab.js';

const SCEN = join(SAMPLES, 'cilium-geneve');
const SEED = join(SAMPLES, 'blocked-overlay');
const VARIANTS = ['blocked-overlay-flat', 'blocked-overlay-renamed', 'blocked-overlay-captures-only', 'blocked-overlay-dumps-only', 'blocked-overlay-sessions'];
const NODE_DUMPS = ['ip-addr.txt', 'ip-addr.json', 'ip-route.txt', 'route-n.txt', 'bridge-fdb.txt', 'ip-neigh.txt', 'ip-d-link.txt', 'hostname'];

interface Encap { type: string; port: number; vni: number; outerSrc: string; outerDst: string }
interface Hop { host: string; interface: string; action: string; captures: string[] }
interface Flow {
  id: string; protocol: string; family: string; src: string; dst: string; srcHost: string; dstHost: string;
  kind: string; expect: string; encap?: Encap; path: Hop[];
  reply: { src: string; dst: string; encap?: Encap; path: Hop[] };
}
interface CiliumLab {
  schema: string; scenario: string; nodes: string[];
  hosts: { name: string; role: string; interfaces: { name: string; kind: string }[] }[];
  pods: { name: string; ip: string; ips: string[]; host: string; veth: string }[];
  captures: { file: string; host: string; interface: string; packets: number }[];
  dumps: { file: string }[];
  flows: Flow[];
  expect: { rootCause: string | null; notes: string };
}

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const lab = (): CiliumLab => JSON.parse(readFileSync(join(SCEN, 'lab.json'), 'utf8')) as CiliumLab;

interface GenevePacket { outerSrc: string; outerDst: string; dport: number; vni: number; innerSrc: string; innerDst: string }

const memo = new Map<string, unknown>();
function once<T>(key: string, f: () => T): T {
  if (!memo.has(key)) memo.set(key, f());
  return memo.get(key) as T;
}

/** Geneve packets of a capture as tshark dissects them (outer IPv4, VNI, inner IPv4 or IPv6). */
function tsharkGeneve(file: string): GenevePacket[] {
  return once(`tshark ${file}`, () => tsharkGeneveRead(file));
}
function tsharkGeneveRead(file: string): GenevePacket[] {
  const r = spawnSync('tshark', ['-n', '-r', file, '-Y', 'geneve', '-T', 'fields', '-E', 'separator=\t',
    '-e', 'ip.src', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'geneve.vni', '-e', 'ipv6.src', '-e', 'ipv6.dst'], { encoding: 'utf8' });
  assert.is(r.status, 0, `tshark -r ${file}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => {
    const [src, dst, dport, vni, s6, d6] = l.split('\t');
    const s = src.split(','), d = dst.split(',');
    return { outerSrc: s[0], outerDst: d[0], dport: Number(dport.split(',')[0]), vni: Number(vni),
      innerSrc: s6 || s[1] || '', innerDst: d6 || d[1] || '' };
  });
}

function tcpdumpLines(file: string): string[] {
  return once(`tcpdump ${file}`, () => tcpdumpRead(file));
}
function tcpdumpRead(file: string): string[] {
  const r = spawnSync('tcpdump', ['-nn', '-r', file], { encoding: 'utf8' });
  assert.is(r.status, 0, `tcpdump -r ${file}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim());
}

// --- cilium-geneve: structure -------------------------------------------------------------------

test('cilium-geneve: lab.json names every file, nodes have the seed dumps, no bridge, lxc veths, dual-stack pods', () => {
  const l = lab();
  assert.is(l.schema, 'podpath-lab/1');
  assert.is(l.scenario, 'cilium-geneve');
  assert.is(l.expect.rootCause, null);
  assert.ok(l.expect.notes.length > 20);
  for (const c of l.captures) assert.ok(existsSync(join(SCEN, c.file)), c.file);
  for (const d of l.dumps) assert.ok(existsSync(join(SCEN, d.file)), d.file);
  for (const n of l.nodes) {
    for (const f of NODE_DUMPS) assert.ok(existsSync(join(SCEN, n, f)), `${n}/${f}`);
    assert.is(readFileSync(join(SCEN, n, 'hostname'), 'utf8').trim(), n);
    const host = l.hosts.find((h) => h.name === n)!;
    assert.not.ok(host.interfaces.some((i) => i.kind === 'bridge'), `${n} has no bridge`);
    for (const dev of ['cilium_host', 'cilium_net', 'cilium_geneve']) assert.ok(host.interfaces.some((i) => i.name === dev), `${n}: ${dev}`);
    const routes = readFileSync(join(SCEN, n, 'ip-route.txt'), 'utf8');
    assert.match(routes, /encap ip id \d+ src \S+ dst 10\.32\.\d+\.\d+ .*dev cilium_geneve/);
    assert.match(routes, /^fd00:10:\S+ {2}encap ip id \d+/m, `${n}: IPv6 pod CIDR into the tunnel`);
  }
  const pods = readFileSync(join(SCEN, 'pods.txt'), 'utf8').split('\n');
  for (const p of l.pods) {
    assert.match(p.veth, /^lxc[0-9a-f]{12}$/);
    assert.is(p.ips.length, 2);
    assert.match(p.ips[1], /^fd00:10:/);
    const routes = readFileSync(join(SCEN, p.host, 'ip-route.txt'), 'utf8');
    assert.match(routes, new RegExp(`^${p.ips[0].replace(/\./g, '\\.')} dev ${p.veth} `, 'm'), `${p.name}: /32 route`);
    assert.match(routes, new RegExp(`^${p.ips[1]} dev ${p.veth} `, 'm'), `${p.name}: /128 route`);
    const row = pods.find((r) => r.includes(` ${p.name} `));
    assert.ok(row && row.includes(p.ip) && !row.includes('fd00:'), `pods.txt: ${p.name} with its IPv4 only, as kubectl shows it`);
  }
  const cross = l.flows.filter((f) => f.kind === 'cross-node');
  assert.ok(cross.some((f) => f.family === 'ipv6') && cross.some((f) => f.family === 'ipv4'));
  assert.ok(l.flows.some((f) => f.kind === 'same-node'));
  for (const f of cross) {
    assert.ok(f.encap && f.reply.encap, f.id);
    assert.is(f.encap!.type, 'geneve');
    assert.is(f.encap!.port, 6081);
    assert.is.not(f.encap!.vni, f.reply.encap!.vni, `${f.id}: one VNI per direction`);
    assert.equal(f.path.map((h) => h.action), ['send', 'route', 'encap', 'underlay', 'bridge', 'underlay', 'decap', 'route', 'deliver']);
  }
});

// --- cilium-geneve: the captures (tshark and tcpdump as oracles) ----------------------------------

const tools = have('tshark') && have('tcpdump');
if (!tools) {
  console.log('SKIP cilium-geneve captures: tshark or tcpdump is not installed, committed captures not checked');
} else {
  test('cilium-geneve: every cross-node flow is Geneve on both eth0s with its direction\'s VNI, inner IPv4 and IPv6', () => {
    const l = lab();
    const packets = new Map(l.nodes.map((n) => [n, tsharkGeneve(join(SCEN, n, 'eth0.pcap'))]));
    for (const [n, ps] of packets) {
      assert.ok(ps.length > 0, `${n}/eth0.pcap holds Geneve`);
      for (const p of ps) assert.is(p.dport, 6081);
      assert.ok(ps.some((p) => p.innerSrc.includes(':')), `${n}: inner IPv6 in Geneve`);
      assert.ok(ps.some((p) => /^10\.0\./.test(p.innerSrc)), `${n}: inner IPv4 in Geneve`);
      // The VNI belongs to the direction: one value per outer source.
      const bySrc = new Map<string, Set<number>>();
      for (const p of ps) bySrc.set(p.outerSrc, (bySrc.get(p.outerSrc) ?? new Set()).add(p.vni));
      assert.is(bySrc.size, 2, `${n}: both directions`);
      const vnis = [...bySrc.values()].map((s) => [...s]);
      for (const v of vnis) assert.is(v.length, 1, `${n}: one VNI per direction`);
      assert.is.not(vnis[0][0], vnis[1][0]);
    }
    for (const f of l.flows.filter((x) => x.kind === 'cross-node')) {
      for (const [dir, src, dst, enc] of [['request', f.src, f.dst, f.encap!], ['reply', f.reply.src, f.reply.dst, f.reply.encap!]] as const) {
        for (const [n, ps] of packets) {
          const hit = ps.filter((p) => p.innerSrc === src && p.innerDst === dst);
          assert.ok(hit.length > 0, `${f.id} ${dir} on ${n}/eth0.pcap`);
          for (const p of hit) {
            assert.is(p.vni, enc.vni, `${f.id} ${dir}: VNI`);
            assert.is(p.outerSrc, enc.outerSrc);
            assert.is(p.outerDst, enc.outerDst);
          }
        }
      }
    }
  });

  test('cilium-geneve: tcpdump agrees (Geneve lines and VNIs), no VXLAN anywhere, same-node traffic only on lxc', () => {
    const l = lab();
    for (const n of l.nodes) {
      const lines = tcpdumpLines(join(SCEN, n, 'eth0.pcap'));
      const gen = lines.filter((x) => / > \S+\.6081: Geneve, /.test(x));
      assert.is(gen.length, tsharkGeneve(join(SCEN, n, 'eth0.pcap')).length, `${n}: tcpdump and tshark count the same Geneve packets`);
      for (const f of l.flows.filter((x) => x.kind === 'cross-node')) {
        const vni = `vni 0x${f.encap!.vni.toString(16)}`;
        assert.ok(gen.some((x) => x.includes(vni) && x.includes(`${f.src} > ${f.dst}`)), `${n}: ${f.id} under ${vni}`);
      }
      for (const c of l.captures.filter((x) => x.host === n)) {
        const text = tcpdumpLines(join(SCEN, c.file));
        assert.is(text.length, c.packets, `${c.file}: packet count as lab.json says`);
        assert.not.ok(text.some((x) => /\.8472: /.test(x)), `${c.file}: no VXLAN`);
      }
      const inner = tcpdumpLines(join(SCEN, n, 'cilium_geneve.pcap'));
      assert.not.ok(inner.some((x) => /\.6081: /.test(x)), `${n}/cilium_geneve.pcap holds inner frames only`);
    }
    for (const f of l.flows.filter((x) => x.kind === 'same-node')) {
      for (const hop of [f.path[1], f.path[2]]) {
        for (const c of hop.captures) {
          assert.ok(tcpdumpLines(join(SCEN, c)).some((x) => x.includes(` ${f.src}`) && x.includes(f.dst)), `${f.id} on ${c}`);
        }
      }
      for (const n of l.nodes) {
        for (const c of [`${n}/eth0.pcap`, `${n}/cilium_geneve.pcap`]) {
          assert.not.ok(tsharkGeneve(join(SCEN, c)).some((p) => p.innerSrc === f.src && p.innerDst === f.dst), `${f.id} not tunnelled (${c})`);
          assert.not.ok(tcpdumpLines(join(SCEN, c)).some((x) => x.includes(`${f.src}.`) || x.includes(`${f.src} >`)), `${f.id} absent from ${c}`);
        }
      }
    }
  });
}

// --- blocked-overlay variants -------------------------------------------------------------------

interface Variant {
  schema: string; variant: string; derivedFrom: string;
  files: { file: string; sha256: string; from: string | null; madeFrom?: string[] }[];
  expect: { rootCause: string | null; sameAs: string; gaps: string[] };
}

test('variants: each lists every file it holds; copies are byte-identical to the seed incident (sha256)', () => {
  for (const name of VARIANTS) {
    const dir = join(SAMPLES, 'variants', name);
    const v = JSON.parse(readFileSync(join(dir, 'variant.json'), 'utf8')) as Variant;
    assert.is(v.schema, 'podpath-variant/1');
    assert.is(v.variant, `variants/${name}`);
    assert.is(v.derivedFrom, 'samples/blocked-overlay');
    assert.is(v.expect.sameAs, 'samples/blocked-overlay');
    assert.ok(v.expect.rootCause === 'overlay-blocked' || v.expect.rootCause === null, name);
    assert.ok(Array.isArray(v.expect.gaps));
    const held = listFiles(dir).filter((f) => f !== 'variant.json');
    assert.equal(v.files.map((f) => f.file).sort(), held, `${name}: variant.json lists exactly the files`);
    for (const f of v.files) {
      assert.is(sha(join(dir, f.file)), f.sha256, `${name}/${f.file}: recorded sha256`);
      if (f.from !== null) assert.is(sha(join(SEED, f.from)), f.sha256, `${name}/${f.file} is a copy of blocked-overlay/${f.from}`);
      else assert.ok(f.madeFrom && f.madeFrom.length > 0, `${name}/${f.file}: made from seed files`);
    }
    const pcaps = held.filter((f) => f.endsWith('.pcap'));
    if (name.endsWith('dumps-only')) {
      assert.is(pcaps.length, 0);
      assert.is(v.expect.rootCause, null, 'dumps alone cannot show the drop');
    } else {
      assert.is(pcaps.length, 6, `${name}: the six seed captures`);
    }
    if (name.endsWith('captures-only')) assert.is(held.length, 6);
  }
});

test('variants: the pasted sessions are CRLF transcripts whose outputs are the seed dumps byte for byte', () => {
  const dir = join(SAMPLES, 'variants', 'blocked-overlay-sessions');
  const v = JSON.parse(readFileSync(join(dir, 'variant.json'), 'utf8')) as Variant;
  const sessions = v.files.filter((f) => f.from === null);
  assert.is(sessions.length, 2);
  for (const s of sessions) {
    const node = s.file.split('/')[0];
    const text = readFileSync(join(dir, s.file), 'utf8');
    assert.not.match(text, /[^\r]\n/, `${s.file}: CRLF only`);
    const lines = text.replace(/\r\n/g, '\n').split('\n');
    const prompt = `root@${node}:~# `;
    const cmds: { cmd: string; out: string[] }[] = [];
    for (const line of lines) {
      if (line.startsWith(prompt)) cmds.push({ cmd: line.slice(prompt.length), out: [] });
      else cmds[cmds.length - 1]?.out.push(line);
    }
    assert.equal(cmds.map((c) => c.cmd), ['hostname', 'ip addr show', 'ip route', 'route -n', 'bridge fdb show', 'ip neigh', '']);
    assert.is(cmds.length - 1, s.madeFrom!.length);
    s.madeFrom!.forEach((src, i) => {
      assert.is(cmds[i].out.join('\n') + '\n', readFileSync(join(SEED, src), 'utf8'), `${s.file}: ${cmds[i].cmd} prints blocked-overlay/${src}`);
    });
  }
});

test.run();
