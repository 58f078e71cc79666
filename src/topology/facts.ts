/**
 * What the analyzer collects from one capture while streaming it, for topology: small sets, never
 * packets. `podpath topology` fills only the naming part (file name, pcapng interface names) unless
 * it streams the capture; `analyze` fills the rest.
 */

/** One distinct tunnel flow seen in a capture: outer addresses, UDP port and VNI. */
export interface TunnelFact {
  type: 'vxlan' | 'geneve';
  outerSrc: string;
  outerDst: string;
  /** Outer UDP destination port. */
  port: number;
  vni?: number;
  /** Distinct inner (src, dst) address pairs carried, at most MAX_INNER_PAIRS. */
  inner: [string, string][];
  /** 1-based number of the first packet of this tuple, for evidence. */
  packet: number;
}

export interface CaptureFacts {
  input: string;
  /** Host the capture belongs to (folder, --host), when discovery knew it. */
  host?: string;
  /** Base name of the file, for binding by name. */
  fileName?: string;
  /** pcapng interface names (if_name), in interface-id order. */
  ifNames: string[];
  /** Linux SLL2 interface indexes seen. */
  ifindexes: number[];
  /** Link-layer header types seen. */
  linktypes: number[];
  packets: number;
  tunnels: TunnelFact[];
  /** IP addresses seen outside tunnel outer headers (plain or inner), at most MAX_ADDRESSES. */
  addresses: string[];
  /** ARP packets were seen (a bridge or veth, not an underlay-only point, is likely). */
  arp: boolean;
  /**
   * Source MAC of plain (not tunnelled) Ethernet frames per source IP, first seen, at most
   * MAX_ADDRESSES: with the bridge fdb it places a pod on its port (src/topology/pod-ports.ts).
   */
  macs?: [ip: string, mac: string][];
}

export const MAX_INNER_PAIRS = 64;
export const MAX_ADDRESSES = 4096;
export const MAX_TUNNELS = 1024;

export function newCaptureFacts(input: string, host?: string): CaptureFacts {
  const slash = Math.max(input.lastIndexOf('/'), input.lastIndexOf('\\'));
  return {
    input,
    host,
    fileName: input === '-' ? undefined : input.slice(slash + 1),
    ifNames: [],
    ifindexes: [],
    linktypes: [],
    packets: 0,
    tunnels: [],
    addresses: [],
    arp: false,
  };
}

/** Records a tunnel packet (deduplicated by outer tuple; inner pairs kept per tuple). */
export function addTunnel(
  facts: CaptureFacts,
  t: { type: 'vxlan' | 'geneve'; outerSrc: string; outerDst: string; port: number; vni?: number; innerSrc?: string; innerDst?: string; packet: number },
): void {
  let f = facts.tunnels.find(
    (x) => x.type === t.type && x.outerSrc === t.outerSrc && x.outerDst === t.outerDst && x.port === t.port && x.vni === t.vni,
  );
  if (!f) {
    if (facts.tunnels.length >= MAX_TUNNELS) return;
    f = { type: t.type, outerSrc: t.outerSrc, outerDst: t.outerDst, port: t.port, vni: t.vni, inner: [], packet: t.packet };
    facts.tunnels.push(f);
  }
  if (t.innerSrc && t.innerDst && f.inner.length < MAX_INNER_PAIRS) {
    if (!f.inner.some(([s, d]) => s === t.innerSrc && d === t.innerDst)) f.inner.push([t.innerSrc, t.innerDst]);
  }
}

/** Records a plain or inner address. */
export function addAddress(facts: CaptureFacts, ip: string): void {
  let seen = addressSets.get(facts);
  if (!seen) addressSets.set(facts, (seen = new Set(facts.addresses)));
  if (facts.addresses.length < MAX_ADDRESSES && !seen.has(ip)) {
    seen.add(ip);
    facts.addresses.push(ip);
  }
}

const addressSets = new WeakMap<CaptureFacts, Set<string>>();

/** "de:22:38:8b:f9:f3" from a 48-bit number. */
export function macText(mac: number): string {
  return mac.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
}

/** Records the source MAC a source IP was first seen with (plain frames only). */
export function addMac(facts: CaptureFacts, ip: string, mac: number): void {
  const list = (facts.macs ??= []);
  if (list.length < MAX_ADDRESSES) list.push([ip, macText(mac)]);
}

/** The parts of a decoded packet topology needs (a structural subset of decode's PacketSummary). */
export interface PacketFactsInput {
  index: number;
  point?: { ifindex?: number };
  outer?: { src: string; dst: string; dport?: number };
  tunnel?: { type: string; vni?: number; port?: number };
  inner?: { src: string; dst: string; proto: string };
}

/** Folds one decoded packet into the facts (the analyzer calls this while streaming). */
export function addPacket(facts: CaptureFacts, p: PacketFactsInput, linktype?: number): void {
  facts.packets++;
  if (linktype !== undefined && !facts.linktypes.includes(linktype)) facts.linktypes.push(linktype);
  const ifi = p.point?.ifindex;
  if (ifi !== undefined && ifi >= 0 && !facts.ifindexes.includes(ifi) && facts.ifindexes.length < 256) facts.ifindexes.push(ifi);
  if (p.tunnel && (p.tunnel.type === 'vxlan' || p.tunnel.type === 'geneve') && p.outer) {
    addTunnel(facts, {
      type: p.tunnel.type,
      outerSrc: p.outer.src,
      outerDst: p.outer.dst,
      port: p.tunnel.port ?? p.outer.dport ?? 0,
      vni: p.tunnel.vni,
      innerSrc: p.inner?.src,
      innerDst: p.inner?.dst,
      packet: p.index,
    });
    return;
  }
  if (p.inner) {
    if (p.inner.proto === 'arp') facts.arp = true;
    if (p.inner.src) addAddress(facts, p.inner.src);
    if (p.inner.dst) addAddress(facts, p.inner.dst);
  }
}
