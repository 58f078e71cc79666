/**
 * Dump records of every host -> the neutral Topology. The only module that knows dump quirks:
 * `route -n` prints 0.0.0.0 for "no gateway", `ip addr` prints a veth peer as `@if5`, the same host
 * may be dumped several times (ip addr + ip -j addr + a pasted session), `ip -d link` may be absent
 * so kinds are inferred from names, and kubectl names nodes by FQDN while host folders use the
 * first label.
 *
 * Phases: merge each host's records -> infer kinds and bridge ports -> roles (node / pod namespace)
 * -> veth pairs across hosts -> underlay addresses -> overlay map -> pods -> capture bindings
 * -> findings. Nothing here throws on bad data: what cannot be derived stays undefined and, where
 * it matters, becomes a finding.
 */
import { attachServices } from '../nat/services.js';
import type {
  BridgeFdbRecord,
  BridgeVlanRecord,
  DumpSection,
  IpAddrRecord,
  KubectlNodeRecord,
  KubectlPodRecord,
  LinkRecord,
  NeighRecord,
  RouteRecord,
  SocketRecord,
} from '../dumps/types.js';
import type { CaptureFacts } from './facts.js';
import type {
  Evidence,
  Host,
  InterfaceKind,
  Pod,
  TopoAddress,
  TopoInterface,
  TopoRoute,
  Topology,
} from './model.js';
import { isLinkLocal, isLoopbackAddress, normalizeCidr, normalizeIp, parseIPv4, subnetContains } from './lookup.js';
import { buildOverlay, findUnderlays, podSubnetOf } from './overlay.js';
import { bindCapture } from './bind.js';
import { addFindings } from './findings.js';
import { attachPodPorts } from './pod-ports.js';

export interface HostSection {
  host?: string;
  section: DumpSection;
}

export interface BuildOptions {
  /** The text of an input's line (1-based), for evidence. */
  lineText?: (input: string, line: number) => string | undefined;
  /** Host name for host-level dumps that came without one (a single file). Default "unnamed". */
  defaultHost?: string;
}

/** What the later phases need beyond the public model, kept off the JSON. */
export interface BuildContext {
  topology: Topology;
  /** Dump commands seen per host (an empty `bridge fdb` still counts). */
  commands: Map<string, Set<string>>;
  kubectlPods: { record: KubectlPodRecord; evidence: Evidence }[];
  kubectlNodes: { record: KubectlNodeRecord; evidence: Evidence }[];
  captures: CaptureFacts[];
  /** Per host: facts two of its dumps disagree on. */
  conflicts: Map<string, HostDraft['conflicts']>;
  ev(input: string, line: number): Evidence;
}

/** Cluster-wide listings: they describe every host, and make no host of their own. */
const GLOBAL_COMMANDS = new Set(['kubectl-pods', 'kubectl-nodes', 'kubectl-services', 'kubectl-endpoints', 'kubectl-endpointslices']);
/** Evidence lines longer than this are cut. */
export const MAX_EVIDENCE_TEXT = 240;

interface HostDraft {
  host: Host;
  itfs: Map<string, TopoInterface>;
  linkKind: Map<string, string>;
  linkType: Map<string, string>;
  /** Route identity -> the route kept (a Map: duplicates merge in O(1), not by a scan). */
  routeKeys: Map<string, TopoRoute>;
  neighKeys: Set<string>;
  fdbKeys: Set<string>;
  inputs: Set<string>;
  commands: Set<string>;
  /** Two dumps of the host disagree (the first, in input order, is kept). */
  conflicts: { itf: string; field: string; kept: unknown; other: unknown; evidence: Evidence[] }[];
  /** Interfaces only mentioned (by a route, neighbour, fdb or VLAN entry), not dumped. */
  stubs: Set<TopoInterface>;
}

export function buildTopology(sections: HostSection[], captures: CaptureFacts[] = [], opts: BuildOptions = {}): Topology {
  const ev = (input: string, line: number): Evidence => {
    const raw = opts.lineText?.(input, line)?.trim();
    if (raw === undefined) return { input, line };
    // A one-line JSON dump is no readable evidence line: keep its head.
    return { input, line, text: raw.length > MAX_EVIDENCE_TEXT ? `${raw.slice(0, MAX_EVIDENCE_TEXT - 1)}…` : raw };
  };
  const defaultHost = opts.defaultHost ?? 'unnamed';
  const drafts = new Map<string, HostDraft>();
  const draft = (name: string): HostDraft => {
    let d = drafts.get(name);
    if (!d) {
      d = {
        host: { name, role: 'node', interfaces: [], routes: [], neighbors: [], fdb: [], listening: [], inputs: [] },
        itfs: new Map(),
        linkKind: new Map(),
        linkType: new Map(),
        routeKeys: new Map(),
        neighKeys: new Set(),
        fdbKeys: new Set(),
        inputs: new Set(),
        commands: new Set(),
        conflicts: [],
        stubs: new Set(),
      };
      drafts.set(name, d);
    }
    return d;
  };
  const kubectlPods: BuildContext['kubectlPods'] = [];
  const kubectlNodes: BuildContext['kubectlNodes'] = [];

  // Text dumps before JSON ones (their lines make readable evidence), then by input and line.
  const isJson = (s: DumpSection) => (s.input.endsWith('.json') ? 1 : 0);
  const ordered = [...sections].sort(
    (a, b) =>
      cmp(a.host ?? '', b.host ?? '') ||
      isJson(a.section) - isJson(b.section) ||
      cmp(a.section.input, b.section.input) ||
      a.section.line - b.section.line,
  );
  // 1. merge records per host
  for (const { host, section } of ordered) {
    if (section.command === 'unknown') continue;
    if (GLOBAL_COMMANDS.has(section.command)) {
      for (const r of section.records) {
        if (section.command === 'kubectl-pods') kubectlPods.push({ record: r as KubectlPodRecord, evidence: ev(section.input, r.line) });
        else if (section.command === 'kubectl-nodes') kubectlNodes.push({ record: r as KubectlNodeRecord, evidence: ev(section.input, r.line) });
      }
      continue;
    }
    if (section.command === 'hostname') continue; // discovery applies it to the host's name
    const d = draft(host ?? defaultHost);
    d.inputs.add(section.input);
    d.commands.add(section.command);
    for (const r of section.records) {
      const e = ev(section.input, r.line);
      switch (section.command) {
        case 'ip-addr':
          mergeAddr(d, r as IpAddrRecord, e);
          break;
        case 'ip-link':
          mergeLink(d, r as LinkRecord, e);
          break;
        case 'ip-route':
        case 'route-n':
          mergeRoute(d, r as RouteRecord, e);
          break;
        case 'bridge-vlan':
          mergeVlan(d, r as BridgeVlanRecord, e);
          break;
        case 'bridge-fdb':
          mergeFdb(d, r as BridgeFdbRecord, e);
          break;
        case 'ip-neigh':
          mergeNeigh(d, r as NeighRecord, e);
          break;
        case 'sockets':
          mergeSocket(d, r as SocketRecord, e);
          break;
      }
    }
  }

  // 2. kinds, bridge ports, order
  for (const d of drafts.values()) finishInterfaces(d);

  const topology: Topology = { hosts: [], pods: [], overlay: [], captures: [], findings: [] };
  for (const d of drafts.values()) {
    d.host.inputs = [...d.inputs].sort(cmp);
    topology.hosts.push(d.host);
  }
  const commands = new Map<string, Set<string>>();
  for (const [name, d] of drafts) commands.set(name, d.commands);
  const conflicts = new Map<string, HostDraft['conflicts']>();
  for (const [name, d] of drafts) if (d.conflicts.length) conflicts.set(name, d.conflicts);
  const ctx: BuildContext = { topology, commands, kubectlPods, kubectlNodes, captures, conflicts, ev };

  // Hosts that only captures name.
  for (const c of captures) {
    if (c.host && !drafts.has(c.host) && !topology.hosts.some((h) => h.name === c.host)) {
      topology.hosts.push({ name: c.host, role: 'node', interfaces: [], routes: [], neighbors: [], fdb: [], listening: [], inputs: [] });
      commands.set(c.host, new Set());
    }
  }
  // one sort per host, not one per capture (10,000 captures of one host took minutes)
  const inputsOf = new Map<Host, Set<string>>();
  for (const c of captures) {
    const h = c.host ? topology.hosts.find((x) => x.name === c.host) : undefined;
    if (!h) continue;
    let set = inputsOf.get(h);
    if (!set) inputsOf.set(h, (set = new Set(h.inputs)));
    set.add(c.input);
  }
  for (const [h, set] of inputsOf) if (set.size !== h.inputs.length) h.inputs = [...set].sort(cmp);

  // 3. roles, 4. veth pairs
  assignRoles(ctx);
  joinVeths(ctx);
  sortHosts(topology);

  // 5. underlay addresses, 6. overlay map
  findUnderlays(ctx);
  topology.overlay = buildOverlay(ctx);

  // 7. pods
  topology.pods = buildPods(ctx);
  // 7b. Services and kube-proxy's NAT facts (src/nat/services.ts)
  attachServices(topology, sections, ev);

  // 8. captures
  for (const c of captures) {
    topology.captures.push(
      bindCapture(topology, { input: c.input, host: c.host, fileName: c.fileName ?? '', pcapngIfNames: c.ifNames, sll2Ifindexes: c.ifindexes, facts: c }),
    );
  }

  // 8b. each pod's port on its node (src/topology/pod-ports.ts)
  attachPodPorts(topology, captures);

  // 9. findings
  addFindings(ctx);
  return topology;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// 1. merging

function itfOf(d: HostDraft, name: string, e: Evidence, stub = false): TopoInterface {
  let i = d.itfs.get(name);
  if (!i) {
    i = { name, kind: 'other', addresses: [], evidence: [e] };
    d.itfs.set(name, i);
    if (stub) d.stubs.add(i);
    return i;
  }
  if (!stub) {
    // The first real record replaces what only mentioned the interface (a route, an fdb entry).
    if (d.stubs.delete(i)) i.evidence = [];
    if (!i.evidence.some((x) => x.input === e.input && x.line === e.line)) i.evidence.push(e);
  }
  return i;
}

function setPeer(i: TopoInterface, peer: string | undefined): void {
  if (!peer || peer === 'NONE') return;
  if (/^if\d+$/.test(peer)) i.peer ??= peer;
  else i.lower ??= peer;
}

/** Fills the scalar facts of an interface; a second dump saying otherwise is a conflict. */
function fill(d: HostDraft, i: TopoInterface, r: { index?: number; mtu?: number; mac?: string; master?: string }, e: Evidence): void {
  for (const field of ['index', 'mtu', 'mac', 'master'] as const) {
    const v = field === 'mac' ? r.mac?.toLowerCase() : r[field];
    if (v === undefined) continue;
    const old = i[field];
    if (old === undefined) (i as unknown as Record<string, unknown>)[field] = v;
    else if (old !== v && !d.conflicts.some((c) => c.itf === i.name && c.field === field && c.other === v)) {
      d.conflicts.push({ itf: i.name, field, kept: old, other: v, evidence: [i.evidence[0], e] });
    }
  }
}

function mergeAddr(d: HostDraft, r: IpAddrRecord, e: Evidence): void {
  if (!r.name) return;
  const i = itfOf(d, r.name, e);
  fill(d, i, r, e);
  i.state ??= r.state;
  i.linkNetns ??= r.linkNetns;
  setPeer(i, r.peer);
  if (r.linkType && !d.linkType.has(r.name)) d.linkType.set(r.name, r.linkType);
  for (const a of r.addresses ?? []) {
    const address = normalizeIp(a.address) ?? a.address;
    if (i.addresses.some((x) => x.family === a.family && x.address === address && x.prefixLength === a.prefixLength)) continue;
    const t: TopoAddress = { family: a.family, address, prefixLength: a.prefixLength };
    if (a.scope) t.scope = a.scope;
    i.addresses.push(t);
  }
}

function mergeLink(d: HostDraft, r: LinkRecord, e: Evidence): void {
  if (!r.name) return;
  const i = itfOf(d, r.name, e);
  fill(d, i, r, e);
  i.state ??= r.state;
  i.linkNetns ??= r.linkNetns;
  setPeer(i, r.peer);
  if (r.linkType && !d.linkType.has(r.name)) d.linkType.set(r.name, r.linkType);
  if (r.kind && r.kind !== 'bridge_slave' && !d.linkKind.has(r.name)) d.linkKind.set(r.name, r.kind);
  if (r.vxlan && !i.vxlan) {
    i.vxlan = {};
    // A collect-metadata (`external`) device has no fixed VNI: the VNI is set per packet.
    if (r.vxlan.external) i.vxlan.external = true;
    else if (r.vxlan.id !== undefined) i.vxlan.vni = r.vxlan.id;
    if (r.vxlan.dstport !== undefined) i.vxlan.port = r.vxlan.dstport;
    if (r.vxlan.local) i.vxlan.local = normalizeIp(r.vxlan.local) ?? r.vxlan.local;
    if (r.vxlan.dev) {
      i.vxlan.dev = r.vxlan.dev;
      i.lower ??= r.vxlan.dev;
    }
    if (r.vxlan.learning !== undefined) i.vxlan.learning = r.vxlan.learning;
    if (r.vxlan.external) i.vxlan.external = true;
  }
  if (r.geneve && !i.geneve) {
    i.geneve = {};
    if (r.geneve.external) i.geneve.external = true;
    else if (r.geneve.id !== undefined) i.geneve.vni = r.geneve.id;
    if (r.geneve.dstport !== undefined) i.geneve.port = r.geneve.dstport;
    if (r.geneve.external) i.geneve.external = true;
  }
}

function normGateway(g: string | undefined): string | undefined {
  if (!g || g === '0.0.0.0' || g === '::' || g === '*') return undefined;
  return normalizeIp(g) ?? g;
}

function mergeRoute(d: HostDraft, r: RouteRecord, e: Evidence): void {
  const destination = r.destination === 'default' ? '0.0.0.0/0' : (normalizeCidr(r.destination) ?? r.destination);
  const hops = r.nexthops && r.nexthops.length > 0 ? r.nexthops : [{ gateway: r.gateway, interface: r.interface }];
  for (const hop of hops) {
    const route: TopoRoute = { destination, evidence: e };
    const gw = normGateway(hop.gateway ?? r.gateway);
    if (gw) route.gateway = gw;
    const dev = hop.interface ?? r.interface;
    if (dev && dev !== '*') route.interface = dev;
    if (r.metric !== undefined && r.metric !== 0) route.metric = r.metric;
    if (r.type && r.type !== 'unicast') route.type = r.type;
    if (r.onlink) route.onlink = true;
    if (r.src) route.src = normalizeIp(r.src) ?? r.src;
    if (r.table && r.table !== 'main' && r.table !== '254') route.table = r.table === '255' ? 'local' : r.table;
    if (r.encap) {
      const enc: NonNullable<TopoRoute['encap']> = { type: r.encap.type };
      if (r.encap.id !== undefined) enc.id = r.encap.id;
      const dst = r.encap.dst ? (normalizeIp(r.encap.dst) ?? r.encap.dst) : undefined;
      if (dst) enc.dst = dst;
      const src = r.encap.src ? (normalizeIp(r.encap.src) ?? r.encap.src) : undefined;
      if (src && src !== '0.0.0.0' && src !== '::') enc.src = src;
      route.encap = enc;
    }
    const key = [route.destination, route.gateway ?? '', route.interface ?? '', route.metric ?? 0, route.type ?? '', route.table ?? ''].join('|');
    const old = d.routeKeys.get(key);
    if (old) {
      // The same route from another dump: keep the richer record (ip route has src/onlink).
      old.src ??= route.src;
      old.encap ??= route.encap;
      if (route.onlink) old.onlink = true;
      continue;
    }
    d.routeKeys.set(key, route);
    d.host.routes.push(route);
    if (route.interface) itfOf(d, route.interface, e, true);
  }
}

function mergeVlan(d: HostDraft, r: BridgeVlanRecord, e: Evidence): void {
  if (!r.port) return;
  const port = itfOf(d, r.port, e, true);
  // Attached to the bridge later (the port's master may come from a later dump).
  const pending = ((port as PendingVlans).__vlans ??= []);
  for (const v of r.vlans) {
    // 12-bit VLAN ids only: a hostile dump's 1e20 would never end the loop (1e20 + 1 === 1e20)
    if (!Number.isInteger(v.vlan) || v.vlan < 0 || v.vlan > 4095) continue;
    const end = Math.min(v.vlanEnd ?? v.vlan, 4095);
    for (let id = v.vlan; id <= end; id++) {
      if (!pending.some((x) => x.vlan === id)) pending.push({ port: r.port, vlan: id, pvid: v.pvid, untagged: v.untagged });
    }
  }
}

type PendingVlans = TopoInterface & { __vlans?: { port: string; vlan: number; pvid: boolean; untagged: boolean }[] };

function mergeFdb(d: HostDraft, r: BridgeFdbRecord, e: Evidence): void {
  const mac = r.mac?.toLowerCase();
  if (!mac) return;
  const dst = r.dst ? (normalizeIp(r.dst) ?? r.dst) : undefined;
  const key = [mac, r.dev ?? '', dst ?? '', r.vlan ?? '', r.master ?? ''].join('|');
  if (d.fdbKeys.has(key)) return;
  d.fdbKeys.add(key);
  const f: Host['fdb'][number] = { mac, evidence: e };
  if (r.dev) f.dev = r.dev;
  if (dst) f.dst = dst;
  if (r.vlan !== undefined) f.vlan = r.vlan;
  if (r.master) f.master = r.master;
  if (r.permanent) f.permanent = true;
  d.host.fdb.push(f);
  if (r.dev) itfOf(d, r.dev, e, true);
}

function mergeNeigh(d: HostDraft, r: NeighRecord, e: Evidence): void {
  const address = normalizeIp(r.address) ?? r.address;
  const key = `${address}|${r.dev ?? ''}`;
  if (d.neighKeys.has(key)) return;
  d.neighKeys.add(key);
  const n: Host['neighbors'][number] = { address, evidence: e };
  if (r.lladdr) n.mac = r.lladdr.toLowerCase();
  if (r.dev) n.dev = r.dev;
  if (r.state) n.state = r.state;
  d.host.neighbors.push(n);
  if (r.dev) itfOf(d, r.dev, e, true);
}

function mergeSocket(d: HostDraft, r: SocketRecord, e: Evidence): void {
  const listening = (r.state ?? '').toUpperCase() === 'LISTEN' || (/^udp/i.test(r.proto) && !r.foreignPort);
  if (!listening) return;
  if (d.host.listening.some((x) => x.proto === r.proto && x.address === r.localAddress && x.port === r.localPort)) return;
  const l: Host['listening'][number] = { proto: r.proto, address: r.localAddress, port: r.localPort, evidence: e };
  if (r.process && r.process !== '-') l.process = r.process;
  d.host.listening.push(l);
}

// ---------------------------------------------------------------------------------------------
// 2. kinds

const KIND_OF_LINK: Record<string, InterfaceKind> = {
  veth: 'veth',
  bridge: 'bridge',
  vxlan: 'vxlan',
  geneve: 'geneve',
  ipip: 'ipip',
  gre: 'gre',
  gretap: 'gre',
  ip6gre: 'gre',
  ip6gretap: 'gre',
  erspan: 'gre',
  ip6erspan: 'gre',
};

const BRIDGE_NAME = /^(cni\d*|cbr\d+|docker\d+|br-.+|br\d+|virbr\d+|kube-bridge|lxcbr\d+|weave)$/;
const VXLAN_NAME = /^(flannel(-v6)?\.\d+|vxlan.*|cilium_vxlan|.*\.vxlan|nsx-vxlan.*)$/;
const GENEVE_NAME = /^(genev_sys_\d+|geneve.*|cilium_geneve)$/;
/** Cilium's host veths: lxc<hash> per pod (not LXC's lxcbr0 bridge), lxc_health, cilium_host/cilium_net. */
const VETH_NAME = /^(lxc(?!br\d)[0-9a-z_]+|cilium_host|cilium_net)$/;

/** Kind from `ip -d link` when given, else from the name, the link type and the bridge ports. */
export function inferKind(
  name: string,
  opts: { linkKind?: string; linkType?: string; peer?: string; isMaster?: boolean } = {},
): InterfaceKind {
  if (opts.linkKind) return KIND_OF_LINK[opts.linkKind] ?? 'other';
  if (opts.linkType === 'loopback' || name === 'lo') return 'loopback';
  if ((opts.peer && /^if\d+$/.test(opts.peer)) || /^veth/.test(name) || VETH_NAME.test(name)) return 'veth';
  if (opts.isMaster || BRIDGE_NAME.test(name)) return 'bridge';
  if (VXLAN_NAME.test(name)) return 'vxlan';
  if (GENEVE_NAME.test(name)) return 'geneve';
  if (/^tunl\d+$/.test(name)) return 'ipip';
  if (/^(gre|gretap|erspan|ip6gre)\d+$/.test(name)) return 'gre';
  if (opts.linkType && opts.linkType !== 'ether') return 'other';
  return 'ethernet';
}

function finishInterfaces(d: HostDraft): void {
  const masters = new Set<string>();
  for (const i of d.itfs.values()) if (i.master) masters.add(i.master);
  for (const i of d.itfs.values()) {
    i.kind = inferKind(i.name, {
      linkKind: d.linkKind.get(i.name),
      linkType: d.linkType.get(i.name),
      peer: i.peer,
      isMaster: masters.has(i.name),
    });
  }
  for (const i of d.itfs.values()) {
    if (i.kind === 'bridge') {
      const ports = [...d.itfs.values()].filter((p) => p.master === i.name).map((p) => p.name).sort(cmp);
      i.ports = ports;
    }
  }
  // Bridge VLANs: each port's VLANs go to its bridge (a bridge lists itself as a port).
  for (const i of d.itfs.values() as Iterable<PendingVlans>) {
    const pending = i.__vlans;
    delete i.__vlans;
    if (!pending) continue;
    const bridgeName = i.kind === 'bridge' ? i.name : i.master;
    if (!bridgeName) continue;
    const bridge = d.itfs.get(bridgeName);
    if (!bridge) continue;
    bridge.vlans ??= [];
    for (const v of pending) if (!bridge.vlans.some((x) => x.port === v.port && x.vlan === v.vlan)) bridge.vlans.push(v);
  }
  for (const i of d.itfs.values()) {
    if (i.vlans) i.vlans.sort((a, b) => cmp(a.port, b.port) || a.vlan - b.vlan);
    i.addresses.sort((a, b) => cmp(a.family, b.family));
  }
  inferTunnels(d);
  d.host.interfaces = [...d.itfs.values()].sort(
    (a, b) => (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER) || cmp(a.name, b.name),
  );
}

/**
 * A device that `ip -d link` calls something else (a tun/tap, as when Geneve is served in user
 * space) but whose name is a tunnel's (cilium_geneve, cilium_vxlan, ...) and, or, that
 * lightweight-tunnel routes (`encap ip id N dst X`) point into, is taken as that tunnel;
 * `tunnelInferred` says so and why (and a topology finding repeats it).
 */
function inferTunnels(d: HostDraft): void {
  for (const i of d.itfs.values()) {
    if (i.kind !== 'other' && i.kind !== 'ethernet') continue;
    const type = GENEVE_NAME.test(i.name) ? 'geneve' : VXLAN_NAME.test(i.name) ? 'vxlan' : undefined;
    if (!type) continue;
    const encap = d.host.routes.filter((r) => r.interface === i.name && r.encap?.type === 'ip' && r.encap.dst);
    const said = d.linkKind.get(i.name);
    const routes = encap.map((r) => `${r.destination} id ${r.encap!.id ?? '?'} dst ${r.encap!.dst}`).join(', ');
    const why = `its name${encap.length ? ` and the ${encap.length} encap route(s) into it (${routes})` : ''}, although ${said ? `ip -d link says ${said}` : 'no ip -d link gives its kind'}`;
    i.tunnelInferred = { type, reason: why };
  }
}

// ---------------------------------------------------------------------------------------------
// 3. roles

/** "ip-10-32-7-224.ap-northeast-2.compute.internal" names host "ip-10-32-7-224" (and vice versa). */
export function sameNode(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.split('.')[0];
  const lb = b.split('.')[0];
  if (!la || !lb) return false;
  // Only a dotted name shortens to its first label: "ip-10-32-7-224" matches its FQDN.
  return la === lb && (a.includes('.') || b.includes('.')) && !/^\d+$/.test(la);
}

/** The topology host a kubectl node name refers to. */
export function hostOfNode(topology: Pick<Topology, 'hosts'>, node: string | undefined): Host | undefined {
  if (!node) return undefined;
  return topology.hosts.find((h) => h.name === node) ?? topology.hosts.find((h) => sameNode(h.name, node));
}

function globalV4(i: TopoInterface): TopoAddress[] {
  return i.addresses.filter((a) => a.family === 'inet' && !isLoopbackAddress(a.address) && !isLinkLocal(a.address));
}

function assignRoles(ctx: BuildContext): void {
  const { topology, kubectlPods } = ctx;
  const podNames = new Set<string>();
  for (const p of kubectlPods) {
    podNames.add(p.record.name);
    if (p.record.namespace) podNames.add(`${p.record.namespace}/${p.record.name}`).add(`${p.record.namespace}_${p.record.name}`);
  }
  const podIps = new Set(kubectlPods.map((p) => normalizeIp(p.record.ip)).filter((x): x is string => !!x));
  const nodeNames = ctx.kubectlNodes.map((n) => n.record.name);
  const nodeFromKubectl = (h: Host) =>
    nodeNames.some((n) => sameNode(n, h.name)) || kubectlPods.some((p) => sameNode(p.record.node, h.name));

  const candidates = topology.hosts.filter((h) => {
    const real = h.interfaces.filter((i) => i.kind !== 'loopback');
    return (
      real.length === 1 && real[0].kind === 'veth' && !h.interfaces.some((i) => i.kind === 'bridge' || i.kind === 'vxlan')
    );
  });
  // Node pod subnets, from hosts that are surely nodes (they have a bridge or a tunnel device).
  const subnets: string[] = [];
  for (const h of topology.hosts) {
    if (candidates.includes(h)) continue;
    const s = podSubnetOf(h);
    if (s) subnets.push(s.subnet);
  }
  for (const h of topology.hosts) {
    if (nodeFromKubectl(h) && !podNames.has(h.name)) continue;
    let pod = podNames.has(h.name);
    if (!pod && candidates.includes(h)) {
      const addrs = h.interfaces.flatMap(globalV4).map((a) => a.address);
      pod = addrs.some((a) => podIps.has(a) || subnets.some((s) => subnetContains(s, a)));
    }
    if (pod) h.role = 'pod';
  }
}

// ---------------------------------------------------------------------------------------------
// 4. veth pairs

function joinVeths(ctx: BuildContext): void {
  const { topology } = ctx;
  // Both ends in one namespace (`cilium_net@cilium_host`, `cilium_host@cilium_net`): a pair when
  // each names the other.
  for (const h of topology.hosts) {
    for (const v of h.interfaces) {
      if (v.kind !== 'veth' || v.peer || !v.lower) continue;
      const o = h.interfaces.find((i) => i.name === v.lower);
      if (!o || o.kind !== 'veth' || (o.lower !== v.name && o.peer !== `${h.name}/${v.name}`)) continue;
      v.peer = `${h.name}/${o.name}`;
      delete v.lower;
    }
  }
  const pods = topology.hosts.filter((h) => h.role === 'pod');
  const nodes = topology.hosts.filter((h) => h.role === 'node');
  for (const node of nodes) {
    const subnet = podSubnetOf(node)?.subnet;
    for (const v of node.interfaces) {
      if (v.kind !== 'veth' || !v.peer || v.index === undefined || !/^if\d+$/.test(v.peer)) continue;
      const peerIndex = Number(v.peer.slice(2));
      const matches: { host: Host; itf: TopoInterface; score: number }[] = [];
      for (const p of pods) {
        if (p.node && p.node !== node.name) continue;
        for (const i of p.interfaces) {
          if (i.index !== peerIndex || i.peer !== `if${v.index}`) continue;
          let score = 1;
          if (v.linkNetns && v.linkNetns === p.name) score += 4;
          if (subnet && globalV4(i).some((a) => subnetContains(subnet, a.address))) score += 2;
          matches.push({ host: p, itf: i, score });
        }
      }
      if (matches.length === 0) continue;
      matches.sort((a, b) => b.score - a.score);
      if (matches.length > 1 && matches[0].score === matches[1].score) continue; // ambiguous: leave raw
      const m = matches[0];
      v.peer = `${m.host.name}/${m.itf.name}`;
      m.itf.peer = `${node.name}/${v.name}`;
      m.host.node ??= node.name;
    }
  }
  // Pods not joined by a veth: the node whose pod subnet holds their address, else kubectl.
  for (const p of pods) {
    if (p.node) continue;
    const addrs = p.interfaces.flatMap(globalV4).map((a) => a.address);
    const byKubectl = ctx.kubectlPods.find((k) => k.record.name === p.name || addrs.includes(normalizeIp(k.record.ip) ?? ''));
    const bySubnet = nodes.find((n) => {
      const s = podSubnetOf(n)?.subnet;
      return s !== undefined && addrs.some((a) => subnetContains(s, a));
    });
    p.node = bySubnet?.name ?? hostOfNode(topology, byKubectl?.record.node)?.name ?? byKubectl?.record.node;
  }
}

function sortHosts(topology: Topology): void {
  topology.hosts.sort((a, b) => (a.role === b.role ? cmp(a.name, b.name) : a.role === 'node' ? -1 : 1));
}

// ---------------------------------------------------------------------------------------------
// 7. pods

function buildPods(ctx: BuildContext): Pod[] {
  const { topology } = ctx;
  const pods: Pod[] = [];
  const seen = new Set<string>();
  for (const { record: r, evidence } of ctx.kubectlPods) {
    const ip = normalizeIp(r.ip);
    if (!ip) continue;
    const key = `${r.namespace ?? ''}/${r.name}/${ip}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const pod: Pod = { name: r.name, ip, source: 'kubectl', evidence };
    if (r.namespace) pod.namespace = r.namespace;
    const host = hostOfNode(topology, r.node)?.name ?? (r.node && r.node !== '<none>' ? r.node : undefined);
    if (host) pod.host = host;
    pods.push(pod);
  }
  // Dual stack: kubectl shows one address; the node's host routes into the same veth give the
  // others (`10.0.1.23 dev lxcc6d...` and `fd00:10:0:1::23 dev lxcc6d...`).
  for (const pod of pods) {
    const node = hostOfNode(topology, pod.host);
    if (!node) continue;
    const hostRoute = (r: TopoRoute) => !r.gateway && !r.type && !r.table && r.interface !== undefined && /\/(32|128)$/.test(r.destination);
    const mine = node.routes.find((r) => hostRoute(r) && r.destination === `${pod.ip}/${pod.ip.includes(':') ? 128 : 32}`);
    const veth = mine ? node.interfaces.find((i) => i.name === mine.interface && i.kind === 'veth') : undefined;
    if (!mine || !veth) continue;
    const others = node.routes
      .filter((r) => hostRoute(r) && r.interface === veth.name && r !== mine)
      .map((r) => r.destination.replace(/\/\d+$/, ''))
      .filter((a) => !isLinkLocal(a) && a !== pod.ip);
    // One address per family: more than one route per family into a veth is no single pod.
    const v6 = others.filter((a) => a.includes(':'));
    const v4 = others.filter((a) => !a.includes(':'));
    const extra = [...(pod.ip.includes(':') ? [] : v6.length === 1 ? v6 : []), ...(pod.ip.includes(':') && v4.length === 1 ? v4 : [])];
    if (extra.length) pod.ips = [pod.ip, ...extra];
  }
  const known = (ip: string) => pods.some((p) => p.ip === ip || p.ips?.includes(ip));
  for (const h of topology.hosts) {
    if (h.role !== 'pod') continue;
    for (const i of h.interfaces) {
      for (const a of globalV4(i)) {
        if (known(a.address)) continue;
        const pod: Pod = { name: h.name, ip: a.address, source: 'pod-dump', evidence: i.evidence[0] };
        if (h.node) pod.host = h.node;
        pods.push(pod);
      }
    }
  }
  // Addresses seen in captures inside a node's pod subnet, that no pod or interface explains.
  const subnets = topology.hosts
    .filter((h) => h.role === 'node')
    .map((h) => ({ host: h, s: podSubnetOf(h)?.subnet }))
    .filter((x): x is { host: Host; s: string } => !!x.s);
  const owned = (ip: string) => topology.hosts.some((h) => h.interfaces.some((i) => i.addresses.some((a) => a.address === ip)));
  for (const c of ctx.captures) {
    const addrs = new Set<string>(c.addresses);
    for (const t of c.tunnels) for (const [s, d] of t.inner) addrs.add(s).add(d);
    for (const raw of [...addrs].sort(cmp)) {
      const ip = normalizeIp(raw);
      if (!ip || known(ip) || owned(ip) || parseIPv4(ip) === undefined) continue;
      const net = subnets.find((x) => subnetContains(x.s, ip));
      if (!net) continue;
      // The network and broadcast addresses of the subnet are no pods.
      if (normalizeCidr(`${ip}/32`) === normalizeCidr(net.s.replace(/\/\d+$/, '/32'))) continue;
      pods.push({ name: ip, ip, host: net.host.name, source: 'capture', evidence: { input: c.input } });
    }
  }
  return pods.sort((a, b) => cmp(a.host ?? '', b.host ?? '') || cmp(a.namespace ?? '', b.namespace ?? '') || cmp(a.name, b.name) || cmp(a.ip, b.ip));
}
