/**
 * `ip -j addr show` (compact or pretty, `| jq`) into the same records as `ip addr show`.
 * Each record's line is the line where its JSON object starts.
 */
import type { DumpParser, DumpProblem, IpAddrRecord, IpAddress } from './types.js';
import { detectJson, isObj, num, readJson, str } from './text.js';

function detect(lines: string[]): number {
  return detectJson(
    lines,
    (o) => typeof o.ifname === 'string' && Array.isArray(o.addr_info),
    (head) => /"ifname"\s*:/.test(head) && /"addr_info"\s*:/.test(head),
  );
}

function parse(lines: string[], firstLine: number): { records: IpAddrRecord[]; problems: DumpProblem[] } {
  const problems: DumpProblem[] = [];
  const records: IpAddrRecord[] = [];
  if (lines.every((l) => l.trim() === '')) return { records, problems };
  const j = readJson(lines, firstLine);
  if (!j.ok) return { records, problems: [j.problem] };
  const list = Array.isArray(j.value) ? j.value : [j.value];
  for (const o of list) {
    const line = j.lineOf(o);
    if (!isObj(o) || typeof o.ifname !== 'string') {
      problems.push({ line, message: 'not an interface object of `ip -j addr` (no "ifname")' });
      continue;
    }
    const rec: IpAddrRecord = {
      index: num(o.ifindex) ?? 0,
      name: o.ifname,
      flags: Array.isArray(o.flags) ? o.flags.filter((f): f is string => typeof f === 'string') : [],
      addresses: [],
      line,
    };
    // `ip -j` gives the peer index as link_index (veth across namespaces: "if5") or link ("eth0").
    if (typeof o.link === 'string') rec.peer = o.link;
    else if (num(o.link_index) !== undefined) rec.peer = `if${num(o.link_index)}`;
    else if (o.link === null) rec.peer = 'NONE';
    const mtu = num(o.mtu);
    if (mtu !== undefined) rec.mtu = mtu;
    if (str(o.qdisc)) rec.qdisc = str(o.qdisc);
    if (str(o.master)) rec.master = str(o.master);
    if (str(o.operstate)) rec.state = str(o.operstate);
    if (str(o.group)) rec.group = str(o.group);
    const qlen = num(o.txqlen);
    if (qlen !== undefined) rec.qlen = qlen;
    if (str(o.link_type)) rec.linkType = str(o.link_type);
    if (str(o.address) && /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(str(o.address)!)) rec.mac = str(o.address)!.toLowerCase();
    if (str(o.link_netns) !== undefined) rec.linkNetns = str(o.link_netns);
    else if (num(o.link_netnsid) !== undefined) rec.linkNetns = String(num(o.link_netnsid));
    if (Array.isArray(o.altnames)) rec.altnames = o.altnames.filter((a): a is string => typeof a === 'string');
    if (Array.isArray(o.addr_info)) {
      for (const a of o.addr_info) {
        const aline = j.lineOf(a, line);
        if (!isObj(a)) continue;
        const family = a.family === 'inet6' ? 'inet6' : a.family === 'inet' ? 'inet' : undefined;
        const local = str(a.local);
        const plen = num(a.prefixlen);
        if (!family || !local || plen === undefined) {
          problems.push({ line: aline, message: 'address without family/local/prefixlen skipped' });
          continue;
        }
        const ad: IpAddress = { family, address: local, prefixLength: plen, line: aline };
        if (str(a.scope)) ad.scope = str(a.scope);
        if (str(a.broadcast)) ad.broadcast = str(a.broadcast);
        if (str(a.address) && family === 'inet' && str(a.address) !== local) ad.peer = str(a.address);
        if (str(a.label)) ad.label = str(a.label);
        if (a.secondary === true || a.temporary === true) ad.secondary = true;
        const flags = ['dynamic', 'noprefixroute', 'tentative', 'deprecated', 'permanent', 'mngtmpaddr', 'secondary', 'temporary', 'nodad', 'optimistic', 'dadfailed', 'stable-privacy'].filter(
          (f) => a[f] === true,
        );
        if (flags.length) ad.flags = flags;
        rec.addresses.push(ad);
      }
    }
    records.push(rec);
  }
  return { records, problems };
}

export const ipAddrJson: DumpParser<'ip-addr'> = {
  // the JSON syntax of ip-addr: name hints and typed commands are ip-addr.ts's
  info: { command: 'ip-addr', displayName: 'ip addr', description: 'ip -j addr show (JSON, compact or pretty)', detect, listField: 'name' },
  parse,
};
