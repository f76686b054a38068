import Foundation
import XCTest

/// Failures are clean: each kind of failure while running gives a diagnostic
/// that names the script line and its own exit status (ExitStatus), and what
/// failed is not half-applied. Each runs the built `wds` in a namespace.
final class FailureTests: XCTestCase {
    /// Runs `script` as /tmp/t/test.wds in a namespace after `setup` (bash);
    /// returns the status, stderr, and the output of `after` (bash).
    func run(_ script: String, setup: String = "", environment: String = "", after: String = "true") throws
        -> (status: Int32, stderr: String, after: String) {
        try Namespace.requireNamespaces()
        let shell = """
            private_tmp
            mkdir -p /tmp/t
            cat > /tmp/t/test.wds <<'WDS_EOF'
            \(script)
            WDS_EOF
            \(setup)
            ( \(environment) "$WDS" run /tmp/t/test.wds ) > /tmp/t/out 2> /tmp/t/err
            echo "status $?"
            cat /tmp/t/err
            echo '#### after'
            \(after)
            """
        let result = Namespace.run(shell)
        let parts = result.standardOutput.components(separatedBy: "#### after\n")
        let head = parts[0]
        guard head.hasPrefix("status "), let line = head.split(separator: "\n").first,
              let status = Int32(line.dropFirst("status ".count)) else {
            throw GoldenFailure("the namespace run failed: \(result.standardOutput) \(result.standardError)")
        }
        return (status, String(head.dropFirst(line.count + 1)), parts.count > 1 ? parts[1] : "")
    }

    func testMissingIptablesIsStatus4WithTheLine() throws {
        let result = try run("echo start\nrule append FORWARD --jump ACCEPT\n",
                             environment: "PATH=/nonexistent", after: "iptables-save -t filter | grep -c -- '^-A' || true")
        XCTAssertEqual(result.status, 4, result.stderr)
        XCTAssertTrue(result.stderr.contains("/tmp/t/test.wds:2:"), result.stderr)
        XCTAssertTrue(result.stderr.contains("iptables"), result.stderr)
        XCTAssertEqual(result.after.trimmingCharacters(in: .whitespacesAndNewlines), "0")
    }

    func testKernelRefusalIsStatus5AndNothingOfTheTransactionIsApplied() throws {
        // The kernel has no module or target by this name; the model cannot know that in advance.
        let script = """
            chain create wds-half
            rule append wds-half --jump ACCEPT
            rule append FORWARD --jump wds-half
            rule append INPUT --jump NO_SUCH_TARGET_XT
            """
        let result = try run(script, after: "iptables-save -t filter | grep -v '^#' | grep -c wds-half || true")
        XCTAssertEqual(result.status, 5, result.stderr)
        XCTAssertTrue(result.stderr.contains("/tmp/t/test.wds:4:"), "the rejected rule's line: \(result.stderr)")
        XCTAssertEqual(result.after.trimmingCharacters(in: .whitespacesAndNewlines), "0", "part of a refused transaction was applied")
    }

    func testFullDiskIsStatus6WithTheLine() throws {
        let script = """
            let big = $(format "%s%s%s%s%s%s%s%s" "$(read-file /tmp/t/k)" "$(read-file /tmp/t/k)" "$(read-file /tmp/t/k)" "$(read-file /tmp/t/k)" "$(read-file /tmp/t/k)" "$(read-file /tmp/t/k)" "$(read-file /tmp/t/k)" "$(read-file /tmp/t/k)")
            write-file /tmp/full/data $big
            """
        let result = try run(script, setup: "head -c 4096 /dev/zero | tr '\\0' x > /tmp/t/k; mkdir /tmp/full; mount -t tmpfs -o size=4k none /tmp/full",
                             after: "ls -A /tmp/full")
        XCTAssertEqual(result.status, 6, result.stderr)
        XCTAssertTrue(result.stderr.contains("/tmp/t/test.wds:2:"), result.stderr)
        XCTAssertTrue(result.stderr.lowercased().contains("space"), result.stderr)
    }

    func testLockTimeoutIsStatus3WithTheLine() throws {
        let script = """
            echo waiting
            lock /tmp/t/busy.lock timeout 1s {
              write-file /tmp/t/inside yes
            }
            """
        let result = try run(script, setup: "flock /tmp/t/busy.lock sleep 2 & sleep 0.3", after: "ls /tmp/t")
        XCTAssertEqual(result.status, 3, result.stderr)
        XCTAssertTrue(result.stderr.contains("/tmp/t/test.wds:2:"), result.stderr)
        XCTAssertFalse(result.after.contains("inside"), "the locked block ran without the lock")
    }
}
