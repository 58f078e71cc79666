#!/usr/bin/env python3
"""Writes lab.json and pods.txt for one scenario of the namespace lab (called by run.sh).

usage: describe.py SCENARIO SCRATCH-DIR SCENARIO-OUT-DIR

SCRATCH-DIR holds what run.sh recorded while it built the cluster and drove traffic (tab-separated
records and `ip -j` views of every namespace); SCENARIO-OUT-DIR is where the captures and dumps
went. The hop-by-hop path of every flow is derived here from the topology that was built, and the
outcome the traffic tools reported (ping statistics, curl status, UDP echo) must match the outcome
the path predicts, or this script fails the run.
"""
import gzip
import ipaddress
import json
import os
import struct
import sys
import time

SCHEMA = 'podpath-lab/1'
VXLAN_PORT = 8472

STORIES = {
    'intra-pod': (
        "Containers of one pod share one network namespace (seed: 'pod internal communication'). "
        "Pod 'test' on the worker runs 'web' on :80 and 'debug' on :8080; curl localhost:80 and "
        "localhost:8080 from inside the pod never leave the pod's lo. netstat -anp in the pod shows "
        "both listeners side by side."),
    'same-node': (
        "Pods on one node talk through the cni0 bridge (seed: 'same-node pod communication'). pod1 "
        "(10.42.1.37) pings pod2 (10.42.1.38) and fetches http://10.42.1.38:80/; the worker's cni0 "
        "capture shows the ARP exchange and then ICMP, as in the seed's tcpdump -i cni0, and each "
        "pod's veth shows its own side."),
    'cross-node': (
        "Pods on different nodes talk through flannel's VXLAN overlay (seed: 'pod communication "
        "across nodes', after opening UDP 8472 in the security group). pod2 (10.42.0.37, control "
        "plane) pings, curls and sends a UDP datagram to pod1 (10.42.1.39, worker); route 10.42.1.0/24 "
        "via 10.42.1.0 dev flannel.1 onlink sends it to flannel.1, which wraps it in UDP 8472 "
        "(tcpdump: OTV, instance 1) from 10.32.11.62 to 10.32.7.224."),
    'blocked-overlay': (
        "The seed's first attempt: the cloud security group does not allow UDP 8472, so pod2's "
        "packets are encapsulated and leave the control plane's eth0 but never reach the worker "
        "(the aws-vpc namespace drops them). ping reports 100% packet loss; the worker's eth0 sees "
        "the underlay ARP but no VXLAN."),
    'blocked-overlay-node-iptables': (
        "The overlay is dropped inside the worker: its own host firewall has "
        "`iptables -A INPUT -p udp --dport 8472 -j DROP`, so pod2's pings are encapsulated, cross "
        "the VPC and arrive on the worker's eth0, but never reach its flannel.1. `iptables-save -c` "
        "of both nodes, taken after the traffic, shows the DROP rule with the dropped packets in its "
        "counter (IPv6 left on, the usual ARP and neighbour noise kept)."),
}

DUMP_COMMANDS = {
    'ip-addr.txt': 'ip addr show',
    'route-n.txt': 'route -n',
    'bridge-vlan.txt': 'bridge vlan',
    'ip-d-link.txt': 'ip -d link show',
    'bridge-fdb.txt': 'bridge fdb show',
    'ip-neigh.txt': 'ip neigh show',
    'ip-route.txt': 'ip route show',
    'ip-addr.json': 'ip -j addr show',
    'hostname': 'hostname',
    'iptables-save.txt': 'iptables-save -c',
    'nft-ruleset.txt': 'nft list ruleset',
    'netstat-anp.txt': 'netstat -anp',
    'session.txt': 'ip addr show; route -n; bridge vlan (pasted terminal session, CRLF)',
}

LINKTYPES = {0: 'NULL', 1: 'EN10MB', 101: 'RAW', 113: 'LINUX_SLL', 276: 'LINUX_SLL2'}


def fail(msg):
    print('describe.py: error: ' + msg, file=sys.stderr)
    sys.exit(1)


def tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding='utf-8') as f:
        return [line.rstrip('\n').split('\t') for line in f if line.strip()]


# --- capture files ----------------------------------------------------------------------------
def pcap_info(data):
    if len(data) < 24:
        return {'format': 'pcap', 'linktype': None, 'packets': 0, 'precision': None}
    magic_le = struct.unpack('<I', data[:4])[0]
    magic_be = struct.unpack('>I', data[:4])[0]
    if magic_le in (0xA1B2C3D4, 0xA1B23C4D):
        e, magic = '<', magic_le
    elif magic_be in (0xA1B2C3D4, 0xA1B23C4D):
        e, magic = '>', magic_be
    else:
        raise ValueError('not a pcap file')
    linktype = struct.unpack(e + 'I', data[20:24])[0] & 0x0FFFFFFF
    off, n = 24, 0
    while off + 16 <= len(data):
        incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        off += 16 + incl
        n += 1
    return {'format': 'pcap', 'linktype': linktype, 'packets': n,
            'precision': 'nano' if magic == 0xA1B23C4D else 'micro'}


def pcapng_info(data):
    off, n, linktypes, e = 0, 0, [], '<'
    while off + 12 <= len(data):
        btype = struct.unpack(e + 'I', data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            e = '<' if struct.unpack('<I', data[off + 8:off + 12])[0] == 0x1A2B3C4D else '>'
        blen = struct.unpack(e + 'I', data[off + 4:off + 8])[0]
        if btype == 1:
            linktypes.append(struct.unpack(e + 'H', data[off + 8:off + 10])[0])
        elif btype in (3, 6):
            n += 1
        if blen < 12:
            break
        off += blen
    return {'format': 'pcapng', 'linktype': linktypes[0] if linktypes else None, 'packets': n,
            'precision': 'micro'}


def capture_info(path):
    with open(path, 'rb') as f:
        data = f.read()
    if path.endswith('.gz'):
        info = pcap_info(gzip.decompress(data))
        info['format'] = 'pcap.gz'
    elif path.endswith('.pcapng'):
        info = pcapng_info(data)
    else:
        info = pcap_info(data)
    info['linktypeName'] = LINKTYPES.get(info['linktype'], str(info['linktype']))
    info['bytes'] = len(data)
    return info


# --- topology ---------------------------------------------------------------------------------
def main():
    if len(sys.argv) != 4:
        fail('usage: describe.py SCENARIO SCRATCH-DIR SCENARIO-OUT-DIR')
    scenario, sc, out = sys.argv[1:]
    meta = {k: v for k, v in tsv(os.path.join(sc, 'meta.tsv'))}

    hosts_rec = tsv(os.path.join(sc, 'hosts.tsv'))
    role_of = {h: r for h, r, _n, _node in hosts_rec}
    node_of = {}
    for h, r, _n, node in hosts_rec:
        node_of[h] = node if r == 'pod' else (h if r != 'network' else None)
    netns_of = {h: n for h, _r, n, _node in hosts_rec}
    pods_rec = tsv(os.path.join(sc, 'pods.tsv'))
    veth_of = {p[0]: p[4] for p in pods_rec}
    ip_of_pod = {p[0]: p[2] for p in pods_rec}
    network_host = next((h for h, r, _n, _node in hosts_rec if r == 'network'), None)

    def ipj(host, what):
        with open(os.path.join(sc, 'ipj', f'{host}.{what}.json'), encoding='utf-8') as f:
            return json.load(f)

    links = {h: ipj(h, 'link') for h in role_of}
    addrs = {h: ipj(h, 'addr') for h in role_of}
    routes = {h: ipj(h, 'route') for h in role_of}

    def ifindex(host, name):
        for link in links[host]:
            if link['ifname'] == name:
                return link['ifindex']
        fail(f'{host} has no interface {name}')

    peers = {}
    for a, ia, b, ib in tsv(os.path.join(sc, 'pairs.tsv')):
        peers[(a, ia)] = (b, ib)
        peers[(b, ib)] = (a, ia)
    # The recorded pairs must agree with what the kernel reports (link_index of each veth end).
    for (a, ia), (b, ib) in peers.items():
        link = next(l for l in links[a] if l['ifname'] == ia)
        if link.get('link_index') != ifindex(b, ib):
            fail(f'veth {a}/{ia}: kernel peer ifindex {link.get("link_index")} != {b}/{ib} {ifindex(b, ib)}')

    def interfaces(host):
        result = []
        by_addr = {a['ifname']: a for a in addrs[host]}
        for link in links[host]:
            info = link.get('linkinfo', {})
            kind = info.get('info_kind') or ('loopback' if link.get('link_type') == 'loopback' else link.get('link_type'))
            entry = {
                'name': link['ifname'],
                'kind': kind,
                'ifindex': link['ifindex'],
                'mtu': link['mtu'],
                'mac': link.get('address'),
                'state': link.get('operstate'),
                'flags': link.get('flags', []),
                'addresses': [f"{a['local']}/{a['prefixlen']}" for a in by_addr.get(link['ifname'], {}).get('addr_info', [])],
                'master': link.get('master'),
                'peer': None,
            }
            p = peers.get((host, link['ifname']))
            if p:
                entry['peer'] = {'host': p[0], 'interface': p[1], 'ifindex': ifindex(*p)}
            data = info.get('info_data', {})
            if kind == 'vxlan':
                entry['vxlan'] = {'vni': data.get('id'), 'local': data.get('local'), 'port': data.get('port'),
                                  'learning': data.get('learning'), 'device': data.get('link')}
            if kind == 'bridge':
                entry['bridge'] = {'vlanFiltering': bool(data.get('vlan_filtering')), 'stp': data.get('stp_state')}
            result.append(entry)
        return result

    def route_list(host):
        result = []
        for r in routes[host]:
            result.append({k: r[k] for k in ('dst', 'gateway', 'dev', 'protocol', 'scope', 'prefsrc', 'flags', 'metric') if k in r})
        return result

    hosts = []
    for h, r, n, node in hosts_rec:
        entry = {'name': h, 'role': 'pod' if r == 'pod' else ('network' if r == 'network' else 'node'), 'netns': n}
        if r in ('control-plane', 'worker'):
            entry['nodeRole'] = r
            entry['folder'] = h
        elif r == 'pod':
            entry['node'] = node
            entry['folder'] = h if os.path.isdir(os.path.join(out, h)) else None
        else:
            entry['folder'] = None
        entry['interfaces'] = interfaces(h)
        entry['routes'] = route_list(h)
        hosts.append(entry)

    nodes = [h for h, r, _n, _node in hosts_rec if r in ('control-plane', 'worker')]

    def iface(host, name):
        return next((i for i in interfaces(host) if i['name'] == name), None)

    def v4(host, name):
        i = iface(host, name)
        return [a for a in (i['addresses'] if i else []) if ':' not in a]

    overlay = {}
    for n in nodes:
        fl = iface(n, 'flannel.1')
        subnet = str(ipaddress.ip_interface(v4(n, 'cni0')[0]).network)
        remotes = []
        for r in routes[n]:
            if r.get('dev') != 'flannel.1' or 'gateway' not in r:
                continue
            peer = next((m for m in nodes if m != n and any(a.split('/')[0] == r['gateway'] for a in v4(m, 'flannel.1'))), None)
            if peer is None:
                fail(f'{n}: route {r["dst"]} via {r["gateway"]} dev flannel.1 matches no node')
            remotes.append({'subnet': r['dst'], 'vtep': iface(peer, 'flannel.1')['vxlan']['local'],
                            'mac': iface(peer, 'flannel.1')['mac'], 'gateway': r['gateway'], 'host': peer})
        overlay[n] = {'device': 'flannel.1', 'vni': fl['vxlan']['vni'], 'port': fl['vxlan']['port'],
                      'local': fl['vxlan']['local'], 'mac': fl['mac'], 'subnet': subnet, 'remotes': remotes}

    pods = []
    for name, ns, ip, node, veth, ready, containers, _created in pods_rec:
        cs = []
        for c in containers.split(','):
            cname, _, port = c.partition(':')
            cs.append({'name': cname, 'ports': [int(port)] if port else []})
        pods.append({'name': name, 'namespace': ns, 'ip': ip, 'host': node, 'netns': netns_of[name],
                     'veth': veth, 'ready': ready, 'containers': cs})

    # --- captures and dumps ---------------------------------------------------------------
    captures = []
    caps_at = {}
    for file, host, ifc, tool, command in tsv(os.path.join(sc, 'captures.tsv')):
        info = capture_info(os.path.join(out, file))
        entry = {'file': file, 'host': host, 'interface': ifc, 'tool': tool, 'command': command}
        entry.update(info)
        if tool == 'gzip':
            entry['copyOf'] = file[:-3]
        captures.append(entry)
        caps_at.setdefault((host, ifc), []).append(file)

    # Captures of one interface taken side by side (tcpdump, nanosecond tcpdump, dumpcap, the gzip
    # copy) must agree, or one of them missed packets and the files would contradict each other.
    counts = {}
    for c in captures:
        counts.setdefault((c['host'], c['interface']), []).append((c['file'], c['packets']))
    for (host, ifc), files in counts.items():
        if len({n for _f, n in files}) > 1:
            fail(f'captures of {host}/{ifc} disagree on the packet count: {files}')

    def seen_by(host, ifc):
        return caps_at.get((host, ifc), []) + caps_at.get((host, 'any'), [])

    dumps = []
    for file, host in tsv(os.path.join(sc, 'dumps.tsv')):
        dumps.append({'file': file, 'host': host, 'command': DUMP_COMMANDS[os.path.basename(file)]})

    # --- paths ----------------------------------------------------------------------------
    def hop(host, ifc, action):
        return {'host': host, 'interface': ifc, 'action': action, 'captures': seen_by(host, ifc)}

    def l2_path(src, sif, dst, dif):
        """Within one L2 segment: a node's cni0 (its pods and cni0 itself) or the VPC (nodes' eth0)."""
        hops = [hop(src, sif, 'send')]
        if sif == 'eth0' and dif == 'eth0' and role_of[src] != 'pod' and role_of[dst] != 'pod':
            hops.append(hop(network_host, 'vpc0', 'bridge'))
        else:
            n = node_of[src]
            if node_of[dst] != n:
                fail(f'{src} and {dst} share no segment')
            if role_of[src] == 'pod':
                hops.append(hop(n, veth_of[src], 'bridge'))
            if role_of[dst] == 'pod':
                if role_of[src] == 'pod':
                    hops.append(hop(n, 'cni0', 'bridge'))
                hops.append(hop(n, veth_of[dst], 'bridge'))
        hops.append(hop(dst, dif, 'deliver'))
        return hops

    blocked = meta.get('filter')
    node_blocked = meta.get('nodefilter_host')

    def ip_path(src, dst):
        """Hops of an IP packet from pod src to pod dst, and whether it arrives ('ok') or not ('lost')."""
        if src == dst:
            return 'intra-pod', [hop(src, 'lo', 'send'), hop(src, 'lo', 'loopback'), hop(src, 'lo', 'deliver')], 'ok', None
        if role_of[src] not in ('pod', 'network') and role_of[dst] not in ('pod', 'network'):
            return 'host', l2_path(src, 'eth0', dst, 'eth0'), 'ok', None
        a, b = node_of[src], node_of[dst]
        if a == b:
            return 'same-node', l2_path(src, 'eth0', dst, 'eth0'), 'ok', None
        encap = {'protocol': 'udp', 'port': overlay[a]['port'], 'vni': overlay[a]['vni'],
                 'outerSrc': overlay[a]['local'], 'outerDst': overlay[b]['local']}
        hops = [hop(src, 'eth0', 'send'), hop(a, veth_of[src], 'bridge'), hop(a, 'cni0', 'route'),
                hop(a, 'flannel.1', 'encap'), hop(a, 'eth0', 'underlay')]
        rest = [hop(b, 'eth0', 'underlay'), hop(b, 'flannel.1', 'decap'), hop(b, 'cni0', 'route'),
                hop(b, veth_of[dst], 'bridge'), hop(dst, 'eth0', 'deliver')]
        if node_blocked == a:
            # The requests arrive; the replies are dropped on the way back into a.
            return 'cross-node', hops + [hop(network_host, 'vpc0', 'bridge')] + rest, 'lost', encap
        if node_blocked == b:
            hops += [hop(network_host, 'vpc0', 'bridge'), hop(b, 'eth0', 'underlay'), hop(b, 'eth0', 'drop')]
            return 'cross-node', hops, 'lost', dict(encap, absentFrom=union(rest[1:]))
        if blocked:
            hops.append(hop(network_host, 'vpc0', 'drop'))
            return 'cross-node', hops, 'lost', dict(encap, absentFrom=union(rest))
        return 'cross-node', hops + [hop(network_host, 'vpc0', 'bridge')] + rest, 'ok', encap

    def union(*paths):
        seen = []
        for path in paths:
            for h in path or []:
                for c in h['captures']:
                    if c not in seen:
                        seen.append(c)
        return seen

    flows = []
    first_ip_flow = None
    for fid, proto, sh, dh, sip, dip, sport, dport, packets, command, result, outcome in tsv(os.path.join(sc, 'flows.tsv')):
        first_ip_flow = first_ip_flow or fid
        kind, path, expect, encap = ip_path(sh, dh)
        if expect != outcome:
            fail(f'flow {fid!r}: the built path predicts {expect!r} but the traffic was {outcome!r} ({result})')
        reply = None
        if expect == 'ok':
            _k, rpath, rexpect, rencap = ip_path(dh, sh)
            reply = {'src': dip, 'dst': sip, 'expect': rexpect, 'path': rpath}
            if rencap:
                reply['encap'] = rencap
        absent = encap.pop('absentFrom', []) if encap else []
        flow = {'id': fid, 'protocol': proto, 'src': sip, 'dst': dip, 'srcHost': sh, 'dstHost': dh,
                'sport': None if sport == '-' else int(sport), 'dport': None if dport == '-' else int(dport),
                'packets': int(packets) if proto == 'icmp' else None, 'kind': kind, 'command': command,
                'result': result, 'expect': expect}
        if encap:
            flow['encap'] = encap
        flow['path'] = path
        flow['reply'] = reply
        flow['captures'] = union(path, reply['path'] if reply else None)
        if expect == 'lost':
            # Captures on the rest of the way, which must not hold the flow.
            flow['absentFrom'] = absent
        flows.append(flow)

    arp_flows = []
    for fid, sh, sif, sip, dh, dif, dip in tsv(os.path.join(sc, 'arp.tsv')):
        kinds = {('pod', 'pod'): 'same-node', ('pod', 'node'): 'pod-to-node', ('node', 'pod'): 'node-to-pod',
                 ('node', 'node'): 'node-to-node'}
        kind = kinds[('pod' if role_of[sh] == 'pod' else 'node', 'pod' if role_of[dh] == 'pod' else 'node')]
        path = l2_path(sh, sif, dh, dif)
        rpath = l2_path(dh, dif, sh, sif)
        arp_flows.append({
            'id': fid, 'protocol': 'arp', 'src': sip, 'dst': dip, 'srcHost': sh, 'dstHost': dh, 'sport': None,
            'dport': None, 'packets': 1, 'kind': kind, 'command': None, 'trigger': first_ip_flow,
            'result': None, 'expect': 'ok', 'broadcast': True, 'path': path,
            'reply': {'src': dip, 'dst': sip, 'expect': 'ok', 'broadcast': False, 'path': rpath},
            'captures': union(path, rpath),
        })

    kernel = {
        'release': meta.get('kernel'),
        'vlanFiltering': meta.get('vlan_filtering') == 'yes',
        'anyLinktype': next((c['linktypeName'] for c in captures if c['interface'] == 'any'), None),
    }
    lab = {
        'schema': SCHEMA,
        'scenario': scenario,
        'story': STORIES[scenario],
        'generator': 'samples/lab/run.sh',
        'kernel': kernel,
        'nodes': nodes,
        'hosts': hosts,
        'underlay': {
            'host': network_host, 'bridge': 'vpc0', 'gateway': '10.32.0.1', 'subnet': '10.32.0.0/20',
            'filter': ({'rule': blocked, 'dropped': int(meta.get('dropped') or 0)} if blocked else None),
        },
        **({'nodeFilter': {'host': node_blocked, 'table': 'filter', 'chain': 'INPUT', 'rule': meta.get('nodefilter'),
                           'dropped': int(meta.get('dropped') or 0)}} if node_blocked else {}),
        'overlay': overlay,
        'pods': pods,
        'captures': captures,
        'dumps': dumps,
        'flows': arp_flows + flows,
    }
    if node_blocked:
        lab['expect'] = {'rootCause': 'overlay-blocked', 'mustNotFind': ['lost'],
                         'notes': f'{node_blocked} drops UDP {VXLAN_PORT} in its own filter INPUT chain; the overlay-blocked finding names that rule (iptables-save line and counter).'}
    with open(os.path.join(out, 'lab.json'), 'w', encoding='utf-8') as f:
        json.dump(lab, f, indent=2)
        f.write('\n')

    # --- kubectl get pods -A -o wide --------------------------------------------------------
    now = int(time.time())
    header = ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']
    rows = [header]
    for name, ns, ip, node, _veth, ready, _containers, created in pods_rec:
        rows.append([ns, name, ready, 'Running', '0', f'{max(1, now - int(created))}s', ip, node, '<none>', '<none>'])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    with open(os.path.join(out, 'pods.txt'), 'w', encoding='utf-8') as f:
        for r in rows:
            f.write('   '.join(c.ljust(widths[i]) if i < len(r) - 1 else c for i, c in enumerate(r)) + '\n')


if __name__ == '__main__':
    main()
