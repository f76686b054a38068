import Foundation
import XCTest

/// Processes, the host name, files and mounts, for real in throwaway
/// namespaces: a PID namespace of its own (so no process of the host is ever
/// found, let alone signalled), a UTS namespace for the host name, a private
/// /tmp for files and mounts.
final class HostBasicsTests: XCTestCase {
    func testProcessesAreFoundByCommandCgroupAndParentAndSignalledTogether() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            let parent = $(env PARENT)
            let sleepers = $(processes --command "sleep 100?")
            echo "found" $sleepers.count "named" $(count $(processes --name sleep)) "children" $(count $(processes --parent $parent))
            let first = $sleepers.first
            echo "record" $first.name $first.args $(is-number $first.pid) $($first.parent == $parent)
            echo "same cgroup" $(count $(processes --cgroup $first.cgroup --command "sleep*"))
            let below = $(descendants 1)
            echo "descendants of 1:" $(count $below) "of the parent:" $(count $(descendants $parent))
            signal TERM $sleepers
            signal KILL []
            signal TERM 0

            """)
        let result = Namespace.run("""
            unshare --pid --fork --mount-proc bash -c '
              sh -c "sleep 1001 & sleep 1002 & wait" &
              parent=$!
              sleep 0.3
              PARENT=$parent "$WDS" run \(Namespace.shellQuote(script)); echo "status=$?"
              sleep 0.3
              pgrep -c sleep || true
            '
            """)
        XCTAssertTrue(result.standardOutput.hasPrefix("""
            found 2 named 2 children 2
            record sleep [sleep 1001] true true
            same cgroup 2
            """), result.standardOutput + result.standardError)
        XCTAssertTrue(result.standardOutput.contains("of the parent: 2\n"), result.standardOutput)
        XCTAssertTrue(result.standardOutput.hasSuffix("status=1\n0\n"), result.standardOutput + result.standardError)
        XCTAssertTrue(result.standardError.contains("'0' is not a process id"), result.standardError)
    }

    func testTheHostNameIsReadSetAndPutBack() throws {
        try Namespace.requireNamespaces()
        let set = try Namespace.temporaryScript("""
            echo "was" $(hostname get)
            hostname set wds-docs-host
            echo "now" $(hostname get)

            """)
        let failing = try Namespace.temporaryScript("hostname set other-name\nfail \"stop\"\n", name: "failing.wds")
        let bad = try Namespace.temporaryScript("hostname set \"bad name\"\n", name: "bad.wds")
        let result = Namespace.run("""
            unshare --uts bash -c '
              hostname before
              "$WDS" run \(Namespace.shellQuote(set)); uname -n
              "$WDS" run \(Namespace.shellQuote(failing)) 2>/dev/null; echo "status=$? $(uname -n)"
              "$WDS" run \(Namespace.shellQuote(bad)) 2>/dev/null; echo "status=$?"
            '
            """)
        XCTAssertEqual(result.standardOutput, """
            was before
            now wds-docs-host
            wds-docs-host
            status=1 wds-docs-host
            status=2

            """, result.standardError)
    }

    func testFilesAreCopiedReplacedChangedAndRemoved() throws {
        let failing = """
            copy-file /tmp/f/source /tmp/f/undone
            chmod 0700 /tmp/f/plain
            chown 99:99 /tmp/f/plain
            replace-file /tmp/f/kept "again\\n"
            fail "stop"
            """
        let run = try ScriptRun.run("""
            copy-file /tmp/f/source /tmp/f/copy
            replace-file /tmp/f/kept "new\\n"
            replace-file /tmp/f/fresh "fresh\\n"
            chmod 0600 /tmp/f/plain
            chown nobody:12 /tmp/f/plain
            chown :34 /tmp/f/fresh
            remove-tree /tmp/f/tree
            remove-tree /tmp/f/missing
            try { remove-tree /tmp/f/mounted } catch err { echo "caught: $err.message" }
            """, files: ["failing.wds": failing], setup: """
            mkdir -p /tmp/f/tree/sub /tmp/outside /tmp/f/mounted/m
            printf 'data\\n' > /tmp/f/source; chown 1234:5678 /tmp/f/source; chmod 4750 /tmp/f/source
            printf 'old\\n' > /tmp/f/kept; chown 42:43 /tmp/f/kept; chmod 0640 /tmp/f/kept
            touch /tmp/f/plain /tmp/outside/keep; ln -s /tmp/outside /tmp/f/tree/sub/link
            mount -t tmpfs none /tmp/f/mounted/m
            stat -c %i /tmp/f/kept > /tmp/inode
            """, after: """
            stat -c '%n %a %u:%g' /tmp/f/copy /tmp/f/kept /tmp/f/fresh /tmp/f/plain
            cat /tmp/f/copy /tmp/f/kept; [ "$(stat -c %i /tmp/f/kept)" != "$(cat /tmp/inode)" ] && echo "kept is a new inode"
            ls /tmp/f /tmp/outside; ls -a /tmp/f | grep -c wds-new || true
            "$WDS" run /tmp/t/failing.wds 2>/dev/null; echo "status=$?"
            stat -c '%n %a %u:%g' /tmp/f/plain /tmp/f/kept; cat /tmp/f/kept; ls /tmp/f/undone 2>&1 | grep -c 'No such' || true
            """)
        let nobody = Namespace.run(["id", "-u", "nobody"]).standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(run.standardOutput, "caught: '/tmp/f/mounted/m' is another mounted file system; unmount it before removing the tree\n")
        XCTAssertEqual(run.after, """
            /tmp/f/copy 4750 1234:5678
            /tmp/f/kept 640 42:43
            /tmp/f/fresh 644 0:34
            /tmp/f/plain 600 \(nobody):12
            data
            new
            kept is a new inode
            /tmp/f:
            copy
            fresh
            kept
            mounted
            plain
            source

            /tmp/outside:
            keep
            0
            status=1
            /tmp/f/plain 600 \(nobody):12
            /tmp/f/kept 640 42:43
            new
            1

            """)
    }

    func testMountsAreFoundByPrefixAndUnmountedDeepestFirst() throws {
        let run = try ScriptRun.run("""
            for m in $(mounts --prefix /tmp/m) { echo $m.mountpoint }
            unmount --recursive /tmp/m
            for m in $(mounts --prefix /tmp/m) { echo "still" $m.mountpoint }
            unmount --prefix /tmp/m
            echo "after prefix:" $(count $(mounts --prefix /tmp/m))
            unmount --recursive /tmp/nothing-mounted-here
            """, setup: """
            mkdir -p /tmp/m/a /tmp/m/c /tmp/m2
            mount -t tmpfs none /tmp/m/a; mkdir /tmp/m/a/b; mount -t tmpfs none /tmp/m/a/b
            mount -t tmpfs none /tmp/m/c; mount -t tmpfs none /tmp/m2
            "$WDS" trace /tmp/t/test.wds | grep '^umount' > /tmp/trace
            """, after: "cat /tmp/trace")
        XCTAssertEqual(run.status, 0, run.standardError)
        XCTAssertEqual(run.standardOutput, """
            /tmp/m/a
            /tmp/m/a/b
            /tmp/m/c
            /tmp/m2
            still /tmp/m2
            after prefix: 0

            """)
        XCTAssertEqual(run.after, """
            umount -- /tmp/m/a/b  # /tmp/t/test.wds:2, after a probe, point of no return
            umount -- /tmp/m/c  # /tmp/t/test.wds:2, after a probe, point of no return
            umount -- /tmp/m/a  # /tmp/t/test.wds:2, after a probe, point of no return
            umount -- /tmp/m2  # /tmp/t/test.wds:4, after a probe, point of no return

            """)
    }
}

/// The cleanup block, for real: after a failure (the iptables batch rolled
/// back first, the block's own changes kept), and on SIGTERM and SIGINT.
final class CleanupTests: XCTestCase {
    func testCleanupRunsAfterTheRollbackAndItsChangesStay() throws {
        let run = try ScriptRun.run("""
            cleanup {
              echo "rolled back before cleanup: $(! chain exists wds-work)"
              chain ensure wds-cleaned
              write-file /tmp/t/cleaned "yes\\n"
            }
            chain create wds-work
            iptables commit
            rule append wds-work --jump DROP
            fail "stop"
            """, after: "iptables -S | grep -c wds-work || true; iptables -S | grep wds-cleaned; cat /tmp/t/cleaned")
        XCTAssertEqual(run.status, 1, run.standardError)
        XCTAssertEqual(run.standardOutput, "rolled back before cleanup: true\n")
        XCTAssertTrue(run.standardError.hasSuffix("stop\nwds: undid the 1 change(s) this run had made\n"), run.standardError)
        XCTAssertEqual(run.after, "0\n-N wds-cleaned\nyes\n")
    }

    func testSignalsEndTheScriptThenCleanupRuns() throws {
        try Namespace.requireNamespaces()
        let script = """
            cleanup { write-file /tmp/t/cleaned-$(env SIGNAL) "yes\\n" }
            write-file /tmp/t/before "1\\n"
            run sleep 0.6
            write-file /tmp/t/after "1\\n"
            """
        for (signal, status) in [("TERM", 143), ("INT", 130)] {
            // A PID namespace of its own: the signal can reach no other process.
            let result = Namespace.run("""
                private_tmp
                mkdir -p /tmp/t
                cat > /tmp/t/test.wds <<'WDS_EOF'
                \(script)
                WDS_EOF
                unshare --pid --fork --mount-proc bash -c '
                  set -m
                  SIGNAL=\(signal) "$WDS" run /tmp/t/test.wds 2> /tmp/t/err &
                  pid=$!
                  sleep 0.2
                  kill -\(signal) $pid
                  wait $pid
                  echo "status=$?"
                '
                ls /tmp/t; cat /tmp/t/err
                """)
            XCTAssertTrue(result.standardOutput.hasPrefix("status=\(status)\nbefore\ncleaned-\(signal)\nerr\ntest.wds\n"), result.standardOutput)
            XCTAssertTrue(result.standardOutput.contains("test.wds:4:1: error: interrupted by SIG\(signal) before this statement"),
                          result.standardOutput)
            XCTAssertTrue(result.standardOutput.contains("were not undone (a point of no return)"), result.standardOutput)
        }
    }
}
