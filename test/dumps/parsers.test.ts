/**
 * Every parser on empty input and on wrong input (another command's output, binary junk): a clear
 * problem with a line number, never an exception. Formats the corpus lacks (ip -o/-br addr, ip -j route,
 * multipath, kubectl get nodes, ss, ...) and pasted sessions with every prompt style, colours, CRLF,
 * elisions, tabs, indentation and a last prompt without newline.
 */
import { test } from 'uvu';
import fc from 'fast-check';
import * as assert from 'uvu/assert';
import { parseDump, detectDump, parsers, nameHints } from '../../src/dumps/index.js';
import { commandFor, splitSession } from '../../src/dumps/session.js';
import type {
  BridgeFdbRecord,
  BridgeVlanRecord,
  DumpCommand,
  IpAddrRecord,
  KubectlNodeRecord,
  LinkRecord,
  NeighRecord,
  RouteRecord,
  SocketRecord,
} from '../../src/dumps/types.js';
import { describe, withoutLines } from './util.js';

/** One typical output per command, for wrong-input tests and detection. */
const SAMPLE: Record<Exclude<DumpCommand, 'unknown'>, string> = {
  'ip-addr': `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 8951 qdisc noqueue state UP group default
    link/ether 0a:58:0a:2a:01:27 brd ff:ff:ff:ff:ff:ff link-netnsid 0
    inet 10.42.1.39/24 brd 10.42.1.255 scope global eth0
       valid_lft forever preferred_lft forever
`,
  'ip-route': `default via 10.32.0.1 dev eth0 proto dhcp src 10.32.7.224 metric 100
10.42.0.0/24 via 10.42.0.0 dev flannel.1 onlink
10.42.1.0/24 dev cni0 proto kernel scope link src 10.42.1.1
`,
  'route-n': `Kernel IP routing table
Destination     Gateway         Genmask         Flags Metric Ref    Use Iface
0.0.0.0         10.32.0.1       0.0.0.0         UG    0      0        0 eth0
10.42.0.0       10.42.0.0       255.255.255.0   UG    0      0        0 flannel.1
`,
  'bridge-vlan': `port              vlan-id
cni0              1 PVID Egress Untagged
vetha2194963      1 PVID Egress Untagged
`,
  'bridge-fdb': `6a:74:6a:77:30:3a dev flannel.1 dst 10.32.11.62 self permanent
33:33:00:00:00:01 dev cni0 self permanent
`,
  'ip-neigh': `10.42.0.0 dev flannel.1 lladdr 6a:74:6a:77:30:3a PERMANENT
10.32.0.1 dev eth0 lladdr 02:c4:3b:6d:1a:7e REACHABLE
`,
  'ip-link': `3: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 8951 qdisc noqueue state UNKNOWN mode DEFAULT group default
    link/ether 2e:98:28:11:0b:8e brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535
    vxlan id 1 local 10.32.7.224 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx addrgenmode eui64 numtxqueues 1
`,
  'kubectl-pods': `NAME   READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES
pod1   1/1     Running   0          5s    10.42.1.39   node-a   <none>           <none>
`,
  'kubectl-nodes': `NAME     STATUS   ROLES                  AGE   VERSION        INTERNAL-IP   EXTERNAL-IP   OS-IMAGE             KERNEL-VERSION   CONTAINER-RUNTIME
node-a   Ready    control-plane,master   18h   v1.27.7+k3s2   10.32.7.224   <none>        Ubuntu 22.04.3 LTS   6.2.0-1016-aws   containerd://1.7.7-k3s1
`,
  sockets: `Active Internet connections (servers and established)
Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name
tcp        0      0 0.0.0.0:80              0.0.0.0:*               LISTEN      1/nginx
`,
  hostname: `node-a
`,
};

const JUNK = Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x50, 0x4b, 0x03, 0x04, 0x00, 0x9c, 0x1b, 0x00, 0x00, 0x00, 0x10]);

for (const p of parsers) {
  const cmd = p.info.command as Exclude<DumpCommand, 'unknown'>;
  test(`${cmd} (${p.info.description.split(' ')[0]}...): empty input gives nothing and no problem`, () => {
    for (const lines of [[], [''], ['   ', '']]) {
      const r = p.parse(lines, 1);
      assert.equal(r.records, []);
      assert.equal(r.problems, []);
      assert.is(p.info.detect(lines), 0);
    }
  });

  test(`${cmd}: another command's output is refused with a line number, never an exception`, () => {
    for (const [other, text] of Object.entries(SAMPLE)) {
      if (other === cmd || other === 'hostname') continue;
      if ((cmd === 'ip-addr' && other === 'ip-link') || (cmd === 'ip-link' && other === 'ip-addr')) continue; // same header format
      const lines = text.trimEnd().split('\n');
      const firstLine = 11;
      let r: { records: unknown[]; problems: { line: number; message: string }[] } | undefined;
      try {
        r = p.parse(lines, firstLine);
      } catch (e) {
        assert.unreachable(`${cmd} threw on ${other}: ${e}`);
      }
      assert.ok(r!.problems.length > 0, `${cmd} on ${other}: no problem, records ${JSON.stringify(r!.records)}`);
      for (const pr of r!.problems) {
        assert.ok(pr.line >= firstLine && pr.line < firstLine + lines.length, `${cmd} on ${other}: line ${pr.line}`);
        assert.ok(pr.message.length > 10);
      }
      assert.ok(p.info.detect(lines) < 0.5 || p.info.command === other, `${cmd} detects ${other} at ${p.info.detect(lines)}`);
    }
  });

  test(`${cmd}: binary junk is refused, never an exception`, () => {
    const lines = JUNK.toString('latin1').split('\n');
    const r = p.parse(lines, 1);
    assert.equal(r.records.length, 0);
    assert.ok(p.info.detect(lines) < 0.3);
  });
}

test('every sample is detected as its own command, and parses without problems', () => {
  for (const [cmd, text] of Object.entries(SAMPLE)) {
    const name = cmd === 'hostname' ? 'node-a/hostname' : `dump-${cmd}.txt`;
    const s = parseDump(name, text);
    assert.is(s.length, 1, describe(s));
    assert.is(s[0].command, cmd, describe(s));
    assert.equal(s[0].problems, []);
    assert.ok(s[0].records.length > 0);
    assert.is(detectDump(text, name).command, cmd);
  }
});

test('parseDump: binary junk, NUL text, empty input, unrecognized text: one clear problem at line 1', () => {
  for (const input of [JUNK, '\u0000abc', Buffer.alloc(0), '', '\n\n  \n', 'Lorem ipsum dolor sit amet\nconsectetur\n']) {
    const s = parseDump('x.txt', input);
    assert.is(s.length, 1);
    assert.is(s[0].command, 'unknown');
    assert.is(s[0].problems.length, 1);
    assert.is(s[0].problems[0].line, 1);
    assert.match(s[0].problems[0].message, /binary|empty|not recognized/);
  }
  // a pcap file handed over as a dump
  const pcap = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');
  assert.match(parseDump('x.pcap', pcap)[0].problems[0].message, /binary data/);
});

test('parseDump: the file name only breaks ties; a wrong name is a problem with the line', () => {
  const s = parseDump('ip-addr.txt', '\n' + SAMPLE['route-n']);
  assert.is(s[0].command, 'route-n');
  assert.equal(s[0].problems.map((p) => p.line), [2]);
  assert.match(s[0].problems[0].message, /name suggests ip addr output but the content is route -n output/);
  // a name that does not match any command is fine
  assert.equal(parseDump('node1.txt', SAMPLE['route-n'])[0].problems, []);
  // ip addr of a link without addresses looks like ip link; the name decides
  const noAddr = '7: vxlan0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default qlen 1000\n    link/ether b6:f6:12:c3:2d:52 brd ff:ff:ff:ff:ff:ff\n';
  assert.is(parseDump('ip-addr.txt', noAddr)[0].command, 'ip-addr');
  assert.is(parseDump('ip-link.txt', noAddr)[0].command, 'ip-link');
  assert.equal(nameHints('samples/x/node1/ip-d-link.txt'), ['ip-link']);
  assert.equal(nameHints('route-n.txt'), ['route-n']);
  assert.equal(nameHints('pods.txt'), ['kubectl-pods']);
  assert.equal(nameHints('bridge-vlan.txt'), ['bridge-vlan']);
});

test('parseDump: non-UTF-8 bytes decode as Latin-1, CRLF and BOM are removed', () => {
  const text = '\ufeffKernel IP routing table\r\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\r\n10.42.0.0       0.0.0.0         255.255.255.0   U     0      0        0 cni\xe90\r\n';
  const s = parseDump('x', Buffer.from(text.replace('\ufeff', ''), 'latin1'));
  assert.is((s[0].records[0] as RouteRecord).interface, 'cni\u00e90');
  const s2 = parseDump('x', text);
  assert.is((s2[0].records[0] as RouteRecord).line, 3);
});

// --- a pasted session -------------------------------------------------------------------------

const ESC = '\u001b';
const SESSION = [
  `${ESC}[01;32mroot@node-a${ESC}[00m:${ESC}[01;34m~${ESC}[00m# ip -c a`,
  `1: ${ESC}[36mlo: ${ESC}[0m<LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state ${ESC}[36mUNKNOWN ${ESC}[0mgroup default qlen 1000`,
  `    link/loopback ${ESC}[33m00:00:00:00:00:00${ESC}[0m brd ${ESC}[33m00:00:00:00:00:00${ESC}[0m`,
  `    inet ${ESC}[35m127.0.0.1${ESC}[0m/8 scope host lo`,
  `[...]`,
  `5: ${ESC}[36mvetha2194963@if2: ${ESC}[0m<BROADCAST,MULTICAST,UP,LOWER_UP> mtu 8951 qdisc noqueue master cni0 state ${ESC}[32mUP ${ESC}[0mgroup default`,
  `    link/ether a2:d8:d0:e5:8e:59 brd ff:ff:ff:ff:ff:ff link-netns cni-3cb42f8b`,
  `$ route -n`,
  `Kernel IP routing table`,
  `Destination     Gateway         Genmask         Flags Metric Ref    Use Iface`,
  `0.0.0.0         10.32.0.1       0.0.0.0         UG    0      0        0 eth0`,
  `...`,
  `10.42.0.0       10.42.0.0       255.255.255.0   UG    0      0        0 flannel.1`,
  ``,
  `# bridge vlan`,
  `port              vlan-id`,
  `cni0              1 PVID Egress Untagged`,
  `[root@node-b ~]$ k get pods -A -o wide`,
  `NAMESPACE     NAME                                     READY   STATUS      RESTARTS      AGE   IP           NODE     NOMINATED NODE   READINESS GATES`,
  `kube-system   svclb-traefik-549b62e4-dqvvz             2/2     Running     6 (97m ago)   18h   10.42.1.34   node-a   <none>           <none>`,
  `user@node-b:/tmp$ kubectl exec -n default pod1 -c debug -- netstat -anp`,
  `Active Internet connections (servers and established)`,
  `Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name`,
  `tcp        0      0 0.0.0.0:8080            0.0.0.0:*               LISTEN      -`,
  `$ vi notes.txt`,
  `$ ip r`,
  `\tdefault via 10.32.0.1 dev eth0`,
  `\t10.42.0.0/24 via 10.42.0.0 dev flannel.1 onlink`,
  `$ ip -4 address show dev cni0`,
  `4: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 8951 qdisc noqueue state UP group default qlen 1000`,
  `    inet 10.42.1.1/24 brd 10.42.1.255 scope global cni0`,
  `root@node-a:~# `,
].join('\r\n');

test('session: prompts of every style split the paste; each part is parsed by the command typed', () => {
  const s = parseDump('session.txt', SESSION);
  assert.equal(
    s.map((x) => [x.command, x.line, x.commandLine]),
    [
      ['ip-addr', 2, 'ip -c a'],
      ['route-n', 9, 'route -n'],
      ['bridge-vlan', 16, 'bridge vlan'],
      ['kubectl-pods', 19, 'k get pods -A -o wide'],
      ['sockets', 22, 'kubectl exec -n default pod1 -c debug -- netstat -anp'],
      ['unknown', 26, 'vi notes.txt'],
      ['ip-route', 27, 'ip r'],
      ['ip-addr', 30, 'ip -4 address show dev cni0'],
    ],
    describe(s),
  );
  for (const x of s.filter((y) => y.command !== 'unknown')) assert.equal(x.problems, [], describe(s));
  const addr = s[0].records as IpAddrRecord[];
  assert.equal(addr.map((r) => [r.name, r.peer, r.master, r.linkNetns, r.line]), [
    ['lo', undefined, undefined, undefined, 2],
    ['vetha2194963', 'if2', 'cni0', 'cni-3cb42f8b', 6],
  ]);
  assert.is(addr[0].addresses[0].address, '127.0.0.1');
  assert.is(addr[0].mac, '00:00:00:00:00:00');
  assert.equal((s[1].records as RouteRecord[]).map((r) => [r.destination, r.line]), [['0.0.0.0/0', 11], ['10.42.0.0/24', 13]]);
  assert.is((s[3].records[0] as { restarts: string }).restarts, '6 (97m ago)');
  assert.equal((s[4].records as SocketRecord[]).map((r) => r.localPort), [8080]);
  assert.match(s[5].problems[0].message, /'vi' is not one podpath reads/);
  assert.is(s[5].problems[0].line, 25); // the prompt line
  assert.equal((s[6].records as RouteRecord[]).map((r) => [r.destination, r.onlink, r.line]), [['0.0.0.0/0', undefined, 27], ['10.42.0.0/24', true, 28]]);
  assert.is((s[7].records as IpAddrRecord[])[0].addresses[0].address, '10.42.1.1');
});

test('session: the same paste with LF, with CRLF, indented, with a last prompt without newline', () => {
  const crlf = parseDump('s', SESSION);
  const lf = parseDump('s', SESSION.replace(/\r\n/g, '\n'));
  assert.equal(lf, crlf);
  const indented = parseDump('s', SESSION.split('\r\n').map((l) => '  ' + l).join('\n'));
  assert.equal(withoutLines(indented.map((x) => x.records)), withoutLines(crlf.map((x) => x.records)));
  const noFinal = parseDump('s', '$ ip r\ndefault via 10.0.0.1 dev eth0\n$');
  assert.equal(noFinal.map((x) => x.command), ['ip-route']);
  const notCmd = parseDump('s', '$ route -n\nKernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n0.0.0.0         10.0.0.1        0.0.0.0         UG    0      0        0 eth0\nroot@h:~#');
  assert.equal(notCmd.map((x) => [x.command, x.records.length]), [['route-n', 1]]);
});

test('session: the prompt names one command, the output is another: parsed by content, with a problem', () => {
  const s = parseDump('s', '$ ip r\n' + SAMPLE['route-n']);
  assert.is(s[0].command, 'route-n');
  assert.is(s[0].records.length, 2);
  assert.equal(s[0].problems.map((p) => p.line), [2]);
  assert.match(s[0].problems[0].message, /prompt runs 'ip r' but the output looks like route -n output/);
  // an error message instead of output: the named parser reports it
  const e = parseDump('s', '$ bridge vlan\nbash: bridge: command not found\n');
  assert.is(e[0].command, 'bridge-vlan');
  assert.is(e[0].problems[0].line, 2);
});

test('session: typed commands map to parsers', () => {
  const cases: [string, DumpCommand | undefined][] = [
    ['ip a', 'ip-addr'],
    ['ip addr', 'ip-addr'],
    ['ip address show', 'ip-addr'],
    ['ip -4 a', 'ip-addr'],
    ['ip -br -c addr', 'ip-addr'],
    ['ip -j addr show | jq', 'ip-addr'],
    ['sudo ip -n cni-1234 addr', 'ip-addr'],
    ['ip netns exec ns1 ip a', 'ip-addr'],
    ['nsenter -t 1234 -n ip a', 'ip-addr'],
    ['docker exec -it kind-worker ip route', 'ip-route'],
    ['route -n', 'route-n'],
    ['route', 'route-n'],
    ['route -A inet6 -n', 'route-n'],
    ['netstat -rn', 'route-n'],
    ['netstat -nr', 'route-n'],
    ['netstat -anp', 'sockets'],
    ['netstat -tulpn', 'sockets'],
    ['ss -tulpn', 'sockets'],
    ['netstat -i', 'unknown'],
    ['ip r', 'ip-route'],
    ['ip -6 route show table all', 'ip-route'],
    ['ip link', 'ip-link'],
    ['ip -d link show flannel.1', 'ip-link'],
    ['ip n', 'ip-neigh'],
    ['ip neigh show', 'ip-neigh'],
    ['arp -an', 'ip-neigh'],
    ['bridge vlan', 'bridge-vlan'],
    ['bridge -c vlan show', 'bridge-vlan'],
    ['bridge fdb show dev flannel.1', 'bridge-fdb'],
    ['./bridge/bridge vlan tunnelshow', 'bridge-vlan'],
    ['kubectl get pods -o wide', 'kubectl-pods'],
    ['k get po -A -owide', 'kubectl-pods'],
    ['kubectl -n kube-system get pods -o wide', 'kubectl-pods'],
    ['kubectl get nodes -o wide', 'kubectl-nodes'],
    ['kubectl get svc', 'unknown'],
    ['kubectl exec test -- ip a show dev eth0', 'ip-addr'],
    ['hostname', 'hostname'],
    ['cat /etc/hostname', 'hostname'],
    ['cat /proc/net/route', 'route-n'],
    ['cat dump.txt', undefined],
    ['ip rule', 'unknown'],
    ['tcpdump -i cni0', 'unknown'],
  ];
  for (const [typed, want] of cases) assert.is(commandFor(typed)?.command, want, typed);
});

test('session: prompt detection does not take output for prompts', () => {
  const outputs = Object.values(SAMPLE).join('');
  const parts = splitSession(outputs.split('\n'));
  assert.is(parts.length, 1);
  assert.is(parts[0].commandLine, undefined);
  // bare command on the first line (kubespray's docs), then output
  const bare = splitSession(['ip a show dev flannel.1', '4: flannel.1: <UP> mtu 1450']);
  assert.equal(bare.map((p) => [p.commandLine, p.start]), [['ip a show dev flannel.1', 1]]);
  // `[user@host ~]cmd` without a prompt character (a real paste)
  assert.is(splitSession(['[fedora@fedora ~]ip a', 'x'])[0].commandLine, 'ip a');
  // `$cmd` without a space only for commands podpath knows
  assert.is(splitSession(['$bridge vlan show', 'x'])[0].commandLine, 'bridge vlan show');
  assert.is(splitSession(['$HOME is set', 'x'])[0].commandLine, undefined);
});

// --- formats the corpus does not have -------------------------------------------------------

test('ip -o addr and ip -br addr', () => {
  const o = parseDump('x', [
    '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
    '2: eth0    inet 10.32.7.224/20 brd 10.32.15.255 scope global dynamic eth0\\       valid_lft 2443sec preferred_lft 2443sec',
    '2: eth0    inet6 fe80::97:bbff:feb7:7010/64 scope link \\       valid_lft forever preferred_lft forever',
  ].join('\n'));
  assert.is(o[0].command, 'ip-addr');
  const r = o[0].records as IpAddrRecord[];
  assert.equal(r.map((x) => [x.index, x.name, x.addresses.map((a) => `${a.address}/${a.prefixLength}`)]), [
    [1, 'lo', ['127.0.0.1/8']],
    [2, 'eth0', ['10.32.7.224/20', 'fe80::97:bbff:feb7:7010/64']],
  ]);
  const br = parseDump('x', 'lo               UNKNOWN        127.0.0.1/8 ::1/128 \neth0@if5         UP             10.42.1.39/24 fe80::1/64 \nflannel.1        UNKNOWN        10.42.1.0/32 \n');
  assert.is(br[0].command, 'ip-addr');
  assert.equal((br[0].records as IpAddrRecord[]).map((x) => [x.name, x.peer, x.state, x.addresses.length]), [
    ['lo', undefined, 'UNKNOWN', 2],
    ['eth0', 'if5', 'UP', 2],
    ['flannel.1', undefined, 'UNKNOWN', 1],
  ]);
});

test('bridge vlan: VLAN ids outside 0..4095 are a problem, not a record', () => {
  const s = parseDump('bridge-vlan.txt', 'port              vlan-id\ncni0              12345678901234567890 PVID Egress Untagged\n                  5000-5002\n                  7\n');
  assert.equal((s[0].records as BridgeVlanRecord[]).map((r) => [r.port, r.vlans.map((v) => v.vlan)]), [['cni0', [7]]]);
  assert.equal(s[0].problems.map((p) => p.line), [2, 3]);
  assert.match(s[0].problems[0].message, /out of range/);
  const j = parseDump('x', '[{"ifname":"cni0","vlans":[{"vlan":99999},{"vlan":1}]}]');
  assert.equal((j[0].records as BridgeVlanRecord[])[0].vlans.map((v) => v.vlan), [1]);
});

test('ip -s -d addr: statistics and detail lines are read past', () => {
  const s = parseDump('x', '$ ip -s -d addr show dev flannel.1\n3: flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 8951 qdisc noqueue state UNKNOWN group default\n    link/ether 2e:98:28:11:0b:8e brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535\n    vxlan id 1 local 10.32.7.224 dev eth0 srcport 0 0 dstport 8472 nolearning ttl auto ageing 300\n    inet 10.42.1.0/32 scope global flannel.1\n       valid_lft forever preferred_lft forever\n    RX:  bytes packets errors dropped  missed   mcast\n          5600      60      0       0       0       0\n    TX:  bytes packets errors dropped carrier collsns\n          5600      60      0      27       0       0\n');
  assert.equal(s[0].problems, []);
  const r = s[0].records as IpAddrRecord[];
  assert.equal([r[0].name, r[0].mtu, r[0].addresses[0].address], ['flannel.1', 8951, '10.42.1.0']);
});

test('ip addr: peer addresses, secondary, label aliases', () => {
  const s = parseDump('ip-addr.txt', '9: tun0: <POINTOPOINT,UP> mtu 1400 qdisc noop state UNKNOWN\n    link/none \n    inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0\n    inet 10.8.0.5/24 scope global secondary tun0:1\n');
  const a = (s[0].records as IpAddrRecord[])[0].addresses;
  assert.equal(withoutLines(a), [
    { family: 'inet', address: '10.8.0.1', prefixLength: 32, peer: '10.8.0.2', scope: 'global', label: 'tun0' },
    { family: 'inet', address: '10.8.0.5', prefixLength: 24, scope: 'global', secondary: true, flags: ['secondary'], label: 'tun0:1' },
  ]);
});

test('ip route: multipath nexthop lines, blackhole/prohibit, IPv6 default family, cache', () => {
  const s = parseDump('x', [
    'default proto static metric 100',
    '\tnexthop via 10.0.0.1 dev eth0 weight 1',
    '\tnexthop via 10.0.1.1 dev eth1 weight 2',
    'blackhole 10.99.0.0/16 proto bird',
    'prohibit 10.98.0.0/16',
    '10.42.0.0/24 via 10.42.0.0 dev flannel.1 onlink',
  ].join('\n'));
  const r = s[0].records as RouteRecord[];
  assert.equal(s[0].problems, []);
  assert.equal(r[0].nexthops, [{ gateway: '10.0.0.1', interface: 'eth0', weight: 1 }, { gateway: '10.0.1.1', interface: 'eth1', weight: 2 }]);
  assert.is(r[0].destination, '0.0.0.0/0');
  assert.equal(withoutLines(r[1]), { destination: '10.99.0.0/16', type: 'blackhole', proto: 'bird', family: 'inet' });
  assert.is(r[2].type, 'prohibit');
  assert.is(r[2].interface, undefined);
  const v6 = parseDump('x', 'unreachable default dev lo metric 1024 pref medium\nfe80::/64 dev eth0 proto kernel metric 256 pref medium\n');
  assert.is((v6[0].records as RouteRecord[])[0].destination, '::/0');
  const get = parseDump('x', '$ ip route get 10.42.0.37\n10.42.0.37 via 10.42.0.0 dev flannel.1 src 10.42.1.0 uid 0 \n    cache \n');
  assert.equal((get[0].records as RouteRecord[]).map((x) => [x.destination, x.gateway, x.interface, x.src]), [['10.42.0.37/32', '10.42.0.0', 'flannel.1', '10.42.1.0']]);
  assert.equal(get[0].problems, []);
});

test('ip -j route (with nexthops) and ip -j neigh, bridge -j fdb, bridge -j vlan (array)', () => {
  const r = parseDump('x', JSON.stringify([
    { dst: 'default', gateway: '10.32.0.1', dev: 'eth0', protocol: 'dhcp', prefsrc: '10.32.7.224', metric: 100, flags: [] },
    { dst: '10.42.0.0/24', gateway: '10.42.0.0', dev: 'flannel.1', flags: ['onlink'] },
    { type: 'local', dst: '10.42.1.1', dev: 'cni0', table: 'local', protocol: 'kernel', scope: 'host', prefsrc: '10.42.1.1', flags: [] },
    { dst: '10.50.0.0/16', flags: [], nexthops: [{ gateway: '10.0.0.1', dev: 'eth0', weight: 1, flags: [] }] },
  ], null, 2));
  assert.is(r[0].command, 'ip-route');
  const rr = r[0].records as RouteRecord[];
  assert.equal(withoutLines(rr[0]), { destination: '0.0.0.0/0', gateway: '10.32.0.1', interface: 'eth0', proto: 'dhcp', src: '10.32.7.224', metric: 100, family: 'inet' });
  assert.is(rr[1].onlink, true);
  assert.is(rr[2].destination, '10.42.1.1/32');
  assert.equal(rr[3].nexthops, [{ gateway: '10.0.0.1', interface: 'eth0', weight: 1 }]);
  assert.equal(rr.map((x) => x.line), [2, 11, 19, 29]);
  const n = parseDump('x', '[{"dst":"10.42.0.0","dev":"flannel.1","lladdr":"6a:74:6a:77:30:3a","state":["PERMANENT"]}]');
  assert.is(n[0].command, 'ip-neigh');
  assert.equal(withoutLines(n[0].records as NeighRecord[]), [{ address: '10.42.0.0', dev: 'flannel.1', lladdr: '6a:74:6a:77:30:3a', state: 'PERMANENT' }]);
  const f = parseDump('x', '[{"mac":"6a:74:6a:77:30:3a","ifname":"flannel.1","dst":"10.32.11.62","flags":["self"],"state":"permanent"}]');
  assert.is(f[0].command, 'bridge-fdb');
  assert.equal(withoutLines(f[0].records as BridgeFdbRecord[]), [{ mac: '6a:74:6a:77:30:3a', dev: 'flannel.1', dst: '10.32.11.62', self: true, permanent: true }]);
  const v = parseDump('x', '[{"ifname":"cni0","vlans":[{"vlan":1,"flags":["PVID","Egress Untagged"]},{"vlan":10,"vlanEnd":12}]}]');
  assert.is(v[0].command, 'bridge-vlan');
  assert.equal(withoutLines(v[0].records as BridgeVlanRecord[]), [{ port: 'cni0', vlans: [{ vlan: 1, pvid: true, untagged: true }, { vlan: 10, pvid: false, untagged: false, vlanEnd: 12 }] }]);
});

test('ip -j -d link: vxlan info_data', () => {
  const s = parseDump('x', JSON.stringify([{ ifindex: 3, ifname: 'flannel.1', flags: ['UP'], mtu: 8951, operstate: 'UNKNOWN', link_type: 'ether', address: '2e:98:28:11:0b:8e', linkinfo: { info_kind: 'vxlan', info_data: { id: 1, local: '10.32.7.224', link: 'eth0', port: 8472, learning: false } } }]));
  assert.is(s[0].command, 'ip-link');
  const l = (s[0].records as LinkRecord[])[0];
  assert.equal(l.vxlan, { id: 1, local: '10.32.7.224', dev: 'eth0', dstport: 8472, learning: false });
  assert.is(l.kind, 'vxlan');
});

test('ip -d link text: vxlan with id/local/dev/dstport/nolearning; veth peer in another netns', () => {
  const s = parseDump('ip-d-link.txt', SAMPLE['ip-link'] + '5: vetha2194963@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 8951 qdisc noqueue master cni0 state UP mode DEFAULT group default\n    link/ether a2:d8:d0:e5:8e:59 brd ff:ff:ff:ff:ff:ff link-netns cni-3cb42f8b promiscuity 1 minmtu 68 maxmtu 65535\n    veth\n    bridge_slave state forwarding priority 32 cost 2\n');
  const [vx, veth] = s[0].records as LinkRecord[];
  assert.equal(vx.vxlan, { id: 1, local: '10.32.7.224', dev: 'eth0', dstport: 8472, learning: false });
  assert.equal([veth.kind, veth.slaveKind, veth.peer, veth.linkNetns, veth.master], ['veth', 'bridge_slave', 'if2', 'cni-3cb42f8b', 'cni0']);
});

test('kubectl get nodes -o wide: OS-IMAGE with spaces, <none> external IP', () => {
  const s = parseDump('nodes.txt', SAMPLE['kubectl-nodes']);
  assert.equal(withoutLines(s[0].records as KubectlNodeRecord[]), [{ name: 'node-a', status: 'Ready', roles: 'control-plane,master', version: 'v1.27.7+k3s2', internalIp: '10.32.7.224' }]);
});

test('kubectl get pods: misaligned paste falls back to tokens; pending pods have no IP', () => {
  const s = parseDump('pods.txt', 'NAME READY STATUS RESTARTS AGE IP NODE\npod1 1/1 Running 6 (97m ago) 5s 10.42.1.39 node-a\npod2   0/1   Pending   0   1s   <none>   <none>\n');
  assert.equal(s[0].problems, []);
  assert.equal(s[0].records.map((r) => { const p = r as { name: string; restarts: string; ip: string; node: string }; return [p.name, p.restarts, p.ip, p.node]; }), [
    ['pod1', '6 (97m ago)', '10.42.1.39', 'node-a'],
    ['pod2', '0', '', ''],
  ]);
});

test('kubectl: "No resources found" is an empty list, not a problem', () => {
  const s = parseDump('x', '$ kubectl get pods -o wide\nNo resources found in default namespace.\n');
  assert.equal([s[0].command, s[0].records, s[0].problems], ['kubectl-pods', [], []]);
});

test('ss -tulpn and netstat -tulpn (IPv6, process)', () => {
  const ss = parseDump('x', [
    'Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process',
    'udp   UNCONN 0      0          0.0.0.0:8472       0.0.0.0:*',
    'tcp   LISTEN 0      4096     127.0.0.1:10248      0.0.0.0:*     users:(("k3s-server",pid=1234,fd=200))',
    'tcp   LISTEN 0      4096             *:10250            *:*     users:(("k3s-server",pid=1234,fd=190))',
    'tcp   LISTEN 0      511           [::]:80            [::]:*',
  ].join('\n'));
  assert.is(ss[0].command, 'sockets');
  assert.equal((ss[0].records as SocketRecord[]).map((r) => [r.proto, r.localAddress, r.localPort, r.state, r.process]), [
    ['udp', '0.0.0.0', 8472, 'UNCONN', undefined],
    ['tcp', '127.0.0.1', 10248, 'LISTEN', 'users:(("k3s-server",pid=1234,fd=200))'],
    ['tcp', '*', 10250, 'LISTEN', 'users:(("k3s-server",pid=1234,fd=190))'],
    ['tcp', '::', 80, 'LISTEN', undefined],
  ]);
  const ns = parseDump('x', 'Active Internet connections (only servers)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name\ntcp6       0      0 :::10250                :::*                    LISTEN      1234/k3s-server\nudp        0      0 0.0.0.0:8472            0.0.0.0:*                           -\n');
  assert.equal((ns[0].records as SocketRecord[]).map((r) => [r.proto, r.localAddress, r.localPort, r.state, r.process]), [
    ['tcp6', '::', 10250, 'LISTEN', '1234/k3s-server'],
    ['udp', '0.0.0.0', 8472, undefined, undefined],
  ]);
});

test('detectDump: sessions, JSON, confidence', () => {
  assert.equal(detectDump('$ ip r\ndefault via 10.0.0.1 dev eth0\n'), { command: 'ip-route', confidence: 1 });
  const j = detectDump('[{"ifindex":1,"ifname":"lo","addr_info":[]}]');
  assert.is(j.command, 'ip-addr');
  assert.ok(j.confidence > 0.9);
  assert.equal(detectDump(JUNK), { command: 'unknown', confidence: 0 });
  assert.equal(detectDump('node-a\n'), { command: 'unknown', confidence: 0 });
  assert.is(detectDump('node-a\n', 'samples/x/node-a/hostname').command, 'hostname');
});

test('malformed JSON is rejected with the line of the error', () => {
  const s = parseDump('ip-addr.json', '[\n  {"ifindex": 1,\n   "ifname": "lo",\n   "addr_info": [ }\n]\n');
  assert.is(s[0].command, 'ip-addr');
  assert.equal(s[0].records, []);
  assert.is(s[0].problems[0].line, 4);
  assert.match(s[0].problems[0].message, /malformed JSON/);
});

test('property: any mix of output lines, prompts, junk and colours never throws; lines stay in range', () => {
  const fragments = [
    ...Object.values(SAMPLE).flatMap((t) => t.split('\n')),
    '$ ip a', '# route -n', 'root@h:~# bridge vlan', '[u@h ~]$ k get pods -o wide', '$ ', '[...]', '...', '\t', '  ',
    '{', '[', '"ifname": "x",', '}', ']', '\u001b[31m', 'nexthop via 1.2.3.4 dev eth0', '\\', 'port\tvlan ids',
  ];
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 })), { maxLength: 40 }),
      fc.constantFrom('\n', '\r\n'),
      fc.constantFrom('x.txt', 'ip-addr.txt', 'route-n.txt', 'hostname', 'pods.txt'),
      (lines, eol, name) => {
        const text = lines.join(eol);
        const n = text.split('\n').length;
        const sections = parseDump(name, text);
        assert.ok(sections.length >= 1);
        for (const s of sections) {
          assert.ok(s.line >= 1 && s.line <= n + 1, `section line ${s.line} of ${n}`);
          for (const p of s.problems) assert.ok(p.line >= 1 && p.line <= n + 1, `problem line ${p.line} of ${n}: ${p.message}`);
          for (const r of s.records as unknown as { line: number }[]) assert.ok(r.line >= 1 && r.line <= n, `record line ${r.line} of ${n}`);
        }
        const bytes = Buffer.from(text, 'latin1');
        parseDump(name, bytes);
        detectDump(bytes, name);
      },
    ),
    { numRuns: 400 },
  );
});

test.run();
