/**
 * Test helpers: read tcpdump's text output (expected .out files, or a live `tcpdump -nn -#` run)
 * into per-packet facts, and decode a capture file into the same shape.
 */
import { isIP } from 'node:net';
import { readCapture } from '../../src/capture/open.js';
import type { InputProblem } from '../../src/capture/frame.js';
import { Decoder, type DecoderOptions } from '../../src/decode/decoder.js';
import { summarize, type PacketSummary } from '../../src/decode/summary.js';

export interface Endpoint {
  addr: string;
  port?: number;
}

export interface Hop {
  src: Endpoint;
  dst: Endpoint;
  /** tcp, udp, icmp, icmp6, arp, or undefined when the text does not say. */
  proto?: string;
}

export interface TcpdumpPacket {
  number: number;
  text: string;
  /** Every "a > b:" address pair (and ARP who-has/reply), in order: first = outer, last = inner. */
  hops: Hop[];
}

function endpoint(token: string): Endpoint | undefined {
  if (isIP(token)) return { addr: token };
  const dot = token.lastIndexOf('.');
  if (dot < 0) return undefined;
  const head = token.slice(0, dot);
  const tail = token.slice(dot + 1);
  if (isIP(head) && /^\d+$/.test(tail)) return { addr: head, port: Number(tail) };
  return undefined;
}

function protoAfter(rest: string, ports: boolean): string | undefined {
  if (/^Flags \[/.test(rest) || /^tcp \d/.test(rest)) return 'tcp';
  if (/^ICMP6/.test(rest)) return 'icmp6';
  if (/^ICMP /.test(rest)) return 'icmp';
  if (/^UDP/.test(rest) || /^udp \d/.test(rest)) return 'udp';
  if (/^(GREv|ip-proto|ESP|AH|sctp|SCTP|PIM|VRRP|OSPF|igmp|IGMP|HBH|frag|\[\|)/.test(rest)) return undefined;
  return ports ? 'udp' : undefined;
}

/** Splits tcpdump `-#` output into packets (continuation lines joined with a space). */
export function parseTcpdump(out: string): TcpdumpPacket[] {
  const packets: TcpdumpPacket[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)  (.*)$/.exec(line);
    if (m && (packets.length === 0 || Number(m[1]) === packets[packets.length - 1].number + 1)) {
      packets.push({ number: Number(m[1]), text: m[2], hops: [] });
    } else if (packets.length > 0 && line.length > 0) {
      packets[packets.length - 1].text += ' ' + line.trim();
    }
  }
  for (const p of packets) {
    const re = /(?:^|[\s(])(\S+) > (\S+?):(?= |$)|(?:ARP, )?(?:Request who-has|Reply) (\S+)(?: \([^)]*\))? (?:tell|is-at) (\S+?),/g;
    for (let m = re.exec(p.text); m; m = re.exec(p.text)) {
      if (m[3] !== undefined) {
        const request = m[0].includes('who-has');
        if (request) {
          const dst = endpoint(m[3]);
          const src = endpoint(m[4]);
          if (src && dst) p.hops.push({ src, dst, proto: 'arp' });
        } else {
          const src = endpoint(m[3]);
          if (src) p.hops.push({ src, dst: { addr: '' }, proto: 'arp' });
        }
        continue;
      }
      const src = endpoint(m[1]);
      const dst = endpoint(m[2]);
      if (!src || !dst) continue;
      const rest = p.text.slice(m.index + m[0].length).trimStart();
      p.hops.push({ src, dst, proto: protoAfter(rest, src.port !== undefined) });
    }
  }
  return packets;
}

export interface Decoded {
  summaries: PacketSummary[];
  problems: InputProblem[];
}

/** Decodes every packet of a capture file into summaries. */
export async function decodeFile(path: string, opts?: DecoderOptions): Promise<Decoded> {
  const d = new Decoder(opts);
  const summaries: PacketSummary[] = [];
  const problems: InputProblem[] = [];
  await readCapture(path, {
    frame: (f) => summaries.push(summarize(d.decode(f))),
    problem: (p) => problems.push(p),
  });
  return { summaries, problems };
}

/** A decoded packet's network headers as hops, outer first (outer and inner only). */
export function ourHops(s: PacketSummary): { outer?: Hop; inner?: Hop } {
  const hop = (n: NonNullable<PacketSummary['inner']>): Hop => ({
    src: { addr: n.src, port: n.sport },
    dst: { addr: n.dst, port: n.dport },
    proto: n.proto,
  });
  return { outer: s.outer ? hop(s.outer) : undefined, inner: s.inner ? hop(s.inner) : undefined };
}

/** Compares a tcpdump hop with ours: addresses, ports when tcpdump shows them, protocol when it says. */
export function sameHop(t: Hop, o: Hop | undefined): string | undefined {
  if (!o) return 'we have no such header';
  if (t.proto === 'arp') {
    if (o.proto !== 'arp' && o.proto !== 'rarp') return `proto ${o.proto} != arp`;
    if (t.src.addr !== o.src.addr) return `arp sender ${o.src.addr} != ${t.src.addr}`;
    if (t.dst.addr !== '' && t.dst.addr !== o.dst.addr) return `arp target ${o.dst.addr} != ${t.dst.addr}`;
    return undefined;
  }
  if (t.src.addr !== o.src.addr || t.dst.addr !== o.dst.addr) return `${o.src.addr} > ${o.dst.addr} != ${t.src.addr} > ${t.dst.addr}`;
  if (t.src.port !== undefined && (t.src.port !== o.src.port || t.dst.port !== o.dst.port)) {
    return `ports ${o.src.port} > ${o.dst.port} != ${t.src.port} > ${t.dst.port}`;
  }
  if (t.proto !== undefined && t.proto !== o.proto) return `proto ${o.proto} != ${t.proto}`;
  return undefined;
}
