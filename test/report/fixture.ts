/**
 * Report objects in the exact contract shape (src/path/types.ts), for the renderer tests: a
 * two-node k3s/flannel cluster, one cross-node ICMP flow lost in the VXLAN tunnel (an
 * overlay-blocked finding), one same-node TCP flow that is fine. `evil` puts markup, quotes,
 * backticks and pipes into every name, path and summary that comes from inputs.
 */
import type { Evidence, Host, TopoInterface } from '../../src/topology/model.js';
import type { Report } from '../../src/path/types.js';

export const EVIL = `<script>alert(1)</script>"'\`|`;

export function buildReport(opts: { evil?: boolean } = {}): Report {
  const x = (s: string) => (opts.evil ? `${s}${EVIL}` : s);
  const N1 = x('ip-10-32-11-62');
  const N2 = x('ip-10-32-7-224');
  const P2 = x('pod2');
  const P1 = x('pod1');
  const P3 = x('pod3');
  const VA = x('veth1a2b3c4d');
  const VB = x('veth5e6f7a8b');
  const VC = x('veth9c8d7e6f');
  const D1 = x('dumps/ip-10-32-11-62.txt');
  const D2 = x('dumps/ip-10-32-7-224.txt');
  const C1 = x('captures/ip-10-32-11-62-eth0.pcap');
  const C2 = x('captures/ip-10-32-7-224-eth0.pcap');
  const CP = x('captures/pod2-eth0.pcapng');
  const ev = (input: string, line: number, text: string): Evidence => ({ input, line, text });
  const pkt = (input: string, packet: number, text: string): Evidence => ({ input, packet, text: x(text) });

  const iface = (name: string, kind: TopoInterface['kind'], addr?: [string, number], more: Partial<TopoInterface> = {}, input = D1): TopoInterface => ({
    name,
    kind,
    mtu: kind === 'vxlan' ? 1450 : 1500,
    addresses: addr ? [{ family: 'inet', address: addr[0], prefixLength: addr[1] }] : [],
    evidence: [ev(input, 3, `${name}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500`)],
    ...more,
  });
  const node = (name: string, n: 'a' | 'b'): Host => {
    const input = n === 'a' ? D1 : D2;
    const under = n === 'a' ? '10.32.11.62' : '10.32.7.224';
    const sub = n === 'a' ? '10.42.0' : '10.42.1';
    const veths = n === 'a' ? [VA, VC] : [VB];
    const peers = n === 'a' ? [`${P2}/eth0`, `${P3}/eth0`] : [`${P1}/eth0`];
    return {
      name,
      role: 'node',
      interfaces: [
        iface('lo', 'loopback', ['127.0.0.1', 8], {}, input),
        iface('eth0', 'ethernet', [under, 20], { mac: '0a:1b:2c:3d:4e:5f' }, input),
        iface('flannel.1', 'vxlan', [`${sub}.0`, 32], { vxlan: { vni: 1, port: 8472, local: under, dev: 'eth0', learning: false } }, input),
        iface('cni0', 'bridge', [`${sub}.1`, 24], { ports: veths }, input),
        ...veths.map((v, i) => iface(v, 'veth', undefined, { master: 'cni0', peer: peers[i] }, input)),
      ],
      routes: [
        { destination: '0.0.0.0/0', gateway: n === 'a' ? '10.32.0.1' : '10.32.0.1', interface: 'eth0', evidence: ev(input, 20, 'default via 10.32.0.1 dev eth0') },
        {
          destination: n === 'a' ? '10.42.1.0/24' : '10.42.0.0/24',
          gateway: n === 'a' ? '10.42.1.0' : '10.42.0.0',
          interface: 'flannel.1',
          onlink: true,
          evidence: ev(input, 21, `${n === 'a' ? '10.42.1.0/24 via 10.42.1.0' : '10.42.0.0/24 via 10.42.0.0'} dev flannel.1 onlink`),
        },
      ],
      neighbors: [],
      fdb: [],
      listening: [],
      inputs: [input],
      underlay: { address: under, interface: 'eth0', source: 'vxlan-local', evidence: [ev(input, 5, `vxlan id 1 local ${under} dev eth0 dstport 8472`)] },
    };
  };
  const podHost: Host = {
    name: P2,
    role: 'pod',
    node: N1,
    interfaces: [iface('eth0', 'veth', ['10.42.0.37', 24], { peer: `${N1}/${VA}` }, CP)],
    routes: [],
    neighbors: [],
    fdb: [],
    listening: [],
    inputs: [CP],
  };

  const lostPath: Report['flows'][number]['path'] = [
    { host: P2, interface: 'eth0', action: 'send', detail: `ICMP echo request 10.42.0.37 -> 10.42.1.39 leaves pod ${P2} through eth0`, evidence: [pkt(CP, 1, 'ICMP echo request id 7 seq 1')] },
    { host: N1, interface: VA, action: 'bridge', detail: `enters cni0 through ${P2}'s veth ${VA}` },
    { host: N1, interface: 'cni0', action: 'route', detail: `route 10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink (${D1} line 21)`, evidence: [ev(D1, 21, '10.42.1.0/24 via 10.42.1.0 dev flannel.1 onlink')] },
    { host: N1, interface: 'flannel.1', action: 'encap', detail: 'flannel.1 encapsulates in VXLAN VNI 1 to 10.32.7.224:8472' },
    { host: N1, interface: 'eth0', action: 'underlay', detail: 'UDP 8472 10.32.11.62 -> 10.32.7.224 leaves through eth0', evidence: [pkt(C1, 12, 'UDP 10.32.11.62:47000 > 10.32.7.224:8472 VXLAN VNI 1 ICMP echo request')] },
    { host: N2, interface: 'eth0', action: 'underlay', detail: `UDP 8472 from 10.32.11.62 arrives on ${N2}'s eth0` },
    { host: N2, interface: 'flannel.1', action: 'decap', detail: 'flannel.1 decapsulates VNI 1: inner 10.42.0.37 -> 10.42.1.39' },
    { host: N2, interface: VB, action: 'bridge', detail: `leaves cni0 through ${P1}'s veth ${VB}` },
    { host: P1, interface: 'eth0', action: 'deliver', detail: `ICMP echo request reaches pod ${P1} on eth0` },
  ];
  const okPath: Report['flows'][number]['path'] = [
    { host: P2, interface: 'eth0', action: 'send', detail: `TCP 10.42.0.37:41000 -> 10.42.0.38:80 leaves pod ${P2} through eth0` },
    { host: N1, interface: VA, action: 'bridge', detail: `enters cni0 through ${P2}'s veth ${VA}` },
    { host: N1, interface: 'cni0', action: 'bridge', detail: `cni0 forwards ${VA} -> ${VC} (same subnet, no routing)` },
    { host: N1, interface: VC, action: 'bridge', detail: `leaves cni0 through ${P3}'s veth ${VC}` },
    { host: P3, interface: 'eth0', action: 'deliver', detail: `reaches pod ${P3} on eth0` },
  ];

  return {
    schema: 'podpath.report/1',
    inputs: [
      { path: CP, kind: 'capture', host: P2, interface: 'eth0', packets: 14, format: 'pcapng', sha256: 'a'.repeat(64), problems: [] },
      { path: C1, kind: 'capture', host: N1, interface: 'eth0', packets: 6, format: 'pcap', sha256: 'b'.repeat(64), problems: [] },
      { path: C2, kind: 'capture', host: N2, interface: 'eth0', packets: 3, format: 'pcap', sha256: 'c'.repeat(64), problems: [x('1 truncated packet')] },
      { path: D1, kind: 'dump', host: N1, sha256: 'd'.repeat(64), commands: ['ip -d link', 'ip addr', 'ip route', 'bridge fdb'], problems: [] },
      { path: D2, kind: 'dump', host: N2, sha256: 'e'.repeat(64), commands: ['ip -d link', 'ip addr', 'ip route'], problems: [] },
    ],
    topology: {
      hosts: [node(N1, 'a'), node(N2, 'b'), podHost],
      pods: [
        { name: P2, namespace: 'default', ip: '10.42.0.37', host: N1, source: 'kubectl' },
        { name: P3, namespace: 'default', ip: '10.42.0.38', host: N1, source: 'kubectl' },
        { name: P1, namespace: 'default', ip: '10.42.1.39', host: N2, source: 'kubectl' },
      ],
      overlay: [
        {
          host: N1,
          device: 'flannel.1',
          type: 'vxlan',
          vni: 1,
          port: 8472,
          local: '10.32.11.62',
          subnet: '10.42.0.0/24',
          remotes: [{ subnet: '10.42.1.0/24', gateway: '10.42.1.0', vtep: '10.32.7.224', host: N2, source: 'fdb', evidence: [ev(D1, 30, x('5e:aa:bb:cc:dd:01 dev flannel.1 dst 10.32.7.224'))] }],
        },
        {
          host: N2,
          device: 'flannel.1',
          type: 'vxlan',
          vni: 1,
          port: 8472,
          local: '10.32.7.224',
          subnet: '10.42.1.0/24',
          remotes: [{ subnet: '10.42.0.0/24', gateway: '10.42.0.0', vtep: '10.32.11.62', host: N1, source: 'route', evidence: [ev(D2, 22, '10.42.0.0/24 via 10.42.0.0 dev flannel.1 onlink')] }],
        },
      ],
      captures: [
        { input: CP, host: P2, interface: 'eth0', via: 'pcapng' },
        { input: C1, host: N1, interface: 'eth0', via: 'file-name' },
        { input: C2, host: N2, interface: 'eth0', via: 'file-name' },
      ],
      findings: [{ severity: 'info', code: 'underlay-from-name', message: `${N2}'s underlay address taken from its name`, evidence: [ev(D2, 1, x('hostname'))] }],
    },
    flows: [
      {
        id: 'f1',
        protocol: 'icmp',
        src: { ip: '10.42.0.37', pod: P2, namespace: 'default', host: N1 },
        dst: { ip: '10.42.1.39', pod: P1, namespace: 'default', host: N2 },
        kind: 'cross-node',
        verdict: 'lost',
        packets: 6,
        requests: 6,
        responses: 0,
        path: lostPath,
        tunnel: { type: 'vxlan', vni: 1, port: 8472 },
        seenAt: [
          { input: CP, host: P2, interface: 'eth0', packets: 6, first: '2024-05-01T10:00:00.000Z', last: '2024-05-01T10:00:05.000Z' },
          { input: C1, host: N1, interface: 'eth0', packets: 6, first: '2024-05-01T10:00:00.001Z', last: '2024-05-01T10:00:05.001Z' },
        ],
        latency: { hops: [{ from: { host: P2, interface: 'eth0' }, to: { host: N1, interface: 'eth0' }, medianUs: 84, samples: 6 }] },
        summary: `${P2} -> ${VA} -> cni0 -> flannel.1 [vxlan 1] -> eth0 => eth0 -> flannel.1 -> cni0 -> ${P1}`,
        why: `6 requests left ${N1} on eth0 but none arrived on ${N2} eth0, whose capture was running`,
      },
      {
        id: 'f2',
        protocol: 'tcp',
        src: { ip: '10.42.0.37', port: 41000, pod: P2, namespace: 'default', host: N1 },
        dst: { ip: '10.42.0.38', port: 80, pod: P3, namespace: 'default', host: N1 },
        kind: 'same-node',
        verdict: 'ok',
        packets: 10,
        requests: 1,
        responses: 1,
        path: okPath,
        returnPath: [...okPath].reverse().map((s) => ({ ...s, action: s.action === 'send' ? 'deliver' : s.action === 'deliver' ? 'send' : s.action })),
        seenAt: [{ input: CP, host: P2, interface: 'eth0', packets: 10, first: '2024-05-01T10:00:01.000Z', last: '2024-05-01T10:00:01.020Z' }],
        latency: { hops: [], rttUs: 412 },
        summary: `${P2} -> ${VA} -> cni0 -> ${VC} -> ${P3}`,
        why: 'the handshake completed and the request was answered',
      },
    ],
    findings: [
      {
        severity: 'critical',
        code: 'overlay-blocked',
        message:
          `6 encapsulated packet(s) (UDP 8472) left ${N1} (10.32.11.62) on eth0 and never arrived on ${N2} (10.32.7.224) eth0, while its capture (${C2}) was running. ` +
          `A firewall or cloud security group between the nodes likely drops UDP 8472: allow it between them. Flows: ${P2} -> ${P1} icmp.`,
        evidence: [
          pkt(C1, 12, 'UDP 10.32.11.62:47000 > 10.32.7.224:8472 VXLAN VNI 1 ICMP echo request id 7 seq 1'),
          pkt(C1, 14, 'UDP 10.32.11.62:47000 > 10.32.7.224:8472 VXLAN VNI 1 ICMP echo request id 7 seq 2'),
          { input: C2, text: `no matching packet in ${C2}` },
        ],
      },
      {
        severity: 'warning',
        code: 'capture-gap',
        message: `${C2} (${N2} eth0) holds only 3 packets`,
        evidence: [{ input: C2 }],
      },
    ],
    clocks: [{ host: N2, reference: N1, offsetUs: -1250, samples: 4 }],
    stats: { packets: 23, decoded: 22, truncated: 1, malformed: 0, skipped: 0, unexplained: 0 },
    problems: [],
  };
}
