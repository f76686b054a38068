import Foundation
import Interpreter
import XCTest

/// `rlimit set` changes the interpreter's own limits, which programs it runs
/// inherit; `rlimit get` reads them back from /proc/self/limits.
final class RlimitIntegrationTests: XCTestCase {
    func testSetLimitIsInheritedByPrograms() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            rlimit set nofile 4096 8192
            let files = $(rlimit get nofile)
            echo "get ${files.soft} ${files.hard}"
            run sh -c "ulimit -n; ulimit -Hn"
            rlimit set nofile 2048
            run sh -c "ulimit -n; ulimit -Hn"
            rlimit set core unlimited
            let core = $(rlimit get core)
            echo "core ${core.soft} ${core.hard}"
            """, name: "rlimit.wds")
        let directory = (script as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = Namespace.run("""
            "$WDS" trace \(Namespace.shellQuote(script)) > \(directory)/trace.txt 2>&1
            "$WDS" run \(Namespace.shellQuote(script)); echo "status=$?"
            """)
        XCTAssertEqual(result.standardOutput, "get 4096 8192\n4096\n8192\n2048\n2048\ncore unlimited unlimited\nstatus=0\n",
                       result.standardError)
        let trace = try String(contentsOfFile: directory + "/trace.txt", encoding: .utf8)
        XCTAssertEqual(HostTrace.commands(trace).mutations, [
            "prlimit --pid $$ --nofile=4096:8192",
            "sh -c 'ulimit -n; ulimit -Hn'",
            "prlimit --pid $$ --nofile=2048:2048",
            "sh -c 'ulimit -n; ulimit -Hn'",
            "prlimit --pid $$ --core=unlimited:unlimited",
        ], trace)
        XCTAssertEqual(HostTrace.commands(trace).probes, ["cat /proc/self/limits", "cat /proc/self/limits"], trace)
    }

    func testLimitsTheKernelRefusesFailAtTheScriptLine() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            rlimit set nofile 100 50
            """, name: "soft.wds")
        let above = try Namespace.temporaryScript("""
            rlimit set nofile 2000000000
            """, name: "above.wds")
        defer {
            try? FileManager.default.removeItem(atPath: (script as NSString).deletingLastPathComponent)
            try? FileManager.default.removeItem(atPath: (above as NSString).deletingLastPathComponent)
        }
        let result = Namespace.run("""
            "$WDS" run \(Namespace.shellQuote(script)); echo "status=$?"
            "$WDS" run \(Namespace.shellQuote(above)); echo "status=$?"
            """)
        XCTAssertEqual(result.standardOutput, "status=1\nstatus=5\n", result.standardError)
        XCTAssertTrue(result.standardError.contains("soft.wds:1:1: error: the soft limit 100 is above the hard limit 50"), result.standardError)
        XCTAssertTrue(result.standardError.contains("above.wds:1:1: error: cannot set the nofile limit to 2000000000:2000000000: Operation not permitted"),
                      result.standardError)
        XCTAssertTrue(result.standardError.contains("hint: the hard nofile limit cannot exceed fs.nr_open"), result.standardError)
    }

    func testCheckRejectsUnknownResourcesAndValues() throws {
        let script = try Namespace.temporaryScript("""
            rlimit set files 10
            rlimit get nofile extra
            rlimit set nofile -1
            """, name: "bad.wds")
        defer { try? FileManager.default.removeItem(atPath: (script as NSString).deletingLastPathComponent) }
        let result = Namespace.run([Namespace.wdsBinary, "check", script])
        XCTAssertEqual(result.status, 2)
        for expected in ["bad.wds:1:12: error: 'files' is not one of nofile", "bad.wds:2:19: error: too many arguments for 'rlimit get'",
                         "bad.wds:3:19: error: '-1' is not a limit"] {
            XCTAssertTrue(result.standardError.contains(expected), "missing \(expected) in\n\(result.standardError)")
        }
    }
}
