#!/usr/bin/env bash
# "As users send it": the blocked-overlay incident (samples/blocked-overlay) repackaged the ways
# post-mortems really arrive: one flat folder, anonymous folder and capture names, captures only,
# dumps only, pasted terminal sessions. Only copies and renames of the committed files (and, for
# the sessions, a transcript assembled from the committed dumps): no lab run, no root needed.
#
#   usage:  bash samples/lab/variants.sh [SAMPLES-DIR]        (default: the samples/ beside this script)
#
# Writes SAMPLES-DIR/variants/blocked-overlay-{flat,renamed,captures-only,dumps-only,sessions}/,
# each deleted first, each with a variant.json: what it is, which seed incident it derives from,
# every file with the seed file it copies (and its sha256), and what a correct analyzer must answer.
set -Eeuo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SAMPLES=${1:-$LAB_DIR/..}
SAMPLES=${SAMPLES%/}
SEED=blocked-overlay
SRC="$SAMPLES/$SEED"
CP=ip-10-32-11-62
WK=ip-10-32-7-224
[ -f "$SRC/lab.json" ] || { echo "variants: $SRC/lab.json not found (run from the project, or pass the samples folder)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "variants: python3 is needed to write variant.json" >&2; exit 1; }

DUMPS=(ip-addr.txt ip-addr.json route-n.txt ip-route.txt bridge-fdb.txt ip-neigh.txt ip-d-link.txt bridge-vlan.txt hostname)
PCAPS=(eth0.pcap flannel.1.pcap cni0.pcap)
V=""            # the variant being written
MAP=""          # its file list: target \t source (relative to the seed, or "-" for a made file)

start() { # name
  V="$SAMPLES/variants/$1"
  rm -rf "$V"
  mkdir -p "$V"
  MAP=$(mktemp)
}
put() { # seed-relative-source target-relative-to-variant
  mkdir -p "$(dirname "$V/$2")"
  cp "$SRC/$1" "$V/$2"
  printf '%s\t%s\n' "$2" "$1" >>"$MAP"
}
# Write variant.json: name, description, expectation (JSON), the file map; then forget the map.
finish() { # name description expect-json
  python3 - "$V" "$MAP" "$1" "$2" "$3" "variants/$1" "$SEED" <<'EOF'
import hashlib, json, os, sys
v, mapfile, name, description, expect, rel, seed = sys.argv[1:]
files = []
with open(mapfile, encoding='utf-8') as f:
    for line in f:
        target, source = line.rstrip('\n').split('\t')
        with open(os.path.join(v, target), 'rb') as g:
            digest = hashlib.sha256(g.read()).hexdigest()
        entry = {'file': target, 'sha256': digest}
        if source.startswith('made:'):
            entry['from'] = None
            entry['madeFrom'] = source[5:].split(',')
        else:
            entry['from'] = source
        files.append(entry)
doc = {'schema': 'podpath-variant/1', 'variant': rel, 'description': description,
       'derivedFrom': 'samples/' + seed, 'generator': 'samples/lab/variants.sh',
       'files': sorted(files, key=lambda e: e['file']), 'expect': json.loads(expect)}
with open(os.path.join(v, 'variant.json'), 'w', encoding='utf-8') as f:
    json.dump(doc, f, indent=2)
    f.write('\n')
EOF
  rm -f "$MAP"
}

# 1. flat: everything in one folder, node names as prefixes with mixed separators; the worker is
#    "node2" (its hostname file and ip addr say who it is).
start blocked-overlay-flat
put pods.txt pods.txt
put "$CP/eth0.pcap" "$CP-eth0.pcap"
put "$CP/flannel.1.pcap" "$CP-flannel.1.pcap"
put "$CP/cni0.pcap" "${CP}_cni0.pcap"
put "$WK/eth0.pcap" node2_eth0.pcap
put "$WK/flannel.1.pcap" node2-flannel.1.pcap
put "$WK/cni0.pcap" node2_cni0.pcap
seps=(_ - . _ - _ . - _)
i=0
for f in "${DUMPS[@]}"; do
  put "$CP/$f" "$CP${seps[$i]}$f"
  put "$WK/$f" "node2${seps[$(( (i + 1) % ${#seps[@]} ))]}$f"
  i=$((i + 1))
done
put "$WK/session.txt" node2_session.txt
finish blocked-overlay-flat \
  "The blocked-overlay incident sent as one flat folder: every capture and dump of both nodes side by side, named <node><sep><file> with '-', '_' or '.' as the separator; the control plane is prefixed with its hostname, the worker with 'node2' (its hostname file says ip-10-32-7-224)." \
  '{"rootCause": "overlay-blocked", "sameAs": "samples/blocked-overlay", "gaps": []}'

# 2. renamed: folders node1/node2, captures capture1..3 (eth0, flannel.1, cni0 in that order).
start blocked-overlay-renamed
put pods.txt pods.txt
for pair in "node1:$CP" "node2:$WK"; do
  d=${pair%%:*}; n=${pair#*:}
  for f in "${DUMPS[@]}"; do put "$n/$f" "$d/$f"; done
  i=1
  for f in "${PCAPS[@]}"; do put "$n/$f" "$d/capture$i.pcap"; i=$((i + 1)); done
done
put "$WK/session.txt" node2/session.txt
finish blocked-overlay-renamed \
  "The blocked-overlay incident with anonymous names: folders node1 (ip-10-32-11-62) and node2 (ip-10-32-7-224), captures capture1.pcap, capture2.pcap, capture3.pcap on each (taken on eth0, flannel.1 and cni0, which the names no longer say)." \
  '{"rootCause": "overlay-blocked", "sameAs": "samples/blocked-overlay", "gaps": ["capture names do not say the interface: node1 capture1..3 must be told apart by content (outer VXLAN on eth0, inner packets on flannel.1 and cni0)", "node2/capture2.pcap and node2/capture3.pcap are empty (pcap header only): which of flannel.1 and cni0 each was taken on cannot be told"]}'

# 3. captures only, in per-node folders.
start blocked-overlay-captures-only
for n in "$CP" "$WK"; do
  for f in "${PCAPS[@]}"; do put "$n/$f" "$n/$f"; done
done
finish blocked-overlay-captures-only \
  "The blocked-overlay incident with only the captures (eth0, flannel.1, cni0 of both nodes, in folders named after the nodes): no dumps, no pods.txt." \
  '{"rootCause": "overlay-blocked", "sameAs": "samples/blocked-overlay", "gaps": ["no dumps: no addresses, routes, fdb or neighbour tables for ip-10-32-11-62 or ip-10-32-7-224 (node addresses only from the packets)", "no pods.txt: pod names unknown"]}'

# 4. dumps only (and pods.txt).
start blocked-overlay-dumps-only
put pods.txt pods.txt
for n in "$CP" "$WK"; do
  for f in "${DUMPS[@]}"; do put "$n/$f" "$n/$f"; done
done
put "$WK/session.txt" "$WK/session.txt"
finish blocked-overlay-dumps-only \
  "The blocked-overlay incident with only the dumps of both nodes and pods.txt: no captures. The dumps show a complete, consistent flannel setup; the fault (the cloud network dropping UDP 8472) leaves no trace in them." \
  '{"rootCause": null, "sameAs": "samples/blocked-overlay", "gaps": ["no captures: whether packets cross the underlay (and so whether UDP 8472 is blocked) cannot be judged"]}'

# 5. sessions: one pasted terminal session per node (root prompt, CRLF as copied from a Windows
#    terminal) with hostname, ip addr show, ip route, route -n, bridge fdb show, ip neigh; plus the
#    captures with plain names.
start blocked-overlay-sessions
for n in "$CP" "$WK"; do
  mkdir -p "$V/$n"
  prompt="root@$n:~# "
  {
    printf '%shostname\n' "$prompt"; cat "$SRC/$n/hostname"
    printf '%sip addr show\n' "$prompt"; cat "$SRC/$n/ip-addr.txt"
    printf '%sip route\n' "$prompt"; cat "$SRC/$n/ip-route.txt"
    printf '%sroute -n\n' "$prompt"; cat "$SRC/$n/route-n.txt"
    printf '%sbridge fdb show\n' "$prompt"; cat "$SRC/$n/bridge-fdb.txt"
    printf '%sip neigh\n' "$prompt"; cat "$SRC/$n/ip-neigh.txt"
    printf '%s\n' "$prompt"
  } | sed 's/$/\r/' >"$V/$n/session.log"
  printf '%s\t%s\n' "$n/session.log" "made:$n/hostname,$n/ip-addr.txt,$n/ip-route.txt,$n/route-n.txt,$n/bridge-fdb.txt,$n/ip-neigh.txt" >>"$MAP"
  for f in "${PCAPS[@]}"; do put "$n/$f" "$n/$f"; done
done
finish blocked-overlay-sessions \
  "The blocked-overlay incident as pasted terminal sessions: per node, session.log is what 'root@<node>:~#' printed for hostname, ip addr show, ip route, route -n, bridge fdb show and ip neigh, with CRLF line endings; beside it the node's eth0.pcap, flannel.1.pcap and cni0.pcap." \
  '{"rootCause": "overlay-blocked", "sameAs": "samples/blocked-overlay", "gaps": ["no ip -d link show: flannel.1 VXLAN id and port are not in the dumps (the captures show UDP 8472)", "no pods.txt: pod names unknown"]}'

chmod -R a+rX "$SAMPLES/variants"
echo "variants: wrote $(find "$SAMPLES/variants" -name variant.json | wc -l) variants under $SAMPLES/variants" >&2
