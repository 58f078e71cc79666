/**
 * jc's fixtures (../shared/corpus/jc): for every routing-table output (route, route -n/-vn/-ee/-6,
 * netstat -r*, ip route, /proc/net/route, /proc/net/ipv6_route), arp and netstat output with its
 * .json, the fields that correspond agree with jc's parse. Key names differ; values compare directly.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { parseDump } from '../../src/dumps/index.js';
import type { DumpSection, NeighRecord, RouteRecord, SocketRecord } from '../../src/dumps/types.js';
import { shared } from '../helpers.js';
import { describe, filesUnder } from './util.js';

const base = shared('jc fixture tests');
const JC = base ? join(base, 'corpus', 'jc') : undefined;

type Jc = Record<string, unknown>;

const NO_GATEWAY = new Set(['0.0.0.0', '*', '::', '[::]']);

function prefixOf(mask: string): number {
  return mask.split('.').reduce((n, o) => n + Number(o).toString(2).replace(/0/g, '').length, 0);
}

function hexIPv4LE(h: string): string {
  return [6, 4, 2, 0].map((i) => parseInt(h.slice(i, i + 2), 16)).join('.');
}

/** 32 hex digits -> the address, compared as expanded lower-case groups. */
function expand6(a: string): string {
  let [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const mid = tail !== undefined ? Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...mid, ...t].map((g) => g.padStart(4, '0').toLowerCase()).join(':');
}

function routes(sections: DumpSection[]): RouteRecord[] {
  return sections.filter((s) => s.command === 'route-n' || s.command === 'ip-route').flatMap((s) => s.records as RouteRecord[]);
}

function parse(file: string): DumpSection[] {
  return parseDump(basename(file), readFileSync(file));
}

if (JC) {
  const files = filesUnder(JC);
  const withJson = (re: RegExp) =>
    files.filter((f) => re.test(basename(f)) && !f.endsWith('.json') && existsSync(f.replace(/\.out$/, '') + '.json') && !/windows/.test(f));
  // (jc's route-6 JSON ends with an empty object)
  const jsonOf = (f: string): Jc[] =>
    (JSON.parse(readFileSync(f.replace(/\.out$/, '') + '.json', 'utf8')) as Jc[]).filter((j) => Object.keys(j).length > 0);

  const netTools = withJson(/^(route|netstat-r)/).filter((f) => !/freebsd|osx/.test(f));
  const bsd = withJson(/^netstat-r/).filter((f) => /freebsd|osx/.test(f));
  test('jc: the routing-table fixtures are there', () => {
    assert.ok(netTools.length >= 10, netTools.map((f) => relative(JC, f)).join(' '));
    assert.ok(bsd.length >= 2);
  });

  for (const f of netTools) {
    test(`jc ${relative(JC, f)}: destination/genmask, gateway, flags, metric, iface agree`, () => {
      const sections = parse(f);
      const mine = routes(sections);
      const jc = jsonOf(f);
      assert.is(mine.length, jc.length, describe(sections));
      assert.equal(sections.flatMap((s) => s.problems), []);
      jc.forEach((j, i) => {
        const m = mine[i];
        const dest = String(j.destination);
        let want: string;
        if (j.genmask !== undefined) want = `${dest === 'default' ? '0.0.0.0' : dest}/${prefixOf(String(j.genmask))}`;
        else want = dest.replace(/^\[::\]/, '::');
        assert.is(m.destination, want, `row ${i}`);
        const gw = String(j.gateway ?? j.next_hop);
        assert.is(m.gateway, NO_GATEWAY.has(gw) ? undefined : gw.replace(/^\[::\]$/, '::'), `row ${i} gateway`);
        assert.is(m.flags, String(j.flags ?? j.route_flags), `row ${i} flags`);
        assert.is(m.metric, j.metric as number | undefined, `row ${i} metric`);
        assert.is(m.interface, j.iface, `row ${i} iface`);
      });
    });
  }

  for (const f of bsd) {
    test(`jc ${relative(JC, f)} (BSD netstat -r): gateway, flags, iface and full destinations agree`, () => {
      const sections = parse(f);
      const mine = routes(sections);
      const jc = jsonOf(f);
      assert.is(mine.length, jc.length, describe(sections));
      jc.forEach((j, i) => {
        const m = mine[i];
        assert.is(m.flags, j.route_flags, `row ${i}`);
        assert.is(m.interface, j.iface, `row ${i}`);
        const gw = String(j.gateway);
        if (!/^link#|^([0-9a-f]{1,2}:){5}[0-9a-f]{1,2}$/.test(gw)) assert.is(m.gateway, gw.replace(/%.*$/, ''), `row ${i} gateway`);
        else assert.is(m.gateway, undefined);
        const d = String(j.destination);
        if (d === 'default') assert.ok(m.destination === '0.0.0.0/0' || m.destination === '::/0');
        else if (/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(d)) assert.is(m.destination, d);
        else if (/^\d+\.\d+\.\d+\.\d+$/.test(d)) assert.is(m.destination, `${d}/32`);
      });
    });
  }

  for (const f of withJson(/^ip_route/)) {
    test(`jc ${relative(JC, f)}: ip route fields agree`, () => {
      const sections = parse(f);
      const mine = routes(sections);
      const jc = jsonOf(f);
      assert.is(mine.length, jc.length, describe(sections));
      jc.forEach((j, i) => {
        const m = mine[i];
        const ip = String(j.ip);
        assert.is(m.destination, ip === 'default' ? '0.0.0.0/0' : ip.includes('/') ? ip : `${ip}/32`);
        assert.is(m.gateway, j.via);
        assert.is(m.interface, j.dev);
        assert.is(m.proto, j.proto);
        assert.is(m.scope, j.scope);
        assert.is(m.src, j.src);
        assert.is(m.metric, j.metric);
        if (j.status) assert.ok(m.flags?.split(' ').includes(String(j.status)));
      });
    });
  }

  const proc4 = join(JC, 'linux-proc', 'net_route');
  if (existsSync(proc4)) {
    test('jc linux-proc/net_route: /proc/net/route agrees', () => {
      const mine = routes(parse(proc4));
      const jc = JSON.parse(readFileSync(proc4 + '.json', 'utf8')) as Jc[];
      assert.is(mine.length, jc.length);
      jc.forEach((j, i) => {
        const mask = hexIPv4LE(String(j.Mask));
        assert.is(mine[i].destination, `${hexIPv4LE(String(j.Destination))}/${prefixOf(mask)}`);
        const gw = hexIPv4LE(String(j.Gateway));
        assert.is(mine[i].gateway, gw === '0.0.0.0' ? undefined : gw);
        assert.is(mine[i].interface, j.Iface);
        assert.is(mine[i].metric, j.Metric);
        assert.is(mine[i].flags!.includes('G'), (parseInt(String(j.Flags), 16) & 2) !== 0);
      });
    });
  }

  const proc6 = join(JC, 'linux-proc', 'net_ipv6_route');
  if (existsSync(proc6)) {
    test('jc linux-proc/net_ipv6_route: /proc/net/ipv6_route agrees', () => {
      const mine = routes(parse(proc6));
      const jc = JSON.parse(readFileSync(proc6 + '.json', 'utf8')) as Jc[];
      assert.is(mine.length, jc.length);
      jc.forEach((j, i) => {
        const [addr, plen] = mine[i].destination.split('/');
        const hex = String(j.dest_net).match(/.{4}/g)!.join(':');
        assert.is(expand6(addr), hex, `row ${i}`);
        assert.is(Number(plen), parseInt(String(j.dest_prefix), 16));
        assert.is(mine[i].metric, parseInt(String(j.metric), 16));
        const nh = String(j.next_hop).match(/.{4}/g)!.join(':');
        assert.is(mine[i].gateway === undefined ? '0000:0000:0000:0000:0000:0000:0000:0000' : expand6(mine[i].gateway!), nh);
      });
    });
  }

  for (const f of withJson(/^arp/)) {
    test(`jc ${relative(JC, f)}: arp entries agree (address, MAC, interface)`, () => {
      const sections = parse(f);
      const mine = sections.filter((s) => s.command === 'ip-neigh').flatMap((s) => s.records as NeighRecord[]);
      const jc = jsonOf(f);
      assert.is(mine.length, jc.length, describe(sections));
      assert.equal(sections.flatMap((s) => s.problems), []);
      jc.forEach((j, i) => {
        assert.is(mine[i].address, j.address);
        assert.is(mine[i].lladdr, j.hwaddress ? String(j.hwaddress).toLowerCase() : undefined);
        if (j.iface !== undefined) assert.is(mine[i].dev, j.iface);
        if (j.permanent === true) assert.is(mine[i].state, 'PERMANENT');
      });
    });
  }

  for (const f of withJson(/^netstat\.out$/)) {
    test(`jc ${relative(JC, f)}: netstat Internet sockets agree`, () => {
      const sections = parse(f);
      const mine = sections.filter((s) => s.command === 'sockets').flatMap((s) => s.records as SocketRecord[]);
      const jc = jsonOf(f).filter((j) => j.kind === 'network');
      assert.is(mine.length, jc.length, describe(sections));
      jc.forEach((j, i) => {
        assert.is(mine[i].proto, j.proto);
        assert.is(mine[i].localAddress, j.local_address);
        assert.is(mine[i].foreignAddress, j.foreign_address);
        assert.is(mine[i].state, j.state);
        if (j.local_port_num !== undefined) assert.is(mine[i].localPort, j.local_port_num);
        if (j.foreign_port_num !== undefined) assert.is(mine[i].foreignPort, j.foreign_port_num);
      });
    });
  }

  const win = join(JC, 'windows', 'windows-10', 'route.out');
  if (existsSync(win)) {
    test('jc windows route print (CRLF) is not taken for a Linux routing table', () => {
      const sections = parse(win);
      assert.equal(routes(sections), [], describe(sections));
      assert.ok(sections.every((s) => s.command === 'unknown' && s.problems.length > 0 && s.problems[0].line >= 1));
    });
  }

  test('jc: every .out parses without throwing', () => {
    for (const f of files.filter((x) => !x.endsWith('.json'))) {
      const s = parse(f);
      assert.ok(Array.isArray(s) && s.length > 0, relative(JC, f));
      assert.ok(dirname(f));
    }
  });
}

test.run();
