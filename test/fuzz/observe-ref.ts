/** The reference Observation of a packet (what the flow table used to group), kept for the fuzz and property tests. */
/**
 * Decoded packet -> Observation: the few fields the analysis keeps of each packet, as a plain
 * object (the readable reference of what a packet contributes; tools and tests use it). The
 * analyzer's hot path does not build it: FlowTable.addPacket reads the decoder's reusable Packet
 * directly, with addresses interned by an AddressBook (below), and builds strings only for what it
 * keeps (a new flow, a journey kept as evidence).
 */
import { NET_ARP, NET_IPV6, TCP_ACK, type NetHeader, type Packet } from '../../src/decode/packet.js';
import { netProto, netAddr, tcpFlagString } from '../../src/decode/summary.js';
import { TUNNEL_NAMES } from '../../src/decode/packet.js';
import { packetBody } from '../../src/report/packet-line.js';
import type { InnerHeaders, Observation } from '../../src/path/types.js';

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
