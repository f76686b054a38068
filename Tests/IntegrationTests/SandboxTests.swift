import Foundation
import XCTest

/// `wds run --sandbox`: the script runs for real in namespaces of its own, the
/// report shows what it built, and the namespace it was started from — a
/// stand-in for the host here — is untouched.
final class SandboxTests: XCTestCase {
    func testASandboxRunOfNetSetupPrintsTheReferenceRulesetAndChangesNothingOutside() throws {
        try Namespace.requireNamespaces()
        let scripts = Namespace.repositoryRoot.appendingPathComponent("scripts").path
        try Namespace.requireReadableByOthers(scripts + "/net.wds")
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

    /// What a user-namespace sandbox cannot make is noted, not a failure: Warden's whole setup runs through.
    func testSetupWdsExitsZeroAndShowsWhatItBuilt() throws {
        try Namespace.requireNamespaces()
        let scripts = Namespace.repositoryRoot.appendingPathComponent("scripts").path
        try Namespace.requireReadableByOthers(scripts + "/net.wds")
        let result = Namespace.run("""
            env -i PATH="$PATH" DISK_QUOTA_ENABLED=false POOL_NETWORK=10.254.0.0/22 ALLOW_NETWORKS=10.0.0.0/8 \
              DENY_NETWORKS=0.0.0.0/0 "$WDS" run --sandbox \(scripts)/setup.wds; echo "status=$?"
            echo "outside: rules=$(iptables-save | grep -c warden) warden=$(ls -d /tmp/warden 2>/dev/null)"
            """, namespaces: ["--uts"])
        let output = result.standardOutput
        XCTAssertTrue(output.hasPrefix("== sandbox: \(scripts)/setup.wds exited with status 0\n"), output + result.standardError)
        // net.wds, run by setup.wds with run-script, built its ruleset in the sandbox.
        XCTAssertTrue(output.contains("+ [IPv4 nat] -A warden-postrouting -s 10.254.0.0/22 -j SNAT --to-source 10.0.2.15\n"), output)
        XCTAssertTrue(output.contains("+ /tmp/warden/cgroup tmpfs none\n"), output)
        XCTAssertTrue(output.contains("== files and directories\n"), output)
        XCTAssertTrue(output.contains("+ /tmp/warden/cgroup/memory (directory)\n"), output)
        // Each cgroup v1 hierarchy is mounted (this kernel lets a user namespace mount one that exists) or noted.
        for subsystem in ["cpu", "cpuacct", "devices", "memory"] {
            XCTAssertTrue(output.contains("+ /tmp/warden/cgroup/\(subsystem) cgroup none\n")
                          || output.contains("mount -t cgroup -o \(subsystem) -- none /tmp/warden/cgroup/\(subsystem)  (a user namespace cannot make a new cgroup v1 hierarchy"),
                          output)
        }
        XCTAssertTrue(output.hasSuffix("status=0\noutside: rules=0 warden=\n"), output)
    }

    /// Everything the script changed is in the report, by builtins and programs alike; what the
    /// sandbox cannot simulate is noted; nothing reaches the namespace it was started from.
    func testTheReportShowsEveryChangeAndNothingLeavesTheSandbox() throws {
        try Namespace.requireNamespaces()
        let script = """
            mkdir --parents /tmp/wds-sandbox-test/mnt
            write-file /tmp/wds-sandbox-test/file "inside\\n"
            append-file /tmp/wds-sandbox-host/file "more"
            remove-file /tmp/wds-sandbox-host/gone
            run touch /run/wds-sandbox-by-program
            mount tmpfs /tmp/wds-sandbox-test/mnt
            write-file /tmp/wds-sandbox-test/mnt/on-tmpfs x
            mount remount /tmp/wds-sandbox-test/mnt --options size=1m
            mkdir --parents /tmp/wds-sandbox-test/v1
            mount cgroup pids /tmp/wds-sandbox-test/v1
            try { mkdir /tmp/wds-sandbox-test/v1/wds-sandbox-scratch } catch e { echo "v1: $e.message" }
            sysctl set kernel.domainname wds-sandbox
            write-file /proc/sys/kernel/hostname wds-sandbox-host
            sysctl set net.ipv4.ip_forward 1
            rlimit set nofile 1024 4000000
            try { write-file /etc/wds-sandbox-test "x" } catch e { echo "refused: $e.message" }
            try { write-file /sys/kernel/wds-sandbox-test x } catch e { echo "sys: $e.message" }
            """
        let result = Namespace.run("""
            private_tmp
            # The host's files are the host's: the sandbox's root may change only what anyone may.
            mkdir -m 777 /tmp/wds-sandbox-host && echo host > /tmp/wds-sandbox-host/file && echo host > /tmp/wds-sandbox-host/gone
            chmod 666 /tmp/wds-sandbox-host/*
            \(HostTrace.heredoc(script, to: "/tmp/test.wds"))
            "$WDS" run --sandbox /tmp/test.wds; echo "status=$?"
            echo "outside: test=$(ls /tmp/wds-sandbox-test 2>&1 | head -1) file=$(cat /tmp/wds-sandbox-host/file) gone=$(cat /tmp/wds-sandbox-host/gone) etc=$(ls /etc/wds-sandbox-test 2>/dev/null) domain=$(cat /proc/sys/kernel/domainname) forward=$(cat /proc/sys/net/ipv4/ip_forward) run=$(ls /run/wds-sandbox-by-program 2>/dev/null)"
            """, uplink: nil, namespaces: ["--uts"])
        let output = result.standardOutput
        for line in [
            "refused: cannot open '/etc/wds-sandbox-test' for writing: Read-only file system\n",
            "sys: cannot open '/sys/kernel/wds-sandbox-test' for writing: Read-only file system\n",
            "== sandbox: /tmp/test.wds exited with status 0\n",
            "== mounts\n+ /tmp/wds-sandbox-test/mnt tmpfs none\n+ /tmp/wds-sandbox-test/v1 cgroup none\n",
            "== files and directories\n+ /run/wds-sandbox-by-program (0 bytes)\n",
            "~ /tmp/wds-sandbox-host/file (5 bytes -> 9 bytes)\n- /tmp/wds-sandbox-host/gone (5 bytes)\n",
            "+ /tmp/wds-sandbox-test (directory)\n+ /tmp/wds-sandbox-test/file (7 bytes)\n+ /tmp/wds-sandbox-test/mnt (directory)\n+ /tmp/wds-sandbox-test/mnt/on-tmpfs (1 bytes)\n+ /tmp/wds-sandbox-test/v1 (directory)\n",
            "  kernel.domainname: (none) -> wds-sandbox (outside the network namespace: not simulated)\n",
            "kernel.hostname: ",
            "-> wds-sandbox-host (outside the network namespace: not simulated)\n",
            "  net.ipv4.ip_forward: 0 -> 1\n",
            "== not simulated in the sandbox (a user namespace cannot make these)\n",
            "  mkdir -- /tmp/wds-sandbox-test/v1/wds-sandbox-scratch  (the cgroup v1 hierarchy is the host's, /tmp/test.wds:11)\n",
            "  prlimit --pid $$ --nofile=1024:4000000  (a user namespace cannot raise a hard limit, /tmp/test.wds:15)\n",
            "status=0\noutside: test=ls: cannot access '/tmp/wds-sandbox-test': No such file or directory file=host gone=host etc= domain=(none) forward=0 run=\n",
        ] {
            XCTAssertTrue(output.contains(line), "missing: \(line)\n\(output)\(result.standardError)")
        }
        // The remount of its own tmpfs is the sandbox's to make: done, not noted.
        XCTAssertFalse(output.contains("remount,size=1m"), output)
    }
}
