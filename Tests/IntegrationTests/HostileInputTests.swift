import Foundation
import TestSupport
import XCTest

/// Hostile input: every `Tests/ScriptTests/Scripts/hostile/NAME.wds` is run by
/// the built `wds` inside a throwaway namespace, with the environment of its
/// `NAME.expected`, and must end with exactly the expected diagnostics and
/// status **and leave the host as it found it**: the namespace's iptables and
/// ip6tables rulesets, its mount table, its `/tmp` (a private tmpfs holding
/// the scratch directory `$1`) and `ip_forward` are compared before and after.
///
/// The `.expected` format is the golden one (GoldenScriptTests), plus:
///
///     -- env        NAME=VALUE lines for the script's environment; VALUE is read as
///                   bash's $'…' reads it: `\n`, `\r`, `\t`, `\e`, `\\` and `\xNN` (the byte
///                   NN) are escapes, so a value can hold a newline or be invalid UTF-8
///     -- args       the script's arguments after `$1`, one a line, read the same way
///     -- setup      bash lines run before the first snapshot, with `$TMP` the scratch
///                   directory: what an attacker prepared (a planted link, a FIFO)
///     -- changes    the lines the run may add (`+ line`) or remove (`- line`) in the
///                   state snapshot, when a hostile value is accepted but made harmless
///
/// Paths are shown as `$TMP` (the scratch directory) and `$ROOT` (the checkout).
/// Each run is killed after 60 s (status 124), so a hang fails its case instead of the suite.
/// The in-process golden test skips this folder: these scripts reach the host.
/// `WDS_RECORD=1` rewrites the expected files from what the runs did, for review.
final class HostileInputTests: XCTestCase {
    static var folder: URL {
        Namespace.repositoryRoot.appendingPathComponent("Tests/ScriptTests/Scripts/hostile")
    }

    /// Lines of bash printing the state a hostile run must not change.
    static let snapshot = """
        snapshot() {
          echo '## iptables'; iptables-save | grep -v '^#' | sed -E 's/\\[[0-9]+:[0-9]+\\]$/[0:0]/'
          echo '## ip6tables'; ip6tables-save | grep -v '^#' | sed -E 's/\\[[0-9]+:[0-9]+\\]$/[0:0]/'
          echo '## mounts'; awk '{print $5, $9, $10}' /proc/self/mountinfo | sort
          echo '## tmp'; find /tmp -path /tmp/.harness -prune -o -printf '%p %y %s %m\\n' | sort
          echo '## sysctl'; cat /proc/sys/net/ipv4/ip_forward
          echo '## links'; ip -br link | awk '{ print $1, $2 }'; ls /run/netns 2>/dev/null
          echo '## addresses'; ip -br address; echo '## routes'; ip route show table all
        }
        """

    func testEveryHostileInput() throws {
        try Namespace.requireNamespaces()
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
            .filter { $0.hasSuffix(".wds") && !$0.hasPrefix("_") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 50, "the hostile suite has at least 50 inputs")
        let record = ProcessInfo.processInfo.environment["WDS_RECORD"] == "1"
        for file in files {
            let name = String(file.dropLast(4))
            let expectedURL = Self.folder.appendingPathComponent(name + ".expected")
            let expected = try HostileExpected(parsing: (try? String(contentsOf: expectedURL, encoding: .utf8)) ?? (record ? "-- status\n0\n" : ""), name: name)
            let actual = try Self.runInNamespace(file: file, expected: expected)
            if record {
                var recorded = expected
                (recorded.status, recorded.stdout, recorded.stderr, recorded.changes) = (actual.status, actual.stdout, actual.stderr, actual.changes)
                try recorded.serialized.write(to: expectedURL, atomically: true, encoding: .utf8)
                continue
            }
            XCTAssertEqual(actual.status, expected.status, "\(name): status")
            XCTAssertEqual(actual.stdout, expected.stdout, "\(name): stdout")
            XCTAssertEqual(actual.stderr, expected.stderr, "\(name): stderr")
            XCTAssertEqual(actual.changes, expected.changes, "\(name): the host's state changed")
            if expected.status != 0 {
                XCTAssertTrue(actual.stderr.contains("error: ") || !actual.stderr.isEmpty, "\(name): failed without a diagnostic")
            }
        }
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var changes: [String]
    }

    static func runInNamespace(file: String, expected: HostileExpected) throws -> Outcome {
        let exports = expected.environment.map { "export \($0.key)=\(HostileExpected.bashWord($0.value))" }.joined(separator: "\n")
        let arguments = expected.arguments.map(HostileExpected.bashWord).joined(separator: " ")
        let script = """
            private_tmp
            mkdir -p /tmp/.harness /tmp/scratch/sub
            echo keep > /tmp/scratch/keep
            iptables -N keep-chain && iptables -A keep-chain -s 192.0.2.0/24 -j RETURN
            ( TMP=/tmp/scratch
            \(expected.setup.joined(separator: "\n"))
            )
            \(snapshot)
            snapshot > /tmp/.harness/before
            cd \(Namespace.shellQuote(folder.path))
            ( \(exports)
              exec timeout -k 5 60 "$WDS" run \(Namespace.shellQuote(file)) /tmp/scratch \(arguments) ) >/tmp/.harness/out 2>/tmp/.harness/err </dev/null
            echo $? > /tmp/.harness/status
            snapshot > /tmp/.harness/after
            cat /tmp/.harness/status; echo '#### out'; cat /tmp/.harness/out; echo '#### err'; cat /tmp/.harness/err
            echo '#### changes'; diff /tmp/.harness/before /tmp/.harness/after | grep -E '^[<>]' | sed 's/^</-/; s/^>/+/'
            true
            """
        let result = Namespace.run(script)
        let parts = result.standardOutput.components(separatedBy: "#### ")
        guard parts.count == 4, let status = Int32(parts[0].trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw GoldenFailure("\(file): the namespace run failed: \(result.standardOutput) \(result.standardError)")
        }
        func body(_ part: String, _ header: String) -> String {
            clean(String(part.dropFirst(header.count + 1)))
        }
        let changes = body(parts[3], "changes").split(separator: "\n").map(String.init)
        return Outcome(status: status, stdout: body(parts[1], "out"), stderr: body(parts[2], "err"), changes: changes)
    }

    static func clean(_ text: String) -> String {
        text.replacingOccurrences(of: "/tmp/scratch", with: "$TMP")
            .replacingOccurrences(of: folder.path + "/", with: "")
            .replacingOccurrences(of: Namespace.repositoryRoot.path, with: "$ROOT")
    }
}

struct GoldenFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A hostile case's `.expected` (see HostileInputTests).
struct HostileExpected {
    var environment: [(key: String, value: String)] = []
    var arguments: [String] = []
    var status: Int32 = 0
    var stdout = ""
    var stderr = ""
    var changes: [String] = []
    var setup: [String] = []

    static let sectionNames = ["env", "args", "setup", "status", "stdout", "stderr", "changes"]
    static let noNewline = "\\ no newline at end"

    init(parsing text: String, name: String) throws {
        let sections = try ExpectedSections.parse(text, names: Self.sectionNames, file: "\(name).expected")
        func sectionText(_ section: String) -> String {
            guard var lines = sections[section], !lines.isEmpty else { return "" }
            if lines.last == Self.noNewline {
                lines.removeLast()
                return lines.joined(separator: "\n")
            }
            return lines.joined(separator: "\n") + "\n"
        }
        guard let status = Int32(sectionText("status").trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw GoldenFailure("\(name).expected has no '-- status'")
        }
        self.status = status
        self.stdout = sectionText("stdout")
        self.stderr = sectionText("stderr")
        self.arguments = sections["args"] ?? []
        self.changes = sections["changes"] ?? []
        self.setup = sections["setup"] ?? []
        for line in sections["env"] ?? [] {
            guard let equals = line.firstIndex(of: "=") else { throw GoldenFailure("\(name).expected: env line without '='") }
            environment.append((String(line[..<equals]), String(line[line.index(after: equals)...])))
        }
    }

    /// A value as written in the file (with its escapes) as one bash word: $'…'
    /// reads exactly the escapes the format promises.
    static func bashWord(_ written: String) -> String {
        "$'" + written.replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    var serialized: String {
        func section(_ name: String, _ text: String) -> String {
            var out = "-- \(name)\n" + text
            if !text.isEmpty && !text.hasSuffix("\n") { out += "\n" + Self.noNewline + "\n" }
            return out
        }
        var out = ""
        if !environment.isEmpty { out += section("env", environment.map { "\($0.key)=\($0.value)\n" }.joined()) }
        if !arguments.isEmpty { out += section("args", arguments.joined(separator: "\n") + "\n") }
        if !setup.isEmpty { out += section("setup", setup.joined(separator: "\n") + "\n") }
        out += section("status", "\(status)\n")
        out += section("stdout", stdout)
        out += section("stderr", stderr)
        if !changes.isEmpty { out += section("changes", changes.joined(separator: "\n") + "\n") }
        return out
    }
}
