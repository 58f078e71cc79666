/**
 * The NAT decision from kube-proxy's IPVS mode (`ipvsadm -Ln`): a virtual server (the cluster IP
 * or node address and port) DNATs to one of its real servers, each with probability weight/sum of
 * weights; source "ipvs". Masquerade is not in the IPVS table: kube-proxy marks with KUBE-MARK-MASQ
 * in iptables (ipset matches) and KUBE-POSTROUTING masquerades, so it is added only when the
 * host's iptables walk shows it. A virtual server without real servers has no endpoints (the
 * kernel answers ICMP port unreachable).
 */
import type { IpvsRecord } from '../dumps/nat-types.js';
import type { Evidence } from '../topology/model.js';
import type { FilterVerdict, NatDecision, NatPacket } from './decide.js';
import type { NatRule } from './services.js';

export interface IpvsHostFacts {
  host: string;
  records: { rec: IpvsRecord; evidence: Evidence }[];
}

function rule(host: string, rec: IpvsRecord, evidence: Evidence, target: string): NatRule {
  const chain = `${rec.protocol} ${rec.serviceAddress}:${rec.servicePort ?? ''}`;
  return { host, table: 'ipvs', chain, record: { kind: 'rule', table: 'nat', chain, target, line: rec.line } as NatRule['record'], evidence, source: 'ipvs' };
}

function services(f: IpvsHostFacts, p: NatPacket): { rec: IpvsRecord; evidence: Evidence }[] {
  return f.records.filter(
    (r) => r.rec.kind === 'service' && r.rec.protocol.toLowerCase() === p.protocol.toLowerCase() && r.rec.serviceAddress === p.dst && r.rec.servicePort === p.dport,
  );
}

/** One decision per real server of the virtual server the packet is addressed to. */
export function ipvsDecisions(f: IpvsHostFacts, p: NatPacket, masq?: Pick<NatDecision, 'markedBy' | 'masquerade'>): NatDecision[] {
  const svc = services(f, p)[0];
  if (!svc) return [];
  const servers = f.records.filter(
    (r) => r.rec.kind === 'server' && r.rec.protocol === svc.rec.protocol && r.rec.serviceAddress === svc.rec.serviceAddress && r.rec.servicePort === svc.rec.servicePort && r.rec.address,
  );
  const live = servers.filter((s) => (s.rec.weight ?? 1) > 0);
  const sum = live.reduce((a, s) => a + (s.rec.weight ?? 1), 0);
  const vs = `${svc.rec.serviceAddress}:${svc.rec.servicePort}`;
  return live.map((s) => {
    const prob = sum > 0 ? (s.rec.weight ?? 1) / sum : 1 / live.length;
    const r = rule(f.host, s.rec, s.evidence, 'DNAT');
    const d: NatDecision = {
      dnat: { ip: s.rec.address!, port: s.rec.port, rule: r },
      pick: { chain: vs, sep: `${s.rec.address}:${s.rec.port}`, probability: prob, rule: r },
      walk: [`ipvs ${svc.rec.protocol} ${vs}`],
      probability: prob,
      source: 'ipvs',
    };
    if (masq?.masquerade) {
      d.masquerade = masq.masquerade;
      if (masq.markedBy) d.markedBy = masq.markedBy;
    }
    return d;
  });
}

/** A virtual server without real servers: no endpoints, rejected by the kernel. */
export function ipvsFilterVerdict(f: IpvsHostFacts, p: NatPacket): FilterVerdict | undefined {
  const svc = services(f, p)[0];
  if (!svc) return undefined;
  const any = f.records.some((r) => r.rec.kind === 'server' && r.rec.serviceAddress === svc.rec.serviceAddress && r.rec.servicePort === svc.rec.servicePort && r.rec.protocol === svc.rec.protocol && (r.rec.weight ?? 1) > 0);
  if (any) return undefined;
  const r = rule(f.host, svc.rec, svc.evidence, 'REJECT');
  r.record.comment = `IPVS virtual server ${svc.rec.serviceAddress}:${svc.rec.servicePort} has no real servers`;
  return { target: 'REJECT', rule: r };
}
