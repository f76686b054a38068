#!/usr/bin/env bash
# The evaluator loop of issue 18, side by side with bash and Python 3: 100,000
# iterations of a builtin call and an addition under a `while`, start-up
# included. The three run interleaved round by round; each figure is the
# median of the rounds, in milliseconds of wall time. Also the start-up floor
# (an empty script against `bash -c true` and `python3 -c pass`).
#
#   scripts/bench/evaluator.sh [--quick] [--rounds N] [--wds PATH]
#
# --quick (CI): 10,000 iterations, 3 rounds. --wds: a wds binary already built
# (otherwise the static release build is made, as iptables.sh makes it).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rounds=7
iterations=100000
wds=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) rounds=3; iterations=10000 ;;
    --rounds) rounds=$2; shift ;;
    --wds) wds=$2; shift ;;
    *) echo "usage: $0 [--quick] [--rounds N] [--wds PATH]" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$wds" ]; then
  echo "building: swift build -c release --static-swift-stdlib --product wds --scratch-path .build-release" >&2
  (cd "$root" && swift build -c release --static-swift-stdlib --product wds --scratch-path .build-release >&2)
  wds="$root/.build-release/release/wds"
fi
work=$(mktemp -d /tmp/wds-evaluator.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$root/scripts/bench/common.sh"
evaluator_loops "$work" "$iterations"
: > "$work/empty.wds"

# time_us COMMAND…: the wall time of one run, in microseconds.
time_us() {
  local start end
  start=$(date +%s%N)
  "$@" > /dev/null
  end=$(date +%s%N)
  echo $(( (end - start) / 1000 ))
}

for ((r = 1; r <= rounds; r++)); do
  time_us "$wds" run "$work/loop.wds" >> "$work/loop-wds"
  time_us bash "$work/loop.sh" >> "$work/loop-bash"
  [ -n "$python" ] && time_us "$python" "$work/loop.py" >> "$work/loop-python"
  time_us "$wds" run "$work/empty.wds" >> "$work/empty-wds"
  time_us bash -c true >> "$work/empty-bash"
  [ -n "$python" ] && time_us "$python" -c pass >> "$work/empty-python"
done
: >> "$work/loop-python"; : >> "$work/empty-python"

lw=$(median < "$work/loop-wds"); lb=$(median < "$work/loop-bash"); lp=$(median < "$work/loop-python")
ew=$(median < "$work/empty-wds"); eb=$(median < "$work/empty-bash"); ep=$(median < "$work/empty-python")
echo "evaluator loop: $iterations iterations, medians of $rounds interleaved rounds, ms"
echo
echo "| work | wds | bash | python3 | wds / bash | wds / python3 |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| while loop, has-prefix + add | $lw | $lb | $lp | $(ratio "$lw" "$lb") | $(ratio "$lw" "$lp") |"
echo "| empty script (start-up) | $ew | $eb | $ep | $(ratio "$ew" "$eb") | $(ratio "$ew" "$ep") |"
