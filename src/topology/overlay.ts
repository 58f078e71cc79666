/**
 * The overlay map: each node's pod subnet, and for each remote pod subnet the VTEP device, the
 * gateway, the remote VTEP's underlay address and the host owning it. Every remote says how it was
 * linked, strongest first:
 *
 *   fdb     route gw -> `ip neigh` lladdr on the VTEP device -> `bridge fdb` entry with that MAC -> dst
 *   neigh   route gw -> `ip neigh` lladdr -> the host whose VTEP device has that MAC
 *   encap   the route's lightweight-tunnel encap (`encap ip id N dst X`, Cilium): dst is the VTEP, id the VNI
 *   route   route gw held by another host's VTEP device (flannel: 10.42.1.0/32 on flannel.1), or the
 *           destination is another node's pod subnet (its bridge address or connected bridge route),
 *           or kubectl puts the subnet's pods on a node -> that host's underlay address
 *   capture outer headers of captured tunnel packets whose inner addresses fall in the subnet
 */
import type { CaptureFacts } from './facts.js';
import type { Evidence, Host, Overlay, OverlayRemote, TopoInterface, TopoRoute, Underlay } from './model.js';
import { isLinkLocal, isLoopbackAddress, networkOf, normalizeIp, ownersOf, parseIPv4, subnetContains } from './lookup.js';
import type { BuildContext } from './build.js';

const DOCKER_BRIDGE = /^(docker\d+|br-[0-9a-f]{12})$/;
const POD_BRIDGE = /^(cni\d*|cbr\d+|kube-bridge)$/;

export function isTunnel(i: TopoInterface): boolean {
  return i.kind === 'vxlan' || i.kind === 'geneve' || i.tunnelInferred !== undefined;
}

/** The tunnel type of a tunnel device. */
export function tunnelType(i: TopoInterface): 'vxlan' | 'geneve' {
  return i.kind === 'geneve' || (i.kind !== 'vxlan' && i.tunnelInferred?.type === 'geneve') ? 'geneve' : 'vxlan';
}

/** A collect-metadata device: no fixed VNI, each route (or BPF program) picks VNI and remote. */
export function isExternal(h: Host, i: TopoInterface): boolean {
  if (i.vxlan?.external || i.geneve?.external) return true;
  return h.routes.some((r) => r.interface === i.name && r.encap?.id !== undefined);
}

function globalV4(i: TopoInterface) {
  return i.addresses.filter((a) => a.family === 'inet' && !isLoopbackAddress(a.address) && !isLinkLocal(a.address));
}

export interface PodSubnet {
  subnet: string;
  bridge?: string;
  evidence: Evidence[];
}

/**
 * A node's pod subnet: the network of its pod bridge (the bridge whose network holds the VTEP
 * device's address, else cni0/cbr0, else a bridge with ports), else the connected route on it.
 */
export function podSubnetOf(h: Host): PodSubnet | undefined {
  if (h.role === 'pod') return undefined;
  const vtepAddrs = h.interfaces.filter(isTunnel).flatMap(globalV4).map((a) => a.address);
  const bridges = h.interfaces.filter((i) => i.kind === 'bridge' && !DOCKER_BRIDGE.test(i.name));
  const ranked = [
    ...bridges.filter((b) => globalV4(b).some((a) => vtepAddrs.some((v) => subnetContains(networkOf(a.address, a.prefixLength) ?? '', v)))),
    ...bridges.filter((b) => POD_BRIDGE.test(b.name)),
    ...bridges.filter((b) => (b.ports ?? []).length > 0),
  ];
  for (const b of ranked) {
    const a = globalV4(b)[0];
    if (!a) continue;
    const subnet = networkOf(a.address, a.prefixLength);
    if (subnet) return { subnet, bridge: b.name, evidence: b.evidence.slice(0, 1) };
  }
  const bridgeNames = new Set([...bridges.map((b) => b.name)]);
  const r = h.routes.find(
    (x) =>
      !x.gateway &&
      !x.type &&
      !x.table &&
      x.interface !== undefined &&
      (bridgeNames.has(x.interface) || POD_BRIDGE.test(x.interface)) &&
      !DOCKER_BRIDGE.test(x.interface) &&
      x.destination !== '0.0.0.0/0' &&
      parseIPv4(x.destination.split('/')[0]) !== undefined &&
      !isLinkLocal(x.destination.split('/')[0]),
  );
  if (r) return { subnet: r.destination, bridge: r.interface, evidence: [r.evidence] };
  // Routed datapaths without a bridge (Cilium): the connected route on cilium_host, which holds
  // the node's router address (`10.0.0.0/24 dev cilium_host proto kernel scope link src 10.0.0.215`).
  const routed = h.routes.find(
    (x) =>
      !x.gateway &&
      !x.type &&
      !x.table &&
      x.interface !== undefined &&
      ROUTER_DEVICE.test(x.interface) &&
      parseIPv4(x.destination.split('/')[0]) !== undefined &&
      !x.destination.endsWith('/32') &&
      !isLinkLocal(x.destination.split('/')[0]),
  );
  if (routed) return { subnet: routed.destination, bridge: routed.interface, evidence: [routed.evidence] };
  // Calico (IPAM blocks): the node's block is a blackhole route (`blackhole 10.244.17.64/26 proto
  // 80`) holding the VTEP device's address or the /32 routes of its pods' veths.
  const hostRoutes = h.routes.filter((x) => !x.gateway && !x.type && !x.table && x.interface && x.destination.endsWith('/32')).map((x) => x.destination.split('/')[0]);
  const block = h.routes.find(
    (x) =>
      x.type === 'blackhole' &&
      (!x.table || x.table === 'main') &&
      parseIPv4(x.destination.split('/')[0]) !== undefined &&
      x.destination !== '0.0.0.0/0' &&
      (vtepAddrs.some((v) => subnetContains(x.destination, v)) || hostRoutes.some((v) => subnetContains(x.destination, v))),
  );
  if (block) return { subnet: block.destination, evidence: [block.evidence] };
  return undefined;
}

/** The device holding a routed datapath's router address (Cilium's cilium_host). */
const ROUTER_DEVICE = /^cilium_host$/;

/** The main-table IPv4 default route. */
function defaultRoute(h: Host): TopoRoute | undefined {
  return h.routes.find((r) => r.destination === '0.0.0.0/0' && !r.table && !r.type);
}

/** A node's underlay address: see Underlay.source for the order. */
export function underlayOf(ctx: BuildContext, h: Host): Underlay | undefined {
  if (h.role === 'pod') return undefined;
  const tunnels = h.interfaces.filter(isTunnel);
  for (const t of tunnels) {
    if (t.vxlan?.local) {
      const owner = h.interfaces.find((i) => i.addresses.some((a) => a.address === t.vxlan!.local));
      return { address: t.vxlan.local, interface: owner?.name, source: 'vxlan-local', evidence: t.evidence.slice(0, 1) };
    }
  }
  for (const t of tunnels) {
    const lower = t.vxlan?.dev ?? t.lower;
    const li = lower ? h.interfaces.find((i) => i.name === lower) : undefined;
    const a = li ? globalV4(li)[0] : undefined;
    if (li && a) return { address: a.address, interface: li.name, source: 'lower-dev', evidence: [...t.evidence.slice(0, 1), ...li.evidence.slice(0, 1)] };
  }
  const def = defaultRoute(h);
  if (def?.interface) {
    const li = h.interfaces.find((i) => i.name === def.interface);
    const addrs = li ? globalV4(li) : [];
    const a =
      addrs.find((x) => def.gateway && subnetContains(networkOf(x.address, x.prefixLength) ?? '', def.gateway)) ??
      addrs.find((x) => x.address === def.src) ??
      addrs[0];
    if (li && a) return { address: a.address, interface: li.name, source: 'default-route', evidence: [def.evidence, ...li.evidence.slice(0, 1)] };
    if (def.src) return { address: def.src, interface: def.interface, source: 'default-route', evidence: [def.evidence] };
  }
  for (const n of ctx.kubectlNodes) {
    if (n.record.internalIp && sameNodeName(n.record.name, h.name)) {
      const ip = normalizeIp(n.record.internalIp);
      if (ip) return { address: ip, interface: def?.interface, source: 'kubectl', evidence: [n.evidence] };
    }
  }
  // AWS private DNS names encode the address: accept it only inside a connected underlay route.
  const m = /^ip-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})(\.|$)/.exec(h.name);
  const fromName = m ? normalizeIp(`${m[1]}.${m[2]}.${m[3]}.${m[4]}`) : undefined;
  if (fromName) {
    const connected = h.routes.find(
      (r) =>
        !r.gateway &&
        !r.type &&
        !r.table &&
        r.destination !== '0.0.0.0/0' &&
        r.interface !== undefined &&
        !isTunnel(h.interfaces.find((i) => i.name === r.interface) ?? ({ kind: 'other' } as TopoInterface)) &&
        !(h.interfaces.find((i) => i.name === r.interface)?.kind === 'bridge') &&
        subnetContains(r.destination, fromName),
    );
    if (connected) {
      return {
        address: fromName,
        interface: connected.interface,
        source: 'name',
        evidence: [
          { input: connected.evidence.input, text: `host name ${h.name} encodes ${fromName} (AWS private DNS name)` },
          connected.evidence,
        ],
      };
    }
  }
  // Captures on this host: the one address every tunnel tuple has in common.
  const tuples = ctx.captures.filter((c) => c.host === h.name).flatMap((c) => c.tunnels.map((t) => ({ c, t })));
  if (tuples.length > 0) {
    const counts = new Map<string, number>();
    for (const { t } of tuples) for (const a of new Set([t.outerSrc, t.outerDst])) counts.set(a, (counts.get(a) ?? 0) + 1);
    const common = [...counts].filter(([, n]) => n === tuples.length).map(([a]) => a);
    const others = new Set(ctx.topology.hosts.filter((x) => x !== h).map((x) => x.underlay?.address));
    const pick = common.filter((a) => !others.has(a));
    if (pick.length === 1) {
      const { c, t } = tuples[0];
      return {
        address: pick[0],
        source: 'capture',
        evidence: [{ input: c.input, packet: t.packet, text: `${t.outerSrc} > ${t.outerDst} udp/${t.port}${t.vni !== undefined ? ` vni ${t.vni}` : ''}` }],
      };
    }
  }
  return undefined;
}

function sameNodeName(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.split('.')[0];
  return la === b.split('.')[0] && (a.includes('.') || b.includes('.'));
}

export function findUnderlays(ctx: BuildContext): void {
  // Two rounds: the capture rule excludes addresses other hosts already own.
  for (let round = 0; round < 2; round++) {
    for (const h of ctx.topology.hosts) {
      if (h.underlay && h.underlay.source !== 'capture') continue;
      const u = underlayOf(ctx, h);
      if (u) h.underlay = u;
    }
  }
}

function hostByUnderlay(ctx: BuildContext, ip: string | undefined, except: Host): Host | undefined {
  if (!ip) return undefined;
  const hosts = ctx.topology.hosts.filter((h) => h !== except && h.role === 'node');
  return hosts.find((h) => h.underlay?.address === ip) ?? ownersOf({ hosts }, ip)[0]?.host;
}

function tunnelText(t: CaptureFacts['tunnels'][number]): string {
  return `${t.outerSrc} > ${t.outerDst} udp/${t.port}${t.vni !== undefined ? ` vni ${t.vni}` : ''}`;
}

/** The other node whose pod subnet is `subnet`, or that kubectl places pods of `subnet` on. */
function hostOfSubnet(ctx: BuildContext, except: Host, subnet: string): { host: Host; evidence: Evidence[] } | undefined {
  for (const h of ctx.topology.hosts) {
    if (h === except || h.role !== 'node') continue;
    const ps = podSubnetOf(h);
    if (ps && ps.subnet === subnet) return { host: h, evidence: ps.evidence };
  }
  const k = ctx.kubectlPods.find((p) => {
    const ip = normalizeIp(p.record.ip);
    return ip !== undefined && subnetContains(subnet, ip);
  });
  const n = k ? ctx.topology.hosts.find((h) => h !== except && h.role === 'node' && sameNodeName(k.record.node, h.name)) : undefined;
  return k && n ? { host: n, evidence: [k.evidence] } : undefined;
}

function resolveRemote(ctx: BuildContext, host: Host, dev: TopoInterface, route: TopoRoute, local: string | undefined): OverlayRemote {
  const remote: OverlayRemote = { subnet: route.destination, source: 'route', evidence: [route.evidence] };
  if (route.gateway) remote.gateway = route.gateway;
  const gw = route.gateway;
  let linked = false;

  // encap: the route itself names the endpoint (and the VNI) of a collect-metadata device.
  const encapDst = route.encap?.dst ? normalizeIp(route.encap.dst) : undefined;
  if (route.encap?.id !== undefined) remote.vni = route.encap.id;
  if (encapDst && parseIPv4(encapDst) !== undefined && encapDst !== '0.0.0.0') {
    remote.vtep = encapDst;
    remote.source = 'encap';
    const h2 = hostByUnderlay(ctx, encapDst, host);
    if (h2) remote.host = h2.name;
    else {
      // An endpoint no node has: the node whose pod subnet (or kubectl pods) the route leads to
      // names the host, so a stale endpoint shows as an overlay-conflict.
      const owner = hostOfSubnet(ctx, host, route.destination);
      if (owner) {
        remote.host = owner.host.name;
        remote.evidence.push(...owner.evidence);
      }
    }
    return remote;
  }

  // fdb / neigh
  const neigh = gw ? host.neighbors.find((n) => n.address === gw && (!n.dev || n.dev === dev.name) && n.mac) : undefined;
  if (neigh) {
    const fdb = host.fdb.find((f) => f.mac === neigh.mac && (!f.dev || f.dev === dev.name) && f.dst);
    if (fdb?.dst) {
      remote.vtep = fdb.dst;
      remote.source = 'fdb';
      remote.evidence.push(neigh.evidence, fdb.evidence);
      const h2 = hostByUnderlay(ctx, fdb.dst, host);
      if (h2) remote.host = h2.name;
      linked = true;
    } else {
      const h2 = ctx.topology.hosts.find((h) => h !== host && h.interfaces.some((i) => isTunnel(i) && i.mac === neigh.mac));
      if (h2) {
        const d2 = h2.interfaces.find((i) => isTunnel(i) && i.mac === neigh.mac)!;
        remote.host = h2.name;
        remote.source = 'neigh';
        remote.evidence.push(neigh.evidence, ...d2.evidence.slice(0, 1));
        if (h2.underlay) {
          remote.vtep = h2.underlay.address;
          remote.evidence.push(...h2.underlay.evidence);
        }
        linked = true;
      }
    }
  }

  // A VTEP from fdb that is no node's underlay address, or not the subnet owner's: stale. The
  // remote keeps the VTEP the kernel uses and gets no host (or the VTEP's real one); the node the
  // routes name is only where it should point.
  if (remote.source === 'fdb' && remote.vtep) {
    const owner = routeOwner(ctx, host, route);
    const atVtep = remote.host;
    if (owner && owner.h2.name !== atVtep && !(atVtep === undefined && owner.h2.underlay === undefined)) {
      remote.stale = true;
      remote.expected = { host: owner.h2.name, ...(owner.h2.underlay ? { vtep: owner.h2.underlay.address } : {}) };
      remote.evidence.push(...owner.extra, ...(owner.h2.underlay?.evidence ?? []));
      return remote;
    }
  }

  // route
  if (!remote.host) {
    const owner = routeOwner(ctx, host, route);
    const h2 = owner?.h2;
    const extra = owner?.extra ?? [];
    if (h2) {
      remote.host = h2.name;
      if (!linked) {
        remote.source = 'route';
        remote.evidence.push(...extra);
        if (h2.underlay) {
          remote.vtep = h2.underlay.address;
          remote.evidence.push(...h2.underlay.evidence);
        }
        linked = true;
      } else {
        remote.evidence.push(...extra);
      }
    }
  }

  // capture
  if (!remote.vtep) {
    for (const c of ctx.captures) {
      for (const t of c.tunnels) {
        if ((tunnelType(dev) === 'geneve') !== (t.type === 'geneve')) continue;
        const mine = (a: string) => (local ? a === local : c.host === host.name);
        let vtep: string | undefined;
        if (mine(t.outerSrc) && t.inner.some(([, d]) => subnetContains(route.destination, d))) vtep = t.outerDst;
        else if (mine(t.outerDst) && t.inner.some(([s]) => subnetContains(route.destination, s))) vtep = t.outerSrc;
        if (!vtep) continue;
        remote.vtep = vtep;
        if (!linked) remote.source = 'capture';
        remote.evidence.push({ input: c.input, packet: t.packet, text: tunnelText(t) });
        const h2 = hostByUnderlay(ctx, vtep, host);
        if (h2 && !remote.host) remote.host = h2.name;
        break;
      }
      if (remote.vtep) break;
    }
  }
  return remote;
}

/**
 * The node owning a remote subnet by what is not the fdb: the route's gateway on its VTEP
 * device, the subnet being its pod subnet, or kubectl placing the subnet's pods on it.
 */
function routeOwner(ctx: BuildContext, host: Host, route: TopoRoute): { h2: Host; extra: Evidence[] } | undefined {
  const gw = route.gateway;
  if (gw) {
    const o = ownersOf(ctx.topology, gw).find((x) => x.host !== host && x.host.role === 'node' && isTunnel(x.interface));
    if (o) return { h2: o.host, extra: o.interface.evidence.slice(0, 1) };
  }
  for (const h of ctx.topology.hosts) {
    if (h === host || h.role !== 'node') continue;
    const ps = podSubnetOf(h);
    if (ps && ps.subnet === route.destination) return { h2: h, extra: [...ps.evidence] };
  }
  const k = ctx.kubectlPods.find((p) => {
    const ip = normalizeIp(p.record.ip);
    return ip !== undefined && subnetContains(route.destination, ip);
  });
  const n = k ? ctx.topology.hosts.find((h) => h !== host && h.role === 'node' && sameNodeName(k.record.node, h.name)) : undefined;
  if (k && n) return { h2: n, extra: [k.evidence] };
  return undefined;
}

export function buildOverlay(ctx: BuildContext): Overlay[] {
  const out: Overlay[] = [];
  for (const host of ctx.topology.hosts) {
    if (host.role !== 'node') continue;
    for (const dev of host.interfaces.filter(isTunnel)) {
      const type = tunnelType(dev);
      const external = isExternal(host, dev);
      const ov: Overlay = { host: host.name, device: dev.name, type, remotes: [], evidence: dev.evidence.slice(0, 1) };
      const conf = type === 'vxlan' ? dev.vxlan : dev.geneve;
      // An external device has no VNI of its own (ip -d link prints `id 0` or none).
      if (conf?.vni !== undefined && !external) ov.vni = conf.vni;
      if (conf?.port !== undefined) ov.port = conf.port;
      const local = dev.vxlan?.local ?? host.underlay?.address;
      if (local) ov.local = local;
      // VNI / port from captured tunnel packets leaving or reaching this host.
      if (local && ((ov.vni === undefined && !external) || ov.port === undefined)) {
        const seen = ctx.captures.flatMap((c) =>
          c.tunnels.filter((t) => t.type === type && (t.outerSrc === local || t.outerDst === local)).map((t) => ({ c, t })),
        );
        const first = seen[0];
        if (first) {
          if (ov.vni === undefined && !external && first.t.vni !== undefined) ov.vni = first.t.vni;
          if (ov.port === undefined) ov.port = first.t.port;
          ov.evidence!.push({ input: first.c.input, packet: first.t.packet, text: tunnelText(first.t) });
        }
      }
      const ps = podSubnetOf(host);
      if (ps) {
        ov.subnet = ps.subnet;
        ov.evidence!.push(...ps.evidence);
      }
      for (const r of host.routes) {
        if (r.interface !== dev.name || r.type || (r.table && r.table !== 'main')) continue;
        const dst = r.destination.split('/')[0];
        // IPv6 pod subnets ride an IPv4 underlay only where the route says how (encap ip ... dst).
        if (parseIPv4(dst) === undefined && !r.encap?.dst) continue;
        if (isLinkLocal(dst) || r.destination === ps?.subnet) continue;
        // The device's own connected route (e.g. a /32 or the VTEP network) is no remote subnet.
        if (!r.gateway && dev.addresses.some((a) => networkOf(a.address, a.prefixLength) === r.destination)) continue;
        ov.remotes.push(resolveRemote(ctx, host, dev, r, local));
      }
      ov.remotes.sort((a, b) => (a.subnet < b.subnet ? -1 : a.subnet > b.subnet ? 1 : 0));
      out.push(ov);
    }
  }
  return out;
}
