#!/usr/bin/env bash
# The time of `wds run scripts/net.wds setup` (ALLOW_NETWORKS of 10, as
# docs/performance.md's first row), and the programs it starts, for one or
# more wds binaries: the note on route reads (issue 14) compares the build
# that read routes with two `ip -j` processes against the one that asks
# rtnetlink in-process. Every round runs in a fresh network namespace with the
# reference uplink; binaries alternate round by round; each figure is the
# median of the rounds, in milliseconds of wall time.
#
#   scripts/bench/net-setup.sh [--rounds N] WDS…
#
# Needs root (namespaces), iptables, unshare and strace; without root it exits 77.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rounds=15
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift ;;
    -*) echo "usage: $0 [--rounds N] WDS…" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
[ $# -gt 0 ] || { echo "usage: $0 [--rounds N] WDS…" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "net-setup.sh: skipped: needs root (network namespaces)" >&2; exit 77; }
work=$(mktemp -d /tmp/wds-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

prelude='mount -t tmpfs none /run
ip link set lo up
ip link add eth0 type veth peer name eth0p && ip link set eth0p up
ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up && ip route add default via 10.0.2.2 dev eth0
export POOL_NETWORK=10.254.0.0/22 DENY_NETWORKS="192.168.0.0/16 172.16.0.0/12"
export ALLOW_NETWORKS="10.0.0.0/8 10.1.0.0/16 10.2.0.0/16 10.3.0.0/16 10.4.0.0/16 10.5.0.0/16 10.6.0.0/16 10.7.0.0/16 10.8.0.0/16 10.9.0.0/16"'

time_once() { # WDS: microseconds of one setup in a fresh namespace
  unshare --net --mount --propagation private bash -c "$prelude
start=\$(date +%s%N)
'$1' run '$root/scripts/net.wds' setup >/dev/null
end=\$(date +%s%N)
echo \$(( (end - start) / 1000 ))"
}

programs() { # WDS: the programs one setup starts, counted by name
  unshare --net --mount --propagation private bash -c "$prelude
strace -f -qq -e trace=execve -o '$work/trace' '$1' run '$root/scripts/net.wds' setup >/dev/null" 
  grep ' = 0$' "$work/trace" | grep -o 'execve("[^"]*"' | sed 's/execve("//; s/"$//; s|.*/||' | sort | uniq -c | awk '{ printf "%s%s×%s", (NR > 1 ? ", " : ""), $2, $1 }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f\n", m / 1000 }'; }

for ((r = 0; r < rounds; r++)); do
  i=0
  for wds in "$@"; do time_once "$wds" >> "$work/times-$i"; i=$((i + 1)); done
done
echo "| wds | net.wds setup (ms, median of $rounds) | programs started |"
echo "|---|---:|---|"
i=0
for wds in "$@"; do
  echo "| $wds | $(median < "$work/times-$i") | $(programs "$wds") |"
  i=$((i + 1))
done
