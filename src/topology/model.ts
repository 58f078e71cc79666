/**
 * The vendor-neutral model of an incident, rebuilt from every host's dumps and captures.
 * Its JSON (`podpath topology --format json`, and the `topology` member of the report) is a
 * versioned contract: docs/topology-json.md, schema "podpath.topology/1".
 */

/** Where a fact came from: a dump line, or a packet of a capture. */
export interface Evidence {
  input: string;
  line?: number;
  packet?: number;
  /** The text of that line or a one-line packet summary, for reports. */
  text?: string;
}

export type InterfaceKind =
  | 'loopback'
  | 'ethernet'
  | 'bridge'
  | 'veth'
  | 'vxlan'
  | 'geneve'
  | 'ipip'
  | 'gre'
  | 'other';

export interface TopoAddress {
  family: 'inet' | 'inet6';
  address: string;
  prefixLength: number;
  scope?: string;
}

export interface TopoInterface {
  name: string;
  index?: number;
  kind: InterfaceKind;
  mtu?: number;
  mac?: string;
  addresses: TopoAddress[];
  /** Bridge this interface is a port of. */
  master?: string;
  /** veth peer: "host/ifname" when joined across hosts, else the raw `@ifN`. */
  peer?: string;
  /** The namespace the peer lives in, as `link-netns` named it. */
  linkNetns?: string;
  /** Lower device of a stacked interface (`eth0.100@eth0`, a VXLAN device's `dev`). */
  lower?: string;
  state?: string;
  /** `external`: a collect-metadata device; its VNI and remote come per route (`encap ip id N dst X`). */
  vxlan?: { vni?: number; port?: number; local?: string; dev?: string; learning?: boolean; external?: boolean };
  geneve?: { vni?: number; port?: number; external?: boolean };
  /**
   * Set when the device is taken as a tunnel although `ip -d link` says another kind (a tun/tap
   * serving Geneve in user space): which tunnel, and why (its name, the encap routes into it).
   * `kind` stays what the dumps say.
   */
  tunnelInferred?: { type: 'vxlan' | 'geneve'; reason: string };
  /** Bridge ports (for kind bridge). */
  ports?: string[];
  /** Bridge VLANs per port (from `bridge vlan`); empty when the bridge does no VLAN filtering. */
  vlans?: { port: string; vlan: number; pvid: boolean; untagged: boolean }[];
  evidence: Evidence[];
}

export interface TopoRoute {
  destination: string;
  gateway?: string;
  interface?: string;
  metric?: number;
  type?: string;
  onlink?: boolean;
  src?: string;
  table?: string;
  /** Lightweight-tunnel encapsulation of the route (`encap ip id 48312 dst 10.32.7.224`). */
  encap?: { type: string; id?: number; dst?: string; src?: string };
  evidence: Evidence;
}

export interface TopoNeighbor {
  address: string;
  mac?: string;
  dev?: string;
  state?: string;
  evidence: Evidence;
}

export interface TopoFdb {
  mac: string;
  dev?: string;
  dst?: string;
  vlan?: number;
  master?: string;
  permanent?: boolean;
  evidence: Evidence;
}

export interface Host {
  name: string;
  role: 'node' | 'pod';
  /** For a pod namespace: the node it lives on, when known. */
  node?: string;
  interfaces: TopoInterface[];
  routes: TopoRoute[];
  neighbors: TopoNeighbor[];
  fdb: TopoFdb[];
  /** Listening sockets (netstat/ss), for the intra-pod story. */
  listening: { proto: string; address: string; port: number; process?: string; evidence: Evidence }[];
  /** Inputs this host was built from. */
  inputs: string[];
  /** A node's underlay address (the one its tunnels leave from), and how it was found. */
  underlay?: Underlay;
}

export interface Underlay {
  address: string;
  interface?: string;
  /**
   * vxlan-local: `ip -d link` local; lower-dev: the address on the VXLAN device's dev;
   * default-route: the address on the default route's interface; kubectl: a node's INTERNAL-IP;
   * name: the host name encodes it (AWS `ip-10-32-7-224`) and a connected route contains it;
   * capture: outer headers of tunnel packets captured on that host.
   */
  source: 'vxlan-local' | 'lower-dev' | 'default-route' | 'kubectl' | 'name' | 'capture';
  evidence: Evidence[];
}

export interface Pod {
  name: string;
  namespace?: string;
  ip: string;
  /**
   * Every address of the pod, `ip` first (dual stack: kubectl shows the IPv4 one; the IPv6 one is
   * found by the node's host route to the same veth, `fd00:10::23 dev lxc...`). Absent: `ip` only.
   */
  ips?: string[];
  /** Node hosting the pod. */
  host?: string;
  source: 'kubectl' | 'pod-dump' | 'capture' | 'subnet';
  evidence?: Evidence;
  /** The node device the pod is plugged into, and what ties them (src/topology/pod-ports.ts). Additive. */
  port?: PodPort;
}

/**
 * veth-peer: the veth's peer is the pod's interface; route: a host route sends the pod's address
 * to the device; fdb: neighbour entry + bridge fdb put the pod's MAC on that port; capture: only
 * one veth capture of the node saw the address (`inferred`).
 */
export interface PodPort {
  device: string;
  via: 'veth-peer' | 'route' | 'fdb' | 'capture';
  /** Set when only traffic ties them. */
  inferred?: boolean;
  evidence: Evidence[];
}

export type OverlaySource = 'fdb' | 'neigh' | 'route' | 'encap' | 'capture';

export interface OverlayRemote {
  /** Remote pod subnet, e.g. "10.42.1.0/24". */
  subnet: string;
  /** Gateway of the route (flannel: the remote VTEP's /32 on flannel.1). */
  gateway?: string;
  /** Underlay address of the remote VTEP. */
  vtep?: string;
  /** Host owning that VTEP (absent when `stale` and the VTEP is no node's address). */
  host?: string;
  /** VNI this host sends with toward the subnet, when the route says (`encap ip id N`). */
  vni?: number;
  /**
   * The fdb/neigh VTEP is no node's underlay address, or another node's than the one owning the
   * subnet (a replaced node whose entry the CNI never updated). Additive (docs/topology-json.md).
   */
  stale?: boolean;
  /** For a stale remote: the node owning the subnet (by routes, pod subnets, kubectl) and its underlay address. */
  expected?: { host: string; vtep?: string };
  source: OverlaySource;
  evidence: Evidence[];
}

export interface Overlay {
  host: string;
  /** The VTEP device, e.g. flannel.1, vxlan.calico, cilium_vxlan. */
  device: string;
  type: 'vxlan' | 'geneve';
  vni?: number;
  port?: number;
  /** Underlay address the tunnel leaves from. */
  local?: string;
  /** This host's pod subnet (its bridge network). */
  subnet?: string;
  remotes: OverlayRemote[];
  /** Where the device, its VNI/port and the pod subnet were read. */
  evidence?: Evidence[];
}

export type Severity = 'info' | 'warning' | 'error' | 'critical';

/**
 * What a finding is about, as typed facts (additive to podpath.report/1): renderers and the
 * headline read these, never the message.
 */
export interface FindingSubject {
  /** The short statement the headline shows ("UDP 8472 between A and B is dropped"). */
  title?: string;
  /** Hosts the finding names. */
  hosts?: string[];
  /** Where packets were last seen and where they went missing (lost, overlay-blocked). */
  from?: { host: string; interface?: string; address?: string };
  to?: { host: string; interface?: string; address?: string };
  /** Tunnel facts (overlay-blocked, vxlan-mismatch). */
  tunnel?: { type?: string; port?: number; vni?: number };
  /** Flow ids the finding covers. */
  flows?: string[];
  /** How many packets or items it counts. */
  count?: number;
  /**
   * The firewall rule that dropped or rejected the packets, when a dump with counters shows it
   * (`iptables-save -c`): its host, table, chain, the dump and line, the rule as written and its
   * counters at dump time (overlay-blocked, lost).
   */
  rule?: { host: string; table: string; chain: string; target: string; input: string; line: number; text: string; packets: number; bytes?: number };
}

export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  evidence: Evidence[];
  subject?: FindingSubject;
}

/** A capture tied to a host and an interface. */
export interface CaptureBinding {
  input: string;
  host?: string;
  interface?: string;
  /** How the binding was made. */
  via: 'pcapng' | 'sll2-ifindex' | 'file-name' | 'content' | 'option' | 'unknown';
  /** Why, in words (for 'content' and 'unknown' bindings). */
  note?: string;
}

import type { ServiceModel } from '../nat/services.js';

export interface Topology {
  hosts: Host[];
  pods: Pod[];
  overlay: Overlay[];
  captures: CaptureBinding[];
  findings: Finding[];
  /** Kubernetes Services and their endpoints, from kubectl listings and kube-proxy's rules (additive). */
  services?: ServiceModel[];
}
