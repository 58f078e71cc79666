#!/usr/bin/env python3
"""Writes lab.json and pods.txt for the cilium-geneve scenario (called by cilium.sh).

usage: cilium-describe.py SCRATCH-DIR SCENARIO-OUT-DIR

Same schema as describe.py (podpath-lab/1), extended additively: pods carry `ips` (IPv4 and IPv6)
and `identity`; flows carry `family`; encap carries `type: geneve` and the VNI of its direction;
`overlay` describes cilium_geneve and its routes; `expect` says what a correct analysis concludes.
The outcome the traffic tools reported must match the outcome the built path predicts.
"""
import json
import os
import struct
import sys
import time

GENEVE_PORT = 6081

STORY = (
    "A Cilium-style routed datapath on two nodes, healthy. No bridge: each pod's eth0 is a veth whose "
    "node end is lxc<12 hex>, with per-pod /32 and /128 routes on the node; cilium_host (router "
    "addresses 10.0.x.y/32 and fd00:10:0:x::y/128) and cilium_net are a veth pair; remote pod CIDRs "
    "are routed into cilium_geneve with `encap ip id VNI dst REMOTE`, which wraps them in Geneve (UDP "
    "6081) over the IPv4 underlay. Each direction has its own VNI (Cilium carries the sender's "
    "security identity there): 48312 from the control plane (pod client), 20544 from the worker (pod "
    "web). client pings web (IPv4 and IPv6) and fetches http://web:80/ over both families across "
    "nodes; probe does the same to web on the worker, which never touches the tunnel.")

NOTES = (
    "Nothing is wrong: every ping gets 4 replies, every curl HTTP 200. Cross-node packets are Geneve "
    "(UDP 6081, protocol 0x6558, inner Ethernet) between 10.32.11.62 and 10.32.7.224 on both eth0s; "
    "VNI 48312 (0xbcb8) on the way from the control plane, 20544 (0x5040) on the way back. Inner "
    "packets are IPv4 or IPv6 (fd00:10::/48 pods) inside an IPv4 underlay. cilium_geneve captures "
    "show the inner frames; lxc captures show each pod's side, same-node traffic only on lxc "
    "interfaces. The kernel neighbour traffic (ARP for the router address, IPv6 neighbour "
    "solicitations answered by proxy NDP on the lxc, MLD reports) is normal. A different VNI per "
    "direction is not a fault.")

DUMP_COMMANDS = {
    'ip-addr.txt': 'ip addr show',
    'ip-addr.json': 'ip -j addr show',
    'ip-route.txt': 'ip route show; ip -6 route show',
    'route-n.txt': 'route -n',
    'bridge-fdb.txt': 'bridge fdb show',
    'ip-neigh.txt': 'ip neigh show',
    'ip-d-link.txt': 'ip -d link show',
    'hostname': 'hostname',
}
LINKTYPES = {1: 'EN10MB', 113: 'LINUX_SLL', 276: 'LINUX_SLL2'}


def fail(msg):
    print('cilium-describe.py: error: ' + msg, file=sys.stderr)
    sys.exit(1)


def tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding='utf-8') as f:
        return [line.rstrip('\n').split('\t') for line in f if line.strip()]


def pcap_info(path):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        fail(f'{path}: not a pcap file')
    e = '<' if struct.unpack('<I', data[:4])[0] == 0xA1B2C3D4 else '>'
    linktype = struct.unpack(e + 'I', data[20:24])[0] & 0x0FFFFFFF
    off, n = 24, 0
    while off + 16 <= len(data):
        off += 16 + struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        n += 1
    return {'format': 'pcap', 'linktype': linktype, 'linktypeName': LINKTYPES.get(linktype, str(linktype)),
            'precision': 'micro', 'packets': n, 'bytes': len(data)}


def routes_of(path):
    """ip -j route, where an encap route has two "dst" keys (the prefix, then the tunnel endpoint)."""
    def pairs(items):
        obj = {}
        for k, v in items:
            if k == 'dst' and 'dst' in obj:
                obj.setdefault('encapInfo', {})['dst'] = v
            elif 'encap' in obj and k in ('id', 'src', 'ttl', 'tos'):
                obj.setdefault('encapInfo', {})[k] = v
            else:
                obj[k] = v
        return obj
    with open(path, encoding='utf-8') as f:
        return json.load(f, object_pairs_hook=pairs)


def main():
    if len(sys.argv) != 3:
        fail('usage: cilium-describe.py SCRATCH-DIR SCENARIO-OUT-DIR')
    sc, out = sys.argv[1:]
    meta = {}
    for row in tsv(os.path.join(sc, 'meta.tsv')):
        meta.setdefault(row[0], []).append(row[1:])
    hosts_rec = tsv(os.path.join(sc, 'hosts.tsv'))
    role_of = {h: r for h, r, _n, _node in hosts_rec}
    netns_of = {h: n for h, _r, n, _node in hosts_rec}
    node_of = {h: (node if r == 'pod' else h) for h, r, _n, node in hosts_rec}
    pods_rec = tsv(os.path.join(sc, 'pods.tsv'))
    pod = {p[0]: {'ip': p[2], 'ip6': p[3], 'node': p[4], 'lxc': p[5], 'identity': int(p[6])} for p in pods_rec}
    nodes = [h for h, r, _n, _node in hosts_rec if r in ('control-plane', 'worker')]

    def ipj(host, what):
        with open(os.path.join(sc, 'ipj', f'{host}.{what}.json'), encoding='utf-8') as f:
            return json.load(f)
    links = {h: ipj(h, 'link') for h in role_of}
    addrs = {h: ipj(h, 'addr') for h in role_of}
    routes = {h: routes_of(os.path.join(sc, 'ipj', f'{h}.route.json')) +
              routes_of(os.path.join(sc, 'ipj', f'{h}.route6.json')) for h in role_of}

    def ifindex(host, name):
        for link in links[host]:
            if link['ifname'] == name:
                return link['ifindex']
        fail(f'{host} has no interface {name}')

    peers = {}
    for a, ia, b, ib in tsv(os.path.join(sc, 'pairs.tsv')):
        peers[(a, ia)] = (b, ib)
        peers[(b, ib)] = (a, ia)
    for (a, ia), (b, ib) in peers.items():
        link = next(l for l in links[a] if l['ifname'] == ia)
        same_ns = a == b and link.get('link') == ib   # a pair inside one namespace names its peer
        if not same_ns and link.get('link_index') != ifindex(b, ib):
            fail(f'veth {a}/{ia}: kernel peer ifindex {link.get("link_index")} != {b}/{ib} {ifindex(b, ib)}')

    def interfaces(host):
        by_addr = {a['ifname']: a for a in addrs[host]}
        result = []
        for link in links[host]:
            info = link.get('linkinfo', {})
            kind = info.get('info_kind') or ('loopback' if link.get('link_type') == 'loopback' else link.get('link_type'))
            entry = {'name': link['ifname'], 'kind': kind, 'ifindex': link['ifindex'], 'mtu': link['mtu'],
                     'mac': link.get('address'), 'state': link.get('operstate'), 'flags': link.get('flags', []),
                     'addresses': [f"{a['local']}/{a['prefixlen']}" for a in by_addr.get(link['ifname'], {}).get('addr_info', [])],
                     'master': link.get('master'), 'peer': None}
            p = peers.get((host, link['ifname']))
            if p:
                entry['peer'] = {'host': p[0], 'interface': p[1], 'ifindex': ifindex(*p)}
            if link['ifname'] == 'cilium_geneve':
                entry['geneve'] = {'port': GENEVE_PORT, 'external': True,
                                   'implementation': 'kernel geneve' if meta['geneve'][0][0] == 'geneve'
                                   else 'tap served by samples/lab/geneve-tap.py (kernel without CONFIG_GENEVE)'}
            result.append(entry)
        return result

    def route_list(host):
        keep = ('dst', 'gateway', 'dev', 'protocol', 'scope', 'prefsrc', 'flags', 'metric', 'encap')
        result = []
        for r in routes[host]:
            entry = {k: r[k] for k in keep if k in r}
            if 'encapInfo' in r:
                entry['encap'] = {'type': r.get('encap'), 'vni': r['encapInfo'].get('id'), 'dst': r['encapInfo'].get('dst')}
            result.append(entry)
        return result

    hosts = []
    for h, r, n, node in hosts_rec:
        entry = {'name': h, 'role': 'pod' if r == 'pod' else ('network' if r == 'network' else 'node'), 'netns': n}
        if r in ('control-plane', 'worker'):
            entry['nodeRole'] = r
            entry['folder'] = h
        elif r == 'pod':
            entry['node'] = node
            entry['folder'] = None
        else:
            entry['folder'] = None
        entry['interfaces'] = interfaces(h)
        entry['routes'] = route_list(h)
        hosts.append(entry)

    # --- overlay: what each node's routes into cilium_geneve say ---------------------------------
    overlay = {}
    node_ip = {}
    for n in nodes:
        eth0 = next(i for i in interfaces(n) if i['name'] == 'eth0')
        node_ip[n] = eth0['addresses'][0].split('/')[0]
    for n in nodes:
        remotes = []
        for r in route_list(n):
            if r.get('dev') != 'cilium_geneve' or 'encap' not in r:
                continue
            peer = next((m for m in nodes if node_ip[m] == r['encap']['dst']), None)
            if peer is None:
                fail(f'{n}: route {r["dst"]} tunnels to {r["encap"]["dst"]}, which is no node')
            remotes.append({'subnet': r['dst'], 'vtep': r['encap']['dst'], 'vni': r['encap']['vni'],
                            'gateway': r.get('gateway'), 'host': peer})
        ch = next(i for i in interfaces(n) if i['name'] == 'cilium_host')
        overlay[n] = {'device': 'cilium_geneve', 'type': 'geneve', 'port': GENEVE_PORT, 'local': node_ip[n],
                      'mac': next(i for i in interfaces(n) if i['name'] == 'cilium_geneve')['mac'],
                      'router': [a for a in ch['addresses'] if not a.startswith('fe80:')],
                      'subnets': [r['dst'] for r in route_list(n) if r.get('dev') == 'cilium_host' and '/' in r['dst']] +
                                 [f"{pod[p]['ip6'].rsplit('::', 1)[0]}::/64" for p in pod if pod[p]['node'] == n][:1],
                      'remotes': remotes}

    pods = []
    for name, ns, ip4, ip6, node, lxc, ident, containers, _created in pods_rec:
        cs = []
        for c in containers.split(','):
            cname, _, port = c.partition(':')
            cs.append({'name': cname, 'ports': [int(port)] if port else []})
        pods.append({'name': name, 'namespace': ns, 'ip': ip4, 'ips': [ip4, ip6], 'host': node, 'netns': netns_of[name],
                     'veth': lxc, 'identity': int(ident), 'ready': '1/1', 'containers': cs})

    captures, caps_at = [], {}
    for file, host, ifc, tool, command in tsv(os.path.join(sc, 'captures.tsv')):
        entry = {'file': file, 'host': host, 'interface': ifc, 'tool': tool, 'command': command}
        entry.update(pcap_info(os.path.join(out, file)))
        captures.append(entry)
        caps_at.setdefault((host, ifc), []).append(file)
    dumps = [{'file': f, 'host': h, 'command': DUMP_COMMANDS[os.path.basename(f)]} for f, h in tsv(os.path.join(sc, 'dumps.tsv'))]

    def hop(host, ifc, action):
        return {'host': host, 'interface': ifc, 'action': action, 'captures': caps_at.get((host, ifc), [])}

    def encap_of(a, dst_ip):
        fam6 = ':' in dst_ip
        for r in overlay[a]['remotes']:
            if (':' in r['subnet']) == fam6:
                import ipaddress
                if ipaddress.ip_address(dst_ip) in ipaddress.ip_network(r['subnet']):
                    return {'type': 'geneve', 'protocol': 'udp', 'port': GENEVE_PORT, 'vni': r['vni'],
                            'outerSrc': overlay[a]['local'], 'outerDst': r['vtep'],
                            'innerProtocol': 'ethernet (0x6558)'}
        fail(f'{a}: no tunnel route for {dst_ip}')

    def ip_path(src, dst, dst_ip):
        a, b = node_of[src], node_of[dst]
        if a == b:
            return 'same-node', [hop(src, 'eth0', 'send'), hop(a, pod[src]['lxc'], 'route'),
                                 hop(b, pod[dst]['lxc'], 'route'), hop(dst, 'eth0', 'deliver')], None
        path = [hop(src, 'eth0', 'send'), hop(a, pod[src]['lxc'], 'route'), hop(a, 'cilium_geneve', 'encap'),
                hop(a, 'eth0', 'underlay'), hop('aws-vpc', 'vpc0', 'bridge'), hop(b, 'eth0', 'underlay'),
                hop(b, 'cilium_geneve', 'decap'), hop(b, pod[dst]['lxc'], 'route'), hop(dst, 'eth0', 'deliver')]
        return 'cross-node', path, encap_of(a, dst_ip)

    def union(*paths):
        seen = []
        for path in paths:
            for h in path:
                for c in h['captures']:
                    if c not in seen:
                        seen.append(c)
        return seen

    flows = []
    for fid, proto, family, sh, dh, sip, dip, dport, packets, command, result, outcome in tsv(os.path.join(sc, 'flows.tsv')):
        kind, path, encap = ip_path(sh, dh, dip)
        if outcome != 'ok':
            fail(f'flow {fid!r}: the built path predicts ok but the traffic was {outcome!r} ({result})')
        _k, rpath, rencap = ip_path(dh, sh, sip)
        reply = {'src': dip, 'dst': sip, 'expect': 'ok', 'path': rpath}
        if rencap:
            reply['encap'] = rencap
        flow = {'id': fid, 'protocol': proto, 'family': family, 'src': sip, 'dst': dip, 'srcHost': sh, 'dstHost': dh,
                'sport': None, 'dport': None if dport == '-' else int(dport),
                'packets': int(packets) if proto.startswith('icmp') else None, 'kind': kind, 'command': command,
                'result': result, 'expect': 'ok'}
        if encap:
            flow['encap'] = encap
        flow['path'] = path
        flow['reply'] = reply
        flow['captures'] = union(path, rpath)
        flows.append(flow)

    tunnels = {h: line for h, line in meta.get('tunnel', [])}
    lab = {
        'schema': 'podpath-lab/1',
        'scenario': 'cilium-geneve',
        'story': STORY,
        'generator': 'samples/lab/cilium.sh',
        'kernel': {'release': meta['kernel'][0][0], 'vlanFiltering': False, 'anyLinktype': None,
                   'geneveDevice': meta['geneve'][0][0] == 'geneve'},
        'datapath': {'cni': 'cilium (routed, tunnel=geneve, endpoint routes, dual-stack)',
                     'geneve': ('kernel geneve device, external (metadata) mode' if meta['geneve'][0][0] == 'geneve' else
                                'this kernel has no geneve device (CONFIG_GENEVE unset): cilium_geneve is a tap whose '
                                'frames samples/lab/geneve-tap.py wraps in Geneve and sends as real UDP 6081 '
                                'datagrams through eth0, VNI and endpoint taken from the kernel route'),
                     'tunnelCounters': tunnels},
        'nodes': nodes,
        'hosts': hosts,
        'underlay': {'host': 'aws-vpc', 'bridge': 'vpc0', 'gateway': '10.32.0.1', 'subnet': '10.32.0.0/20', 'filter': None},
        'overlay': overlay,
        'pods': pods,
        'captures': captures,
        'dumps': dumps,
        'flows': flows,
        'expect': {'rootCause': None, 'notes': NOTES},
    }
    with open(os.path.join(out, 'lab.json'), 'w', encoding='utf-8') as f:
        json.dump(lab, f, indent=2)
        f.write('\n')

    # kubectl get pods -A -o wide: one IP column, the primary (IPv4) address of a dual-stack pod.
    now = int(time.time())
    header = ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']
    rows = [header]
    for name, ns, ip4, _ip6, node, _lxc, _ident, _containers, created in pods_rec:
        rows.append([ns, name, '1/1', 'Running', '0', f'{max(1, now - int(created))}s', ip4, node, '<none>', '<none>'])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    with open(os.path.join(out, 'pods.txt'), 'w', encoding='utf-8') as f:
        for r in rows:
            f.write('   '.join(c.ljust(widths[i]) if i < len(r) - 1 else c for i, c in enumerate(r)) + '\n')


if __name__ == '__main__':
    main()
