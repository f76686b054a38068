#!/usr/bin/env bash
# Benchmarks of Warden's network on nftables against the same on iptables
# (issue 15). Every measurement runs in a fresh network namespace
# (`unshare --net --mount --propagation private`), variants are interleaved
# round by round, and each figure is the median of the rounds. Nothing
# touches the host's ruleset.
#
#   scripts/bench/nftables.sh [--quick] [--rounds N]
#
# 1. The root setup with N allowed networks (and N/5 denied): `wds run
#    net-nft.wds setup`, `wds run net.wds setup`, one `iptables-restore` of
#    the ruleset net.wds makes, and one `nft -f` of the ruleset net-nft.wds
#    makes (each tool's floor). N = 1000 and 5000 (--quick: 100 and 1000).
# 2. One new container on a host that has K already (K = 0, 1000, 3000;
#    --quick: 0 and 1000): container-net-nft.wds setup against
#    container-net.wds setup, and one delta `nft -f` / `iptables-restore` of
#    just that container's changes.
#
# Needs root, nftables, iptables (nf_tables), unshare; without root it exits 77.
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
if $quick; then sizes=(100 1000); hosts=(0 1000); else sizes=(1000 5000); hosts=(0 1000 3000); fi

[ "$(id -u)" -eq 0 ] || { echo "nftables.sh: skipped: needs root (network namespaces)" >&2; exit 77; }
command -v nft >/dev/null || { echo "nftables.sh: skipped: nft is not installed (scripts/dev/install-deps)" >&2; exit 77; }
echo "building: swift build -c release --static-swift-stdlib --product wds --scratch-path .build-release" >&2
(cd "$root" && swift build -c release --static-swift-stdlib --product wds --scratch-path .build-release >&2)
wds="$root/.build-release/release/wds"
work=$(mktemp -d /tmp/wds-bench-nft.XXXXXX)
trap 'rm -rf "$work"' EXIT
export WDS_IPTABLES_LOCK="$work/iptables.lock" WDS_NFT_LOCK="$work/nftables.lock"
. "$root/scripts/bench/common.sh"

networks() { # N addresses 10.x.y.z/32 from offset $2, every other one: an allow list of scattered
  # hosts, which an auto-merge set cannot join into a few ranges (consecutive ones would be one).
  awk -v n="$1" -v o="$2" 'BEGIN { for (i = 2 * o; i < 2 * (o + n); i += 2) printf "%s10.%d.%d.%d/32", (i > 2 * o ? " " : ""), int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
}

# The final rulesets of both root setups, saved once: each tool's one-shot floor loads them.
prepare_setup() { # N
  local n=$1 deny=$(( $1 / 5 ))
  printf 'POOL_NETWORK=10.254.0.0/22\nALLOW_NETWORKS=%q\nDENY_NETWORKS=%q\n' "$(networks "$n" 0)" "$(networks "$deny" 100000)" > "$work/env-$n"
  local env=". $work/env-$n; export POOL_NETWORK ALLOW_NETWORKS DENY_NETWORKS"
  in_namespace "$env" "'$wds' run '$root/scripts/net.wds' setup && iptables-save | grep -v '^#' > '$work/final-$n.rules'" > /dev/null
  in_namespace "$env" "'$wds' run '$root/scripts/net-nft.wds' setup && nft list ruleset > '$work/final-$n.nft'" > /dev/null
}

# A host with K containers, on iptables (one restore file) and on nftables (one nft file).
prepare_host() { # K
  local k=$1
  iptables_host_rules "$k" > "$work/host-$k.rules"
  {
    echo 'add table inet warden'
    echo 'add set inet warden allowed { type ipv4_addr; flags interval; auto-merge; }'
    echo 'add set inet warden denied { type ipv4_addr; flags interval; auto-merge; }'
    echo 'add element inet warden allowed { 10.0.0.0/8 }'
    echo 'add element inet warden denied { 0.0.0.0/0 }'
    echo 'add map inet warden containers { type ifname : verdict; }'
    echo 'add map inet warden host-ports { type inet_service : verdict; }'
    echo 'add chain inet warden default'
    echo 'add rule inet warden default ct state established,related accept'
    echo 'add rule inet warden default ip daddr @allowed return'
    echo 'add rule inet warden default ip daddr @denied drop'
    echo 'add chain inet warden containers-forward'
    echo 'add rule inet warden containers-forward iifname "eth0" accept'
    echo 'add rule inet warden containers-forward iifname vmap @containers'
    echo 'add rule inet warden containers-forward drop'
    echo 'add chain inet warden forward { type filter hook forward priority 0; policy accept; }'
    echo 'add rule inet warden forward iifname "w-*" jump containers-forward'
    echo 'add chain inet warden prerouting { type nat hook prerouting priority -100; policy accept; }'
    echo 'add rule inet warden prerouting tcp dport vmap @host-ports'
    echo 'add chain inet warden output { type nat hook output priority -100; policy accept; }'
    echo 'add rule inet warden output oifname "lo" tcp dport vmap @host-ports'
    echo 'add chain inet warden postrouting { type nat hook postrouting priority 100; policy accept; }'
    echo 'add rule inet warden postrouting ip saddr 10.254.0.0/22 snat ip to 10.0.2.15'
    for ((i = 1; i <= k; i++)); do
      echo "add chain inet warden instance-c$i"
      echo "add rule inet warden instance-c$i goto default"
      echo "add chain inet warden instance-c$i-nat"
      echo "add element inet warden containers { \"w-c$i-0\" : goto instance-c$i }"
    done
  } > "$work/host-$k.nft"
}

mkdir -p "$work/containers/new/etc" "$work/containers/new-nft/etc" "$work/containers/tmp"
cp "$root/scripts/container-net.wds" "$work/containers/new/net.wds"
cp "$root/scripts/container-net-nft.wds" "$work/containers/new-nft/net.wds"
for c in new new-nft; do printf 'id=new\nnetwork_host_iface=w-new-0\nnetwork_container_ip=10.254.0.2\n' > "$work/containers/$c/etc/config"; done
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
cat > "$work/delta.nft" <<'NFT'
add chain inet warden instance-new
add rule inet warden instance-new goto default
add element inet warden containers { "w-new-0" : goto instance-new }
add chain inet warden instance-new-nat
NFT

echo "preparing rulesets…" >&2
for n in "${sizes[@]}"; do prepare_setup "$n"; done
for k in "${hosts[@]}"; do prepare_host "$k"; done

declare -A samples
add() { samples[$1]+="$2 "; }
for ((round = 1; round <= rounds; round++)); do
  echo "round $round/$rounds" >&2
  for n in "${sizes[@]}"; do
    env=". $work/env-$n; export POOL_NETWORK ALLOW_NETWORKS DENY_NETWORKS"
    add "setup nft $n" "$(in_namespace "$env" "'$wds' run '$root/scripts/net-nft.wds' setup")"
    add "setup iptables $n" "$(in_namespace "$env" "'$wds' run '$root/scripts/net.wds' setup")"
    add "setup restore $n" "$(in_namespace '' "iptables-restore < '$work/final-$n.rules'")"
    add "setup nft-f $n" "$(in_namespace '' "nft -f '$work/final-$n.nft'")"
  done
  for k in "${hosts[@]}"; do
    add "container nft $k" "$(in_namespace "nft -f '$work/host-$k.nft'" "'$wds' run '$work/containers/new-nft/net.wds' setup")"
    add "container iptables $k" "$(in_namespace "iptables-restore < '$work/host-$k.rules'" "'$wds' run '$work/containers/new/net.wds' setup")"
    add "container nft-f $k" "$(in_namespace "nft -f '$work/host-$k.nft'" "nft -f '$work/delta.nft'")"
    add "container restore $k" "$(in_namespace "iptables-restore < '$work/host-$k.rules'" "iptables-restore --noflush < '$work/delta.rules'")"
  done
done

m() { echo ${samples[$1]} | tr ' ' '\n' | grep . | median; }
echo
echo "wds, $(nft --version), $(iptables --version), $(uname -r), $(nproc) CPUs, $rounds rounds, medians in ms"
echo
echo "| N allowed | wds net-nft.wds setup | wds net.wds setup | one iptables-restore | one nft -f | net-nft / restore | net-nft / net.wds |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  f=$(m "setup nft $n"); i=$(m "setup iptables $n"); r=$(m "setup restore $n"); nf=$(m "setup nft-f $n")
  echo "| $n | $f | $i | $r | $nf | $(ratio "$f" "$r") | $(ratio "$f" "$i") |"
done
echo
echo "| containers on host | wds container-net-nft.wds setup | wds container-net.wds setup | one delta nft -f | one delta iptables-restore | nft / iptables (wds) | wds nft / delta nft -f |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for k in "${hosts[@]}"; do
  f=$(m "container nft $k"); i=$(m "container iptables $k"); nf=$(m "container nft-f $k"); r=$(m "container restore $k")
  echo "| $k | $f | $i | $nf | $r | $(ratio "$f" "$i") | $(ratio "$f" "$nf") |"
done
