#!/usr/bin/env python3
"""A Geneve tunnel endpoint in user space, for kernels built without CONFIG_GENEVE (used by cilium.sh).

usage: geneve-tap.py DEVICE LOCAL-IP READY-FILE

Creates the tap device DEVICE (the node's `cilium_geneve`) and bridges it to UDP 6081 on LOCAL-IP:

- a frame the kernel routes out of DEVICE is wrapped in an 8-byte Geneve header (version 0, no
  options, protocol 0x6558 = Ethernet) and sent to the tunnel endpoint with a raw IPPROTO_UDP
  socket, so the kernel adds the outer IPv4 header and routes it out of the node's eth0. The VNI and
  the endpoint are the ones of the kernel route that sent the frame there: `ip route` on DEVICE
  carries them as a lightweight-tunnel encap (`encap ip id VNI dst ENDPOINT`), which is what a
  metadata-mode geneve device would read per packet. The UDP source port is a hash of the inner
  flow, in the ephemeral range, as the kernel's geneve driver does; the UDP checksum is zero (the
  driver's IPv4 default).
- a Geneve datagram that arrives on UDP 6081 is checked (version 0, protocol 0x6558), stripped and
  its inner frame written into DEVICE, where the kernel receives it as if the geneve device had
  decapsulated it.

Frames with no encap route (multicast, IPv6 neighbour discovery towards the tunnel, unknown
destinations) are dropped, as a metadata-mode device with no tunnel key drops them. On SIGTERM or
SIGINT it writes its counters to stdout and exits.
"""
import fcntl
import ipaddress
import os
import re
import selectors
import signal
import socket
import struct
import subprocess
import sys
import zlib

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
GENEVE_PORT = 6081
ETH_P_TEB = 0x6558
ROUTE_RE = re.compile(r'^(\S+)\s+encap ip id (\d+) src \S+ dst (\S+)')


def main():
    if len(sys.argv) != 4:
        print('usage: geneve-tap.py DEVICE LOCAL-IP READY-FILE', file=sys.stderr)
        sys.exit(2)
    dev, local, ready = sys.argv[1:]
    tap = os.open('/dev/net/tun', os.O_RDWR)
    fcntl.ioctl(tap, TUNSETIFF, struct.pack('16sH', dev.encode(), IFF_TAP | IFF_NO_PI))
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind((local, GENEVE_PORT))
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    tx.bind((local, 0))
    # tx also receives a copy of every incoming UDP datagram; it is never read, keep it small.
    tx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    lo, hi = (int(x) for x in open('/proc/sys/net/ipv4/ip_local_port_range').read().split())
    stats = {'encapsulated': 0, 'decapsulated': 0, 'dropped-no-route': 0, 'dropped-multicast': 0,
             'dropped-bad-geneve': 0}
    vnis = {}
    routes = []

    def load_routes():
        routes.clear()
        for fam in ('-4', '-6'):
            out = subprocess.run(['ip', fam, 'route', 'show', 'dev', dev], capture_output=True, text=True).stdout
            for line in out.splitlines():
                m = ROUTE_RE.match(line)
                if m:
                    routes.append((ipaddress.ip_network(m.group(1)), int(m.group(2)), m.group(3)))
        routes.sort(key=lambda r: -r[0].prefixlen)

    def lookup(addr):
        for net, vni, dst in routes:
            if addr.version == net.version and addr in net:
                return vni, dst
        return None

    def inner_flow(frame):
        # (inner destination, flow key): addresses, protocol, and the ports of TCP and UDP.
        etype = struct.unpack('!H', frame[12:14])[0]
        if etype == 0x0800 and len(frame) >= 34:
            l4 = 14 + (frame[14] & 0x0F) * 4
            proto = frame[23]
            ports = frame[l4:l4 + 4] if proto in (6, 17) else b''
            return ipaddress.IPv4Address(frame[30:34]), frame[26:34] + bytes([proto]) + ports
        if etype == 0x86DD and len(frame) >= 54:
            proto = frame[20]
            ports = frame[54:58] if proto in (6, 17) else b''
            return ipaddress.IPv6Address(frame[38:54]), frame[22:54] + bytes([proto]) + ports
        return None, None

    def from_tap():
        frame = os.read(tap, 65536)
        if len(frame) < 14:
            return
        if frame[0] & 1:
            stats['dropped-multicast'] += 1
            return
        dst, key = inner_flow(frame)
        hit = lookup(dst) if dst is not None else None
        if hit is None and dst is not None:
            load_routes()
            hit = lookup(dst)
        if hit is None:
            stats['dropped-no-route'] += 1
            return
        vni, endpoint = hit
        sport = lo + zlib.crc32(key) % (hi - lo + 1)
        geneve = struct.pack('!BBHI', 0, 0, ETH_P_TEB, vni << 8)
        udp = struct.pack('!HHHH', sport, GENEVE_PORT, 8 + len(geneve) + len(frame), 0)
        tx.sendto(udp + geneve + frame, (endpoint, 0))
        stats['encapsulated'] += 1
        vnis[('out', vni, endpoint)] = vnis.get(('out', vni, endpoint), 0) + 1

    def from_udp():
        data, peer = rx.recvfrom(65536)
        if len(data) < 8 + 14:
            stats['dropped-bad-geneve'] += 1
            return
        b0, _flags, proto, vni_word = struct.unpack('!BBHI', data[:8])
        if b0 >> 6 != 0 or proto != ETH_P_TEB:
            stats['dropped-bad-geneve'] += 1
            return
        optlen = (b0 & 0x3F) * 4
        os.write(tap, data[8 + optlen:])
        stats['decapsulated'] += 1
        key = ('in', vni_word >> 8, peer[0])
        vnis[key] = vnis.get(key, 0) + 1

    def stop(_sig, _frm):
        parts = [f'{k}={v}' for k, v in stats.items()]
        parts += [f'{d} vni {v} {"to" if d == "out" else "from"} {p}: {n}' for (d, v, p), n in sorted(vnis.items())]
        print(f'geneve-tap {dev}: ' + ', '.join(parts), flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sel = selectors.DefaultSelector()
    sel.register(tap, selectors.EVENT_READ, from_tap)
    sel.register(rx, selectors.EVENT_READ, from_udp)
    with open(ready, 'w', encoding='utf-8') as f:
        f.write('ready\n')
    while True:
        for key, _ev in sel.select():
            key.data()


if __name__ == '__main__':
    main()
