/**
 * What to do about a finding, in one sentence, from its code and subject (typed facts): the "fix"
 * line of the terminal view. Findings whose code is not known here get no fix line.
 */
import type { Finding } from '../topology/model.js';

function ends(f: Finding): { from?: string; to?: string } {
  const s = f.subject;
  const name = (e?: { host: string; address?: string }) => (e ? (e.address && e.address !== e.host ? `${e.host} (${e.address})` : e.host) : undefined);
  return { from: name(s?.from), to: name(s?.to) };
}

export function fixOf(f: Finding): string | undefined {
  const { from, to } = ends(f);
  // The same host at both ends (a drop inside one node) is named once, not as a pair.
  const between = from && to ? (from === to ? ` on ${from}` : ` between ${from} and ${to}`) : ' between the nodes';
  switch (f.code) {
    case 'overlay-blocked': {
      const t = f.subject?.tunnel;
      const r = f.subject?.rule;
      if (r) return `remove or narrow ${r.host}'s ${r.table} ${r.chain} rule \`${r.text}\` (${r.input} line ${r.line}) so that ${t?.type === 'geneve' ? 'Geneve' : 'VXLAN'} (UDP ${t?.port ?? '?'}) from the other nodes is accepted.`;
      const what = `${t?.type === 'geneve' ? 'Geneve' : 'VXLAN'} traffic (UDP ${t?.port ?? 'port of the tunnel'})`;
      return `allow ${what}${between}: host firewall (iptables/nftables), cloud security group or network ACL.`;
    }
    case 'lost':
      if (f.subject?.rule) return `remove or narrow ${f.subject.rule.host}'s ${f.subject.rule.table} ${f.subject.rule.chain} rule \`${f.subject.rule.text}\` (${f.subject.rule.input} line ${f.subject.rule.line}).`;
      return `look for what dropped them${between}: firewall rules, network policy, routes; a capture further along the path narrows it down.`;
    case 'no-route':
      return 'add the missing route (the CNI normally installs it: check its agent on that node).';
    case 'drop':
      return 'check the firewall rules and network policies on the host of the drop.';
    case 'unanswered':
      return 'check that the destination listens and that its replies are not filtered.';
    case 'arp-unanswered':
      return 'check that the address is configured on the expected host and that the link is up.';
    case 'vxlan-mismatch':
      return 'make the VNI and UDP port of the tunnel devices agree on every node.';
    case 'mtu':
      return 'lower the pod (overlay) MTU or raise the underlay MTU so that encapsulated packets fit.';
    case 'capture-drops':
      return 'capture again with a bigger buffer (tcpdump -B) or a narrower filter.';
    case 'capture-gap':
      return 'capture on every node over the same time window.';
    default:
      return undefined;
  }
}
