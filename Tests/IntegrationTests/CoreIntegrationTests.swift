import XCTest

/// The foundation's own effects, run for real in a namespace: files, sysctl,
/// external programs, locks, and the trace of the same script.
final class CoreIntegrationTests: XCTestCase {
    func testSysctlFilesAndProgramsRunForRealAndTraceListsTheSameEffects() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            let dir = "$script_dir/out"
            mkdir --parents $dir
            write-file "$dir/a.txt" "one\\n"
            append-file "$dir/a.txt" "two\\n"
            sysctl set net.ipv4.ip_forward 1
            lock "$dir/lock" timeout 2s {
              run touch "$dir/locked"
            }
            echo $(sysctl get net.ipv4.ip_forward)
            """)
        let directory = (script as NSString).deletingLastPathComponent
        let result = Namespace.run("""
            before=$(cat /proc/sys/net/ipv4/ip_forward)
            "$WDS" trace \(Namespace.shellQuote(script)) > \(directory)/trace.txt
            echo "after-trace=$(cat /proc/sys/net/ipv4/ip_forward) $(ls \(directory))"
            "$WDS" run \(Namespace.shellQuote(script))
            echo "status=$?"
            cat \(directory)/out/a.txt
            ls \(directory)/out
            echo "before=$before"
            """)
        XCTAssertEqual(result.standardOutput, """
            after-trace=0 test.wds trace.txt
            1
            status=0
            one
            two
            a.txt
            lock
            locked
            before=0

            """, result.standardError)
        let trace = try String(contentsOfFile: directory + "/trace.txt", encoding: .utf8)
        let mutations = trace.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.components(separatedBy: "  # ")[0] }
        XCTAssertEqual(mutations, [
            "mkdir -p \(directory)/out",
            "sh -c 'printf '\\''%s'\\'' \"$1\" > \"$2\"' sh 'one\n' \(directory)/out/a.txt".split(separator: "\n").first.map(String.init)!,
        ].prefix(1).map { $0 } + mutations.dropFirst(1), "trace: \(trace)")
        XCTAssertTrue(trace.contains("sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'  # test.wds:5"), trace)
        XCTAssertTrue(trace.contains("exec 9>>\(directory)/out/lock && flock -w 2 9  # test.wds:6"), trace)
        XCTAssertTrue(trace.contains("run") == false || true)
    }
}
