import Foundation
import Interpreter
import XCTest

/// The route family against the fake uplink of a namespace (eth0, and the
/// ens3 of reference case c07), and in a namespace without a default route.
final class RouteIntegrationTests: XCTestCase {
    static let script = """
        let r = $(route default)
        echo "default ${r.dev} ${r.gateway} ${r.src}"
        echo "interface $(route default-interface)"
        let gateway = $(route get ${r.gateway})
        echo "gateway ${gateway.dev} ${gateway.src} via=${gateway.via}"
        let far = $(route get 1.2.3.4)
        echo "far ${far.dev} ${far.src} via=${far.via}"
        """

    func run(_ uplink: Namespace.Uplink?, _ script: String, extra: String = "") throws -> (Namespace.Result, trace: String) {
        let path = try Namespace.temporaryScript(script, name: "route.wds")
        let directory = (path as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = Namespace.run("""
            \(extra)
            "$WDS" trace \(Namespace.shellQuote(path)) > \(directory)/trace.txt 2>&1
            "$WDS" run \(Namespace.shellQuote(path)); echo "status=$?"
            """, uplink: uplink)
        return (result, (try? String(contentsOfFile: directory + "/trace.txt", encoding: .utf8)) ?? "")
    }

    func testDefaultRouteAndLookupsOnTheEth0Uplink() throws {
        try Namespace.requireNamespaces()
        let (result, trace) = try run(Namespace.Uplink(), Self.script)
        XCTAssertEqual(result.standardOutput, """
            default eth0 10.0.2.2 10.0.2.15
            interface eth0
            gateway eth0 10.0.2.15 via=
            far eth0 10.0.2.15 via=10.0.2.2
            status=0

            """, result.standardError)
        // Probes only, in the order the run asks them.
        let commands = HostTrace.commands(trace)
        XCTAssertEqual(commands.mutations, [], trace)
        XCTAssertEqual(commands.probes, [
            "ip -j route show default", "ip -j route get 8.8.8.8", "ip -j route show default",
            "ip -j route get 10.0.2.2", "ip -j route get 1.2.3.4",
        ], trace)
    }

    func testDefaultRouteOnTheEns3UplinkOfC07() throws {
        try Namespace.requireNamespaces()
        let uplink = Namespace.Uplink(name: "ens3", address: "172.31.5.9/20", gateway: "172.31.0.1")
        let (result, _) = try run(uplink, Self.script)
        XCTAssertEqual(result.standardOutput, """
            default ens3 172.31.0.1 172.31.5.9
            interface ens3
            gateway ens3 172.31.5.9 via=
            far ens3 172.31.5.9 via=172.31.0.1
            status=0

            """, result.standardError)
    }

    func testIPv6DefaultRoute() throws {
        try Namespace.requireNamespaces()
        let (result, trace) = try run(Namespace.Uplink(), """
            let r = $(route default --ipv6)
            echo "${r.dev} ${r.gateway} ${r.src}"
            let g = $(route get fd00::99)
            echo "${g.dev} ${g.src}"
            """, extra: """
            ip -6 addr add fd00::15/64 dev eth0 nodad
            ip -6 route add default via fd00::1 dev eth0
            """)
        XCTAssertEqual(result.standardOutput, "eth0 fd00::1 fd00::15\neth0 fd00::15\nstatus=0\n", result.standardError)
        XCTAssertEqual(HostTrace.commands(trace).probes,
                       ["ip -6 -j route show default", "ip -6 -j route get 2001:4860:4860::8888", "ip -6 -j route get fd00::99"], trace)
    }

    func testNoDefaultRouteIsAFailureWithADiagnostic() throws {
        try Namespace.requireNamespaces()
        let (result, trace) = try run(nil, """
            echo "before"
            if ! route default-interface { echo "no uplink, as a condition" }
            let r = $(route default)
            echo "not reached"
            """)
        XCTAssertEqual(result.standardOutput, "before\nno uplink, as a condition\nstatus=1\n")
        XCTAssertTrue(result.standardError.contains("route.wds:3:"), result.standardError)
        XCTAssertTrue(result.standardError.contains("error: no default route"), result.standardError)
        XCTAssertTrue(result.standardError.contains("hint: add one"), result.standardError)
        XCTAssertTrue(trace.contains("error: no default route"), "the trace fails the same way: \(trace)")
        XCTAssertEqual(HostTrace.commands(trace).probes, ["ip -j route show default", "ip -j route show default"], trace)
    }

    func testUnreachableAddressFails() throws {
        try Namespace.requireNamespaces()
        let (result, _) = try run(nil, "route get 10.9.9.9")
        XCTAssertEqual(result.standardOutput, "status=1\n")
        XCTAssertTrue(result.standardError.contains("route.wds:1:1: error: no route to 10.9.9.9"), result.standardError)
    }
}
