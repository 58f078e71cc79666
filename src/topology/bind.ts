/**
 * Capture points: which host and interface a capture was taken on. In order of trust: the pcapng
 * interface name, the SLL2 interface index looked up in that host's `ip addr`, the file name when it
 * names one of that host's interfaces (the longest such name wins), else the content (tunnel outer
 * headers between underlay addresses -> the underlay interface; pod traffic with ARP -> the bridge).
 */
import type { CaptureFacts } from './facts.js';
import type { CaptureBinding, Host, Topology } from './model.js';
import { isLoopbackAddress, lookupRoute, ownersOf, subnetContains } from './lookup.js';
import { isTunnel, podSubnetOf } from './overlay.js';

export interface CaptureToBind {
  input: string;
  host?: string;
  pcapngIfNames: string[];
  sll2Ifindexes: number[];
  fileName: string;
  /** What streaming the capture found, when it was streamed. */
  facts?: CaptureFacts;
}

/** Names of interfaces podpath knows without dumps, for hosts that have none. */
export const WELL_KNOWN = /^(lo|eth\d+|ens\w+|enp\w+|eno\d+|bond\d+|cni\d+|cbr\d+|docker\d+|flannel(-v6)?\.\d+|vxlan\.calico|cilium_\w+|genev_sys_\d+|tunl\d+|veth\w+|any)$/;

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

/** The longest of `names` that the file name contains as a whole word. */
export function interfaceInFileName(fileName: string, names: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const n of names) {
    if (!n || (best && n.length <= best.length)) continue;
    let from = 0;
    for (;;) {
      const at = fileName.indexOf(n, from);
      if (at < 0) break;
      if (!isWordChar(fileName[at - 1]) && !isWordChar(fileName[at + n.length])) {
        best = n;
        break;
      }
      from = at + 1;
    }
  }
  return best;
}

/** Interface-like words of a file name (for hosts without dumps): "tcpdump-flannel.1.pcap" -> flannel.1. */
function wellKnownInFileName(fileName: string): string | undefined {
  let base = fileName;
  for (let prev = ''; prev !== base; ) {
    prev = base;
    base = base.replace(/\.(gz|pcapng|pcap|cap|dmp)$/i, '');
  }
  const words = new Set<string>();
  const tokens = base.split(/[^A-Za-z0-9_.-]+/);
  for (const t of tokens) {
    // every substring split at '-' boundaries and dots kept (flannel.1, vxlan.calico)
    const parts = t.split('-');
    for (let i = 0; i < parts.length; i++) for (let j = i + 1; j <= parts.length; j++) words.add(parts.slice(i, j).join('-'));
  }
  let best: string | undefined;
  for (const w of words) if (WELL_KNOWN.test(w) && (!best || w.length > best.length)) best = w;
  return best;
}

export function bindCapture(topology: Pick<Topology, 'hosts'>, capture: CaptureToBind): CaptureBinding {
  const b: CaptureBinding = { input: capture.input, via: 'unknown' };
  const host = capture.host ? topology.hosts.find((h) => h.name === capture.host) : undefined;
  if (capture.host) b.host = capture.host;

  const names = [...new Set(capture.pcapngIfNames.filter((n) => n))];
  if (names.length === 1) {
    b.interface = names[0];
    b.via = 'pcapng';
    return b;
  }

  const idx = [...new Set(capture.sll2Ifindexes)];
  if (idx.length > 1) {
    // Packets of several interfaces in one SLL2 capture: `tcpdump -i any`; the analyzer binds
    // each packet by its own index.
    b.interface = 'any';
    b.via = 'sll2-ifindex';
    return b;
  }
  if (host && idx.length === 1) {
    const i = host.interfaces.find((x) => x.index === idx[0]);
    if (i) {
      b.interface = i.name;
      b.via = 'sll2-ifindex';
      return b;
    }
  }

  const file = capture.fileName;
  if (file) {
    const candidates = [...(host ? host.interfaces.map((i) => i.name) : []), 'any'];
    let name = interfaceInFileName(file, candidates);
    if (!name && (!host || host.interfaces.length === 0)) {
      // No dumps to check against: a name that can only be an interface.
      name = wellKnownInFileName(file);
    }
    if (!name && !host) {
      // No host: an interface name unique to one host.
      const owners = topology.hosts.filter((h) => interfaceInFileName(file, h.interfaces.map((i) => i.name)));
      if (owners.length === 1) {
        name = interfaceInFileName(file, owners[0].interfaces.map((i) => i.name));
        b.host = owners[0].name;
      }
    }
    if (name) {
      b.interface = name;
      b.via = 'file-name';
      return b;
    }
  }

  const byContent = fromContent(topology, host, capture.facts);
  if (byContent) {
    if (byContent.host) b.host = byContent.host;
    b.interface = byContent.interface;
    b.via = 'content';
    b.note = byContent.note;
    return b;
  }
  if (names.length > 1) b.note = `pcapng file with ${names.length} interfaces (${names.join(', ')})`;
  else b.note = 'no pcapng interface name, no SLL2 index, no interface name in the file name';
  return b;
}

function fromContent(
  topology: Pick<Topology, 'hosts'>,
  host: Host | undefined,
  facts: CaptureFacts | undefined,
): { host?: string; interface: string; note: string } | undefined {
  if (!facts || facts.packets === 0) return undefined;
  // Tunnel packets: the interface holding an outer address, on the capture's host if known.
  for (const t of facts.tunnels) {
    for (const a of [t.outerSrc, t.outerDst]) {
      const owners = ownersOf(topology, a).filter((o) => !host || o.host === host);
      if (owners.length === 1) {
        return {
          host: owners[0].host.name,
          interface: owners[0].interface.name,
          note: `outer ${t.type.toUpperCase()} headers ${t.outerSrc} > ${t.outerDst}: ${a} is on ${owners[0].host.name} ${owners[0].interface.name}`,
        };
      }
      const u = topology.hosts.find((h) => (!host || h === host) && h.underlay?.address === a && h.underlay.interface);
      if (u) {
        return {
          host: u.name,
          interface: u.underlay!.interface!,
          note: `outer ${t.type.toUpperCase()} headers ${t.outerSrc} > ${t.outerDst}: ${a} is ${u.name}'s underlay address`,
        };
      }
    }
  }
  // Pod-subnet traffic with ARP: the bridge of the node whose pod subnet it is.
  if (facts.arp && facts.tunnels.length === 0) {
    const nodes = host ? [host] : topology.hosts.filter((h) => h.role === 'node');
    for (const n of nodes) {
      const ps = podSubnetOf(n);
      if (ps?.bridge && facts.addresses.some((a) => subnetContains(ps.subnet, a))) {
        return { host: n.name, interface: ps.bridge, note: `ARP and ${ps.subnet} pod traffic: the pod bridge ${ps.bridge}` };
      }
    }
  }
  if (!host || facts.tunnels.length > 0) return undefined;
  // Plain packets to or from the host's own address: the interface holding it.
  const own = new Map<string, string>();
  for (const i of host.interfaces) {
    if (i.kind === 'loopback' || i.kind === 'bridge' || isTunnel(i)) continue;
    for (const a of i.addresses) if (!isLoopbackAddress(a.address) && facts.addresses.includes(a.address)) own.set(i.name, a.address);
  }
  if (own.size === 1) {
    const [[name, address]] = [...own];
    return { interface: name, note: `plain packets to and from ${address}, the address of ${host.name} ${name}` };
  }
  // No ARP, pod addresses routed over a tunnel device: the tunnel device (flannel.1 holds inner packets).
  if (!facts.arp) {
    const devs = new Set<string>();
    let shown = '';
    for (const a of facts.addresses) {
      const r = lookupRoute(host, a);
      const dev = r?.interface ? host.interfaces.find((i) => i.name === r.interface) : undefined;
      if (dev && isTunnel(dev)) {
        devs.add(dev.name);
        shown ||= `${a} is routed ${r!.destination} dev ${dev.name}`;
      }
    }
    if (devs.size === 1) return { interface: [...devs][0], note: `no ARP, no outer headers, and ${shown}: the tunnel device` };
  }
  return undefined;
}
