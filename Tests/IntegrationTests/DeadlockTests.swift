import Foundation
import XCTest

/// Deadlocks and unbounded nesting (issue 13, point 9). Each run is killed
/// after 20 s (status 124), so a regression fails its test instead of hanging
/// the suite.
final class DeadlockTests: XCTestCase {
    func testTheSameLockInNestedBlocksIsReentrant() throws {
        let script = """
            lock /tmp/t/a.lock {
              lock /tmp/t/a.lock { echo "nested" }
              lock /tmp/t//./a.lock { echo "spelled another way" }
              lock /tmp/t/../t/a.lock timeout 1s { echo "through .." }
              lock /tmp/t/alias.lock timeout 1s { echo "through a link" }
            }
            lock /tmp/t/a.lock timeout 1s { echo "free again" }
            """
        let result = try ScriptRun.run(script, setup: "ln -s /tmp/t/a.lock /tmp/t/alias.lock",
                                       after: "flock -n /tmp/t/a.lock true && echo unlocked", timeoutSeconds: 20)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutput, "nested\nspelled another way\nthrough ..\nthrough a link\nfree again\n")
        XCTAssertEqual(result.after, "unlocked\n")
    }

    func testALockOnTheIptablesLockIsReentrantWithTheRunsOwn() throws {
        let script = """
            rule append INPUT --source 10.1.0.0/16 --jump ACCEPT
            lock /run/wds/iptables.lock { echo "after a rule" }
            lock /run/wds/iptables.lock { rule append INPUT --source 10.2.0.0/16 --jump ACCEPT }
            rule append INPUT --source 10.3.0.0/16 --jump ACCEPT
            """
        let result = try ScriptRun.run(script,
                                       after: "iptables-save -t filter | grep -c -- '-A INPUT -s 10\\.[123]\\.'; flock -n /run/wds/iptables.lock echo unlocked",
                                       timeoutSeconds: 20)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutput, "after a rule\n")
        XCTAssertEqual(result.after, "3\nunlocked\n", "the three rules are committed and the lock is free")
    }

    func testCheckRefusesASourcedFifo() throws {
        for command in ["check", "run"] {
            let result = try ScriptRun.run("source \"lib.wds\"\necho \"not reached\"", setup: "mkfifo /tmp/t/lib.wds",
                                           command: command, timeoutSeconds: 20)
            XCTAssertEqual(result.status, 2, command)
            XCTAssertEqual(result.standardError, """
                /tmp/t/test.wds:1:8: error: sourced file '/tmp/t/lib.wds' is a FIFO, not a regular file
                 1 | source "lib.wds"
                   |        ^~~~~~~~~
                hint: wds sources only regular files: reading anything else could wait for ever

                """, command)
        }
    }

    func testRunScriptNestingIsBounded() throws {
        // The script's own bound (40) stops a regression short of a fork bomb.
        let script = """
            let n = $(add $1 1)
            if $n > 40 { fail "no limit" }
            run-script "$script_dir/test.wds" $n
            """
        for command in ["run", "trace"] {
            let result = try ScriptRun.run(script, command: command, arguments: "0", timeoutSeconds: 60)
            XCTAssertEqual(result.status, 1, command)
            XCTAssertTrue(result.standardError.hasPrefix("""
                /tmp/t/test.wds:3:1: error: run-script nested too deeply (more than 16 scripts inside one another)
                """), "\(command): \(result.standardError.prefix(300))")
            XCTAssertFalse(result.standardError.contains("no limit"), command)
        }
    }

    func testAChildWithAMistakeStopsTheParentBeforeAnythingRuns() throws {
        let child = "echo \"child\"\nrule apend INPUT --jump ACCEPT"
        for path in ["\"$script_dir/lib/child.wds\"", "/tmp/t/lib/child.wds", "lib/child.wds"] {
            let script = "write-file /tmp/t/written \"yes\"\nrun-script \(path)"
            let result = try ScriptRun.run(script, files: ["lib/child.wds": child], after: "ls /tmp/t")
            XCTAssertEqual(result.status, 2, path)
            XCTAssertEqual(result.standardError, """
                /tmp/t/lib/child.wds:2:6: error: unknown subcommand 'apend' of 'rule'
                 2 | rule apend INPUT --jump ACCEPT
                   |      ^~~~~
                hint: did you mean 'append'?

                """, path)
            XCTAssertEqual(result.after, "lib\ntest.wds\n", "\(path): the parent wrote a file although the check failed")
        }
    }

    func testAMissingChildIsACheckError() throws {
        let result = try ScriptRun.run("write-file /tmp/t/written \"yes\"\nrun-script \"$script_dir/missing.wds\"", after: "ls /tmp/t")
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.standardError.hasPrefix(
            "/tmp/t/test.wds:2:12: error: cannot read script '/tmp/t/missing.wds' started by run-script: No such file or directory\n"), result.standardError)
        XCTAssertEqual(result.after, "test.wds\n")
    }

    /// A computed path is known only when the child starts: its failed check is then a failure (1), not "nothing ran" (2).
    func testAComputedChildThatFailsItsCheckIsStatusOne() throws {
        let script = """
            write-file /tmp/t/written "yes"
            let name = "child.wds"
            run-script "$script_dir/lib/$name"
            """
        let result = try ScriptRun.run(script, files: ["lib/child.wds": "rule apend INPUT --jump ACCEPT"], after: "ls /tmp/t")
        XCTAssertEqual(result.status, 1, result.standardError)
        XCTAssertTrue(result.standardError.contains(
            "/tmp/t/test.wds:3:1: error: 'child.wds' did not pass its check (status 2); it ran nothing, but this script ran until here\n"),
            result.standardError)
        XCTAssertEqual(result.after, "lib\ntest.wds\nwritten\n")
    }

    func testScriptDirCannotBeRedefined() throws {
        let result = try ScriptRun.run("let script_dir = \"/etc\"\necho $script_dir", command: "check")
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.standardError.hasPrefix("/tmp/t/test.wds:1:5: error: 'script_dir' is set by wds and cannot be redefined\n"),
                      result.standardError)
    }
}
