#!/usr/bin/env bash
# podpath lab: the "services" cluster's Services as kube-proxy's nftables mode writes them.
#
# Writes, for the samples/services cluster (ClusterIPs 10.43.0.50:80 default/web -> 10.42.0.9:8080
# and 10.42.1.12:8080, NodePort 30080; 10.43.0.10:53 kube-dns -> 10.42.1.3; 10.43.0.60:80
# default/empty without endpoints; 10.43.0.1:443 kubernetes -> 10.32.11.62:6443), the table
# `ip kube-proxy` with kube-proxy's layout (pkg/proxy/nftables: services chain with the
# service-ips / service-nodeports verdict maps, service-HASH-ns/name/proto/port chains picking an
# endpoint with `numgen random mod N vmap`, endpoint-HASH-... chains with `dnat to`,
# mark-for-masquerade / masquerading, no-endpoint-services -> reject-chain), loads it with
# `nft -f` into a scratch network namespace (the kernel checks it) and saves `nft list ruleset`
# into OUTDIR/<node>/nft-ruleset.txt for both nodes (kube-proxy writes the same table on each).
# Chain hashes: base32 of sha256 of "ns/name:port/proto" (and of the endpoint), first 8 chars.
# With SEED=samples/services (the default, when present) the variant's other files are copied from
# it: the captures and node dumps less iptables-save, iptables -t nat -L, conntrack, and pods.txt
# (the kubectl Service and endpoint listings are left out: the Services come from the nft table).
#
#   usage (as root):  bash samples/lab/services-nft.sh OUTDIR
set -Eeuo pipefail
[ $# -eq 1 ] || { echo "usage: bash samples/lab/services-nft.sh OUTDIR" >&2; exit 2; }
OUT=${1%/}
command -v nft >/dev/null || { echo "lab: nft (nftables) is needed" >&2; exit 1; }
NS=ppnft$$
trap 'ip netns del "$NS" 2>/dev/null || true' EXIT
ip netns add "$NS"

h() { printf '%s' "$1" | sha256sum | cut -c1-40 | xxd -r -p | base32 | cut -c1-8; }
svc() { echo "service-$(h "$1/$2:$3/$4")-$1/$2/$4/$3"; }          # ns name port proto
ext() { echo "external-$(h "$1/$2:$3/$4")-$1/$2/$4/$3"; }
ep() { echo "endpoint-$(h "$1/$2:$3/$4/$5")-$1/$2/$4/$3__${5%:*}/${5#*:}"; }   # ... ip:port

WEB=$(svc default web http tcp); WEBX=$(ext default web http tcp)
WEB1=$(ep default web http tcp 10.42.0.9:8080); WEB2=$(ep default web http tcp 10.42.1.12:8080)
DNS=$(svc kube-system kube-dns dns udp); DNS1=$(ep kube-system kube-dns dns udp 10.42.1.3:53)
DNST=$(svc kube-system kube-dns dns-tcp tcp); DNST1=$(ep kube-system kube-dns dns-tcp tcp 10.42.1.3:53)
MET=$(svc kube-system kube-dns metrics tcp); MET1=$(ep kube-system kube-dns metrics tcp 10.42.1.3:9153)
API=$(svc default kubernetes https tcp); API1=$(ep default kubernetes https tcp 10.32.11.62:6443)

endpoint() { # chain ip port proto
  printf '\tchain %s {\n\t\tip saddr %s jump mark-for-masquerade\n\t\tmeta l4proto %s dnat to %s:%s\n\t}\n' "$1" "$2" "$4" "$2" "$3"
}
service() { # chain clusterip port proto endpoint-chains...
  local c=$1 ip=$2 port=$3 proto=$4; shift 4
  printf '\tchain %s {\n\t\tip daddr %s %s dport %s ip saddr != 10.42.0.0/16 jump mark-for-masquerade\n' "$c" "$ip" "$proto" "$port"
  local i=0 els=""
  for e in "$@"; do els+="${els:+, }$i : goto $e"; i=$((i + 1)); done
  printf '\t\tnumgen random mod %s vmap { %s }\n\t}\n' "$#" "$els"
}

{
  echo 'table ip kube-proxy {'
  printf '\tcomment "rules for kube-proxy"\n'
  printf '\tset cluster-ips {\n\t\ttype ipv4_addr\n\t\tcomment "Active ClusterIPs"\n\t\telements = { 10.43.0.1, 10.43.0.10, 10.43.0.50, 10.43.0.60 }\n\t}\n'
  printf '\tset nodeport-ips {\n\t\ttype ipv4_addr\n\t\tcomment "IPs that accept NodePort traffic"\n\t}\n'
  printf '\tmap no-endpoint-services {\n\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n\t\tcomment "vmap to drop or reject packets to services with no endpoints"\n\t\telements = { 10.43.0.60 . tcp . 80 comment "default/empty:http" : goto reject-chain }\n\t}\n'
  printf '\tmap no-endpoint-nodeports {\n\t\ttype inet_proto . inet_service : verdict\n\t\tcomment "vmap to drop or reject packets to service nodeports with no endpoints"\n\t}\n'
  printf '\tmap service-ips {\n\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n\t\tcomment "ClusterIP, ExternalIP and LoadBalancer IP traffic"\n'
  printf '\t\telements = { 10.43.0.1 . tcp . 443 : goto %s, 10.43.0.10 . udp . 53 : goto %s, 10.43.0.10 . tcp . 53 : goto %s, 10.43.0.10 . tcp . 9153 : goto %s, 10.43.0.50 . tcp . 80 : goto %s }\n\t}\n' "$API" "$DNS" "$DNST" "$MET" "$WEB"
  printf '\tmap service-nodeports {\n\t\ttype inet_proto . inet_service : verdict\n\t\tcomment "NodePort traffic"\n\t\telements = { tcp . 30080 : goto %s }\n\t}\n' "$WEBX"
  printf '\tchain filter-prerouting {\n\t\ttype filter hook prerouting priority -110;\n\t}\n'
  printf '\tchain filter-input {\n\t\ttype filter hook input priority -110;\n\t\tct state new jump nodeport-endpoints-check\n\t\tct state new jump service-endpoints-check\n\t}\n'
  printf '\tchain filter-forward {\n\t\ttype filter hook forward priority -110;\n\t\tct state new jump service-endpoints-check\n\t\tct state new jump cluster-ips-check\n\t}\n'
  printf '\tchain filter-output {\n\t\ttype filter hook output priority -110;\n\t\tct state new jump service-endpoints-check\n\t}\n'
  printf '\tchain nat-prerouting {\n\t\ttype nat hook prerouting priority -100;\n\t\tjump services\n\t}\n'
  printf '\tchain nat-output {\n\t\ttype nat hook output priority -100;\n\t\tjump services\n\t}\n'
  printf '\tchain nat-postrouting {\n\t\ttype nat hook postrouting priority 100;\n\t\tjump masquerading\n\t}\n'
  printf '\tchain masquerading {\n\t\tmeta mark & 0x00004000 == 0 return\n\t\tmeta mark set meta mark ^ 0x00004000\n\t\tmasquerade fully-random\n\t}\n'
  printf '\tchain mark-for-masquerade {\n\t\tmeta mark set meta mark | 0x00004000\n\t}\n'
  printf '\tchain reject-chain {\n\t\tcomment "helper for @no-endpoint-services / @no-endpoint-nodeports"\n\t\treject\n\t}\n'
  printf '\tchain service-endpoints-check {\n\t\tip daddr . meta l4proto . th dport vmap @no-endpoint-services\n\t}\n'
  printf '\tchain nodeport-endpoints-check {\n\t\tip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports\n\t}\n'
  printf '\tchain cluster-ips-check {\n\t\tip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"\n\t\tip daddr 10.43.0.0/16 drop comment "Drop traffic to unallocated ClusterIPs"\n\t}\n'
  printf '\tchain services {\n\t\tip daddr . meta l4proto . th dport vmap @service-ips\n\t\tfib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports\n\t}\n'
  service "$WEB" 10.43.0.50 80 tcp "$WEB1" "$WEB2"
  printf '\tchain %s {\n\t\tjump mark-for-masquerade\n\t\tgoto %s\n\t}\n' "$WEBX" "$WEB"
  endpoint "$WEB1" 10.42.0.9 8080 tcp; endpoint "$WEB2" 10.42.1.12 8080 tcp
  service "$DNS" 10.43.0.10 53 udp "$DNS1"; endpoint "$DNS1" 10.42.1.3 53 udp
  service "$DNST" 10.43.0.10 53 tcp "$DNST1"; endpoint "$DNST1" 10.42.1.3 53 tcp
  service "$MET" 10.43.0.10 9153 tcp "$MET1"; endpoint "$MET1" 10.42.1.3 9153 tcp
  service "$API" 10.43.0.1 443 tcp "$API1"; endpoint "$API1" 10.32.11.62 6443 tcp
  echo '}'
} > "/tmp/$NS.nft"
ip netns exec "$NS" nft -f "/tmp/$NS.nft"
rm -f "/tmp/$NS.nft"
SEED=${SEED:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../services" 2>/dev/null && pwd || true)}
for node in ip-10-32-11-62 ip-10-32-7-224; do
  mkdir -p "$OUT/$node"
  if [ -n "$SEED" ] && [ -d "$SEED/$node" ]; then
    for f in "$SEED/$node"/*; do
      case ${f##*/} in iptables-save.txt|iptables-nat.txt|conntrack-L.txt|nf_conntrack.txt) ;; *) cp "$f" "$OUT/$node/" ;; esac
    done
  fi
  ip netns exec "$NS" nft list ruleset > "$OUT/$node/nft-ruleset.txt"
done
[ -n "$SEED" ] && [ -f "$SEED/pods.txt" ] && cp "$SEED/pods.txt" "$OUT/"
echo "lab: $OUT/*/nft-ruleset.txt written ($(wc -l < "$OUT/ip-10-32-11-62/nft-ruleset.txt") lines each)" >&2
