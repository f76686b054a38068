import Foundation
import XCTest

/// One script that uses the host builtins together, as a host setup does:
/// Warden's cgroup layout, a filter chain with allow and deny rules, a SNAT
/// rule to the address `route` answers, and ip_forward — run for real in a
/// namespace, leaving exactly the expected state; its trace lists the same
/// mutations, in order.
final class HostScenarioTests: XCTestCase {
    static let script = """
        let root = "/tmp/warden/cgroup"
        mkdir --parents $root
        if ! is-mounted $root {
          mount tmpfs $root
        }
        for subsystem in [cpu cpuacct devices memory] {
          mkdir --parents "$root/$subsystem"
          if ! is-mounted "$root/$subsystem" --type cgroup {
            mount cgroup $subsystem "$root/$subsystem"
          }
        }
        chain ensure pool-out
        rule append pool-out --ctstate ESTABLISHED,RELATED --jump ACCEPT
        for network in $(split $(env ALLOW "")) {
          rule append pool-out --destination $network --jump RETURN
        }
        rule append pool-out --destination 0.0.0.0/0 --jump DROP
        let uplink = $(route default)
        rule ensure POSTROUTING --table nat --source 10.254.0.0/22 --out $uplink.dev --jump SNAT --to-source $uplink.src
        sysctl set net.ipv4.ip_forward 1
        """

    func testTheScenarioLeavesExactlyTheExpectedState() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            private_tmp
            mkdir /tmp/s && printf '%s\\n' \(Namespace.shellQuote(Self.script)) > /tmp/s/host.wds
            env -i PATH="$PATH" ALLOW="10.0.0.0/8 192.168.1.0/24" "$WDS" trace /tmp/s/host.wds > /tmp/s/trace.txt
            env -i PATH="$PATH" ALLOW="10.0.0.0/8 192.168.1.0/24" "$WDS" run /tmp/s/host.wds; echo "status=$?"
            \(Namespace.normalizedRulesCommand)
            awk '{ for (i = 7; $i != "-"; i++); print $5, $(i+1), $(i+3) }' /proc/self/mountinfo | grep '^/tmp/warden' | LC_ALL=C sort
            cat /proc/sys/net/ipv4/ip_forward
            echo ---
            grep -v '^#' /tmp/s/trace.txt | sed 's/  # .*//'
            """)
        XCTAssertEqual(result.standardOutput, """
            status=0
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :pool-out - [0:0]
            -A pool-out -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            -A pool-out -d 10.0.0.0/8 -j RETURN
            -A pool-out -d 192.168.1.0/24 -j RETURN
            -A pool-out -j DROP
            COMMIT
            *nat
            :PREROUTING ACCEPT [0:0]
            :INPUT ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :POSTROUTING ACCEPT [0:0]
            -A POSTROUTING -s 10.254.0.0/22 -o eth0 -j SNAT --to-source 10.0.2.15
            COMMIT
            /tmp/warden/cgroup tmpfs rw
            /tmp/warden/cgroup/cpu cgroup rw,cpu
            /tmp/warden/cgroup/cpuacct cgroup rw,cpuacct
            /tmp/warden/cgroup/devices cgroup rw,devices
            /tmp/warden/cgroup/memory cgroup rw,memory
            1
            ---
            mkdir -p -- /tmp/warden/cgroup
            mount -t tmpfs -- none /tmp/warden/cgroup
            mkdir -p -- /tmp/warden/cgroup/cpu
            mount -t cgroup -o cpu -- none /tmp/warden/cgroup/cpu
            mkdir -p -- /tmp/warden/cgroup/cpuacct
            mount -t cgroup -o cpuacct -- none /tmp/warden/cgroup/cpuacct
            mkdir -p -- /tmp/warden/cgroup/devices
            mount -t cgroup -o devices -- none /tmp/warden/cgroup/devices
            mkdir -p -- /tmp/warden/cgroup/memory
            mount -t cgroup -o memory -- none /tmp/warden/cgroup/memory
            iptables -w -t filter -N pool-out
            iptables -w -t filter -A pool-out -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            iptables -w -t filter -A pool-out -d 10.0.0.0/8 -j RETURN
            iptables -w -t filter -A pool-out -d 192.168.1.0/24 -j RETURN
            iptables -w -t filter -A pool-out -j DROP
            iptables -w -t nat -A POSTROUTING -s 10.254.0.0/22 -o eth0 -j SNAT --to-source 10.0.2.15
            printf '%s\\n' 1 > /proc/sys/net/ipv4/ip_forward

            """, result.standardError)
    }
}
