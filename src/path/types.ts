/**
 * Traces: the journey of a packet as ordered steps, Batfish-style, and the flows and report
 * built from them. The JSON report (`podpath analyze --format json`) is a versioned contract:
 * docs/report-json.md, schema "podpath.report/1".
 */
import type { Evidence, Finding, Topology } from '../topology/model.js';

/** The step vocabulary (contract): every step of a path is one of these. */
export const ACTIONS = [
  'send',
  'loopback',
  'bridge',
  'route',
  'encap',
  'underlay',
  'decap',
  'deliver',
  'drop',
  'unknown',
  /** A node translates the packet (kube-proxy DNAT, masquerade): `Step.nat` says how (additive). */
  'nat',
  /** A node's filter rule rejects the packet (ICMP unreachable or TCP RST back; additive). */
  'reject',
] as const;
export type Action = (typeof ACTIONS)[number];

/** Why a path stops at a `drop` or `unknown` step (contract vocabulary, docs/report-json.md). */
export const STEP_CAUSES = ['no-route', 'blackhole', 'observed-loss', 'underlay-loss', 'no-vtep', 'no-interface', 'no-host', 'no-dump', 'other'] as const;
export type StepCause = (typeof STEP_CAUSES)[number];

/** The tunnel of an `encap`/`decap` step, as typed facts (the detail is rendered from them). */
export interface StepTunnel {
  type: string;
  vni?: number;
  port?: number;
  outer?: { src?: string; dst?: string };
}

export interface Step {
  host: string;
  interface?: string;
  action: Action;
  detail: string;
  evidence?: Evidence[];
  /** encap/decap: the tunnel (additive to podpath.report/1). */
  tunnel?: StepTunnel;
  /** drop/unknown: why (additive to podpath.report/1). */
  cause?: StepCause;
  /**
   * drop after an observed loss: the capture point the packets should have reached next and
   * never did (the drop step itself names the last point that saw them). Additive (0.2).
   */
  missing?: { host: string; interface?: string };
  /** nat: the translations made here (additive to podpath.report/1). */
  nat?: NatEntry[];
}

/** One address translation of a flow (additive to podpath.report/1, docs/report-json.md). */
export interface NatEntry {
  type: 'dnat' | 'snat' | 'masquerade';
  host: string;
  from: { ip: string; port?: number };
  to: { ip: string; port?: number };
  /** The rule that did it (iptables-save input and line). */
  rule?: { input: string; line: number; text?: string };
  source: 'iptables' | 'nft' | 'ipvs' | 'conntrack' | 'inferred';
}

/** The Service a flow was addressed to. */
export interface FlowService {
  namespace: string;
  name: string;
  clusterIP: string;
  port: number;
  nodePort?: number;
}

/** Where a Service's connection was translated to. */
export interface FlowBackend {
  ip: string;
  port?: number;
  pod?: string;
  host?: string;
}

export const FLOW_KINDS = ['intra-pod', 'same-node', 'cross-node', 'host', 'external', 'link-local'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

export const VERDICTS = ['ok', 'unanswered', 'lost', 'partial', 'rejected'] as const;
export type Verdict = (typeof VERDICTS)[number];

/**
 * What the analyzer keeps of one decoded packet: small, plain, and enough to group it into a
 * flow and to recognise it at another capture point.
 */
export interface Observation {
  /** Index into the analysis' capture list. */
  capture: number;
  /** 1-based packet number in that capture. */
  packet: number;
  /** Nanoseconds since the analysis' base second (fits a double for months). */
  t: number;
  wireLength: number;
  outer?: { src: string; dst: string; proto: string; sport?: number; dport?: number };
  tunnel?: { type: string; vni?: number; port?: number };
  inner: InnerHeaders;
  /** Hash of the innermost payload (a few dozen bytes), for matching across capture points. */
  payloadHash?: number;
  /** Direction of the packet at the capture point, when the link layer says (SLL/SLL2). */
  direction?: string;
  /** One-line human summary (as `podpath packets` prints the headers). */
  summary: string;
}

export interface InnerHeaders {
  src: string;
  dst: string;
  proto: string;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  icmpSeq?: number;
  tcpFlags?: string;
  tcpSeq?: number;
  tcpAck?: number;
  ipId?: number;
  /** Don't Fragment set (IPv4). */
  df?: boolean;
  /** A fragment (IPv4 MF set or offset > 0; IPv6 fragment header). */
  fragment?: boolean;
  arpOp?: number;
  /** Length of the inner IP packet (total length), when known. */
  ipLength?: number;
  /** For ICMP errors: the embedded original packet's addresses. */
  quoted?: { src: string; dst: string; proto: string };
  /** ICMP "fragmentation needed" next-hop MTU. */
  nextHopMtu?: number;
}

/** A flow seen at one capture point. */
export interface SeenAt {
  input: string;
  host?: string;
  interface?: string;
  packets: number;
  /** ISO 8601 UTC of the first and last packet of this flow at this point. */
  first: string;
  last: string;
}

export interface Endpoint {
  ip: string;
  port?: number;
  pod?: string;
  namespace?: string;
  host?: string;
  /** A pod address kubectl did not name (known from a node's pod subnet or the traffic): `host` is the pod's node, not the endpoint (additive). */
  unnamedPod?: boolean;
}

export interface HopLatency {
  from: { host?: string; interface?: string };
  to: { host?: string; interface?: string };
  /** Median over the packets seen at both points, microseconds, clock offset corrected. */
  medianUs: number;
  samples: number;
}

export interface FlowReport {
  id: string;
  protocol: string;
  src: Endpoint;
  dst: Endpoint;
  kind: FlowKind;
  verdict: Verdict;
  /** Packets of this flow (each packet counted once, however many points saw it). */
  packets: number;
  /** Requests and responses, where the protocol pairs them. */
  requests?: number;
  responses?: number;
  path: Step[];
  /** The path of the responses, when there are any. */
  returnPath?: Step[];
  tunnel?: { type: string; vni?: number; port?: number };
  seenAt: SeenAt[];
  latency?: { hops: HopLatency[]; rttUs?: number };
  /** One line: pod2 -> cni0 -> flannel.1 [vxlan 1] -> eth0 => eth0 -> flannel.1 -> cni0 -> pod1 */
  summary: string;
  /** Why the verdict (one sentence). */
  why: string;
  /** Address translations on the way (kube-proxy DNAT, masquerade), additive. */
  nat?: NatEntry[];
  /** The Service the client addressed (src/dst stay as the client sent them), additive. */
  service?: FlowService;
  /** The endpoint the Service's NAT chose, additive. */
  backend?: FlowBackend;
}

export interface InputReport {
  path: string;
  kind: 'capture' | 'dump' | 'unknown';
  host?: string;
  /** Why that host (or none): option | folder | hostname-dump | file-prefix | prompt | content | root. */
  hostFrom?: string;
  /** The reason in words ("file-name prefix node2; node2_hostname says ip-10-32-7-224"). */
  hostNote?: string;
  interface?: string;
  /** For captures, how the interface was found: pcapng | sll2-ifindex | file-name | content | unknown. */
  interfaceFrom?: string;
  interfaceNote?: string;
  /** For captures: packets read. */
  packets?: number;
  format?: string;
  sha256?: string;
  /** For dumps: the commands recognised. */
  commands?: string[];
  problems: string[];
  /**
   * For captures: what podpath did not open, by name, with the number of packets (additive to
   * podpath.report/1): a link type ("linktype 239 NFLOG"), an ethertype ("ethertype 0x8847 MPLS")
   * or an encapsulation whose payload was not decoded ("GRE protocol 0x88be ERSPAN").
   */
  notDecoded?: NotDecoded[];
}

export interface NotDecoded {
  what: string;
  packets: number;
}

/** What kind of evidence is missing (contract vocabulary, docs/report-json.md). */
export const GAP_CODES = ['no-captures', 'no-dumps', 'no-routes', 'no-addresses', 'no-fdb', 'no-neigh', 'no-pods', 'no-capture-on-path', 'not-decoded'] as const;
export type GapCode = (typeof GAP_CODES)[number];

/**
 * One thing the report could not judge, why, and the command that would answer it (additive to
 * podpath.report/1 as `gaps`).
 */
export interface EvidenceGap {
  code: GapCode;
  /** What cannot be judged, and why (one sentence, no final period). */
  what: string;
  /** The host the command is to be run on (absent: every node). */
  host?: string;
  /** The input the gap is about (not-decoded). */
  input?: string;
  /** The exact command that would answer it. */
  command: string;
  /** Flows the gap leaves unjudged. */
  flows?: string[];
}

export interface Stats {
  packets: number;
  decoded: number;
  truncated: number;
  malformed: number;
  skipped: number;
  unexplained: number;
}

export interface ClockOffset {
  /** Seconds to add to `host`'s timestamps to bring them onto `reference`'s clock. */
  host: string;
  reference: string;
  offsetUs: number;
  samples: number;
}

export interface Report {
  schema: 'podpath.report/1';
  inputs: InputReport[];
  topology: Topology;
  flows: FlowReport[];
  findings: Finding[];
  clocks: ClockOffset[];
  stats: Stats;
  problems: string[];
  /** What could not be judged and which commands would answer it (additive; src/path/gaps.ts). */
  gaps?: EvidenceGap[];
  /** The flow filter of the command line, when one is active (additive; src/filter/flows.ts). */
  filter?: FilterSummary;
}

/** An active flow filter: the options as given and how many flows it hid (docs/report-json.md). */
export interface FilterSummary {
  pod?: string[];
  node?: string[];
  proto?: string[];
  verdict?: string[];
  since?: string;
  until?: string;
  /** Flows the filter left out of `flows`. */
  hidden: number;
}
