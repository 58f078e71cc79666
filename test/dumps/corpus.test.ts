/**
 * Every real dump of ../shared/corpus/dumps: parses without throwing, is recognized as the command its
 * folder names, yields records, and gives the facts one reads off by eye.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { parseDump, detectDump } from '../../src/dumps/index.js';
import type {
  BridgeFdbRecord,
  BridgeVlanRecord,
  DumpCommand,
  DumpSection,
  IpAddrRecord,
  LinkRecord,
  NeighRecord,
  RouteRecord,
} from '../../src/dumps/types.js';
import { shared } from '../helpers.js';
import { describe, filesUnder, vids, withoutLines } from './util.js';

const base = shared('corpus dump tests');
const DUMPS = base ? join(base, 'corpus', 'dumps') : undefined;

/** Which parser family each corpus folder is. */
const FOLDER_COMMAND: Record<string, DumpCommand> = {
  arp: 'ip-neigh',
  'bridge-fdb-show': 'bridge-fdb',
  'bridge-vlan-show': 'bridge-vlan',
  'bridge-vlan-show-json': 'bridge-vlan',
  'bridge-vlan-tunnelshow': 'bridge-vlan',
  'ip-addr-show': 'ip-addr',
  'ip-addr-show-json': 'ip-addr',
  'ip-d-link-show': 'ip-link',
  'ip-d-link-show-json': 'ip-link',
  'ip-link-show': 'ip-link',
  'ip-link-show-json': 'ip-link',
  'ip-o-link-show': 'ip-link',
  'ip-neigh': 'ip-neigh',
  'ip-route': 'ip-route',
  'netstat-rn': 'route-n',
  'proc-net-route': 'route-n',
  route: 'route-n',
  'route-n': 'route-n',
  'ip-route-show-table-all': 'ip-route',
  'conntrack-E': 'conntrack',
  'conntrack-L': 'conntrack',
  'proc-net-ip_conntrack': 'conntrack',
  'ip6tables-save': 'iptables-save',
  'iptables-save': 'iptables-save',
  'iptables-save-c': 'iptables-save',
  'iptables-L': 'iptables-list',
  'iptables-L-n-v': 'iptables-list',
  'iptables-t-nat-L-n': 'iptables-list',
  'ipvsadm-Ln': 'ipvsadm',
  'ipvsadm-Ln-stats': 'ipvsadm',
  'kubectl-get-endpoints': 'kubectl-endpoints',
  'kubectl-get-endpointslices': 'kubectl-endpointslices',
  'kubectl-get-svc': 'kubectl-services',
  'nft-list-ruleset': 'nft-ruleset',
};

/**
 * Folders of commands podpath does not parse (yet): each file must come out as not recognized,
 * with one clear problem line, never as another command's records.
 */
const NOT_PARSED = new Set(['ethtool-k', 'ip-rule', 'ip-s-link', 'nft-j-list-ruleset']);
/** Single files that are no readable output: iproute2 before its fix printed "multicast ???/32". */
const UNREADABLE = new Set(['iproute2-56e3eb4c-multicast-before-fix.txt']);

/** Commands whose records have no single key naming their line (test/dumps/nat.test.ts checks them). */
const NO_LINE_KEY = new Set<DumpCommand>(['conntrack', 'iptables-save', 'iptables-list', 'ipvsadm', 'kubectl-endpoints', 'kubectl-endpointslices', 'kubectl-services', 'nft-ruleset']);

/** Files that legitimately give no records, and the problem they must give instead (if any). */
const NO_RECORDS: Record<string, RegExp | null> = {
  'iproute2-c72de371-header-only.txt': null, // header alone: no VLAN filtering, no problem
  'iproute2-d0e72011-details-json.txt': /malformed JSON/, // not well-formed JSON as pasted
};

/** Files whose problems are expected: each of their problems must match. */
const EXPECTED_PROBLEMS: Record<string, RegExp> = {
  // File names that contain "-no-", "-node-", "-pod-": the name hint is wrong, the content decides.
  'ovn-kubernetes-hairpin-ct-entry-no-zone.txt': /the name suggests kubectl get nodes output but the content is conntrack -L output/,
  'kubernetes-2015-node-userspace-proxier.txt': /the name suggests kubectl get nodes output but the content is iptables-save output/,
  'kube-router-pod-toolbox-motd.txt': /the name suggests kubectl get pods output but the content is ipvsadm -Ln output/,
  // A paste cut off in the middle of a rule.
  'kubernetes-enhancements-kep265-kube-proxy-iptables-mode.txt': /truncated iptables -L rule/,
};

const cache = new Map<string, DumpSection[]>();
function parsed(rel: string): DumpSection[] {
  if (!cache.has(rel)) cache.set(rel, parseDump(basename(rel), readFileSync(join(DUMPS!, rel))));
  return cache.get(rel)!;
}
function records<R>(rel: string): R[] {
  return parsed(rel).flatMap((s) => s.records) as R[];
}

if (DUMPS) {
  const files = filesUnder(DUMPS);

  test('the corpus has dumps in every folder this test knows', () => {
    assert.ok(files.length >= 70, `${files.length} files`);
    for (const f of files) {
      const folder = relative(DUMPS, dirname(f));
      assert.ok(FOLDER_COMMAND[folder] || NOT_PARSED.has(folder), `a folder this test does not map: ${folder}`);
    }
  });

  for (const f of files) {
    const rel = relative(DUMPS, f);
    const folder = dirname(rel);
    const name = basename(rel);
    if (NOT_PARSED.has(folder) || UNREADABLE.has(name)) {
      test(`corpus ${rel}: a command podpath does not parse: not taken for another one`, () => {
        const sections = parsed(rel);
        const taken = sections.filter((s) => s.command !== 'unknown' && s.records.length > 0);
        // ip -s link is ip link output with counters: the link parser may read it; nothing else may.
        if (folder === 'ip-s-link') assert.ok(taken.every((s) => s.command === 'ip-link'), describe(sections));
        else assert.equal(taken.map((s) => s.command), [], describe(sections));
        assert.ok(sections.flatMap((s) => s.problems).length <= 3 * sections.length, describe(sections));
      });
      continue;
    }
    test(`corpus ${rel}: recognized as ${FOLDER_COMMAND[folder]}, records, no unexpected problem`, () => {
      const sections = parsed(rel);
      const want = FOLDER_COMMAND[folder];
      const recognized = sections.filter((s) => s.command !== 'unknown');
      assert.ok(recognized.length >= 1, describe(sections));
      for (const s of recognized) assert.is(s.command, want, describe(sections));
      assert.is(detectDump(readFileSync(f), name).command, want, 'detectDump');
      const count = recognized.reduce((n, s) => n + s.records.length, 0);
      const problems = sections.flatMap((s) => s.problems);
      if (name in NO_RECORDS) {
        assert.is(count, 0);
        const expect = NO_RECORDS[name];
        if (expect === null) assert.equal(problems, []);
        else {
          assert.ok(problems.some((p) => expect.test(p.message) && p.line > 1), describe(sections));
        }
      } else if (name in EXPECTED_PROBLEMS) {
        assert.ok(count > 0, `no records: ${describe(sections)}`);
        assert.ok(problems.length > 0 && problems.every((p) => EXPECTED_PROBLEMS[name].test(p.message)), describe(sections));
      } else {
        assert.ok(count > 0, `no records: ${describe(sections)}`);
        assert.equal(problems, [], describe(sections));
      }
    });

    test(`corpus ${rel}: every record's line is in the file and names it`, () => {
      const lines = readFileSync(f, 'latin1').split('\n');
      for (const s of parsed(rel)) {
        for (const r of s.records as unknown as Record<string, unknown>[]) {
          const line = r.line as number;
          assert.ok(line >= 1 && line <= lines.length, `line ${line} of ${lines.length}`);
          if (/json/.test(folder) || folder === 'proc-net-route') continue; // a JSON object's line is its "{"; /proc is hex
          if (NO_LINE_KEY.has(s.command)) continue;
          const key =
            s.command === 'ip-addr' || s.command === 'ip-link'
              ? (r.name as string)
              : s.command === 'bridge-vlan'
                ? (r.port as string)
                : s.command === 'bridge-fdb'
                  ? (r.mac as string)
                  : s.command === 'ip-neigh'
                    ? (r.address as string)
                    : ((r.interface as string | undefined) ?? (r.type as string | undefined) ?? '');
          assert.ok(lines[line - 1].toLowerCase().includes(key.toLowerCase()), `line ${line} ${JSON.stringify(lines[line - 1])} does not name ${key}`);
        }
      }
    });
  }

  // --- facts read off by eye -----------------------------------------------------------------

  test('bridge vlan tab format: dummy1 has VIDs 1 (PVID, untagged), 2-7, 9, 10, 12', () => {
    const r = records<BridgeVlanRecord>('bridge-vlan-show/iproute2-a2f7934d-tab-format.txt');
    assert.equal(r.map((x) => x.port), ['dummy0', 'dummy1', 'br0']);
    const d1 = r.find((x) => x.port === 'dummy1')!;
    assert.equal(vids(d1), [1, 2, 3, 4, 5, 6, 7, 9, 10, 12]);
    assert.equal(d1.vlans[0], { vlan: 1, pvid: true, untagged: true });
    assert.ok(d1.vlans.slice(1).every((v) => !v.pvid && !v.untagged));
  });

  test('bridge -c vlan: the same VIDs, given as ranges', () => {
    const tab = records<BridgeVlanRecord>('bridge-vlan-show/iproute2-a2f7934d-tab-format.txt');
    const c = records<BridgeVlanRecord>('bridge-vlan-show/iproute2-a2f7934d-compressed-c.txt');
    const d1 = c.find((x) => x.port === 'dummy1')!;
    assert.ok(d1.vlans.some((v) => v.vlan === 2 && v.vlanEnd === 7));
    assert.ok(d1.vlans.some((v) => v.vlan === 9 && v.vlanEnd === 10));
    for (const port of ['dummy0', 'dummy1', 'br0'])
      assert.equal(vids(c.find((x) => x.port === port)), vids(tab.find((x) => x.port === port)), port);
  });

  test('bridge vlan: 2016 compressed text and 2016 object-keyed JSON agree', () => {
    const c = records<BridgeVlanRecord>('bridge-vlan-show/iproute2-d82a49ce-compressed-c.txt');
    const j = records<BridgeVlanRecord>('bridge-vlan-show-json/iproute2-d82a49ce-json-2016.txt');
    assert.equal(j.map((x) => x.port), ['swp1', 'swp2', 'br0']);
    for (const port of ['swp1', 'swp2', 'br0']) assert.equal(vids(j.find((x) => x.port === port)), vids(c.find((x) => x.port === port)));
    assert.equal(vids(j[0]), [1, 10, 11, 12, 13]);
    assert.ok(j[0].vlans[0].pvid && j[0].vlans[0].untagged);
  });

  test('bridge vlan: "None", -s statistics lines, -d option lines, [...] elisions, current JSON', () => {
    const none = records<BridgeVlanRecord>('bridge-vlan-show/iproute2-b262a9be-2020-pre-align-with-None.txt');
    assert.equal(none.map((x) => [x.port, vids(x)]), [['br0', [1]], ['vx0', []], ['vx1', [1]]]);
    const stats = records<BridgeVlanRecord>('bridge-vlan-show/iproute2-7abf5de6-stats-s.txt');
    assert.equal(stats.map((x) => [x.port, vids(x)]), [['br0', [1, 101]], ['eth1', [1, 100, 101, 102]]]);
    assert.equal(stats[0].vlans[0], { vlan: 1, pvid: false, untagged: true });
    const elided = records<BridgeVlanRecord>('bridge-vlan-show/iproute2-4300ee77-details-elided.txt');
    assert.equal(elided.map((x) => [x.port, vids(x)]), [['br', [1]], ['v1', [1, 2]]]);
    assert.is(elided[0].vlans[0].state, 'forwarding');
    const pretty = records<BridgeVlanRecord>('bridge-vlan-show-json/iproute2-5fe0aeb8-json-pretty.txt');
    assert.equal(withoutLines(pretty), [{ port: 'swp1', vlans: [{ vlan: 10, pvid: false, untagged: false, state: 'forwarding' }] }]);
    const text = records<BridgeVlanRecord>('bridge-vlan-show/iproute2-5fe0aeb8-neigh-suppress.txt');
    assert.equal(withoutLines(text), withoutLines(pretty));
  });

  test('bridge vlan tunnelshow: before and after column alignment give the same VLAN -> VNI map', () => {
    const a = records<BridgeVlanRecord>('bridge-vlan-tunnelshow/iproute2-e0c457b1-before-align.txt');
    const b = records<BridgeVlanRecord>('bridge-vlan-tunnelshow/iproute2-e0c457b1-after-align.txt');
    assert.equal(a, b);
    assert.equal(a[0].vlans[1], { vlan: 1010, vlanEnd: 1020, tunnelId: 1010, tunnelIdEnd: 1020, pvid: false, untagged: false });
    assert.is(a[0].vlans[2].tunnelId, 65556);
  });

  test('ip -d link: the two vxlan0 files (double space before allmulti, fixed) give the same fields', () => {
    const a = records<LinkRecord>('ip-d-link-show/iproute2-72df7f7e-vxlan0-double-space.txt');
    const b = records<LinkRecord>('ip-d-link-show/iproute2-72df7f7e-vxlan0-fixed.txt');
    assert.equal(a, b);
    assert.is(a[0].name, 'vxlan0');
    assert.is(a[0].promiscuity, 0);
    assert.is(a[0].allmulti, 0);
    assert.is(a[0].minMtu, 68);
    assert.is(a[0].maxMtu, 65535);
    assert.is(a[0].mtu, 1500);
    assert.is(a[0].mac, 'b6:f6:12:c3:2d:52');
  });

  test('ip -d link: the mail-wrapped 2017 dump', () => {
    const r = records<LinkRecord>('ip-d-link-show/iproute2-d0e72011-mail-wrapped.txt');
    assert.equal(r.map((x) => x.name), ['lo', 'eth0', 'swp1', 'vxlan42', 'bond0', 'swp1.50', 'br0']);
    const vx = r.find((x) => x.name === 'vxlan42')!;
    assert.is(vx.kind, 'vxlan');
    assert.equal(vx.vxlan, { id: 42, dstport: 8472 });
    assert.is(vx.master, 'br0');
    assert.is(vx.state, 'DOWN'); // "state" was wrapped to the next line
    assert.is(vx.mode, 'DEFAULT');
    assert.is(vx.slaveKind, 'bridge_slave');
    const vlan = r.find((x) => x.name === 'swp1.50')!;
    assert.is(vlan.peer, 'swp1');
    assert.equal(vlan.vlan, { protocol: '802.1Q', id: 50 });
    assert.is(r.find((x) => x.name === 'br0')!.kind, 'bridge');
    assert.is(r.find((x) => x.name === 'eth0')!.qlen, 1000);
  });

  test('ip -d link: external tunnels (the externaladdrgenmode bug) and @NONE', () => {
    const r = records<LinkRecord>('ip-d-link-show/iproute2-d6abae5a-external-tunnels.txt');
    assert.equal(r.map((x) => [x.name, x.kind]), [['geneve1', 'geneve'], ['vxlan1', 'vxlan'], ['gre1', 'gre'], ['ip6gre1', 'ip6gre'], ['ip6tnl1', 'ip6tnl'], ['ipip1', 'ipip']]);
    assert.equal(r[0].geneve, { external: true });
    assert.equal(r[1].vxlan, { external: true });
    assert.is(r[2].peer, 'NONE');
    assert.is(r[2].linkType, 'none');
  });

  test('ip -d link: VLAN qos maps, multiline and -oneline give the same record', () => {
    const a = records<LinkRecord>('ip-d-link-show/iproute2-970db267-vlan-qos-multiline.txt');
    const b = records<LinkRecord>('ip-d-link-show/iproute2-970db267-vlan-qos-oneline.txt');
    assert.equal(a, b);
    assert.equal(a[0].vlan, { protocol: '802.1Q', id: 4000 });
    assert.is(a[0].peer, 'veth90');
  });

  test('ip -json -brief link and ip -o link', () => {
    const j = records<LinkRecord>('ip-link-show-json/iproute2-d0e72011-brief-json.txt');
    assert.is(j.length, 7);
    assert.is(j.find((x) => x.name === 'swp1.50')!.peer, 'swp1');
    const o = records<LinkRecord>('ip-o-link-show/facter-ip_link_show_all');
    assert.equal(o.map((x) => x.name), ['lo', 'ens160', 'ib0', 'eth2', 'eth3', 'bond0']);
    assert.is(o[3].master, 'bond0');
    assert.is(o[1].mac, '00:50:56:9a:51:af');
    assert.is(o[2].linkType, 'infiniband');
  });

  test('ip addr: Kubernetes pods, cloud-init joined lines, BusyBox, altname, proto, secondary', () => {
    const antrea = records<IpAddrRecord>('ip-addr-show/antrea-multus-pod-ip-addr.txt');
    const eth0 = antrea.find((x) => x.name === 'eth0')!;
    assert.is(eth0.peer, 'if18');
    assert.is(eth0.linkNetns, '0');
    assert.is(eth0.mtu, 1450);
    assert.equal(eth0.addresses.map((a) => `${a.address}/${a.prefixLength}`), ['10.10.2.10/24']);
    assert.is(eth0.addresses[0].broadcast, '10.10.2.255');
    assert.is(antrea.find((x) => x.name === 'net1')!.peer, 'if4');

    const ci = records<IpAddrRecord>('ip-addr-show/cloud-init-sample-ipaddrshow-output');
    assert.equal(ci[0].addresses.map((a) => [a.family, a.address, a.prefixLength, a.scope]), [
      ['inet', '127.0.0.1', 8, 'host'],
      ['inet6', '::1', 128, 'host'],
    ]);
    assert.equal(ci[1].addresses.map((a) => a.address), ['192.168.2.18', 'fe80::7777:2222:1111:eeee', 'fe80::8107:2b92:867e:f8a6']);

    const bb = records<IpAddrRecord>('ip-addr-show/kubespray-pod-busybox-eth0.txt');
    assert.is(bb[0].name, 'eth0');
    assert.is(bb[0].peer, 'if9');
    assert.ok(bb[0].flags.includes('M-DOWN'));
    assert.equal(bb[0].addresses.map((a) => a.address), ['10.233.16.2', 'fe80::42:aff:fee9:2b03']);

    const flannel = records<IpAddrRecord>('ip-addr-show/kubespray-flannel.1.txt');
    assert.equal(withoutLines(flannel[0].addresses[0]), { family: 'inet', address: '10.233.16.0', prefixLength: 18, scope: 'global', label: 'flannel.1' });

    const vm = records<IpAddrRecord>('ip-addr-show/ovn-kubernetes-kubevirt-vm-altname.txt');
    assert.equal(vm[1].altnames, ['enp1s0']);
    const two = records<IpAddrRecord>('ip-addr-show/ntc-templates-linux_ip_address_show2.raw');
    const sec = two[1].addresses.find((a) => a.address === '192.168.121.45')!;
    assert.is(sec.secondary, true);
    const gpd = records<IpAddrRecord>('ip-addr-show/ntc-templates-linux_ip_address_show.raw').find((x) => x.name === 'gpd0')!;
    assert.is(gpd.linkType, 'none');
    assert.is(gpd.mac, undefined);
    const proto = records<IpAddrRecord>('ip-addr-show/iproute2-bdb8d854-proto.txt');
    assert.equal(withoutLines(proto[0].addresses), [{ family: 'inet', address: '192.0.2.1', prefixLength: 28, scope: 'global', label: 'd' }]);
  });

  test('ip addr: text and `ip -j address | jq` of the same interface agree', () => {
    const t = records<IpAddrRecord>('ip-addr-show/iproute2-bdb8d854-proto.txt');
    const j = records<IpAddrRecord>('ip-addr-show-json/iproute2-bdb8d854-json-jq.txt');
    for (const k of ['index', 'name', 'mtu', 'mac', 'state', 'qdisc', 'group', 'qlen', 'linkType'] as const) assert.equal(j[0][k], t[0][k], k);
    assert.equal(withoutLines(j[0].addresses), withoutLines(t[0].addresses));
  });

  test('ip route: types, onlink, linkdown, old double-space format, expires, IPv6, table local, 8-space indent', () => {
    const r = records<RouteRecord>('ip-route/ntc-templates-linux_ip_route_show.raw');
    assert.equal(withoutLines(r[2]), { destination: '0.0.0.0/0', type: 'unreachable', metric: 4278198272, family: 'inet' });
    assert.is(r[1].onlink, true);
    assert.equal(withoutLines(r[9]), { destination: '192.168.1.0/24', interface: 'vmbr0', proto: 'kernel', scope: 'link', src: '192.168.1.1', family: 'inet' });
    assert.is(r[10].flags, 'linkdown');
    assert.is(r[5].type, 'local');
    assert.is(r[5].destination, '10.0.0.1/32');
    const v6 = records<RouteRecord>('ip-route/cloud-init-sample-iproute-output-v6');
    assert.is(v6[0].destination, '2a00:abcd:82ae:cd33::657/128');
    assert.equal(withoutLines(v6[8]), { destination: '::/0', gateway: 'fe80::32ee:54de:cd43:b4e1', interface: 'enp0s25', proto: 'static', metric: 100, family: 'inet6' });
    assert.is(v6[10].table, 'local');
    const g = records<RouteRecord>('ip-route/genieparser-IpRouteShowTableAll.txt');
    assert.is(g.length, 8);
    assert.equal(withoutLines(g[6]), { destination: '10.233.44.70/32', type: 'local', interface: 'kube-ipvs0', table: 'local', proto: 'kernel', scope: 'host', src: '10.233.44.70', family: 'inet' });
    const nogw = records<RouteRecord>('ip-route/ntc-templates-linux_ip_route_show2.raw');
    assert.equal(withoutLines(nogw[0]), { destination: '0.0.0.0/0', interface: 'wlan0', scope: 'link', family: 'inet' });
  });

  test('route / route -n / netstat -rn / /proc/net/route', () => {
    const calico = records<RouteRecord>('route-n/calico-data-path-route-n.txt');
    assert.equal(withoutLines(calico[5]), { destination: '10.65.0.24/32', family: 'inet', flags: 'UH', metric: 0, interface: 'tapa429fb36-04' });
    assert.equal(withoutLines(calico[0]), { destination: '0.0.0.0/0', gateway: '172.18.203.1', family: 'inet', flags: 'UG', metric: 0, interface: 'eth0' });
    const names = records<RouteRecord>('route/calico-openstack-verification-route-no-n.txt');
    assert.is(names[0].destination, '0.0.0.0/0');
    assert.is(names[0].gateway, 'net-vl401-hsrp-');
    assert.is(names[1].gateway, undefined); // "*"
    assert.is(names.find((x) => x.metric === 1000)!.destination, '169.254.0.0/16'); // link-local
    const ns = records<RouteRecord>('netstat-rn/genieparser-ShowNetworkStatusRoute.txt');
    assert.equal(ns.map((x) => x.interface), ['wlo1', 'docker0', 'wlo1', 'virbr0', 'eth1-05']);
    assert.ok(ns.every((x) => x.metric === undefined)); // MSS Window irtt, no Metric column
    const v6 = records<RouteRecord>('route-n/cloud-init-sample-route-output-v6');
    assert.is(v6.length, 11);
    assert.equal(withoutLines(v6[9]), { destination: '::/0', family: 'inet6', flags: '!n', metric: -1, interface: 'lo', type: 'unreachable' });
    const proc = records<RouteRecord>('proc-net-route/facter-proc_net_route_blackhole');
    assert.equal(withoutLines(proc), [{ destination: '0.0.0.0/0', family: 'inet', flags: 'U', metric: 0, type: 'blackhole' }]);
  });

  test('bridge fdb and ip neigh facts', () => {
    const vx = records<BridgeFdbRecord>('bridge-fdb-show/iproute2-057d3c6d-vxlan-ipv6-dst.txt');
    assert.equal(withoutLines(vx), [{ mac: '00:00:00:00:00:00', dev: 'vxlan100', dst: '2001:db8:2::1', self: true, permanent: true }]);
    const nodev = records<BridgeFdbRecord>('bridge-fdb-show/iproute2-aeb14eb0-brport-no-dev.txt');
    assert.is(nodev.length, 6);
    assert.ok(nodev.every((x) => x.dev === undefined && x.self && x.permanent));
    const vlan = records<BridgeFdbRecord>('bridge-fdb-show/iproute2-ae6eb907-vlan-filter.txt');
    assert.equal(withoutLines(vlan), [{ mac: '52:54:00:bf:57:16', dev: 'eth2', vlan: 400, master: 'br0', permanent: true }]);
    const ext = records<BridgeFdbRecord>('bridge-fdb-show/iproute2-28467b7f-external-used.txt');
    assert.is(ext[0].master, 'br0');
    const n = records<NeighRecord>('ip-neigh/iproute2-9e009e78-managed-extern-learn.txt');
    assert.equal(withoutLines(n), [{ address: '192.168.178.30', dev: 'enp5s0', lladdr: 'f4:8c:50:5e:71:9a', state: 'REACHABLE', flags: ['managed', 'extern_learn'] }]);
    const p = records<NeighRecord>('ip-neigh/iproute2-62842362-neigh-get.txt');
    assert.is(p[0].state, 'PERMANENT');
    const arp = records<NeighRecord>('arp/ntc-templates-linux_arp_a.raw');
    assert.is(arp.length, 9);
    assert.equal(withoutLines(arp[1]), { address: '192.168.10.100', dev: 'eth1.10', state: 'INCOMPLETE' });
  });

  test('an indented dump gives the same records as the unindented one (dedent)', () => {
    const indented = readFileSync(join(DUMPS, 'ip-route/genieparser-IpRouteShowTableAll.txt'), 'utf8');
    const flat = indented.split('\n').map((l) => l.replace(/^ {8}/, '')).join('\n');
    assert.equal(parseDump('x', flat)[0].records, parseDump('x', indented)[0].records);
  });

  test('the corpus README examples exist', () => {
    assert.ok(existsSync(join(DUMPS, 'bridge-vlan-show/iproute2-a2f7934d-tab-format.txt')));
  });
}

test.run();
