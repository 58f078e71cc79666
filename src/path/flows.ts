/**
 * Flows: packets grouped by conversation (5-tuple; ICMP echo id; ARP address pair), with the
 * initiator's side as `src`. Journeys: the same packet seen at several capture points, matched on
 * fields that survive the path (addresses, protocol, IP id, ports, ICMP id/seq, TCP seq/ack, a
 * payload hash), whatever the link types and file formats.
 *
 * Memory stays bounded: a flow keeps counts for all its packets but journeys only for its first
 * MAX_JOURNEYS packets per direction (the rest are counted, and say so).
 */
import type { Observation } from './types.js';

export const MAX_JOURNEYS = 2000;
/** Sightings of one packet further apart than this are different packets (retransmissions). */
const WINDOW_NS = 5e9;

export type Dir = 'fwd' | 'rev';

export interface Sighting {
  capture: number;
  /** Interface named by the packet itself (SLL2's ifindex in a `-i any` capture); else the capture's. */
  iface?: string;
  packet: number;
  t: number;
}

export interface Journey {
  dir: Dir;
  /** Request (expects a response), response, or neither. */
  role: 'request' | 'response' | 'other';
  /** Request/response pairing key (ICMP id/seq, TCP seq/ack, ARP addresses). */
  pair?: string;
  sightings: Sighting[];
  summary: string;
  wireLength: number;
  df?: boolean;
  fragment?: boolean;
  ipLength?: number;
  tunnel?: { type: string; vni?: number; port?: number };
  outer?: { src: string; dst: string; sport?: number; dport?: number };
}

export interface Flow {
  key: string;
  protocol: string;
  src: { ip: string; port?: number };
  dst: { ip: string; port?: number };
  packets: { fwd: number; rev: number };
  journeys: Journey[];
  /** Journeys not kept because of MAX_JOURNEYS. */
  dropped: number;
  /** Captures (by index) -> packets and time range of this flow there. */
  seen: Map<number, { packets: number; first: number; last: number; points: Set<string> }>;
  tunnel?: { type: string; vni?: number; port?: number };
  /** A loopback capture saw it (intra-namespace traffic). */
  loopback: boolean;
  first: number;
  last: number;
  /** Per packet identity -> journeys (only while building). */
  index: Map<string, Journey[]>;
  counts: { fwd: number; rev: number };
}

function endpointKey(ip: string, port?: number): string {
  return port === undefined ? ip : `${ip}:${port}`;
}

/** Conversation key, independent of direction. */
export function conversationKey(o: Observation): { key: string; a: string; b: string } {
  const i = o.inner;
  let a: string;
  let b: string;
  let proto = i.proto;
  if (i.proto === 'tcp' || i.proto === 'udp') {
    a = endpointKey(i.src, i.sport);
    b = endpointKey(i.dst, i.dport);
  } else {
    a = i.src;
    b = i.dst;
  }
  if ((i.proto === 'icmp' || i.proto === 'icmp6') && i.icmpId !== undefined && isEcho(i.proto, i.icmpType)) {
    proto = `${i.proto}-echo-${i.icmpId}`;
  }
  const [x, y] = a < b ? [a, b] : [b, a];
  return { key: `${proto}|${x}|${y}`, a, b };
}

export function isEcho(proto: string, type?: number): boolean {
  if (proto === 'icmp') return type === 8 || type === 0;
  if (proto === 'icmp6') return type === 128 || type === 129;
  return false;
}

function role(o: Observation): { role: Journey['role']; pair?: string } {
  const i = o.inner;
  if (i.proto === 'icmp' || i.proto === 'icmp6') {
    const req = i.proto === 'icmp' ? 8 : 128;
    const rep = i.proto === 'icmp' ? 0 : 129;
    if (i.icmpType === req) return { role: 'request', pair: `${i.icmpId}/${i.icmpSeq}` };
    if (i.icmpType === rep) return { role: 'response', pair: `${i.icmpId}/${i.icmpSeq}` };
    return { role: 'other' };
  }
  if (i.proto === 'arp') {
    if (i.arpOp === 1) return { role: 'request', pair: `${i.src}>${i.dst}` };
    if (i.arpOp === 2) return { role: 'response', pair: `${i.dst}>${i.src}` };
    return { role: 'other' };
  }
  if (i.proto === 'tcp' && i.tcpFlags !== undefined) {
    const f = i.tcpFlags;
    if (f.includes('S') && !f.includes('.')) return { role: 'request', pair: `${(i.tcpSeq ?? 0) + 1}` };
    if (f.includes('S') && f.includes('.')) return { role: 'response', pair: `${i.tcpAck}` };
  }
  return { role: 'other' };
}

function identity(o: Observation): string {
  const i = o.inner;
  return [
    i.src,
    i.dst,
    i.proto,
    i.ipId ?? '',
    i.sport ?? '',
    i.dport ?? '',
    i.icmpType ?? '',
    i.icmpId ?? '',
    i.icmpSeq ?? '',
    i.tcpSeq ?? '',
    i.tcpAck ?? '',
    i.tcpFlags ?? '',
    i.arpOp ?? '',
    o.payloadHash ?? '',
  ].join('|');
}

export class FlowTable {
  readonly flows = new Map<string, Flow>();

  add(o: Observation, iface: string | undefined, loopbackCapture: boolean): Flow {
    const { key, a, b } = conversationKey(o);
    let flow = this.flows.get(key);
    const r = role(o);
    if (!flow) {
      // The initiator: the sender of a request if this is a response seen first, else this sender.
      const swap = r.role === 'response';
      const i = o.inner;
      const s = { ip: i.src, port: i.sport };
      const d = { ip: i.dst, port: i.dport };
      flow = {
        key,
        protocol: protocolName(o),
        src: swap ? d : s,
        dst: swap ? s : d,
        packets: { fwd: 0, rev: 0 },
        journeys: [],
        dropped: 0,
        seen: new Map(),
        loopback: false,
        first: o.t,
        last: o.t,
        index: new Map(),
        counts: { fwd: 0, rev: 0 },
      };
      this.flows.set(key, flow);
    }
    if (loopbackCapture) flow.loopback = true;
    if (o.tunnel && !flow.tunnel) flow.tunnel = o.tunnel;
    flow.first = Math.min(flow.first, o.t);
    flow.last = Math.max(flow.last, o.t);
    const fromSrc = endpointKey(flow.src.ip, flow.src.port) === a && (a !== b || o.inner.src === flow.src.ip);
    const dir: Dir = fromSrc ? 'fwd' : 'rev';
    let seen = flow.seen.get(o.capture);
    if (!seen) {
      seen = { packets: 0, first: o.t, last: o.t, points: new Set() };
      flow.seen.set(o.capture, seen);
    }
    seen.packets++;
    seen.first = Math.min(seen.first, o.t);
    seen.last = Math.max(seen.last, o.t);
    if (iface !== undefined) seen.points.add(iface);

    // Join the journey of the same packet seen elsewhere, or start one.
    const id = identity(o);
    const candidates = flow.index.get(id);
    let j: Journey | undefined;
    if (candidates) {
      for (let k = candidates.length - 1; k >= 0; k--) {
        const c = candidates[k];
        const near = Math.abs(c.sightings[0].t - o.t) <= WINDOW_NS;
        if (near && !c.sightings.some((s) => s.capture === o.capture && s.iface === iface)) {
          j = c;
          break;
        }
      }
    }
    const sighting: Sighting = { capture: o.capture, iface, packet: o.packet, t: o.t };
    if (j) {
      j.sightings.push(sighting);
      if (o.tunnel && !j.tunnel) {
        j.tunnel = o.tunnel;
        j.outer = o.outer;
      }
      return flow;
    }
    flow.counts[dir]++;
    flow.packets[dir]++;
    if (flow.journeys.length >= MAX_JOURNEYS * 2) {
      flow.dropped++;
      return flow;
    }
    j = {
      dir,
      role: r.role,
      pair: r.pair,
      sightings: [sighting],
      summary: o.summary,
      wireLength: o.wireLength,
      df: o.inner.df,
      fragment: o.inner.fragment,
      ipLength: o.inner.ipLength,
      tunnel: o.tunnel,
      outer: o.outer,
    };
    flow.journeys.push(j);
    if (candidates) candidates.push(j);
    else flow.index.set(id, [j]);
    return flow;
  }

  /** Frees the per-packet identity index once every capture is read. */
  seal(): Flow[] {
    for (const f of this.flows.values()) f.index.clear();
    return [...this.flows.values()].sort((x, y) => x.first - y.first || (x.key < y.key ? -1 : 1));
  }
}

function protocolName(o: Observation): string {
  const p = o.inner.proto;
  if ((p === 'icmp' || p === 'icmp6') && isEcho(p, o.inner.icmpType)) return p;
  return p;
}
