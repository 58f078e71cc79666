#!/usr/bin/env bash
# podpath namespace lab, Cilium-style scenario: cilium-geneve.
#
# Two nodes (ip-10-32-11-62, ip-10-32-7-224) on the same "aws-vpc" underlay as run.sh, wired the
# way Cilium's routed datapath wires them instead of flannel's: no bridge; every pod is a veth pair
# (eth0 in the pod, lxc<12 hex> on the node) with per-pod /32 and /128 routes on the node
# (`ip route add 10.0.1.23/32 dev lxc...`); a cilium_host/cilium_net veth pair holding the node's
# router addresses; and a cilium_geneve tunnel device. Remote pod CIDRs are routed into
# cilium_geneve with a lightweight-tunnel encap (`encap ip id VNI dst REMOTE`), one VNI per direction
# (Cilium puts the sender's security identity in the VNI). Pods are dual-stack (10.0.x.y and
# fd00:10:0:x::y) over the IPv4 underlay; IPv6 is left on everywhere.
#
#   usage (as root):  bash samples/lab/cilium.sh OUTDIR
#
# Writes OUTDIR/cilium-geneve/ (deleted first): a folder per node with captures and dumps, pods.txt
# and lab.json (podpath-lab/1 plus "expect"; see samples/README.md). Everything lives in
# namespaces named pplc<pid>-* and is removed on exit, error or interrupt.
#
# Kernels built without CONFIG_GENEVE (`ip link add type geneve` says "Unknown device type") get
# cilium_geneve as a tap device served by geneve-tap.py, a user-space Geneve endpoint that
# encapsulates with the VNI and endpoint of the kernel route and sends real UDP 6081 datagrams out
# of eth0 (see that file). With a geneve-capable kernel the device is a real external (metadata)
# geneve device and the same routes drive it.
set -Eeuo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=samples/lab/lib.sh
. "$LAB_DIR/lib.sh"
SCENARIO=cilium-geneve
if [ $# -ne 1 ] || [ -z "${1%/}" ]; then echo "usage: bash samples/lab/cilium.sh OUTDIR" >&2; exit 2; fi
OUT=${1%/}
if [ "$(id -u)" != 0 ]; then
  echo "cilium-lab: must run as root (network namespaces, veth, tap)" >&2
  exit 1
fi

log() { printf 'cilium-lab: %s\n' "$*" >&2; }
die() { printf 'cilium-lab: error: %s\n' "$*" >&2; exit 1; }

need=(ip:iproute2 bridge:iproute2 ss:iproute2 tcpdump:tcpdump ping:iputils-ping route:net-tools
      curl:curl python3:python3 md5sum:coreutils)
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
P="pplc$$-"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/podpath-cilium.XXXXXX")
SC="$SCRATCH/sc"
SCEN_OUT="$OUT/$SCENARIO"
declare -A NS=() LIVE=() CAPLOG=()
CAPS=()
TUNNELS=()

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR

ns_add() { # host netns role [node]
  ip netns add "$2"
  NS[$1]=$2
  ip -n "$2" link set lo up
  printf '%s\t%s\t%s\t%s\n' "$1" "$3" "$2" "${4:-}" >>"$SC/hosts.tsv"
}

# --- the cluster -----------------------------------------------------------------------------------
CP='ip-10-32-11-62'
WK='ip-10-32-7-224'
declare -A NODE_IP=() NODE_X=() ROUTER4=() ROUTER6=() GMAC=() VNI_OUT=()
NODE_IP[$CP]=10.32.11.62; NODE_X[$CP]=0; ROUTER4[$CP]=10.0.0.215; ROUTER6[$CP]=fd00:10::d7
NODE_IP[$WK]=10.32.7.224; NODE_X[$WK]=1; ROUTER4[$WK]=10.0.1.47;  ROUTER6[$WK]=fd00:10:0:1::2f
# Security identities (the VNI of what a node sends): the cross-node senders are client (on the
# control plane) and web (on the worker).
VNI_OUT[$CP]=48312
VNI_OUT[$WK]=20544
GENEVE_KIND=unknown

geneve_device() { # node
  local h=$1 n=${NS[$1]}
  GMAC[$h]=$(mac_of "$h/cilium_geneve")
  if ip -n "$n" link add cilium_geneve address "${GMAC[$h]}" mtu 8951 type geneve external dstport 6081 2>/dev/null; then
    GENEVE_KIND=geneve
  else
    GENEVE_KIND=tap
    local ready="$SCRATCH/geneve-$h.ready"
    ip netns exec "$n" "$PY" "$LAB_DIR/geneve-tap.py" cilium_geneve "${NODE_IP[$h]}" "$ready" >"$SCRATCH/geneve-$h.log" 2>&1 &
    LIVE[$!]=1
    TUNNELS+=("$!:$h")
    local _
    for _ in $(seq 100); do [ -s "$ready" ] && break; sleep 0.05; done
    [ -s "$ready" ] || { cat "$SCRATCH/geneve-$h.log" >&2; die "geneve-tap.py did not start on $h"; }
    ip -n "$n" link set cilium_geneve address "${GMAC[$h]}" mtu 8951
  fi
  ip -n "$n" link set cilium_geneve up
}

build_node() { # name role eth0-mac
  local h=$1 role=$2 emac=$3 ip=${NODE_IP[$1]} x=${NODE_X[$1]}
  local port="eni-${ip#10.32.}"
  port=${port//./-}
  ns_add "$h" "${P}$h" "$role"
  local n=${NS[$h]} v=${NS[aws-vpc]}
  ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ip -n "$n" link add eth0 address "$emac" mtu 9001 type veth \
    peer name "$port" netns "$v" address "$(mac_of "aws-vpc/$port")" mtu 9001
  pair_rec "$h" eth0 aws-vpc "$port"
  ip -n "$v" link set "$port" master vpc0 up
  ip -n "$n" addr add "$ip/20" brd + dev eth0 valid_lft 3600 preferred_lft 3600
  ip -n "$n" link set eth0 up
  ip -n "$n" route add default via 10.32.0.1 dev eth0
  ip -n "$n" route add 169.254.169.254 dev eth0
  # cilium_host / cilium_net: the router addresses of the node's pod CIDRs live on cilium_host.
  ip -n "$n" link add cilium_host address "$(mac_of "$h/cilium_host")" mtu 8951 type veth \
    peer name cilium_net address "$(mac_of "$h/cilium_net")" mtu 8951
  pair_rec "$h" cilium_host "$h" cilium_net
  ip -n "$n" addr add "${ROUTER4[$h]}/32" dev cilium_host
  ip -n "$n" addr add "${ROUTER6[$h]}/128" dev cilium_host nodad
  ip -n "$n" link set cilium_net up
  ip -n "$n" link set cilium_host up
  # The node's own pod CIDRs, as Cilium installs them: unassigned addresses end at cilium_host.
  ip -n "$n" route add "10.0.$x.0/24" dev cilium_host proto kernel scope link src "${ROUTER4[$h]}"
  geneve_device "$h"
}

# A remote node's pod CIDRs: into cilium_geneve, with the VNI and tunnel endpoint per route.
wire_tunnel() { # from to
  local a=$1 b=$2 n=${NS[$1]} xb=${NODE_X[$2]}
  ip -n "$n" route add "10.0.$xb.0/24" encap ip id "${VNI_OUT[$a]}" dst "${NODE_IP[$b]}" \
    via "${ROUTER4[$b]}" dev cilium_geneve onlink
  ip -n "$n" -6 route add "fd00:10:0:$xb::/64" encap ip id "${VNI_OUT[$a]}" dst "${NODE_IP[$b]}" \
    via "${ROUTER6[$b]}" dev cilium_geneve onlink
  ip -n "$n" neigh add "${ROUTER4[$b]}" lladdr "${GMAC[$b]}" dev cilium_geneve nud permanent
  ip -n "$n" -6 neigh add "${ROUTER6[$b]}" lladdr "${GMAC[$b]}" dev cilium_geneve nud permanent
  printf '%s\t%s\t%s\n' "$a" "$b" "${VNI_OUT[$a]}" >>"$SC/tunnels.tsv"
}

declare -A POD_VETH=() POD_IP=() POD_IP6=()
add_pod() { # pod node y identity containers
  local pod=$1 node=$2 y=$3 ident=$4 containers=$5 x=${NODE_X[$2]}
  local h uuid lxc
  h=$(printf '%s@%s' "$pod" "$node" | md5sum)
  uuid="${h:0:8}-${h:8:4}-${h:12:4}-${h:16:4}-${h:20:12}"
  lxc="lxc${h:20:12}"
  local ip4="10.0.$x.$y" ip6="fd00:10:0:$x::$y"
  [ "$x" = 0 ] && ip6="fd00:10::$y"
  ns_add "$pod" "${P}cni-$uuid" pod "$node"
  local pn=${NS[$pod]} n=${NS[$node]}
  ip -n "$pn" link add eth0 address "$(mac_of "$node/$pod/eth0")" mtu 8951 type veth \
    peer name "$lxc" netns "$n" address "$(mac_of "$node/$lxc")" mtu 8951
  pair_rec "$pod" eth0 "$node" "$lxc"
  ip -n "$pn" addr add "$ip4/32" dev eth0
  ip -n "$pn" addr add "$ip6/128" dev eth0
  ip -n "$pn" link set eth0 up
  # Cilium's pod routes: a host route to the router address, and the default route through it.
  ip -n "$pn" route add "${ROUTER4[$node]}" dev eth0 scope link
  ip -n "$pn" route add default via "${ROUTER4[$node]}" dev eth0
  ip -n "$pn" -6 route add "${ROUTER6[$node]}" dev eth0
  ip -n "$pn" -6 route add default via "${ROUTER6[$node]}" dev eth0
  ip -n "$n" link set "$lxc" up
  # The node answers the pod's neighbour discovery for the router (Cilium's BPF does; here: ARP
  # for a local address is answered on any link, IPv6 needs a proxy entry).
  ip netns exec "$n" sysctl -qw "net.ipv6.conf.$lxc.proxy_ndp=1" "net.ipv6.neigh.$lxc.proxy_delay=0"
  ip -n "$n" -6 neigh add proxy "${ROUTER6[$node]}" dev "$lxc"
  ip -n "$n" route add "$ip4/32" dev "$lxc"
  ip -n "$n" -6 route add "$ip6/128" dev "$lxc"
  POD_VETH[$pod]=$lxc; POD_IP[$pod]=$ip4; POD_IP6[$pod]=$ip6
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pod" default "$ip4" "$ip6" "$node" "$lxc" "$ident" "$containers" "$(date +%s)" >>"$SC/pods.tsv"
}

settle() {
  local _ h busy
  for _ in $(seq 80); do
    busy=
    for h in "${!NS[@]}"; do
      if [ -n "$(ip -n "${NS[$h]}" -6 addr show tentative 2>/dev/null)" ]; then busy=1; break; fi
    done
    [ -n "$busy" ] || break
    sleep 0.1
  done
  sleep 0.6
}

serve_http() { # pod port
  local pod=$1 port=$2 www="$SCRATCH/www-$1-$2" _
  mkdir -p "$www"
  printf '<!DOCTYPE html>\n<html><head><title>podpath lab</title></head>\n<body><p>%s answers on port %s</p></body></html>\n' \
    "$pod" "$port" >"$www/index.html"
  # http.server binds :: dual-stack (IPV6_V6ONLY off), so one listener serves IPv4 and IPv6.
  ip netns exec "${NS[$pod]}" "$PY" -m http.server "$port" --bind :: --directory "$www" >/dev/null 2>&1 &
  LIVE[$!]=1
  for _ in $(seq 100); do
    [ -n "$(nsx "$pod" ss -Hlnt "sport = :$port")" ] && return 0
    sleep 0.05
  done
  die "nothing listens on tcp/$port in $pod"
}

CAPN=0
cap() { # host iface file
  local h=$1 ifc=$2 file=$3 _
  CAPN=$((CAPN + 1))
  local elog="$SCRATCH/cap.$CAPN.log"
  mkdir -p "$SCEN_OUT/$(dirname "$file")"
  ip netns exec "${NS[$h]}" tcpdump -Z root -U --immediate-mode -B 16384 -i "$ifc" -w "$SCEN_OUT/$file" 2>"$elog" &
  local pid=$!
  LIVE[$pid]=1; CAPS+=("$pid"); CAPLOG[$pid]="$elog|$file"
  for _ in $(seq 100); do
    grep -q 'listening on' "$elog" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$elog" >&2; die "capture on $h/$ifc did not start"; }
    sleep 0.05
  done
  grep -q 'listening on' "$elog" || die "capture on $h/$ifc did not start listening"
  printf '%s\t%s\t%s\t%s\t%s\n' "$file" "$h" "$ifc" tcpdump "tcpdump -i $ifc -w $(basename "$file")" >>"$SC/captures.tsv"
}
cap_stop() {
  local pid _
  sleep 0.5
  for pid in "${CAPS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${CAPS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
    unset "LIVE[$pid]"
    local elog=${CAPLOG[$pid]%%|*} file=${CAPLOG[$pid]#*|}
    log "  capture $file: $(grep -E 'packets (captured|received|dropped)' "$elog" | tr '\n' ' ')"
    grep -q '^0 packets dropped by kernel' "$elog" || die "capture $file dropped packets"
  done
  CAPS=()
}

# flow ID PROTO FAMILY SRC-HOST DST-HOST SRC-IP DST-IP DPORT PACKETS COMMAND RESULT OUTCOME
flow() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$SC/flows.tsv"; }

do_ping() { # id src-pod dst-pod 4|6
  local dst outp rc=0 stats received outcome=lost cmd
  if [ "$4" = 6 ]; then dst=${POD_IP6[$3]}; cmd="ping -6 -c 4 $dst"; else dst=${POD_IP[$3]}; cmd="ping -c 4 $dst"; fi
  # shellcheck disable=SC2086
  outp=$(nsx "$2" $cmd -i 0.3 -W 1 2>&1) || rc=$?
  stats=$(printf '%s\n' "$outp" | grep 'packets transmitted' || true)
  received=$(printf '%s\n' "$stats" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
  [ "${received:-0}" = 4 ] && outcome=ok
  log "  $1: ${stats:-ping exit $rc}"
  local src=${POD_IP[$2]} proto=icmp
  [ "$4" = 6 ] && { src=${POD_IP6[$2]}; proto=icmpv6; }
  flow "$1" "$proto" "ipv$4" "$2" "$3" "$src" "$dst" - 4 "$cmd" "${stats:-ping exit $rc}" "$outcome"
}

do_curl() { # id src-pod dst-pod 4|6
  local code rc=0 outcome=ok result url src
  if [ "$4" = 6 ]; then url="http://[${POD_IP6[$3]}]:80/"; src=${POD_IP6[$2]}; dst=${POD_IP6[$3]}
  else url="http://${POD_IP[$3]}:80/"; src=${POD_IP[$2]}; dst=${POD_IP[$3]}; fi
  code=$(nsx "$2" curl "-$4" -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 4 "$url") || rc=$?
  if [ "$rc" = 0 ] && [ "$code" = 200 ]; then result="HTTP $code"; else result="curl exit $rc (HTTP ${code:-000})"; outcome=lost; fi
  log "  $1: $result"
  flow "$1" tcp "ipv$4" "$2" "$3" "$src" "$dst" 80 1 "curl -$4 ${url#http://}" "$result" "$outcome"
}

flush_neigh() { # dynamic entries only: the permanent tunnel neighbours stay
  local h
  for h in "${!NS[@]}"; do
    ip -n "${NS[$h]}" neigh flush all nud reachable nud stale nud delay nud probe 2>/dev/null || true
    ip -n "${NS[$h]}" -6 neigh flush all nud reachable nud stale nud delay nud probe 2>/dev/null || true
  done
}

dump_node() { # node
  local h=$1 d="$SCEN_OUT/$1" f
  mkdir -p "$d"
  nsx "$h" ip addr show >"$d/ip-addr.txt"
  nsx "$h" ip -j addr show >"$d/ip-addr.json"
  { nsx "$h" ip route show; nsx "$h" ip -6 route show; } >"$d/ip-route.txt"
  nsx "$h" route -n >"$d/route-n.txt"
  nsx "$h" bridge fdb show >"$d/bridge-fdb.txt"
  nsx "$h" ip neigh show >"$d/ip-neigh.txt"
  nsx "$h" ip -d link show >"$d/ip-d-link.txt"
  printf '%s\n' "$h" >"$d/hostname"
  for f in ip-addr.txt ip-addr.json ip-route.txt route-n.txt bridge-fdb.txt ip-neigh.txt ip-d-link.txt hostname; do
    printf '%s\t%s\n' "$h/$f" "$h" >>"$SC/dumps.tsv"
  done
}

snapshot() {
  local h
  mkdir -p "$SC/ipj"
  for h in "${!NS[@]}"; do
    ip -n "${NS[$h]}" -j -d link show >"$SC/ipj/$h.link.json"
    ip -n "${NS[$h]}" -j addr show >"$SC/ipj/$h.addr.json"
    ip -n "${NS[$h]}" -j route show >"$SC/ipj/$h.route.json"
    ip -n "${NS[$h]}" -j -6 route show >"$SC/ipj/$h.route6.json"
  done
}

stop_tunnels() {
  local t pid h _
  for t in "${TUNNELS[@]}"; do
    pid=${t%%:*}; h=${t#*:}
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    wait "$pid" 2>/dev/null || true
    unset "LIVE[$pid]"
    local line
    line=$(grep '^geneve-tap' "$SCRATCH/geneve-$h.log" || true)
    log "  $h: ${line:-geneve-tap.py left no counters}"
    printf 'tunnel\t%s\t%s\n' "$h" "$line" >>"$SC/meta.tsv"
  done
  TUNNELS=()
}

# --- main ----------------------------------------------------------------------------------------
t0=$(date +%s)
rm -rf "$SCEN_OUT"
mkdir -p "$SCEN_OUT" "$SC"
: >"$SC/flows.tsv"; : >"$SC/captures.tsv"; : >"$SC/dumps.tsv"; : >"$SC/meta.tsv"; : >"$SC/tunnels.tsv"
log "scenario $SCENARIO"
build_vpc
build_node "$CP" control-plane 02:1f:6b:3a:c4:5e
build_node "$WK" worker 02:97:bb:b7:70:10
wire_tunnel "$CP" "$WK"
wire_tunnel "$WK" "$CP"
log "  cilium_geneve: $GENEVE_KIND"
add_pod client "$CP" 23 48312 client
add_pod web "$WK" 23 20544 'web:80'
add_pod probe "$WK" 88 31577 probe
serve_http web 80
settle
flush_neigh
for h in "$CP" "$WK"; do
  cap "$h" eth0 "$h/eth0.pcap"
  cap "$h" cilium_geneve "$h/cilium_geneve.pcap"
done
for p in client web probe; do
  node=$(awk -F'\t' -v p="$p" '$1 == p {print $5}' "$SC/pods.tsv")
  cap "$node" "${POD_VETH[$p]}" "$node/${POD_VETH[$p]}.pcap"
done
do_ping "ping client->web" client web 4
do_ping "ping6 client->web" client web 6
do_curl "http client->web:80" client web 4
do_curl "http6 client->web:80" client web 6
do_ping "ping probe->web" probe web 4
do_ping "ping6 probe->web" probe web 6
do_curl "http probe->web:80" probe web 4
do_curl "http6 probe->web:80" probe web 6
cap_stop
dump_node "$CP"
dump_node "$WK"
snapshot
# The tap (when there is no kernel geneve) goes away with its process: stop it after the dumps.
stop_tunnels
printf 'geneve\t%s\n' "$GENEVE_KIND" >>"$SC/meta.tsv"
printf 'kernel\t%s\n' "$(uname -r)" >>"$SC/meta.tsv"
"$PY" "$LAB_DIR/cilium-describe.py" "$SC" "$SCEN_OUT"
for pid in "${!LIVE[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
LIVE=()
teardown
chmod -R a+rX "$SCEN_OUT"
log "scenario $SCENARIO done in $(( $(date +%s) - t0 ))s"
