import Foundation
import XCTest

/// `wds run --sandbox`: the script runs for real in namespaces of its own, the
/// report shows what it built, and the namespace it was started from — a
/// stand-in for the host here — is untouched.
final class SandboxTests: XCTestCase {
    func testASandboxRunOfNetSetupPrintsTheReferenceRulesetAndChangesNothingOutside() throws {
        try Namespace.requireNamespaces()
        let scripts = Namespace.repositoryRoot.appendingPathComponent("scripts").path
        let expected = try String(contentsOf: Namespace.referenceRoot.appendingPathComponent("c02-allow-deny/expected.rules"),
                                  encoding: .utf8)
        let result = Namespace.run("""
            env -i PATH="$PATH" POOL_NETWORK=10.254.0.0/22 ALLOW_NETWORKS='10.0.0.0/8 192.168.1.0/24' DENY_NETWORKS=0.0.0.0/0 \
              "$WDS" run --sandbox \(scripts)/net.wds setup; echo "status=$?"
            echo "outside: rules=$(iptables-save | grep -c warden) forward=$(cat /proc/sys/net/ipv4/ip_forward)"
            """)
        let output = result.standardOutput
        XCTAssertTrue(output.hasPrefix("== sandbox: \(scripts)/net.wds setup exited with status 0\n== uplink stand-in: eth0 10.0.2.15/24 via 10.0.2.2\n"), output)
        XCTAssertTrue(output.contains("== IPv4 ruleset after the run (iptables-save, normalized)\n" + expected + "== iptables changes\n"),
                      output + result.standardError)
        XCTAssertTrue(output.contains("+ [IPv4 nat] -A warden-postrouting -s 10.254.0.0/22 -j SNAT --to-source 10.0.2.15\n"), output)
        XCTAssertFalse(output.contains("+ [IPv4 filter] :INPUT ACCEPT"), output)
        XCTAssertTrue(output.contains("== sysctls\n  net.ipv4.ip_forward: 0 -> 1\n"), output)
        XCTAssertTrue(output.hasSuffix("status=0\noutside: rules=0 forward=0\n"), output)
    }

    func testFilesMountsCgroupsAndGlobalSysctlsStayInsideTheSandbox() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            mkdir --parents /tmp/wds-sandbox-test/cgroup
            write-file /tmp/wds-sandbox-test/file "inside\\n"
            mount tmpfs /tmp/wds-sandbox-test/cgroup
            mkdir /tmp/wds-sandbox-test/cgroup/pids
            mount cgroup pids /tmp/wds-sandbox-test/cgroup/pids
            mkdir /tmp/wds-sandbox-test/cgroup/pids/wds-sandbox-scratch
            sysctl set kernel.domainname wds-sandbox
            try { write-file /etc/wds-sandbox-test "x" } catch e { echo "refused: $e.message" }
            write-file /proc/sys/kernel/hostname wds-sandbox-host
            mount remount /tmp/wds-sandbox-test/cgroup --options size=1m
            try { write-file /sys/fs/cgroup/pids/cgroup.clone_children 0 } catch e { echo "host cgroup: $e.message" }
            try { write-file /sys/kernel/wds-sandbox-test x } catch e { echo "sys: $e.message" }
            """)
        let result = Namespace.run("""
            "$WDS" run --sandbox \(Namespace.shellQuote(script)); echo "status=$?"
            echo "outside: tmp=$(ls /tmp/wds-sandbox-test 2>&1 | head -1) etc=$(ls /etc/wds-sandbox-test 2>/dev/null) domain=$(cat /proc/sys/kernel/domainname)"
            find /sys/fs/cgroup -name 'wds-sandbox-scratch' | wc -l
            """, uplink: nil)
        let output = result.standardOutput
        XCTAssertTrue(output.contains("refused: cannot open '/etc/wds-sandbox-test' for writing: Read-only file system"), output + result.standardError)
        XCTAssertTrue(output.contains("+ /tmp/wds-sandbox-test/cgroup tmpfs none\n+ /tmp/wds-sandbox-test/cgroup/pids cgroup none\n"), output)
        XCTAssertTrue(output.contains("== cgroups created (removed again after the run)\n+ /tmp/wds-sandbox-test/cgroup/pids/wds-sandbox-scratch\n"), output)
        XCTAssertTrue(output.contains("kernel.domainname: "), output)
        XCTAssertTrue(output.contains("-> wds-sandbox (global to the machine: recorded, not applied)"), output)
        XCTAssertFalse(output.contains("domain=wds-sandbox"), output)
        XCTAssertTrue(output.contains("kernel.hostname: "), output)
        XCTAssertTrue(output.contains("-> wds-sandbox-host (global to the machine: recorded, not applied)"), output)
        XCTAssertTrue(output.contains("== not performed in the sandbox\n  mount --options-source=disable -o remount,size=1m -- /tmp/wds-sandbox-test/cgroup  (a remount changes the file system for every mount of it)\n"), output)
        XCTAssertTrue(output.contains("host cgroup: the sandbox does not change '/sys/fs/cgroup/pids/cgroup.clone_children'"), output)
        XCTAssertTrue(output.contains("sys: cannot open '/sys/kernel/wds-sandbox-test' for writing: Read-only file system"), output)
        XCTAssertTrue(output.contains("status=0\noutside: tmp=ls: cannot access '/tmp/wds-sandbox-test': No such file or directory etc="), output)
        XCTAssertTrue(output.hasSuffix("\n0\n"), output)
    }
}
