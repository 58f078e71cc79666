/**
 * The Service model: Services (namespace, name, cluster IPs, ports, node ports, endpoints) from
 * `kubectl get svc/endpoints/endpointslices` and from kube-proxy's own rules (its chain comments
 * name the Service port: `"default/web:http cluster IP"`, `"default/web:http -> 10.42.1.12:8080"`),
 * and the per-node NAT facts later phases walk (iptables-save rules by table and chain, conntrack
 * entries). `topology.services` is part of the report (docs/topology-json.md); the rules and
 * conntrack entries are not, and stay attached to the topology object here.
 */
import type { DumpSection } from '../dumps/types.js';
import type { ConntrackRecord, IptablesSaveRecord, NftRecord, KubectlEndpointSliceRecord, KubectlEndpointsRecord, KubectlServiceRecord } from '../dumps/nat-types.js';
import type { Evidence, Topology } from '../topology/model.js';
import { nftHostFacts, type NftHostFacts } from './decide-nft.js';
import { nftServices } from './services-nft.js';
import type { IpvsHostFacts } from './decide-ipvs.js';
import type { IpvsRecord } from '../dumps/nat-types.js';

export interface ServicePortModel {
  /** Port name from kube-proxy's comments (`http`), when known. */
  name?: string;
  port: number;
  protocol: string;
  nodePort?: number;
}

export interface ServiceEndpoint {
  ip: string;
  port?: number;
  pod?: string;
  host?: string;
}

export interface ServiceModel {
  namespace: string;
  name: string;
  type?: string;
  clusterIPs: string[];
  ports: ServicePortModel[];
  endpoints: ServiceEndpoint[];
  /** Where the Service is known from. */
  sources: ('kubectl' | 'iptables' | 'nft')[];
  evidence: Evidence[];
}

export interface NatRule {
  host: string;
  table: string;
  chain: string;
  record: IptablesSaveRecord;
  evidence: Evidence;
  /** A rule read from another dump than iptables-save (its record is made to look like one). */
  source?: 'nft' | 'ipvs';
}

export interface ConntrackFact {
  host: string;
  record: ConntrackRecord;
  evidence: Evidence;
}

export interface NatFacts {
  /** host -> "table/chain" -> rules in order. */
  chains: Map<string, Map<string, NatRule[]>>;
  conntrack: ConntrackFact[];
  /** Hosts with an iptables-save dump. */
  ruleHosts: Set<string>;
  conntrackHosts: Set<string>;
  /** host -> `nft list ruleset` records with their evidence, in order (filter drops with counters). */
  nftRules?: Map<string, { record: NftRecord; evidence: Evidence }[]>;
  /** host -> kube-proxy's nftables table (nft list ruleset). */
  nft?: Map<string, NftHostFacts>;
  /** host -> IPVS virtual and real servers (ipvsadm -Ln). */
  ipvs?: Map<string, IpvsHostFacts>;
}

interface Section {
  host?: string;
  section: DumpSection;
}

const facts = new WeakMap<Topology, NatFacts>();

/** The NAT facts built with this topology (undefined for a topology built by hand without them). */
export function natFactsOf(topology: Topology): NatFacts | undefined {
  return facts.get(topology);
}

export function setNatFacts(topology: Topology, f: NatFacts): void {
  facts.set(topology, f);
}

/** Topology hook: Services into `topology.services`, rules and conntrack entries kept aside. */
export function attachServices(topology: Topology, sections: Section[], ev: (input: string, line: number) => Evidence): void {
  const f: NatFacts = { chains: new Map(), conntrack: [], ruleHosts: new Set(), conntrackHosts: new Set() };
  const svc: { r: KubectlServiceRecord; e: Evidence }[] = [];
  const eps: KubectlEndpointsRecord[] = [];
  const slices: KubectlEndpointSliceRecord[] = [];
  for (const { host, section } of sections) {
    const cmd = section.command as string;
    if (cmd === 'kubectl-services') for (const r of section.records as KubectlServiceRecord[]) svc.push({ r, e: ev(section.input, r.line) });
    else if (cmd === 'kubectl-endpoints') eps.push(...(section.records as KubectlEndpointsRecord[]));
    else if (cmd === 'kubectl-endpointslices') slices.push(...(section.records as KubectlEndpointSliceRecord[]));
    else if (cmd === 'iptables-save' && host) {
      f.ruleHosts.add(host);
      const m = f.chains.get(host) ?? new Map<string, NatRule[]>();
      f.chains.set(host, m);
      for (const r of section.records as IptablesSaveRecord[]) {
        if (r.kind !== 'rule' || r.family === 'inet6') continue;
        const table = r.table ?? 'filter';
        const k = `${table}/${r.chain}`;
        const list = m.get(k) ?? [];
        list.push({ host, table, chain: r.chain, record: r, evidence: ev(section.input, r.line) });
        m.set(k, list);
      }
    } else if (cmd === 'nft-ruleset' && host) {
      f.nftRules ??= new Map();
      const list = f.nftRules.get(host) ?? [];
      for (const r of section.records as NftRecord[]) list.push({ record: r, evidence: ev(section.input, r.line) });
      f.nftRules.set(host, list);
      const t = nftHostFacts(host, section.input, section.records as NftRecord[], ev);
      if (t) (f.nft ??= new Map()).set(host, t);
    } else if (cmd === 'ipvsadm' && host) {
      const m = (f.ipvs ??= new Map());
      const t = m.get(host) ?? { host, records: [] };
      m.set(host, t);
      for (const r of section.records as IpvsRecord[]) if (r.kind !== 'connection') t.records.push({ rec: r, evidence: ev(section.input, r.line) });
    } else if (cmd === 'conntrack' && host) {
      f.conntrackHosts.add(host);
      for (const r of section.records as ConntrackRecord[]) f.conntrack.push({ host, record: r, evidence: ev(section.input, r.line) });
    }
  }
  setNatFacts(topology, f);

  const byName = new Map<string, ServiceModel>();
  const get = (namespace: string, name: string): ServiceModel => {
    const k = `${namespace}/${name}`;
    let s = byName.get(k);
    if (!s) byName.set(k, (s = { namespace, name, clusterIPs: [], ports: [], endpoints: [], sources: [], evidence: [] }));
    return s;
  };
  for (const { r, e } of svc) {
    const s = get(r.namespace ?? 'default', r.name);
    s.type = r.type;
    for (const ip of r.clusterIps) if (!s.clusterIPs.includes(ip)) s.clusterIPs.push(ip);
    for (const p of r.ports) if (!s.ports.some((x) => x.port === p.port && x.protocol === p.protocol)) s.ports.push({ port: p.port, protocol: p.protocol.toUpperCase(), nodePort: p.nodePort });
    if (!s.sources.includes('kubectl')) s.sources.push('kubectl');
    s.evidence.push(e);
  }
  for (const r of eps) {
    const s = byName.get(`${r.namespace ?? 'default'}/${r.name}`);
    if (!s) continue;
    for (const a of r.endpoints) addEndpoint(s, a.address, a.port);
  }
  for (const r of slices) {
    // EndpointSlices are named after their Service plus a suffix.
    const s = [...byName.values()].find((x) => x.namespace === (r.namespace ?? 'default') && r.name.startsWith(`${x.name}-`));
    if (!s) continue;
    for (const a of r.endpoints) addEndpoint(s, a, undefined);
  }
  // kube-proxy's rules: "ns/name:port cluster IP" on KUBE-SERVICES, "ns/name:port -> ip:port" on KUBE-SVC-*.
  for (const chains of f.chains.values()) {
    for (const rule of chains.get('nat/KUBE-SERVICES') ?? []) {
      const m = /^([^/\s]+)\/([^:\s]+):?(\S*) cluster IP$/.exec(rule.record.comment ?? '');
      const r = rule.record;
      if (!m || !r.destination || !r.dport) continue;
      const s = get(m[1], m[2]);
      const ip = r.destination.replace(/\/32$/, '');
      if (!s.clusterIPs.includes(ip)) s.clusterIPs.push(ip);
      const port = Number(r.dport);
      const protocol = (r.protocol ?? 'tcp').toUpperCase();
      let p = s.ports.find((x) => x.port === port && x.protocol === protocol);
      if (!p) s.ports.push((p = { port, protocol }));
      if (m[3]) p.name ??= m[3];
      if (!s.sources.includes('iptables')) s.sources.push('iptables');
      if (s.evidence.length === 0) s.evidence.push(rule.evidence);
    }
    for (const rule of chains.get('nat/KUBE-NODEPORTS') ?? []) {
      const m = /^([^/\s]+)\/([^:\s]+):?(\S*)$/.exec(rule.record.comment ?? '');
      if (!m || !rule.record.dport) continue;
      const s = byName.get(`${m[1]}/${m[2]}`);
      const p = s?.ports.find((x) => x.protocol === (rule.record.protocol ?? 'tcp').toUpperCase() && (x.name === m[3] || s.ports.length === 1));
      if (p) p.nodePort ??= Number(rule.record.dport);
    }
    for (const [k, rules] of chains) {
      if (!k.startsWith('nat/KUBE-SVC-')) continue;
      for (const rule of rules) {
        const m = /^([^/\s]+)\/([^:\s]+):?\S* -> (\S+):(\d+)$/.exec(rule.record.comment ?? '');
        if (!m) continue;
        const s = get(m[1], m[2]);
        addEndpoint(s, m[3], Number(m[4]));
      }
    }
  }
  for (const t of f.nft?.values() ?? []) nftServices(t, get, addEndpoint);
  for (const s of byName.values()) {
    for (const e of s.endpoints) {
      const pod = topology.pods.find((p) => p.ip === e.ip);
      if (pod) {
        if (pod.source !== 'subnet' && pod.source !== 'capture') e.pod = pod.name;
        if (pod.host) e.host = pod.host;
      } else {
        const h = topology.hosts.find((x) => x.interfaces.some((i) => i.addresses.some((a) => a.address === e.ip)));
        if (h) e.host = h.name;
      }
    }
  }
  const list = [...byName.values()].sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1));
  if (list.length > 0) topology.services = list;
}

export function addEndpoint(s: ServiceModel, ip: string, port: number | undefined): void {
  const same = s.endpoints.find((e) => e.ip === ip && (e.port === port || port === undefined));
  if (same) return;
  const bare = s.endpoints.find((e) => e.ip === ip && e.port === undefined);
  if (bare && port !== undefined) {
    bare.port = port;
    return;
  }
  s.endpoints.push(port === undefined ? { ip } : { ip, port });
}

/** The Service and port a packet to (ip, port, protocol) is addressed to: a cluster IP, or a node port. */
export function serviceFor(
  topology: Topology,
  ip: string,
  port: number | undefined,
  protocol: string,
  nodeAddress: boolean,
): { service: ServiceModel; port: ServicePortModel; nodePort: boolean } | undefined {
  const proto = protocol.toUpperCase();
  for (const s of topology.services ?? []) {
    for (const p of s.ports) {
      if (p.protocol !== proto) continue;
      if (s.clusterIPs.includes(ip) && p.port === port) return { service: s, port: p, nodePort: false };
      if (nodeAddress && p.nodePort !== undefined && p.nodePort === port) return { service: s, port: p, nodePort: true };
    }
  }
  return undefined;
}
