# Shell helpers shared by the lab scripts (run.sh, services.sh, cilium.sh): namespaces, the
# underlay bridge, captures and cleanup. Sourced, never run; they use the caller's globals
# (NS, SC, OUT, PY, ...).
# shellcheck shell=bash

log() { printf 'lab: %s\n' "$*" >&2; }

die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# Kill what runs inside our namespaces (all of it was started by this script), then delete them.
teardown() {
  local n pid
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P" || true); do
    for pid in $(ip netns pids "$n" 2>/dev/null || true); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$n" 2>/dev/null || true
  done
  NS=()
}

cleanup() {
  local rc=$? pid
  set +e
  trap - ERR INT TERM
  for pid in "${!LIVE[@]}"; do kill -INT "$pid" 2>/dev/null; done
  [ ${#LIVE[@]} -eq 0 ] || sleep 0.3
  for pid in "${!LIVE[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  LIVE=()
  teardown
  rm -rf "$SCRATCH"
  exit "$rc"
}

# Run a command in a host's namespace. Not for background jobs: `nsx ... &` would fork a subshell
# (so $! and signals would reach bash, not the command); those call `ip netns exec` directly, which
# execs the command in place.
nsx() { local h=$1; shift; ip netns exec "${NS[$h]}" "$@"; }

# A stable locally administered unicast MAC derived from a label, so re-runs give equal dumps.
mac_of() {
  local h
  h=$(printf '%s' "$1" | md5sum)
  printf '%02x:%s:%s:%s:%s:%s' $(( (0x${h:0:2} & 0xfc) | 0x02 )) "${h:2:2}" "${h:4:2}" "${h:6:2}" "${h:8:2}" "${h:10:2}"
}

pair_rec() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$SC/pairs.tsv"; }

# The cloud network: one bridge (vpc0, 10.32.0.1/20 = the seed's default gateway) that both
# nodes' eth0 plug into.
build_vpc() {
  ns_add aws-vpc "${P}aws-vpc" network
  ip -n "${NS[aws-vpc]}" link add vpc0 address 02:32:00:00:00:01 mtu 9001 type bridge
  ip -n "${NS[aws-vpc]}" addr add 10.32.0.1/20 brd + dev vpc0
  ip -n "${NS[aws-vpc]}" link set vpc0 up
}

# Wait until no namespace has a tentative IPv6 address (DAD done), then let MLD reports drain.
settle() {
  local _ h busy
  for _ in $(seq 60); do
    busy=
    for h in "${!NS[@]}"; do
      if [ -n "$(ip -n "${NS[$h]}" -6 addr show tentative 2>/dev/null)" ]; then busy=1; break; fi
    done
    [ -n "$busy" ] || break
    sleep 0.1
  done
  sleep 0.6
}

# ip -j views of every namespace for lab.json.
snapshot() {
  local h
  mkdir -p "$SC/ipj"
  for h in "${!NS[@]}"; do
    ip -n "${NS[$h]}" -j -d link show >"$SC/ipj/$h.link.json"
    ip -n "${NS[$h]}" -j addr show >"$SC/ipj/$h.addr.json"
    ip -n "${NS[$h]}" -j route show >"$SC/ipj/$h.route.json"
  done
}
