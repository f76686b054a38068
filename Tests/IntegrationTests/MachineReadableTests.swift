import Foundation
import XCTest

/// `--format json` of plan, verify and check, `--format sarif` of check, and
/// the plan's coloured lines: what CI and editors read, run through the built binary.
final class MachineReadableTests: XCTestCase {
    func object(_ text: String, _ context: String = "") throws -> [String: Any] {
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(json as? [String: Any], context + text)
    }

    func testCheckPrintsItsDiagnosticsAsJSONAndAsSARIF() throws {
        let script = try Namespace.temporaryScript("echo ok\nrule append FORWARD --jump DROPP\nif {\n")
        let json = Namespace.run([Namespace.wdsBinary, "check", "--format", "json", script])
        XCTAssertEqual(json.status, 2)
        XCTAssertEqual(json.standardError, "")
        let document = try object(json.standardOutput)
        let diagnostics = try XCTUnwrap(document["diagnostics"] as? [[String: Any]])
        XCTAssertFalse(diagnostics.isEmpty, json.standardOutput)
        XCTAssertEqual(document["errors"] as? Int, diagnostics.count)
        let first = diagnostics[0]
        XCTAssertEqual(first["file"] as? String, script)
        XCTAssertEqual(first["severity"] as? String, "error")
        XCTAssertNotNil(first["message"] as? String)
        XCTAssertNotNil(first["line"] as? Int)
        XCTAssertGreaterThan(try XCTUnwrap(first["endColumn"] as? Int), try XCTUnwrap(first["column"] as? Int))

        let sarif = Namespace.run([Namespace.wdsBinary, "check", "--format", "sarif", script])
        XCTAssertEqual(sarif.status, 2)
        let log = try object(sarif.standardOutput)
        XCTAssertEqual(log["version"] as? String, "2.1.0")
        let run = try XCTUnwrap((log["runs"] as? [[String: Any]])?.first)
        let driver = try XCTUnwrap((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        XCTAssertEqual(driver["name"] as? String, "wds")
        let results = try XCTUnwrap(run["results"] as? [[String: Any]])
        XCTAssertEqual(results.count, diagnostics.count)
        let result = results[0]
        XCTAssertEqual(result["ruleId"] as? String, "wds/check")
        XCTAssertEqual(result["level"] as? String, "error")
        XCTAssertTrue(((result["message"] as? [String: Any])?["text"] as? String ?? "").hasPrefix(first["message"] as! String))
        let location = try XCTUnwrap((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        XCTAssertEqual((location["artifactLocation"] as? [String: Any])?["uri"] as? String, "file://" + script)
        let region = try XCTUnwrap(location["region"] as? [String: Any])
        XCTAssertEqual(region["startLine"] as? Int, first["line"] as? Int)
        XCTAssertEqual(region["startColumn"] as? Int, first["column"] as? Int)
        XCTAssertEqual(region["endColumn"] as? Int, first["endColumn"] as? Int)

        let clean = try Namespace.temporaryScript("echo ok\n")
        let passed = Namespace.run([Namespace.wdsBinary, "check", "--format", "sarif", clean])
        XCTAssertEqual(passed.status, 0, passed.standardError)
        let empty = try XCTUnwrap((try object(passed.standardOutput)["runs"] as? [[String: Any]])?.first?["results"] as? [Any])
        XCTAssertTrue(empty.isEmpty)
        let refused = Namespace.run([Namespace.wdsBinary, "plan", "--format", "sarif", clean])
        XCTAssertEqual(refused.status, 2, refused.standardError)
        XCTAssertTrue(refused.standardError.contains("--format must be text or json"), refused.standardError)
    }

    static let script = """
        write-file "$1/motd" "hello\\n"
        sysctl set net.ipv4.ip_forward 1

        """

    func testPlanAsJSONHasItsLinesCountsAndDigestAndItsTextIsColouredOnlyWhenAsked() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript(Self.script)
        let result = Namespace.run("""
            D=$(mktemp -d)
            "$WDS" plan --format json \(script) $D; echo "status=$?"
            "$WDS" plan --format json --out $D/plan.json \(script) $D
            "$WDS" plan --color always \(script) $D
            "$WDS" plan \(script) $D | grep -c $'\\e' || true
            """)
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        XCTAssertGreaterThanOrEqual(lines.count, 4, result.standardOutput + result.standardError)
        XCTAssertEqual(lines[1], "status=10")
        let plan = try object(lines[0])
        let changes = try XCTUnwrap(plan["changes"] as? [[String: String]])
        XCTAssertTrue(changes.contains(["area": "sysctls", "sign": "~", "text": "net.ipv4.ip_forward: 0 -> 1"]), lines[0])
        XCTAssertTrue(changes.contains { $0["sign"] == "+" && ($0["text"] ?? "").contains("motd") }, lines[0])
        let counts = try XCTUnwrap(plan["counts"] as? [String: Int])
        XCTAssertEqual(counts["changes"], changes.count)
        XCTAssertEqual(counts["change"], 1)
        XCTAssertNil(plan["digest"])
        let saved = try object(lines[2])
        XCTAssertTrue((saved["digest"] as? String ?? "").hasPrefix("sha256:"), lines[2])
        XCTAssertTrue(result.standardOutput.contains("  \u{1B}[33m~ net.ipv4.ip_forward: 0 -> 1\u{1B}[0m\n"), result.standardOutput)
        XCTAssertTrue(result.standardOutput.contains("\u{1B}[32m+ "), result.standardOutput)
        XCTAssertEqual(lines.last, "0", "plan into a pipe is not coloured")
    }

    func testVerifyAsJSONListsWhatIsMissingAndWhatFixPutBack() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript(Self.script)
        let result = Namespace.run("""
            D=$(mktemp -d)
            "$WDS" run \(script) $D
            "$WDS" verify --format json \(script) $D; echo "status=$?"
            rm $D/motd
            "$WDS" verify --format json \(script) $D; echo "status=$?"
            "$WDS" verify --fix --format json \(script) $D; echo "status=$?"
            cat $D/motd
            """)
        let lines = result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.count, 8, result.standardOutput + result.standardError)
        let clean = try object(lines[0])
        XCTAssertEqual(clean["drift"] as? Bool, false)
        XCTAssertEqual(lines[1], "status=0")
        let drift = try object(lines[2])
        XCTAssertEqual(drift["drift"] as? Bool, true)
        let missing = try XCTUnwrap(drift["missing"] as? [[String: String]])
        XCTAssertEqual(missing.count, 1, lines[2])
        XCTAssertTrue(missing[0]["text"]?.contains("motd") ?? false, lines[2])
        XCTAssertEqual((drift["counts"] as? [String: Int])?["missing"], 1)
        XCTAssertEqual((drift["counts"] as? [String: Int])?["fixed"], 0)
        XCTAssertEqual(lines[3], "status=10")
        let fixed = try object(lines[4])
        XCTAssertEqual((fixed["counts"] as? [String: Int])?["fixed"], 1, lines[4])
        XCTAssertEqual(lines[5], "status=0")
        XCTAssertEqual(lines[6], "hello")
    }
}
