/**
 * Findings about Services and their NAT: a Service whose connections kube-proxy rejects because it
 * has no endpoints (`service-no-endpoints`, with its REJECT rule and counter and the rejected
 * packets), a DNAT to an address no pod or host has (`service-endpoint-missing`), and, where no NAT
 * dump was given, which dump would confirm the joins made from the captures alone
 * (`nat-inferred`, info).
 */
import type { CapturePointInfo } from '../path/correlate.js';
import type { DiagnosedFlow } from '../path/diagnose.js';
import type { Evidence, Finding, Topology } from '../topology/model.js';
import { flowNat } from './join.js';
import { natFactsOf } from './services.js';

export function natFindings(flows: DiagnosedFlow[], topology: Topology, captures: CapturePointInfo[]): Finding[] {
  const out: Finding[] = [];
  const facts = natFactsOf(topology);
  const points = (d: DiagnosedFlow, max: number): Evidence[] => {
    const ev: Evidence[] = [];
    for (const j of d.flow.journeys) {
      for (const s of j.sightings) if (ev.length < max) ev.push({ input: inputOf(d, s.capture), packet: s.packet, text: j.summary });
    }
    return ev;
  };
  const inputOf = (_d: DiagnosedFlow, capture: number) => captures[capture]?.input ?? `capture ${capture}`;

  // service-no-endpoints: per Service, the rejected connections.
  const rejected = new Map<string, DiagnosedFlow[]>();
  for (const d of flows) {
    const n = flowNat(d.flow);
    if (!n || n.translated) continue;
    const k = `${n.service.namespace}/${n.service.name}`;
    rejected.set(k, [...(rejected.get(k) ?? []), d]);
  }
  for (const [name, ds] of rejected) {
    const n = flowNat(ds[0].flow)!;
    const ip = n.service.clusterIPs[0] ?? ds[0].flow.dst.ip;
    const rule = n.rejected?.rule;
    const counter = rule?.record.packets !== undefined ? `, its counter at ${rule.record.packets} packet(s)` : '';
    const ruleText = rule?.source === 'ipvs'
      ? ` ${n.host}'s ${rule.record.comment ?? 'IPVS virtual server without real servers'} (${rule.evidence.input} line ${rule.evidence.line}): the kernel rejects them`
      : rule?.source === 'nft'
      ? ` ${n.host}'s nft rule in chain ${rule.chain} "${rule.evidence.text ?? rule.record.raw ?? ''}" (${rule.record.comment ?? ''}; ${rule.evidence.input} line ${rule.evidence.line}${counter}) rejects them`
      : rule
      ? ` ${n.host}'s ${rule.table} rule ${rule.chain} "${rule.record.comment ?? rule.record.raw ?? ''}" -j ${rule.record.target}${rule.record.rejectWith ? ` --reject-with ${rule.record.rejectWith}` : ''} (${rule.evidence.input} line ${rule.evidence.line}${counter}) rejects them`
      : ' the node answers them itself';
    out.push({
      severity: 'error',
      code: 'service-no-endpoints',
      message:
        `Service ${name} (ClusterIP ${ip}:${n.port.port}/${n.port.protocol}) has no endpoints: ${ds.length} connection(s) to it were rejected;${ruleText}. ` +
        `Check the Service's selector against the pods' labels (kubectl get endpoints ${n.service.name} -n ${n.service.namespace}). Flows: ${ds.map((d) => d.id).join(', ')}`,
      evidence: [...(rule ? [rule.evidence] : []), ...n.service.evidence.slice(0, 1), ...ds.flatMap((d) => points(d, 4))],
      subject: { title: `Service ${name} has no endpoints`, hosts: [n.host], to: { host: n.host, address: ip }, flows: ds.map((d) => d.id), count: ds.length },
    });
  }

  // service-endpoint-missing: a DNAT rule sends to an address no pod or host has.
  if (facts) {
    const known = new Set<string>([...topology.pods.filter((p) => p.source !== 'subnet').map((p) => p.ip), ...topology.hosts.flatMap((h) => h.interfaces.flatMap((i) => i.addresses.map((a) => a.address)))]);
    const podsKnown = topology.pods.some((p) => p.source !== 'subnet' && p.source !== 'capture');
    const seen = new Set<string>();
    for (const [host, chains] of facts.chains) {
      for (const [k, rules] of chains) {
        if (!k.startsWith('nat/KUBE-SEP-')) continue;
        for (const r of rules) {
          const to = r.record.target === 'DNAT' ? r.record.toDestination : undefined;
          const ip = to?.split(':')[0];
          if (!ip || known.has(ip) || !podsKnown || seen.has(to!)) continue;
          seen.add(to!);
          out.push({
            severity: 'warning',
            code: 'service-endpoint-missing',
            message: `${host}: ${r.chain} DNATs ${r.record.comment ?? 'a Service'} to ${to}, an address no pod or host in the dumps has (a stale endpoint?) (${r.evidence.input} line ${r.evidence.line})`,
            evidence: [r.evidence],
            subject: { title: `DNAT to missing endpoint ${to}`, hosts: [host], to: { host, address: ip } },
          });
        }
      }
    }
  }

  // nat-inferred: joined without a NAT dump of the translating node.
  const inferred = new Map<string, string[]>();
  for (const d of flows) {
    const n = flowNat(d.flow);
    if (!n || n.source !== 'inferred' || !n.translated) continue;
    inferred.set(n.host, [...(inferred.get(n.host) ?? []), d.id]);
  }
  for (const [host, ids] of inferred) {
    out.push({
      severity: 'info',
      code: 'nat-inferred',
      message:
        `${ids.length} connection(s) translated on ${host} were joined across NAT from the captures alone (TCP seq/ack, ICMP id/seq, timing): ` +
        `\`iptables-save -c\` and \`conntrack -L\` on ${host} would confirm which rule and which backend. Flows: ${ids.join(', ')}`,
      evidence: [],
      subject: { title: `NAT on ${host} inferred`, hosts: [host], flows: ids, count: ids.length },
    });
  }
  return out;
}
