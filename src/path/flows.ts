/**
 * Flows: packets grouped by conversation (5-tuple; ICMP echo id; ARP address pair), with the
 * initiator's side as `src`. Journeys: the same packet seen at several capture points, matched on
 * fields that survive the path (addresses, protocol, IP id, ports, ICMP id/seq, TCP seq/ack, a
 * payload hash), whatever the link types and file formats.
 *
 * Memory stays bounded: a flow keeps counts for all its packets but journeys only for its first
 * MAX_JOURNEYS packets per direction (the rest are counted, and say so).
 */
import { NET_ARP, TCP_ACK, TCP_SYN, TUNNEL_NAMES, type NetHeader, type Packet } from '../decode/packet.js';
import { netProto, tcpFlagString } from '../decode/summary.js';
import { packetBody } from '../report/packet-line.js';
import { AddressBook } from './address-book.js';
import type { Observation } from './types.js';

export const MAX_JOURNEYS = 2000;
/**
 * Journeys kept over all flows. Past it, a flow keeps only its first MIN_JOURNEYS (the rest are
 * counted as dropped, as past MAX_JOURNEYS): memory stays bounded by the number of flows, not of
 * packets, whatever the capture size (docs/performance.md).
 */
export const MAX_KEPT_JOURNEYS = 50_000;
export const MIN_JOURNEYS = 8;
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
  /** ICMP fragmentation needed (type 3 code 4) or ICMPv6 packet too big (type 2). */
  tooBig?: boolean;
  tunnel?: { type: string; vni?: number; port?: number };
  outer?: { src: string; dst: string; sport?: number; dport?: number };
  /**
   * At some capture point the packet was carried as IP fragments: a sighting was the first
   * fragment of an enclosing (outer) header, e.g. a VXLAN datagram fragmented on the NIC.
   */
  fragmented?: boolean;
  /** Later fragments (offset > 0, no transport header) joined to this packet, over all points. */
  fragments?: number;
  /** The packet identity (only while building: FlowTable.seal() drops it). */
  identity?: string;
  /** Hash of the identity without the payload hash (only while building). */
  partial?: number;
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
  /** Hash of a packet identity -> the journey, or journeys oldest first, with that hash (only while building). */
  index: Map<number, Journey | Bucket>;
  /**
   * Journeys by identity hash without the payload (only while building, and only for flows that
   * met a fragment): the first fragment of a packet carries part of its payload only.
   */
  partials?: Map<number, Journey[]>;
  counts: { fwd: number; rev: number };
  /**
   * A packet of this flow is not ICMPv6 link control (neighbour discovery 133-137, MLD 130-132
   * and 143): a flow of only those stays on its link whatever its addresses (src/trace/trace.ts).
   */
  notLinkControl?: boolean;
}

/** ICMPv6 types that never leave their link: MLD (130-132, 143) and ND (133 RS, 134 RA, 135 NS, 136 NA, 137 redirect). */
export function isLinkControlIcmp6(type: number): boolean {
  return (type >= 130 && type <= 137) || type === 143;
}

function addPartial(m: Map<number, Journey[]>, j: Journey): void {
  const list = m.get(j.partial!);
  if (list === undefined) m.set(j.partial!, [j]);
  else list.push(j);
}

/**
 * The latest journey whose identity equals `identity` but for the payload hash, near in time, not
 * yet seen at this point. A whole packet (`cut` false) matches only journeys seen as fragments:
 * two whole packets differing in payload stay two.
 */
function partialMatch(m: Map<number, Journey[]>, partial: number, identity: string, cut: boolean, capture: number, iface: string | undefined, t: number): Journey | undefined {
  const list = m.get(partial);
  if (list === undefined) return undefined;
  const prefix = identity.slice(0, identity.lastIndexOf('|') + 1);
  next: for (let k = list.length - 1; k >= 0; k--) {
    const c = list[k];
    if (!cut && !c.fragmented) continue;
    if (c.identity === undefined || !c.identity.startsWith(prefix)) continue;
    if (Math.abs(c.sightings[0].t - t) > WINDOW_NS) continue;
    for (const s of c.sightings) if (s.capture === capture && s.iface === iface) continue next;
    return c;
  }
  return undefined;
}

function endpointKey(ip: string, port?: number): string {
  return port === undefined ? ip : `${ip}:${port}`;
}

/** Whether a packet (identity, capture point, time) is another sighting of journey `c`. */
function matches(c: Journey, identity: string, capture: number, iface: string | undefined, t: number): boolean {
  if (c.identity !== identity) return false;
  if (Math.abs(c.sightings[0].t - t) > WINDOW_NS) return false;
  for (const s of c.sightings) if (s.capture === capture && s.iface === iface) return false;
  return true;
}

/**
 * Journeys sharing an identity hash, oldest first. Repeated identical packets (ARP, NDP, mDNS
 * retransmissions) make long lists; a journey already seen at a capture point never matches
 * another packet there, so the list remembers how many of its first journeys are so for the
 * point being read (`done`) and does not scan them again.
 */
export class Bucket {
  readonly js: Journey[];
  private capture: number;
  private iface: string | undefined;
  private done = 0;

  constructor(a: Journey, b: Journey, capture: number, iface: string | undefined) {
    this.js = [a, b];
    this.capture = capture;
    this.iface = iface;
  }

  /** The latest journey the packet is another sighting of (as the plain backwards scan finds it). */
  find(identity: string, capture: number, iface: string | undefined, t: number): Journey | undefined {
    const js = this.js;
    if (capture !== this.capture || iface !== this.iface) {
      this.capture = capture;
      this.iface = iface;
      this.done = 0;
    }
    // Lowest index rejected for a reason that may not hold for the next packet.
    let temporary = js.length;
    for (let k = js.length - 1; k >= this.done; k--) {
      const c = js[k];
      let here = false;
      for (const s of c.sightings) {
        if (s.capture === capture && s.iface === iface) {
          here = true;
          break;
        }
      }
      if (here) continue;
      if (c.identity === identity && Math.abs(c.sightings[0].t - t) <= WINDOW_NS) return c;
      temporary = k;
    }
    this.done = temporary;
    return undefined;
  }

  /** Appends a journey first seen at (capture, iface). */
  push(j: Journey, capture: number, iface: string | undefined): void {
    if (capture === this.capture && iface === this.iface && this.done === this.js.length) this.done++;
    this.js.push(j);
  }
}

// Protocol codes of the hot path: the IP protocol number, or these for ARP/RARP.
const PROTO_ARP = 256;
const PROTO_RARP = 257;
const PROTO_NONE = 258;

const ROLE_OTHER = 0;
const ROLE_REQUEST = 1;
const ROLE_RESPONSE = 2;
const ROLE_NAMES: readonly Journey['role'][] = ['other', 'request', 'response'];

/** The lookup part of a flow: the conversation as numbers (address ids, ports, protocol). */
class Slot {
  next: Slot | undefined = undefined;
  /** Capture of the last packet and its `seen` entry (packets come in capture runs). */
  seenCapture = -1;
  seenEntry: { packets: number; first: number; last: number; points: Set<string> } | undefined = undefined;
  /**
   * Captures are read one after the other: for the capture being read (packets without an
   * interface of their own), how many of the flow's journeys have no sighting there yet. At 0 no
   * journey can be joined, and the identity lookup is skipped (the common case of one capture).
   */
  hereCapture = -1;
  unseenHere = 0;
  /** The count cannot be trusted (captures not in order, or another slot shares the flow). */
  noSkip = false;
  constructor(
    readonly flow: Flow,
    readonly proto: number,
    readonly echo: number,
    readonly loId: number,
    readonly loPort: number,
    readonly hiId: number,
    readonly hiPort: number,
    /** The flow's `src` endpoint (initiator side). */
    readonly srcId: number,
    readonly srcPort: number,
  ) {}
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return h ^ (h >>> 16);
}

/**
 * The fields of the packet being added, as numbers (-1: absent), read once from the Packet. These
 * are exactly the Observation's fields that grouping and matching use (see test/fuzz/observe-ref.ts).
 */
class Fields {
  proto = 0;
  srcId = 0;
  dstId = 0;
  /** Ports (TCP/UDP only set them; -1 absent). */
  sport = -1;
  dport = -1;
  ipId = -1;
  icmpType = -1;
  icmpCode = -1;
  icmpId = -1;
  icmpSeq = -1;
  tcpFlags = -1;
  tcpSeq = -1;
  tcpAck = -1;
  arpOp = -1;
  payloadHash = 0;

  read(p: Packet, n: NetHeader, srcId: number, dstId: number): void {
    this.srcId = srcId;
    this.dstId = dstId;
    this.payloadHash = p.payloadHash;
    this.sport = -1;
    this.dport = -1;
    this.ipId = -1;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.icmpId = -1;
    this.icmpSeq = -1;
    this.tcpFlags = -1;
    this.tcpSeq = -1;
    this.tcpAck = -1;
    this.arpOp = -1;
    if (n.kind === NET_ARP) {
      this.proto = n.proto === 0x8035 ? PROTO_RARP : PROTO_ARP;
      if (n.arpOp >= 0) this.arpOp = n.arpOp;
      return;
    }
    // IP protocol numbers are 0-255; -1 (none read) gets a code of its own.
    this.proto = n.proto >= 0 ? n.proto : PROTO_NONE;
    if (n.ipId >= 0) this.ipId = n.ipId;
    if (n.sport >= 0) this.sport = n.sport;
    if (n.dport >= 0) this.dport = n.dport;
    if (n.icmpType >= 0) {
      this.icmpType = n.icmpType;
      this.icmpCode = n.icmpCode;
      if (n.icmpId >= 0) this.icmpId = n.icmpId;
      if (n.icmpSeq >= 0) this.icmpSeq = n.icmpSeq;
    }
    if (n.tcpHeader) {
      this.tcpFlags = n.tcpFlags;
      this.tcpSeq = n.seq;
      if (n.tcpFlags & TCP_ACK) this.tcpAck = n.ack;
    }
  }

  /** ICMP/ICMPv6 echo id when the packet is an echo request/reply (its flow is per id), else -1. */
  echo(): number {
    if (this.icmpId < 0) return -1;
    if (this.proto === 1) return this.icmpType === 8 || this.icmpType === 0 ? this.icmpId : -1;
    if (this.proto === 58) return this.icmpType === 128 || this.icmpType === 129 ? this.icmpId : -1;
    return -1;
  }

  role(): number {
    if (this.proto === 1 || this.proto === 58) {
      const v4 = this.proto === 1;
      if (this.icmpType === (v4 ? 8 : 128)) return ROLE_REQUEST;
      if (this.icmpType === (v4 ? 0 : 129)) return ROLE_RESPONSE;
      return ROLE_OTHER;
    }
    if (this.proto === PROTO_ARP) {
      if (this.arpOp === 1) return ROLE_REQUEST;
      if (this.arpOp === 2) return ROLE_RESPONSE;
      return ROLE_OTHER;
    }
    if (this.proto === 6 && this.tcpFlags >= 0 && this.tcpFlags & TCP_SYN) {
      return this.tcpFlags & TCP_ACK ? ROLE_RESPONSE : ROLE_REQUEST;
    }
    return ROLE_OTHER;
  }

  /** The request/response pairing key of role() (as text). */
  pair(role: number, book: AddressBook): string | undefined {
    if (role === ROLE_OTHER) return undefined;
    if (this.proto === 1 || this.proto === 58) return `${opt(this.icmpId)}/${opt(this.icmpSeq)}`;
    if (this.proto === PROTO_ARP) {
      const src = book.text[this.srcId];
      const dst = book.text[this.dstId];
      return role === ROLE_REQUEST ? `${src}>${dst}` : `${dst}>${src}`;
    }
    return role === ROLE_REQUEST ? `${this.tcpSeq + 1}` : `${opt(this.tcpAck)}`;
  }

  identityHash(): number {
    return mix(this.partialHash(), this.payloadHash);
  }

  /** identityHash() without the payload hash. */
  partialHash(): number {
    let h = mix(0x3c6ef372, this.srcId);
    h = mix(h, this.dstId);
    h = mix(h, this.proto);
    h = mix(h, this.ipId);
    h = mix(h, this.sport);
    h = mix(h, this.dport);
    h = mix(h, this.icmpType);
    h = mix(h, this.icmpId);
    h = mix(h, this.icmpSeq);
    h = mix(h, this.tcpSeq);
    h = mix(h, this.tcpAck);
    h = mix(h, this.tcpFlags);
    return mix(h, this.arpOp);
  }

  /** The identity as text: equal texts, same packet (as seen at another capture point). */
  identity(book: AddressBook, proto: string): string {
    return (
      book.text[this.srcId] + '|' + book.text[this.dstId] + '|' + proto + '|' + blank(this.ipId) + '|' + blank(this.sport) + '|' +
      blank(this.dport) + '|' + blank(this.icmpType) + '|' + blank(this.icmpId) + '|' + blank(this.icmpSeq) + '|' +
      blank(this.tcpSeq) + '|' + blank(this.tcpAck) + '|' + (this.tcpFlags >= 0 ? tcpFlagString(this.tcpFlags) : '') + '|' +
      blank(this.arpOp) + '|' + this.payloadHash
    );
  }
}

/**
 * A string built by concatenation is a tree of pieces (a V8 cons string) until something flattens
 * it; one kept for long is flattened now (converting it to a number does), or its pieces stay.
 */
let flatSink = 0;
function flat(s: string): string {
  flatSink ^= (s as unknown as number) | 0;
  return s;
}

function blank(v: number): string {
  return v >= 0 ? '' + v : '';
}
function opt(v: number): string {
  return v >= 0 ? '' + v : 'undefined';
}

/** Where the first fragment of an IP packet went: its later fragments join that journey. */
interface FragmentEntry {
  flow: Flow;
  journey: Journey;
  t: number;
}
/** First fragments remembered at most (then the oldest half is forgotten). */
const MAX_FRAGMENT_ENTRIES = 65_536;

export class FlowTable {
  readonly flows = new Map<string, Flow>();
  /** Address ids and texts (shared with the analyzer's capture facts). */
  readonly book = new AddressBook();
  /** Journeys kept so far, over all flows. */
  kept = 0;
  private readonly slots = new Map<number, Slot>();
  private readonly f = new Fields();
  private readonly protoNames: string[] = [];
  // Tunnel and outer-header objects are shared by every journey with the same values (never mutated).
  private readonly tunnelObjects = new Map<number, NonNullable<Journey['tunnel']>>();
  private readonly outerObjects = new Map<number, Map<number, NonNullable<Observation['outer']>>>();
  /** First fragments by (source id, destination id) then (IP id, protocol). */
  private readonly firstFragments = new Map<number, Map<number, FragmentEntry>>();
  private fragmentEntries = 0;

  private protoName(code: number, n: NetHeader): string {
    return (this.protoNames[code] ??= netProto(n));
  }

  /**
   * Adds one decoded packet (its innermost network header is `p.inner`, which must exist) seen
   * at capture `capture` at time `t`. Same grouping and matching as adding observe(p)'s
   * Observation used to be; strings are built only for a new flow or a journey kept as evidence.
   * `srcId`/`dstId`: the inner addresses' ids in `book`, when the caller has them already.
   */
  addPacket(
    p: Packet,
    capture: number,
    t: number,
    iface: string | undefined,
    loopbackCapture: boolean,
    srcId = this.book.id(p.inner!, true),
    dstId = this.book.id(p.inner!, false),
  ): Flow {
    const n = p.inner!;
    // A later IP fragment carries no transport header: it belongs to its first fragment's journey.
    if (n.fragOffset > 0 && n.ipId >= 0 && n.kind !== NET_ARP && this.fragmentEntries > 0) {
      const joined = this.joinLaterFragment(n.ipId, n.proto, srcId, dstId, capture, t, iface);
      if (joined !== undefined) return joined;
    }
    const f = this.f;
    const book = this.book;
    f.read(p, n, srcId, dstId);
    // The first fragment of an enclosing header (a fragmented VXLAN datagram): the inner packet
    // is cut at the fragment's end, so its payload hash is not the whole packet's.
    const cutAt = p.netCount > 1 ? p.firstFragmentNet() : -1;
    const firstFragment = cutAt >= 0 ? cutAt : n.kind !== NET_ARP && n.moreFragments && n.fragOffset === 0 && n.ipId >= 0 ? p.netCount - 1 : -1;
    const echo = f.echo();
    // TCP/UDP endpoints have ports; others are addresses only.
    const ports = n.kind !== NET_ARP && (f.proto === 6 || f.proto === 17);
    const sp = ports ? f.sport : -1;
    const dp = ports ? f.dport : -1;
    const srcFirst = f.srcId < f.dstId || (f.srcId === f.dstId && sp <= dp);
    const loId = srcFirst ? f.srcId : f.dstId;
    const loPort = srcFirst ? sp : dp;
    const hiId = srcFirst ? f.dstId : f.srcId;
    const hiPort = srcFirst ? dp : sp;
    let h = mix(f.proto, echo);
    h = mix(h, loId);
    h = mix(h, loPort);
    h = mix(h, hiId);
    h = mix(mix(h, hiPort), 0x7f4a7c15);
    const head = this.slots.get(h);
    let slot = head;
    while (
      slot !== undefined &&
      !(slot.proto === f.proto && slot.echo === echo && slot.loId === loId && slot.loPort === loPort && slot.hiId === hiId && slot.hiPort === hiPort)
    ) {
      slot = slot.next;
    }
    const role = f.role();
    if (slot === undefined) {
      slot = this.newFlow(n, t, echo, sp, dp, role, loId, loPort, hiId, hiPort);
      slot.next = head;
      this.slots.set(h, slot);
    }
    const flow = slot.flow;
    if (loopbackCapture) flow.loopback = true;
    let tunnel: Journey['tunnel'];
    let outer: Journey['outer'];
    if (p.tunnelCount > 0 && !flow.tunnel) {
      tunnel = this.tunnelOf(p);
      outer = this.outerOf(p);
      flow.tunnel = tunnel;
    }
    if (t < flow.first) flow.first = t;
    if (t > flow.last) flow.last = t;
    const dir: Dir = f.srcId === slot.srcId && sp === slot.srcPort ? 'fwd' : 'rev';
    let seen = slot.seenCapture === capture ? slot.seenEntry : flow.seen.get(capture);
    if (!seen) {
      seen = { packets: 0, first: t, last: t, points: new Set() };
      flow.seen.set(capture, seen);
    }
    slot.seenCapture = capture;
    slot.seenEntry = seen;
    seen.packets++;
    if (t < seen.first) seen.first = t;
    if (t > seen.last) seen.last = t;
    if (iface !== undefined) seen.points.add(iface);

    // Join the journey of the same packet seen elsewhere, or start one.
    let mayJoin = true;
    const counted = iface === undefined && !slot.noSkip;
    if (counted) {
      if (capture !== slot.hereCapture) {
        if (capture > slot.hereCapture) {
          slot.hereCapture = capture;
          slot.unseenHere = flow.journeys.length;
        } else slot.noSkip = true;
      }
      mayJoin = slot.noSkip || slot.unseenHere > 0;
    }
    let idHash = 0;
    let partial = 0;
    let entry: Journey | Bucket | undefined;
    if (mayJoin) {
      partial = f.partialHash();
      idHash = mix(partial, f.payloadHash);
      entry = flow.index.get(idHash);
    }
    let identity: string | undefined;
    let bucket: Bucket | undefined;
    // The latest journey with this identity, near in time, not yet seen at this point.
    let c: Journey | undefined;
    if (entry !== undefined) {
      identity = f.identity(book, this.protoName(f.proto, n));
      if (entry instanceof Bucket) {
        bucket = entry;
        c = bucket.find(identity, capture, iface, t);
      } else if (matches(entry, identity, capture, iface, t)) {
        c = entry;
      }
    }
    // Fragments: the same packet whole at one point and cut at another.
    if (cutAt >= 0 && flow.partials === undefined) this.indexPartials(flow);
    if (c === undefined && mayJoin && flow.partials !== undefined) {
      identity ??= f.identity(book, this.protoName(f.proto, n));
      c = partialMatch(flow.partials, partial, identity, cutAt >= 0, capture, iface, t);
    }
    if (c !== undefined) {
      c.sightings.push({ capture, iface, packet: p.index, t });
      if (counted && !slot.noSkip) slot.unseenHere--;
      if (p.tunnelCount > 0 && !c.tunnel) {
        c.tunnel = tunnel ?? this.tunnelOf(p);
        c.outer = tunnel ? outer : this.outerOf(p);
      }
      if (cutAt >= 0) c.fragmented = true;
      if (firstFragment >= 0) this.rememberFirstFragment(p, firstFragment, srcId, dstId, flow, c, t);
      return flow;
    }
    if (f.proto !== 58 || !isLinkControlIcmp6(f.icmpType)) flow.notLinkControl = true;
    if (dir === 'fwd') {
      flow.counts.fwd++;
      flow.packets.fwd++;
    } else {
      flow.counts.rev++;
      flow.packets.rev++;
    }
    const have = flow.journeys.length;
    if (have >= MAX_JOURNEYS * 2 || (this.kept >= MAX_KEPT_JOURNEYS && have >= MIN_JOURNEYS)) {
      flow.dropped++;
      return flow;
    }
    if (p.tunnelCount > 0 && tunnel === undefined) {
      tunnel = this.tunnelOf(p);
      outer = this.outerOf(p);
    } else if (tunnel === undefined) {
      outer = this.outerOf(p);
    }
    const j: Journey = {
      dir,
      role: ROLE_NAMES[role],
      pair: f.pair(role, book),
      sightings: [{ capture, iface, packet: p.index, t }],
      summary: flat(packetBody(p)),
      wireLength: p.wireLength,
      df: n.kind !== NET_ARP && n.dontFragment ? true : undefined,
      fragment: n.kind !== NET_ARP && (n.moreFragments || n.fragOffset > 0) ? true : undefined,
      ipLength: n.kind !== NET_ARP && n.length > 0 ? n.length : undefined,
      tooBig: (f.proto === 1 && f.icmpType === 3 && f.icmpCode === 4) || (f.proto === 58 && f.icmpType === 2) ? true : undefined,
      tunnel,
      outer,
      fragmented: cutAt >= 0 ? true : undefined,
      fragments: undefined,
      identity: flat(identity ?? f.identity(book, this.protoName(f.proto, n))),
      partial: 0,
    };
    if (!mayJoin) {
      partial = f.partialHash();
      idHash = mix(partial, f.payloadHash);
      entry = flow.index.get(idHash);
      if (entry instanceof Bucket) bucket = entry;
    }
    j.partial = partial;
    if (flow.partials !== undefined) addPartial(flow.partials, j);
    if (firstFragment >= 0) this.rememberFirstFragment(p, firstFragment, srcId, dstId, flow, j, t);
    this.kept++;
    flow.journeys.push(j);
    if (bucket !== undefined) bucket.push(j, capture, iface);
    else if (entry !== undefined) flow.index.set(idHash, new Bucket(entry as Journey, j, capture, iface));
    else flow.index.set(idHash, j);
    return flow;
  }

  /** Builds a flow's payload-less index (when it first meets a fragment). */
  private indexPartials(flow: Flow): void {
    const m = new Map<number, Journey[]>();
    for (const j of flow.journeys) addPartial(m, j);
    flow.partials = m;
  }

  /** Remembers the first fragment of network header `k` of `p` as journey `j` of `flow`. */
  private rememberFirstFragment(p: Packet, k: number, srcId: number, dstId: number, flow: Flow, j: Journey, t: number): void {
    const h = p.nets[k];
    const s = k === p.netCount - 1 ? srcId : this.book.id(h, true);
    const d = k === p.netCount - 1 ? dstId : this.book.id(h, false);
    if (s >= 0x200000 || d >= 0x200000) return;
    if (this.fragmentEntries >= MAX_FRAGMENT_ENTRIES) {
      this.firstFragments.clear();
      this.fragmentEntries = 0;
    }
    const k1 = s * 0x200000 + d;
    let m = this.firstFragments.get(k1);
    if (m === undefined) this.firstFragments.set(k1, (m = new Map()));
    const k2 = h.ipId * 256 + (h.proto & 0xff);
    const e = m.get(k2);
    if (e === undefined) {
      m.set(k2, { flow, journey: j, t });
      this.fragmentEntries++;
    } else {
      e.flow = flow;
      e.journey = j;
      e.t = t;
    }
  }

  /** Joins a later fragment to the journey of its first fragment; the flow, or undefined. */
  private joinLaterFragment(ipId: number, proto: number, srcId: number, dstId: number, capture: number, t: number, iface: string | undefined): Flow | undefined {
    if (srcId >= 0x200000 || dstId >= 0x200000) return undefined;
    const e = this.firstFragments.get(srcId * 0x200000 + dstId)?.get(ipId * 256 + (proto & 0xff));
    if (e === undefined || Math.abs(e.t - t) > WINDOW_NS) return undefined;
    const flow = e.flow;
    e.journey.fragments = (e.journey.fragments ?? 0) + 1;
    if (t < flow.first) flow.first = t;
    if (t > flow.last) flow.last = t;
    let seen = flow.seen.get(capture);
    if (!seen) {
      seen = { packets: 0, first: t, last: t, points: new Set() };
      flow.seen.set(capture, seen);
    }
    seen.packets++;
    if (t < seen.first) seen.first = t;
    if (t > seen.last) seen.last = t;
    if (iface !== undefined) seen.points.add(iface);
    return flow;
  }

  private newFlow(
    n: NetHeader,
    t: number,
    echo: number,
    sp: number,
    dp: number,
    role: number,
    loId: number,
    loPort: number,
    hiId: number,
    hiPort: number,
  ): Slot {
    const f = this.f;
    const book = this.book;
    const proto = this.protoName(f.proto, n);
    const srcText = book.text[f.srcId];
    const dstText = book.text[f.dstId];
    const a = endpointKey(srcText, sp >= 0 ? sp : undefined);
    const b = endpointKey(dstText, dp >= 0 ? dp : undefined);
    const [x, y] = a < b ? [a, b] : [b, a];
    const key = `${echo >= 0 ? `${proto}-echo-${echo}` : proto}|${x}|${y}`;
    // The initiator: the sender of a request if this is a response seen first, else this sender.
    const swap = role === ROLE_RESPONSE;
    const s = { ip: srcText, port: f.sport >= 0 ? f.sport : undefined };
    const d = { ip: dstText, port: f.dport >= 0 ? f.dport : undefined };
    const flow: Flow = {
      key,
      protocol: proto,
      src: swap ? d : s,
      dst: swap ? s : d,
      packets: { fwd: 0, rev: 0 },
      journeys: [],
      dropped: 0,
      seen: new Map(),
      loopback: false,
      first: t,
      last: t,
      index: new Map(),
      partials: undefined,
      counts: { fwd: 0, rev: 0 },
    };
    // Two conversations with one key text would be one flow in a string-keyed table: share it.
    const old = this.flows.get(key);
    const use = old ?? flow;
    if (!old) this.flows.set(key, flow);
    const slot = new Slot(use, f.proto, echo, loId, loPort, hiId, hiPort, swap ? f.dstId : f.srcId, swap ? dp : sp);
    if (old) slot.noSkip = true;
    return slot;
  }

  private tunnelOf(p: Packet): NonNullable<Journey['tunnel']> {
    const tun = p.tunnels[0];
    const k = (tun.type * 0x1000001 + (tun.vni + 1)) * 0x10001 + (tun.port + 1);
    let o = this.tunnelObjects.get(k);
    if (o === undefined) {
      o = { type: TUNNEL_NAMES[tun.type] };
      if (tun.vni >= 0) o.vni = tun.vni;
      if (tun.port >= 0) o.port = tun.port;
      this.tunnelObjects.set(k, o);
    }
    return o;
  }

  /** The outermost network header of an encapsulated packet, as Observation.outer. */
  private outerOf(p: Packet): Observation['outer'] {
    if (p.netCount < 2) return undefined;
    const n = p.nets[0];
    const book = this.book;
    const s = book.id(n, true);
    const d = book.id(n, false);
    const code = n.kind === NET_ARP ? (n.proto === 0x8035 ? PROTO_RARP : PROTO_ARP) : n.proto >= 0 ? n.proto : PROTO_NONE;
    const k1 = s * 0x100000000 + d; // exact while s < 2^21 addresses
    const k2 = ((n.sport + 1) * 0x10001 + (n.dport + 1)) * 512 + code;
    let m = this.outerObjects.get(k1);
    if (m === undefined && s < 0x200000) this.outerObjects.set(k1, (m = new Map()));
    let o = m?.get(k2);
    if (o === undefined) {
      o = { src: book.text[s], dst: book.text[d], proto: netProto(n) };
      if (n.sport >= 0) o.sport = n.sport;
      if (n.dport >= 0) o.dport = n.dport;
      m?.set(k2, o);
    }
    return o;
  }

  /** Frees the per-packet identity index once every capture is read. */
  seal(): Flow[] {
    for (const f of this.flows.values()) {
      f.index.clear();
      f.partials = undefined;
      for (const j of f.journeys) j.identity = undefined;
    }
    this.firstFragments.clear();
    this.fragmentEntries = 0;
    this.slots.clear();
    this.tunnelObjects.clear();
    this.outerObjects.clear();
    return [...this.flows.values()].sort((x, y) => x.first - y.first || (x.key < y.key ? -1 : 1));
  }
}
