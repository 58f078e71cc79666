#!/usr/bin/env python3
"""Small UDP servers and clients for samples/lab/real.sh (run inside a pod's namespace).

  real_traffic.py serve-dns PORT           answer DNS A queries for *.cluster.local (RFC 1035 wire format)
  real_traffic.py serve-echo PORT          echo every datagram back
  real_traffic.py lookup SERVER PORT N     N A lookups, each from a new socket (new source port, new id),
                                           as a resolver does; prints "<answered> of N ..."
  real_traffic.py echo SERVER PORT N       N datagrams, waits for each echo; prints "<echoed> of N ..."
"""
import random
import socket
import struct
import sys
import time

NAMES = ['web.default.svc.cluster.local', 'api.default.svc.cluster.local',
         'kubernetes.default.svc.cluster.local', 'db.default.svc.cluster.local']


def qname(name):
    return b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0'


def answer_for(name):
    # A stable ClusterIP-looking address per name.
    h = sum(name.encode()) % 250
    return bytes([10, 43, 0, h + 2])


def serve_dns(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('0.0.0.0', port))
    while True:
        q, peer = s.recvfrom(4096)
        if len(q) < 12:
            continue
        qid, _flags, qd = struct.unpack('>HHH', q[:6])
        off, labels = 12, []
        while off < len(q) and q[off] != 0:
            n = q[off]
            labels.append(q[off + 1:off + 1 + n].decode('ascii', 'replace'))
            off += 1 + n
        question = q[12:off + 5]
        qtype = struct.unpack('>H', q[off + 1:off + 3])[0] if off + 3 <= len(q) else 0
        name = '.'.join(labels)
        known = name.endswith('cluster.local')
        rcode = 0 if known else 3
        ancount = 1 if known and qtype == 1 else 0
        resp = struct.pack('>HHHHHH', qid, 0x8580 | rcode, 1, ancount, 0, 0) + question
        if ancount:
            resp += struct.pack('>HHHIH', 0xC00C, 1, 1, 5, 4) + answer_for(name)
        s.sendto(resp, peer)


def serve_echo(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('0.0.0.0', port))
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)


def lookup(server, port, n):
    ok = 0
    for i in range(n):
        name = NAMES[i % len(NAMES)]
        qid = random.randrange(65536)
        query = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0) + qname(name) + struct.pack('>HH', 1, 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1)
        s.sendto(query, (server, port))
        try:
            resp, _ = s.recvfrom(4096)
            if struct.unpack('>H', resp[:2])[0] == qid and struct.unpack('>H', resp[6:8])[0] == 1:
                ok += 1
        except socket.timeout:
            pass
        s.close()
        time.sleep(0.05)
    print(f'{ok} of {n} lookups answered')


def echo(server, port, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.5)
    ok = 0
    for i in range(n):
        s.sendto(f'ping {i}\n'.encode(), (server, port))
        try:
            s.recvfrom(65535)
            ok += 1
        except socket.timeout:
            pass
    print(f'{ok} of {n} datagrams echoed')


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'serve-dns':
        serve_dns(int(args[0]))
    elif cmd == 'serve-echo':
        serve_echo(int(args[0]))
    elif cmd == 'lookup':
        lookup(args[0], int(args[1]), int(args[2]))
    elif cmd == 'echo':
        echo(args[0], int(args[1]), int(args[2]))
    else:
        sys.exit('real_traffic.py: unknown command ' + cmd)


if __name__ == '__main__':
    main()
