/**
 * Which node interface each pod is plugged into (its veth, or a routed Calico or Cilium device), and
 * what ties them together, so that pictures draw a pod on its own port and not merely near a
 * bridge. Ties, strongest first:
 *
 *   veth-peer  the node's veth has the pod namespace's interface as its peer (both dumped), or its
 *              link-netns is the pod host's namespace
 *   route      the node routes the pod's address to the device (`10.42.0.37 dev cali1a2b`: Calico,
 *              Cilium, any routed CNI)
 *   fdb        the pod's MAC (the node's neighbour entry for its address, else the source MAC of
 *              its frames in a capture of the node) is in the bridge's forwarding database on a
 *              port (`ip neigh` or a packet, + `bridge fdb`)
 *   capture    traffic only: among the node's captures bound to its veths, exactly one saw the
 *              pod's address (marked `inferred`: a veth also carries the addresses its pod talks to)
 *
 * A pod no tie places gets no `port`; renderers then say the port is unknown.
 */
import type { CaptureFacts } from './facts.js';
import type { Evidence, Host, Pod, PodPort, Topology } from './model.js';

const hostRoute = (dest: string, ip: string) => dest === ip || dest === `${ip}/32` || dest === `${ip}/128`;

function byPeer(node: Host, pod: Pod, hosts: Host[]): PodPort | undefined {
  for (const i of node.interfaces) {
    if (i.kind !== 'veth') continue;
    const peerHost = i.peer?.includes('/') ? i.peer.slice(0, i.peer.lastIndexOf('/')) : undefined;
    const ns = i.linkNetns !== undefined ? hosts.find((h) => h.role === 'pod' && h.name === i.linkNetns) : undefined;
    const name = peerHost ?? ns?.name;
    if (name === undefined) continue;
    const h = hosts.find((x) => x.name === name && x.role === 'pod');
    const owns = name === pod.name || !!h?.interfaces.some((x) => x.addresses.some((a) => a.address === pod.ip));
    if (owns) return { device: i.name, via: 'veth-peer', evidence: i.evidence.slice(0, 1) };
  }
  return undefined;
}

function byRoute(node: Host, pod: Pod): PodPort | undefined {
  const ips = pod.ips ?? [pod.ip];
  for (const r of node.routes) {
    if (r.gateway || r.table || r.type || r.interface === undefined) continue;
    if (!ips.some((ip) => hostRoute(r.destination, ip))) continue;
    const dev = node.interfaces.find((i) => i.name === r.interface);
    if (!dev || dev.kind === 'bridge' || dev.kind === 'loopback' || dev.vxlan || dev.geneve) continue;
    return { device: dev.name, via: 'route', evidence: [r.evidence] };
  }
  return undefined;
}

function byFdb(node: Host, pod: Pod, topo: Topology, captures: CaptureFacts[]): PodPort | undefined {
  // The pod's MAC: the node's neighbour entry, else the source MAC of its frames in a capture of the node.
  const n = node.neighbors.find((x) => x.address === pod.ip && x.mac !== undefined);
  let mac = n?.mac?.toLowerCase();
  let seen: Evidence | undefined = n?.evidence;
  if (!mac) {
    for (const b of topo.captures) {
      if (b.host !== node.name) continue;
      const m = captures.find((c) => c.input === b.input)?.macs?.find(([ip]) => ip === pod.ip)?.[1];
      if (m) {
        mac = m;
        seen = { input: b.input, text: `${pod.ip} sent from ${m}` };
        break;
      }
    }
  }
  if (!mac || !seen) return undefined;
  const e = node.fdb.find((f) => f.mac.toLowerCase() === mac && f.dev !== undefined && f.master !== undefined && f.dev !== f.master && !f.permanent);
  if (!e) return undefined;
  return { device: e.dev!, via: 'fdb', evidence: [seen, e.evidence] };
}

function byCapture(node: Host, pod: Pod, topo: Topology, captures: CaptureFacts[]): PodPort | undefined {
  const seen: { device: string; input: string }[] = [];
  for (const b of topo.captures) {
    if (b.host !== node.name || b.interface === undefined) continue;
    const dev = node.interfaces.find((i) => i.name === b.interface);
    // A veth of the node's own (the underlay of a lab node, an address holder) is no pod port.
    if (dev?.kind !== 'veth' || dev.addresses.some((a) => a.family === 'inet') || dev.name === node.underlay?.interface) continue;
    const facts = captures.find((c) => c.input === b.input);
    if (facts?.addresses.includes(pod.ip)) seen.push({ device: dev.name, input: b.input });
  }
  const devices = new Set(seen.map((s) => s.device));
  if (devices.size !== 1) return undefined;
  const evidence: Evidence[] = seen.map((s) => ({ input: s.input, text: `${pod.ip} seen on ${s.device}` }));
  return { device: seen[0].device, via: 'capture', inferred: true, evidence };
}

/** Sets `pod.port` on every pod some dump or capture ties to a device of its node. */
export function attachPodPorts(topo: Topology, captures: CaptureFacts[]): void {
  const taken = new Map<string, Set<string>>(); // node -> devices already holding a pod by a dump tie
  const order: ((node: Host, pod: Pod) => PodPort | undefined)[] = [
    (node, pod) => byPeer(node, pod, topo.hosts),
    byRoute,
    (node, pod) => byFdb(node, pod, topo, captures),
  ];
  const pending: { node: Host; pod: Pod }[] = [];
  for (const pod of topo.pods) {
    const node = topo.hosts.find((h) => h.name === pod.host && h.role === 'node');
    // A hostNetwork pod (its address is the node's own) lives in the node's namespace: no port.
    if (!node || node.interfaces.some((i) => i.addresses.some((a) => a.address === pod.ip))) continue;
    let port: PodPort | undefined;
    for (const f of order) if ((port = f(node, pod))) break;
    if (port) {
      pod.port = port;
      let set = taken.get(node.name);
      if (!set) taken.set(node.name, (set = new Set()));
      set.add(port.device);
    } else pending.push({ node, pod });
  }
  // Traffic only for what dumps leave open, and never onto a device a dump already gave a pod.
  for (const { node, pod } of pending) {
    const port = byCapture(node, pod, topo, captures);
    if (port && !taken.get(node.name)?.has(port.device)) pod.port = port;
  }
}
