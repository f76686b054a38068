import Foundation
import XCTest

/// examples/k8s-node-firewall: Kubernetes' config-ip-firewall in bash and its
/// wds port, each run in a fresh namespace prepared the same way, must leave
/// the same kernel state — iptables-save, the addresses of lo, the sysctl —
/// for every branch the script has. (iptables-save prints a rule's `-m`
/// modules in the order they were given, and the original gives `-m comment`
/// first where wds writes it last: the rules are compared with their module
/// segments sorted, as `rule exists` compares them.)
final class PortingExampleTests: XCTestCase {
    static var example: URL { Namespace.repositoryRoot.appendingPathComponent("examples/k8s-node-firewall") }

    struct Case {
        var setup: String
        var environment: String
    }

    static let cases = [
        // GCI's host firewall (DROP policies), an old nat chain to flush, masquerade and concealment on.
        Case(setup: "iptables -P INPUT DROP; iptables -P FORWARD DROP; iptables -t nat -N OLD; iptables -t nat -A POSTROUTING -j OLD",
             environment: "NON_MASQUERADE_CIDR=0.0.0.0/0 ENABLE_METADATA_CONCEALMENT=true METADATA_SERVER_IP=169.254.169.254"),
        // A host with nothing set: ACCEPT policies, no nat table (the flush must not create it).
        Case(setup: "true", environment: ""),
        // Concealment without its firewall, another non-masquerade range, only FORWARD dropping.
        Case(setup: "iptables -P FORWARD DROP",
             environment: "NON_MASQUERADE_CIDR=10.0.0.0/8 ENABLE_METADATA_CONCEALMENT=true METADATA_CONCEALMENT_NO_FIREWALL=true"),
    ]

    /// A rule line with its `-m NAME …` segments sorted; other lines as they are.
    static func normalized(_ line: Substring) -> String {
        guard line.hasPrefix("-A "), let target = line.range(of: " -j ") ?? line.range(of: " -g ") else { return String(line) }
        var parts = line[..<target.lowerBound].components(separatedBy: " -m ")
        let head = parts.removeFirst()
        return ([head] + parts.sorted()).joined(separator: " -m ") + line[target.lowerBound...]
    }

    func state(_ command: String, _ item: Case) -> (String, String) {
        let result = Namespace.run("""
            ip link add eth0 type veth peer name eth0p
            \(item.setup)
            cd \(Namespace.shellQuote(Self.example.path))
            env \(item.environment) \(command) > /dev/null; echo "status=$?"
            iptables-save | grep -v '^#' | sed -E '/^:/ s/\\[[0-9]+:[0-9]+\\]$/[0:0]/'
            ip -4 -o addr show dev lo | awk '{print $4}'
            sysctl -n net.ipv4.conf.all.route_localnet
            """, uplink: nil)
        return (result.standardOutput.split(separator: "\n").map(Self.normalized).joined(separator: "\n"), result.standardError)
    }

    func testThePortLeavesWhatTheOriginalLeaves() throws {
        try Namespace.requireNamespaces()
        for item in Self.cases {
            let (original, originalErrors) = state("bash ./config-ip-firewall.sh", item)
            let (port, portErrors) = state("\"$WDS\" run ./config-ip-firewall.wds", item)
            XCTAssertTrue(original.hasPrefix("status=0\n"), original + originalErrors)
            XCTAssertEqual(port, original, "\(item.environment)\n" + portErrors)
        }
    }

    /// The measure of a port: `run` only for programs that are programs. The one this
    /// script had, `ip addr add`, is the network family's `address add` now: none is left.
    func testThePortRunsNoProgramForRulesFilesOrText() throws {
        let text = try String(contentsOf: Self.example.appendingPathComponent("config-ip-firewall.wds"), encoding: .utf8)
        let runs = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("run ") }
        XCTAssertEqual(runs, [])
        XCTAssertTrue(text.contains("address add lo 169.254.169.252/32"), "the address is added by the network family")
        let checked = Namespace.run([Namespace.wdsBinary, "check", Self.example.appendingPathComponent("config-ip-firewall.wds").path])
        XCTAssertEqual(checked.status, 0, checked.standardError)
    }
}
