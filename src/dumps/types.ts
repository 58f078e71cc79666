/**
 * Records the dump parsers yield. The JSON of `podpath dumps --format json` is a versioned contract
 * (docs/dumps-json.md, schema "podpath.dumps/1"): fields are only ever added, never renamed.
 * Every record keeps the 1-based `line` of the input it came from, for evidence.
 */
import type {
  ConntrackRecord,
  IptablesListRecord,
  IptablesSaveRecord,
  IpvsRecord,
  KubectlEndpointSliceRecord,
  KubectlEndpointsRecord,
  KubectlServiceRecord,
  NftRecord,
} from './nat-types.js';

export type * from './nat-types.js';

/**
 * The command ids: one per key of `RecordsOf` (below), so a new dump format adds its id and record
 * type in one line there. 'unknown' is for output no parser reads.
 */
export type DumpCommand = keyof RecordsOf;

/** A problem found while parsing: one line, with the input line it is about. */
export interface DumpProblem {
  line: number;
  message: string;
}

/** One command's output found in an input (a pasted session gives several). */
export interface DumpSection<R = DumpRecord> {
  input: string;
  command: DumpCommand;
  /** 1-based line of the input where this command's output starts (after its prompt line). */
  line: number;
  /** The command as typed, when a prompt line named it (pasted sessions). */
  commandLine?: string;
  records: R[];
  problems: DumpProblem[];
}

export interface IpAddress {
  family: 'inet' | 'inet6';
  address: string;
  prefixLength: number;
  scope?: string;
  broadcast?: string;
  /** Point-to-point peer (`inet A peer B/P`). */
  peer?: string;
  label?: string;
  secondary?: boolean;
  /** Other address flags as printed: dynamic, noprefixroute, tentative, deprecated, ... */
  flags?: string[];
  line: number;
}

export interface IpAddrRecord {
  index: number;
  name: string;
  /** `@if5` -> "if5", `@NONE` -> "NONE", `@eth0` -> "eth0". */
  peer?: string;
  flags: string[];
  mtu?: number;
  qdisc?: string;
  master?: string;
  state?: string;
  group?: string;
  qlen?: number;
  /** `link/ether` -> "ether", "loopback", "none", ... */
  linkType?: string;
  mac?: string;
  /** `link-netns NAME` or `link-netnsid N` (as a string). */
  linkNetns?: string;
  altnames?: string[];
  addresses: IpAddress[];
  line: number;
}

export interface RouteRecord {
  /** "10.42.1.0/24", "0.0.0.0/0" for default, "fe80::/64". */
  destination: string;
  gateway?: string;
  /** Outgoing interface (absent for blackhole/unreachable/prohibit). */
  interface?: string;
  metric?: number;
  /** net-tools flags ("UG"), or ip-route flags words ("onlink linkdown"). */
  flags?: string;
  onlink?: boolean;
  /** unicast (default), local, broadcast, blackhole, unreachable, prohibit, multicast, throw, nat. */
  type?: string;
  proto?: string;
  scope?: string;
  src?: string;
  table?: string;
  nexthops?: { gateway?: string; interface?: string; weight?: number }[];
  /**
   * A lightweight-tunnel encapsulation (`encap ip id 48312 src 0.0.0.0 dst 10.32.7.224 ttl 0 tos 0`):
   * the tunnel id (VNI) and endpoint a collect-metadata (external) VXLAN/Geneve device uses for
   * packets of this route. `type` is the word after `encap` (ip, ip6, mpls, seg6, bpf, ...).
   */
  encap?: RouteEncap;
  /** "inet" or "inet6", from the destination or gateway. */
  family?: 'inet' | 'inet6';
  line: number;
}

export interface RouteEncap {
  type: string;
  /** Tunnel id (`id`): the VNI for VXLAN/Geneve. */
  id?: number;
  src?: string;
  /** Remote tunnel endpoint (`dst`). */
  dst?: string;
  ttl?: number;
  tos?: string;
  /** Flag words (`key`, `csum`, `seq`). */
  flags?: string[];
}

export interface BridgeVlanRecord {
  port: string;
  /** `vlanEnd` for a compressed range (`2-7`); `tunnelId`/`tunnelIdEnd` from `bridge vlan tunnelshow`. */
  vlans: { vlan: number; pvid: boolean; untagged: boolean; vlanEnd?: number; state?: string; tunnelId?: number; tunnelIdEnd?: number }[];
  line: number;
}

export interface BridgeFdbRecord {
  mac: string;
  /** The device the entry belongs to (`dev`). */
  dev?: string;
  /** VXLAN remote (`dst`). */
  dst?: string;
  vlan?: number;
  master?: string;
  self?: boolean;
  permanent?: boolean;
  static?: boolean;
  router?: boolean;
  extern_learn?: boolean;
  vni?: number;
  port?: number;
  line: number;
}

export interface NeighRecord {
  address: string;
  dev?: string;
  lladdr?: string;
  /** REACHABLE, STALE, PERMANENT, FAILED, INCOMPLETE, ... (several words joined by space). */
  state?: string;
  router?: boolean;
  proxy?: boolean;
  /** Other flags: managed, extern_learn, ... */
  flags?: string[];
  line: number;
}

export interface LinkRecord {
  index: number;
  name: string;
  peer?: string;
  flags: string[];
  mtu?: number;
  master?: string;
  state?: string;
  linkType?: string;
  mac?: string;
  linkNetns?: string;
  /** `ip -d link`: vxlan, bridge, bridge_slave, veth, geneve, ipip, gre, ... */
  kind?: string;
  vxlan?: { id?: number; local?: string; remote?: string; group?: string; dev?: string; dstport?: number; learning?: boolean; external?: boolean };
  geneve?: { id?: number; remote?: string; dstport?: number; external?: boolean };
  /** `vlan protocol 802.1Q id 50`. */
  vlan?: { protocol?: string; id?: number };
  /** `bridge_slave`, `bond_slave`, ... (the link is a port of `master`). */
  slaveKind?: string;
  qdisc?: string;
  group?: string;
  qlen?: number;
  mode?: string;
  promiscuity?: number;
  allmulti?: number;
  minMtu?: number;
  maxMtu?: number;
  altnames?: string[];
  alias?: string;
  line: number;
}

export interface KubectlPodRecord {
  namespace?: string;
  name: string;
  ready: string;
  status: string;
  restarts?: string;
  age?: string;
  ip: string;
  node: string;
  line: number;
}

export interface KubectlNodeRecord {
  name: string;
  status: string;
  roles?: string;
  version?: string;
  internalIp?: string;
  externalIp?: string;
  line: number;
}

export interface SocketRecord {
  proto: string;
  localAddress: string;
  localPort: number;
  foreignAddress?: string;
  foreignPort?: number;
  state?: string;
  process?: string;
  line: number;
}

export interface HostnameRecord {
  hostname: string;
  line: number;
}

/** Any parser's record. */
export type DumpRecord = RecordsOf[Exclude<DumpCommand, 'unknown'>];

/**
 * Maps each command id to its record type; its keys are the `DumpCommand` ids. Adding a dump format
 * adds one line here (see src/dumps/registry.ts).
 */
export interface RecordsOf {
  'iptables-save': IptablesSaveRecord;
  'iptables-list': IptablesListRecord;
  'nft-ruleset': NftRecord;
  ipvsadm: IpvsRecord;
  conntrack: ConntrackRecord;
  'kubectl-services': KubectlServiceRecord;
  'kubectl-endpoints': KubectlEndpointsRecord;
  'kubectl-endpointslices': KubectlEndpointSliceRecord;
  'ip-addr': IpAddrRecord;
  'ip-route': RouteRecord;
  'route-n': RouteRecord;
  'bridge-vlan': BridgeVlanRecord;
  'bridge-fdb': BridgeFdbRecord;
  'ip-neigh': NeighRecord;
  'ip-link': LinkRecord;
  'kubectl-pods': KubectlPodRecord;
  'kubectl-nodes': KubectlNodeRecord;
  sockets: SocketRecord;
  hostname: HostnameRecord;
  unknown: never;
}

/**
 * A command typed at a prompt of a pasted session that a parser reads the output of. Wrappers are
 * stripped first (sudo, env, watch, `kubectl exec POD --`, `docker exec CTR`, `ip netns exec NS`,
 * `nsenter ... --`), and only the first command of a pipeline counts.
 *   { programs: ['route'] }                                      any arguments
 *   { programs: ['ip'], args: (a) => abbrev(ipObject(a), 'route') }   arguments decide
 *   { file: /\/proc\/net\/route$/ }                              `cat`/`more`/`less`/`type` of that file
 * Helpers for `args`: ./typed.ts. Patterns of different parsers should not overlap; when they do the
 * parser first in the registry wins.
 */
export type TypedCommand =
  | {
      /** Program names as typed (without a directory: `./bridge/bridge vlan` is "bridge"). */
      programs: readonly string[];
      /** Whether the arguments after the program are this command's; absent: any arguments are. */
      args?: (args: readonly string[]) => boolean;
    }
  | {
      /** The path of a file shown with cat/more/less/type (the last non-option argument). */
      file: RegExp;
    };

/** What a parser is and how it is found: everything the registry (./registry.ts) needs. */
export interface DumpInfo<C extends DumpCommand = DumpCommand> {
  /** The command id (a `RecordsOf` key); sections and records carry it. */
  command: C;
  /** How messages name the command ("route -n", "kubectl get pods"); unique per command id. */
  displayName: string;
  /** The outputs this parser reads (for `--help`-like listings and tests). */
  description: string;
  /** Confidence 0..1 that `lines` (already cleaned: no ANSI, no CR) are this command's output. */
  detect(lines: string[]): number;
  /**
   * File names that suggest this command. `pattern` is tested against the base name, lower-cased,
   * without a .txt/.out/.log/.raw/.json/.dump extension, every run of other characters than a-z 0-9
   * made one '-' ("ip -d link.txt" -> "ip-d-link"). `rank` orders the patterns of all parsers
   * (lower first; ties keep registry order): the first matching one breaks ties and names the
   * expected output in messages, so of two patterns that can match one name the more specific gets
   * the lower rank ("ip-route" matches both ip-route, 70, and route-n, 80). Ranks in use: 10..110.
   * Exactly one parser per command id gives it (a second syntax of a command, such as ip -j addr,
   * leaves it to the first).
   */
  nameHint?: { pattern: RegExp; rank: number };
  /** The typed commands whose output this is (see TypedCommand); like nameHint, one parser per id. */
  typed?: readonly TypedCommand[];
  /** The record field `podpath dumps` lists in its table ("name", "destination", "mac"). */
  listField?: Extract<keyof RecordsOf[C], string>;
}

/** Each parser module exports one of these (and adds it to the list in ./registry.ts). */
export interface DumpParser<C extends DumpCommand = DumpCommand> {
  info: DumpInfo<C>;
  /** Parses cleaned lines; `firstLine` is the 1-based input line of lines[0]. Never throws. */
  parse(lines: string[], firstLine: number): { records: RecordsOf[C][]; problems: DumpProblem[] };
}
