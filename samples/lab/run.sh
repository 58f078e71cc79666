#!/usr/bin/env bash
# podpath namespace lab.
#
# Rebuilds the two-node k3s/flannel cluster of the seed blog post inside Linux network namespaces
# (control plane ip-10-32-11-62, worker ip-10-32-7-224, an "aws-vpc" namespace as the cloud
# network between them), drives a little pod traffic per scenario and records what the blog post
# recorded: tcpdump captures, `ip addr show`, `route -n`, `bridge vlan`, `kubectl get pods -o wide`.
#
#   usage (as root):  bash samples/lab/run.sh OUTDIR [scenario...]
#   scenarios:        intra-pod same-node cross-node blocked-overlay   (default: all four)
#                     blocked-overlay-node-iptables (on request: the worker's own iptables INPUT
#                     drops UDP 8472; samples/variants/ keeps it)
#
# Each scenario is written to OUTDIR/<scenario>/ (deleted first): one folder per node (named after
# the node), a folder per pod only where the scenario says so, pods.txt, and lab.json (what was
# built and every flow driven, with the hop-by-hop path it must take; see samples/README.md).
# Everything the lab creates lives in namespaces named pp<pid>-*; all of it (namespaces, links,
# captures and servers still running) is removed on exit, error or interrupt.
set -Eeuo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=samples/lab/lib.sh
. "$LAB_DIR/lib.sh"
ALL_SCENARIOS=(intra-pod same-node cross-node blocked-overlay)
EXTRA_SCENARIOS=(blocked-overlay-node-iptables)

usage() {
  echo "usage: bash samples/lab/run.sh OUTDIR [${ALL_SCENARIOS[*]}]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
OUT=${1%/}
shift
[ -n "$OUT" ] || usage
if [ $# -eq 0 ]; then set -- "${ALL_SCENARIOS[@]}"; fi
for s in "$@"; do
  case " ${ALL_SCENARIOS[*]} ${EXTRA_SCENARIOS[*]} " in
    *" $s "*) ;;
    *) echo "lab: unknown scenario '$s'" >&2; usage ;;
  esac
done
SCENARIOS=("$@")

if [ "$(id -u)" != 0 ]; then
  echo "lab: must run as root (network namespaces, veth, bridges, vxlan)" >&2
  exit 1
fi

# --- tools ---------------------------------------------------------------------------------------
need=(ip:iproute2 bridge:iproute2 ss:iproute2 tcpdump:tcpdump dumpcap:tshark iptables:iptables
      ping:iputils-ping netstat:net-tools route:net-tools curl:curl python3:python3 gzip:gzip
      md5sum:coreutils)
missing=()
for pair in "${need[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2046
  apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
fi
PY=$(python3 -c 'import sys; print(sys.executable)')

# --- state and cleanup ---------------------------------------------------------------------------
P="pp$$-"                                   # prefix of every namespace this run creates
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/podpath-lab.XXXXXX")
declare -A NS=()                            # host (node, pod, aws-vpc) -> netns name
declare -A LIVE=()                          # pids of background processes we started
CAPS=()                                     # running captures: pid
declare -A CAPLOG=()                        # capture pid -> "stderr-log|file"
VLAN_FILTERING=unknown

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR

# --- helpers -------------------------------------------------------------------------------------

ns_add() { # host netns role [node]
  local h=$1 n=$2 role=$3 node=${4:-}
  ip netns add "$n"
  NS[$h]=$n
  # Quiet IPv6 (no router solicitations, fast MLD reports) so captures hold the lab's traffic;
  # link-local addresses stay, as on the seed's nodes.
  ip netns exec "$n" sysctl -qw net.ipv6.conf.default.router_solicitations=0 \
    net.ipv6.conf.all.router_solicitations=0 \
    net.ipv6.conf.default.mldv2_unsolicited_report_interval=100 \
    net.ipv6.conf.default.mldv1_unsolicited_report_interval=100
  ip -n "$n" link set lo up
  printf '%s\t%s\t%s\t%s\n' "$h" "$role" "$n" "$node" >>"$SC/hosts.tsv"
}

declare -A NODE_IP=() NODE_X=() NODE_FMAC=()
build_node() { # name role eth0-ip eth0-mac flannel-mac cni0-mac subnet-index
  local h=$1 role=$2 ip=$3 emac=$4 fmac=$5 cmac=$6 x=$7
  local port="eni-${ip#10.32.}"
  port=${port//./-}
  ns_add "$h" "${P}$h" "$role"
  local n=${NS[$h]} v=${NS[aws-vpc]}
  NODE_IP[$h]=$ip; NODE_X[$h]=$x; NODE_FMAC[$h]=$fmac
  ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
  # eth0 (the instance's ENI) is one end of a veth pair whose other end is a port of vpc0.
  ip -n "$n" link add eth0 address "$emac" mtu 9001 type veth \
    peer name "$port" netns "$v" address "$(mac_of "aws-vpc/$port")" mtu 9001
  pair_rec "$h" eth0 aws-vpc "$port"
  ip -n "$v" link set "$port" master vpc0 up
  ip -n "$n" addr add "$ip/20" brd + dev eth0 valid_lft 3600 preferred_lft 3600
  ip -n "$n" link set eth0 up
  ip -n "$n" route add default via 10.32.0.1 dev eth0
  ip -n "$n" route add 169.254.169.254 dev eth0
  # flannel's VXLAN device, exactly as flanneld creates it.
  ip -n "$n" link add flannel.1 address "$fmac" mtu 8951 type vxlan id 1 local "$ip" dev eth0 dstport 8472 nolearning
  ip -n "$n" addr add "10.42.$x.0/32" dev flannel.1
  ip -n "$n" link set flannel.1 up
  # cni0, the bridge plugin's bridge, with the node's pod subnet gateway.
  ip -n "$n" link add cni0 address "$cmac" mtu 8951 type bridge
  if ip -n "$n" link set cni0 type bridge vlan_filtering 1 2>/dev/null; then
    VLAN_FILTERING=yes
  else
    VLAN_FILTERING=no
  fi
  ip -n "$n" addr add "10.42.$x.1/24" brd + dev cni0
  ip -n "$n" link set cni0 up
  if [ "$role" = control-plane ]; then
    # The seed's control plane also runs docker: an idle docker0 (route 172.17.0.0/16, linkdown).
    ip -n "$n" link add docker0 address 02:42:6f:1c:3a:5d type bridge
    ip -n "$n" addr add 172.17.0.1/16 brd + dev docker0
    ip -n "$n" link set docker0 up
  fi
}

# What flanneld writes for a remote node's lease: route, permanent neighbour, fdb entry.
wire_overlay() { # from-node to-node
  local a=$1 b=$2 xb=${NODE_X[$2]}
  ip -n "${NS[$a]}" route add "10.42.$xb.0/24" via "10.42.$xb.0" dev flannel.1 onlink
  ip -n "${NS[$a]}" neigh add "10.42.$xb.0" lladdr "${NODE_FMAC[$b]}" dev flannel.1 nud permanent
  nsx "$a" bridge fdb append "${NODE_FMAC[$b]}" dev flannel.1 dst "${NODE_IP[$b]}"
}

build_cluster() {
  build_vpc
  build_node ip-10-32-11-62 control-plane 10.32.11.62 02:1f:6b:3a:c4:5e 9a:4e:5c:0d:71:23 b2:63:27:5f:e9:08 0
  build_node ip-10-32-7-224 worker 10.32.7.224 02:97:bb:b7:70:10 2e:98:28:11:0b:8e 22:dd:de:d2:ec:55 1
  wire_overlay ip-10-32-11-62 ip-10-32-7-224
  wire_overlay ip-10-32-7-224 ip-10-32-11-62
}

declare -A POD_VETH=() POD_IP=()
add_pod() { # pod node ip ready containers [mac]
  local pod=$1 node=$2 ip=$3 ready=$4 containers=$5 mac=${6:-}
  local h uuid veth x=${NODE_X[$2]}
  h=$(printf '%s@%s' "$pod" "$node" | md5sum)
  uuid="${h:0:8}-${h:8:4}-${h:12:4}-${h:16:4}-${h:20:12}"
  veth="veth${h:24:8}"
  [ -n "$mac" ] || mac=$(mac_of "$node/$pod/eth0")
  ns_add "$pod" "${P}cni-$uuid" pod "$node"
  local pn=${NS[$pod]}
  ip -n "$pn" link add eth0 address "$mac" mtu 8951 type veth \
    peer name "$veth" netns "${NS[$node]}" address "$(mac_of "$node/$veth")" mtu 8951
  pair_rec "$pod" eth0 "$node" "$veth"
  ip -n "$pn" addr add "$ip/24" brd + dev eth0
  ip -n "$pn" link set eth0 up
  ip -n "$pn" route add default via "10.42.$x.1" dev eth0
  ip -n "${NS[$node]}" link set "$veth" master cni0 up
  POD_VETH[$pod]=$veth
  POD_IP[$pod]=$ip
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pod" default "$ip" "$node" "$veth" "$ready" "$containers" "$(date +%s)" >>"$SC/pods.tsv"
}

wait_listen() { # host tcp|udp port
  local _ flag=t
  [ "$2" = udp ] && flag=u
  for _ in $(seq 100); do
    if [ -n "$(nsx "$1" ss -Hln$flag "sport = :$3")" ]; then return 0; fi
    sleep 0.05
  done
  die "nothing listens on $2/$3 in $1"
}

serve_http() { # pod port [container-name]
  local pod=$1 port=$2 www="$SCRATCH/www-$1-$2"
  mkdir -p "$www"
  printf '<!DOCTYPE html>\n<html><head><title>podpath lab</title></head>\n<body><p>%s answers on port %s</p></body></html>\n' \
    "$pod" "$port" >"$www/index.html"
  ip netns exec "${NS[$pod]}" "$PY" -m http.server "$port" --bind 0.0.0.0 --directory "$www" >/dev/null 2>&1 &
  LIVE[$!]=1
  wait_listen "$pod" tcp "$port"
}

serve_udp_echo() { # pod port
  ip netns exec "${NS[$1]}" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
' "$2" >/dev/null 2>&1 &
  LIVE[$!]=1
  wait_listen "$1" udp "$2"
}

CAPN=0
# Start a capture and return once it is listening. The file name names the interface.
# cap HOST IFACE FILE [tcpdump options...]       cap_ng HOST IFACE FILE   (dumpcap, pcapng)
cap() {
  local h=$1 ifc=$2 file=$3
  shift 3
  CAPN=$((CAPN + 1))
  local elog="$SCRATCH/cap.$CAPN.log"
  mkdir -p "$SCEN_OUT/$(dirname "$file")"
  ip netns exec "${NS[$h]}" tcpdump -Z root -U --immediate-mode -B 16384 -i "$ifc" -w "$SCEN_OUT/$file" "$@" 2>"$elog" &
  local pid=$!
  LIVE[$pid]=1; CAPS+=("$pid"); CAPLOG[$pid]="$elog|$file"
  wait_capture "$pid" "$elog" 'listening on' "$h/$ifc"
  printf '%s\t%s\t%s\t%s\t%s\n' "$file" "$h" "$ifc" tcpdump "tcpdump -i $ifc -w $(basename "$file")${*:+ $*}" >>"$SC/captures.tsv"
}
cap_ng() {
  local h=$1 ifc=$2 file=$3
  CAPN=$((CAPN + 1))
  local elog="$SCRATCH/cap.$CAPN.log"
  mkdir -p "$SCEN_OUT/$(dirname "$file")"
  ip netns exec "${NS[$h]}" dumpcap -q -B 16 -i "$ifc" -w "$SCEN_OUT/$file" 2>"$elog" &
  local pid=$!
  LIVE[$pid]=1; CAPS+=("$pid"); CAPLOG[$pid]="$elog|$file"
  wait_capture "$pid" "$elog" 'Capturing on' "$h/$ifc"
  # dumpcap says "Capturing on" before its socket is live: wait for the pcapng header as well.
  local _
  for _ in $(seq 100); do [ -s "$SCEN_OUT/$file" ] && break; sleep 0.05; done
  sleep 0.3
  printf '%s\t%s\t%s\t%s\t%s\n' "$file" "$h" "$ifc" dumpcap "dumpcap -i $ifc -w $(basename "$file")" >>"$SC/captures.tsv"
}
wait_capture() { # pid log pattern what
  local _
  for _ in $(seq 100); do
    grep -q "$3" "$2" 2>/dev/null && return 0
    kill -0 "$1" 2>/dev/null || { cat "$2" >&2; die "capture on $4 did not start"; }
    sleep 0.05
  done
  cat "$2" >&2
  die "capture on $4 did not start listening"
}
# Stop every running capture with SIGINT (so the files are complete) after stragglers arrive.
cap_stop() {
  local pid
  # dumpcap has no immediate mode: give its last ring block time to time out into the file.
  sleep 1.5
  for pid in "${CAPS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${CAPS[@]}"; do
    local _
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then
      log "capture $pid ignored SIGINT; sending SIGTERM"
      kill -TERM "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    unset "LIVE[$pid]"
    local elog=${CAPLOG[$pid]%%|*} file=${CAPLOG[$pid]#*|}
    log "  capture $file: $(grep -E 'packets (captured|received|dropped)|Packets' "$elog" | tr '\n' ' ')"
  done
  CAPS=()
}

# Record a flow the lab drove (the path it must take is worked out by describe.py).
# flow ID PROTOCOL SRC-HOST DST-HOST SRC-IP DST-IP SPORT DPORT PACKETS COMMAND RESULT OUTCOME
flow() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$SC/flows.tsv"; }

do_ping() { # id src-pod dst-ip
  local outp rc=0 stats received
  outp=$(nsx "$2" ping -c 4 -W 1 "$3" 2>&1) || rc=$?
  stats=$(printf '%s\n' "$outp" | grep 'packets transmitted' || true)
  received=$(printf '%s\n' "$stats" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
  local outcome=lost
  [ "${received:-0}" = 4 ] && outcome=ok
  log "  $1: ${stats:-ping exit $rc}"
  flow "$1" icmp "$2" "$4" "$(pod_or_ip "$2")" "$3" - - 4 "ping -c 4 $3" "${stats:-ping exit $rc}" "$outcome"
}
pod_or_ip() { echo "${POD_IP[$1]:-127.0.0.1}"; }

# Node to node over the underlay (what kubelet and the API server keep doing on real nodes): shows
# that the nodes reach each other while only the overlay's UDP port is blocked, and keeps both
# eth0 captures busy before and after the pod traffic, as on a real node.
do_ping_underlay() { # id src-node src-ip dst-node dst-ip
  local outp rc=0 stats received outcome=lost
  outp=$(nsx "$2" ping -c 4 -i 0.5 -W 1 "$5" 2>&1) || rc=$?
  stats=$(printf '%s\n' "$outp" | grep 'packets transmitted' || true)
  received=$(printf '%s\n' "$stats" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
  [ "${received:-0}" = 4 ] && outcome=ok
  log "  $1: ${stats:-ping exit $rc}"
  flow "$1" icmp "$2" "$4" "$3" "$5" - - 4 "ping -c 4 -i 0.5 $5" "${stats:-ping exit $rc}" "$outcome"
}

do_curl() { # id src-pod url dst-host dst-ip dport
  local code rc=0 outcome=ok result
  code=$(nsx "$2" curl -4 -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 4 "$3") || rc=$?
  if [ "$rc" = 0 ] && [ "$code" = 200 ]; then result="HTTP $code"; else result="curl exit $rc (HTTP ${code:-000})"; outcome=lost; fi
  log "  $1: $result"
  local src=${POD_IP[$2]}
  [ "$4" = "$2" ] && src=127.0.0.1
  flow "$1" tcp "$2" "$4" "$src" "$5" - "$6" 1 "curl ${3#http://}" "$result" "$outcome"
}

do_udp() { # id src-pod dst-host dst-ip dport
  local result outcome
  result=$(nsx "$2" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(b"hello from " + sys.argv[3].encode() + b"\n", (sys.argv[1], int(sys.argv[2])))
try:
    data, _ = s.recvfrom(2048)
    print("echo received (%d bytes)" % len(data))
except socket.timeout:
    print("no reply within 2s")
' "$4" "$5" "$2")
  outcome=lost
  case $result in echo*) outcome=ok ;; esac
  log "  $1: $result"
  flow "$1" udp "$2" "$3" "${POD_IP[$2]}" "$4" - "$5" 1 "send one datagram to $4:$5 and wait for the echo" "$result" "$outcome"
}

# Kernel-generated ARP exchanges the flushed caches make the lab's traffic trigger.
arp_flow() { # id src-host src-iface src-ip dst-host dst-iface dst-ip
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$SC/arp.tsv"
}

flush_neigh() { local h; for h in "${!NS[@]}"; do ip -n "${NS[$h]}" neigh flush all 2>/dev/null || true; done; }

# Node dumps: the three the seed shows plus the ones podpath can use besides.
dump_node() { # node dir
  local h=$1 d="$SCEN_OUT/$2"
  mkdir -p "$d"
  nsx "$h" ip addr show >"$d/ip-addr.txt"
  nsx "$h" route -n >"$d/route-n.txt"
  nsx "$h" bridge vlan >"$d/bridge-vlan.txt"
  nsx "$h" ip -d link show >"$d/ip-d-link.txt"
  nsx "$h" bridge fdb show >"$d/bridge-fdb.txt"
  nsx "$h" ip neigh show >"$d/ip-neigh.txt"
  nsx "$h" ip route show >"$d/ip-route.txt"
  nsx "$h" ip -j addr show >"$d/ip-addr.json"
  printf '%s\n' "$h" >"$d/hostname"
  local f
  for f in ip-addr.txt route-n.txt bridge-vlan.txt ip-d-link.txt bridge-fdb.txt ip-neigh.txt ip-route.txt ip-addr.json hostname; do
    printf '%s\t%s\n' "$2/$f" "$h" >>"$SC/dumps.tsv"
  done
}

# The same three outputs as one pasted terminal session (prompt lines, CRLF line endings).
dump_session() { # node-dir
  local d="$SCEN_OUT/$1"
  {
    printf '$ ip addr show\n'; cat "$d/ip-addr.txt"
    printf '$ route -n\n'; cat "$d/route-n.txt"
    printf '$ bridge vlan\n'; cat "$d/bridge-vlan.txt"
  } | sed 's/$/\r/' >"$d/session.txt"
  printf '%s\t%s\n' "$1/session.txt" "$(basename "$1")" >>"$SC/dumps.tsv"
}

describe() { # scenario
  printf 'vlan_filtering\t%s\n' "$VLAN_FILTERING" >>"$SC/meta.tsv"
  printf 'kernel\t%s\n' "$(uname -r)" >>"$SC/meta.tsv"
  "$PY" "$LAB_DIR/describe.py" "$1" "$SC" "$SCEN_OUT"
}

# --- scenarios -----------------------------------------------------------------------------------
CP='ip-10-32-11-62'
WK='ip-10-32-7-224'

scenario_intra_pod() {
  build_cluster
  # Pod "test" on the worker: "web" serves :80, "debug" serves :8080 (the seed's nginx :80 plus the
  # `listen 8080` it added); both listen on 0.0.0.0 in the one network namespace they share.
  add_pod test "$WK" 10.42.1.36 2/2 'web:80,debug:8080'
  serve_http test 80
  serve_http test 8080
  settle
  cap test lo test/lo.pcap
  do_curl "http test:debug->localhost:80" test http://localhost:80/ test 127.0.0.1 80
  do_curl "http test:debug->localhost:8080" test http://localhost:8080/ test 127.0.0.1 8080
  cap_stop
  local d="$SCEN_OUT/test"
  nsx test ip addr show >"$d/ip-addr.txt"
  nsx test netstat -anp >"$d/netstat-anp.txt"
  printf 'test\n' >"$d/hostname"
  printf '%s\t%s\n' test/ip-addr.txt test test/netstat-anp.txt test test/hostname test >>"$SC/dumps.tsv"
  dump_node "$CP" "$CP"
  dump_node "$WK" "$WK"
  dump_session "$WK"
}

scenario_same_node() {
  build_cluster
  add_pod pod1 "$WK" 10.42.1.37 1/1 test1
  add_pod pod2 "$WK" 10.42.1.38 1/1 test2 6a:74:6a:77:30:3a
  serve_http pod2 80
  settle
  flush_neigh
  cap "$WK" cni0 "$WK/cni0.pcap"
  cap "$WK" "${POD_VETH[pod1]}" "$WK/${POD_VETH[pod1]}.pcap"
  cap "$WK" "${POD_VETH[pod2]}" "$WK/${POD_VETH[pod2]}.pcap"
  arp_flow "arp pod1 who-has 10.42.1.38" pod1 eth0 10.42.1.37 pod2 eth0 10.42.1.38
  do_ping "ping pod1->pod2" pod1 10.42.1.38 pod2
  do_curl "http pod1->pod2:80" pod1 http://10.42.1.38:80/ pod2 10.42.1.38 80
  cap_stop
  dump_node "$CP" "$CP"
  dump_node "$WK" "$WK"
  dump_session "$WK"
}

cross_node_common() { # blocked?
  build_cluster
  if [ "$1" = yes ]; then
    # The cloud security group that lacks the flannel VXLAN rule: the VPC forwards everything
    # between the nodes except UDP 8472 (bridged IPv4 goes through iptables via br_netfilter).
    nsx aws-vpc sysctl -qw net.bridge.bridge-nf-call-iptables=1 ||
      die "br_netfilter is not available: blocked-overlay needs it to filter the bridged underlay"
    nsx aws-vpc iptables -A FORWARD -p udp --dport 8472 -j DROP
    printf 'filter\t%s\n' 'iptables -A FORWARD -p udp --dport 8472 -j DROP' >>"$SC/meta.tsv"
  fi
  add_pod pod2 "$CP" 10.42.0.37 1/1 test2
  add_pod pod1 "$WK" 10.42.1.39 1/1 test1
  serve_http pod1 80
  serve_udp_echo pod1 5005
  settle
  flush_neigh
}

scenario_cross_node() {
  cross_node_common no
  local h
  for h in "$CP" "$WK"; do
    cap "$h" eth0 "$h/eth0.pcap"
    cap "$h" flannel.1 "$h/flannel.1.pcap"
    cap "$h" cni0 "$h/cni0.pcap"
  done
  cap "$CP" any "$CP/any.pcap"
  cap "$CP" eth0 "$CP/eth0-nano.pcap" --time-stamp-precision=nano
  cap_ng "$WK" eth0 "$WK/eth0.pcapng"
  arp_flow "arp pod2 who-has 10.42.0.1" pod2 eth0 10.42.0.37 "$CP" cni0 10.42.0.1
  arp_flow "arp $CP who-has 10.32.7.224" "$CP" eth0 10.32.11.62 "$WK" eth0 10.32.7.224
  arp_flow "arp $WK who-has 10.42.1.39" "$WK" cni0 10.42.1.1 pod1 eth0 10.42.1.39
  do_ping "ping pod2->pod1" pod2 10.42.1.39 pod1
  do_curl "http pod2->pod1:80" pod2 http://10.42.1.39:80/ pod1 10.42.1.39 80
  do_udp "udp pod2->pod1:5005" pod2 pod1 10.42.1.39 5005
  cap_stop
  gzip -n -9 -c "$SCEN_OUT/$WK/eth0.pcap" >"$SCEN_OUT/$WK/eth0.pcap.gz"
  printf '%s\t%s\t%s\t%s\t%s\n' "$WK/eth0.pcap.gz" "$WK" eth0 gzip "gzip -c eth0.pcap > eth0.pcap.gz" >>"$SC/captures.tsv"
  dump_node "$CP" "$CP"
  dump_node "$WK" "$WK"
  dump_session "$CP"
}

# Both nodes' eth0, flannel.1 and cni0 captures, then the two ARP exchanges every overlay
# scenario starts with (pod2 asks for its gateway, the control plane for the worker).
cap_overlay_start() {
  local h
  for h in "$CP" "$WK"; do
    cap "$h" eth0 "$h/eth0.pcap"
    cap "$h" flannel.1 "$h/flannel.1.pcap"
    cap "$h" cni0 "$h/cni0.pcap"
  done
  arp_flow "arp pod2 who-has 10.42.0.1" pod2 eth0 10.42.0.37 "$CP" cni0 10.42.0.1
  arp_flow "arp $CP who-has 10.32.7.224" "$CP" eth0 10.32.11.62 "$WK" eth0 10.32.7.224
}

scenario_blocked_overlay() {
  cross_node_common yes
  cap_overlay_start
  do_ping "ping pod2->pod1" pod2 10.42.1.39 pod1
  do_curl "http pod2->pod1:80" pod2 http://10.42.1.39:80/ pod1 10.42.1.39 80
  do_udp "udp pod2->pod1:5005" pod2 pod1 10.42.1.39 5005
  do_ping_underlay "ping $WK->$CP underlay" "$WK" 10.32.7.224 "$CP" 10.32.11.62
  cap_stop
  printf 'dropped\t%s\n' "$(nsx aws-vpc iptables -L FORWARD -v -n -x | awk '$3 == "DROP" {print $1}')" >>"$SC/meta.tsv"
  dump_node "$CP" "$CP"
  dump_node "$WK" "$WK"
  dump_session "$WK"
}

# The worker's own host firewall drops the overlay: UDP 8472 arrives on its eth0 and never reaches
# flannel.1. The VPC forwards everything. `iptables-save -c` of both nodes is taken after the
# traffic, so the DROP rule's counter holds the dropped packets.
scenario_blocked_overlay_node_iptables() {
  cross_node_common no
  nsx "$WK" iptables -A INPUT -p udp --dport 8472 -j DROP
  printf 'nodefilter_host\t%s\nnodefilter\t%s\n' "$WK" 'iptables -A INPUT -p udp --dport 8472 -j DROP' >>"$SC/meta.tsv"
  cap_overlay_start
  # The other way the requests get through; their replies are dropped by the same rule. Before and
  # after, this puts packets on the worker's flannel.1 and cni0, so their captures provably ran.
  do_ping "ping pod1->pod2" pod1 10.42.0.37 pod2
  do_ping "ping pod2->pod1" pod2 10.42.1.39 pod1
  do_ping "ping pod1->pod2 again" pod1 10.42.0.37 pod2
  cap_stop
  printf 'dropped\t%s\n' "$(nsx "$WK" iptables -L INPUT -v -n -x | awk '$3 == "DROP" {print $1}')" >>"$SC/meta.tsv"
  dump_node "$CP" "$CP"
  dump_node "$WK" "$WK"
  for h in "$CP" "$WK"; do
    nsx "$h" iptables-save -c >"$SCEN_OUT/$h/iptables-save.txt"
    # No rule at all prints nothing: no dump rather than an empty one.
    if [ ! -s "$SCEN_OUT/$h/iptables-save.txt" ]; then rm -f "$SCEN_OUT/$h/iptables-save.txt"; continue; fi
    printf '%s\t%s\n' "$h/iptables-save.txt" "$h" >>"$SC/dumps.tsv"
    # The same rules as nftables holds them (iptables-nft), with their counters.
    if command -v nft >/dev/null && nsx "$h" nft list ruleset >"$SCEN_OUT/$h/nft-ruleset.txt" && [ -s "$SCEN_OUT/$h/nft-ruleset.txt" ]; then
      printf '%s\t%s\n' "$h/nft-ruleset.txt" "$h" >>"$SC/dumps.tsv"
    else rm -f "$SCEN_OUT/$h/nft-ruleset.txt"; fi
  done
}

# --- main ----------------------------------------------------------------------------------------
mkdir -p "$OUT"
start_all=$(date +%s)
for s in "${SCENARIOS[@]}"; do
  t0=$(date +%s)
  log "scenario $s"
  SC="$SCRATCH/$s"
  SCEN_OUT="$OUT/$s"
  rm -rf "$SCEN_OUT" "$SC"
  mkdir -p "$SCEN_OUT" "$SC"
  : >"$SC/flows.tsv"; : >"$SC/arp.tsv"; : >"$SC/captures.tsv"; : >"$SC/dumps.tsv"; : >"$SC/meta.tsv"
  "scenario_${s//-/_}"
  snapshot
  describe "$s"
  # Servers down, namespaces gone before the next scenario builds the cluster again.
  for pid in "${!LIVE[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  LIVE=()
  teardown
  chmod -R a+rX "$SCEN_OUT"
  log "scenario $s done in $(( $(date +%s) - t0 ))s"
done
log "all done in $(( $(date +%s) - start_all ))s"
