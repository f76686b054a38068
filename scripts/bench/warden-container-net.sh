#!/usr/bin/env bash
# The per-container part of Warden's skeleton net.sh (setup only), as the
# benchmark's "original": one `iptables -w` per change, the teardown by
# `iptables -S | grep | sed s/-A/-D/ | xargs`. Usage: ID IFACE.
set -o nounset
id=$1
network_host_iface=$2
filter_instance_chain="warden-instance-${id}"
nat_instance_chain="warden-instance-${id}"

teardown_filter() {
  iptables -w -S warden-forward 2> /dev/null |
    grep "\-g ${filter_instance_chain}\b" |
    sed -e "s/-A/-D/" |
    xargs --no-run-if-empty --max-lines=1 iptables -w
  iptables -w -F ${filter_instance_chain} 2> /dev/null || true
  iptables -w -X ${filter_instance_chain} 2> /dev/null || true
}

teardown_nat() {
  iptables -w -t nat -S warden-prerouting 2> /dev/null |
    grep "\-j ${nat_instance_chain}\b" |
    sed -e "s/-A/-D/" |
    xargs --no-run-if-empty --max-lines=1 iptables -w -t nat
  iptables -w -t nat -F ${nat_instance_chain} 2> /dev/null || true
  iptables -w -t nat -X ${nat_instance_chain} 2> /dev/null || true
}

set -o errexit
teardown_filter
teardown_nat
iptables -w -N ${filter_instance_chain}
iptables -w -A ${filter_instance_chain} --goto warden-default
iptables -w -I warden-forward 2 --in-interface ${network_host_iface} --goto ${filter_instance_chain}
iptables -w -t nat -N ${nat_instance_chain}
iptables -w -t nat -A warden-prerouting --jump ${nat_instance_chain}
