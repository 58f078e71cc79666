#!/usr/bin/env python3
"""Writes lab.json and the kubectl-format listings for the "services" scenario (called by services.sh).

usage: describe_services.py SCRATCH-DIR SCENARIO-OUT-DIR

Reads what services.sh recorded (hosts, veth pairs, pods, Services and endpoints, kube-proxy's
chain names, the flows with the backend and NAT conntrack reported, `ip -j` views) and derives the
hop-by-hop path of every flow, with the addresses a capture at each hop shows. The schema is
podpath-lab/1 (see samples/README.md), extended additively with `services`, per-flow `service`,
`backend`, `nat` and per-hop `seen`, and a scenario-level `expect`.
"""
import ipaddress
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in samples/lab
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from describe import SCHEMA, capture_info, fail, tsv  # noqa: E402  (the seed lab's readers)

STORY = (
    "A Service is only iptables rules (kube-proxy, iptables mode, the same rules on every node). "
    "Pod 'client' on the control plane curls the ClusterIP 10.43.0.50:80 of default/web: nat "
    "PREROUTING -> KUBE-SERVICES -> KUBE-SVC-* picks an endpoint with '-m statistic --mode random "
    "--probability 0.5' and KUBE-SEP-* DNATs to it, on the client's node, before routing: the pod on "
    "the worker (10.42.1.12:8080) is reached through flannel.1 with the post-DNAT address and the "
    "client's own TCP sequence numbers, the pod on the same node (10.42.0.9:8080) over cni0. A DNS "
    "query to kube-dns 10.43.0.10:53/udp goes the same way to the worker. default/empty "
    "(10.43.0.60:80) has no endpoints: kube-proxy's filter rule 'default/empty:http has no "
    "endpoints' REJECTs the SYN and the node answers ICMP port unreachable (curl: couldn't connect). "
    "A host on the VPC that is not a node (admin, 10.32.0.5) curls the NodePort 10.32.11.62:30080: "
    "KUBE-NODEPORTS -> KUBE-EXT-* marks the connection for masquerade, the DNAT sends it to a web "
    "pod and KUBE-POSTROUTING MASQUERADEs it, so the worker's pod sees the control plane's "
    "flannel.1 address 10.42.0.0 as the source (10.42.0.1, cni0's, for the local pod).")

DUMP_COMMANDS_FILES = {'pods.txt': 'kubectl get pods -A -o wide', 'svc.txt': 'kubectl get svc -A -o wide',
                       'endpoints.txt': 'kubectl get endpoints -A',
                       'endpointslices.txt': 'kubectl get endpointslices -A'}


def kubectl_table(rows):
    """kubectl's tabular printer: columns left-aligned, separated by at least three spaces."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ''.join('   '.join(c.ljust(widths[i]) if i < len(r) - 1 else c for i, c in enumerate(r)).rstrip() + '\n'
                   for r in rows)


def age(seconds):
    seconds = max(1, int(seconds))
    if seconds < 120:
        return f'{seconds}s'
    if seconds < 600:
        return f'{seconds // 60}m{seconds % 60}s' if seconds % 60 else f'{seconds // 60}m'
    return f'{seconds // 60}m'


def main():
    if len(sys.argv) != 3:
        fail('usage: describe_services.py SCRATCH-DIR SCENARIO-OUT-DIR')
    sc, out = sys.argv[1:]
    meta = {k: v for k, v in tsv(os.path.join(sc, 'meta.tsv'))}
    hosts_rec = tsv(os.path.join(sc, 'hosts.tsv'))
    role_of = {h: r for h, r, _n, _node in hosts_rec}
    netns_of = {h: n for h, _r, n, _node in hosts_rec}
    pods_rec = tsv(os.path.join(sc, 'pods.tsv'))
    pod_by_ip = {p[2]: p for p in pods_rec}
    node_of = {p[0]: p[3] for p in pods_rec}
    veth_of = {p[0]: p[4] for p in pods_rec}
    nodes = [h for h, r, _n, _node in hosts_rec if r in ('control-plane', 'worker')]

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
            entry = {'name': link['ifname'], 'kind': kind, 'ifindex': link['ifindex'], 'mtu': link['mtu'],
                     'mac': link.get('address'), 'state': link.get('operstate'), 'flags': link.get('flags', []),
                     'addresses': [f"{a['local']}/{a['prefixlen']}" for a in by_addr.get(link['ifname'], {}).get('addr_info', [])],
                     'master': link.get('master'), 'peer': None}
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

    def iface(host, name):
        return next((i for i in interfaces(host) if i['name'] == name), None)

    def v4(host, name):
        return [a.split('/')[0] for a in (iface(host, name) or {'addresses': []})['addresses'] if ':' not in a]

    hosts = []
    for h, r, n, node in hosts_rec:
        entry = {'name': h, 'netns': n}
        if r in ('control-plane', 'worker'):
            entry.update(role='node', nodeRole=r, folder=h)
        elif r == 'pod':
            entry.update(role='pod', node=node, folder=None)
        elif r == 'external':
            # Additive: a machine on the underlay that is not a node (no kube-proxy, no overlay).
            entry.update(role='external', folder=None)
        else:
            entry.update(role='network', folder=None)
        entry['interfaces'] = interfaces(h)
        entry['routes'] = [{k: x[k] for k in ('dst', 'gateway', 'dev', 'protocol', 'scope', 'prefsrc', 'flags', 'metric') if k in x}
                           for x in routes[h]]
        hosts.append(entry)

    overlay = {}
    for n in nodes:
        fl = iface(n, 'flannel.1')
        remotes = []
        for r in routes[n]:
            if r.get('dev') != 'flannel.1' or 'gateway' not in r:
                continue
            peer = next(m for m in nodes if m != n and r['gateway'] in v4(m, 'flannel.1'))
            remotes.append({'subnet': r['dst'], 'vtep': iface(peer, 'flannel.1')['vxlan']['local'],
                            'mac': iface(peer, 'flannel.1')['mac'], 'gateway': r['gateway'], 'host': peer})
        overlay[n] = {'device': 'flannel.1', 'vni': fl['vxlan']['vni'], 'port': fl['vxlan']['port'],
                      'local': fl['vxlan']['local'], 'mac': fl['mac'],
                      'subnet': str(ipaddress.ip_interface(f"{v4(n, 'cni0')[0]}/24").network), 'remotes': remotes}

    pods = []
    for name, ns, ip, node, veth, ready, containers, _created in pods_rec:
        cs = []
        for c in containers.split(','):
            cname, _, port = c.partition(':')
            cs.append({'name': cname, 'ports': [int(port)] if port else []})
        pods.append({'name': name, 'namespace': ns, 'ip': ip, 'host': node, 'netns': netns_of[name],
                     'veth': veth, 'ready': ready, 'containers': cs})

    # --- Services, as kube-proxy saw them ------------------------------------------------------
    chains = tsv(os.path.join(sc, 'chains.tsv'))
    eps_rec = tsv(os.path.join(sc, 'endpoints.tsv'))
    services = []
    with open(os.path.join(sc, 'services.txt'), encoding='utf-8') as f:
        svc_lines = [l.split() for l in f if l.strip()]
    for ns, name, typ, cip, sel, ports in svc_lines:
        plist = []
        for p in ports.split(','):
            pname, proto, port, tport, *nport = p.split('/')
            key = f'{ns}/{name}:{pname}'
            mine = [c for c in chains if c[0] == key]
            entry = {'name': pname, 'protocol': proto.upper(), 'port': int(port), 'targetPort': int(tport)}
            if nport:
                entry['nodePort'] = int(nport[0])
            entry['chains'] = {
                'svc': mine[0][2] if mine and mine[0][2] != '-' else None,
                'ext': mine[0][3] if mine and len(mine[0]) > 3 and mine[0][3] != '-' else None,
                'sep': {c[4]: c[5] for c in mine if len(c) > 5},
            }
            plist.append(entry)
        eps = []
        for k, ip, tport, pod, host in eps_rec:
            if k == f'{ns}/{name}':
                eps.append({'ip': ip, 'port': int(tport), 'pod': None if pod == '-' else pod, 'host': host})
        services.append({'namespace': ns, 'name': name, 'type': typ, 'clusterIP': cip,
                         'selector': None if sel == '<none>' else sel, 'ports': plist, 'endpoints': eps})

    def service_port(key):
        nsname, pname = key.split(':')
        ns, name = nsname.split('/')
        svc = next(s for s in services if s['namespace'] == ns and s['name'] == name)
        return svc, next(p for p in svc['ports'] if p['name'] == pname)

    # --- captures and dumps --------------------------------------------------------------------
    captures, caps_at = [], {}
    for file, host, ifc, tool, command in tsv(os.path.join(sc, 'captures.tsv')):
        entry = {'file': file, 'host': host, 'interface': ifc, 'tool': tool, 'command': command}
        entry.update(capture_info(os.path.join(out, file)))
        captures.append(entry)
        caps_at.setdefault((host, ifc), []).append(file)
    dumps = [{'file': file, 'host': host, 'command': command} for file, host, command in tsv(os.path.join(sc, 'dumps.tsv'))]
    for file, command in DUMP_COMMANDS_FILES.items():
        dumps.append({'file': file, 'host': None, 'command': command + ' (written by the lab in kubectl\'s format)'})

    # --- paths ---------------------------------------------------------------------------------
    def tup(src, sport, dst, dport):
        return {'src': src, 'sport': sport, 'dst': dst, 'dport': dport}

    def hop(host, ifc, action, seen):
        return {'host': host, 'interface': ifc, 'action': action, 'seen': seen, 'captures': caps_at.get((host, ifc), [])}

    def pod_out(pod, seen):
        """From a pod to its node's bridge."""
        return [hop(pod, 'eth0', 'send', seen), hop(node_of[pod], veth_of[pod], 'bridge', seen)]

    def pod_in(pod, seen):
        return [hop(node_of[pod], veth_of[pod], 'bridge', seen), hop(pod, 'eth0', 'deliver', seen)]

    def overlay_hops(a, b, seen, first='encap', last='decap'):
        return [hop(a, 'flannel.1', first, seen), hop(a, 'eth0', 'underlay', seen), hop('aws-vpc', 'vpc0', 'bridge', seen),
                hop(b, 'eth0', 'underlay', seen), hop(b, 'flannel.1', last, seen)]

    def encap(a, b):
        return {'protocol': 'udp', 'port': overlay[a]['port'], 'vni': overlay[a]['vni'],
                'outerSrc': overlay[a]['local'], 'outerDst': overlay[b]['local']}

    flows = []
    for (fid, proto, sh, sip, sport, dip, dport, key, bip, bport, mip, mport, command, result,
         outcome) in tsv(os.path.join(sc, 'flows.tsv')):
        sport = None if sport == '-' else int(sport)
        dport = int(dport)
        svc, port = service_port(key)
        service = {'namespace': svc['namespace'], 'name': svc['name'], 'port': port['port'], 'protocol': port['protocol'],
                   'clusterIP': svc['clusterIP'], 'portName': port['name']}
        if 'nodePort' in port:
            service['nodePort'] = port['nodePort']
        via_node_port = dip != svc['clusterIP']
        # The node that translates: the client pod's node, or the node whose address was dialled.
        xnode = node_of[sh] if role_of[sh] == 'pod' else next(n for n in nodes if dip in v4(n, 'eth0'))
        flow = {'id': fid, 'protocol': proto, 'src': sip, 'dst': dip, 'srcHost': sh, 'sport': sport, 'dport': dport,
                'packets': None, 'kind': 'service-node-port' if via_node_port else 'service-cluster-ip',
                'command': command, 'result': result, 'service': service}
        orig = tup(sip, sport, dip, dport)
        if outcome == 'rejected':
            if svc['endpoints']:
                fail(f'flow {fid!r} was rejected but {key} has endpoints')
            gw = v4(xnode, 'cni0')[0]
            # The SYN crosses the bridge and is routed (default route): filter FORWARD ->
            # KUBE-SERVICES REJECT; the node answers from the address it received the SYN on.
            path = pod_out(sh, orig) + [hop(xnode, 'cni0', 'reject', orig)]
            icmp = {'src': gw, 'dst': sip, 'icmp': {'type': 3, 'code': 3, 'name': 'port unreachable'}, 'quotes': orig}
            rpath = [hop(xnode, 'cni0', 'send', icmp)] + pod_in(sh, icmp)
            flow.update(dstHost=None, backend=None, nat=[], expect='rejected', path=path,
                        reply={'protocol': 'icmp', 'src': gw, 'dst': sip, 'expect': 'ok', 'path': rpath})
        else:
            if outcome != 'ok':
                fail(f'flow {fid!r}: outcome {outcome!r}')
            bpod = pod_by_ip.get(bip)
            if not bpod or not any(e['ip'] == bip and e['port'] == int(bport) for e in svc['endpoints']):
                fail(f'flow {fid!r}: conntrack backend {bip}:{bport} is not an endpoint of {key}')
            bport = int(bport)
            bname, bhost = bpod[0], bpod[3]
            src2, sport2 = (sip, sport) if mip == '-' else (mip, int(mport))
            nat = [{'type': 'dnat', 'host': xnode, 'from': {'ip': dip, 'port': dport}, 'to': {'ip': bip, 'port': bport}}]
            if mip != '-':
                nat.append({'type': 'masquerade', 'host': xnode, 'from': {'ip': sip, 'port': sport},
                            'to': {'ip': mip, 'port': int(mport)}})
            post = tup(src2, sport2, bip, bport)           # the request after the NAT
            rraw = tup(bip, bport, src2, sport2)           # the backend's answer
            rhalf = tup(bip, bport, sip, sport)            # answer with the masquerade undone only
            rfinal = tup(dip, dport, sip, sport)           # what the client gets back
            same = bhost == xnode
            if role_of[sh] == 'pod':
                # br_netfilter runs nat PREROUTING when the frame enters the bridge from the
                # client's veth, so cni0 already shows the DNATed destination.
                if same:
                    # Bridged DNAT: the backend is on the same bridge; the request and the answer
                    # are bridged between the two veths (the promiscuous cni0 sees them, NATed),
                    # and the answer gets its source back at the bridge's POSTROUTING.
                    path = pod_out(sh, orig) + [hop(xnode, 'cni0', 'nat', post)] + pod_in(bname, post)
                    rpath = pod_out(bname, rraw) + [hop(xnode, 'cni0', 'nat', rraw)] + pod_in(sh, rfinal)
                    enc = None
                else:
                    path = (pod_out(sh, orig) + [hop(xnode, 'cni0', 'nat', post)] + overlay_hops(xnode, bhost, post)
                            + [hop(bhost, 'cni0', 'route', post)] + pod_in(bname, post))
                    rpath = (pod_out(bname, rraw) + [hop(bhost, 'cni0', 'route', rraw)] + overlay_hops(bhost, xnode, rraw)
                             + [hop(xnode, 'cni0', 'nat', rfinal)] + pod_in(sh, rfinal))
                    enc = encap(xnode, bhost)
            else:
                # From the underlay: arrives on the node's eth0 (nat PREROUTING: DNAT), leaves
                # through flannel.1 or cni0 after POSTROUTING (MASQUERADE).
                first = [hop(sh, 'eth0', 'send', orig), hop('aws-vpc', 'vpc0', 'bridge', orig), hop(xnode, 'eth0', 'nat', orig)]
                last = [hop(xnode, 'eth0', 'nat', rfinal), hop('aws-vpc', 'vpc0', 'bridge', rfinal), hop(sh, 'eth0', 'deliver', rfinal)]
                if same:
                    path = first + [hop(xnode, 'cni0', 'route', post)] + pod_in(bname, post)
                    # The answer enters cni0 through the bridge port: br_netfilter's PREROUTING
                    # has restored the destination, the source is restored at POSTROUTING.
                    rpath = pod_out(bname, rraw) + [hop(xnode, 'cni0', 'route', rhalf)] + last
                    enc = None
                else:
                    path = first + overlay_hops(xnode, bhost, post) + [hop(bhost, 'cni0', 'route', post)] + pod_in(bname, post)
                    rpath = (pod_out(bname, rraw) + [hop(bhost, 'cni0', 'route', rraw)]
                             + overlay_hops(bhost, xnode, rraw) + last)
                    enc = encap(xnode, bhost)
            flow.update(dstHost=bname, backend={'ip': bip, 'port': bport, 'pod': bname, 'host': bhost}, nat=nat,
                        expect='ok', path=path, reply={'src': bip, 'dst': src2, 'expect': 'ok', 'path': rpath})
            if enc:
                flow['encap'] = enc
                flow['reply']['encap'] = encap(bhost, xnode)
        seen = []
        for h in flow['path'] + flow['reply']['path']:
            for c in h['captures']:
                if c not in seen:
                    seen.append(c)
        flow['captures'] = seen
        flows.append(flow)

    backends_seen = {f['backend']['ip'] for f in flows if f['kind'] == 'service-cluster-ip' and f['backend']
                     and f['service']['name'] == 'web'}
    web = next(s for s in services if s['name'] == 'web')
    if backends_seen != {e['ip'] for e in web['endpoints']}:
        fail(f'the ClusterIP flows reached {sorted(backends_seen)}, not every endpoint of default/web')

    lab = {
        'schema': SCHEMA,
        'scenario': 'services',
        'story': STORY,
        'generator': 'samples/lab/services.sh',
        'kernel': {'release': meta.get('kernel'), 'vlanFiltering': meta.get('vlan_filtering') == 'yes', 'anyLinktype': None},
        'nodes': nodes,
        'hosts': hosts,
        'underlay': {'host': 'aws-vpc', 'bridge': 'vpc0', 'gateway': '10.32.0.1', 'subnet': '10.32.0.0/20', 'filter': None},
        'overlay': overlay,
        'pods': pods,
        'kubeProxy': {'mode': 'iptables', 'iptables': meta.get('iptables'), 'clusterCIDR': '10.42.0.0/16',
                      'serviceCIDR': '10.43.0.0/16', 'masqueradeMark': '0x4000/0x4000',
                      'chainHashes': 'computed as kube-proxy does: base32(sha256(servicePortName + protocol [+ endpoint]))[:16]',
                      'rulesOn': nodes},
        'services': services,
        'captures': captures,
        'dumps': dumps,
        'flows': flows,
        'expect': {
            'rootCause': 'service-no-endpoints',
            'notes': ('default/empty (ClusterIP 10.43.0.60:80, selector app=empty) matches no pod: its Endpoints '
                      'are <none> and its EndpointSlice has no endpoints, so kube-proxy installs only the filter '
                      'rule "default/empty:http has no endpoints" -j REJECT; the client\'s SYN to 10.43.0.60:80 '
                      'is answered by ICMP port unreachable from 10.42.0.1 (the control plane\'s cni0) and curl '
                      'reports "Couldn\'t connect to server". default/web and kube-dns work: their flows show the '
                      'DNAT (and for the NodePort the MASQUERADE) on the control plane.'),
        },
    }
    with open(os.path.join(out, 'lab.json'), 'w', encoding='utf-8') as f:
        json.dump(lab, f, indent=2)
        f.write('\n')

    # --- kubectl-format listings ---------------------------------------------------------------
    now = int(time.time())
    created = int(meta.get('services_created', now))
    rows = [['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']]
    for name, ns, ip, node, _veth, ready, _c, t in sorted(pods_rec, key=lambda p: (p[1], p[0])):
        rows.append([ns, name, ready, 'Running', '0', age(now - int(t)), ip, node, '<none>', '<none>'])
    write(out, 'pods.txt', kubectl_table(rows))

    def svc_age(s):
        # kubernetes and kube-dns are as old as the cluster.
        return '5d3h' if s['name'] in ('kubernetes', 'kube-dns') else age(now - created)
    rows = [['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']]
    for s in sorted(services, key=lambda s: (s['namespace'], s['name'])):
        ports = ','.join((f"{p['port']}:{p['nodePort']}" if 'nodePort' in p else str(p['port'])) + '/' + p['protocol']
                         for p in s['ports'])
        rows.append([s['namespace'], s['name'], s['type'], s['clusterIP'], '<none>', ports, svc_age(s), s['selector'] or '<none>'])
    write(out, 'svc.txt', kubectl_table(rows))

    rows = [['NAMESPACE', 'NAME', 'ENDPOINTS', 'AGE']]
    for s in sorted(services, key=lambda s: (s['namespace'], s['name'])):
        # One address:port per Service port and endpoint address (kube-dns: 53 for udp and tcp).
        ips = sorted({e['ip'] for e in s['endpoints']}, key=ipaddress.ip_address)
        eps = [f'{ip}:{p["targetPort"]}' for p in sorted(s['ports'], key=lambda p: p['targetPort']) for ip in ips]
        text = ','.join(eps) if eps else '<none>'
        # kubectl shows at most three endpoints and counts the rest.
        if len(eps) > 3:
            text = ','.join(eps[:3]) + f' + {len(eps) - 3} more...'
        rows.append([s['namespace'], s['name'], text, svc_age(s)])
    write(out, 'endpoints.txt', kubectl_table(rows))

    rows = [['NAMESPACE', 'NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']]
    for s in sorted(services, key=lambda s: (s['namespace'], s['name'])):
        # The EndpointSlice controller names slices <service>-<5 random characters> (the
        # apiserver's own slice for "kubernetes" is named after the Service).
        suffix = '' if s['name'] == 'kubernetes' else '-' + slice_suffix(s['namespace'] + '/' + s['name'])
        if s['endpoints']:
            ports = ','.join(str(p['targetPort']) for p in s['ports'])
            ips = ','.join(sorted({e['ip'] for e in s['endpoints']}, key=ipaddress.ip_address))
        else:
            ports, ips = '<unset>', '<unset>'
        rows.append([s['namespace'], s['name'] + suffix, 'IPv4', ports, ips, svc_age(s)])
    write(out, 'endpointslices.txt', kubectl_table(rows))


def slice_suffix(label):
    import hashlib
    alphabet = 'bcdfghjklmnpqrstvwxz2456789'  # the apiserver's generateName alphabet
    h = hashlib.sha256(label.encode()).digest()
    return ''.join(alphabet[b % len(alphabet)] for b in h[:5])


def write(out, name, text):
    with open(os.path.join(out, name), 'w', encoding='utf-8') as f:
        f.write(text)


if __name__ == '__main__':
    main()
