#!/usr/bin/env bash
# podpath namespace lab, scenario "services": follow connections through kube-proxy's NAT.
#
# The same two-node k3s/flannel cluster as run.sh (control plane ip-10-32-11-62, worker
# ip-10-32-7-224, aws-vpc as the underlay), plus what kube-proxy (iptables mode) writes on every
# node for four Services, plus an "admin" host on the underlay that is not a node. Traffic:
#   - pod "client" (control plane) curls the ClusterIP 10.43.0.50:80 of default/web until both
#     endpoints were picked by the statistic rule (10.42.0.9 on the same node, 10.42.1.12 on the
#     worker, behind flannel.1);
#   - one DNS query to kube-system/kube-dns 10.43.0.10:53/udp (backend on the worker);
#   - curl 10.43.0.60:80, default/empty, which has no endpoints: kube-proxy's filter REJECT rule
#     answers with ICMP port unreachable;
#   - admin (10.32.0.5) curls the NodePort 10.32.11.62:30080 until the worker's endpoint was picked:
#     DNAT plus MASQUERADE on the control plane, so the backend sees 10.42.0.0 (flannel.1) as source.
# Captures, node dumps (iptables-save -c, iptables -t nat -L -n -v, conntrack -L taken right after
# the traffic), kubectl-format listings and lab.json go to OUTDIR/services/ (deleted first).
#
#   usage (as root):  bash samples/lab/services.sh OUTDIR
#
# Everything lives in namespaces named ppsv<pid>-*, removed on exit, error or interrupt.
set -Eeuo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=samples/lab/lib.sh
. "$LAB_DIR/lib.sh"
[ $# -eq 1 ] && [ -n "${1%/}" ] || { echo "usage: bash samples/lab/services.sh OUTDIR" >&2; exit 2; }
OUT=${1%/}
if [ "$(id -u)" != 0 ]; then
  echo "lab: must run as root (network namespaces, veth, bridges, vxlan, iptables)" >&2
  exit 1
fi

need=(ip:iproute2 bridge:iproute2 ss:iproute2 tcpdump:tcpdump iptables:iptables iptables-restore:iptables
      conntrack:conntrack route:net-tools curl:curl python3:python3 md5sum:coreutils)
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
P="ppsv$$-"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/podpath-lab-services.XXXXXX")
SC="$SCRATCH/services"
SCEN_OUT="$OUT/services"
declare -A NS=() LIVE=() CAPLOG=()
CAPS=()
VLAN_FILTERING=unknown

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR

# --- building blocks (the same wiring as run.sh) ------------------------------------------------

ns_add() { # host netns role [node]
  local h=$1 n=$2 role=$3 node=${4:-}
  ip netns add "$n"
  NS[$h]=$n
  ip netns exec "$n" sysctl -qw net.ipv6.conf.default.router_solicitations=0 \
    net.ipv6.conf.all.router_solicitations=0 \
    net.ipv6.conf.default.mldv2_unsolicited_report_interval=100 \
    net.ipv6.conf.default.mldv1_unsolicited_report_interval=100
  ip -n "$n" link set lo up
  printf '%s\t%s\t%s\t%s\n' "$h" "$role" "$n" "$node" >>"$SC/hosts.tsv"
}

# A host on the VPC that is not a node (a bastion / admin machine): eth0 plugged into vpc0.
build_external() { # name ip mac
  local h=$1 ip=$2 emac=$3 port="eni-${2#10.32.}"
  port=${port//./-}
  ns_add "$h" "${P}$h" external
  ip -n "${NS[$h]}" link add eth0 address "$emac" mtu 9001 type veth \
    peer name "$port" netns "${NS[aws-vpc]}" address "$(mac_of "aws-vpc/$port")" mtu 9001
  pair_rec "$h" eth0 aws-vpc "$port"
  ip -n "${NS[aws-vpc]}" link set "$port" master vpc0 up
  ip -n "${NS[$h]}" addr add "$ip/20" brd + dev eth0
  ip -n "${NS[$h]}" link set eth0 up
  ip -n "${NS[$h]}" route add default via 10.32.0.1 dev eth0
}

declare -A NODE_IP=() NODE_X=() NODE_FMAC=()
build_node() { # name role eth0-ip eth0-mac flannel-mac cni0-mac subnet-index
  local h=$1 role=$2 ip=$3 emac=$4 fmac=$5 cmac=$6 x=$7
  local port="eni-${ip#10.32.}"
  port=${port//./-}
  ns_add "$h" "${P}$h" "$role"
  local n=${NS[$h]} v=${NS[aws-vpc]}
  NODE_IP[$h]=$ip; NODE_X[$h]=$x; NODE_FMAC[$h]=$fmac
  # What k3s requires of a node: forwarding, and bridged pod traffic through iptables
  # (br_netfilter), without which a Service backend on the client's own bridge answers directly.
  ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 \
    net.bridge.bridge-nf-call-ip6tables=1
  ip -n "$n" link add eth0 address "$emac" mtu 9001 type veth \
    peer name "$port" netns "$v" address "$(mac_of "aws-vpc/$port")" mtu 9001
  pair_rec "$h" eth0 aws-vpc "$port"
  ip -n "$v" link set "$port" master vpc0 up
  ip -n "$n" addr add "$ip/20" brd + dev eth0 valid_lft 3600 preferred_lft 3600
  ip -n "$n" link set eth0 up
  ip -n "$n" route add default via 10.32.0.1 dev eth0
  ip -n "$n" route add 169.254.169.254 dev eth0
  ip -n "$n" link add flannel.1 address "$fmac" mtu 8951 type vxlan id 1 local "$ip" dev eth0 dstport 8472 nolearning
  ip -n "$n" addr add "10.42.$x.0/32" dev flannel.1
  ip -n "$n" link set flannel.1 up
  ip -n "$n" link add cni0 address "$cmac" mtu 8951 type bridge
  if ip -n "$n" link set cni0 type bridge vlan_filtering 1 2>/dev/null; then VLAN_FILTERING=yes; else VLAN_FILTERING=no; fi
  ip -n "$n" addr add "10.42.$x.1/24" brd + dev cni0
  ip -n "$n" link set cni0 up
  if [ "$role" = control-plane ]; then
    ip -n "$n" link add docker0 address 02:42:6f:1c:3a:5d type bridge
    ip -n "$n" addr add 172.17.0.1/16 brd + dev docker0
    ip -n "$n" link set docker0 up
  fi
}

wire_overlay() { # from-node to-node
  local a=$1 b=$2 xb=${NODE_X[$2]}
  ip -n "${NS[$a]}" route add "10.42.$xb.0/24" via "10.42.$xb.0" dev flannel.1 onlink
  ip -n "${NS[$a]}" neigh add "10.42.$xb.0" lladdr "${NODE_FMAC[$b]}" dev flannel.1 nud permanent
  nsx "$a" bridge fdb append "${NODE_FMAC[$b]}" dev flannel.1 dst "${NODE_IP[$b]}"
}

declare -A POD_VETH=() POD_IP=()
add_pod() { # pod namespace node ip ready containers
  local pod=$1 kns=$2 node=$3 ip=$4 ready=$5 containers=$6
  local h uuid veth x=${NODE_X[$3]}
  h=$(printf '%s@%s' "$pod" "$node" | md5sum)
  uuid="${h:0:8}-${h:8:4}-${h:12:4}-${h:16:4}-${h:20:12}"
  veth="veth${h:24:8}"
  ns_add "$pod" "${P}cni-$uuid" pod "$node"
  local pn=${NS[$pod]}
  ip -n "$pn" link add eth0 address "$(mac_of "$node/$pod/eth0")" mtu 8951 type veth \
    peer name "$veth" netns "${NS[$node]}" address "$(mac_of "$node/$veth")" mtu 8951
  pair_rec "$pod" eth0 "$node" "$veth"
  ip -n "$pn" addr add "$ip/24" brd + dev eth0
  ip -n "$pn" link set eth0 up
  ip -n "$pn" route add default via "10.42.$x.1" dev eth0
  ip -n "${NS[$node]}" link set "$veth" master cni0 up
  POD_VETH[$pod]=$veth
  POD_IP[$pod]=$ip
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pod" "$kns" "$ip" "$node" "$veth" "$ready" "$containers" "$(date +%s)" >>"$SC/pods.tsv"
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

serve_http() { # pod port
  local pod=$1 port=$2 www="$SCRATCH/www-$1-$2"
  mkdir -p "$www"
  printf '<!DOCTYPE html>\n<html><head><title>podpath lab</title></head>\n<body><p>%s answers on port %s</p></body></html>\n' \
    "$pod" "$port" >"$www/index.html"
  ip netns exec "${NS[$pod]}" "$PY" -m http.server "$port" --bind 0.0.0.0 --directory "$www" >/dev/null 2>&1 &
  LIVE[$!]=1
  wait_listen "$pod" tcp "$port"
}

# A minimal DNS responder standing in for CoreDNS: answers A queries for the lab's Services from a
# fixed table (NXDOMAIN otherwise).
serve_dns() { # pod
  ip netns exec "${NS[$1]}" "$PY" -c '
import socket, struct
TABLE = {"web.default.svc.cluster.local": "10.43.0.50", "empty.default.svc.cluster.local": "10.43.0.60",
         "kube-dns.kube-system.svc.cluster.local": "10.43.0.10", "kubernetes.default.svc.cluster.local": "10.43.0.1"}
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
while True:
    q, peer = s.recvfrom(2048)
    if len(q) < 17:
        continue
    qid, flags = struct.unpack("!HH", q[:4])
    off, labels = 12, []
    while q[off]:
        labels.append(q[off + 1:off + 1 + q[off]].decode("ascii", "replace"))
        off += 1 + q[off]
    question = q[12:off + 5]
    qtype = struct.unpack("!H", q[off + 1:off + 3])[0]
    ip = TABLE.get(".".join(labels).lower())
    answers = b""
    if ip and qtype == 1:
        answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton(ip)
    rcode = 0 if ip else 3
    hdr = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode, 1, 1 if answers else 0, 0, 0)
    s.sendto(hdr + question + answers, peer)
' >/dev/null 2>&1 &
  LIVE[$!]=1
  wait_listen "$1" udp 53
}

CAPN=0
cap() { # host iface file
  local h=$1 ifc=$2 file=$3
  CAPN=$((CAPN + 1))
  local elog="$SCRATCH/cap.$CAPN.log" _
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
    log "  capture $file: $(grep -E 'packets (captured|dropped)' "$elog" | tr '\n' ' ')"
  done
  CAPS=()
}

# --- kube-proxy ---------------------------------------------------------------------------------
# Chain-name hashes exactly as kube-proxy computes them: the first 16 characters of the base32
# (RFC 4648, standard alphabet) SHA-256 of "<namespace>/<name>:<port name>" + protocol (lower
# case), plus "<ip>:<port>" of the endpoint for a KUBE-SEP chain.
kp_hash() { "$PY" -c 'import base64, hashlib, sys; print(base64.b32encode(hashlib.sha256(sys.argv[1].encode()).digest()).decode()[:16])' "$1"; }

CLUSTER_CIDR=10.42.0.0/16
# Services: namespace name type clusterIP selector ports, where ports is a comma list of
# portname/protocol/port/targetPort[/nodePort]. Endpoints: namespace/name ip targetPort pod node.
SERVICES=(
  'default kubernetes ClusterIP 10.43.0.1 <none> https/tcp/443/6443'
  'default web NodePort 10.43.0.50 app=web http/tcp/80/8080/30080'
  'default empty ClusterIP 10.43.0.60 app=empty http/tcp/80/8080'
  'kube-system kube-dns ClusterIP 10.43.0.10 k8s-app=kube-dns dns/udp/53/53,dns-tcp/tcp/53/53,metrics/tcp/9153/9153'
)

# kube-proxy's rules for this cluster in iptables-restore input, the way kube-proxy writes them:
# the jump rules from the built-in chains, then one full *filter and *nat section. The rules are
# the same on every node (kube-proxy only differs per node for Local traffic policies).
write_kube_proxy_rules() { # endpoints-file
  local ep_file=$1 line ns name _type cip _sel ports p pname proto port tport nport key svc ext
  local filter_rules=() nat_chains=() nat_rules=() svc_rules=() np_rules=() sep_rules=() ext_rules=()
  local -a eps
  for line in "${SERVICES[@]}"; do
    read -r ns name _type cip _sel ports <<<"$line"
    IFS=, read -r -a plist <<<"$ports"
    for p in "${plist[@]}"; do
      IFS=/ read -r pname proto port tport nport <<<"$p"
      key="$ns/$name:$pname"
      svc="KUBE-SVC-$(kp_hash "$key$proto")"
      mapfile -t eps < <(awk -v k="$ns/$name" -v t="$tport" '$1 == k && $3 == t {print $2 ":" $3}' "$ep_file" | sort)
      if [ ${#eps[@]} -eq 0 ]; then
        filter_rules+=("-A KUBE-SERVICES -m comment --comment \"$key has no endpoints\" -m $proto -p $proto -d $cip --dport $port -j REJECT")
        [ -z "$nport" ] || filter_rules+=("-A KUBE-EXTERNAL-SERVICES -m comment --comment \"$key has no endpoints\" -m addrtype --dst-type LOCAL -m $proto -p $proto --dport $nport -j REJECT")
        printf '%s\t%s\t%s\t%s\n' "$key" "$proto" - - >>"$SC/chains.tsv"
        continue
      fi
      nat_chains+=("$svc")
      nat_rules+=("-A KUBE-SERVICES -m comment --comment \"$key cluster IP\" -m $proto -p $proto -d $cip --dport $port -j $svc")
      svc_rules+=("-A $svc -m comment --comment \"$key cluster IP\" -m $proto -p $proto -d $cip --dport $port ! -s $CLUSTER_CIDR -j KUBE-MARK-MASQ")
      ext=-
      if [ -n "$nport" ]; then
        ext="KUBE-EXT-$(kp_hash "$key$proto")"
        nat_chains+=("$ext")
        np_rules+=("-A KUBE-NODEPORTS -m comment --comment $key -m $proto -p $proto --dport $nport -j $ext")
        ext_rules+=("-A $ext -m comment --comment \"masquerade traffic for $key external destinations\" -j KUBE-MARK-MASQ")
        ext_rules+=("-A $ext -j $svc")
      fi
      local i n=${#eps[@]} sep ep
      for ((i = 0; i < n; i++)); do
        ep=${eps[$i]}
        sep="KUBE-SEP-$(kp_hash "$key$proto$ep")"
        nat_chains+=("$sep")
        if [ $((n - i)) -gt 1 ]; then
          # kube-proxy's probability: 1/(endpoints left), printed with %0.10f.
          svc_rules+=("-A $svc -m comment --comment \"$key -> $ep\" -m statistic --mode random --probability $(awk -v n=$((n - i)) 'BEGIN { printf "%0.10f", 1 / n }') -j $sep")
        else
          svc_rules+=("-A $svc -m comment --comment \"$key -> $ep\" -j $sep")
        fi
        sep_rules+=("-A $sep -m comment --comment $key -s ${ep%:*} -j KUBE-MARK-MASQ")
        sep_rules+=("-A $sep -m comment --comment $key -m $proto -p $proto -j DNAT --to-destination $ep")
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "$proto" "$svc" "$ext" "$ep" "$sep" >>"$SC/chains.tsv"
      done
    done
  done
  nat_rules+=('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
  {
    echo '*mangle'
    echo ':KUBE-IPTABLES-HINT - [0:0]'
    echo ':KUBE-KUBELET-CANARY - [0:0]'
    echo ':KUBE-PROXY-CANARY - [0:0]'
    echo 'COMMIT'
    echo '*filter'
    local c
    for c in KUBE-EXTERNAL-SERVICES KUBE-FIREWALL KUBE-FORWARD KUBE-KUBELET-CANARY KUBE-NODEPORTS KUBE-PROXY-CANARY KUBE-PROXY-FIREWALL KUBE-SERVICES; do
      echo ":$c - [0:0]"
    done
    echo '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'
    echo '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS'
    echo '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES'
    echo '-A INPUT -j KUBE-FIREWALL'
    echo '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'
    echo '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD'
    echo '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'
    echo '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES'
    echo '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'
    echo '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'
    echo '-A OUTPUT -j KUBE-FIREWALL'
    printf '%s\n' "${filter_rules[@]}"
    echo '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP'
    echo '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP'
    echo '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT'
    echo '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'
    echo 'COMMIT'
    echo '*nat'
    for c in KUBE-KUBELET-CANARY KUBE-MARK-MASQ KUBE-NODEPORTS KUBE-POSTROUTING KUBE-PROXY-CANARY KUBE-SERVICES $(printf '%s\n' "${nat_chains[@]}" | sort -u); do
      echo ":$c - [0:0]"
    done
    echo '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'
    echo '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'
    echo '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'
    printf '%s\n' "${np_rules[@]}" "${nat_rules[@]}" "${ext_rules[@]}"
    echo '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000'
    echo '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN'
    echo '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000'
    echo '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully'
    printf '%s\n' "${sep_rules[@]}" "${svc_rules[@]}"
    echo 'COMMIT'
  } >"$SC/kube-proxy.rules"
}

# --- traffic ------------------------------------------------------------------------------------
# flows.tsv: id proto src-host src-ip sport dst-ip dport service-key backend-ip backend-port
#            masq-ip masq-port command result outcome
flow() { local IFS=$'\t'; printf '%s\n' "$*" >>"$SC/flows.tsv"; }

# The connection's conntrack entry on the translating node: "backend-ip backend-port reply-dst
# reply-dport" (the reply tuple: who answers, and to which address the answer goes).
ct_reply() { # node proto src sport dst dport
  local line
  line=$(nsx "$1" conntrack -L -p "$2" -s "$3" --sport "$4" -d "$5" --dport "$6" 2>/dev/null | head -1)
  [ -n "$line" ] || die "no conntrack entry on $1 for $2 $3:$4 -> $5:$6"
  # The second src=/dst=/sport=/dport= group is the reply direction.
  printf '%s\n' "$line" | awk '{
    n = 0
    for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "src") n++; if (n == 2) r[kv[1]] = kv[2] }
    print r["src"], r["sport"], r["dst"], r["dport"] }'
}

# One HTTP request to a Service; the backend kube-proxy picked comes from conntrack, and must be
# the pod whose page came back.
http_via_service() { # id src-host node url dst-ip dport service-key
  local id=$1 src=$2 node=$3 url=$4 dip=$5 dport=$6 key=$7 out rc=0 code sport body
  out=$(nsx "$src" curl -4 -s -o "$SCRATCH/body" -w '%{http_code} %{local_port}' --connect-timeout 2 --max-time 4 "$url") || rc=$?
  code=${out% *}; sport=${out#* }
  [ "$rc" = 0 ] && [ "$code" = 200 ] || die "$id: curl exit $rc (HTTP $code)"
  local sip=${POD_IP[$src]:-${EXT_IP[$src]:-}}
  local bip bport rdst rdport
  read -r bip bport rdst rdport < <(ct_reply "$node" tcp "$sip" "$sport" "$dip" "$dport")
  body=$(cat "$SCRATCH/body")
  local pod
  pod=$(awk -F'\t' -v ip="$bip" '$3 == ip {print $1}' "$SC/pods.tsv")
  case $body in *"$pod answers"*) ;; *) die "$id: conntrack says $bip ($pod) but the page came from: $body" ;; esac
  local mip=- mport=-
  [ "$rdst" = "$sip" ] || { mip=$rdst; mport=$rdport; }
  local how=''
  [ "$mip" = - ] || how=", source masqueraded to $mip:$mport"
  log "  $id: HTTP $code from $pod ($bip:$bport)$how"
  flow "$id" tcp "$src" "$sip" "$sport" "$dip" "$dport" "$key" "$bip" "$bport" "$mip" "$mport" \
    "curl ${url#http://}" "HTTP $code" ok
  LAST_BACKEND=$bip
}

# Repeat until every endpoint in $2 (space-separated IPs) has answered at least once (min 2 runs).
http_until_all() { # id-prefix want-ips max -- http_via_service args (without id)
  local prefix=$1 want=$2 max=$3 i=0 seen=' ' ip all
  shift 4
  while :; do
    i=$((i + 1))
    http_via_service "$prefix #$i" "$@"
    case $seen in *" $LAST_BACKEND "*) ;; *) seen="$seen$LAST_BACKEND " ;; esac
    all=1
    for ip in $want; do case $seen in *" $ip "*) ;; *) all= ;; esac; done
    if [ -n "$all" ] && [ "$i" -ge 2 ]; then break; fi
    [ "$i" -lt "$max" ] || die "$prefix: the statistic rule never picked all of $want in $max requests"
  done
}

dns_via_service() { # id src-host node name
  local id=$1 src=$2 node=$3 name=$4 out sport answer
  out=$(nsx "$src" "$PY" -c '
import random, socket, struct, sys
name = sys.argv[1]
qid = random.randrange(65536)
q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack("!HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(q, ("10.43.0.10", 53))
port = s.getsockname()[1]
try:
    r, _ = s.recvfrom(2048)
except socket.timeout:
    print(port, "no-answer")
    sys.exit(0)
an = struct.unpack("!H", r[6:8])[0]
print(port, socket.inet_ntoa(r[-4:]) if an else "NXDOMAIN")
' "$name")
  sport=${out%% *}; answer=${out#* }
  case $answer in 10.*) ;; *) die "$id: DNS answer: $answer" ;; esac
  local sip=${POD_IP[$src]} bip bport rdst rdport
  read -r bip bport rdst rdport < <(ct_reply "$node" udp "$sip" "$sport" 10.43.0.10 53)
  log "  $id: $name is $answer (answered by $bip:$bport)"
  flow "$id" udp "$src" "$sip" "$sport" 10.43.0.10 53 kube-system/kube-dns:dns "$bip" "$bport" - - \
    "DNS query A $name to 10.43.0.10:53" "answer $name A $answer" ok
}

http_rejected() { # id src-host url dst-ip dport service-key
  local id=$1 src=$2 url=$3 rc=0 err
  err=$(nsx "$src" curl -4 -sS -o /dev/null --connect-timeout 2 --max-time 4 "$url" 2>&1) || rc=$?
  [ "$rc" = 7 ] || die "$id: expected curl exit 7 (connection refused), got $rc: $err"
  log "  $id: curl exit $rc: $err"
  flow "$id" tcp "$src" "${POD_IP[$src]}" - "$4" "$5" "$6" - - - - "curl ${url#http://}" "curl exit $rc: $err" rejected
}

# --- dumps --------------------------------------------------------------------------------------
dump_rec() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$SC/dumps.tsv"; }
dump_state() { # node: conntrack and counters, right after the traffic
  local h=$1 d="$SCEN_OUT/$1"
  mkdir -p "$d"
  nsx "$h" conntrack -L >"$d/conntrack-L.txt" 2>/dev/null
  dump_rec "$h/conntrack-L.txt" "$h" 'conntrack -L'
  if nsx "$h" test -r /proc/net/nf_conntrack; then
    nsx "$h" cat /proc/net/nf_conntrack >"$d/nf_conntrack.txt"
    dump_rec "$h/nf_conntrack.txt" "$h" 'cat /proc/net/nf_conntrack'
  fi
  nsx "$h" iptables-save -c >"$d/iptables-save.txt"
  dump_rec "$h/iptables-save.txt" "$h" 'iptables-save -c'
  nsx "$h" iptables -t nat -L -n -v >"$d/iptables-nat.txt"
  dump_rec "$h/iptables-nat.txt" "$h" 'iptables -t nat -L -n -v'
}
dump_node() { # node
  local h=$1 d="$SCEN_OUT/$1" f
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
  for f in ip-addr.txt:'ip addr show' route-n.txt:'route -n' bridge-vlan.txt:'bridge vlan' \
    ip-d-link.txt:'ip -d link show' bridge-fdb.txt:'bridge fdb show' ip-neigh.txt:'ip neigh show' \
    ip-route.txt:'ip route show' ip-addr.json:'ip -j addr show' hostname:hostname; do
    dump_rec "$h/${f%%:*}" "$h" "${f#*:}"
  done
}

# --- the scenario -------------------------------------------------------------------------------
CP='ip-10-32-11-62'
WK='ip-10-32-7-224'
declare -A EXT_IP=([admin]=10.32.0.5)
LAST_BACKEND=

t0=$(date +%s)
rm -rf "$SCEN_OUT"
mkdir -p "$SCEN_OUT" "$SC"
: >"$SC/flows.tsv"; : >"$SC/captures.tsv"; : >"$SC/dumps.tsv"; : >"$SC/meta.tsv"; : >"$SC/chains.tsv"
printf 'services_created\t%s\n' "$(date +%s)" >>"$SC/meta.tsv"

log "building the cluster"
build_vpc
build_node "$CP" control-plane 10.32.11.62 02:1f:6b:3a:c4:5e 9a:4e:5c:0d:71:23 b2:63:27:5f:e9:08 0
build_node "$WK" worker 10.32.7.224 02:97:bb:b7:70:10 2e:98:28:11:0b:8e 22:dd:de:d2:ec:55 1
wire_overlay "$CP" "$WK"
wire_overlay "$WK" "$CP"
build_external admin 10.32.0.5 02:32:00:00:00:05

WEB_CP=web-5f7c8d9b6-k2xvq
WEB_WK=web-5f7c8d9b6-r8mzt
DNS_POD=coredns-6799fbcd5-9wq4l
add_pod "$DNS_POD" kube-system "$WK" 10.42.1.3 1/1 'coredns:53'
add_pod "$WEB_CP" default "$CP" 10.42.0.9 1/1 'web:8080'
add_pod "$WEB_WK" default "$WK" 10.42.1.12 1/1 'web:8080'
add_pod client default "$CP" 10.42.0.20 1/1 'client'
serve_http "$WEB_CP" 8080
serve_http "$WEB_WK" 8080
serve_dns "$DNS_POD"

# Endpoints (what the EndpointSlice controller would publish for the selectors above).
{
  printf 'default/kubernetes\t10.32.11.62\t6443\t-\t%s\n' "$CP"
  printf 'default/web\t10.42.0.9\t8080\t%s\t%s\n' "$WEB_CP" "$CP"
  printf 'default/web\t10.42.1.12\t8080\t%s\t%s\n' "$WEB_WK" "$WK"
  for port in 53 9153; do printf 'kube-system/kube-dns\t10.42.1.3\t%s\t%s\t%s\n' "$port" "$DNS_POD" "$WK"; done
} >"$SC/endpoints.tsv"
printf '%s\n' "${SERVICES[@]}" >"$SC/services.txt"
write_kube_proxy_rules "$SC/endpoints.tsv"
for h in "$CP" "$WK"; do nsx "$h" iptables-restore --noflush <"$SC/kube-proxy.rules"; done
printf 'iptables\t%s\n' "$(iptables --version)" >>"$SC/meta.tsv"
settle

log "capturing"
cap "$CP" "${POD_VETH[client]}" "$CP/${POD_VETH[client]}.pcap"
cap "$CP" "${POD_VETH[$WEB_CP]}" "$CP/${POD_VETH[$WEB_CP]}.pcap"
cap "$WK" "${POD_VETH[$WEB_WK]}" "$WK/${POD_VETH[$WEB_WK]}.pcap"
cap "$WK" "${POD_VETH[$DNS_POD]}" "$WK/${POD_VETH[$DNS_POD]}.pcap"
for h in "$CP" "$WK"; do
  cap "$h" cni0 "$h/cni0.pcap"
  cap "$h" flannel.1 "$h/flannel.1.pcap"
  cap "$h" eth0 "$h/eth0.pcap"
done

http_until_all "http client->web ClusterIP" "10.42.0.9 10.42.1.12" 24 -- client "$CP" http://10.43.0.50:80/ 10.43.0.50 80 default/web:http
http_rejected "http client->empty ClusterIP" client http://10.43.0.60:80/ 10.43.0.60 80 default/empty:http
http_until_all "http admin->web NodePort" "10.42.1.12" 24 -- admin "$CP" http://10.32.11.62:30080/ 10.32.11.62 30080 default/web:http
dns_via_service "dns client->kube-dns" client "$CP" web.default.svc.cluster.local
# Right after the traffic, while every entry is alive (UDP entries time out after 30 s).
dump_state "$CP"
dump_state "$WK"
cap_stop

dump_node "$CP"
dump_node "$WK"
snapshot
printf 'vlan_filtering\t%s\nkernel\t%s\n' "$VLAN_FILTERING" "$(uname -r)" >>"$SC/meta.tsv"
"$PY" "$LAB_DIR/describe_services.py" "$SC" "$SCEN_OUT"
for pid in "${!LIVE[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
LIVE=()
teardown
chmod -R a+rX "$SCEN_OUT"
log "services done in $(( $(date +%s) - t0 ))s"
