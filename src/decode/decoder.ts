/**
 * The Decoder: frame bytes -> a reused Packet, by table-driven dispatch (tables.ts).
 *
 *   linktype -> link decoder -> ethertype -> network decoder -> IP proto -> transport decoder
 *                                   ^                                          |
 *                                   +---- tunnel (VXLAN/Geneve/GRE/IP-in-IP) <-+  (UDP port, IP proto)
 *
 * Each layer decoder is a plain function `(c: Decoder, off, end)`: `off` is where its header starts,
 * `end` the end of the bytes that belong to it (the captured bytes, cut by any enclosing length
 * field). Decoders bounds-check every read and never throw: a header cut by the end of the capture
 * marks the packet `truncated`; a header cut by an enclosing length, or an invalid field, adds a
 * problem and marks it `malformed`. Nesting is bounded by MAX_TUNNELS encapsulations and MAX_LAYERS
 * headers, so hostile bytes cannot recurse without end.
 */
import type { Frame } from '../capture/frame.js';
import { fnv1a } from './bytes.js';
import {
  L,
  LAYER_NAMES,
  MAX_LAYERS,
  MAX_NETS,
  MAX_TUNNELS,
  Packet,
  type NetHeader,
  type Tunnel,
} from './packet.js';
import { linktypeName } from '../capture/linktypes.js';
import {
  ETHERTYPE_NAMES,
  ETHERTYPE_DECODERS,
  IP_PROTOCOL_DECODERS,
  LINKTYPE_DECODERS,
  UDP_PORT_DECODERS,
  UDP_TUNNELS,
  type LayerDecoder,
  type UdpTunnelKind,
} from './tables.js';

export interface DecoderOptions {
  /** Extra UDP ports decoded as VXLAN (4789 and 8472 always are). */
  vxlanPorts?: readonly number[];
  /** Extra UDP ports decoded as Geneve (6081 always is). */
  genevePorts?: readonly number[];
  /**
   * Fraction digits of timestamps: 6, 9, or 0 for "per packet" (9 when the nanoseconds are not a
   * whole number of microseconds). Set it per input from the file's resolution when known.
   */
  tsDigits?: 0 | 6 | 9;
}

export class Decoder {
  /** The frame's bytes during decode() (a view the reader reuses: only valid during decode()). */
  b: Uint8Array = new Uint8Array(0);
  /** The packet being filled; the same object on every call. */
  readonly p = new Packet();
  /** UDP port matched by the last UDP dispatch (the tunnel decoders record it). */
  udpPort = -1;
  tsDigits: 0 | 6 | 9;

  private readonly linktypes = new Map<number, LayerDecoder>();
  private readonly ethertypes = new Map<number, LayerDecoder>();
  private readonly ipProtos: (LayerDecoder | undefined)[] = new Array(256).fill(undefined);
  private readonly udpPorts = new Map<number, LayerDecoder>();
  /** Names of what was not decoded, built once each (key: kind * 2^32 + number). */
  private readonly names = new Map<number, string>();

  constructor(opts: DecoderOptions = {}) {
    for (const [lt, fn] of LINKTYPE_DECODERS) this.linktypes.set(lt, fn);
    for (const [et, fn] of ETHERTYPE_DECODERS) this.ethertypes.set(et, fn);
    for (const [pr, fn] of IP_PROTOCOL_DECODERS) this.ipProtos[pr] = fn;
    for (const [port, fn] of UDP_PORT_DECODERS) this.udpPorts.set(port, fn);
    for (const port of opts.vxlanPorts ?? []) this.addUdpPort(port, 'vxlan');
    for (const port of opts.genevePorts ?? []) this.addUdpPort(port, 'geneve');
    this.tsDigits = opts.tsDigits ?? 0;
  }

  /** Decodes UDP `port` (source or destination) as `kind` from now on. */
  addUdpPort(port: number, kind: UdpTunnelKind): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`bad UDP port ${port}`);
    this.udpPorts.set(port, UDP_TUNNELS[kind]);
  }

  /** Decodes `f` into the decoder's Packet (overwritten by the next call) and returns it. */
  decode(f: Frame): Packet {
    const p = this.p;
    p.reset(f);
    const b = f.bytes;
    this.b = b;
    this.udpPort = -1;
    p.tsDigits = this.tsDigits !== 0 ? this.tsDigits : f.nsec % 1000 !== 0 ? 9 : 6;
    const fn = this.linktypes.get(f.linktype);
    if (fn === undefined) {
      p.unknownLinktype = true;
      p.notDecoded = this.named(0, f.linktype, () => `linktype ${f.linktype} ${linktypeName(f.linktype)}`);
    } else {
      fn(this, 0, b.length);
    }
    p.payloadHash = fnv1a(b, p.payloadOffset, p.payloadEnd);
    return p;
  }

  // ---------------------------------------------------------------- services for layer decoders

  /** Appends layer `kind` at `off`; false (with a problem) when the packet has too many layers. */
  layer(kind: number, off: number): boolean {
    const p = this.p;
    if (p.layerCount >= MAX_LAYERS) {
      this.bad(kind, `more than ${MAX_LAYERS} headers: not decoded further`);
      return false;
    }
    p.layerKind[p.layerCount] = kind;
    p.layerOffset[p.layerCount] = off;
    p.layerCount++;
    return true;
  }

  /**
   * Layer `kind` needs more bytes than `end` leaves. Truncated when the capture cut the frame
   * (`end` is the end of the captured bytes and the frame was longer on the wire); malformed when
   * the packet itself is too short (cut by an enclosing length field, or by the end of a frame
   * captured whole).
   */
  short(kind: number, end: number, what = 'header'): void {
    const p = this.p;
    if (end >= this.b.length && p.wireLength > p.captureLength) {
      if (!p.truncated) {
        p.truncated = true;
        p.truncatedLayer = kind;
      }
    } else if (end >= this.b.length) {
      this.bad(kind, `${what} cut short by the end of the packet`);
    } else {
      this.bad(kind, `${what} cut short by the enclosing length`);
    }
  }

  /** Records an invalid header: a problem, and the packet is malformed. */
  bad(kind: number, message: string): void {
    const p = this.p;
    p.malformed = true;
    if (p.problems.length < 8) p.problems.push(`${LAYER_NAMES[kind]}: ${message}`);
  }

  /** Starts a new network header of `kind` at `off` (the last layer pushed), or undefined past the bound. */
  net(kind: number, off: number): NetHeader | undefined {
    const p = this.p;
    if (p.netCount >= MAX_NETS) {
      this.bad(p.layerKind[p.layerCount - 1], `more than ${MAX_NETS} network headers: not decoded further`);
      return undefined;
    }
    const n = p.nets[p.netCount++];
    n.reset();
    n.kind = kind;
    n.offset = off;
    n.layer = p.layerCount - 1;
    return n;
  }

  /** The current (innermost so far) network header. */
  cur(): NetHeader | undefined {
    const p = this.p;
    return p.netCount > 0 ? p.nets[p.netCount - 1] : undefined;
  }

  /** Records an encapsulation of `type` (the last layer pushed), or undefined past MAX_TUNNELS. */
  tunnel(type: number): Tunnel | undefined {
    const p = this.p;
    if (p.tunnelCount >= MAX_TUNNELS) {
      this.bad(p.layerKind[p.layerCount - 1], `more than ${MAX_TUNNELS} encapsulations: not decoded further`);
      return undefined;
    }
    const t = p.tunnels[p.tunnelCount++];
    t.type = type;
    t.vni = -1;
    t.port = -1;
    t.key = -1;
    t.flags = 0;
    t.proto = -1;
    t.layer = p.layerCount - 1;
    t.net = p.netCount - 1;
    return t;
  }

  /** Marks b[off..end) as the innermost payload so far (the last call wins). */
  payload(off: number, end: number): void {
    this.p.payloadOffset = off;
    this.p.payloadEnd = end > off ? end : off;
  }

  /** A name built once per (kind, number). */
  named(kind: number, n: number, make: () => string): string {
    const key = kind * 0x100000000 + (n >>> 0);
    let s = this.names.get(key);
    if (s === undefined) this.names.set(key, (s = make()));
    return s;
  }

  /** Records that decoding stopped at `what` (the first such thing wins): the packet is `skipped`. */
  notDecoded(what: string): void {
    if (this.p.notDecoded === '') this.p.notDecoded = what;
  }

  /** Dispatches on an ethertype (or a tunnel's protocol type). */
  ether(type: number, off: number, end: number): void {
    const fn = this.ethertypes.get(type);
    if (fn === undefined) {
      const p = this.p;
      p.unknownEthertype = type;
      const inGre = p.layerCount > 0 && p.layerKind[p.layerCount - 1] === L.GRE;
      const hex = '0x' + type.toString(16).padStart(4, '0');
      const label = ETHERTYPE_NAMES[type] ?? 'unknown';
      this.notDecoded(inGre ? this.named(2, type, () => `GRE protocol ${hex} ${label}`) : this.named(1, type, () => `ethertype ${hex} ${label}`));
      this.payload(off, end);
      return;
    }
    fn(this, off, end);
  }

  /** Dispatches on an IP protocol number (after IPv4, IPv6 extension headers, AH). */
  ipProto(proto: number, off: number, end: number): void {
    const n = this.cur();
    if (n !== undefined) n.proto = proto;
    const fn = this.ipProtos[proto];
    if (fn === undefined) {
      this.payload(off, end);
      return;
    }
    fn(this, off, end);
  }

  /** Dispatches a UDP payload on its destination port, else its source port; false if neither is known. */
  udp(sport: number, dport: number, off: number, end: number): boolean {
    let fn = this.udpPorts.get(dport);
    let port = dport;
    if (fn === undefined) {
      fn = this.udpPorts.get(sport);
      port = sport;
    }
    if (fn === undefined) return false;
    this.udpPort = port;
    fn(this, off, end);
    return true;
  }
}
