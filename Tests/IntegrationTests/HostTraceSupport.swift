import Foundation
import Interpreter
import XCTest

/// Helpers shared by the host-family integration tests (mount, cgroup,
/// route, rlimit): reading a trace back as the list of effects it lists.
enum HostTrace {
    /// The trace's lines without their `  # file:line` suffix. `mutations`
    /// drops probes (`# probe: …`) and what `echo` printed, leaving the changes
    /// the script makes; `probes` keeps only the probes.
    static func commands(_ trace: String) -> (mutations: [String], probes: [String]) {
        var mutations: [String] = [], probes: [String] = []
        for line in trace.split(separator: "\n").map(String.init) {
            guard let end = line.range(of: "  # ", options: .backwards) else { continue }
            let command = String(line[..<end.lowerBound])
            if command.hasPrefix("# probe: ") {
                probes.append(String(command.dropFirst(9)))
            } else if !command.hasPrefix("printf '%s\\n' ") {
                mutations.append(command)
            }
        }
        return (mutations, probes)
    }

    /// The trace line of an effect, as the trace printer writes it.
    static func line(_ effect: Effect) -> String { effect.shellCommand }

    /// A name no other run uses, for scratch cgroups and directories.
    static func scratchName() -> String {
        "wds-test-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    /// A quoted bash here-document that writes `text` to `path`.
    static func heredoc(_ text: String, to path: String) -> String {
        "cat > \(Namespace.shellQuote(path)) <<'WDS_SCRIPT'\n\(text)\nWDS_SCRIPT"
    }
}
