import Foundation
import XCTest

/// A `run --probe` program is only declared read-only: trace, plan, verify and
/// state start none unless the user passes --run-probes. Without it the probe
/// is printed (a comment in the trace) and the run stops at the statement that
/// needs its answer, saying why. Each probe here leaves a marker file, so a
/// probe that ran cannot hide.
final class ProbeProgramTests: XCTestCase {
    static let script = """
        echo "before the probe"
        if run --probe touch "$script_dir/probe-ran" {
          mkdir --parents "$script_dir/made"
        }
        echo "after the probe"
        """

    /// Every mode that must not act, as the command line gives it.
    static let modes: [[String]] = [["trace"], ["trace", "--format", "json"], ["trace", "--format", "restore"],
                                     ["plan"], ["verify"], ["state", "-o", "STATE"]]

    func run(_ mode: [String], runProbes: Bool, script path: String) -> (Namespace.Result, Bool) {
        let directory = (path as NSString).deletingLastPathComponent
        let arguments = mode.map { $0 == "STATE" ? directory + "/host.state" : $0 } + (runProbes ? ["--run-probes"] : [])
        let result = Namespace.run("""
            rm -f \(directory)/probe-ran
            "$WDS" \(arguments.map(Namespace.shellQuote).joined(separator: " ")) \(Namespace.shellQuote(path)); echo "status=$?"
            """, uplink: nil)
        return (result, FileManager.default.fileExists(atPath: directory + "/probe-ran"))
    }

    func testWithoutRunProbesNoModeStartsTheProgramAndEachStopsAtTheProbe() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript(Self.script)
        let name = script  // as given on the command line
        for mode in Self.modes {
            let label = mode.joined(separator: " ")
            let (result, ran) = run(mode, runProbes: false, script: script)
            XCTAssertFalse(ran, "\(label): the probe program ran")
            XCTAssertTrue(result.standardOutput.hasSuffix("status=1\n"), "\(label): \(result.standardOutput)")
            XCTAssertTrue(result.standardError.hasPrefix("\(name):2:4: error: wds \(mode[0]) stops here: this statement needs the answer of `touch "),
                          "\(label): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains("starts programs only with --run-probes"), "\(label): \(result.standardError)")
            XCTAssertFalse(result.standardOutput.contains("after the probe"), "\(label): went on past the probe")
            XCTAssertFalse(result.standardOutput.contains("made"), "\(label): took a branch without the answer")
        }
        // The trace shows the probe it did not run, as a comment, after what came before it.
        let (trace, _) = run(["trace"], runProbes: false, script: script)
        XCTAssertTrue(trace.standardOutput.contains("printf '%s\\n' 'before the probe'  # \(name):1\n# probe: touch "), trace.standardOutput)
        XCTAssertTrue(trace.standardOutput.contains("/probe-ran  # \(name):2\nstatus=1\n"), trace.standardOutput)
    }

    func testWithRunProbesEveryModeStartsTheProgram() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript(Self.script)
        for mode in Self.modes {
            let label = mode.joined(separator: " ")
            let (result, ran) = run(mode, runProbes: true, script: script)
            XCTAssertTrue(ran, "\(label): the probe program did not run: \(result.standardError)")
            XCTAssertFalse(result.standardError.contains("stops here"), "\(label): \(result.standardError)")
            // plan and verify find the directory to make: status 10.
            XCTAssertTrue(result.standardOutput.hasSuffix(mode[0] == "plan" || mode[0] == "verify" ? "status=10\n" : "status=0\n"),
                          "\(label): \(result.standardOutput) \(result.standardError)")
        }
    }

    /// A script started with run-script is traced by a child wds: the flag, or its absence, reaches it.
    func testAChildTraceOfRunScriptKeepsTheChoice() throws {
        try Namespace.requireNamespaces()
        let child = try Namespace.temporaryScript(Self.script, name: "child.wds")
        let directory = (child as NSString).deletingLastPathComponent
        let parent = directory + "/parent.wds"
        try "run-script \"$script_dir/child.wds\"\n".write(toFile: parent, atomically: true, encoding: .utf8)
        let (without, ranWithout) = run(["trace"], runProbes: false, script: parent)
        XCTAssertFalse(ranWithout, without.standardError)
        XCTAssertTrue(without.standardError.contains("child.wds:2:4: error: wds trace stops here"), without.standardError)
        XCTAssertTrue(without.standardOutput.hasSuffix("status=1\n"), without.standardOutput)
        let (with, ranWith) = run(["trace"], runProbes: true, script: parent)
        XCTAssertTrue(ranWith, with.standardError)
        XCTAssertTrue(with.standardOutput.hasSuffix("status=0\n"), with.standardOutput + with.standardError)
    }
}
