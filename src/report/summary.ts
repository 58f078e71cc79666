/**
 * What every renderer says first, computed once from the report: the worst finding, what failed
 * and where (e.g. "UDP 8472 between A (10.32.11.62) and B (10.32.7.224) is dropped"), the likely
 * cause, and the links where packets vanished (for the red crosses of the diagrams). Plain
 * strings: each renderer escapes them for its own format.
 */
import type { Evidence, Finding, Host, Severity, TopoInterface, Topology } from '../topology/model.js';
import type { FlowReport, Report, Step } from '../path/types.js';

import { SEVERITIES, severityIndex } from '../severity.js';

/** The one order (src/severity.ts), as the renderers name it. */
export const SEVERITY_ORDER: readonly Severity[] = SEVERITIES;

export function severityRank(s: Severity): number {
  return severityIndex(s);
}

/** Findings sorted worst first (stable: equal severities keep the report's order). */
export function sortedFindings(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => severityRank(a.f.severity) - severityRank(b.f.severity) || a.i - b.i)
    .map((x) => x.f);
}

/** Packets vanished between two hosts (directed), from lost/overlay-blocked findings. */
export interface LostLink {
  from: string;
  to: string;
  fromAddress?: string;
  toAddress?: string;
  /** Set when the loss is inside a tunnel between two nodes (overlay-blocked). */
  overlay: boolean;
  port?: number;
  vni?: number;
  /**
   * Set when the finding places the loss inside one host (it names two points of the same
   * host, e.g. a node's NIC saw the packets and its VTEP did not: a filter rule of that node).
   */
  inside?: { host: string; fromInterface?: string; toInterface?: string };
  finding: Finding;
}

export interface Summary {
  /**
   * "ok" when there is no finding above info and no flow lost or unanswered; "incomplete" when
   * the evidence cannot say (no capture read, or nothing in them decoded).
   */
  status: 'ok' | 'problem' | 'empty' | 'incomplete';
  worst?: Finding;
  /** "2 findings: 1 critical, 1 warning" (or "no findings"). */
  counts: string;
  /** "1 critical finding": the count at the worst severity (empty when there is no finding). */
  lead: string;
  /** What failed and where, one sentence without a final period. */
  headline: string;
  /** The worst finding's own message: the likely cause. */
  cause?: string;
  /** "2 flows: 1 ok, 1 lost". */
  flows: string;
  lost: LostLink[];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The underlay address of a node: overlay local, underlay, default route NIC, eth0. */
export function nodeAddress(topo: Topology, host: string): string | undefined {
  const ov = topo.overlay.find((o) => o.host === host && o.local);
  if (ov?.local) return ov.local;
  const h = topo.hosts.find((x) => x.name === host);
  if (!h) return undefined;
  if (h.underlay?.address) return h.underlay.address;
  const nic = underlayInterface(h);
  return nic?.addresses.find((a) => a.family === 'inet')?.address ?? nic?.addresses[0]?.address;
}

/** The interface a node's tunnels leave from: underlay.interface, the default route's, eth0. */
export function underlayInterface(h: Host): TopoInterface | undefined {
  const byName = (n: string | undefined) => (n === undefined ? undefined : h.interfaces.find((i) => i.name === n));
  const def = h.routes.find((r) => (r.destination === '0.0.0.0/0' || r.destination === 'default') && r.interface);
  return (
    byName(h.underlay?.interface) ??
    byName(def?.interface) ??
    byName('eth0') ??
    h.interfaces.find((i) => i.kind === 'ethernet')
  );
}

/** The host an input was taken on: the inventory's host, else the capture binding's. */
export function hostOfInput(report: Report, input: string): string | undefined {
  return (
    report.inputs.find((i) => i.path === input)?.host ?? report.topology.captures.find((c) => c.input === input)?.host
  );
}

/** Hosts on the sending and on the missing side of a lost finding. */
function lostEnds(report: Report, f: Finding): { from?: string; to?: string } {
  const fromHosts = new Set<string>();
  const toHosts = new Set<string>();
  for (const e of f.evidence) {
    const h = hostOfInput(report, e.input);
    if (!h) continue;
    (e.packet !== undefined ? fromHosts : toHosts).add(h);
  }
  for (const h of fromHosts) toHosts.delete(h);
  // The finding names them too (its subject).
  // Between two nodes, the finding names both ends (its subject).
  const s = f.code === 'overlay-blocked' && f.subject?.from && f.subject.to && f.subject.from.host !== f.subject.to.host ? f.subject : undefined;
  const from = fromHosts.size === 1 ? [...fromHosts][0] : s?.from?.host;
  const to = toHosts.size === 1 ? [...toHosts][0] : s?.to?.host;
  return { from, to };
}

/** The directed host-to-host links where packets vanished, from lost and overlay-blocked findings. */
export function lostLinks(report: Report): LostLink[] {
  const out: LostLink[] = [];
  for (const f of report.findings) {
    if (f.code !== 'overlay-blocked' && f.code !== 'lost') continue;
    let { from, to } = lostEnds(report, f);
    const overlay = f.code === 'overlay-blocked';
    // Fall back to the lost flows' paths: the underlay hop between two hosts.
    let port: number | undefined;
    let vni: number | undefined;
    for (const fl of report.flows) {
      if (fl.verdict !== 'lost') continue;
      // The direction that was lost: the path (or return path) that ends in a drop.
      const hop = underlayHop([fl.path, fl.returnPath ?? []].find((p) => p.some((x) => x.action === 'drop')) ?? fl.path);
      if (!hop) continue;
      if ((from === undefined || from === hop.from.host) && (to === undefined || to === hop.to.host)) {
        from ??= hop.from.host;
        to ??= hop.to.host;
        port ??= fl.tunnel?.port;
        vni ??= fl.tunnel?.vni;
      }
    }
    if (from === undefined || to === undefined) continue;
    const ov = report.topology.overlay.find((o) => o.host === from);
    if (overlay) {
      port ??= f.subject?.tunnel?.port ?? ov?.port;
      vni ??= ov?.vni;
    }
    out.push({
      from,
      to,
      fromAddress: nodeAddress(report.topology, from) ?? (f.subject?.from?.host === from ? f.subject.from.address : undefined),
      toAddress: nodeAddress(report.topology, to) ?? (f.subject?.to?.host === to ? f.subject.to.address : undefined),
      overlay,
      port,
      vni,
      ...(f.subject?.from?.host !== undefined && f.subject.from.host === f.subject.to?.host
        ? { inside: { host: f.subject.from.host, fromInterface: f.subject.from.interface, toInterface: f.subject.to.interface } }
        : {}),
      finding: f,
    });
  }
  return out;
}

/** The first pair of consecutive underlay steps on two different hosts (the wire between nodes). */
export function underlayHop(path: Step[]): { from: Step; to: Step; index: number } | undefined {
  for (let i = 1; i < path.length; i++) {
    const a = path[i - 1];
    const b = path[i];
    if (a.action === 'underlay' && b.action === 'underlay' && a.host !== b.host) return { from: a, to: b, index: i };
  }
  return undefined;
}

function hostLabel(name: string, address?: string): string {
  return address && address !== name ? `${name} (${address})` : name;
}

function headlineOf(report: Report, worst: Finding, lost: LostLink[]): string {
  const link = lost.find((l) => l.finding === worst);
  const rule = worst.subject?.rule;
  if ((worst.code === 'overlay-blocked' || worst.code === 'lost') && rule) {
    const what = worst.code === 'overlay-blocked' ? `UDP ${worst.subject?.tunnel?.port ?? '?'}` : 'packets';
    return `${what} dropped by ${rule.host}'s ${rule.table} ${rule.chain} rule \`${rule.text}\` (${rule.input} line ${rule.line}, counter ${rule.packets} packet(s))`;
  }
  if (worst.code === 'overlay-blocked' && link) {
    return `UDP ${link.port ?? '?'} between ${hostLabel(link.from, link.fromAddress)} and ${hostLabel(link.to, link.toAddress)} is dropped`;
  }
  if (worst.code === 'lost' && link) {
    return `packets from ${link.from} never reached ${link.to}`;
  }
  // Everything else: the message's first sentence.
  const first = worst.subject?.title ?? worst.message;
  return first.endsWith('.') ? first.slice(0, -1) : first;
}

export function summarize(report: Report): Summary {
  const findings = sortedFindings(report.findings);
  const worst = findings.find((f) => f.severity !== 'info');
  const bySeverity = SEVERITY_ORDER.map((s) => ({ s, n: findings.filter((f) => f.severity === s).length })).filter(
    (x) => x.n > 0,
  );
  const counts = bySeverity.length
    ? `${plural(findings.length, 'finding')}: ${bySeverity.map((x) => `${x.n} ${x.s}`).join(', ')}`
    : 'no findings';
  const lead = worst ? `${findings.filter((f) => f.severity === worst.severity).length} ${worst.severity} finding${findings.filter((f) => f.severity === worst.severity).length === 1 ? '' : 's'}` : '';
  const verdicts = ['ok', 'lost', 'unanswered', 'partial', 'rejected'] as const;
  const vc = verdicts.map((v) => ({ v, n: report.flows.filter((f) => f.verdict === v).length })).filter((x) => x.n > 0);
  const flows = `${plural(report.flows.length, 'flow')}${vc.length ? ': ' + vc.map((x) => `${x.n} ${x.v}`).join(', ') : ''}`;
  const lost = lostLinks(report);
  const bad = report.flows.some((f) => f.verdict === 'lost' || f.verdict === 'unanswered');
  const gaps = report.gaps ?? [];
  const noCaptures = gaps.find((g) => g.code === 'no-captures');
  if (noCaptures && (!worst || severityRank(worst.severity) > severityRank('error'))) {
    const rest = new Set(gaps.filter((g) => g.code !== 'no-captures').map((g) => g.what)).size;
    return { status: 'incomplete', counts, lead, headline: `${noCaptures.what}${rest ? ` (and ${plural(rest, 'more gap')})` : ''}; the evidence gaps say which commands would answer it`, flows, lost };
  }
  const notDecoded = report.inputs.flatMap((i) => i.notDecoded ?? []);
  if (report.flows.length === 0 && notDecoded.length > 0 && (!worst || severityRank(worst.severity) > severityRank('error'))) {
    const byWhat = new Map<string, number>();
    for (const n of notDecoded) byWhat.set(n.what, (byWhat.get(n.what) ?? 0) + n.packets);
    const list = [...byWhat].sort((a, b) => b[1] - a[1]).map(([w, n]) => `${plural(n, 'packet')} of ${w}`);
    const head = list.slice(0, 3).join(', ') + (list.length > 3 ? `, +${list.length - 3} more` : '');
    return { status: 'incomplete', counts, lead, headline: `no flow: podpath does not decode what the captures hold (${head})`, flows, lost };
  }
  if (worst) {
    return { status: 'problem', worst, counts, lead, headline: headlineOf(report, worst, lost), cause: worst.message, flows, lost };
  }
  if (report.flows.length === 0 && report.inputs.length === 0) {
    return { status: 'empty', counts, lead, headline: 'nothing to analyze: no input was read', flows, lost };
  }
  const unchecked = gaps.filter((g) => g.code !== 'no-pods' && g.code !== 'not-decoded').length;
  return {
    status: bad ? 'problem' : 'ok',
    counts,
    lead,
    headline:
      (bad ? 'some flows were not answered, but no cause was found' : 'no problem found: every flow reached its destination') +
      (unchecked ? ` (${plural(unchecked, 'evidence gap')}: paths not fully checked)` : ''),
    flows,
    lost,
  };
}

/** An input's not-decoded counts, one phrase: "not decoded: 12 packets of linktype 239 NFLOG". */
export function notDecodedText(i: Report['inputs'][number]): string {
  const n = i.notDecoded ?? [];
  return n.length ? `not decoded: ${n.map((x) => `${plural(x.packets, 'packet')} of ${x.what}`).join(', ')}` : '';
}

/** The evidence gaps, for the renderers: where to run the command, and the flows it would judge. */
export function gapParts(g: NonNullable<Report['gaps']>[number]): { where: string; what: string; command: string; flows: string } {
  return { where: g.host ?? (g.code === 'no-pods' ? 'kubectl' : g.input ? '' : 'every node'), what: g.what, command: g.command, flows: g.flows?.length ? `flows ${g.flows.join(', ')}` : '' };
}

/** "file#12", "file:40", or "file". */
export function evidenceRef(e: Evidence): string {
  if (e.packet !== undefined) return `${e.input}#${e.packet}`;
  if (e.line !== undefined) return `${e.input}:${e.line}`;
  return e.input;
}

/** "pod2 (10.42.0.37)" / "10.42.0.37:80". */
export function endpointText(e: FlowReport['src']): string {
  const addr = e.port !== undefined ? (e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`) : e.ip;
  const name = e.pod ? (e.namespace ? `${e.namespace}/${e.pod}` : e.pod) : e.unnamedPod && e.host ? `a pod on ${e.host}` : e.host;
  return name ? `${name} (${addr})` : addr;
}

/** "1.23 ms" / "850 µs" / "2.1 s". */
export function formatUs(us: number | undefined): string {
  if (us === undefined || !Number.isFinite(us)) return '';
  const a = Math.abs(us);
  if (a >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
  if (a >= 1e3) return `${(us / 1e3).toFixed(2)} ms`;
  return `${Math.round(us)} µs`;
}

/** Latency cell of a flow: "RTT 1.20 ms" or the sum of its hop medians. */
export function latencyText(f: FlowReport): string {
  if (f.latency?.rttUs !== undefined) return `RTT ${formatUs(f.latency.rttUs)}`;
  const hops = f.latency?.hops ?? [];
  if (hops.length === 0) return '';
  return `${formatUs(hops.reduce((s, h) => s + h.medianUs, 0))} one-way`;
}

/** A step's sightings: the capture points (seenAt) at its host+interface, and packet evidence. */
export function stepSightings(f: FlowReport, step: Step): { inputs: string[]; packets: Evidence[] } {
  const inputs = f.seenAt
    .filter((s) => s.host === step.host && step.interface !== undefined && s.interface === step.interface)
    .map((s) => `${s.input} (${plural(s.packets, 'packet')})`);
  const packets = (step.evidence ?? []).filter((e) => e.packet !== undefined);
  return { inputs, packets };
}

/** Index of the step where a lost flow vanished (the first step it should have reached), if known. */
export function vanishedAt(f: FlowReport, lost: LostLink[]): number | undefined {
  if (f.verdict !== 'lost') return undefined;
  const hop = underlayHop(f.path);
  if (hop && lost.some((l) => l.from === hop.from.host && l.to === hop.to.host)) return hop.index;
  let last = -1;
  f.path.forEach((s, i) => {
    const seen = stepSightings(f, s);
    if (seen.inputs.length || seen.packets.length) last = i;
  });
  if (last >= 0 && last + 1 < f.path.length) return last + 1;
  return hop?.index;
}

/** The latency measured between step i-1 (or an earlier step) and step i, if any. */
export function stepLatency(f: FlowReport, i: number): number | undefined {
  const s = f.path[i];
  const h = f.latency?.hops.find(
    (h) => h.to.host === s.host && h.to.interface === s.interface && f.path.slice(0, i).some((p) => p.host === h.from.host && p.interface === h.from.interface),
  );
  return h?.medianUs;
}
