/**
 * `ip link [show]`, `ip -o link`, `ip -br link`, `ip -d link show` (kinds: vxlan with
 * id/local/remote/group/dstport/dev/learning, geneve, bridge, bridge_slave, veth, vlan, ipip, gre...),
 * and `ip -j [-d] link` JSON. Tolerates dumps a mail client hard-wrapped (continuation text at
 * column 0) and the iproute2 6.3 double space before `allmulti`. Malformed JSON is one problem.
 *
 *   10: vxlan42: <BROADCAST,MULTICAST> mtu 1500 qdisc noop master br0 state DOWN mode DEFAULT group default
 *       link/ether 4a:d9:91:42:a2:d2 brd ff:ff:ff:ff:ff:ff promiscuity 1
 *       vxlan id 42 local 10.0.0.1 dev eth0 srcport 0 0 dstport 8472 nolearning ageing 300
 *       bridge_slave state disabled priority 8 cost 100 ...
 */
import type { DumpParser, DumpProblem, LinkRecord } from './types.js';
import { parseLinkHeader, parseLinkLine, unjoin } from './ip-addr.js';
import { ProblemList, detectJson, isMac, isObj, nonBlank, num, numbered, readJson, startsLikeJson, str, toInt, words, type NumberedLine } from './text.js';
import { abbrev, ipObject } from './typed.js';
import { pushAll } from '../arrays.js';

const KINDS = new Set([
  'vxlan', 'geneve', 'bridge', 'veth', 'vlan', 'ipip', 'gre', 'gretap', 'ip6gre', 'ip6gretap', 'ip6tnl', 'sit', 'bond',
  'macvlan', 'macvtap', 'ipvlan', 'ipvtap', 'dummy', 'tun', 'vrf', 'wireguard', 'team', 'ifb', 'openvswitch', 'erspan',
  'ip6erspan', 'vti', 'vti6', 'xfrm', 'nlmon', 'macsec', 'bareudp', 'netkit', 'vcan', 'vxcan', 'hsr', 'batadv', 'amt',
]);
const BRIEF = /^([^\s@]+)(?:@(\S+))?\s+(UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT|NOTPRESENT|TESTING)\s+(\S+)?\s*(?:<([^>]*)>)?\s*$/;

function detect(lines: string[]): number {
  if (startsLikeJson(lines))
    return detectJson(
      lines,
      (o) => typeof o.ifname === 'string' && !('addr_info' in o) && !('vlans' in o) && !('tunnels' in o) && ('ifindex' in o || 'operstate' in o || 'flags' in o),
      (head) => /"ifname"\s*:/.test(head) && !/"addr_info"\s*:|"vlans"\s*:|"tunnels"\s*:/.test(head) && /"ifindex"\s*:|"operstate"\s*:|"link_type"\s*:/.test(head),
    ) * 0.95;
  const nb = nonBlank(lines).slice(0, 400);
  if (nb.length === 0) return 0;
  let headers = 0;
  let links = 0;
  let inet = 0;
  let mode = 0;
  let brief = 0;
  for (const raw of nb) {
    for (const t of raw.split(/\\(?=\s|$)/)) {
      const h = parseLinkHeader(t);
      if (h) {
        headers++;
        if (h.attrs.has('mode')) mode++;
      } else if (/^\s*link\//.test(t)) links++;
      else if (/^\s*(inet6?\s|valid_lft)/.test(t)) inet++;
      else if (BRIEF.test(t) && /^\S/.test(t) && /:|<|^\S+\s+\S+\s*$/.test(t)) brief++;
    }
  }
  if (headers > 0) {
    if (inet > 0) return 0.2;
    const ratio = Math.min(1, (headers + links) / Math.max(1, nb.length));
    return mode > 0 ? 0.6 + 0.35 * Math.max(ratio, 0.5) : 0.55;
  }
  if (brief > 0 && brief === nb.length && nb.some((l) => /<[A-Z_,-]*>/.test(l))) return 0.7;
  return 0;
}

/** Joins a mail client's wrapped lines back: a column-0 line that is not a header continues the previous line. */
function unwrap(lines: NumberedLine[]): NumberedLine[] {
  const out: NumberedLine[] = [];
  for (const l of lines) {
    const prev = out[out.length - 1];
    if (prev && l.text.trim() !== '' && /^\S/.test(l.text) && !parseLinkHeader(l.text) && !BRIEF.test(l.text)) {
      out[out.length - 1] = { n: prev.n, text: `${prev.text} ${l.text.trim()}` };
      continue;
    }
    out.push(l);
  }
  return out;
}

function applyDetail(rec: LinkRecord, ws: string[]): void {
  let word0 = ws[0];
  if (/^(vxlan|geneve|gre|ip6gre|ip6tnl|ipip|sit|gretap|ip6gretap)external/.test(word0)) {
    // iproute2 bug (d6abae5a): "externaladdrgenmode" without a space, glued to the kind too
    word0 = word0.replace(/external.*$/, '');
    ws = [word0, 'external', ...ws.slice(1)];
  }
  if (word0 === 'altname') {
    pushAll((rec.altnames ??= []), ws.slice(1).filter((w) => w !== 'altname'));
    return;
  }
  if (word0 === 'alias') {
    rec.alias = ws.slice(1).join(' ');
    return;
  }
  if (/_slave$/.test(word0)) {
    rec.slaveKind = word0;
    return;
  }
  if (!KINDS.has(word0)) return;
  if (rec.kind === undefined) rec.kind = word0;
  const hasExternal = ws.includes('external') || ws.some((w) => w.startsWith('externaladdrgenmode'));
  if (word0 === 'vxlan') {
    const v: NonNullable<LinkRecord['vxlan']> = {};
    for (let i = 1; i < ws.length; i++) {
      const w = ws[i];
      const nx = ws[i + 1];
      if (w === 'id') v.id = toInt(nx), i++;
      else if (w === 'local') v.local = nx, i++;
      else if (w === 'remote') v.remote = nx, i++;
      else if (w === 'group') v.group = nx, i++;
      else if (w === 'dev') v.dev = nx, i++;
      else if (w === 'dstport') v.dstport = toInt(nx), i++;
      else if (w === 'srcport') i += 2;
      else if (w === 'learning') v.learning = true;
      else if (w === 'nolearning') v.learning = false;
    }
    if (hasExternal) v.external = true;
    for (const k of Object.keys(v) as (keyof typeof v)[]) if (v[k] === undefined) delete v[k];
    rec.vxlan = v;
  } else if (word0 === 'geneve') {
    const g: NonNullable<LinkRecord['geneve']> = {};
    for (let i = 1; i < ws.length; i++) {
      if (ws[i] === 'id') g.id = toInt(ws[++i]);
      else if (ws[i] === 'remote') g.remote = ws[++i];
      else if (ws[i] === 'dstport') g.dstport = toInt(ws[++i]);
    }
    if (hasExternal) g.external = true;
    for (const k of Object.keys(g) as (keyof typeof g)[]) if (g[k] === undefined) delete g[k];
    rec.geneve = g;
  } else if (word0 === 'vlan') {
    const v: NonNullable<LinkRecord['vlan']> = {};
    for (let i = 1; i < ws.length; i++) {
      if (ws[i] === 'protocol') v.protocol = ws[++i];
      else if (ws[i] === 'id') v.id = toInt(ws[++i]);
    }
    rec.vlan = v;
  }
}

function parseText(lines: string[], firstLine: number): { records: LinkRecord[]; problems: DumpProblem[] } {
  const problems = new ProblemList('ip link');
  const records: LinkRecord[] = [];
  let cur: LinkRecord | undefined;
  for (const { n, text } of unwrap(unjoin(numbered(lines, firstLine)))) {
    const t = text.trim();
    if (t === '') continue;
    const h = parseLinkHeader(text);
    if (h) {
      const a = h.attrs;
      cur = { index: h.index, name: h.name, flags: h.flags, line: n };
      if (h.peer !== undefined) cur.peer = h.peer;
      const set = <K extends keyof LinkRecord>(k: K, v: LinkRecord[K] | undefined) => {
        if (v !== undefined) cur![k] = v;
      };
      set('mtu', toInt(a.get('mtu')));
      set('qdisc', a.get('qdisc'));
      set('master', a.get('master'));
      set('state', a.get('state'));
      set('mode', a.get('mode'));
      set('group', a.get('group'));
      set('qlen', toInt(a.get('qlen')));
      set('linkNetns', a.get('link-netnsid'));
      records.push(cur);
      continue;
    }
    const br = /^\S/.test(text) ? BRIEF.exec(text) : null;
    if (br) {
      const rec: LinkRecord = { index: 0, name: br[1], flags: br[5] ? br[5].split(',').filter(Boolean) : [], state: br[3], line: n };
      if (br[2]) rec.peer = br[2];
      if (br[4] && isMac(br[4])) rec.mac = br[4].toLowerCase();
      records.push(rec);
      cur = undefined;
      continue;
    }
    if (!cur || /^\S/.test(text)) {
      problems.unrecognized(n, text, 'expected "N: name: <FLAGS> mtu ..."');
      continue;
    }
    if (t.startsWith('link/')) {
      const l = parseLinkLine(t)!;
      cur.linkType = l.linkType;
      if (l.mac && isMac(l.mac)) cur.mac = l.mac;
      if (l.linkNetns !== undefined) cur.linkNetns = l.linkNetns;
      const r = l.rest;
      for (let i = 0; i < r.length; i++) {
        const v = toInt(r[i + 1]);
        if (r[i] === 'promiscuity' && v !== undefined) cur.promiscuity = v, i++;
        else if (r[i] === 'allmulti' && v !== undefined) cur.allmulti = v, i++;
        else if (r[i] === 'minmtu' && v !== undefined) cur.minMtu = v, i++;
        else if (r[i] === 'maxmtu' && v !== undefined) cur.maxMtu = v, i++;
        else if (KINDS.has(r[i]) || /_slave$/.test(r[i])) {
          // `ip -o -d link`: the kind follows on the same logical line
          applyDetail(cur, r.slice(i));
          break;
        }
      }
      continue;
    }
    applyDetail(cur, words(t));
  }
  if (records.length === 0 && nonBlank(lines).length > 0)
    problems.add(firstLine, 'no link found: expected `ip link` output ("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 ...")');
  return { records, problems: problems.done() };
}

function parseJson(lines: string[], firstLine: number): { records: LinkRecord[]; problems: DumpProblem[] } {
  const j = readJson(lines, firstLine);
  if (!j.ok) return { records: [], problems: [{ ...j.problem, message: `${j.problem.message} (the whole \`ip -j link\` output is rejected)` }] };
  const records: LinkRecord[] = [];
  const problems: DumpProblem[] = [];
  for (const o of Array.isArray(j.value) ? j.value : [j.value]) {
    const line = j.lineOf(o);
    if (!isObj(o) || typeof o.ifname !== 'string') {
      problems.push({ line, message: 'not a link object of `ip -j link` (no "ifname")' });
      continue;
    }
    const r: LinkRecord = {
      index: num(o.ifindex) ?? 0,
      name: o.ifname,
      flags: Array.isArray(o.flags) ? o.flags.map(String) : [],
      line,
    };
    if (typeof o.link === 'string') r.peer = o.link;
    else if (num(o.link_index) !== undefined) r.peer = `if${num(o.link_index)}`;
    else if (o.link === null) r.peer = 'NONE';
    if (num(o.mtu) !== undefined) r.mtu = num(o.mtu);
    if (str(o.qdisc)) r.qdisc = str(o.qdisc);
    if (str(o.master)) r.master = str(o.master);
    if (str(o.operstate)) r.state = str(o.operstate);
    if (str(o.linkmode)) r.mode = str(o.linkmode);
    if (str(o.group)) r.group = str(o.group);
    if (num(o.txqlen) !== undefined) r.qlen = num(o.txqlen);
    if (str(o.link_type)) r.linkType = str(o.link_type);
    if (str(o.address) && isMac(str(o.address)!)) r.mac = str(o.address)!.toLowerCase();
    if (str(o.link_netns)) r.linkNetns = str(o.link_netns);
    else if (num(o.link_netnsid) !== undefined) r.linkNetns = String(num(o.link_netnsid));
    if (num(o.promiscuity) !== undefined) r.promiscuity = num(o.promiscuity);
    if (num(o.allmulti) !== undefined) r.allmulti = num(o.allmulti);
    if (num(o.min_mtu) !== undefined) r.minMtu = num(o.min_mtu);
    if (num(o.max_mtu) !== undefined) r.maxMtu = num(o.max_mtu);
    if (Array.isArray(o.altnames)) r.altnames = o.altnames.map(String);
    if (str(o.ifalias)) r.alias = str(o.ifalias);
    const li = isObj(o.linkinfo) ? o.linkinfo : undefined;
    if (li) {
      if (str(li.info_kind)) r.kind = str(li.info_kind);
      if (str(li.info_slave_kind)) r.slaveKind = `${str(li.info_slave_kind)}_slave`;
      const d = isObj(li.info_data) ? li.info_data : {};
      if (r.kind === 'vxlan') {
        const v: NonNullable<LinkRecord['vxlan']> = {};
        if (num(d.id) !== undefined) v.id = num(d.id);
        if (str(d.local)) v.local = str(d.local);
        if (str(d.remote)) v.remote = str(d.remote);
        if (str(d.group)) v.group = str(d.group);
        if (str(d.link)) v.dev = str(d.link);
        if (num(d.port) !== undefined) v.dstport = num(d.port);
        if (typeof d.learning === 'boolean') v.learning = d.learning;
        if (d.external === true) v.external = true;
        r.vxlan = v;
      } else if (r.kind === 'geneve') {
        const g: NonNullable<LinkRecord['geneve']> = {};
        if (num(d.id) !== undefined) g.id = num(d.id);
        if (str(d.remote)) g.remote = str(d.remote);
        if (num(d.port) !== undefined) g.dstport = num(d.port);
        if (d.external === true) g.external = true;
        r.geneve = g;
      } else if (r.kind === 'vlan') {
        r.vlan = {};
        if (str(d.protocol)) r.vlan.protocol = str(d.protocol);
        if (num(d.id) !== undefined) r.vlan.id = num(d.id);
      }
    }
    records.push(r);
  }
  return { records, problems };
}

export const ipLink: DumpParser<'ip-link'> = {
  info: {
    command: 'ip-link',
    displayName: 'ip link',
    description: 'ip link show / ip -o link / ip -br link / ip -d link show / ip -j link',
    detect,
    nameHint: { pattern: /(^|-)ip(-\d)?(-d|-o|-j|-br)*-(l|link)(-|$)/, rank: 90 },
    typed: [{ programs: ['ip'], args: (a) => abbrev(ipObject(a), 'link') }],
    listField: 'name',
  },
  parse(lines, firstLine) {
    if (lines.every((l) => l.trim() === '')) return { records: [], problems: [] };
    return startsLikeJson(lines) ? parseJson(lines, firstLine) : parseText(lines, firstLine);
  },
};
