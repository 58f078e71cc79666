/**
 * Services from kube-proxy's nftables table: the chain names carry the Service port
 * (`service-HASH-ns/name/tcp/portname`, `endpoint-HASH-ns/name/tcp/portname__10.42.1.12/8080`), the
 * `service-ips` map gives its cluster IP and port (`10.43.0.50 . tcp . 80 : goto service-...`),
 * `service-nodeports` its node port (`tcp . 30080 : goto external-...`), and `no-endpoint-services`
 * names the Services without endpoints by their element comments (`"default/empty:http"`).
 */
import type { NftHostFacts } from './decide-nft.js';
import type { ServiceModel } from './services.js';

const SVC = /^(?:service|external)-[A-Z0-9]+-([^/\s]+)\/([^/\s]+)\/([a-z]+)\/(\S*)$/;
const EP = /^endpoint-[A-Z0-9]+-([^/\s]+)\/([^/\s]+)\/([a-z]+)\/[^_\s]*__(\d+\.\d+\.\d+\.\d+)\/(\d+)$/;

export function nftServices(
  f: NftHostFacts,
  get: (ns: string, name: string) => ServiceModel,
  addEndpoint: (s: ServiceModel, ip: string, port: number | undefined) => void,
): void {
  const port = (s: ServiceModel, p: number, protocol: string, name: string | undefined) => {
    let x = s.ports.find((q) => q.port === p && q.protocol === protocol);
    if (!x) s.ports.push((x = { port: p, protocol }));
    if (name) x.name ??= name;
    return x;
  };
  const mark = (s: ServiceModel, ev: NftHostFacts['maps'] extends Map<string, infer V> ? V : never) => {
    if (!s.sources.includes('nft')) s.sources.push('nft');
    if (s.evidence.length === 0) s.evidence.push(ev.evidence);
  };
  const ips = f.maps.get('service-ips');
  for (const e of ips?.rec.elements ?? []) {
    const k = e.key.split(/\s+\.\s+/);
    const m = SVC.exec((e.value ?? '').replace(/^(goto|jump)\s+/, ''));
    if (!m || k.length !== 3 || !ips) continue;
    const s = get(m[1], m[2]);
    if (!s.clusterIPs.includes(k[0])) s.clusterIPs.push(k[0]);
    port(s, Number(k[2]), k[1].toUpperCase(), m[4] || undefined);
    mark(s, ips);
  }
  const nps = f.maps.get('service-nodeports');
  for (const e of nps?.rec.elements ?? []) {
    const k = e.key.split(/\s+\.\s+/);
    const m = SVC.exec((e.value ?? '').replace(/^(goto|jump)\s+/, ''));
    if (!m || k.length !== 2) continue;
    const s = get(m[1], m[2]);
    const p = s.ports.find((q) => q.protocol === k[0].toUpperCase() && (q.name === (m[4] || undefined) || s.ports.length === 1));
    if (p) p.nodePort ??= Number(k[1]);
  }
  const none = f.maps.get('no-endpoint-services');
  for (const e of none?.rec.elements ?? []) {
    const k = e.key.split(/\s+\.\s+/);
    const m = /^([^/\s]+)\/([^:\s]+):?(\S*)$/.exec(e.comment ?? '');
    if (!m || k.length !== 3 || !none) continue;
    const s = get(m[1], m[2]);
    if (!s.clusterIPs.includes(k[0])) s.clusterIPs.push(k[0]);
    port(s, Number(k[2]), k[1].toUpperCase(), m[3] || undefined);
    mark(s, none);
  }
  for (const chain of f.chains.keys()) {
    const m = EP.exec(chain);
    if (m) addEndpoint(get(m[1], m[2]), m[4], Number(m[5]));
  }
}
