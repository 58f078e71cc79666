/**
 * The NAT decision from kube-proxy's nftables mode (`nft list ruleset`, table `ip kube-proxy`), the
 * same shape as the iptables chain walk (decide.ts) with source "nft":
 *
 *   nat-prerouting/nat-output -> services: `ip daddr . meta l4proto . th dport vmap @service-ips`,
 *   then for local destinations `fib daddr type local ... meta l4proto . th dport vmap @service-nodeports`
 *   -> service-HASH-ns/name/proto/port (or external-HASH-..., which marks for masquerade first):
 *   `numgen random mod N vmap { 0 : goto endpoint-..., ... }` (each pick 1/N)
 *   -> endpoint-HASH-ns/name/proto/port__IP/PORT: `dnat to IP:PORT`;
 *   `jump mark-for-masquerade` sets mark 0x4000, which nat-postrouting -> masquerading turns into
 *   `masquerade`. A Service without endpoints is an element of the `no-endpoint-services` map (or
 *   `no-endpoint-nodeports`), whose verdict goes to `reject-chain` (`reject`) or drops.
 *
 * Only the matches kube-proxy writes are evaluated (ip saddr/daddr, l4 ports, l4proto, fib local);
 * a rule with another match is taken as not matching.
 */
import type { IptablesSaveRecord, NftRecord } from '../dumps/nat-types.js';
import type { Evidence } from '../topology/model.js';
import { subnetContains } from '../topology/lookup.js';
import type { FilterVerdict, NatDecision, NatPacket } from './decide.js';
import type { NatRule } from './services.js';

/** One host's kube-proxy table: its chains' rules and its maps. */
export interface NftHostFacts {
  host: string;
  input: string;
  chains: Map<string, { rec: NftRecord; evidence: Evidence }[]>;
  maps: Map<string, { rec: NftRecord; evidence: Evidence }>;
}

const MAX_DEPTH = 16;

/** The kube-proxy table of a host's ruleset (the ip table holding a `services` chain), if any. */
export function nftHostFacts(host: string, input: string, records: NftRecord[], ev: (input: string, line: number) => Evidence): NftHostFacts | undefined {
  const tables = new Map<string, NftHostFacts>();
  for (const r of records) {
    if (r.family !== 'ip') continue;
    const t = tables.get(r.table) ?? { host, input, chains: new Map(), maps: new Map() };
    tables.set(r.table, t);
    if (r.kind === 'rule' && r.chain) {
      const l = t.chains.get(r.chain) ?? [];
      l.push({ rec: r, evidence: ev(input, r.line) });
      t.chains.set(r.chain, l);
    } else if (r.kind === 'chain' && r.name && !t.chains.has(r.name)) t.chains.set(r.name, []);
    else if ((r.kind === 'map' || r.kind === 'set') && r.name) t.maps.set(r.name, { rec: r, evidence: ev(input, r.line) });
  }
  return tables.get('kube-proxy') ?? [...tables.values()].find((t) => t.chains.has('services') && t.maps.has('service-ips'));
}

/** A NatRule for an nft rule (its record carries what the iptables consumers read: target, comment, counter). */
export function nftRule(f: NftHostFacts, chain: string, rec: NftRecord, evidence: Evidence, target: string): NatRule {
  const record: IptablesSaveRecord = { kind: 'rule', table: 'nat', chain, raw: rec.raw, target, line: rec.line } as IptablesSaveRecord;
  if (rec.comment !== undefined) record.comment = rec.comment;
  if (rec.packets !== undefined) record.packets = rec.packets;
  return { host: f.host, table: 'nft', chain, record, evidence: { ...evidence, text: evidence.text ?? rec.raw }, source: 'nft' };
}

/** The verdict a concatenated key gets from a map (`10.43.0.50 . tcp . 80 : goto service-...`). */
function lookup(f: NftHostFacts, map: string, key: string[]): { verdict: string; element: { key: string; value?: string; comment?: string }; map: { rec: NftRecord; evidence: Evidence } } | undefined {
  const m = f.maps.get(map);
  if (!m) return undefined;
  for (const e of m.rec.elements ?? []) {
    const parts = e.key.split(/\s+\.\s+/).map((x) => x.trim());
    if (parts.length !== key.length) continue;
    if (parts.every((p, i) => elementMatches(p, key[i])) && e.value) return { verdict: e.value, element: e, map: m };
  }
  return undefined;
}

function elementMatches(p: string, v: string): boolean {
  if (p === v) return true;
  if (p.includes('/')) return subnetContains(p, v);
  if (/^\d+-\d+$/.test(p)) {
    const [a, b] = p.split('-').map(Number);
    return Number(v) >= a && Number(v) <= b;
  }
  return false;
}

/** `goto X` / `jump X` / `drop` ... -> { kind, chain }. */
function verdictOf(v: string): { kind: string; chain?: string } {
  const m = /^(goto|jump)\s+(\S+)$/.exec(v.trim());
  return m ? { kind: m[1], chain: m[2] } : { kind: v.trim() };
}

/** Evaluates the matches of a kube-proxy rule (the text before its statements). */
function matches(raw: string, p: NatPacket): boolean {
  const text = raw.replace(/\s+comment\s+"(?:[^"\\]|\\.)*"\s*$/, '').replace(/\bcounter\s+packets\s+\d+\s+bytes\s+\d+/, ' ');
  const re = /\b(ip)\s+(saddr|daddr)\s+(!=\s+)?(\{[^}]*\}|\S+)|\b(tcp|udp|sctp|th)\s+(sport|dport)\s+(!=\s+)?(\{[^}]*\}|\S+)|\bmeta\s+l4proto\s+(!=\s+)?(tcp|udp|sctp)\b(?!\s+\.)|\bfib\s+daddr\s+type\s+(!=\s+)?local\b|\bct\s+state\s+(!=\s+)?(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    if (m[1]) {
      const addr = m[2] === 'saddr' ? p.src : p.dst;
      if (m[4].startsWith('@')) return false; // a set we do not evaluate here
      const list = m[4].replace(/[{}]/g, '').split(',').map((x) => x.trim()).filter(Boolean);
      const inIt = list.some((c) => (c.includes('/') ? subnetContains(c, addr) : c === addr));
      if (inIt === !!m[3]) return false;
    } else if (m[5]) {
      if (m[5] !== 'th' && m[5] !== p.protocol.toLowerCase()) return false;
      const port = m[6] === 'sport' ? p.sport : p.dport;
      const list = m[8].replace(/[{}]/g, '').split(',').map((x) => x.trim()).filter(Boolean);
      const inIt = port !== undefined && list.some((c) => elementMatches(c, String(port)));
      if (inIt === !!m[7]) return false;
    } else if (m[10]) {
      if ((m[10] === p.protocol.toLowerCase()) === !!m[9]) return false;
    } else if (m[0].startsWith('fib')) {
      if (p.dstLocal === !!m[11]) return false;
    } else if (m[13]) {
      if (m[13].split(',').includes('new') === !!m[12]) return false;
    }
  }
  return true;
}

interface St {
  mark: boolean;
  d: NatDecision;
}

/**
 * The decisions kube-proxy's nft rules give a new connection's first packet on this host (empty
 * when no Service matches). Each fork of `numgen random mod N` is one decision with probability 1/N.
 */
export function nftDecisions(f: NftHostFacts, p: NatPacket): NatDecision[] {
  const key = [p.dst, p.protocol.toLowerCase(), String(p.dport ?? '')];
  let hit = lookup(f, 'service-ips', key);
  if (!hit && p.dstLocal) hit = lookup(f, 'service-nodeports', key.slice(1));
  if (!hit) return [];
  const v = verdictOf(hit.verdict);
  if (!v.chain) return [];
  const out: St[] = [];
  const run = (chain: string, st: St, depth: number): void => {
    st.d.walk.push(chain);
    if (depth > MAX_DEPTH) return void out.push(st);
    for (const { rec, evidence } of f.chains.get(chain) ?? []) {
      const raw = rec.raw ?? '';
      if (rec.vmap && /numgen\s+random\s+mod\s+\d+/.test(rec.vmap.key)) {
        const els = rec.vmap.elements ?? [];
        const n = Number(/mod\s+(\d+)/.exec(rec.vmap.key)?.[1] ?? els.length) || els.length;
        for (const e of els) {
          const t = verdictOf(e.verdict);
          if (!t.chain) continue;
          const fork: St = { mark: st.mark, d: { ...st.d, walk: [...st.d.walk], probability: st.d.probability / n } };
          fork.d.pick = { chain, sep: t.chain, probability: 1 / n, rule: nftRule(f, chain, rec, evidence, t.chain) };
          run(t.chain, fork, depth + 1);
        }
        return;
      }
      if (!matches(raw, p)) continue;
      if (rec.nat?.type === 'dnat' && rec.nat.to) {
        const m = /^(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(rec.nat.to.trim());
        if (m) st.d.dnat = { ip: m[1], port: m[2] ? Number(m[2]) : undefined, rule: nftRule(f, chain, rec, evidence, 'DNAT') };
        return void out.push(st);
      }
      const target = rec.jump ?? rec.goto;
      if (target === 'mark-for-masquerade') {
        st.mark = true;
        st.d.markedBy ??= nftRule(f, chain, rec, evidence, 'KUBE-MARK-MASQ');
        st.d.walk.push(target);
        continue;
      }
      if (rec.goto) return run(rec.goto, st, depth + 1);
      if (rec.jump) {
        run(rec.jump, st, depth + 1);
        return;
      }
      if (rec.verdict === 'drop' || rec.verdict === 'reject' || rec.verdict === 'accept' || rec.verdict === 'return') return void out.push(st);
    }
    out.push(st);
  };
  run(v.chain, { mark: false, d: { walk: ['services'], probability: 1, source: 'nft' } }, 0);
  return out.map((st) => {
    if (!st.mark) return st.d;
    const masq = masqueradeRule(f);
    return masq ? { ...st.d, masquerade: masq, walk: [...st.d.walk, 'masquerading'] } : st.d;
  });
}

function masqueradeRule(f: NftHostFacts): NatRule | undefined {
  for (const [chain, rules] of f.chains) {
    for (const { rec, evidence } of rules) if (rec.nat?.type === 'masquerade' || rec.nat?.type === 'snat') return nftRule(f, chain, rec, evidence, rec.nat.type === 'snat' ? 'SNAT' : 'MASQUERADE');
  }
  return undefined;
}

/** kube-proxy's no-endpoints verdict for the packet: the map element and the rule that rejects (or drops) it. */
export function nftFilterVerdict(f: NftHostFacts, p: NatPacket): FilterVerdict | undefined {
  const key = [p.dst, p.protocol.toLowerCase(), String(p.dport ?? '')];
  let hit = lookup(f, 'no-endpoint-services', key);
  if (!hit && p.dstLocal) hit = lookup(f, 'no-endpoint-nodeports', key.slice(1));
  if (!hit) return undefined;
  const v = verdictOf(hit.verdict);
  const elementText = `${hit.element.key}${hit.element.comment ? ` comment "${hit.element.comment}"` : ''} : ${hit.verdict}`;
  if (v.kind === 'drop' || v.kind === 'reject') {
    const r = nftRule(f, hit.map.rec.name ?? '', hit.map.rec, { ...hit.map.evidence, text: elementText }, v.kind.toUpperCase());
    if (hit.element.comment) r.record.comment = `${hit.element.comment} has no endpoints`;
    return { target: v.kind === 'drop' ? 'DROP' : 'REJECT', rule: r };
  }
  for (const { rec, evidence } of (v.chain && f.chains.get(v.chain)) || []) {
    if (rec.verdict !== 'reject' && rec.verdict !== 'drop') continue;
    const r = nftRule(f, v.chain!, rec, evidence, rec.verdict === 'drop' ? 'DROP' : 'REJECT');
    r.record.comment = `${hit.element.comment ?? hit.element.key} has no endpoints (${hit.map.rec.name} line ${hit.map.evidence.line})`;
    return { target: rec.verdict === 'drop' ? 'DROP' : 'REJECT', rule: r };
  }
  return undefined;
}
