import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES } from '../helpers.js';
import {
  ACTIONS,
  SCENARIOS,
  checkFlowsAgainstCaptures,
  freshLab,
  hasTcpdump,
  labUnavailable,
  listFiles,
  readLab,
  tcpdumpText,
} from './lab.js';

const KUBECTL_HEADER = /^NAMESPACE\s{3,}NAME\s{3,}READY\s{3,}STATUS\s{3,}RESTARTS\s{3,}AGE\s{3,}IP\s{3,}NODE\s{3,}NOMINATED NODE\s{3,}READINESS GATES$/;

// --- the committed samples (everywhere) ------------------------------------------------------

test('committed samples: every scenario has lab.json, pods.txt and every file lab.json names', () => {
  for (const s of SCENARIOS) {
    const lab = readLab(SAMPLES, s);
    assert.is(lab.schema, 'podpath-lab/1');
    assert.is(lab.scenario, s);
    const pods = readFileSync(join(SAMPLES, s, 'pods.txt'), 'utf8').split('\n');
    assert.match(pods[0], KUBECTL_HEADER);
    for (const p of lab.pods) assert.ok(pods.some((l) => l.includes(` ${p.name} `) && l.includes(p.ip) && l.includes(p.host)), `${s}: pods.txt lists ${p.name}`);
    for (const c of lab.captures) assert.ok(existsSync(join(SAMPLES, s, c.file)), `${s}: ${c.file}`);
    for (const d of lab.dumps) assert.ok(existsSync(join(SAMPLES, s, d.file)), `${s}: ${d.file}`);
    for (const n of lab.nodes) {
      for (const f of ['ip-addr.txt', 'route-n.txt', 'bridge-vlan.txt', 'hostname']) {
        assert.ok(existsSync(join(SAMPLES, s, n, f)), `${s}/${n}/${f}`);
      }
      assert.is(readFileSync(join(SAMPLES, s, n, 'hostname'), 'utf8').trim(), n);
    }
    const sessions = listFiles(join(SAMPLES, s)).filter((f) => f.endsWith('/session.txt'));
    assert.is(sessions.length, 1, `${s}: one session.txt`);
    const session = readFileSync(join(SAMPLES, s, sessions[0]), 'utf8');
    assert.ok(session.startsWith('$ ip addr show\r\n') && session.includes('\r\n$ route -n\r\n') && session.includes('\r\n$ bridge vlan\r\n'));
    assert.not.match(session, /[^\r]\n/);
    for (const f of lab.flows) {
      for (const h of [...f.path, ...(f.reply?.path ?? [])]) {
        assert.ok((ACTIONS as readonly string[]).includes(h.action), `${s}: ${f.id}: action ${h.action}`);
        assert.ok(lab.hosts.some((x) => x.name === h.host), `${s}: ${f.id}: host ${h.host}`);
      }
      assert.is(f.path[0].action, 'send', `${s}: ${f.id} starts with send`);
      assert.is(f.path[f.path.length - 1].action, f.expect === 'ok' ? 'deliver' : 'drop', `${s}: ${f.id} ends`);
    }
  }
});

test('committed samples: under 2 MB and free of machine paths', () => {
  let total = 0;
  for (const f of listFiles(SAMPLES)) {
    total += statSync(join(SAMPLES, f)).size;
    if (f.startsWith('lab/')) continue;
    const text = readFileSync(join(SAMPLES, f)).toString('latin1');
    assert.not.match(text, /\/(work|tmp|root|home)\//, `${f} names a path of the machine that made it`);
  }
  assert.ok(total < 2 * 1024 * 1024, `samples/ is ${total} bytes`);
});

test('committed samples: the captures hold every flow lab.json describes', () => {
  if (!hasTcpdump()) {
    console.log('SKIP lab: tcpdump is not installed, committed captures not checked');
    return;
  }
  for (const s of SCENARIOS) assert.equal(checkFlowsAgainstCaptures(SAMPLES, s), [], s);
});

// --- a fresh run of the lab (root with working `ip netns add` only) ---------------------------

const why = labUnavailable();
if (why) {
  console.log(`SKIP lab: ${why}; the namespace lab was not run`);
} else {
  test('lab: runs all scenarios and leaves no namespace behind', () => {
    const run = freshLab();
    console.log(`  lab took ${run.seconds.toFixed(1)}s`);
    assert.equal(run.leftovers, []);
    assert.ok(run.seconds < 240, `lab took ${run.seconds}s`);
  });

  test('lab: fresh output has the same files as the committed samples', () => {
    const { dir } = freshLab();
    for (const s of SCENARIOS) assert.equal(listFiles(join(dir, s)), listFiles(join(SAMPLES, s)), s);
  });

  test('lab: every flow is in the captures lab.json names, and lost flows are absent further on', () => {
    const { dir } = freshLab();
    for (const s of SCENARIOS) assert.equal(checkFlowsAgainstCaptures(dir, s), [], s);
  });

  test('lab: cross-node eth0 carries UDP 8472 to the other node (OTV, instance 1)', () => {
    const { dir } = freshLab();
    const cp = tcpdumpText(join(dir, 'cross-node/ip-10-32-11-62/eth0.pcap'));
    const wk = tcpdumpText(join(dir, 'cross-node/ip-10-32-7-224/eth0.pcap'));
    assert.match(cp, /IP 10\.32\.11\.62\.\d+ > 10\.32\.7\.224\.8472: OTV, flags \[I\] \(0x08\), overlay 0, instance 1\nIP 10\.42\.0\.37 > 10\.42\.1\.39: ICMP echo request/);
    assert.match(wk, /IP 10\.32\.11\.62\.\d+ > 10\.32\.7\.224\.8472: OTV/);
    assert.match(wk, /IP 10\.32\.7\.224\.\d+ > 10\.32\.11\.62\.8472: OTV[^\n]*\nIP 10\.42\.1\.39 > 10\.42\.0\.37: ICMP echo reply/);
    const lab = readLab(dir, 'cross-node');
    assert.is(lab.captures.find((c) => c.interface === 'any')?.linktypeName, lab.kernel.anyLinktype ?? undefined);
    assert.is(lab.captures.find((c) => c.file.endsWith('eth0-nano.pcap'))?.precision, 'nano');
    assert.is(lab.captures.find((c) => c.file.endsWith('.pcapng'))?.format, 'pcapng');
  });

  test('lab: blocked-overlay sends VXLAN from the control plane but nothing 8472 arrives at the worker', () => {
    const { dir } = freshLab();
    const cp = tcpdumpText(join(dir, 'blocked-overlay/ip-10-32-11-62/eth0.pcap'));
    const wk = tcpdumpText(join(dir, 'blocked-overlay/ip-10-32-7-224/eth0.pcap'));
    assert.match(cp, /IP 10\.32\.11\.62\.\d+ > 10\.32\.7\.224\.8472: OTV/);
    assert.not.match(wk, /\.8472: /);
    assert.not.match(tcpdumpText(join(dir, 'blocked-overlay/ip-10-32-7-224/cni0.pcap')), /10\.42\.0\.37/);
    const lab = readLab(dir, 'blocked-overlay');
    assert.ok((lab.underlay.filter?.dropped ?? 0) > 0);
    for (const f of lab.flows.filter((x) => x.kind === 'cross-node')) assert.is(f.expect, 'lost', f.id);
  });

  test('lab: same-node cni0 shows ARP, then ICMP echo request and reply', () => {
    const { dir } = freshLab();
    const lines = tcpdumpText(join(dir, 'same-node/ip-10-32-7-224/cni0.pcap')).split('\n');
    const arp = lines.findIndex((l) => /ARP, Request who-has 10\.42\.1\.38 tell 10\.42\.1\.37/.test(l));
    const req = lines.findIndex((l) => /IP 10\.42\.1\.37 > 10\.42\.1\.38: ICMP echo request/.test(l));
    const rep = lines.findIndex((l) => /IP 10\.42\.1\.38 > 10\.42\.1\.37: ICMP echo reply/.test(l));
    assert.ok(arp >= 0 && req > arp && rep > req, `ARP ${arp}, request ${req}, reply ${rep}`);
  });

  test('lab: intra-pod lo has TCP to :80 and :8080', () => {
    const { dir } = freshLab();
    const lo = tcpdumpText(join(dir, 'intra-pod/test/lo.pcap'));
    assert.match(lo, /IP 127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.80: Flags \[S\]/);
    assert.match(lo, /IP 127\.0\.0\.1\.\d+ > 127\.0\.0\.1\.8080: Flags \[S\]/);
    const netstat = readFileSync(join(dir, 'intra-pod/test/netstat-anp.txt'), 'utf8');
    assert.match(netstat, /0\.0\.0\.0:80\s+0\.0\.0\.0:\*\s+LISTEN/);
    assert.match(netstat, /0\.0\.0\.0:8080\s+0\.0\.0\.0:\*\s+LISTEN/);
  });
}

test.run();
