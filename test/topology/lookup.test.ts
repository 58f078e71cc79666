import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  formatIPv4,
  lookupRoute,
  networkOf,
  normalizeCidr,
  normalizeIp,
  ownerOf,
  ownersOf,
  parseCidr,
  parseIPv4,
  parseIPv6,
  subnetContains,
  subnetCovers,
} from '../../src/topology/lookup.js';
import type { Host, TopoRoute } from '../../src/topology/model.js';

const ev = { input: 'route-n.txt' };
const route = (destination: string, extra: Partial<TopoRoute> = {}): TopoRoute => ({ destination, evidence: ev, ...extra });

test('parseIPv4: dotted quads to uint32, junk to undefined', () => {
  for (const [s, n] of [
    ['0.0.0.0', 0],
    ['10.42.1.0', 0x0a2a0100],
    ['255.255.255.255', 0xffffffff],
    [' 10.32.7.224 ', 0x0a2007e0],
  ] as const) {
    assert.is(parseIPv4(s), n, s);
  }
  for (const s of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', 'a.b.c.d', '', '1.2.3.-4']) assert.is(parseIPv4(s), undefined, s);
});

test('formatIPv4 round-trips', () => {
  for (const s of ['0.0.0.0', '10.42.0.37', '255.255.255.255', '169.254.169.254']) assert.is(formatIPv4(parseIPv4(s)!), s);
});

test('parseIPv6: compressed, full, embedded IPv4, zone; bad forms rejected', () => {
  assert.is(parseIPv6('::'), 0n);
  assert.is(parseIPv6('::1'), 1n);
  assert.is(parseIPv6('fe80::2c98:28ff:fe11:b8e'), 0xfe800000000000002c9828fffe110b8en);
  assert.is(parseIPv6('fe80::1%eth0'), 0xfe800000000000000000000000000001n);
  assert.is(parseIPv6('::ffff:10.42.1.7'), 0xffff0a2a0107n);
  assert.is(parseIPv6('1:2:3:4:5:6:7:8'), 0x00010002000300040005000600070008n);
  for (const s of ['1::2::3', '12345::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'g::1', '10.0.0.1', ':::']) assert.is(parseIPv6(s), undefined, s);
});

test('normalizeIp and normalizeCidr give canonical text', () => {
  assert.is(normalizeIp('FE80:0:0:0:0:0:0:1'), 'fe80::1');
  assert.is(normalizeIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.is(normalizeIp('10.42.1.1'), '10.42.1.1');
  assert.is(normalizeCidr('10.42.1.5/24'), '10.42.1.0/24');
  assert.is(normalizeCidr('default'), '0.0.0.0/0');
  assert.is(normalizeCidr('fe80::2c98:28ff:fe11:b8e/64'), 'fe80::/64');
  assert.is(normalizeCidr('10.0.0.0/33'), undefined);
  assert.is(networkOf('10.32.7.224', 20), '10.32.0.0/20');
  assert.is(networkOf('10.42.1.0', 32), '10.42.1.0/32');
  assert.equal(parseCidr('10.42.1.0'), { family: 'inet', value: 0x0a2a0100n, bits: 32, prefix: 32 });
});

test('subnetContains: edges of the prefix, /0, /32, families never mix', () => {
  assert.ok(subnetContains('10.32.0.0/20', '10.32.7.224'));
  assert.ok(subnetContains('10.32.0.0/20', '10.32.15.255'));
  assert.not.ok(subnetContains('10.32.0.0/20', '10.32.16.0'));
  assert.ok(subnetContains('0.0.0.0/0', '8.8.8.8'));
  assert.ok(subnetContains('10.42.1.0/32', '10.42.1.0'));
  assert.not.ok(subnetContains('10.42.1.0/32', '10.42.1.1'));
  assert.ok(subnetContains('fe80::/10', 'fe80::1'));
  assert.not.ok(subnetContains('0.0.0.0/0', '::1'));
  assert.not.ok(subnetContains('bogus', '10.0.0.1'));
  assert.ok(subnetCovers('10.42.0.0/16', '10.42.1.0/24'));
  assert.not.ok(subnetCovers('10.42.1.0/24', '10.42.0.0/16'));
});

// The control plane's `route -n` of the seed (pod-network.md), as routes.
const controlPlane: Pick<Host, 'routes'> = {
  routes: [
    route('0.0.0.0/0', { gateway: '10.32.0.1', interface: 'eth0' }),
    route('10.32.0.0/20', { interface: 'eth0' }),
    route('10.42.0.0/24', { interface: 'cni0' }),
    route('10.42.1.0/24', { gateway: '10.42.1.0', interface: 'flannel.1' }),
    route('169.254.169.254/32', { interface: 'eth0' }),
    route('172.17.0.0/16', { interface: 'docker0' }),
  ],
};

test('lookupRoute: longest prefix wins (seed control plane)', () => {
  const dev = (ip: string) => lookupRoute(controlPlane, ip)?.interface;
  assert.is(dev('10.42.1.39'), 'flannel.1');
  assert.is(dev('10.42.0.37'), 'cni0');
  assert.is(dev('10.32.7.224'), 'eth0');
  assert.is(lookupRoute(controlPlane, '10.32.7.224')?.destination, '10.32.0.0/20');
  assert.is(lookupRoute(controlPlane, '169.254.169.254')?.destination, '169.254.169.254/32');
  assert.is(lookupRoute(controlPlane, '8.8.8.8')?.gateway, '10.32.0.1');
  assert.is(lookupRoute(controlPlane, '172.17.0.2')?.interface, 'docker0');
  assert.is(lookupRoute(controlPlane, 'fe80::1'), undefined, 'no IPv6 routes');
  assert.is(lookupRoute(controlPlane, 'nonsense'), undefined);
});

test('lookupRoute: lowest metric among equal prefixes, local table first, other tables ignored', () => {
  const h: Pick<Host, 'routes'> = {
    routes: [
      route('10.0.0.0/8', { interface: 'a', metric: 200 }),
      route('10.0.0.0/8', { interface: 'b', metric: 100 }),
      route('10.1.0.0/16', { interface: 'c', table: '100' }),
      route('10.9.9.9/32', { interface: 'lo', table: 'local', type: 'local' }),
      route('10.9.0.0/16', { interface: 'd' }),
      route('2001:db8::/32', { interface: 'e' }),
    ],
  };
  assert.is(lookupRoute(h, '10.1.2.3')?.interface, 'b');
  assert.is(lookupRoute(h, '10.9.9.9')?.interface, 'lo');
  assert.is(lookupRoute(h, '10.9.9.8')?.interface, 'd');
  assert.is(lookupRoute(h, '2001:db8::5')?.interface, 'e');
  assert.is(lookupRoute({ routes: [] }, '10.0.0.1'), undefined);
});

test('ownerOf: the interface holding an address, nodes before pods', () => {
  const mk = (name: string, role: 'node' | 'pod', itf: string, address: string): Host => ({
    name,
    role,
    interfaces: [{ name: itf, kind: 'ethernet', addresses: [{ family: 'inet', address, prefixLength: 24 }], evidence: [] }],
    routes: [],
    neighbors: [],
    fdb: [],
    listening: [],
    inputs: [],
  });
  const t = { hosts: [mk('pod1', 'pod', 'eth0', '10.0.0.1'), mk('node1', 'node', 'eth0', '10.0.0.1'), mk('node2', 'node', 'flannel.1', '10.42.1.0')] };
  assert.is(ownerOf(t, '10.0.0.1')?.host.name, 'node1');
  assert.is(ownersOf(t, '10.0.0.1').length, 2);
  assert.is(ownerOf(t, '10.42.1.0')?.interface.name, 'flannel.1');
  assert.is(ownerOf(t, '10.42.1.1'), undefined);
});

test.run();
