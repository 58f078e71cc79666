/**
 * Decoded packet -> Observation: the few fields the analysis keeps of each packet, as a plain
 * object (the readable reference of what a packet contributes; tools and tests use it). The
 * analyzer's hot path does not build it: FlowTable.addPacket reads the decoder's reusable Packet
 * directly, with addresses interned by an AddressBook (below), and builds strings only for what it
 * keeps (a new flow, a journey kept as evidence).
 */
import { NET_ARP, NET_IPV6, TCP_ACK, type NetHeader, type Packet } from '../decode/packet.js';
import { netProto, netAddr, tcpFlagString } from '../decode/summary.js';
import { TUNNEL_NAMES } from '../decode/packet.js';
import { packetBody } from '../report/packet-line.js';
import type { InnerHeaders, Observation } from './types.js';

export function observe(p: Packet, capture: number, t: number): Observation | undefined {
  const n = p.inner;
  if (!n) return undefined;
  const proto = netProto(n);
  const inner: InnerHeaders = { src: netAddr(n, true), dst: netAddr(n, false), proto };
  if (n.kind === NET_ARP) {
    if (n.arpOp >= 0) inner.arpOp = n.arpOp;
  } else {
    if (n.ipId >= 0) inner.ipId = n.ipId;
    if (n.dontFragment) inner.df = true;
    if (n.moreFragments || n.fragOffset > 0) inner.fragment = true;
    if (n.length > 0) inner.ipLength = n.length;
    if (n.sport >= 0) inner.sport = n.sport;
    if (n.dport >= 0) inner.dport = n.dport;
    if (n.icmpType >= 0) {
      inner.icmpType = n.icmpType;
      inner.icmpCode = n.icmpCode;
      if (n.icmpId >= 0) inner.icmpId = n.icmpId;
      if (n.icmpSeq >= 0) inner.icmpSeq = n.icmpSeq;
    }
    if (n.tcpHeader) {
      inner.tcpFlags = tcpFlagString(n.tcpFlags);
      inner.tcpSeq = n.seq;
      if (n.tcpFlags & TCP_ACK) inner.tcpAck = n.ack;
    }
  }
  const o: Observation = {
    capture,
    packet: p.index,
    t,
    wireLength: p.wireLength,
    inner,
    payloadHash: p.payloadHash,
    summary: packetBody(p),
  };
  const outer = p.outer;
  if (outer) {
    o.outer = { src: netAddr(outer, true), dst: netAddr(outer, false), proto: netProto(outer) };
    if (outer.sport >= 0) o.outer.sport = outer.sport;
    if (outer.dport >= 0) o.outer.dport = outer.dport;
  }
  if (p.tunnelCount > 0) {
    const tun = p.tunnels[0];
    o.tunnel = { type: TUNNEL_NAMES[tun.type] };
    if (tun.vni >= 0) o.tunnel.vni = tun.vni;
    if (tun.port >= 0) o.tunnel.port = tun.port;
  }
  return o;
}

/**
 * Address text interned per address: an IPv4 address (a uint32) or an IPv6 address (four words)
 * gets a small id and its text is built once, so the per-packet path compares numbers, never
 * builds strings. Id 0 is the empty address (ARP with unusual address lengths), as `netAddr` says.
 * Distinct ids are distinct texts (the text of an address is unique, IPv4 never looks like IPv6).
 */
export class AddressBook {
  /** Id -> text. */
  readonly text: string[] = [''];
  private readonly v4 = new Map<number, number>();
  /** IPv6: hash of the four words -> first id with that hash; chains in next6, words in w6. */
  private readonly v6 = new Map<number, number>();
  private readonly next6: number[] = [0];
  private readonly w6: number[] = [0, 0, 0, 0];

  /** Id of the source (or destination) address of `n`, as `netAddr(n, src)` would print it. */
  id(n: NetHeader, src: boolean): number {
    const a = src ? n.src : n.dst;
    if (n.addrLength === 4) {
      const v = a[0];
      let id = this.v4.get(v);
      if (id === undefined) {
        id = this.text.length;
        this.text.push(netAddr(n, src));
        this.next6.push(0);
        this.w6.push(0, 0, 0, 0);
        this.v4.set(v, id);
      }
      return id;
    }
    if (n.addrLength === 16 || n.kind === NET_IPV6) {
      const w0 = a[0], w1 = a[1], w2 = a[2], w3 = a[3];
      let h = Math.imul(w0 ^ 0x2545f491, 0x9e3779b1);
      h = Math.imul(h ^ w1, 0x85ebca6b);
      h = Math.imul(h ^ w2, 0xc2b2ae35);
      h = Math.imul(h ^ w3, 0x27d4eb2f);
      h ^= h >>> 15;
      const first = this.v6.get(h);
      for (let id = first ?? 0; id !== 0; id = this.next6[id]) {
        const k = id * 4;
        if (this.w6[k] === w0 && this.w6[k + 1] === w1 && this.w6[k + 2] === w2 && this.w6[k + 3] === w3) return id;
      }
      const id = this.text.length;
      this.text.push(netAddr(n, src));
      this.next6.push(first ?? 0);
      this.w6.push(w0, w1, w2, w3);
      this.v6.set(h, id);
      return id;
    }
    return 0;
  }
}
