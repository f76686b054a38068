#!/bin/bash
# Docker's default bridge network, as the rules and links a Docker host shows
# for one container with one published port (`docker run -p 8080:80`):
# docker0 with the gateway address, the DOCKER, DOCKER-USER and isolation
# chains, masquerading for the bridge's network, and the container's veth
# pair. Written down from what `iptables-save` and `ip` print on such a host,
# not copied from Docker's (Go) source; the bridge's network here is a
# documentation range instead of Docker's 172.17.0.0/16.
#
# Run once on a fresh host (as Docker itself does it, it checks nothing).
set -e
bridge=${BRIDGE:-docker0}
subnet=${SUBNET:-198.51.100.0/24}
gateway=${GATEWAY:-198.51.100.1}
container=${CONTAINER:-c1}
container_ip=${CONTAINER_IP:-198.51.100.2}
host_port=${HOST_PORT:-8080}
container_port=${CONTAINER_PORT:-80}

ip link add name "$bridge" type bridge
ip address add "$gateway/24" dev "$bridge"
ip link set dev "$bridge" up
sysctl -q -w net.ipv4.ip_forward=1

iptables -t nat -N DOCKER
iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
iptables -t nat -A POSTROUTING -s "$subnet" ! -o "$bridge" -j MASQUERADE
iptables -t nat -A DOCKER -i "$bridge" -j RETURN

iptables -N DOCKER
iptables -N DOCKER-ISOLATION-STAGE-1
iptables -N DOCKER-ISOLATION-STAGE-2
iptables -N DOCKER-USER
iptables -A FORWARD -j DOCKER-USER
iptables -A FORWARD -j DOCKER-ISOLATION-STAGE-1
iptables -A FORWARD -o "$bridge" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A FORWARD -o "$bridge" -j DOCKER
iptables -A FORWARD -i "$bridge" ! -o "$bridge" -j ACCEPT
iptables -A FORWARD -i "$bridge" -o "$bridge" -j ACCEPT
iptables -A DOCKER-ISOLATION-STAGE-1 -i "$bridge" ! -o "$bridge" -j DOCKER-ISOLATION-STAGE-2
iptables -A DOCKER-ISOLATION-STAGE-1 -j RETURN
iptables -A DOCKER-ISOLATION-STAGE-2 -o "$bridge" -j DROP
iptables -A DOCKER-ISOLATION-STAGE-2 -j RETURN
iptables -A DOCKER-USER -j RETURN

# The container: its namespace, a veth pair with one end on the bridge.
ip netns add "$container"
ip link add name "veth-$container" type veth peer name eth0 netns "$container"
ip link set dev "veth-$container" master "$bridge" up
ip -n "$container" address add "$container_ip/24" dev eth0
ip -n "$container" link set dev eth0 up
ip -n "$container" link set dev lo up
ip -n "$container" route add default via "$gateway"

# The published port.
iptables -t nat -A POSTROUTING -s "$container_ip/32" -d "$container_ip/32" -p tcp -m tcp --dport "$container_port" -j MASQUERADE
iptables -t nat -A DOCKER ! -i "$bridge" -p tcp -m tcp --dport "$host_port" -j DNAT --to-destination "$container_ip:$container_port"
iptables -A DOCKER -d "$container_ip/32" ! -i "$bridge" -o "$bridge" -p tcp -m tcp --dport "$container_port" -j ACCEPT
