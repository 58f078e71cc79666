/**
 * Packet filter expressions in tcpdump's syntax (pcap-filter(7)), the common primitives:
 *
 *   [ip|ip6|arp|tcp|udp] [src|dst|src or dst|src and dst] (host ADDR | net CIDR | port N | portrange A-B)
 *   ip | ip6 | arp | tcp | udp | icmp | icmp6
 *   vxlan [VNI] | geneve [VNI]       the rest of the expression matches the encapsulated headers
 *   not | ! , and | && , or | || , ( )
 *
 * As in pcap-filter, `not` binds tightest, `and` and `or` have the same precedence and group left
 * to right, and a bare value repeats the qualifiers before it ("port 80 or 443"). Anything else is
 * a FilterError naming the word and what is supported.
 */

export type Dir = 'src' | 'dst' | 'either' | 'both';
export type Proto = 'ip' | 'ip6' | 'arp' | 'tcp' | 'udp' | 'icmp' | 'icmp6';

export type FilterNode =
  | { op: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { op: 'not'; arg: FilterNode }
  | { op: 'host'; level: number; dir: Dir; proto?: Proto; addr: Addr }
  | { op: 'net'; level: number; dir: Dir; proto?: Proto; addr: Addr; bits: number }
  | { op: 'port'; level: number; dir: Dir; proto?: Proto; from: number; to: number }
  | { op: 'proto'; level: number; proto: Proto }
  | { op: 'tunnel'; level: number; type: 'vxlan' | 'geneve'; vni?: number };

/** An address as four big-endian 32-bit words (IPv4 in the first), as the decoder holds them. */
export interface Addr {
  v6: boolean;
  w: [number, number, number, number];
}

export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterError';
  }
}

export const SUPPORTED =
  'host, net, port, portrange, src/dst, ip, ip6, arp, tcp, udp, icmp, icmp6, vxlan [VNI], geneve [VNI], and/or/not, parentheses';

const PROTOS: readonly string[] = ['ip', 'ip6', 'arp', 'tcp', 'udp', 'icmp', 'icmp6'];
const TYPES: readonly string[] = ['host', 'net', 'port', 'portrange'];
/** Primitives that take a qualifier value but are not supported (named in the error). */
const KNOWN_UNSUPPORTED: readonly string[] = ['ether', 'vlan', 'mpls', 'gateway', 'broadcast', 'multicast', 'less', 'greater', 'len', 'proto', 'sctp', 'rarp', 'inbound', 'outbound', 'ifname', 'on', 'pppoed', 'pppoes', 'igmp', 'igrp', 'pim', 'vrrp', 'carp', 'atalk', 'decnet', 'iso', 'stp', 'ipx', 'netbeui', 'wlan', 'type', 'subtype', 'dir', 'llc'];

function tokenize(s: string): string[] {
  const out: string[] = [];
  const re = /\s*(&&|\|\||[()!]|[^\s()!&|]+|[&|])/y;
  let m: RegExpExecArray | null;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    m = re.exec(s);
    if (!m) break;
    if (m[1] === '&' || m[1] === '|') throw new FilterError(`"${m[1]}" is not an operator: use "and"/"&&", "or"/"||"`);
    out.push(m[1]);
    i = re.lastIndex;
    while (i < s.length && /\s/.test(s[i])) i++;
  }
  return out;
}

export function parseIp(text: string): Addr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m) {
    const b = m.slice(1).map(Number);
    if (b.some((x) => x > 255)) return undefined;
    return { v6: false, w: [((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0, 0, 0, 0] };
  }
  if (!text.includes(':') || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let tail: number[] = [];
  let t = text;
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const a = parseIp(v4[2]);
    if (!a) return undefined;
    tail = [a.w[0] >>> 16, a.w[0] & 0xffff];
    t = v4[1].endsWith('::') ? v4[1] : v4[1].slice(0, -1);
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const group = (x: string) => (x === '' ? [] : x.split(':'));
  const head = group(halves[0]);
  const rest = halves.length === 2 ? group(halves[1]) : [];
  const groups = [...head.map((g) => g), ...(halves.length === 2 ? Array(8 - head.length - rest.length - tail.length).fill('0') : []), ...rest];
  const nums = groups.map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)).concat(tail);
  if (nums.length !== 8 || nums.some((n) => Number.isNaN(n))) return undefined;
  const w: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) w[i] = ((nums[2 * i] << 16) | nums[2 * i + 1]) >>> 0;
  return { v6: true, w };
}

/** "10.42", "10.42.0.0/16", "fd00::/8" -> network and prefix length (tcpdump's short IPv4 forms too). */
function parseNet(text: string): { addr: Addr; bits: number } {
  const [a, b] = text.split('/');
  let addr = parseIp(a);
  let bits = addr ? (addr.v6 ? 128 : 32) : 0;
  if (!addr && /^\d{1,3}(\.\d{1,3}){0,2}$/.test(a)) {
    const parts = a.split('.');
    addr = parseIp([...parts, ...Array(4 - parts.length).fill('0')].join('.'));
    bits = parts.length * 8;
  }
  if (!addr) throw new FilterError(`"${text}" is not a network (like 10.42.0.0/16 or fd00::/8)`);
  if (b !== undefined) {
    bits = Number(b);
    if (!/^\d+$/.test(b) || bits > (addr.v6 ? 128 : 32)) throw new FilterError(`"${text}": bad prefix length`);
  }
  return { addr, bits };
}

function portNumber(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new FilterError(`"${text}" is not a port number (0-65535; service names are not supported)`);
  return n;
}

interface Quals {
  proto?: Proto;
  dir?: Dir;
  type?: string;
}

export function parseFilter(text: string): FilterNode {
  const toks = tokenize(text);
  if (toks.length === 0) throw new FilterError('empty filter expression');
  let i = 0;
  let level = 0;
  let last: Quals | undefined;
  const peek = () => toks[i];
  const next = () => toks[i++];
  const expect = (t: string) => {
    if (toks[i] !== t) throw new FilterError(toks[i] === undefined ? `expected "${t}" at the end` : `expected "${t}", not "${toks[i]}"`);
    i++;
  };
  const isOp = (t: string | undefined) => t === 'and' || t === '&&' || t === 'or' || t === '||';

  function value(q: Quals, v: string): FilterNode {
    const dir = q.dir ?? 'either';
    const type = q.type ?? (parseIp(v) ? 'host' : undefined);
    if (type === 'host') {
      const addr = parseIp(v);
      if (!addr) throw new FilterError(`"${v}" is not an IP address (host names are not resolved)`);
      return { op: 'host', level, dir, proto: q.proto, addr };
    }
    if (type === 'net') return { op: 'net', level, dir, proto: q.proto, ...parseNet(v) };
    if (type === 'port') {
      const p = portNumber(v);
      return { op: 'port', level, dir, proto: q.proto, from: p, to: p };
    }
    if (type === 'portrange') {
      const m = /^(\d+)-(\d+)$/.exec(v);
      if (!m) throw new FilterError(`"${v}" is not a port range (like 30000-32767)`);
      const a = portNumber(m[1]);
      const b = portNumber(m[2]);
      return { op: 'port', level, dir, proto: q.proto, from: Math.min(a, b), to: Math.max(a, b) };
    }
    throw new FilterError(`"${v}": say what it is (host, net, port)`);
  }

  function primitive(): FilterNode {
    const t = next();
    if (t === undefined) throw new FilterError('the expression ends where a primitive was expected');
    if (t === '(') {
      const e = expr();
      expect(')');
      return e;
    }
    if (t === 'not' || t === '!') return { op: 'not', arg: primitive() };
    if (t === 'vxlan' || t === 'geneve') {
      let vni: number | undefined;
      if (peek() !== undefined && /^\d+$/.test(peek()!)) {
        vni = Number(next());
        if (vni > 0xffffff) throw new FilterError(`${t} ${vni}: a VNI is 24 bits (0-16777215)`);
      }
      const n: FilterNode = { op: 'tunnel', level, type: t, vni };
      level++;
      return n;
    }
    const q: Quals = {};
    let w: string | undefined = t;
    if (PROTOS.includes(w)) {
      q.proto = w as Proto;
      w = peek();
      if (w === undefined || w === ')' || isOp(w) || (!TYPES.includes(w) && w !== 'src' && w !== 'dst')) {
        last = undefined;
        return { op: 'proto', level, proto: q.proto };
      }
      next();
    }
    if (w === 'src' || w === 'dst') {
      q.dir = w;
      if ((peek() === 'or' || peek() === 'and') && (toks[i + 1] === 'src' || toks[i + 1] === 'dst') && toks[i + 1] !== w) {
        q.dir = peek() === 'or' ? 'either' : 'both';
        i += 2;
      }
      w = next();
      if (w === undefined) throw new FilterError(`"${q.dir === 'src' || q.dir === 'dst' ? q.dir : 'src/dst'}" must be followed by host, net, port or an address`);
    }
    if (TYPES.includes(w)) {
      q.type = w;
      w = next();
      if (w === undefined || w === ')' || isOp(w)) throw new FilterError(`"${q.type}" must be followed by a value`);
    } else if (q.proto === undefined && q.dir === undefined) {
      if (KNOWN_UNSUPPORTED.includes(w)) throw new FilterError(`"${w}" is not supported by podpath's filter (supported: ${SUPPORTED})`);
      // A bare value repeats the previous primitive's qualifiers ("port 80 or 443").
      if (last) Object.assign(q, last);
      else if (!parseIp(w)) throw new FilterError(`"${w}" is not supported by podpath's filter (supported: ${SUPPORTED})`);
    }
    if (q.proto && (q.proto === 'icmp' || q.proto === 'icmp6') && q.type) throw new FilterError(`"${q.proto} ${q.type}" is not a valid combination`);
    if (q.proto === 'arp' && (q.type === 'port' || q.type === 'portrange')) throw new FilterError('"arp port" is not a valid combination');
    last = { ...q };
    return value(q, w);
  }

  function expr(): FilterNode {
    let left = primitive();
    while (isOp(peek())) {
      const op = next() === 'and' || toks[i - 1] === '&&' ? 'and' : 'or';
      left = { op, left, right: primitive() };
    }
    return left;
  }

  const tree = expr();
  if (i < toks.length) throw new FilterError(`unexpected "${toks[i]}" (join primitives with and/or)`);
  return tree;
}
