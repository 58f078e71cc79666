/**
 * The expected journey of a packet, computed on the topology like a Batfish traceroute: from its
 * source endpoint, hop by hop (bridge, routing decision, VXLAN/Geneve encapsulation, underlay,
 * decapsulation) to its destination. Each step sits at an interface where a capture would see the
 * packet, so sightings map onto steps. Missing facts give an `unknown` step that says what is
 * missing; nothing is guessed silently.
 */
import type { Evidence, Host, Overlay, Pod, TopoInterface, TopoRoute, Topology } from '../topology/model.js';
import { isLoopbackAddress, lookupRoute, networkOf, ownerOf, subnetContains } from '../topology/lookup.js';
import type { Step, StepTunnel } from './types.js';

export interface PathQuery {
  src: string;
  dst: string;
  /** Destination port (TCP/UDP), to name the listening socket that receives it. */
  dport?: number;
  /** e.g. "ICMP echo request", for details. */
  what?: string;
  /** Observed on a loopback capture (intra-pod / intra-host). */
  loopback?: boolean;
  /** Host whose loopback capture saw it. */
  loopbackHost?: string;
}

/** Facts learnt from captures that help place endpoints: IP -> (host, veth) seen on a veth capture. */
export interface PathHints {
  vethOf?: Map<string, { host: string; interface: string }>;
}

const MAX_HOPS = 8;

export function podByIp(topo: Topology, ip: string): Pod | undefined {
  return topo.pods.find((p) => p.ip === ip) ?? topo.pods.find((p) => p.ips?.includes(ip));
}

/**
 * Routed datapaths (Cilium: no bridge, one host route per pod address into its veth,
 * `10.0.1.23 dev lxcc6d5a17a375a`): the node's veth for `ip`, and that route.
 */
function routedVeth(node: Host, ip: string): { veth: string; route: TopoRoute } | undefined {
  const r = lookupRoute(node, ip);
  if (!r || r.gateway || r.type || !r.interface || !/\/(32|128)$/.test(r.destination)) return undefined;
  return iface(node, r.interface)?.kind === 'veth' ? { veth: r.interface, route: r } : undefined;
}

function hostByName(topo: Topology, name: string | undefined): Host | undefined {
  return name === undefined ? undefined : topo.hosts.find((h) => h.name === name);
}

function routeText(r: TopoRoute): string {
  let s = r.destination === '0.0.0.0/0' ? 'default' : r.destination;
  if (r.type && r.type !== 'unicast') s = `${r.type} ${s}`;
  if (r.gateway) s += ` via ${r.gateway}`;
  if (r.interface) s += ` dev ${r.interface}`;
  if (r.onlink) s += ' onlink';
  return s;
}

function where(e: Evidence | undefined): string {
  if (!e) return '';
  return e.line !== undefined ? ` (${e.input} line ${e.line})` : ` (${e.input})`;
}

function iface(host: Host, name: string | undefined): TopoInterface | undefined {
  return name === undefined ? undefined : host.interfaces.find((i) => i.name === name);
}

function overlayOf(topo: Topology, host: string, device: string | undefined): Overlay | undefined {
  return topo.overlay.find((o) => o.host === host && o.device === device);
}

function isOverlayDevice(host: Host, name: string | undefined, topo: Topology): boolean {
  const i = iface(host, name);
  if (i && (i.kind === 'vxlan' || i.kind === 'geneve')) return true;
  return overlayOf(topo, host.name, name) !== undefined;
}

/** The bridge of `host` whose network holds `ip` (cni0 for a pod of this node). */
function bridgeFor(host: Host, ip: string): TopoInterface | undefined {
  return host.interfaces.find(
    (i) => i.kind === 'bridge' && i.addresses.some((a) => a.family === 'inet' && subnetContains(networkOf(a.address, a.prefixLength) ?? "", ip)),
  );
}

/** Where a pod (by IP) plugs into its node: the node, the bridge and the veth port. */
interface Attachment {
  pod?: Pod;
  /** The endpoint's own name (pod name, or the IP when unknown). */
  name: string;
  node?: Host;
  bridge?: TopoInterface;
  veth?: string;
  /** No bridge: the node routes to and from the pod's veth (Cilium's lxc devices). */
  routed?: boolean;
  /** Why the veth is unknown, when it is. */
  vethMissing?: string;
}

function attach(topo: Topology, ip: string, hints: PathHints): Attachment {
  const pod = podByIp(topo, ip);
  let node = hostByName(topo, pod?.host);
  if (!node) {
    node = topo.hosts.find((h) => h.role === 'node' && bridgeFor(h, ip) !== undefined);
  }
  const name = pod?.name ?? ip;
  if (!node) return { pod, name };
  const bridge = bridgeFor(node, ip);
  if (!bridge) {
    const rv = routedVeth(node, ip);
    if (rv) return { pod, name, node, veth: rv.veth, routed: true };
  }
  // A pod namespace host with dumps, joined by its veth peer.
  const podHost = topo.hosts.find((h) => h.role === 'pod' && h.interfaces.some((i) => i.addresses.some((a) => a.address === ip)));
  if (podHost) {
    const podIf = podHost.interfaces.find((i) => i.addresses.some((a) => a.address === ip));
    const peer = podIf?.peer?.includes('/') ? podIf.peer.split('/')[1] : undefined;
    if (peer) return { pod, name, node, bridge, veth: peer };
  }
  const seen = hints.vethOf?.get(ip);
  if (seen && seen.host === node.name) return { pod, name, node, bridge, veth: seen.interface };
  // fdb: the pod's MAC learnt on a bridge port. We know the MAC only through neighbours.
  const mac = node.neighbors.find((n) => n.address === ip)?.mac;
  if (mac) {
    const f = node.fdb.find((e) => e.mac === mac && e.master === bridge?.name && e.dev);
    if (f?.dev) return { pod, name, node, bridge, veth: f.dev };
  }
  return {
    pod,
    name,
    node,
    bridge,
    vethMissing: `no pod dump, fdb entry or veth capture ties ${ip} to a port of ${bridge?.name ?? 'the bridge'}`,
  };
}

/** Computes the expected path of a packet from `src` to `dst`. */
export function explainPath(topo: Topology, q: PathQuery, hints: PathHints = {}): Step[] {
  const what = q.what ? `${q.what} ` : '';
  // Inside one network namespace: over lo, never leaving it.
  if (q.loopback || isLoopbackAddress(q.dst) || (q.src === q.dst && q.src !== '')) {
    const owner = q.loopbackHost ?? ownerOf(topo, q.src)?.host.name ?? podByIp(topo, q.src)?.name ?? 'localhost';
    const listening = hostByName(topo, owner)?.listening ?? [];
    const l = q.dport === undefined ? undefined : listening.find((s) => s.port === q.dport);
    return [
      { host: owner, interface: 'lo', action: 'send', detail: `${what}${q.src} -> ${q.dst} sent on lo` },
      { host: owner, interface: 'lo', action: 'loopback', detail: `${what}${q.src} -> ${q.dst} stays on lo inside ${owner}'s network namespace` },
      {
        host: owner,
        interface: 'lo',
        action: 'deliver',
        detail: `delivered inside ${owner}${l ? ` to the socket listening on ${l.address}:${l.port}${where(l.evidence)}` : ''}`,
        evidence: l ? [l.evidence] : undefined,
      },
    ];
  }

  const steps: Step[] = [];
  const srcAt = attach(topo, q.src, hints);
  const dstAt = attach(topo, q.dst, hints);
  const srcOwner = ownerOf(topo, q.src);
  let current: Host | undefined;
  let arrivedOn: string | undefined;

  if (srcAt.node && srcAt.routed && srcOwner?.host.role !== 'node') {
    // A pod of a routed datapath: leaves its eth0 into its veth, where the node routes it.
    steps.push({ host: srcAt.name, interface: 'eth0', action: 'send', detail: `${what}${q.src} -> ${q.dst} leaves ${srcAt.pod ? `pod ${srcAt.name}` : q.src} through eth0` });
    current = srcAt.node;
    arrivedOn = srcAt.veth;
  } else if (srcAt.node && srcOwner?.host.role !== 'node') {
    // A pod: leaves its eth0 into its veth, enters the node's bridge.
    steps.push({ host: srcAt.name, interface: 'eth0', action: 'send', detail: `${what}${q.src} -> ${q.dst} leaves ${srcAt.pod ? `pod ${srcAt.name}` : q.src} through eth0` });
    const br = srcAt.bridge?.name ?? 'bridge';
    if (srcAt.veth) {
      steps.push({ host: srcAt.node.name, interface: srcAt.veth, action: 'bridge', detail: `enters ${br} through ${srcAt.name}'s veth ${srcAt.veth}` });
    } else {
      steps.push({ host: srcAt.node.name, action: 'unknown', detail: `veth of ${srcAt.name} unknown: ${srcAt.vethMissing}`, cause: 'no-interface' });
    }
    // The node's own address on that bridge (its gateway): delivered to the node there.
    const dstOwner = ownerOf(topo, q.dst);
    if (dstOwner && dstOwner.host === srcAt.node && dstOwner.interface.name === br) {
      steps.push({ host: srcAt.node.name, interface: br, action: 'deliver', detail: `${q.dst} is ${srcAt.node.name}'s own address on ${br}` });
      return steps;
    }
    // Same bridge: switched, not routed.
    if (dstAt.node === srcAt.node && dstAt.bridge && dstAt.bridge === srcAt.bridge) {
      steps.push({ host: srcAt.node.name, interface: br, action: 'bridge', detail: `${br} forwards ${srcAt.veth ?? '?'} -> ${dstAt.veth ?? '?'} (same subnet, no routing)` });
      finishAtPod(steps, dstAt, q, what);
      return steps;
    }
    current = srcAt.node;
    arrivedOn = br;
  } else if (srcOwner) {
    current = srcOwner.host;
    arrivedOn = undefined;
  } else {
    steps.push({ host: q.src, action: 'unknown', detail: `${q.src} is not an address of any host, pod or pod subnet in the dumps`, cause: 'no-host' });
    return steps;
  }

  for (let hop = 0; hop < MAX_HOPS && current; hop++) {
    // Reached a host that owns the destination address.
    const own = current.interfaces.find((i) => i.addresses.some((a) => a.address === q.dst));
    if (own) {
      // Routed from a pod's veth to a local address: received there, it never crosses `own`.
      if (srcAt.routed && arrivedOn === srcAt.veth && current === srcAt.node && arrivedOn !== undefined && own.name !== arrivedOn) {
        steps.push({ host: current.name, interface: arrivedOn, action: 'route', detail: `enters ${current.name} through ${srcAt.name}'s veth ${arrivedOn}` });
        steps.push({ host: current.name, interface: arrivedOn, action: 'deliver', detail: `${q.dst} is ${current.name}'s own address (on ${own.name}): received on ${arrivedOn}` });
        return steps;
      }
      steps.push({ host: current.name, interface: own.name, action: 'deliver', detail: `${q.dst} is ${current.name}'s own address (on ${own.name})` });
      return steps;
    }
    if (current.routes.length === 0) {
      // No routing table was dumped for this host: the path past it is unknown, not a drop (src/path/gaps.ts names the command).
      steps.push({ host: current.name, interface: arrivedOn, action: 'unknown', detail: `no routing table of ${current.name} in the dumps: where it sends ${q.dst} is unknown`, cause: 'no-dump' });
      return steps;
    }
    const r = lookupRoute(current, q.dst);
    if (!r) {
      steps.push({ host: current.name, interface: arrivedOn, action: 'drop', detail: `no route to ${q.dst} in ${current.name}'s routing table`, cause: 'no-route' });
      return steps;
    }
    if (r.type && ['blackhole', 'unreachable', 'prohibit'].includes(r.type)) {
      steps.push({ host: current.name, interface: arrivedOn, action: 'drop', detail: `route ${routeText(r)}${where(r.evidence)} discards it`, evidence: [r.evidence], cause: 'blackhole' });
      return steps;
    }
    // A packet that starts on this host is sent by this route; one that arrives is routed by it.
    const origin = hop === 0 && steps.length === 0;
    const routeStep: Step = {
      host: current.name,
      interface: arrivedOn ?? r.interface,
      action: origin ? 'send' : 'route',
      detail: origin ? `${what}${q.src} -> ${q.dst} sent by route ${routeText(r)}${where(r.evidence)}` : `route ${routeText(r)}${where(r.evidence)}`,
      evidence: [r.evidence],
    };
    // Delivered onto a local bridge (pod subnet of this node).
    const outIf = iface(current, r.interface);
    if (outIf?.kind === 'bridge' && dstAt.node === current) {
      routeStep.interface = outIf.name;
      routeStep.detail += `: out ${outIf.name} to ${dstAt.name}`;
      steps.push(routeStep);
      finishAtPod(steps, dstAt, q, what);
      return steps;
    }
    // Routed delivery into a pod's veth (no bridge): the node's host route for the pod.
    if (outIf?.kind === 'veth' && !r.gateway && dstAt.node === current && (dstAt.routed || !dstAt.bridge)) {
      const last = steps[steps.length - 1];
      const here = (i: string | undefined) => last !== undefined && last.host === current!.name && last.interface === i;
      if (arrivedOn && arrivedOn !== outIf.name && !here(arrivedOn)) {
        steps.push({ ...routeStep, interface: arrivedOn, detail: `enters ${current.name} through ${arrivedOn}; ${routeStep.detail}` });
        routeStep.action = 'route';
      }
      routeStep.interface = outIf.name;
      routeStep.detail += `: out ${outIf.name} to ${dstAt.name}`;
      steps.push(routeStep);
      steps.push({ host: dstAt.name, interface: 'eth0', action: 'deliver', detail: `${what}reaches ${dstAt.pod ? `pod ${dstAt.name}` : q.dst} on eth0` });
      return steps;
    }
    steps.push(routeStep);
    if (isOverlayDevice(current, r.interface, topo)) {
      const ov = overlayOf(topo, current.name, r.interface);
      const remote = ov?.remotes.find((m) => subnetContains(m.subnet, q.dst)) ?? ov?.remotes.find((m) => m.gateway === r.gateway);
      const dev = r.interface!;
      const type = ov?.type ?? (iface(current, dev)?.kind === 'geneve' ? 'geneve' : 'vxlan');
      if (!remote?.vtep) {
        steps.push({
          host: current.name,
          interface: dev,
          action: 'unknown',
          detail: `${dev} encapsulates, but the remote VTEP for ${q.dst} is unknown (no fdb/neigh entry, no owner of ${r.gateway ?? 'the gateway'} among the hosts, no captured outer header)`,
          cause: 'no-vtep',
        });
        return steps;
      }
      const local = ov?.local ?? '?';
      // A collect-metadata device sends with the VNI of the route (Cilium: the sender's identity).
      const vni = remote.vni ?? ov?.vni;
      steps.push({
        host: current.name,
        interface: dev,
        action: 'encap',
        detail:
          `${dev} ${type.toUpperCase()} VNI ${vni ?? '?'}${remote.vni !== undefined && ov?.vni === undefined ? ' (from the route\'s encap)' : ''}: outer ${local} -> ${remote.vtep}:${ov?.port ?? '?'} (VTEP from ${remote.source})` +
          (type === 'vxlan' && ov?.port === 8472 ? `; tcpdump before 4.99.6 prints UDP 8472 as "OTV ... instance ${vni ?? '?'}"` : ''),
        evidence: remote.evidence,
        tunnel: stepTunnel(type, vni, ov?.port, local, remote.vtep),
      });
      const under = lookupRoute(current, remote.vtep);
      const nic = under?.interface ?? iface(current, ov?.local ? ownerOf(topo, ov.local)?.interface.name : undefined)?.name;
      steps.push({
        host: current.name,
        interface: nic,
        action: 'underlay',
        detail: `UDP ${ov?.port ?? '?'} leaves ${current.name} through ${nic ?? '?'} to ${remote.vtep}${under ? ` (route ${routeText(under)}${where(under.evidence)})` : ''}`,
      });
      const far = remote.host ? hostByName(topo, remote.host) : ownerOf(topo, remote.vtep)?.host;
      if (!far) {
        steps.push({ host: remote.vtep, action: 'unknown', detail: `no dumps of the host owning VTEP ${remote.vtep}: its side of the path is unknown`, cause: 'no-host' });
        return steps;
      }
      const farNic = ownerOf(topo, remote.vtep)?.interface.name;
      steps.push({ host: far.name, interface: farNic, action: 'underlay', detail: `UDP ${ov?.port ?? '?'} from ${local} arrives on ${far.name}'s ${farNic ?? '?'}` });
      const farDev = topo.overlay.find((o) => o.host === far.name && o.type === type)?.device ?? dev;
      steps.push({ host: far.name, interface: farDev, action: 'decap', detail: `${farDev} decapsulates VNI ${vni ?? '?'}: inner ${q.src} -> ${q.dst}`, tunnel: stepTunnel(type, vni, ov?.port, local, remote.vtep) });
      current = far;
      arrivedOn = farDev;
      continue;
    }
    // Plain routing out of a NIC toward another host (node to node, or out of the cluster).
    const next = r.gateway && !r.onlink ? ownerOf(topo, r.gateway)?.host : ownerOf(topo, q.dst)?.host;
    const leave = `leaves ${current.name} through ${r.interface ?? '?'}${r.gateway ? ` via ${r.gateway}` : ''}`;
    if (!(steps.length === 1 && steps[0].action === 'send' && steps[0].host === current.name)) {
      steps.push({ host: current.name, interface: r.interface, action: 'underlay', detail: leave });
    }
    if (!next || next === current) {
      const external = !ownerOf(topo, q.dst) && !podByIp(topo, q.dst);
      steps.push({
        host: r.gateway ?? q.dst,
        action: 'unknown',
        detail: external ? `${q.dst} is outside the hosts in the dumps: the path beyond ${current.name} is not known` : `next hop ${r.gateway ?? q.dst} has no dumps`,
        cause: 'no-host',
      });
      return steps;
    }
    const inIf = ownerOf(topo, r.gateway && !r.onlink ? r.gateway : q.dst)?.interface.name;
    if (next.interfaces.some((i) => i.addresses.some((a) => a.address === q.dst))) {
      const own = next.interfaces.find((i) => i.addresses.some((a) => a.address === q.dst))!;
      steps.push({ host: next.name, interface: own.name, action: 'deliver', detail: `reaches ${next.name}: ${q.dst} is its own address (on ${own.name})` });
      return steps;
    }
    steps.push({ host: next.name, interface: inIf, action: 'underlay', detail: `arrives on ${next.name}'s ${inIf ?? '?'}` });
    current = next;
    arrivedOn = inIf;
  }
  steps.push({ host: current?.name ?? '?', action: 'unknown', detail: `more than ${MAX_HOPS} hops: a routing loop?`, cause: 'other' });
  return steps;
}

function finishAtPod(steps: Step[], dstAt: Attachment, q: PathQuery, what: string): void {
  if (!dstAt.node) {
    steps.push({ host: q.dst, action: 'unknown', detail: `${q.dst} is not a pod or host in the dumps`, cause: 'no-host' });
    return;
  }
  const br = dstAt.bridge?.name ?? 'bridge';
  if (dstAt.veth) {
    steps.push({ host: dstAt.node.name, interface: dstAt.veth, action: 'bridge', detail: `leaves ${br} through ${dstAt.name}'s veth ${dstAt.veth}` });
  } else {
    steps.push({ host: dstAt.node.name, action: 'unknown', detail: `veth of ${dstAt.name} unknown: ${dstAt.vethMissing}`, cause: 'no-interface' });
  }
  steps.push({ host: dstAt.name, interface: 'eth0', action: 'deliver', detail: `${what}reaches ${dstAt.pod ? `pod ${dstAt.name}` : q.dst} on eth0` });
}

function stepTunnel(type: string, vni: number | undefined, port: number | undefined, src: string | undefined, dst: string | undefined): StepTunnel {
  const t: StepTunnel = { type };
  if (vni !== undefined) t.vni = vni;
  if (port !== undefined) t.port = port;
  t.outer = {};
  if (src !== undefined && src !== '?') t.outer.src = src;
  if (dst !== undefined) t.outer.dst = dst;
  return t;
}

/** One line: pod2 -> cni0 -> flannel.1 [vxlan 1] -> eth0 => eth0 -> flannel.1 -> cni0 -> pod1 */
export function pathSummary(steps: Step[], vni?: number, at?: number): string {
  const parts: string[] = [];
  let prevHost: string | undefined;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    let label: string;
    if (s.action === 'send' || s.action === 'deliver') {
      label = s.action === 'deliver' && s.interface && s.interface !== 'eth0' && s.interface !== 'lo' ? `${s.host}:${s.interface}` : s.host;
      if (s.action === 'deliver' && s.interface === 'lo') label = `${s.host} (lo)`;
    } else if (s.action === 'unknown') label = '?';
    else if (s.action === 'drop' && s.missing) label = `${s.missing.host}${s.missing.interface ? ':' + s.missing.interface : ''} (never arrived)`;
    else if (s.action === 'drop') label = `DROP@${s.interface ?? s.host}`;
    else if (s.action === 'loopback') label = `lo`;
    else label = s.interface ?? '?';
    if (s.action === 'encap') label += ` [${s.tunnel?.type ?? 'vxlan'} ${vni ?? s.tunnel?.vni ?? '?'}]`;
    // A loss after the last point that saw the packets: "eth0 -x-> ip-10-32-7-224:eth0 (never arrived)".
    const sep =
      parts.length === 0 ? '' : s.action === 'drop' && s.missing ? ' -x-> ' : s.action === 'underlay' && prevHost !== undefined && prevHost !== s.host ? ' => ' : ' -> ';
    // The step a sighting is at is marked: pod2 -> vethX -> [cni0] -> flannel.1 ...
    if (i === at) label = `[${label}]`;
    if (parts.length && parts[parts.length - 1].replace(/^ (->|=>) /, '') === label && sep === ' -> ') continue;
    parts.push(sep + label);
    prevHost = s.host;
  }
  return parts.join('');
}
