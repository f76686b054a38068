import Foundation
import XCTest

/// The trace's other forms: JSON lines, and a trace made elsewhere from a
/// state file recorded on the host.
final class TraceFormatsTests: XCTestCase {
    static let scripts = Namespace.repositoryRoot.appendingPathComponent("scripts").path
    static let environment = "export POOL_NETWORK=10.254.0.0/22 ALLOW_NETWORKS='10.0.0.0/8' DENY_NETWORKS=0.0.0.0/0"

    /// Recorded in a namespace with the reference uplink, replayed outside it: the same trace.
    func testATraceFromAStateFileEqualsTheTraceOnTheHost() throws {
        try Namespace.requireNamespaces()
        let directory = (try Namespace.temporaryScript("", name: "unused") as NSString).deletingLastPathComponent
        let recorded = Namespace.run("""
            \(Self.environment)
            "$WDS" state -o \(directory)/host.state \(Self.scripts)/net.wds setup; echo "state=$?"
            "$WDS" trace \(Self.scripts)/net.wds setup > \(directory)/on-host.trace
            """)
        XCTAssertEqual(recorded.standardOutput, "state=0\n", recorded.standardError)
        // Outside the namespace: this machine's own uplink is not the reference one, so every answer must come from the file.
        let replayed = Namespace.run(["env", "POOL_NETWORK=10.254.0.0/22", "ALLOW_NETWORKS=10.0.0.0/8", "DENY_NETWORKS=0.0.0.0/0",
                                      Namespace.wdsBinary, "trace", "--state", directory + "/host.state", Self.scripts + "/net.wds", "setup"])
        XCTAssertEqual(replayed.status, 0, replayed.standardError)
        let onHost = try String(contentsOfFile: directory + "/on-host.trace", encoding: .utf8)
        XCTAssertEqual(replayed.standardOutput, onHost)
        XCTAssertTrue(onHost.contains("--to-source 10.0.2.15"), onHost)

        // A probe the state file has no answer for is a failure, not a guess.
        let other = Namespace.run(["env", "DISK_QUOTA_ENABLED=false", Namespace.wdsBinary, "trace", "--state",
                                   directory + "/host.state", Self.scripts + "/setup.wds"])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.standardError.contains("has no answer for"), other.standardError)
    }

    func testJSONTraceHasOneObjectPerEffect() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            \(Self.environment)
            "$WDS" trace --format json \(Self.scripts)/net.wds setup
            """)
        let lines = result.standardOutput.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 10, result.standardError)
        var kinds: Set<String> = []
        for line in lines {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            XCTAssertNotNil(object["location"] as? String)
            XCTAssertNotNil(object["argv"] as? [String])
            XCTAssertNotNil(object["mutates"] as? Bool)
            XCTAssertNotNil(object["dependsOnProbe"] as? Bool)
            kinds.insert(object["kind"] as? String ?? "")
        }
        XCTAssertTrue(kinds.isSuperset(of: ["route", "iptables-staged", "sysctl"]) || kinds.contains("iptables"), "\(kinds)")
        let snat = try XCTUnwrap(lines.first { $0.contains("SNAT") })
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(snat.utf8)) as? [String: Any])
        XCTAssertEqual(object["mutates"] as? Bool, true)
        XCTAssertEqual(object["dependsOnProbe"] as? Bool, true)
        XCTAssertEqual((object["argv"] as? [String])?.suffix(4), ["-j", "SNAT", "--to-source", "10.0.2.15"])
    }
}
