import Foundation
import XCTest

/// One run of the built `wds` on a script, inside a throwaway namespace with a
/// private /tmp and /run: the script is written to /tmp/t/test.wds (files
/// beside it with `files`), `setup` (bash) prepares the host, the command runs
/// under `timeout` so a hang fails the test instead of the suite, and `after`
/// (bash) shows what the run left.
struct ScriptRun {
    var status: Int32
    var standardOutput: String
    var standardError: String
    /// The output of `after`.
    var after: String

    /// The status `timeout` gives a command it had to kill.
    static let timedOut: Int32 = 124

    static func run(_ script: String, files: [String: String] = [:], setup: String = "", command: String = "run",
                    arguments: String = "", environment: String = "", after: String = "true",
                    timeoutSeconds: Int = 30) throws -> ScriptRun {
        try Namespace.requireNamespaces()
        var writes = ""
        for (name, text) in files.sorted(by: { $0.key < $1.key }) {
            writes += "mkdir -p \"$(dirname /tmp/t/\(name))\"\ncat > /tmp/t/\(name) <<'WDS_EOF'\n\(text)\nWDS_EOF\n"
        }
        let shell = """
            private_tmp
            mkdir -p /tmp/t
            cat > /tmp/t/test.wds <<'WDS_EOF'
            \(script)
            WDS_EOF
            \(writes)
            \(setup)
            ( cd /tmp/t && \(environment) timeout -k 5 \(timeoutSeconds) "$WDS" \(command) /tmp/t/test.wds \(arguments) ) > /tmp/.out 2> /tmp/.err < /dev/null
            echo "status $?"
            cat /tmp/.out
            echo '#### err'
            cat /tmp/.err
            echo '#### after'
            \(after)
            """
        let result = Namespace.run(shell)
        let head = result.standardOutput.components(separatedBy: "#### err\n")
        guard head.count == 2, let first = head[0].split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first,
              first.hasPrefix("status "), let status = Int32(first.dropFirst("status ".count)) else {
            throw GoldenFailure("the namespace run failed: \(result.standardOutput) \(result.standardError)")
        }
        let rest = head[1].components(separatedBy: "#### after\n")
        return ScriptRun(status: status, standardOutput: String(head[0].dropFirst(first.count + 1)),
                         standardError: rest[0], after: rest.count > 1 ? rest[1] : "")
    }
}
