/**
 * Per node, the NAT decision a packet gets, by walking kube-proxy's iptables chains as the kernel
 * would: nat PREROUTING (or OUTPUT) -> KUBE-SERVICES -> KUBE-SVC-* (statistic picks, each a branch)
 * -> KUBE-SEP-* DNAT; KUBE-SERVICES' last rule -> KUBE-NODEPORTS -> KUBE-EXT-*; KUBE-MARK-MASQ sets
 * the mark that nat POSTROUTING -> KUBE-POSTROUTING turns into MASQUERADE; and the filter rules
 * that REJECT or DROP it (kube-proxy's "has no endpoints"). Every decision names its rules (input
 * and line), so the report can say which rule did what.
 */
import type { IptablesSaveRecord, NftRecord } from '../dumps/nat-types.js';
import type { Evidence } from '../topology/model.js';
import { subnetContains } from '../topology/lookup.js';
import type { NatFacts, NatRule } from './services.js';
import { nftDecisions, nftFilterVerdict } from './decide-nft.js';
import { ipvsDecisions, ipvsFilterVerdict } from './decide-ipvs.js';

export interface NatPacket {
  protocol: string;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** The destination is an address of this node (addrtype LOCAL). */
  dstLocal: boolean;
}

/** One way the walk can end: a DNAT (or none), masquerade or not, and the chains passed. */
export interface NatDecision {
  dnat?: { ip: string; port?: number; rule: NatRule };
  /** The KUBE-SVC chain and the rule that jumped to the KUBE-SEP chain (with its probability). */
  pick?: { chain: string; sep: string; probability?: number; rule: NatRule };
  /** KUBE-MARK-MASQ was jumped to (by this rule). */
  markedBy?: NatRule;
  masquerade?: NatRule;
  /** Chains entered, in order. */
  walk: string[];
  /** Chance of this branch (statistic matches), 1 when no choice was made. */
  probability: number;
  /** Where the decision comes from when not iptables-save (kube-proxy's nft table, IPVS). */
  source?: 'nft' | 'ipvs';
}

export interface FilterVerdict {
  target: 'REJECT' | 'DROP';
  rule: NatRule;
}

const MAX_DEPTH = 16;

/** Matches a rule against the packet; the mark is the walk's current packet mark. */
export function ruleMatches(r: IptablesSaveRecord, p: NatPacket, mark: number): boolean {
  if (r.protocol && r.protocol !== 'all' && (r.protocol.toLowerCase() === p.protocol.toLowerCase()) === !!r.protocolNegated) return false;
  if (r.source && inCidr(p.src, r.source) === !!r.sourceNegated) return false;
  if (r.destination && inCidr(p.dst, r.destination) === !!r.destinationNegated) return false;
  if (r.dport !== undefined && portIn(p.dport, r.dport) === !!r.dportNegated) return false;
  if (r.sport !== undefined && portIn(p.sport, r.sport) === !!r.sportNegated) return false;
  if (r.addrtype?.dstType === 'LOCAL' && p.dstLocal === !!r.addrtype.dstNegated) return false;
  if (r.mark) {
    const [v, m] = r.mark.value.split('/').map((x) => Number(x));
    const mask = Number.isFinite(m) ? m : 0xffffffff;
    if (((mark & mask) === (v & mask)) === !!r.mark.negated) return false;
  }
  // A conntrack state match: a new connection is what is translated.
  if (r.ctstate && r.ctstate.length > 0 && r.ctstate.includes('NEW') === !!r.ctstateNegated) return false;
  return true;
}

function inCidr(ip: string, cidr: string): boolean {
  return cidr.includes('/') ? subnetContains(cidr, ip) : cidr === ip;
}

function portIn(port: number | undefined, spec: string): boolean {
  if (port === undefined) return false;
  return spec.split(',').some((part) => {
    const [a, b] = part.split(':').map(Number);
    return b === undefined || Number.isNaN(b) ? port === a : port >= a && port <= b;
  });
}

interface State {
  mark: number;
  d: NatDecision;
}

/**
 * Walks `table`'s chain `start` for the packet on `host`; every statistic rule forks the walk (it
 * may match or not). Returns the states the packet can leave with, their decisions.
 */
function walk(chains: Map<string, NatRule[]>, table: string, start: string, p: NatPacket, init: State): State[] {
  const run = (chain: string, st: State, depth: number): { st: State; done: boolean }[] => {
    const rules = chains.get(`${table}/${chain}`) ?? [];
    st.d.walk.push(chain);
    let live: { st: State; done: boolean }[] = [{ st, done: false }];
    for (const rule of rules) {
      const next: { st: State; done: boolean }[] = [];
      for (const cur of live) {
        if (cur.done || !ruleMatches(rule.record, p, cur.st.mark)) {
          next.push(cur);
          continue;
        }
        const r = rule.record;
        const prob = r.statistic?.mode === 'random' ? r.statistic.probability : undefined;
        let taken = cur.st;
        if (prob !== undefined) {
          // Fork: the rule does not match with 1 - p.
          next.push({ st: fork(cur.st, 1 - prob), done: false });
          taken = fork(cur.st, prob);
        }
        for (const out of apply(rule, taken, depth)) next.push(out);
      }
      live = next;
    }
    return live;
  };
  const apply = (rule: NatRule, st: State, depth: number): { st: State; done: boolean }[] => {
    const r = rule.record;
    const t = r.target;
    if (!t) return [{ st, done: false }];
    switch (t) {
      case 'ACCEPT':
      case 'DROP':
      case 'REJECT':
        return [{ st, done: true }];
      case 'RETURN':
        return [{ st, done: true, ret: true } as { st: State; done: boolean }];
      case 'MARK': {
        const x = r.setXmark ?? (typeof r.targetArgs?.['set-xmark'] === 'string' ? (r.targetArgs['set-xmark'] as string) : undefined);
        if (x) {
          const [v, m] = x.split('/').map(Number);
          const mask = Number.isFinite(m) ? m : 0xffffffff;
          st.mark = (st.mark & ~mask) ^ v;
        }
        return [{ st, done: false }];
      }
      case 'DNAT': {
        const to = r.toDestination ?? '';
        const [ip, port] = to.split(':');
        st.d.dnat = { ip, port: port ? Number(port) : undefined, rule };
        return [{ st, done: true }];
      }
      case 'MASQUERADE':
      case 'SNAT':
        st.d.masquerade = rule;
        return [{ st, done: true }];
      default: {
        if (depth >= MAX_DEPTH || !chains.has(`${rule.table}/${t}`)) return [{ st, done: false }];
        if (t === 'KUBE-MARK-MASQ') st.d.markedBy ??= rule;
        if (t.startsWith('KUBE-SEP-') && rule.chain.startsWith('KUBE-SVC-')) {
          st.d.pick = { chain: rule.chain, sep: t, probability: r.statistic?.probability, rule };
        }
        const outs = run(t, st, depth + 1);
        // Falling off a user chain, or RETURN, continues after the jump; a verdict ends the walk.
        return outs.map((o) => ((o as { ret?: boolean }).ret || !o.done ? { st: o.st, done: false } : o));
      }
    }
  };
  return run(start, init, 0).map((o) => o.st);
}

function fork(st: State, p: number): State {
  return { mark: st.mark, d: { ...st.d, walk: [...st.d.walk], probability: st.d.probability * p } };
}

/**
 * The NAT decisions a new connection's first packet can get on `host`, entering at PREROUTING (it
 * arrives from a pod or the network) or OUTPUT (the node sends it). Each decision that marked the
 * packet for masquerade is walked through nat POSTROUTING too.
 */
export function natDecisions(facts: NatFacts, host: string, p: NatPacket, entry: 'PREROUTING' | 'OUTPUT' = 'PREROUTING'): NatDecision[] {
  const chains = facts.chains.get(host);
  const nft = facts.nft?.get(host);
  const ipvs = facts.ipvs?.get(host);
  if (!chains) return nft ? nftDecisions(nft, p) : ipvs ? ipvsDecisions(ipvs, p) : [];
  const out: NatDecision[] = [];
  for (const st of walk(chains, 'nat', entry, p, { mark: 0, d: { walk: [], probability: 1 } })) {
    const after: NatPacket = st.d.dnat ? { ...p, dst: st.d.dnat.ip, dport: st.d.dnat.port ?? p.dport } : p;
    const post = walk(chains, 'nat', 'POSTROUTING', after, { mark: st.mark, d: { ...st.d, walk: [...st.d.walk] } });
    // POSTROUTING makes no choice: its first outcome is the decision.
    out.push(post[0]?.d ?? st.d);
  }
  // kube-proxy in nftables mode beside other iptables rules: its table decides.
  if (nft && !out.some((d) => d.dnat)) {
    const n = nftDecisions(nft, p);
    if (n.some((d) => d.dnat)) return n;
  }
  // IPVS mode: the virtual server translates; iptables only marks (and masquerades) when it says so.
  if (ipvs && !out.some((d) => d.dnat)) {
    const v = ipvsDecisions(ipvs, p, out.find((d) => d.markedBy && d.masquerade));
    if (v.length > 0) return v;
  }
  return out;
}

/** A filter REJECT/DROP rule the packet meets on `host` (kube-proxy's "has no endpoints"), if any. */
export function filterVerdict(facts: NatFacts, host: string, p: NatPacket): FilterVerdict | undefined {
  const chains = facts.chains.get(host);
  const nft = facts.nft?.get(host);
  const ipvs = facts.ipvs?.get(host);
  if (!chains) return nft ? nftFilterVerdict(nft, p) : ipvs ? ipvsFilterVerdict(ipvs, p) : undefined;
  for (const start of ['PREROUTING', 'FORWARD', 'INPUT', 'OUTPUT']) {
    if (!chains.has(`filter/${start}`)) continue;
    const found = findVerdict(chains, `filter/${start}`, p, 0);
    if (found) return found;
  }
  return (nft ? nftFilterVerdict(nft, p) : undefined) ?? (ipvs ? ipvsFilterVerdict(ipvs, p) : undefined);
}

function findVerdict(chains: Map<string, NatRule[]>, key: string, p: NatPacket, depth: number): FilterVerdict | undefined {
  for (const rule of chains.get(key) ?? []) {
    if (!ruleMatches(rule.record, p, 0)) continue;
    const t = rule.record.target;
    if (t === 'REJECT' || t === 'DROP') return { target: t, rule };
    if (t === 'ACCEPT') return undefined;
    if (t === 'RETURN') return undefined;
    if (t && depth < MAX_DEPTH && chains.has(`filter/${t}`)) {
      const v = findVerdict(chains, `filter/${t}`, p, depth + 1);
      if (v) return v;
    }
  }
  return undefined;
}

/** "KUBE-SEP-X, picked by KUBE-SVC-Y with probability 0.5, iptables-save line 41" */
export function decisionText(d: NatDecision): string {
  const parts: string[] = [];
  if (d.dnat) parts.push(d.dnat.rule.chain);
  if (d.pick) parts.push(`picked by ${d.pick.chain}${d.pick.probability !== undefined ? ` with probability ${round(d.pick.probability)}` : ' (its last rule)'}`);
  if (d.dnat) parts.push(`${base(d.dnat.rule.evidence.input)} line ${d.dnat.rule.evidence.line}`);
  if (d.dnat && d.source === 'ipvs' && d.pick?.probability !== undefined) parts[1] = `picked by IPVS virtual server ${d.pick.chain} with probability ${round(d.pick.probability)}`;
  return parts.join(', ');
}

function round(p: number): string {
  return String(Math.round(p * 1e4) / 1e4);
}

function base(input: string): string {
  const i = input.lastIndexOf('/');
  return i >= 0 ? input.slice(i + 1).replace(/\.txt$/, '') : input;
}

/**
 * The DROP or REJECT rule of filter `chain` on `host` the packet meets (following jumps; an ACCEPT
 * or RETURN first means none), only if its counter shows packets: a rule that never matched
 * anything did not drop these. Needs `iptables-save -c` (or `[pkts:bytes]` counters). `ifs` are
 * the interfaces the packet comes in on / goes out through, where known: a rule for another
 * interface (`-i lo -j ACCEPT`) is passed over; with none known, interface matches are ignored.
 */
export function countedDrop(facts: NatFacts, host: string, chain: string, p: NatPacket, ifs: { in?: string; out?: string } = {}): FilterVerdict | undefined {
  const chains = facts.chains.get(host);
  if (!chains || !chains.has(`filter/${chain}`)) return undefined;
  const v = findCounted(chains, `filter/${chain}`, p, ifs, 0);
  return v && (v.rule.record.packets ?? 0) > 0 ? v : undefined;
}

function ifMatches(spec: string | undefined, negated: boolean | undefined, name: string | undefined): boolean {
  if (spec === undefined || name === undefined) return true;
  const m = spec.endsWith('+') ? name.startsWith(spec.slice(0, -1)) : name === spec;
  return m !== !!negated;
}

function findCounted(chains: Map<string, NatRule[]>, key: string, p: NatPacket, ifs: { in?: string; out?: string }, depth: number): FilterVerdict | undefined {
  for (const rule of chains.get(key) ?? []) {
    const r = rule.record;
    if (!ifMatches(r.inInterface, r.inInterfaceNegated, ifs.in) || !ifMatches(r.outInterface, r.outInterfaceNegated, ifs.out)) continue;
    if (!ruleMatches(r, p, 0)) continue;
    const t = r.target;
    if (t === 'REJECT' || t === 'DROP') return { target: t, rule };
    if (t === 'ACCEPT' || t === 'RETURN') return undefined;
    if (t && depth < MAX_DEPTH && chains.has(`filter/${t}`)) {
      const v = findCounted(chains, `filter/${t}`, p, ifs, depth + 1);
      if (v) return v;
    }
  }
  return undefined;
}

/** A counted nft drop/reject: the rule, where it is, its counters. */
export interface NftDrop {
  table: string;
  chain: string;
  verdict: 'drop' | 'reject';
  record: NftRecord;
  evidence: Evidence;
}

/**
 * The drop or reject rule with a non-zero counter (`counter packets N bytes M`) that the packet
 * meets in an nft base chain of type filter on `hook` (input, output, forward) of `host`, following
 * jump/goto; an accept first ends that chain. The matcher knows the common statements (ip
 * saddr/daddr, ip protocol, meta l4proto, tcp/udp/th sport/dport, iifname/oifname, ct state);
 * a rule with any other statement is taken as not matching.
 */
export function countedNftDrop(facts: NatFacts, host: string, hook: string, p: NatPacket, ifs: { in?: string; out?: string } = {}): NftDrop | undefined {
  const all = facts.nftRules?.get(host);
  if (!all) return undefined;
  const rules = (table: string, family: string, chain: string) => all.filter((x) => x.record.kind === 'rule' && x.record.table === table && x.record.family === family && x.record.chain === chain);
  const fam = p.src.includes(':') ? 'ip6' : 'ip';
  const run = (table: string, family: string, chain: string, depth: number): NftDrop | 'accept' | undefined => {
    for (const x of rules(table, family, chain)) {
      if (!nftMatches(x.record.raw ?? '', p, ifs)) continue;
      const v = x.record.verdict;
      if (v === 'drop' || v === 'reject') return (x.record.packets ?? 0) > 0 ? { table, chain, verdict: v, record: x.record, evidence: x.evidence } : undefined;
      if (v === 'accept') return 'accept';
      if (v === 'return') return undefined;
      const next = x.record.jump ?? x.record.goto;
      if (next && depth < MAX_DEPTH) {
        const r = run(table, family, next, depth + 1);
        if (r) return r;
      }
    }
    return undefined;
  };
  for (const c of all) {
    const r = c.record;
    if (r.kind !== 'chain' || r.hook !== hook || (r.type ?? 'filter') !== 'filter' || !r.name) continue;
    if (r.family !== fam && r.family !== 'inet') continue;
    const v = run(r.table, r.family, r.name, 0);
    if (v && v !== 'accept') return v;
  }
  return undefined;
}

function nftMatches(raw: string, p: NatPacket, ifs: { in?: string; out?: string }): boolean {
  const t = raw.replace(/comment "[^"]*"/g, '').split(/\s+/).filter(Boolean);
  const proto = p.protocol.toLowerCase();
  let i = 0;
  const val = (): { neg: boolean; v: string } => {
    let neg = false;
    if (t[i] === '!=') {
      neg = true;
      i++;
    }
    return { neg, v: t[i++] ?? '' };
  };
  const test = (ok: boolean, neg: boolean) => ok !== neg;
  while (i < t.length) {
    const a = t[i++];
    const b = t[i];
    if ((a === 'ip' || a === 'ip6') && (b === 'saddr' || b === 'daddr')) {
      i++;
      const { neg, v } = val();
      if (!test(inCidr(b === 'saddr' ? p.src : p.dst, v), neg)) return false;
    } else if ((a === 'ip' && b === 'protocol') || (a === 'meta' && b === 'l4proto') || (a === 'ip6' && b === 'nexthdr')) {
      i++;
      const { neg, v } = val();
      if (!test(v === proto, neg)) return false;
    } else if ((a === 'tcp' || a === 'udp' || a === 'th') && (b === 'dport' || b === 'sport')) {
      i++;
      if (a !== 'th' && a !== proto) return false;
      const { neg, v } = val();
      const port = b === 'dport' ? p.dport : p.sport;
      if (!test(portIn(port, v.replace(/-/g, ':')), neg)) return false;
    } else if (a === 'iifname' || a === 'oifname') {
      const { neg, v } = val();
      const name = a === 'iifname' ? ifs.in : ifs.out;
      const spec = v.replace(/^"|"$/g, '');
      if (name !== undefined && !test(spec.endsWith('*') ? name.startsWith(spec.slice(0, -1)) : name === spec, neg)) return false;
    } else if (a === 'ct' && b === 'state') {
      i++;
      const { neg, v } = val();
      if (!test(v.split(',').includes('new'), neg)) return false;
    } else if (a === 'counter') {
      if (t[i] === 'packets') i += 4;
    } else if (['drop', 'accept', 'reject', 'return', 'continue'].includes(a)) {
      // verdicts: `reject with icmp type X` may follow.
      if (a === 'reject') i = t.length;
    } else if (a === 'jump' || a === 'goto') {
      i++;
    } else {
      return false;
    }
  }
  return true;
}
