import Foundation
import XCTest

/// `wds run --sandbox` holds programs: each test is an escape a script's `run`
/// once made, tried from inside the sandbox, and shows the namespace the
/// sandbox was started from unchanged. That namespace is itself a throwaway
/// one (network, mount, UTS; /tmp and /var/tmp are its own tmpfs), so even a
/// sandbox that failed could not reach the real host; a `sleep` in it plays
/// the outer process the script aims at.
final class SandboxEscapeTests: XCTestCase {
    struct Escape {
        /// What the script inside did and saw, then what the outer namespace shows after.
        var inside: String
        var outside: String
        var report: String
    }

    /// Runs `script` (wds; `$outer` is the outer process's pid, `$cgroup2` where cgroup v2 is
    /// mounted) in a sandbox, then `check` (bash, in the outer namespace; `$OUTER`, `$CG2`).
    func escape(_ script: String, check: String) throws -> Escape {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            private_tmp
            mount -t tmpfs -o mode=1777 none /var/tmp
            sleep 600 & OUTER=$!
            CG2=$(findmnt -n -t cgroup2 -o TARGET | head -1)
            export OUTER CG2
            cat /proc/$OUTER/cgroup > /tmp/outer-cgroup-before
            \(HostTrace.heredoc("let outer = $(env OUTER)\nlet cgroup2 = $(env CG2)\n" + script, to: "/tmp/escape.wds"))
            "$WDS" run --sandbox /tmp/escape.wds > /tmp/report 2>&1; echo "status=$?" >> /tmp/report
            echo "#### outside"
            \(check)
            echo "#### report"
            cat /tmp/report
            kill $OUTER
            """, uplink: nil, namespaces: ["--uts"])
        let parts = result.standardOutput.components(separatedBy: "#### ")
        guard parts.count == 3 else {
            XCTFail("the namespace run failed: \(result.standardOutput)\(result.standardError)")
            return Escape(inside: "", outside: "", report: "")
        }
        let report = String(parts[2].dropFirst("report\n".count))
        let inside = report.components(separatedBy: "== sandbox:").first ?? ""
        return Escape(inside: inside, outside: String(parts[1].dropFirst("outside\n".count)), report: report)
    }

    func testRemountingTheRootReadWriteIsRefusedAndTheRootFileSystemIsNotWritten() throws {
        let result = try escape("""
            echo "remount /: $(run --status mount -o remount,rw /)"
            echo "remount /var/tmp: $(run --status mount -o remount,rw /var/tmp)"
            echo "unmount /var/tmp: $(run --status umount /var/tmp)"
            echo "write /var/tmp: $(run --status touch /var/tmp/wds-escaped)"
            echo "write /: $(run --status touch /wds-escaped)"
            run grep -E " / / (ro|rw)," /proc/self/mountinfo
            """, check: """
            echo "var/tmp: $(ls -A /var/tmp)"
            echo "root: $(ls /wds-escaped 2>&1)"
            """)
        XCTAssertTrue(result.inside.contains("remount /: 32\n"), result.report)
        XCTAssertTrue(result.inside.contains("remount /var/tmp: 32\n"), result.report)
        XCTAssertTrue(result.inside.contains("unmount /var/tmp: 32\n"), result.report)
        XCTAssertTrue(result.inside.contains("write /var/tmp: 1\n"), result.report)
        XCTAssertTrue(result.inside.contains("write /: 1\n"), result.report)
        XCTAssertTrue(result.inside.contains(" / / ro,"), result.report)
        XCTAssertEqual(result.outside, "var/tmp: \nroot: ls: cannot access '/wds-escaped': No such file or directory\n", result.report)
        XCTAssertTrue(result.report.hasSuffix("status=0\n"), result.report)
    }

    func testNsenterIntoAnOuterProcessCannotAddAnIptablesRule() throws {
        let result = try escape("""
            echo "nsenter: $(run --status nsenter -t $outer -n iptables -w -A INPUT -j DROP)"
            echo "nsenter all: $(run --status nsenter -t $outer -a true)"
            echo "netns: $(run --status sh -c "ls /proc/$outer/ns")"
            """, check: """
            iptables -S INPUT
            """)
        XCTAssertTrue(result.inside.contains("nsenter: 1\n"), result.report)
        XCTAssertTrue(result.inside.contains("nsenter all: 1\n"), result.report)
        XCTAssertTrue(result.inside.contains("netns: 2\n"), result.report)
        XCTAssertEqual(result.outside, "-P INPUT ACCEPT\n", result.report)
    }

    func testWritingThroughProcPidRootReachesNothingOutside() throws {
        let result = try escape("""
            echo "outer root: $(run --status sh -c "echo escaped > /proc/$outer/root/tmp/wds-escaped")"
            echo "outer visible: $(run --status test -e /proc/$outer)"
            echo "processes: $(run sh -c "ls /proc | grep -c '^[0-9]'")"
            """, check: """
            echo "tmp: $(cat /tmp/wds-escaped 2>&1)"
            """)
        XCTAssertTrue(result.inside.contains("outer root: 2\n"), result.report)
        XCTAssertTrue(result.inside.contains("outer visible: 1\n"), result.report)
        XCTAssertEqual(result.outside, "tmp: cat: /tmp/wds-escaped: No such file or directory\n", result.report)
    }

    func testChangingTheHostnameChangesOnlyTheSandboxs() throws {
        let result = try escape("""
            run hostname wds-escaped
            echo "inside: $(run hostname)"
            """, check: """
            echo "hostname: $(hostname)"
            """)
        XCTAssertTrue(result.inside.contains("inside: wds-escaped\n"), result.report)
        XCTAssertFalse(result.outside.contains("wds-escaped"), result.outside)
        XCTAssertTrue(result.report.contains("== hostname (the sandbox's own UTS namespace)\n"), result.report)
    }

    func testAnOuterProcessCannotBeKilled() throws {
        let result = try escape("""
            echo "kill: $(run --status kill -9 $outer)"
            """, check: """
            kill -0 $OUTER && echo "outer alive"
            """)
        XCTAssertTrue(result.inside.contains("kill: 1\n"), result.report)
        XCTAssertEqual(result.outside, "outer alive\n", result.report)
    }

    func testAnOuterProcessCannotBeMovedIntoASandboxCgroupAndTheSandboxsCgroupsAreRemoved() throws {
        guard Namespace.run(["findmnt", "-n", "-t", "cgroup2"]).status == 0 else { throw XCTSkip("no cgroup v2 hierarchy is mounted") }
        let result = try escape("""
            mkdir "$cgroup2/wds-escape"
            echo "move: $(run --status sh -c "echo $outer > $cgroup2/wds-escape/cgroup.procs")"
            echo "self: $(run --status sh -c "echo 0 > $cgroup2/wds-escape/cgroup.procs")"
            """, check: """
            cat /proc/$OUTER/cgroup | cmp -s - /tmp/outer-cgroup-before && echo "outer cgroup unchanged"
            group=$(sed -n 's/^== cgroups created (below the sandbox.s own group, \\(.*\\) on the host; removed.*/\\1/p' /tmp/report)
            echo "group: ${group:+named}"
            test -e "$group" && echo "left: $group" || echo "removed"
            """)
        XCTAssertTrue(result.inside.contains("move: 1\n") || result.inside.contains("move: 2\n"), result.report)
        // Its own processes it may move: the group is delegated.
        XCTAssertTrue(result.inside.contains("self: 0\n"), result.report)
        XCTAssertTrue(result.report.contains("/wds-escape\n"), result.report)
        XCTAssertEqual(result.outside, "outer cgroup unchanged\ngroup: named\nremoved\n", result.report)
    }
}
