#!/usr/bin/env bash
# Benchmarks of the iptables transaction (issue 6). Every measurement runs in
# a fresh network namespace (`unshare --net --mount --propagation private`),
# variants are interleaved round by round, and each figure is the median of
# the rounds. Nothing touches the host's ruleset.
#
#   scripts/bench/iptables.sh [--quick] [--rounds N]
#
# Beside them, in the same rounds, the evaluator loop of issue 18 (wds, bash,
# python3), and at the end the issue's targets, each met or missed.
#
# --quick (CI): N = 10 and 100, hosts with 0 and 1000 containers, a loop of
# 10,000 iterations (100,000 otherwise), 3 rounds.
# Needs root, iptables (nf_tables), unshare, GNU time (/usr/bin/time) for memory;
# without root it exits 77 (skipped, as scripts/dev/test counts it).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
quick=false
rounds=5
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=true; rounds=3 ;;
    --rounds) rounds=$2; shift ;;
    *) echo "usage: $0 [--quick] [--rounds N]" >&2; exit 2 ;;
  esac
  shift
done
if $quick; then sizes=(10 100); hosts=(0 1000); iterations=10000; else sizes=(10 100 1000 5000); hosts=(0 1000 3000); iterations=100000; fi

[ "$(id -u)" -eq 0 ] || { echo "iptables.sh: skipped: needs root (network namespaces)" >&2; exit 77; }
echo "building: swift build -c release --static-swift-stdlib --product wds --scratch-path .build-release" >&2
(cd "$root" && swift build -c release --static-swift-stdlib --product wds --scratch-path .build-release >&2)
wds="$root/.build-release/release/wds"
work=$(mktemp -d /tmp/wds-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export WDS_IPTABLES_LOCK="$work/iptables.lock"
. "$root/scripts/bench/common.sh"

networks() { # N addresses 10.x.y.z/32, starting at offset $2
  awk -v n="$1" -v o="$2" 'BEGIN { for (i = o; i < o + n; i++) printf "%s10.%d.%d.%d/32", (i > o ? " " : ""), int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
}

# A prepared final ruleset: what `wds run net.wds setup` leaves, saved once.
# The bash variant replays it as one `iptables -w` per chain and rule.
prepare_setup() { # N
  local n=$1 deny=$(( $1 / 5 ))
  allow_list=$(networks "$n" 0)
  deny_list=$(networks "$deny" 100000)
  printf 'POOL_NETWORK=10.254.0.0/22\nALLOW_NETWORKS=%q\nDENY_NETWORKS=%q\n' "$allow_list" "$deny_list" > "$work/env-$n"
  in_namespace ". $work/env-$n; export POOL_NETWORK ALLOW_NETWORKS DENY_NETWORKS" \
    "'$wds' run '$root/scripts/net.wds' setup && iptables-save | grep -v '^#' > '$work/final-$n.rules'" > /dev/null
  awk '/^\*/ { t = substr($0, 2) } /^:/ && $2 == "-" { print "iptables -w -t " t " -N " substr($1, 2) }' "$work/final-$n.rules" > "$work/bash-$n.sh"
  awk '/^\*/ { t = substr($0, 2) } /^-A / { print "iptables -w -t " t " " $0 }' "$work/final-$n.rules" >> "$work/bash-$n.sh"
}

# A host with K containers: the root setup plus K instance chains and their jumps, as one restore file.
prepare_host() { # K
  local k=$1
  iptables_host_rules "$k" > "$work/host-$k.rules"
}

mkdir -p "$work/containers/new/etc" "$work/containers/tmp"
cp "$root/scripts/container-net.wds" "$work/containers/new/net.wds"
printf 'id=new\nnetwork_host_iface=w-new-0\nnetwork_container_ip=10.254.0.2\n' > "$work/containers/new/etc/config"
cat > "$work/delta.rules" <<'RULES'
*filter
:warden-instance-new - [0:0]
-A warden-instance-new -g warden-default
-I warden-forward 2 -i w-new-0 -g warden-instance-new
COMMIT
*nat
:warden-instance-new - [0:0]
-A warden-prerouting -j warden-instance-new
COMMIT
RULES
: > "$work/empty.wds"
evaluator_loops "$work" "$iterations"

echo "preparing rulesets…" >&2
for n in "${sizes[@]}"; do prepare_setup "$n"; done
for k in "${hosts[@]}"; do prepare_host "$k"; done

declare -A samples
add() { samples[$1]+="$2 "; }
for ((round = 1; round <= rounds; round++)); do
  echo "round $round/$rounds" >&2
  add "start wds" "$(in_namespace '' "'$wds' run '$work/empty.wds'")"
  add "start bash" "$(in_namespace '' "bash -c true")"
  add "loop wds" "$(in_namespace '' "'$wds' run '$work/loop.wds'")"
  add "loop bash" "$(in_namespace '' "bash '$work/loop.sh'")"
  [ -n "$python" ] && add "loop python" "$(in_namespace '' "'$python' '$work/loop.py'")"
  for n in "${sizes[@]}"; do
    env=". $work/env-$n; export POOL_NETWORK ALLOW_NETWORKS DENY_NETWORKS"
    add "setup wds $n" "$(in_namespace "$env" "'$wds' run '$root/scripts/net.wds' setup")"
    add "setup restore $n" "$(in_namespace '' "iptables-restore < '$work/final-$n.rules'")"
    add "setup bash $n" "$(in_namespace '' "bash '$work/bash-$n.sh'")"
  done
  # The namespaces just timed (thousands of rules at N = 5000) are torn down by the kernel
  # after they exit, in the background: let that finish before the next timing, or the
  # first command timed pays for it (a container setup measured 44 ms instead of 9).
  sleep 1
  for k in "${hosts[@]}"; do
    host="iptables-restore < '$work/host-$k.rules'"
    add "container wds $k" "$(in_namespace "$host" "'$wds' run '$work/containers/new/net.wds' setup")"
    add "container bash $k" "$(in_namespace "$host" "bash '$root/scripts/bench/warden-container-net.sh' new w-new-0")"
    add "container restore $k" "$(in_namespace "$host" "iptables-restore --noflush < '$work/delta.rules'")"
  done
done

m() { echo ${samples[$1]:-} | tr ' ' '\n' | grep . | median; }
echo
echo "wds $("$wds" --version 2>/dev/null || echo '?'), $(iptables --version), $(uname -r), $(nproc) CPUs, $rounds rounds, medians in ms"
echo
echo "| N allowed | wds net.wds setup | one iptables-restore | bash, one iptables -w per rule | wds / restore | bash / wds |"
echo "|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  w=$(m "setup wds $n"); r=$(m "setup restore $n"); b=$(m "setup bash $n")
  echo "| $n | $w | $r | $b | $(ratio "$w" "$r") | $(ratio "$b" "$w") |"
done
echo
w=$(m "start wds"); b=$(m "start bash")
echo "| start-up | wds run empty.wds | bash -c true | wds / bash |"
echo "|---|---:|---:|---:|"
echo "| | $w | $b | $(ratio "$w" "$b") |"
echo
echo "| containers on host | wds container-net.wds setup | original per-container bash | one delta iptables-restore | wds / delta | bash / wds |"
echo "|---:|---:|---:|---:|---:|---:|"
for k in "${hosts[@]}"; do
  w=$(m "container wds $k"); b=$(m "container bash $k"); r=$(m "container restore $k")
  echo "| $k | $w | $b | $r | $(ratio "$w" "$r") | $(ratio "$b" "$w") |"
done
echo
lw=$(m "loop wds"); lb=$(m "loop bash"); lp=$(m "loop python")
echo "| evaluator loop, $iterations iterations | wds | bash | python3 | wds / bash | wds / python3 |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| while, has-prefix + add | $lw | $lb | $lp | $(ratio "$lw" "$lb") | $(ratio "$lw" "$lp") |"
echo

# target LABEL RATIO LIMIT: one row of the issue's targets; RATIO "-" when this run did not measure it.
target() {
  local verdict
  if [ "$2" = "-" ]; then verdict="not measured (--quick)"
  else verdict=$(awk -v r="$2" -v l="$3" 'BEGIN { if (r <= l) print "met"; else printf "missed by %.0f %%", (r / l - 1) * 100 }'); fi
  echo "| $1 | $2 | ≤ $3 | $verdict |"
}
setup_ratio() { if [[ " ${sizes[*]} " == *" $1 "* ]]; then ratio "$(m "setup wds $1")" "$(m "setup restore $1")"; else echo -; fi; }
container_ratio() { if [[ " ${hosts[*]} " == *" $1 "* ]]; then ratio "$(m "container wds $1")" "$(m "container restore $1")"; else echo -; fi; }
echo "| target (issue 18) | ratio | target | |"
echo "|---|---:|---:|---|"
target "net.wds setup, 1000 networks / one iptables-restore" "$(setup_ratio 1000)" 1.2
target "net.wds setup, 5000 networks / one iptables-restore" "$(setup_ratio 5000)" 1.3
target "per-container setup, 0 containers / one delta restore" "$(container_ratio 0)" 2.5
target "per-container setup, 1000 containers / one delta restore" "$(container_ratio 1000)" 1.5
target "per-container setup, 3000 containers / one delta restore" "$(container_ratio 3000)" 1.3
target "empty script / bash -c true" "$(ratio "$(m "start wds")" "$(m "start bash")")" 1.5
target "evaluator loop / python3 (faster: below 1)" "$(ratio "$lw" "$lp")" 1.0
echo
if [ -x /usr/bin/time ]; then
  big=${sizes[-1]}; host=${hosts[-1]}
  rss() { grep 'Maximum resident' | awk '{ printf "%.1f MB", $NF / 1024 }'; }
  setup_rss=$(unshare --net --mount --propagation private bash -c "$prelude
. $work/env-$big; export POOL_NETWORK ALLOW_NETWORKS DENY_NETWORKS
/usr/bin/time -v '$wds' run '$root/scripts/net.wds' setup 2>&1 >/dev/null" | rss)
  container_rss=$(unshare --net --mount --propagation private bash -c "$prelude
iptables-restore < '$work/host-$host.rules'
/usr/bin/time -v '$wds' run '$work/containers/new/net.wds' setup 2>&1 >/dev/null" | rss)
  empty_rss=$(/usr/bin/time -v "$wds" check "$work/empty.wds" 2>&1 >/dev/null | rss)
  echo "Peak memory (max RSS) of wds: net.wds setup at N=$big: $setup_rss; container setup on $host containers: $container_rss; wds check of an empty script: $empty_rss"
else
  echo "Peak memory: /usr/bin/time not installed (apt-get install time)"
fi
