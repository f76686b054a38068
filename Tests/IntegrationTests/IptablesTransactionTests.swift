import Foundation
import XCTest

/// The iptables transaction: a run's changes reach the kernel as one
/// all-or-nothing commit, questions see the pending changes, `--no-batch`
/// ends in the same state, and `trace --format restore` prints the commit.
final class IptablesTransactionTests: XCTestCase {
    typealias Steps = IptablesIntegrationTests

    /// The kernel refuses a line in nat after filter's block went in: filter is
    /// rolled back, so the ruleset is byte for byte what it was before the run.
    func testRejectedCommitLeavesTheRulesetUnchanged() throws {
        try Namespace.requireNamespaces()
        let setup = try Namespace.temporaryScript(Steps.wardenSetup + Steps.wardenContainers, name: "setup.wds")
        let refused = try Namespace.temporaryScript("""
            chain prune warden-instance-
            chain create extra
            rule append warden-forward --in eth1 --jump ACCEPT
            rule insert FORWARD 1 --jump extra
            chain flush warden-default
            chain create extra --table nat
            # The model cannot know this one: MASQUERADE reached from PREROUTING, refused by the kernel at the commit.
            chain create masq --table nat
            rule append masq --table nat --jump MASQUERADE
            rule append PREROUTING --table nat --jump masq
            echo staged

            """, name: "refused.wds")
        let result = Namespace.run("""
            cd "$(mktemp -d)"
            "$WDS" run \(Namespace.shellQuote(setup)) || echo "setup status=$?"
            \(Namespace.normalizedRulesCommand) > before.rules
            "$WDS" run \(Namespace.shellQuote(refused)); echo "status=$?"
            \(Namespace.normalizedRulesCommand) > after.rules
            cmp before.rules after.rules && echo unchanged
            grep -c warden-instance before.rules
            """)
        XCTAssertEqual(result.standardOutput, "staged\nstatus=5\nunchanged\n13\n", result.standardError)
        XCTAssertTrue(result.standardError.contains("refused.wds:10:1: error: iptables refused `-A PREROUTING -j masq` in table 'nat'"),
                      result.standardError)
        XCTAssertTrue(result.standardError.contains("RULE_APPEND failed (Invalid argument)"), result.standardError)
        XCTAssertTrue(result.standardError.contains("hint: no change of this iptables batch was applied"), result.standardError)
    }

    /// The c05 sequence (setup, two containers, their ports, then the prune),
    /// batched and per command, ends in the same state at each step.
    func testNoBatchGivesTheSameStateAsBatch() throws {
        try Namespace.requireNamespaces()
        let prune = """
            chain prune warden-instance-
            chain prune warden-instance- --table nat

            """
        var outputs: [String] = []
        for flag in ["", "--no-batch"] {
            var lines: [String] = []
            for (index, text) in [Steps.wardenSetup, Steps.wardenContainers, prune, Steps.wardenSetup].enumerated() {
                let path = try Namespace.temporaryScript(text, name: "step\(index).wds")
                lines.append("\"$WDS\" run \(flag) \(Namespace.shellQuote(path)); echo \"step\(index) status=$?\"")
                lines.append(Namespace.normalizedRulesCommand)
            }
            let result = Namespace.run(lines.joined(separator: "\n"))
            XCTAssertFalse(result.standardOutput.contains("status=") && !result.standardOutput.contains("status=0"), result.standardError)
            outputs.append(result.standardOutput)
        }
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertTrue(outputs[0].contains(try Steps.reference("c05-prune-containers/intermediate.rules")), outputs[0])
    }

    /// Questions are answered from the model, pending changes included, before anything is committed.
    func testQueriesSeePendingChanges() throws {
        try Namespace.requireNamespaces()
        let script = """
            chain create pending
            rule append pending --source 10.0.0.0/8 --jump ACCEPT
            rule insert pending 1 --protocol tcp --dport 22 --jump DROP
            echo $(chain exists pending) $(rule exists pending --source 10.0.0.0/8 --jump ACCEPT)
            for r in $(chain list pending) { echo $r.number $r.args }
            echo $(chain names)
            echo kernel: $(run --probe sh -c "iptables-save -t filter | grep -c pending || true")
            rule delete pending --source 10.0.0.0/8 --jump ACCEPT
            echo $(rule exists pending --source 10.0.0.0/8 --jump ACCEPT) $(rule exists pending --protocol tcp --dport 22 --jump DROP)
            iptables commit
            echo kernel: $(run --probe sh -c "iptables -S pending | tr '\\n' ';'")

            """
        let result = try Steps.runScripts([script], after: "true")
        XCTAssertEqual(result.standardOutput, """
            true true
            1 -p tcp -m tcp --dport 22 -j DROP
            2 -s 10.0.0.0/8 -j ACCEPT
            [INPUT FORWARD OUTPUT pending]
            kernel: 3
            false true
            kernel: -N pending;-A pending -p tcp -m tcp --dport 22 -j DROP;

            """, result.standardError)
    }

    /// `trace --format restore` prints the exact payload: replayed by bash it builds what `run` builds.
    /// The commit is marked "after a probe": some of its lines were made from the host's answers (the uplink).
    func testTraceFormatRestorePrintsTheCommit() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript(Steps.wardenSetup + Steps.wardenContainers)
        let directory = (script as NSString).deletingLastPathComponent
        let trace = Namespace.run("\"$WDS\" trace --format restore \(Namespace.shellQuote(script)) > \(directory)/trace.txt; echo status=$?")
        XCTAssertEqual(trace.standardOutput, "status=0\n", trace.standardError)
        let text = try String(contentsOfFile: directory + "/trace.txt", encoding: .utf8)
        XCTAssertTrue(text.contains("""
            iptables-restore --noflush <<'WDS_RESTORE'  # \(script):27, after a probe
            *filter
            -N warden-forward
            -N warden-default
            -A FORWARD -i w-+ -j warden-forward
            -A warden-default -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            """), text)
        XCTAssertTrue(text.contains("# iptables -w -t filter -I warden-forward 2 -i w-abc-0 -g warden-instance-abc  # \(script):20\n"), text)
        XCTAssertEqual(text.components(separatedBy: "<<'WDS_RESTORE'").count, 2, text)

        let replayed = Namespace.run("set -e\n. \(Namespace.shellQuote(directory + "/trace.txt"))\n" + Namespace.normalizedRulesCommand)
        let ran = Namespace.run("\"$WDS\" run \(Namespace.shellQuote(script))\n" + Namespace.normalizedRulesCommand)
        XCTAssertEqual(replayed.status, 0, replayed.standardError)
        XCTAssertEqual(replayed.standardOutput, ran.standardOutput)
        XCTAssertEqual(ran.standardOutput, try Steps.reference("c05-prune-containers/intermediate.rules"))
    }
}
