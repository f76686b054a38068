#!/bin/bash
# The bash script docs/tutorial.md starts from: an application's folder and
# settings, packet forwarding, and a firewall chain for its port.
set -e
dir=${APP_DIR:-/srv/app}
port=${APP_PORT:-8080}

mkdir -p "$dir"
echo "PORT=$port" > "$dir/env"
sysctl -w net.ipv4.ip_forward=1 > /dev/null
iptables -N app-in 2>/dev/null || true
iptables -C app-in -p tcp --dport "$port" -j ACCEPT 2>/dev/null ||
  iptables -A app-in -p tcp --dport "$port" -j ACCEPT
iptables -C INPUT -j app-in 2>/dev/null || iptables -A INPUT -j app-in
