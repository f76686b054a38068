import Foundation
import XCTest

/// The foundation's own effects, run for real in a namespace — files,
/// sysctl, external programs, locks — and the trace of the same script, which
/// must list exactly the mutations the run performed, in order, and change nothing.
final class CoreIntegrationTests: XCTestCase {
    func testFilesSysctlProgramsAndLocksRunForRealAndTheTraceListsTheSameEffects() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            let dir = "$script_dir/out"
            mkdir --parents $dir
            write-file "$dir/a.txt" "one\\n"
            append-file "$dir/a.txt" "two words\\n"
            sysctl set net.ipv4.ip_forward 1
            lock "$dir/lock" timeout 2s {
              run touch "$dir/locked"
            }
            echo "forward=$(sysctl get net.ipv4.ip_forward)"
            """)
        let directory = (script as NSString).deletingLastPathComponent
        let result = Namespace.run("""
            cd \(directory)
            "$WDS" trace test.wds > trace.txt
            echo "after trace: forward=$(cat /proc/sys/net/ipv4/ip_forward) out=$(ls -d out 2>/dev/null || echo none)"
            "$WDS" run test.wds
            echo "status=$?"
            cat out/a.txt
            ls out
            """)
        XCTAssertEqual(result.standardOutput, """
            after trace: forward=0 out=none
            forward=1
            status=0
            one
            two words
            a.txt
            lock
            locked

            """, result.standardError)
        let trace = try String(contentsOfFile: directory + "/trace.txt", encoding: .utf8)
        // $script_dir is the script's folder as it was named: "." here.
        let mutations = trace.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
        XCTAssertEqual(mutations, [
            "mkdir -p -- ./out  # test.wds:2",
            "printf %s $'one\\n' > ./out/a.txt  # test.wds:3",
            "printf %s $'two words\\n' >> ./out/a.txt  # test.wds:4",
            "printf '%s\\n' 1 > /proc/sys/net/ipv4/ip_forward  # test.wds:5",
            "exec 9>>./out/lock && flock -w 2 9  # test.wds:6",
            "touch ./out/locked  # test.wds:7, point of no return",
            "exec 9>&-  # test.wds:6",
            // The trace answers the sysctl read from what it would have written.
            "printf '%s\\n' forward=1  # test.wds:9, after a probe",
        ])
    }

    func testTraceReplayedByBashGivesTheSameStateAsRun() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            let dir = "$script_dir/state"
            mkdir --parents "$dir/a/b"
            write-file "$dir/a/b/file" "it's \\"quoted\\"; \\$HOME\\n"
            sysctl set net.ipv4.ip_forward 1
            """)
        let directory = (script as NSString).deletingLastPathComponent
        let result = Namespace.run("""
            cd \(directory)
            "$WDS" trace test.wds > trace.sh
            bash trace.sh && find state | sort && cat state/a/b/file && cat /proc/sys/net/ipv4/ip_forward
            """)
        XCTAssertEqual(result.standardOutput, """
            state
            state/a
            state/a/b
            state/a/b/file
            it's "quoted"; $HOME
            1

            """, result.standardError)
    }

    func testALockHeldElsewhereTimesOutWithItsOwnStatus() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            lock "$script_dir/held" timeout 1s {
              echo "got it"
            }
            """)
        let directory = (script as NSString).deletingLastPathComponent
        let result = Namespace.run("""
            cd \(directory)
            flock held sleep 3 &
            sleep 0.3
            "$WDS" run test.wds
            echo "status=$?"
            wait
            """)
        XCTAssertEqual(result.standardOutput, "status=3\n")
        XCTAssertTrue(result.standardError.hasPrefix("test.wds:1:1: error: timed out after 1s waiting for the lock"),
                      result.standardError)
    }

    func testALockWithoutTimeoutWaitsForItsHolder() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            lock "$script_dir/held" {
              echo "got it"
            }
            """)
        let directory = (script as NSString).deletingLastPathComponent
        let result = Namespace.run("""
            cd \(directory)
            flock held sh -c 'sleep 0.5; echo released' &
            sleep 0.1
            "$WDS" run test.wds; echo "status=$?"
            wait
            """)
        XCTAssertEqual(result.standardOutput, "released\ngot it\nstatus=0\n", result.standardError)
    }

    func testAMissingProgramIsADiagnosticWithItsOwnStatus() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("run wds-no-such-program --flag\n")
        let result = Namespace.run("\"$WDS\" run \(Namespace.shellQuote(script)); echo \"status=$?\"")
        XCTAssertEqual(result.standardOutput, "status=4\n")
        XCTAssertTrue(result.standardError.contains("error: program 'wds-no-such-program' not found"), result.standardError)
    }
}
