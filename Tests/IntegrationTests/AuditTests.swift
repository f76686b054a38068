import Foundation
import XCTest

/// `wds plan`, `wds apply` and `wds verify` on the Warden port, in namespaces
/// with the reference uplink; and the trace's marks on probe-dependent lines.
final class AuditTests: XCTestCase {
    static let scripts = Namespace.repositoryRoot.appendingPathComponent("scripts").path
    static let environment = """
        export WDS_IPTABLES_LOCK=$(mktemp -d)/lock POOL_NETWORK=10.254.0.0/22 \
        ALLOW_NETWORKS='10.0.0.0/8 192.168.1.0/24' DENY_NETWORKS=0.0.0.0/0
        """

    func reference(_ file: String) throws -> String {
        try String(contentsOf: Namespace.referenceRoot.appendingPathComponent("c02-allow-deny/\(file)"), encoding: .utf8)
    }

    func testPlanOnAnEmptyHostListsEveryRuleOfTheReferenceAndChangesNothing() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            \(Self.environment)
            "$WDS" plan \(Self.scripts)/net.wds setup; echo "status=$?"
            echo "after: $(iptables-save | grep -c warden) $(cat /proc/sys/net/ipv4/ip_forward)"
            """)
        let output = result.standardOutput
        let expectedRules = try reference("expected.rules").split(separator: "\n").filter { $0.hasPrefix("-A ") }
        let plannedRules = output.split(separator: "\n").filter { $0.hasPrefix("  + -A ") }.map { $0.dropFirst(4) }
        XCTAssertEqual(Set(plannedRules.map(String.init)), Set(expectedRules.map(String.init)), output + result.standardError)
        XCTAssertEqual(plannedRules.count, expectedRules.count)
        XCTAssertTrue(output.contains("iptables IPv4 filter, chain warden-forward:\n  + new chain warden-forward\n  + -A warden-forward -i eth0 -j ACCEPT\n  + -A warden-forward -j DROP\n"), output)
        XCTAssertTrue(output.contains("sysctls:\n  ~ net.ipv4.ip_forward: 0 -> 1\n"), output)
        XCTAssertTrue(output.hasSuffix("status=10\nafter: 0 0\n"), output)
    }

    func testPlanOnAHostAlreadySetUpSaysNoChanges() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            \(Self.environment)
            "$WDS" run \(Self.scripts)/net.wds setup
            "$WDS" plan \(Self.scripts)/net.wds setup; echo "status=$?"
            """)
        XCTAssertEqual(result.standardOutput, "no changes: the host already is what net.wds would make it\nstatus=0\n", result.standardError)
    }

    func testASavedPlanAppliesExactlyAndIsRefusedOnceTheHostChanged() throws {
        try Namespace.requireNamespaces()
        let applied = Namespace.run("""
            \(Self.environment)
            D=$(mktemp -d)
            "$WDS" plan --out $D/plan.json \(Self.scripts)/net.wds setup > $D/out; echo "plan=$?"
            # iptables-save's "# Generated … on DATE" line changes by the second: not a change of the host.
            sleep 1.2
            "$WDS" apply --expect $(sed -n 's/^plan digest: //p' $D/out) $D/plan.json; echo "apply=$?"
            \(Namespace.normalizedRulesCommand)
            """)
        XCTAssertEqual(applied.standardOutput, "plan=10\napply=0\n" + (try reference("expected.rules")), applied.standardError)

        let refused = Namespace.run("""
            \(Self.environment)
            D=$(mktemp -d)
            "$WDS" run \(Self.scripts)/net.wds setup
            "$WDS" plan --out $D/plan.json \(Self.scripts)/net.wds teardown > /dev/null; echo "plan=$?"
            iptables -A warden-default -d 172.16.0.0/12 -j RETURN
            \(Namespace.normalizedRulesCommand) > $D/before
            "$WDS" apply --trust-plan $D/plan.json; echo "apply=$?"
            \(Namespace.normalizedRulesCommand) | cmp - $D/before && echo unchanged
            """)
        XCTAssertEqual(refused.standardOutput, "plan=10\napply=1\nunchanged\n", refused.standardError)
        XCTAssertTrue(refused.standardError.contains("error: the host has changed since the plan was made: `iptables-save -t filter`"),
                      refused.standardError)
        XCTAssertTrue(refused.standardError.contains("hint: nothing was applied"), refused.standardError)
    }

    func testVerifyReportsADeletedRuleAndFixPutsBackExactlyThatRule() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            \(Self.environment)
            "$WDS" run \(Self.scripts)/net.wds setup
            iptables -D warden-default -d 10.0.0.0/8 -j RETURN
            iptables -A warden-forward -s 198.51.100.0/24 -j ACCEPT
            "$WDS" verify \(Self.scripts)/net.wds setup; echo "verify=$?"
            "$WDS" verify --fix \(Self.scripts)/net.wds setup > /dev/null; echo "fix=$?"
            iptables-save -t filter | grep -E '^-A warden-(default|forward)'
            """)
        XCTAssertEqual(result.standardOutput, """
            missing:
              iptables IPv4 filter, chain warden-default: -A warden-default -d 10.0.0.0/8 -j RETURN
            extra:
              iptables IPv4 filter, chain warden-forward: -A warden-forward -s 198.51.100.0/24 -j ACCEPT
            verify=10
            fix=0
            -A warden-default -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            -A warden-default -d 10.0.0.0/8 -j RETURN
            -A warden-default -d 192.168.1.0/24 -j RETURN
            -A warden-default -j DROP
            -A warden-forward -i eth0 -j ACCEPT
            -A warden-forward -j DROP
            -A warden-forward -s 198.51.100.0/24 -j ACCEPT

            """, result.standardError)
    }

    /// Probes are comments; mutations whose presence or values came from a probe say so.
    func testTheTraceMarksMutationsThatDependOnAProbe() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            \(Self.environment)
            "$WDS" trace \(Self.scripts)/net.wds setup | grep -v '^#' | sed 's/.*  # //; s|.*/||'
            """)
        XCTAssertEqual(result.standardOutput, """
            net.wds:42, after a probe
            net.wds:45, after a probe
            net.wds:46
            net.wds:48, after a probe
            net.wds:49
            net.wds:51
            net.wds:51
            net.wds:54
            net.wds:57
            net.wds:69, after a probe
            net.wds:70, after a probe
            net.wds:72, after a probe
            net.wds:74, after a probe
            net.wds:75, after a probe
            net.wds:76, after a probe
            net.wds:99

            """, result.standardError)
    }
}

/// What a plan cannot simulate it still shows, and apply checks it is unchanged.
final class AuditProgramTests: XCTestCase {
    /// A child script is planned with its parent, in the same simulation: the plan holds its
    /// effects, and apply performs those, not whatever the child's file says by then.
    func testPlanShowsProgramsAndPlansChildScriptsInline() throws {
        try Namespace.requireNamespaces()
        let parent = try Namespace.temporaryScript("""
            run-script "$script_dir/child.wds" hello
            run true --flag
            """, name: "parent.wds")
        let directory = (parent as NSString).deletingLastPathComponent
        try "echo \"child says $1\"\nwrite-file \"$script_dir/out\" \"$1\"\n".write(toFile: directory + "/child.wds", atomically: true, encoding: .utf8)
        let result = Namespace.run("""
            cd \(Namespace.shellQuote(directory))
            rm -f out
            "$WDS" plan --out plan.json parent.wds | grep -v '^plan digest: '; echo "plan=${PIPESTATUS[0]}"
            "$WDS" apply --trust-plan plan.json; echo "apply=$?"
            cat out; echo
            rm out
            echo 'write-file "$script_dir/out" edited' > child.wds
            "$WDS" apply --trust-plan plan.json; echo "apply=$?"
            ls out 2>/dev/null
            """)
        XCTAssertEqual(result.standardOutput, """
            files:
              + \(directory)/out (5 bytes)
            programs (not simulated: what they change is not shown):
              ~ true --flag  # parent.wds:2
            2 change(s) in 2 area(s)
            plan=10
            child says hello
            apply=0
            hello
            apply=1

            """, result.standardError)
        // The child's file is pinned by the plan: edited, the plan is refused.
        XCTAssertTrue(result.standardError.contains("\(directory)/child.wds has changed since the plan was made"), result.standardError)
    }
}
