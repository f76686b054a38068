# Shared by the benchmark scripts (sourced, not run): a namespace with the
# reference uplink, a timed run in it, medians and ratios, and the iptables
# ruleset of a Warden host with K containers.

# Shell lines that give a namespace the reference uplink.
prelude='mount -t tmpfs none /run
ip link set lo up
ip link add eth0 type veth peer name eth0p && ip link set eth0p up
ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up && ip route add default via 10.0.2.2 dev eth0'

# in_namespace PREPARE MEASURE: runs PREPARE untimed, then MEASURE timed, in a
# fresh namespace; prints the wall time of MEASURE in microseconds.
in_namespace() {
  unshare --net --mount --propagation private bash -c "$prelude
$1
start=\$(date +%s%N)
$2
end=\$(date +%s%N)
echo \$(( (end - start) / 1000 ))"
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) { print "nan"; exit } m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f\n", m / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "nan" || b == 0 || a == "nan") print "-"; else printf "%.2f", a / b }'; }

# iptables_host_rules K: the root setup plus K instance chains and their jumps, as one restore file.
iptables_host_rules() {
  local k=$1
  echo '*filter'
  echo ':warden-forward - [0:0]'; echo ':warden-default - [0:0]'
  for ((i = 1; i <= k; i++)); do echo ":warden-instance-c$i - [0:0]"; done
  echo '-A FORWARD -i w-+ -j warden-forward'
  echo '-A warden-default -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'
  echo '-A warden-default -d 10.0.0.0/8 -j RETURN'
  echo '-A warden-default -j DROP'
  echo '-A warden-forward -i eth0 -j ACCEPT'
  for ((i = k; i >= 1; i--)); do echo "-A warden-forward -i w-c$i-0 -g warden-instance-c$i"; done
  echo '-A warden-forward -j DROP'
  for ((i = 1; i <= k; i++)); do echo "-A warden-instance-c$i -g warden-default"; done
  echo 'COMMIT'
  echo '*nat'
  echo ':warden-prerouting - [0:0]'; echo ':warden-postrouting - [0:0]'
  for ((i = 1; i <= k; i++)); do echo ":warden-instance-c$i - [0:0]"; done
  echo '-A PREROUTING -j warden-prerouting'
  echo '-A OUTPUT -o lo -j warden-prerouting'
  echo '-A POSTROUTING -j warden-postrouting'
  echo '-A warden-postrouting -s 10.254.0.0/22 -j SNAT --to-source 10.0.2.15'
  for ((i = 1; i <= k; i++)); do echo "-A warden-prerouting -j warden-instance-c$i"; done
  echo 'COMMIT'
}

# evaluator_loops DIR ITERATIONS: the evaluator loop of issue 18 as loop.wds,
# loop.sh and loop.py in DIR — ITERATIONS of a builtin call and an addition
# under a `while` — and the interpreter python3 really is in $python (not a
# version manager's shim in front of it: pyenv's adds ~0.15 s to every start).
evaluator_loops() {
  local dir=$1 iterations=$2
  cat > "$dir/loop.wds" <<WDS
let i = 0
let s = false
while \$i < $iterations {
    s = \$(has-prefix "abc" "a")
    i = \$(add \$i 1)
}
WDS
  cat > "$dir/loop.sh" <<SH
x=abc; i=0; s=false
while (( i < $iterations )); do
  if [ "\${x#a}" != "\$x" ]; then s=true; else s=false; fi
  i=\$((i+1))
done
SH
  cat > "$dir/loop.py" <<PY
i = 0
s = False
while i < $iterations:
    s = "abc".startswith("a")
    i = i + 1
PY
  python=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || true)
}
