#!/usr/bin/env python3
"""Writes lab.json and pods.txt for one scenario of samples/lab/real.sh.

usage: real_describe.py SCENARIO WORK-DIR SCENARIO-OUT-DIR

WORK-DIR holds the tab-separated records real.sh wrote while building and driving the cluster,
and `ip -j` views of every namespace. The hop-by-hop path of every flow is derived from what was
built (bridge or routed pods, the overlay device, the VTEP each node's fdb names, the underlay MTU
and fragment filter); the outcome the traffic tools reported must match the path's prediction, or
the run fails.
"""
import ipaddress
import json
import os
import struct
import sys
import time

VOCABULARY = ['overlay-blocked', 'lost', 'mtu', 'no-route', 'drop', 'unanswered', 'arp-unanswered',
              'vxlan-mismatch', 'capture-gap']

STORIES = {
    'healthy-3node': (
        "A healthy three-node k3s/flannel cluster (VXLAN VNI 1, UDP 8472) recorded as real nodes are: "
        "IPv6 on everywhere (link-local addresses, DAD, router solicitations, MLD reports appear by "
        "themselves), offloads at kernel defaults (TSO/GSO super-segments larger than the MTU on the "
        "veths, cni0, flannel.1 and eth0 during bulk transfers), nothing filtered. A DNS-like server "
        "pod (coredns) answers many short A lookups from pods on all three nodes; pings, small and "
        "1-1.5 MB HTTP transfers and UDP echoes run between pods on one node and across nodes. "
        "Every flow works."),
    'mtu-fragments': (
        "A Calico VXLAN cluster (vxlan.calico, VNI 4096, UDP 4789) whose vxlan.calico MTU is 1500 on a "
        "1500-byte underlay (it should be 1450). Full-size inner packets become 1550-byte VXLAN "
        "datagrams without DF, which the sending node fragments on eth0; the underlay drops every IP "
        "fragment (as some cloud networks do). Small pings and a small HTTP fetch work; ping -s 1472 "
        "(DF not set) and a bulk HTTP transfer fail. The fragments are on the sender's eth0 and never on "
        "the receiver's."),
    'stale-vtep': (
        "A flannel cluster whose worker was replaced: the old ip-10-32-7-224 (VTEP 10.32.7.224) is gone "
        "and the new ip-10-32-9-87 took over its lease 10.42.1.0/24, but the control plane's flannel "
        "state was never updated: its neighbour and fdb entries still name the old VTEP MAC and "
        "10.32.7.224 (bridge fdb: '<mac> dev flannel.1 dst 10.32.7.224'). VXLAN for the worker's pods "
        "goes to an address no node has: the control plane's ARP for 10.32.7.224 goes unanswered, "
        "so no VXLAN datagram ever leaves. UDP 8472 is open; the new worker reaches the control "
        "plane's pods, but their replies take the stale entry and are lost."),
}

EXPECT = {
    'healthy-3node': {
        'rootCause': None,
        'mustNotFind': VOCABULARY,
        'notes': ("Everything works. Router solicitations get no advertisement (there is no IPv6 router) "
                  "and DAD neighbour solicitations are answered by nobody by design; neither is a failure. "
                  "Packets longer than the MTU on veths/cni0/flannel.1/eth0 are GSO/TSO super-segments, "
                  "not MTU problems."),
    },
    'mtu-fragments': {
        'rootCause': 'mtu',
        'mustNotFind': ['overlay-blocked', 'vxlan-mismatch', 'no-route', 'drop', 'arp-unanswered', 'capture-gap'],
        'notes': ("The overlay port is open: small VXLAN datagrams pass both ways. Only datagrams larger "
                  "than the 1500-byte underlay MTU are lost, because the node fragments them (outer DF "
                  "not set) and the underlay drops fragments. The fix is a vxlan.calico MTU of 1450 (and "
                  "pod MTU to match)."),
    },
    'stale-vtep': {
        'rootCause': 'stale-vtep',
        'mustNotFind': ['overlay-blocked', 'vxlan-mismatch', 'mtu', 'no-route', 'drop', 'capture-gap'],
        'notes': ("The control plane's flannel.1 fdb entry points at 10.32.7.224, which is no node's "
                  "address (the nodes are 10.32.11.62 and 10.32.9.87); its ARP for it goes unanswered "
                  "(arp-unanswered on the underlay is expected and consistent with the root cause). No "
                  "VXLAN datagram to the stale VTEP is ever sent, so nothing is blocked in the network."),
    },
}

DUMPS = {'ip-addr.txt': 'ip addr show', 'ip-addr.json': 'ip -j addr show', 'ip-route.txt': 'ip route show',
         'route-n.txt': 'route -n', 'bridge-fdb.txt': 'bridge fdb show', 'bridge-vlan.txt': 'bridge vlan',
         'ip-neigh.txt': 'ip neigh show', 'ip-d-link.txt': 'ip -d link show', 'hostname': 'hostname'}


def fail(msg):
    print('real_describe.py: error: ' + msg, file=sys.stderr)
    sys.exit(1)


def rows(work, name):
    path = os.path.join(work, name)
    if not os.path.exists(path):
        return []
    with open(path, encoding='utf-8') as f:
        return [line.rstrip('\n').split('\t') for line in f if line.strip()]


def pcap_summary(path):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return {'format': 'pcap', 'linktype': None, 'packets': 0, 'snaplen': None, 'maxFrameLength': 0, 'bytes': len(data)}
    magic = struct.unpack('<I', data[:4])[0]
    end = '<' if magic in (0xA1B2C3D4, 0xA1B23C4D) else '>'
    snaplen, linktype = struct.unpack(end + 'II', data[16:24])
    off = 24
    n = longest = 0
    while off + 16 <= len(data):
        incl, orig = struct.unpack(end + 'II', data[off + 8:off + 16])
        longest = max(longest, orig)
        off += 16 + incl
        n += 1
    return {'format': 'pcap', 'linktype': linktype & 0x0FFFFFFF, 'linktypeName': 'EN10MB' if linktype == 1 else str(linktype),
            'packets': n, 'snaplen': snaplen, 'maxFrameLength': longest, 'bytes': len(data)}


def main():
    if len(sys.argv) != 4:
        fail('usage: real_describe.py SCENARIO WORK-DIR SCENARIO-OUT-DIR')
    scenario, work, out = sys.argv[1:]
    meta = {}
    for r in rows(work, 'meta.tsv'):
        meta[r[0]] = r[1:]

    hosts_rec = rows(work, 'hosts.tsv')
    role = {h: r for h, r, _n, _node in hosts_rec}
    netns = {h: n for h, _r, n, _node in hosts_rec}
    nodes = [h for h, r, _n, _node in hosts_rec if r in ('control-plane', 'worker')]
    network = next(h for h, r, _n, _node in hosts_rec if r == 'network')
    net_bridge = meta['underlay'][1]

    pods_rec = rows(work, 'pods.tsv')
    pod_rows = [p for p in pods_rec if p[8] == 'pod']
    pod_node = {p[0]: p[3] for p in pod_rows}
    pod_if = {p[0]: p[4] for p in pod_rows}
    pod_ip = {p[0]: p[2] for p in pod_rows}

    def ipj(host, what):
        with open(os.path.join(work, 'ipj', f'{host}.{what}.json'), encoding='utf-8') as f:
            return json.load(f)

    links = {h: ipj(h, 'link') for h in role}
    addrs = {h: ipj(h, 'addr') for h in role}
    routes = {h: ipj(h, 'route') for h in role}

    def link(host, name):
        return next((l for l in links[host] if l['ifname'] == name), None)

    peers = {}
    for a, ia, b, ib in rows(work, 'pairs.tsv'):
        peers[(a, ia)] = (b, ib)
        peers[(b, ib)] = (a, ia)
    for (a, ia), (b, ib) in peers.items():
        if link(a, ia).get('link_index') != link(b, ib)['ifindex']:
            fail(f'veth {a}/{ia} is not paired with {b}/{ib} in the kernel')

    def interfaces(host):
        by = {a['ifname']: a for a in addrs[host]}
        result = []
        for l in links[host]:
            info = l.get('linkinfo', {})
            kind = info.get('info_kind') or ('loopback' if l.get('link_type') == 'loopback' else l.get('link_type'))
            e = {'name': l['ifname'], 'kind': kind, 'ifindex': l['ifindex'], 'mtu': l['mtu'], 'mac': l.get('address'),
                 'state': l.get('operstate'), 'flags': l.get('flags', []),
                 'addresses': [f"{a['local']}/{a['prefixlen']}" for a in by.get(l['ifname'], {}).get('addr_info', [])],
                 'master': l.get('master'), 'peer': None}
            p = peers.get((host, l['ifname']))
            if p:
                e['peer'] = {'host': p[0], 'interface': p[1], 'ifindex': link(*p)['ifindex']}
            d = info.get('info_data', {})
            if kind == 'vxlan':
                e['vxlan'] = {'vni': d.get('id'), 'local': d.get('local'), 'port': d.get('port'),
                              'learning': d.get('learning'), 'device': d.get('link')}
            if kind == 'bridge':
                e['bridge'] = {'vlanFiltering': bool(d.get('vlan_filtering')), 'stp': d.get('stp_state')}
            result.append(e)
        return result

    hosts = []
    for h, r, n, node in hosts_rec:
        e = {'name': h, 'role': 'pod' if r == 'pod' else ('network' if r == 'network' else 'node'), 'netns': n}
        if r in ('control-plane', 'worker'):
            e['nodeRole'] = r
            e['folder'] = h
        elif r == 'pod':
            e['node'] = node
            e['folder'] = None
        else:
            e['folder'] = None
        e['interfaces'] = interfaces(h)
        e['routes'] = [{k: x[k] for k in ('dst', 'gateway', 'dev', 'protocol', 'scope', 'prefsrc', 'flags', 'metric', 'type') if k in x}
                       for x in routes[h]]
        hosts.append(e)

    node_addr = {}
    for n in nodes:
        node_addr[n] = next(x['local'] for e in addrs[n] if e['ifname'] == 'eth0' for x in e['addr_info'] if x['family'] == 'inet')
    owner_of_addr = {v: k for k, v in node_addr.items()}

    overlay = {}
    for n, dev, vni, port, local, mac, subnet in rows(work, 'overlay.tsv'):
        overlay[n] = {'device': dev, 'vni': int(vni), 'port': int(port), 'local': local, 'mac': mac, 'subnet': subnet,
                      'remotes': []}
    for n, subnet, vtep, mac, gw, rhost in rows(work, 'remotes.tsv'):
        owner = owner_of_addr.get(vtep)
        overlay[n]['remotes'].append({'subnet': subnet, 'vtep': vtep, 'mac': mac, 'gateway': gw,
                                      'host': owner, 'recordedFor': rhost, 'stale': owner is None})
    routed = {n: overlay[n]['device'] != 'flannel.1' for n in overlay}

    # --- captures ---------------------------------------------------------------------------
    captures, at = [], {}
    for file, host, ifc, command in rows(work, 'captures.tsv'):
        e = {'file': file, 'host': host, 'interface': ifc, 'tool': 'tcpdump', 'command': command}
        e.update(pcap_summary(os.path.join(out, file)))
        e['precision'] = 'micro'
        captures.append(e)
        at.setdefault((host, ifc), []).append(file)
    dumps = [{'file': f'{n}/{f}', 'host': n, 'command': c} for n in nodes for f, c in DUMPS.items()]
    for d in dumps:
        if not os.path.exists(os.path.join(out, d['file'])):
            fail(f'missing dump {d["file"]}')

    def hop(host, ifc, action):
        return {'host': host, 'interface': ifc, 'action': action, 'captures': list(at.get((host, ifc), []))}

    under_mtu = link(nodes[0], 'eth0')['mtu']
    frag_filter = meta.get('filter', [None])[0]

    def largest(fl):
        """Largest inner IPv4 packet a flow sends (ICMP: 28 + payload; bulk TCP: the pod's MTU)."""
        proto, sh, cmd, size = fl[1], fl[2], fl[8], fl[7]
        if proto == 'icmp':
            return 28 + int(size)
        if proto == 'tcp' and '/blob' in cmd:
            return link(sh, 'eth0')['mtu']
        return 576

    def path(src, dst, size):
        """Hops from src to dst and whether the packet arrives."""
        if src in node_addr and dst in node_addr:
            return 'host', [hop(src, 'eth0', 'send'), hop(network, net_bridge, 'bridge'), hop(dst, 'eth0', 'deliver')], 'ok', None, None
        a, b = pod_node[src], pod_node[dst]
        first = [hop(src, 'eth0', 'send')]
        if a == b:
            if routed[a]:
                return 'same-node', first + [hop(a, pod_if[src], 'route'), hop(a, pod_if[dst], 'route'), hop(dst, 'eth0', 'deliver')], 'ok', None, None
            return 'same-node', first + [hop(a, pod_if[src], 'bridge'), hop(a, 'cni0', 'bridge'), hop(a, pod_if[dst], 'bridge'),
                                         hop(dst, 'eth0', 'deliver')], 'ok', None, None
        dev = overlay[a]['device']
        if routed[a]:
            hops = first + [hop(a, pod_if[src], 'route'), hop(a, dev, 'encap')]
        else:
            hops = first + [hop(a, pod_if[src], 'bridge'), hop(a, 'cni0', 'route'), hop(a, dev, 'encap')]
        remote = next(r for r in overlay[a]['remotes'] if ipaddress.ip_address(pod_ip[dst]) in ipaddress.ip_network(r['subnet']))
        encap = {'protocol': 'udp', 'port': overlay[a]['port'], 'vni': overlay[a]['vni'], 'outerSrc': overlay[a]['local'],
                 'outerDst': remote['vtep']}
        if remote['stale']:
            # The fdb names a VTEP no node has: ARP for it goes unanswered and the datagram never leaves.
            hops.append(hop(a, 'eth0', 'drop'))
            return 'cross-node', hops, 'lost', encap, 'no ARP reply for stale VTEP ' + remote['vtep']
        rest = [hop(b, 'eth0', 'underlay'), hop(b, overlay[b]['device'], 'decap')]
        if routed[b]:
            rest += [hop(b, pod_if[dst], 'route')]
        else:
            rest += [hop(b, 'cni0', 'route'), hop(b, pod_if[dst], 'bridge')]
        rest.append(hop(dst, 'eth0', 'deliver'))
        hops.append(hop(a, 'eth0', 'underlay'))
        if frag_filter and size + 50 > under_mtu:
            encap['fragmented'] = True
            hops.append(hop(network, net_bridge, 'drop'))
            encap['absentFrom'] = sorted({c for h in rest for c in h['captures']})
            return 'cross-node', hops, 'lost', encap, f'outer datagram of {size + 50} bytes > underlay MTU {under_mtu}: fragmented, fragments dropped'
        return 'cross-node', hops + [hop(network, net_bridge, 'bridge')] + rest, 'ok', encap, None

    flows = []
    for fl in rows(work, 'flows.tsv'):
        fid, proto, sh, dh, sip, dip, dport, size, cmd, result, outcome = fl
        big = largest(fl)
        kind, hops, exp, encap, why = path(sh, dh, big)
        entry = {'id': fid, 'protocol': proto, 'src': sip, 'dst': dip, 'srcHost': sh, 'dstHost': dh, 'sport': None,
                 'dport': None if dport == '-' else int(dport), 'packets': None, 'largestPacket': big, 'kind': kind,
                 'command': cmd, 'result': result}
        if proto == 'icmp':
            entry['packets'] = int(cmd.split()[2])
        absent = encap.pop('absentFrom', []) if encap else []
        reply = None
        overall = exp
        if exp == 'ok':
            _k, rhops, rexp, rencap, rwhy = path(dh, sh, big)
            reply = {'src': dip, 'dst': sip, 'expect': rexp, 'path': rhops}
            if rencap:
                reply['encap'] = {k: v for k, v in rencap.items() if k != 'absentFrom'}
            if rexp != 'ok':
                reply['why'] = rwhy
                entry['lostIn'] = 'reply'
                overall = 'lost'
        if overall != outcome:
            fail(f'flow {fid!r}: the built path predicts {overall!r} but the traffic was {outcome!r} ({result})')
        entry['expect'] = overall
        if encap:
            entry['encap'] = encap
        if why:
            entry['why'] = why
        entry['path'] = hops
        entry['reply'] = reply
        entry['captures'] = sorted({c for h in hops + (reply['path'] if reply else []) for c in h['captures']})
        if exp == 'lost':
            entry['absentFrom'] = absent
        flows.append(entry)

    pods = []
    for name, ns, ip, node, ifn, ready, containers, _t, kind in pods_rec:
        cs = []
        for c in containers.split(','):
            cname, _, ports = c.partition(':')
            cs.append({'name': cname, 'ports': [int(ports)] if ports else []})
        e = {'name': name, 'namespace': ns, 'ip': ip, 'host': node, 'hostNetwork': kind == 'host',
             'netns': netns[name] if kind == 'pod' else netns[node], 'veth': None if kind == 'host' else ifn,
             'ready': ready, 'containers': cs}
        pods.append(e)

    underlay = {'host': network, 'bridge': net_bridge, 'gateway': meta['underlay'][2].split('/')[0],
                'subnet': str(ipaddress.ip_interface(meta['underlay'][2]).network), 'mtu': under_mtu, 'filter': None}
    if frag_filter:
        underlay['filter'] = {'rule': frag_filter, 'dropped': int((meta.get('dropped') or ['0'])[0] or 0)}
    lab = {
        'schema': 'podpath-lab/1',
        'scenario': scenario,
        'story': STORIES[scenario],
        'generator': 'samples/lab/real.sh',
        'kernel': {'release': meta['kernel'][0], 'vlanFiltering': False, 'anyLinktype': None,
                   'ipv6': True, 'offloads': 'kernel defaults'},
        'nodes': nodes,
        'hosts': hosts,
        'underlay': underlay,
        'overlay': overlay,
        'pods': pods,
        'captures': captures,
        'dumps': dumps,
        'flows': flows,
        'expect': EXPECT[scenario],
    }
    if 'stale' in meta:
        n, old_ip, old_mac, new_node, new_ip, new_mac = meta['stale']
        lab['stale'] = {'node': n, 'device': 'flannel.1', 'vtep': old_ip, 'mac': old_mac, 'replacedBy': new_node,
                        'currentVtep': new_ip, 'currentMac': new_mac}
    with open(os.path.join(out, 'lab.json'), 'w', encoding='utf-8') as f:
        json.dump(lab, f, indent=2)
        f.write('\n')

    now = int(time.time())
    head = ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']
    table = [head]
    order = sorted(pods_rec, key=lambda p: (p[1], p[0]))
    for name, ns, ip, node, _i, ready, _c, t, _k in order:
        table.append([ns, name, ready, 'Running', '0', f'{max(1, now - int(t))}s', ip, node, '<none>', '<none>'])
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    with open(os.path.join(out, 'pods.txt'), 'w', encoding='utf-8') as f:
        for r in table:
            f.write('   '.join(c if i == len(r) - 1 else c.ljust(widths[i]) for i, c in enumerate(r)) + '\n')


if __name__ == '__main__':
    main()
