#!/usr/bin/env bash
# podpath namespace lab, "real node" scenarios.
#
# Unlike run.sh (which quiets IPv6 so the seed's captures hold only the post's traffic), this
# script leaves every namespace as a freshly booted node would be: IPv6 on (link-local addresses,
# duplicate address detection, router and neighbour solicitations, MLD reports), offloads at the
# kernel's defaults (GSO/TSO super-segments larger than the MTU on veths, bridges and VXLAN
# devices), and nothing filtered out of the captures (only a snap length keeps them small).
#
#   usage (as root):  bash samples/lab/real.sh OUTDIR [scenario...]
#   scenarios:        healthy-3node mtu-fragments stale-vtep          (default: all three)
#
# Each scenario is written to OUTDIR/<scenario>/ (deleted first): one folder per node (named after
# the node) with its dumps and captures, pods.txt and lab.json (podpath-lab/1 plus "expect"; see
# samples/README.md). Everything lives in namespaces named pplr<pid>-*, removed on exit, error or
# interrupt. Nothing is created in the root namespace.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCENARIO_LIST=(healthy-3node mtu-fragments stale-vtep)
SNAP=200                                    # bytes kept per packet (frame length stays recorded)

usage() { echo "usage: bash samples/lab/real.sh OUTDIR [${SCENARIO_LIST[*]}]" >&2; exit 2; }
[ $# -ge 1 ] || usage
OUTDIR=${1%/}; shift
[ -n "$OUTDIR" ] || usage
[ $# -gt 0 ] || set -- "${SCENARIO_LIST[@]}"
for s in "$@"; do
  case " ${SCENARIO_LIST[*]} " in *" $s "*) ;; *) echo "real.sh: unknown scenario '$s'" >&2; usage ;; esac
done
[ "$(id -u)" = 0 ] || { echo "real.sh: must run as root (network namespaces, veth, bridges, vxlan)" >&2; exit 1; }

say() { printf 'real.sh: %s\n' "$*" >&2; }
fatal() { printf 'real.sh: error: %s\n' "$*" >&2; exit 1; }

for t in ip bridge ss tcpdump nft ping route curl python3 sha256sum; do
  command -v "$t" >/dev/null 2>&1 || fatal "'$t' is missing (apt-get install iproute2 tcpdump nftables iputils-ping net-tools curl python3)"
done
PYTHON=$(python3 -c 'import sys; print(sys.executable)')

# --- bookkeeping ---------------------------------------------------------------------------------
PFX="pplr$$-"
TMPW=$(mktemp -d "${TMPDIR:-/tmp}/podpath-real.XXXXXX")
declare -A NETNS=()                         # host -> namespace
declare -A BG=()                            # background pids we started (servers, captures)
CAPTURE_PIDS=()

remove_namespaces() {
  local n p
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PFX" || true); do
    for p in $(ip netns pids "$n" 2>/dev/null || true); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$n" 2>/dev/null || true
  done
  NETNS=()
}
stop_background() {
  local p
  for p in "${!BG[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${!BG[@]}"; do wait "$p" 2>/dev/null || true; done
  BG=()
}
on_exit() {
  local rc=$?
  set +e
  trap - ERR INT TERM
  stop_background
  remove_namespaces
  rm -rf "$TMPW"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'say "failed at line $LINENO: $BASH_COMMAND"' ERR

# nx HOST CMD...: run in a host's namespace (foreground only).
nx() { local h=$1; shift; ip netns exec "${NETNS[$h]}" "$@"; }

# hexof LABEL N: N hex digits that depend only on LABEL (stable names and MACs across runs).
hexof() { printf '%s' "$1" | sha256sum | cut -c1-"$2"; }
# macof LABEL: a locally administered unicast MAC from LABEL.
macof() {
  local x; x=$(hexof "$1" 12)
  printf '%02x:%s:%s:%s:%s:%s' $(( (0x${x:0:2} & 0xfe) | 0x02 )) "${x:2:2}" "${x:4:2}" "${x:6:2}" "${x:8:2}" "${x:10:2}"
}

record() { local f=$1; shift; local IFS=$'\t'; printf '%s\n' "$*" >>"$W/$f"; }

new_ns() { # host role [node]
  local n="${PFX}$1"
  [ "$2" = pod ] && n="${PFX}cni-$(hexof "netns/$1" 8)"
  ip netns add "$n"
  NETNS[$1]=$n
  ip -n "$n" link set lo up
  record hosts.tsv "$1" "$2" "$n" "${3:-}"
}

# --- underlay and nodes --------------------------------------------------------------------------
UNDERLAY_HOST=''; UNDERLAY_BR=''
underlay() { # host bridge cidr mtu
  UNDERLAY_HOST=$1; UNDERLAY_BR=$2
  new_ns "$1" network
  ip -n "${NETNS[$1]}" link add "$2" address "$(macof "$1/$2")" mtu "$4" type bridge
  ip -n "${NETNS[$1]}" addr add "$3" dev "$2"
  ip -n "${NETNS[$1]}" link set "$2" up
  record meta.tsv underlay "$1" "$2" "$3"
}

declare -A NODE_ADDR=()
node() { # name role addr/prefix gateway mtu
  local h=$1 addr=${3%/*} port
  port="eni-$(hexof "port/$h" 6)"
  new_ns "$h" "$2"
  NODE_ADDR[$h]=$addr
  nx "$h" sysctl -qw net.ipv4.ip_forward=1
  ip -n "${NETNS[$h]}" link add eth0 address "$(macof "$h/eth0")" mtu "$5" type veth \
    peer name "$port" netns "${NETNS[$UNDERLAY_HOST]}" address "$(macof "$UNDERLAY_HOST/$port")" mtu "$5"
  record pairs.tsv "$h" eth0 "$UNDERLAY_HOST" "$port"
  ip -n "${NETNS[$UNDERLAY_HOST]}" link set "$port" master "$UNDERLAY_BR" up
  ip -n "${NETNS[$h]}" addr add "$3" brd + dev eth0
  ip -n "${NETNS[$h]}" link set eth0 up
  ip -n "${NETNS[$h]}" route add default via "$4" dev eth0
}

# flannel: flannel.1 (VNI 1, UDP 8472) and cni0 with the node's /24.
declare -A FL_MAC=() FL_X=()
flannel_node() { # name x mtu [vtep-mac]
  local h=$1 x=$2 mtu=$3 mac=${4:-}
  [ -n "$mac" ] || mac=$(macof "$h/flannel.1")
  FL_MAC[$h]=$mac; FL_X[$h]=$x
  ip -n "${NETNS[$h]}" link add flannel.1 address "$mac" mtu "$((mtu - 50))" type vxlan id 1 \
    local "${NODE_ADDR[$h]}" dev eth0 dstport 8472 nolearning
  ip -n "${NETNS[$h]}" addr add "10.42.$x.0/32" dev flannel.1
  ip -n "${NETNS[$h]}" link set flannel.1 up
  ip -n "${NETNS[$h]}" link add cni0 address "$(macof "$h/cni0")" mtu "$((mtu - 50))" type bridge
  ip -n "${NETNS[$h]}" addr add "10.42.$x.1/24" brd + dev cni0
  ip -n "${NETNS[$h]}" link set cni0 up
  record overlay.tsv "$h" flannel.1 1 8472 "${NODE_ADDR[$h]}" "$mac" "10.42.$x.0/24"
}
# What flanneld writes on node A for node B's lease (vtep/mac may be stale).
flannel_lease() { # on-node x vtep-ip vtep-mac remote-host
  local a=$1 x=$2
  ip -n "${NETNS[$a]}" route add "10.42.$x.0/24" via "10.42.$x.0" dev flannel.1 onlink
  ip -n "${NETNS[$a]}" neigh add "10.42.$x.0" lladdr "$4" dev flannel.1 nud permanent
  nx "$a" bridge fdb append "$4" dev flannel.1 dst "$3"
  record remotes.tsv "$a" "10.42.$x.0/24" "$3" "$4" "10.42.$x.0" "$5"
}

# Calico VXLAN: vxlan.calico (VNI 4096, UDP 4789), /26 block, routed cali* veths, no bridge.
declare -A CA_MAC=() CA_TUN=() CA_BLOCK=()
calico_node() { # name block tunnel-ip vxlan-mtu
  local h=$1 mac
  mac=$(macof "$h/vxlan.calico")
  CA_MAC[$h]=$mac; CA_TUN[$h]=$3; CA_BLOCK[$h]=$2
  # No "dev eth0": with a lower device the kernel caps the MTU at eth0's minus 50, and the
  # misconfiguration under study is precisely a vxlan.calico MTU equal to the underlay's.
  ip -n "${NETNS[$h]}" link add vxlan.calico address "$mac" mtu "$4" type vxlan id 4096 \
    local "${NODE_ADDR[$h]}" dstport 4789 nolearning
  ip -n "${NETNS[$h]}" addr add "$3/32" dev vxlan.calico
  ip -n "${NETNS[$h]}" link set vxlan.calico up
  ip -n "${NETNS[$h]}" route add blackhole "$2" proto 80
  record overlay.tsv "$h" vxlan.calico 4096 4789 "${NODE_ADDR[$h]}" "$mac" "$2"
}
calico_peer() { # on-node remote-node
  local a=$1 b=$2
  ip -n "${NETNS[$a]}" route add "${CA_BLOCK[$b]}" via "${CA_TUN[$b]}" dev vxlan.calico proto 80 onlink
  ip -n "${NETNS[$a]}" neigh add "${CA_TUN[$b]}" lladdr "${CA_MAC[$b]}" dev vxlan.calico nud permanent
  nx "$a" bridge fdb append "${CA_MAC[$b]}" dev vxlan.calico dst "${NODE_ADDR[$b]}"
  record remotes.tsv "$a" "${CA_BLOCK[$b]}" "${NODE_ADDR[$b]}" "${CA_MAC[$b]}" "${CA_TUN[$b]}" "$b"
}

# Pods. The pod's eth0 is created up only after the caller started its captures (pod_up), so DAD,
# router solicitations and MLD reports of a starting pod are in the captures.
declare -A POD_IP=() POD_IF=() POD_NODE=() POD_STYLE=()
pod() { # name namespace node ip style(flannel|calico) mtu ready containers
  local p=$1 node=$3 ip=$4 style=$5 mtu=$6 ifn
  new_ns "$p" pod "$node"
  if [ "$style" = flannel ]; then ifn="veth$(hexof "veth/$p" 8)"; else ifn="cali$(hexof "cali/$p" 11)"; fi
  local pn=${NETNS[$p]}
  local nmac; nmac=$(macof "$node/$ifn")
  [ "$style" = calico ] && nmac=ee:ee:ee:ee:ee:ee
  ip -n "$pn" link add eth0 address "$(macof "$p/eth0")" mtu "$mtu" type veth \
    peer name "$ifn" netns "${NETNS[$node]}" address "$nmac" mtu "$mtu"
  record pairs.tsv "$p" eth0 "$node" "$ifn"
  ip -n "$pn" addr add "$ip/$([ "$style" = calico ] && echo 32 || echo 24)" dev eth0
  if [ "$style" = flannel ]; then
    ip -n "${NETNS[$node]}" link set "$ifn" master cni0 up
  else
    nx "$node" sysctl -qw "net.ipv4.conf.$ifn.proxy_arp=1" "net.ipv4.neigh.$ifn.proxy_delay=0" \
      "net.ipv4.conf.$ifn.forwarding=1"
    ip -n "${NETNS[$node]}" link set "$ifn" up
    ip -n "${NETNS[$node]}" route add "$ip" dev "$ifn" scope link
  fi
  POD_IP[$p]=$ip; POD_IF[$p]=$ifn; POD_NODE[$p]=$node; POD_STYLE[$p]=$style
  record pods.tsv "$p" "$2" "$ip" "$node" "$ifn" "$7" "$8" "$(date +%s)" pod
}
pod_up() { # name...
  local p pn gw
  for p in "$@"; do
    pn=${NETNS[$p]}
    ip -n "$pn" link set eth0 up
    if [ "${POD_STYLE[$p]}" = flannel ]; then
      gw="${POD_IP[$p]%.*}.1"
      ip -n "$pn" route add default via "$gw" dev eth0
    else
      ip -n "$pn" route add 169.254.1.1 dev eth0 scope link
      ip -n "$pn" route add default via 169.254.1.1 dev eth0
    fi
  done
}
# hostNetwork pods (kube-proxy, the CNI daemonset) share the node's address, as kubectl shows them.
host_pod() { record pods.tsv "$1" kube-system "${NODE_ADDR[$2]}" "$2" - "$3" "$4" "$(date +%s)" host; }

# Wait for duplicate address detection everywhere (the packets stay in the captures).
dad_wait() {
  local _ h t
  for _ in $(seq 80); do
    t=
    for h in "${!NETNS[@]}"; do [ -z "$(ip -n "${NETNS[$h]}" -6 addr show tentative 2>/dev/null)" ] || { t=1; break; }; done
    [ -n "$t" ] || return 0
    sleep 0.1
  done
}

# --- servers -------------------------------------------------------------------------------------
listening() { # host tcp|udp port
  local _ f=-Hlnt; [ "$2" = udp ] && f=-Hlnu
  for _ in $(seq 100); do [ -z "$(nx "$1" ss $f "sport = :$3")" ] || return 0; sleep 0.05; done
  fatal "nothing listens on $2/$3 in $1"
}
http_server() { # pod port [bulk-bytes]
  local dir="$TMPW/www-$1"
  mkdir -p "$dir"
  printf '<html><body>%s</body></html>\n' "$1" >"$dir/index.html"
  [ -z "${3:-}" ] || head -c "$3" /dev/zero | tr '\0' 'x' >"$dir/blob"
  ip netns exec "${NETNS[$1]}" "$PYTHON" -m http.server "$2" --bind 0.0.0.0 --directory "$dir" >/dev/null 2>&1 &
  BG[$!]=1
  listening "$1" tcp "$2"
}
py_server() { # pod udp port mode(dns|echo)
  ip netns exec "${NETNS[$1]}" "$PYTHON" "$HERE/real_traffic.py" serve-"$4" "$3" >/dev/null 2>&1 &
  BG[$!]=1
  listening "$1" udp "$3"
}

# --- captures ------------------------------------------------------------------------------------
NCAP=0
cap() { # host iface
  local h=$1 i=$2 f="$1/$2.pcap"
  NCAP=$((NCAP + 1))
  mkdir -p "$OUT/$h"
  ip netns exec "${NETNS[$h]}" tcpdump -Z root -U --immediate-mode -B 8192 -s "$SNAP" -i "$i" -w "$OUT/$f" 2>"$TMPW/cap$NCAP.log" &
  local pid=$! _
  BG[$pid]=1; CAPTURE_PIDS+=("$pid")
  for _ in $(seq 100); do grep -qs 'listening on' "$TMPW/cap$NCAP.log" && break; sleep 0.05; done
  grep -qs 'listening on' "$TMPW/cap$NCAP.log" || { cat "$TMPW/cap$NCAP.log" >&2; fatal "capture on $h/$i did not start"; }
  record captures.tsv "$f" "$h" "$i" "tcpdump -i $i -s $SNAP -w $i.pcap"
}
cap_end() {
  local p _
  sleep 1
  for p in "${CAPTURE_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${CAPTURE_PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    unset "BG[$p]"
  done
  CAPTURE_PIDS=()
}

# --- traffic (each records a flow: id proto src-host dst-host src dst dport size command result outcome)
flow() { record flows.tsv "$@"; say "  $1: ${10} [${11}]"; }

t_ping() { # id src-host dst-host dst-ip count [size]
  local out rc=0 st got size=${6:-56} extra=''
  [ -z "${6:-}" ] || extra="-M dont -s $6"
  # shellcheck disable=SC2086
  out=$(nx "$2" ping -c "$5" -i 0.3 -W 1 $extra "$4" 2>&1) || rc=$?
  st=$(grep 'packets transmitted' <<<"$out" || echo "ping exit $rc")
  got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$st")
  flow "$1" icmp "$2" "$3" "$(addr_of "$2")" "$4" - "$size" "ping -c $5 $extra${extra:+ }$4" "$st" \
    "$([ "${got:-0}" = "$5" ] && echo ok || echo lost)"
}
addr_of() { echo "${POD_IP[$1]:-${NODE_ADDR[$1]}}"; }

t_curl() { # id src-host dst-host dst-ip port path max-time
  local code rc=0 res size
  res=$(nx "$2" curl -4 -s -o /dev/null -w '%{http_code} %{size_download}' --connect-timeout 2 --max-time "$7" \
    "http://$4:$5$6") || rc=$?
  code=${res%% *}; size=${res#* }
  local outcome=ok
  if [ "$rc" != 0 ] || [ "$code" != 200 ]; then outcome=lost; fi
  flow "$1" tcp "$2" "$3" "$(addr_of "$2")" "$4" "$5" "$size" "curl http://$4:$5$6" \
    "curl exit $rc, HTTP $code, $size bytes" "$outcome"
}

t_dns() { # id src-pod dst-pod server-ip count
  local res
  res=$(nx "$2" "$PYTHON" "$HERE/real_traffic.py" lookup "$4" 53 "$5")
  flow "$1" udp "$2" "$3" "$(addr_of "$2")" "$4" 53 - "$5 A lookups, one socket each" "$res" \
    "$(case $res in "$5 of $5 "*) echo ok ;; *) echo lost ;; esac)"
}
t_udp() { # id src-pod dst-pod dst-ip port
  local res
  res=$(nx "$2" "$PYTHON" "$HERE/real_traffic.py" echo "$4" "$5" 3)
  flow "$1" udp "$2" "$3" "$(addr_of "$2")" "$4" "$5" - "3 datagrams to $4:$5, each echoed" "$res" \
    "$(case $res in "3 of 3 "*) echo ok ;; *) echo lost ;; esac)"
}

# --- dumps ---------------------------------------------------------------------------------------
dumps() { # node
  local h=$1 d="$OUT/$1"
  mkdir -p "$d"
  nx "$h" ip addr show >"$d/ip-addr.txt"
  nx "$h" ip -j addr show >"$d/ip-addr.json"
  nx "$h" ip route show >"$d/ip-route.txt"
  nx "$h" route -n >"$d/route-n.txt"
  nx "$h" bridge fdb show >"$d/bridge-fdb.txt"
  nx "$h" bridge vlan >"$d/bridge-vlan.txt"
  nx "$h" ip neigh show >"$d/ip-neigh.txt"
  nx "$h" ip -d link show >"$d/ip-d-link.txt"
  printf '%s\n' "$h" >"$d/hostname"
}
snapshot() {
  local h
  mkdir -p "$W/ipj"
  for h in "${!NETNS[@]}"; do
    ip -n "${NETNS[$h]}" -j -d link show >"$W/ipj/$h.link.json"
    ip -n "${NETNS[$h]}" -j addr show >"$W/ipj/$h.addr.json"
    ip -n "${NETNS[$h]}" -j route show >"$W/ipj/$h.route.json"
  done
}

# --- scenarios -----------------------------------------------------------------------------------
N1="ip-10-32-11-62"; N2="ip-10-32-7-224"; N3="ip-10-32-3-15"

healthy_3node() {
  underlay aws-vpc vpc0 10.32.0.1/20 9001
  node "$N1" control-plane 10.32.11.62/20 10.32.0.1 9001
  node "$N2" worker 10.32.7.224/20 10.32.0.1 9001
  node "$N3" worker 10.32.3.15/20 10.32.0.1 9001
  flannel_node "$N1" 0 9001; flannel_node "$N2" 1 9001; flannel_node "$N3" 2 9001
  local a b
  for a in "$N1" "$N2" "$N3"; do for b in "$N1" "$N2" "$N3"; do
    [ "$a" = "$b" ] || flannel_lease "$a" "${FL_X[$b]}" "${NODE_ADDR[$b]}" "${FL_MAC[$b]}" "$b"
  done; done
  local cd=coredns-6799fbcd5-k7x2q web=web-7c9f8d6b5-q4tmz cl=client-5d8f6b7c4-2ljxw
  local api=api-66b9c7d8f4-hn2vd job=loadgen-8f5c6d7b9-wq7rz
  pod "$cd" kube-system "$N1" 10.42.0.2 flannel 8951 1/1 coredns:53
  pod "$web" default "$N1" 10.42.0.5 flannel 8951 1/1 nginx:80
  pod "$cl" default "$N1" 10.42.0.6 flannel 8951 1/1 client
  pod "$api" default "$N2" 10.42.1.7 flannel 8951 1/1 api:8080,echo:5005
  pod "$job" default "$N3" 10.42.2.4 flannel 8951 1/1 loadgen
  for a in "$N1" "$N2" "$N3"; do
    host_pod "kube-flannel-ds-$(hexof "fl/$a" 5)" "$a" 1/1 kube-flannel
    host_pod "kube-proxy-$(hexof "kp/$a" 5)" "$a" 1/1 kube-proxy
  done
  for a in "$N1" "$N2" "$N3"; do cap "$a" eth0; cap "$a" flannel.1; cap "$a" cni0; done
  for p in "$cd" "$web" "$cl" "$api" "$job"; do cap "${POD_NODE[$p]}" "${POD_IF[$p]}"; done
  pod_up "$cd" "$web" "$cl" "$api" "$job"
  dad_wait
  py_server "$cd" udp 53 dns
  http_server "$web" 80 1500000
  http_server "$api" 8080 1000000
  py_server "$api" udp 5005 echo
  t_dns "dns $cl->$cd (same node)" "$cl" "$cd" 10.42.0.2 12
  t_dns "dns $api->$cd (cross-node)" "$api" "$cd" 10.42.0.2 12
  t_dns "dns $job->$cd (cross-node)" "$job" "$cd" 10.42.0.2 12
  t_ping "ping $cl->$web (same node)" "$cl" "$web" 10.42.0.5 3
  t_ping "ping $cl->$api (cross-node)" "$cl" "$api" 10.42.1.7 3
  t_ping "ping $job->$web (cross-node)" "$job" "$web" 10.42.0.5 3
  t_ping "ping $N2->$N3 (underlay)" "$N2" "$N3" 10.32.3.15 3
  t_curl "http $cl->$web:80 small (same node)" "$cl" "$web" 10.42.0.5 80 / 5
  t_curl "http $cl->$web:80 bulk (same node)" "$cl" "$web" 10.42.0.5 80 /blob 10
  t_curl "http $api->$web:80 bulk (cross-node)" "$api" "$web" 10.42.0.5 80 /blob 10
  t_curl "http $job->$api:8080 bulk (cross-node)" "$job" "$api" 10.42.1.7 8080 /blob 10
  t_udp "udp $job->$api:5005 (cross-node)" "$job" "$api" 10.42.1.7 5005
  cap_end
  for a in "$N1" "$N2" "$N3"; do dumps "$a"; done
}

mtu_fragments() {
  local W1=worker-1 W2=worker-2
  underlay dc-net br-underlay 192.168.56.1/24 1500
  # Every fragment is dropped in the underlay (first fragments too), as some cloud networks do.
  local rule='nft add rule bridge underlay forward ip frag-off & 0x3fff != 0 counter drop'
  nx dc-net nft add table bridge underlay
  nx dc-net nft add chain bridge underlay forward '{ type filter hook forward priority 0; policy accept; }'
  nx dc-net nft add rule bridge underlay forward ip frag-off '&' 0x3fff != 0 counter drop
  record meta.tsv filter "$rule"
  node "$W1" worker 192.168.56.11/24 192.168.56.1 1500
  node "$W2" worker 192.168.56.12/24 192.168.56.1 1500
  # The misconfiguration: vxlan.calico keeps MTU 1500 on a 1500-byte underlay (should be 1450).
  calico_node "$W1" 10.244.17.64/26 10.244.17.64 1500
  calico_node "$W2" 10.244.201.128/26 10.244.201.128 1500
  calico_peer "$W1" "$W2"; calico_peer "$W2" "$W1"
  local fe=frontend-6b8d9c7f5-x2k9p be=backend-5f7c8d9b6-m4t8w
  pod "$fe" default "$W1" 10.244.17.65 calico 1500 1/1 frontend
  pod "$be" default "$W2" 10.244.201.130 calico 1500 1/1 backend:80
  local a
  for a in "$W1" "$W2"; do
    host_pod "calico-node-$(hexof "cn/$a" 5)" "$a" 1/1 calico-node
    host_pod "kube-proxy-$(hexof "kp/$a" 5)" "$a" 1/1 kube-proxy
  done
  for a in "$W1" "$W2"; do cap "$a" eth0; cap "$a" vxlan.calico; done
  cap "$W1" "${POD_IF[$fe]}"; cap "$W2" "${POD_IF[$be]}"
  pod_up "$fe" "$be"
  dad_wait
  http_server "$be" 80 1500000
  t_ping "ping $fe->$be small" "$fe" "$be" 10.244.201.130 3
  t_curl "http $fe->$be:80 small" "$fe" "$be" 10.244.201.130 80 / 5
  t_ping "ping $fe->$be -s 1472 (DF not set)" "$fe" "$be" 10.244.201.130 3 1472
  t_curl "http $fe->$be:80 bulk" "$fe" "$be" 10.244.201.130 80 /blob 4
  t_ping "ping $W1->$W2 (underlay)" "$W1" "$W2" 192.168.56.12 3
  cap_end
  record meta.tsv dropped "$(nx dc-net nft list chain bridge underlay forward | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')"
  for a in "$W1" "$W2"; do dumps "$a"; done
}

stale_vtep() {
  local NEW=ip-10-32-9-87
  underlay aws-vpc vpc0 10.32.0.1/20 9001
  node "$N1" control-plane 10.32.11.62/20 10.32.0.1 9001
  node "$NEW" worker 10.32.9.87/20 10.32.0.1 9001
  flannel_node "$N1" 0 9001
  flannel_node "$NEW" 1 9001
  # The replaced worker (ip-10-32-7-224, VTEP 10.32.7.224) is gone; its lease 10.42.1.0/24 went to
  # the new node, but the control plane's flanneld never saw the change: route, neighbour and fdb
  # entry still name the old VTEP MAC and address, which nothing answers for any more.
  local OLD_MAC; OLD_MAC=$(macof "$N2/flannel.1")
  flannel_lease "$N1" 1 10.32.7.224 "$OLD_MAC" "$N2"
  flannel_lease "$NEW" 0 "${NODE_ADDR[$N1]}" "${FL_MAC[$N1]}" "$N1"
  record meta.tsv stale "$N1" 10.32.7.224 "$OLD_MAC" "$NEW" "${NODE_ADDR[$NEW]}" "${FL_MAC[$NEW]}"
  local web=web-7c9f8d6b5-d8r2n cl=client-5d8f6b7c4-v9k3s db=db-0
  pod "$cl" default "$N1" 10.42.0.9 flannel 8951 1/1 client
  pod "$web" default "$N1" 10.42.0.10 flannel 8951 1/1 nginx:80
  pod "$db" default "$NEW" 10.42.1.3 flannel 8951 1/1 db:5432,echo:5005
  local a
  for a in "$N1" "$NEW"; do
    host_pod "kube-flannel-ds-$(hexof "fl/$a" 5)" "$a" 1/1 kube-flannel
    host_pod "kube-proxy-$(hexof "kp/$a" 5)" "$a" 1/1 kube-proxy
  done
  for a in "$N1" "$NEW"; do cap "$a" eth0; cap "$a" flannel.1; cap "$a" cni0; done
  for p in "$cl" "$web" "$db"; do cap "${POD_NODE[$p]}" "${POD_IF[$p]}"; done
  pod_up "$cl" "$web" "$db"
  dad_wait
  http_server "$web" 80
  http_server "$db" 5432
  py_server "$db" udp 5005 echo
  t_ping "ping $cl->$web (same node)" "$cl" "$web" 10.42.0.10 3
  t_curl "http $cl->$web:80 (same node)" "$cl" "$web" 10.42.0.10 80 / 5
  t_ping "ping $cl->$db (cross-node)" "$cl" "$db" 10.42.1.3 3
  t_curl "http $cl->$db:5432 (cross-node)" "$cl" "$db" 10.42.1.3 5432 / 4
  t_udp "udp $cl->$db:5005 (cross-node)" "$cl" "$db" 10.42.1.3 5005
  t_ping "ping $db->$web (cross-node, reply lost)" "$db" "$web" 10.42.0.10 3
  t_ping "ping $NEW->$N1 (underlay)" "$NEW" "$N1" 10.32.11.62 3
  cap_end
  for a in "$N1" "$NEW"; do dumps "$a"; done
}

# --- main ----------------------------------------------------------------------------------------
mkdir -p "$OUTDIR"
for s in "$@"; do
  t0=$(date +%s)
  say "scenario $s"
  W="$TMPW/$s"; OUT="$OUTDIR/$s"
  rm -rf "$OUT" "$W"; mkdir -p "$OUT" "$W"
  for f in hosts pairs pods overlay remotes captures flows meta; do : >"$W/$f.tsv"; done
  record meta.tsv kernel "$(uname -r)"
  "${s//-/_}"
  snapshot
  "$PYTHON" "$HERE/real_describe.py" "$s" "$W" "$OUT"
  stop_background
  remove_namespaces
  chmod -R a+rX "$OUT"
  say "scenario $s done in $(( $(date +%s) - t0 ))s, $(du -sk "$OUT" | cut -f1) KiB"
done
