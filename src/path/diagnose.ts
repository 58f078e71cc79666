/**
 * Findings with evidence, from flows, journeys and the topology. The codes are a contract
 * (docs/report-json.md): overlay-blocked, lost, mtu, no-route, unanswered, arp-unanswered,
 * vxlan-mismatch, capture-gap (plus the topology's own findings).
 */
import type { Evidence, Finding, Topology } from '../topology/model.js';
import { runningWindow, type CapturePointInfo, type FlowVerdict } from './correlate.js';

const w0 = (c: CapturePointInfo) => runningWindow(c) !== undefined;
import type { Flow, Journey } from './flows.js';
import type { Step } from './types.js';
import { captureOnlyOverlayLoss } from './capture-loss.js';
import { tunnelFit } from './fragments.js';
import { tunnelDisplay } from '../decode/tunnels.js';
import { staleArp, staleOnPath, staleRemotes, staleVtepFindings } from './stale-vtep.js';
import { countedDrop, countedNftDrop, type NatPacket } from '../nat/decide.js';
import { natFactsOf } from '../nat/services.js';
import type { FindingSubject } from '../topology/model.js';

/** At most this many packets are cited as evidence for one finding. */
const MAX_EVIDENCE = 6;

export interface DiagnosedFlow {
  flow: Flow;
  id: string;
  path: Step[];
  returnPath: Step[];
  verdict: FlowVerdict;
  label: string;
  /** Link-local, multicast or broadcast traffic: never route-checked, never a finding. */
  linkScoped?: boolean;
}

function packetEvidence(j: Journey, captures: CapturePointInfo[]): Evidence[] {
  return j.sightings.map((s) => ({ input: captures[s.capture].input, packet: s.packet, text: j.summary }));
}

export function diagnose(all: DiagnosedFlow[], topo: Topology, captures: CapturePointInfo[]): Finding[] {
  const findings: Finding[] = [];
  const flows = all.filter((f) => !f.linkScoped);
  // Remotes whose fdb VTEP is stale: their losses and unanswered ARP are that, not a firewall.
  const stale = staleRemotes(topo);

  // Lost packets: between two nodes' underlay inside a tunnel -> overlay-blocked; else lost.
  const groups = new Map<string, { from: Step; to: Step; overlay: boolean; frag: boolean; encap?: Step; port?: number; type?: string; vni?: number; flows: Set<string>; ids: Set<string>; ev: Evidence[]; count: number; missing: string; packet?: NatPacket }>();
  for (const df of flows) {
    for (const l of df.verdict.lost) {
      const from = l.path[l.v.lastSeen!];
      const to = l.path[l.v.missingAt!];
      const st = staleOnPath(stale, l.path.slice(0, l.v.missingAt! + 1));
      if (st) {
        st.flows.add(df.id);
        st.labels.add(df.label);
        st.packets++;
        const peer = st.remote.expected?.host;
        st.directions.add(
          l.journey.dir === 'rev'
            ? `replies from ${from.host} to ${peer ?? st.remote.subnet} (requests from ${peer ?? st.remote.subnet} arrive)`
            : `${from.host} -> ${st.remote.subnet}${peer ? ` on ${peer}` : ''}`,
        );
        if (to.host !== from.host) st.left = true;
        if (st.evidence.length < MAX_EVIDENCE) st.evidence.push(...packetEvidence(l.journey, captures).slice(0, MAX_EVIDENCE - st.evidence.length));
        continue;
      }
      const encap = l.path.find((s) => s.action === 'encap');
      // Inside the tunnel: from the encapsulation (or the sender's NIC) to the receiver's NIC or
      // its decapsulation.
      const overlay = !!encap && (from.action === 'encap' || from.action === 'underlay') && (to.action === 'underlay' || to.action === 'decap');
      const port = l.journey.tunnel?.port ?? encap?.tunnel?.port ?? NaN;
      // A tunnel packet that left as IP fragments and was lost past that point did not fit the
      // underlay: an MTU root cause, not a blocked port.
      const frag = overlay && l.journey.fragmented === true;
      const key = `${overlay}|${frag}|${from.host}|${from.interface}|${to.host}|${to.interface}`;
      const g = groups.get(key) ?? {
        from,
        to,
        overlay,
        frag,
        encap,
        port: Number.isNaN(port) ? undefined : port,
        type: l.journey.tunnel?.type ?? encap?.tunnel?.type,
        vni: l.journey.tunnel?.vni ?? encap?.tunnel?.vni,
        flows: new Set<string>(),
        ids: new Set<string>(),
        ev: [],
        count: 0,
        missing: captures[l.v.missingCapture!]?.input ?? '?',
        // The packet as the dropping host's filter sees it: the outer header inside the tunnel.
        packet: lostPacket(df.flow, l.journey, overlay),
      };
      g.count++;
      g.flows.add(df.label);
      g.ids.add(df.id);
      if (g.ev.length < MAX_EVIDENCE) g.ev.push(...packetEvidence(l.journey, captures).slice(0, MAX_EVIDENCE - g.ev.length));
      groups.set(key, g);
    }
  }
  for (const g of groups.values()) {
    const flowsText = [...g.flows].slice(0, 3).join(', ') + (g.flows.size > 3 ? `, +${g.flows.size - 3} more` : '');
    if (g.frag) {
      findings.push(fragmentLoss(g, topo, flowsText));
    } else if (g.overlay) {
      const fromAddr = underlayAddress(topo, g.from.host);
      const toAddr = underlayAddress(topo, g.to.host);
      const port = `UDP ${g.port ?? '?'}`;
      const from = `${g.from.host}${fromAddr ? ` (${fromAddr})` : ''}`;
      const to = `${g.to.host}${toAddr ? ` (${toAddr})` : ''}`;
      let what: string;
      let cause: string;
      if (g.from.host !== g.to.host) {
        what = `left ${from} on ${g.from.interface} and never arrived on ${to} ${g.to.interface}`;
        cause = `A firewall or cloud security group between the nodes likely drops ${port}: allow it between them.`;
      } else if (g.to.action === 'decap') {
        what = `arrived on ${to} ${g.from.interface} but never reached its ${g.to.interface}`;
        cause = `${g.to.host} itself drops them: a host firewall (iptables/nftables INPUT) on ${port}, or a VXLAN device listening on another port or VNI.`;
      } else {
        what = `were encapsulated by ${from} ${g.from.interface} but never left through ${g.to.interface}`;
        cause = `${g.from.host} itself drops them: a host firewall (iptables/nftables OUTPUT) on ${port}, or no route to the remote VTEP.`;
      }
      // The outer packet comes in on the receiver's NIC and goes out through the sender's.
      const nicIn = g.from.host === g.to.host ? g.from.interface : g.to.interface;
      const nicOut = g.from.interface;
      const rule = droppingRule(
        topo,
        g,
        g.from.host !== g.to.host ? [[g.to.host, 'INPUT', { in: nicIn }], [g.from.host, 'OUTPUT', { out: nicOut }]] : g.to.action === 'decap' ? [[g.to.host, 'INPUT', { in: nicIn }]] : [[g.from.host, 'OUTPUT', { out: g.to.interface }]],
      );
      if (rule) cause = `${ruleText(rule)} dropped them.`;
      const title = `${g.count} encapsulated packet(s) (${port}) ${what}, while its capture (${g.missing}) was running`;
      findings.push({
        severity: 'critical',
        code: 'overlay-blocked',
        message: `${title}. ${cause} Flows: ${flowsText}.`,
        evidence: [...g.ev, { input: g.missing, text: `no matching packet in ${g.missing}` }],
        subject: {
          title,
          from: place(g.from, fromAddr),
          to: place(g.to, toAddr),
          tunnel: { type: g.type, port: g.port, vni: g.vni },
          flows: [...g.ids],
          count: g.count,
          ...(rule ? { rule } : {}),
        },
      });
      if (rule) findings[findings.length - 1].evidence.unshift({ input: rule.input, line: rule.line, text: rule.text });
    } else {
      const title = `${g.count} packet(s) seen on ${g.from.host} ${g.from.interface ?? ''} never reached ${g.to.host} ${g.to.interface ?? ''}, whose capture (${g.missing}) was running`;
      const hosts = [...new Set([g.to.host, g.from.host])];
      const rule = droppingRule(topo, g, hosts.flatMap((h) => [[h, 'FORWARD', {}], [h, 'INPUT', {}], [h, 'OUTPUT', {}]] as [string, string, { in?: string; out?: string }][]));
      findings.push({
        severity: 'error',
        code: 'lost',
        message: `${title}.${rule ? ` ${ruleText(rule)} dropped them.` : ''} Flows: ${flowsText}.`,
        evidence: rule ? [{ input: rule.input, line: rule.line, text: rule.text }, ...g.ev] : g.ev,
        subject: { title, from: place(g.from), to: place(g.to), flows: [...g.ids], count: g.count, ...(rule ? { rule } : {}) },
      });
    }
  }

  for (const df of flows) {
    const f = df.flow;
    const v = df.verdict;
    // No route / drops on the computed path.
    // A drop the topology decides (no route, blackhole); an observed loss is reported above.
    const drop = v.lost.length === 0 ? df.path.find((s) => s.action === 'drop') : undefined;
    if (drop) {
      findings.push({
        severity: 'error',
        code: drop.cause === 'no-route' ? 'no-route' : 'drop',
        message: `${df.label}: ${drop.detail} (on ${drop.host})`,
        evidence: [...(drop.evidence ?? []), ...firstPackets(f, captures)],
        subject: { hosts: [drop.host], flows: [df.id] },
      });
    }
    const arpStale = v.verdict === 'unanswered' && f.protocol === 'arp' ? staleArp(stale, topo, f.src.ip, f.dst.ip) : undefined;
    if (arpStale) {
      arpStale.arpFlows.add(df.id);
      arpStale.arpLabels.add(df.label);
      arpStale.arpRequests += v.requests - v.answered;
      if (arpStale.evidence.length < MAX_EVIDENCE) arpStale.evidence.push(...firstPackets(f, captures).slice(0, 2));
    } else if (v.verdict === 'unanswered') {
      const arp = f.protocol === 'arp';
      findings.push({
        severity: arp ? 'warning' : 'error',
        code: arp ? 'arp-unanswered' : 'unanswered',
        message: arp
          ? `ARP: who-has ${f.dst.ip} tell ${f.src.ip} got no reply (${v.requests - v.answered} request(s)): ${f.dst.ip} is down, absent, or not on this segment`
          : `${df.label}: ${v.why}`,
        evidence: firstPackets(f, captures),
        subject: { flows: [df.id], count: v.requests - v.answered },
      });
    }
    // VNI or port on the wire disagreeing with the devices.
    for (const j of f.journeys) {
      if (!j.tunnel || !j.outer) continue;
      const sender = topo.hosts.find((h) => h.interfaces.some((i) => i.addresses.some((a) => a.address === j.outer!.src)));
      const ov = topo.overlay.find((o) => o.host === sender?.name && o.type === j.tunnel!.type);
      if (!ov) continue;
      const badVni = ov.vni !== undefined && j.tunnel.vni !== undefined && ov.vni !== j.tunnel.vni;
      const badPort = ov.port !== undefined && j.outer.dport !== undefined && ov.port !== j.outer.dport;
      if (badVni || badPort) {
        findings.push({
          severity: 'error',
          code: 'vxlan-mismatch',
          message: `${df.label}: on the wire ${j.tunnel.type.toUpperCase()} VNI ${j.tunnel.vni} port ${j.outer.dport}, but ${ov.host}'s ${ov.device} is VNI ${ov.vni ?? '?'} port ${ov.port ?? '?'}`,
          evidence: packetEvidence(j, captures).slice(0, MAX_EVIDENCE),
        });
        break;
      }
    }
    // Packets too big for the overlay: DF set and larger than the VXLAN device's MTU.
    const enc = df.path.find((s) => s.action === 'encap');
    if (enc) {
      const dev = topo.hosts.find((h) => h.name === enc.host)?.interfaces.find((i) => i.name === enc.interface);
      // GSO/GRO/TSO super-segments larger than the MTU are normal on Linux (veths, bridges, the
      // VXLAN device, even the NIC with TSO): only a big packet that was then lost is evidence.
      const lostJourneys = new Set(v.lost.map((l) => l.journey));
      const big = dev?.mtu !== undefined ? f.journeys.filter((j) => j.df && j.ipLength !== undefined && j.ipLength > dev.mtu! && lostJourneys.has(j)) : [];
      if (big.length > 0 && dev) {
        findings.push({
          severity: 'error',
          code: 'mtu',
          message: `${df.label}: ${big.length} packet(s) with Don't Fragment set are larger (${big[0].ipLength} bytes) than ${enc.host}'s ${dev.name} MTU ${dev.mtu}`,
          evidence: packetEvidence(big[0], captures).slice(0, MAX_EVIDENCE),
        });
      }
    }
    // ICMP fragmentation needed / packet too big.
    if (f.protocol === 'icmp' || f.protocol === 'icmp6') {
      const fn = f.journeys.find((j) => j.tooBig);
      if (fn) {
        findings.push({
          severity: 'error',
          code: 'mtu',
          message: `${f.src.ip} told ${f.dst.ip} that a packet was too big for the path: ${fn.summary}`,
          evidence: packetEvidence(fn, captures).slice(0, MAX_EVIDENCE),
        });
      }
    }
  }

  findings.push(...staleVtepFindings(stale, topo));

  // Captures on a flow's path that did not cover its time.
  const gaps = new Map<number, string[]>();
  for (const df of flows) {
    const onPath = captures
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => df.path.some((s) => s.host === c.host && (s.interface === c.interface || c.interface === 'any')));
    for (const { c, i } of onPath) {
      if (df.flow.seen.has(i)) continue;
      const w = runningWindow(c);
      if (!w || w.to < df.flow.first - 1e9 || w.from > df.flow.last + 1e9) {
        const list = gaps.get(i) ?? [];
        list.push(df.label);
        gaps.set(i, list);
      }
    }
  }
  for (const [i, labels] of gaps) {
    const c = captures[i];
    findings.push({
      severity: 'warning',
      code: 'capture-gap',
      message:
        c.packets === 0 && !w0(c)
          ? `${c.input} (${c.host ?? '?'} ${c.interface ?? '?'}) holds no packet: that point could not be checked for ${labels.length} flow(s) (${labels.slice(0, 3).join(', ')})`
          : `${c.input} (${c.host ?? '?'} ${c.interface ?? '?'}) did not run while ${labels.length} flow(s) passed (${labels.slice(0, 3).join(', ')}): that point could not be checked`,
      evidence: [{ input: c.input }],
    });
  }
  // Captures only (no path from the dumps): tunnel packets that left one node and never reached the other.
  if (!findings.some((f) => f.code === 'overlay-blocked')) findings.push(...captureOnlyOverlayLoss(all, topo, captures));
  return findings;
}

/** Captures that provably missed packets another capture of the same point saw. */
export function captureDropFindings(points: CapturePointInfo[]): Finding[] {
  const out: Finding[] = [];
  for (const c of points) {
    if (!c.missed) continue;
    out.push({
      severity: 'warning',
      code: 'capture-drops',
      message: `${c.input} (${c.host ?? '?'} ${c.interface ?? '?'}) missed ${c.missed} packet(s) that another capture of the same point saw: the capturing tool dropped them, so what it lacks is not taken as evidence of loss`,
      evidence: [{ input: c.input }, ...(c.missedExample ? [{ input: c.missedExample.input, packet: c.missedExample.packet, text: 'seen here, missing from ' + c.input }] : [])],
      subject: { hosts: c.host ? [c.host] : [], count: c.missed },
    });
  }
  return out;
}

/** Encapsulated packets that left a NIC as IP fragments and never arrived: `mtu`, critical. */
function fragmentLoss(
  g: { from: Step; to: Step; encap?: Step; type?: string; port?: number; vni?: number; ids: Set<string>; ev: Evidence[]; count: number; missing: string },
  topo: Topology,
  flowsText: string,
): Finding {
  const fromAddr = underlayAddress(topo, g.from.host);
  const toAddr = underlayAddress(topo, g.to.host);
  const sender = topo.hosts.find((h) => h.name === g.from.host);
  const dev = g.encap?.host === g.from.host ? g.encap.interface : topo.overlay.find((o) => o.host === g.from.host && o.type === g.type)?.device;
  const fit = tunnelFit(sender, dev, g.from.interface, g.type);
  const kind = tunnelDisplay(g.type);
  const where = g.from.host !== g.to.host ? `never arrived on ${g.to.host}${toAddr ? ` (${toAddr})` : ''} ${g.to.interface ?? ''}`.trimEnd() : `never reached ${g.to.interface ?? 'the next point'}`;
  const title = `${g.count} ${kind} packet(s) left ${g.from.host}${fromAddr ? ` (${fromAddr})` : ''} ${g.from.interface ?? ''} as IP fragments and ${where}: they do not fit the underlay MTU`;
  const sizes =
    fit.deviceMtu !== undefined && fit.nicMtu !== undefined
      ? `on ${g.from.host}, ${fit.device} MTU ${fit.deviceMtu} + ${fit.overhead}-byte ${kind} overhead = ${fit.outerMax} bytes > ${fit.nic} MTU ${fit.nicMtu}, so full-size pod packets are fragmented, and the fragments were lost between the nodes (the underlay or a middlebox drops IP fragments).`
      : `the encapsulated packets were larger than the underlay MTU (${kind} adds ${fit.overhead} bytes), so they were fragmented, and the fragments were lost between the nodes.`;
  const fix =
    fit.fits !== undefined && fit.device
      ? ` Set ${fit.device} MTU to ${fit.fits} (${fit.nic} MTU ${fit.nicMtu} - ${fit.overhead}) on every node, and the pods' MTU to match (CNI MTU setting).`
      : ` Lower the tunnel device's MTU by the ${fit.overhead}-byte overhead (and the pods' MTU to match).`;
  const evidence: Evidence[] = [...g.ev, { input: g.missing, text: `no fragment of them in ${g.missing}` }];
  const devIf = fit.device ? sender?.interfaces.find((i) => i.name === fit.device) : undefined;
  const nicIf = fit.nic ? sender?.interfaces.find((i) => i.name === fit.nic) : undefined;
  evidence.push(...(devIf?.evidence.slice(0, 1) ?? []), ...(nicIf?.evidence.slice(0, 1) ?? []));
  return {
    severity: 'critical',
    code: 'mtu',
    message: `${title}: ${sizes}${fix} Flows: ${flowsText}.`,
    evidence,
    subject: {
      title,
      hosts: [...new Set([g.from.host, g.to.host])],
      from: place(g.from, fromAddr),
      to: place(g.to, toAddr),
      tunnel: { type: g.type, port: g.port, vni: g.vni },
      flows: [...g.ids],
      count: g.count,
    },
  };
}

/** The packet a filter rule is matched against: the outer header of a tunnel packet inside the tunnel, else the flow's own. */
function lostPacket(f: Flow, j: Journey, overlay: boolean): NatPacket | undefined {
  if (overlay) {
    if (!j.outer) return undefined;
    return { protocol: 'udp', src: j.outer.src, dst: j.outer.dst, sport: j.outer.sport, dport: j.outer.dport, dstLocal: true };
  }
  const fwd = j.dir === 'fwd';
  const src = fwd ? f.src : f.dst;
  const dst = fwd ? f.dst : f.src;
  return { protocol: f.protocol, src: src.ip, dst: dst.ip, sport: src.port, dport: dst.port, dstLocal: false };
}

/** The first counted DROP/REJECT rule the group's packet meets in the given host/chain places. */
function droppingRule(topo: Topology, g: { packet?: NatPacket }, where: [string, string, { in?: string; out?: string }][]): FindingSubject['rule'] {
  const facts = natFactsOf(topo);
  if (!facts || !g.packet) return undefined;
  for (const [host, chain, ifs] of where) {
    // INPUT sees packets for this host; FORWARD and OUTPUT the others.
    const pkt = { ...g.packet, dstLocal: chain === 'INPUT' };
    const v = countedDrop(facts, host, chain, pkt, ifs);
    if (!v) {
      const n = countedNftDrop(facts, host, chain.toLowerCase(), pkt, ifs);
      if (!n) continue;
      return {
        host,
        table: `${n.record.family} ${n.table}`,
        chain: n.chain,
        target: n.verdict.toUpperCase(),
        input: n.evidence.input,
        line: n.evidence.line ?? n.record.line,
        text: n.record.raw ?? '',
        packets: n.record.packets ?? 0,
        ...(n.record.bytes !== undefined ? { bytes: n.record.bytes } : {}),
      };
    }
    const r = v.rule;
    return {
      host,
      table: r.table,
      chain: r.chain,
      target: v.target,
      input: r.evidence.input,
      line: r.evidence.line ?? r.record.line,
      text: `-A ${r.chain} ${r.record.raw ?? ''}`.trimEnd(),
      packets: r.record.packets ?? 0,
      ...(r.record.bytes !== undefined ? { bytes: r.record.bytes } : {}),
    };
  }
  return undefined;
}

function ruleText(r: NonNullable<FindingSubject['rule']>): string {
  return `${r.host}'s ${r.table} ${r.chain} rule \`${r.text}\` (${r.input} line ${r.line}; its counter: ${r.packets} packet(s)${r.bytes !== undefined ? `, ${r.bytes} bytes` : ''})`;
}

function place(s: Step, address?: string): { host: string; interface?: string; address?: string } {
  const p: { host: string; interface?: string; address?: string } = { host: s.host };
  if (s.interface !== undefined) p.interface = s.interface;
  if (address !== undefined) p.address = address;
  return p;
}

function firstPackets(f: Flow, captures: CapturePointInfo[]): Evidence[] {
  const ev: Evidence[] = [];
  for (const j of f.journeys) {
    for (const e of packetEvidence(j, captures)) {
      if (ev.length >= MAX_EVIDENCE) return ev;
      ev.push(e);
    }
  }
  return ev;
}

/** The underlay address of a node: the address of the NIC its default route uses, else of eth0. */
export function underlayAddress(topo: Topology, host: string): string | undefined {
  const h = topo.hosts.find((x) => x.name === host);
  if (!h) return undefined;
  const ov = topo.overlay.find((o) => o.host === host && o.local);
  if (ov?.local) return ov.local;
  const def = h.routes.find((r) => r.destination === '0.0.0.0/0' && r.interface);
  const nic = h.interfaces.find((i) => i.name === (def?.interface ?? 'eth0'));
  return nic?.addresses.find((a) => a.family === 'inet')?.address;
}
