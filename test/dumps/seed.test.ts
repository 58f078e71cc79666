/**
 * The seed blog post (../shared/seed/pod-network.md): its fenced blocks, found in the test (not copied),
 * parsed the way a user pasting them would get them parsed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDump } from '../../src/dumps/index.js';
import type {
  BridgeVlanRecord,
  DumpSection,
  IpAddrRecord,
  KubectlPodRecord,
  RouteRecord,
  SocketRecord,
} from '../../src/dumps/types.js';
import { shared } from '../helpers.js';
import { describe, fencedBlocks, withoutLines } from './util.js';

const base = shared('seed dump tests');

if (base) {
  const md = readFileSync(join(base, 'seed', 'pod-network.md'), 'utf8');
  const blocks = fencedBlocks(md);
  /** Sections of every block whose first line is the prompt `$ <typed>`. */
  const sectionsOf = (typed: RegExp): DumpSection[][] =>
    blocks.filter((b) => typed.test(b.text.split('\n')[0])).map((b) => parseDump('pod-network.md', b.text));
  const only = (typed: RegExp): DumpSection[][] => {
    const s = sectionsOf(typed);
    assert.ok(s.length > 0, `no block starts with ${typed}`);
    return s;
  };

  test('seed: ip addr show -> 5 interfaces with the right fields', () => {
    const full = only(/^\$ ip addr show$/).find((s) => (s[0].records as IpAddrRecord[]).length === 5)!;
    assert.ok(full, 'the 5-interface block');
    assert.is(full.length, 1);
    assert.is(full[0].command, 'ip-addr');
    assert.is(full[0].commandLine, 'ip addr show');
    assert.equal(full[0].problems, []);
    const r = full[0].records as IpAddrRecord[];
    assert.equal(r.map((x) => [x.index, x.name]), [[1, 'lo'], [2, 'eth0'], [3, 'flannel.1'], [4, 'cni0'], [5, 'vetha2194963']]);
    const veth = r[4];
    assert.is(veth.peer, 'if2');
    assert.is(veth.master, 'cni0');
    assert.is(veth.linkNetns, 'cni-3cb42f8b-53d8-58ac-1f0a-b379faa755c5');
    assert.is(veth.mtu, 8951);
    assert.is(veth.mac, 'a2:d8:d0:e5:8e:59');
    assert.equal(veth.addresses.map((a) => `${a.address}/${a.prefixLength}`), ['fe80::a0d8:d0ff:fee5:8e59/64']);
    const flannel = r[2];
    assert.is(flannel.mtu, 8951);
    assert.equal(withoutLines(flannel.addresses[0]), { family: 'inet', address: '10.42.1.0', prefixLength: 32, scope: 'global', label: 'flannel.1' });
    assert.is(flannel.state, 'UNKNOWN');
    assert.equal(withoutLines(r[1].addresses[0]), {
      family: 'inet', address: '10.32.7.224', prefixLength: 20, broadcast: '10.32.15.255', scope: 'global', label: 'eth0', flags: ['dynamic'],
    });
    assert.is(r[3].addresses[0].address, '10.42.1.1');
    assert.is(r[0].linkType, 'loopback');
    // the line of each record is the line of its header in the pasted text
    const text = blocks.find((b) => b.text.includes('vetha2194963@if2'))!.text.split('\n');
    assert.ok(text[veth.line - 1].startsWith('5: vetha2194963@if2:'));
  });

  test('seed: both route -n tables (flannel routes the other node\'s /24 via flannel.1, flags UG)', () => {
    const tables = only(/^\$ route -n$/).map((s) => {
      assert.is(s.length, 1, describe(s));
      assert.is(s[0].command, 'route-n');
      assert.equal(s[0].problems, []);
      return s[0].records as RouteRecord[];
    });
    assert.ok(tables.length >= 2);
    const node1 = tables.find((t) => t.some((r) => r.destination === '10.42.1.0/24' && r.interface === 'flannel.1'))!;
    const node2 = tables.find((t) => t.some((r) => r.destination === '10.42.0.0/24' && r.interface === 'flannel.1'))!;
    assert.ok(node1 && node2);
    assert.equal(withoutLines(node1.find((r) => r.destination === '10.42.1.0/24')), {
      destination: '10.42.1.0/24', gateway: '10.42.1.0', family: 'inet', flags: 'UG', metric: 0, interface: 'flannel.1',
    });
    assert.equal(withoutLines(node1.find((r) => r.destination === '10.42.0.0/24')), {
      destination: '10.42.0.0/24', family: 'inet', flags: 'U', metric: 0, interface: 'cni0',
    });
    assert.is(node1.length, 6);
    assert.is(node2.length, 5);
    assert.equal(node2.find((r) => r.destination === '10.42.0.0/24')!.gateway, '10.42.0.0');
    assert.equal(node2.find((r) => r.destination === '0.0.0.0/0')!.gateway, '10.32.0.1');
    assert.equal(node2.find((r) => r.destination === '169.254.169.254/32')!.flags, 'UH');
  });

  test('seed: bridge vlan (cni0 and vetha2194963, VLAN 1 PVID untagged)', () => {
    const [s] = only(/^\$ bridge vlan$/);
    assert.is(s[0].command, 'bridge-vlan');
    assert.equal(withoutLines(s[0].records as BridgeVlanRecord[]), [
      { port: 'cni0', vlans: [{ vlan: 1, pvid: true, untagged: true }] },
      { port: 'vetha2194963', vlans: [{ vlan: 1, pvid: true, untagged: true }] },
    ]);
  });

  test('seed: kubectl get pods -o wide', () => {
    const all = only(/^\$ kubectl get pods -o wide$/).map((s) => {
      assert.is(s[0].command, 'kubectl-pods');
      assert.equal(s[0].problems, []);
      return s[0].records as KubectlPodRecord[];
    });
    const two = all.find((r) => r.length === 2)!;
    assert.equal(withoutLines(two), [
      { name: 'pod2', ready: '1/1', status: 'Running', restarts: '0', age: '5s', ip: '10.42.0.37', node: 'ip-10-32-11-62.ap-northeast-2.compute.internal' },
      { name: 'pod1', ready: '1/1', status: 'Running', restarts: '0', age: '5s', ip: '10.42.1.39', node: 'ip-10-32-7-224.ap-northeast-2.compute.internal' },
    ]);
    const test1 = all.find((r) => r.length === 1)!;
    assert.is(test1[0].ip, '10.42.1.36');
  });

  test('seed: `k get pods -A -o wide` with RESTARTS "6 (97m ago)"', () => {
    const [s] = only(/^\$ k get pods -A -o wide$/);
    assert.is(s[0].command, 'kubectl-pods');
    assert.equal(withoutLines(s[0].records), [
      {
        namespace: 'kube-system', name: 'svclb-traefik-549b62e4-dqvvz', ready: '2/2', status: 'Running', restarts: '6 (97m ago)', age: '18h',
        ip: '10.42.1.34', node: 'ip-10-32-7-224.ap-northeast-2.compute.internal',
      },
    ]);
  });

  test('seed: kubectl get pods without -o wide has no IP or node', () => {
    const [s] = only(/^\$ kubectl get pods$/);
    const r = s[0].records as KubectlPodRecord[];
    assert.equal(r.map((x) => [x.name, x.ip, x.node]), [['pod2', '', ''], ['pod1', '', '']]);
  });

  test('seed: netstat -anp listening on 0.0.0.0:80 and :8080', () => {
    // the first netstat block has no prompt: recognized by content
    const first = blocks.map((b) => parseDump('pod-network.md', b.text)).find((s) => s[0].command === 'sockets' && !s[0].commandLine)!;
    assert.ok(first);
    const r1 = first[0].records as SocketRecord[];
    assert.equal(withoutLines(r1[0]), { proto: 'tcp', localAddress: '0.0.0.0', localPort: 80, state: 'LISTEN' });
    assert.equal(withoutLines(r1[1]), { proto: 'tcp', localAddress: '127.0.0.1', localPort: 56286, foreignAddress: '127.0.0.1', foreignPort: 80, state: 'TIME_WAIT' });
    const [s] = only(/^\$ kubectl exec test -it -c debug -- netstat -anp$/);
    assert.is(s[0].command, 'sockets');
    const listening = (s[0].records as SocketRecord[]).filter((x) => x.state === 'LISTEN').map((x) => `${x.localAddress}:${x.localPort}`);
    assert.equal(listening, ['0.0.0.0:8080', '0.0.0.0:80']);
  });

  test('seed: `netstat -a | grep udp` with service names', () => {
    const [s] = only(/^\$ netstat -a \| grep udp$/);
    assert.is(s[0].command, 'sockets');
    assert.equal((s[0].records as SocketRecord[]).map((x) => `${x.proto} ${x.localPort}`), ['udp 68', 'udp 111', 'udp 8472']);
  });

  test('seed: every fenced block parses without throwing; other commands are reported as unknown', () => {
    let unknown = 0;
    for (const b of blocks) {
      const s = parseDump('pod-network.md', b.text);
      assert.ok(s.length >= 1);
      for (const sec of s) {
        if (sec.command === 'unknown') {
          unknown++;
          assert.ok(sec.problems.length === 1 && sec.problems[0].line >= 1, describe(s));
        }
      }
    }
    assert.ok(unknown > 5); // kubectl create, ping, tcpdump, vi, curl, ...
    const [zsh] = only(/^\$ kubectl exec test -it -c debug -- zsh$/);
    assert.is(zsh[0].command, 'unknown');
    assert.match(zsh[0].problems[0].message, /'zsh' is not one podpath reads/);
  });
}

test.run();
