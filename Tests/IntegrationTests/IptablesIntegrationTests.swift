import Foundation
import XCTest

/// The iptables builtins run for real, each test in a fresh network namespace,
/// and judged by what `iptables-save` prints afterwards — byte for byte against
/// the Warden reference where there is one.
final class IptablesIntegrationTests: XCTestCase {
    /// Warden's root `net.sh setup` with the c02 inputs, written the wds way.
    static let wardenSetup = """
        let uplink = "eth0"
        chain ensure warden-forward
        chain ensure warden-default
        rule ensure FORWARD --in w-+ --jump warden-forward
        rule ensure warden-default --ctstate ESTABLISHED,RELATED --jump ACCEPT
        for net in [10.0.0.0/8 192.168.1.0/24] {
          rule ensure warden-default --destination $net --jump RETURN
        }
        rule ensure warden-default --destination 0.0.0.0/0 --jump DROP
        rule ensure warden-forward --in $uplink --jump ACCEPT
        rule ensure warden-forward --jump DROP
        chain ensure warden-prerouting --table nat
        chain ensure warden-postrouting --table nat
        rule ensure PREROUTING --table nat --jump warden-prerouting
        rule ensure OUTPUT --table nat --out lo --jump warden-prerouting
        rule ensure POSTROUTING --table nat --jump warden-postrouting
        rule ensure warden-postrouting --table nat --source 10.254.0.0/22 --jump SNAT --to-source 10.0.2.15

        """

    /// The per-container chains of the c05 case (containers abc and def, then
    /// abc's `in` and two `out`s), as Warden's skeleton net.sh laid them out.
    static let wardenContainers = """
        for id in [abc def] {
          chain create "warden-instance-$id"
          rule insert warden-forward 2 --in "w-$id-0" --goto "warden-instance-$id"
          rule append "warden-instance-$id" --goto warden-default
          chain create "warden-instance-$id" --table nat
          rule append warden-prerouting --table nat --jump "warden-instance-$id"
        }
        rule append warden-instance-abc --table nat --protocol tcp --dport 61001 --jump DNAT --to-destination 10.254.0.2:8080
        rule insert warden-instance-abc 1 --destination 1.2.3.0/24 --jump RETURN
        rule insert warden-instance-abc 1 --destination 1.2.3.0/24 --protocol tcp --dport 80 --jump RETURN

        """

    static func reference(_ path: String) throws -> String {
        try String(contentsOf: Namespace.referenceRoot.appendingPathComponent(path), encoding: .utf8)
    }

    /// Runs each script with `wds run`, in order, in one namespace; then prints the normalized ruleset.
    static func runScripts(_ scripts: [String], after: String = Namespace.normalizedRulesCommand) throws -> Namespace.Result {
        var lines: [String] = []
        for (index, text) in scripts.enumerated() {
            let path = try Namespace.temporaryScript(text, name: "step\(index + 1).wds")
            lines.append("\"$WDS\" run \(Namespace.shellQuote(path)) || echo \"step\(index + 1) status=$?\"")
        }
        lines.append(after)
        return Namespace.run(lines.joined(separator: "\n"))
    }

    func testWardenSetupLeavesTheReferenceRulesetOfC02() throws {
        try Namespace.requireNamespaces()
        let result = try Self.runScripts([Self.wardenSetup])
        XCTAssertEqual(result.standardOutput, try Self.reference("c02-allow-deny/expected.rules"), result.standardError)
    }

    func testEnsureTwiceLeavesWhatOnceLeaves() throws {
        try Namespace.requireNamespaces()
        let extra = """
            chain ensure probe
            rule ensure probe --protocol tcp ! --syn --dport 22 --ctstate established,related,new --comment "ssh, kept" --jump ACCEPT
            rule ensure probe --protocol udp --sport 0:65535 --jump RETURN
            rule ensure probe --source 10.1.2.3/8 ! --destination 192.168.0.1 ! --in eth0 --jump DROP
            rule ensure probe --protocol icmp --jump REJECT
            rule ensure probe --jump LOG --log-prefix "wds: "
            rule ensure probe --position 1 --comment first
            chain ensure nat-probe --table nat
            rule ensure nat-probe --table nat --protocol tcp --dport 8000:8000 --jump DNAT --to-destination 10.254.0.2:80-80

            """
        let once = try Self.runScripts([Self.wardenSetup, extra])
        let twice = try Self.runScripts([Self.wardenSetup, extra, Self.wardenSetup, extra])
        XCTAssertEqual(twice.standardOutput, once.standardOutput, twice.standardError)
        XCTAssertTrue(once.standardOutput.contains("""
            -A probe -m comment --comment first
            -A probe -p tcp -m tcp --dport 22 ! --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW,RELATED,ESTABLISHED -m comment --comment "ssh, kept" -j ACCEPT
            -A probe -p udp -m udp -j RETURN
            -A probe -s 10.0.0.0/8 ! -d 192.168.0.1/32 ! -i eth0 -j DROP
            -A probe -p icmp -j REJECT --reject-with icmp-port-unreachable
            -A probe -j LOG --log-prefix "wds: "
            """), once.standardOutput)
        XCTAssertTrue(once.standardOutput.contains("-A nat-probe -p tcp -m tcp --dport 8000 -j DNAT --to-destination 10.254.0.2:80\n"),
                      once.standardOutput)
    }

    func testContainerChainsMatchC05AndPruneRestoresC02() throws {
        try Namespace.requireNamespaces()
        let intermediate = try Self.runScripts([Self.wardenSetup, Self.wardenContainers])
        XCTAssertEqual(intermediate.standardOutput, try Self.reference("c05-prune-containers/intermediate.rules"), intermediate.standardError)

        let prune = """
            echo filter: $(chain prune warden-instance-)
            echo nat: $(chain prune warden-instance- --table nat)
            echo again: $(chain prune warden-instance- --table nat)

            """
        let pruned = try Self.runScripts([Self.wardenSetup, Self.wardenContainers, prune])
        XCTAssertEqual(pruned.standardOutput, """
            filter: [warden-instance-abc warden-instance-def]
            nat: [warden-instance-abc warden-instance-def]
            again: []

            """ + (try Self.reference("c02-allow-deny/expected.rules")), pruned.standardError)
    }

    func testPruneMatchesWholeNamesNotPatterns() throws {
        try Namespace.requireNamespaces()
        let script = """
            chain create a.b-1
            chain create axb-1
            chain create keep
            rule append FORWARD --jump a.b-1
            rule append FORWARD --jump axb-1
            rule append keep --goto a.b-1
            rule append a.b-1 --jump axb-1
            echo $(chain prune a.b)
            echo $(chain prune --exact axb)
            echo $(chain prune --exact axb-1)

            """
        let result = try Self.runScripts([script], after: "iptables-save -t filter | grep -v '^#'")
        XCTAssertEqual(result.standardOutput, """
            [a.b-1]
            []
            [axb-1]
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :keep - [0:0]
            COMMIT

            """, result.standardError)
    }

    func testIPv6RulesGoToIp6tablesOnly() throws {
        try Namespace.requireNamespaces()
        let script = """
            chain ensure v6 --ipv6
            rule ensure v6 --ipv6 --source 2001:db8:0:0::1/64 --protocol tcp --dport 80 --jump ACCEPT
            rule ensure v6 --ipv6 --protocol icmpv6 --jump ACCEPT
            rule ensure v6 --ipv6 --jump REJECT
            rule ensure v6 --ipv6 --jump REJECT
            echo $(chain exists v6 --ipv6) $(chain exists v6)

            """
        let result = try Self.runScripts([script], after: "ip6tables-save -t filter | grep -v '^#'; iptables-save | grep -c . || true")
        XCTAssertEqual(result.standardOutput, """
            true false
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :v6 - [0:0]
            -A v6 -s 2001:db8::/64 -p tcp -m tcp --dport 80 -j ACCEPT
            -A v6 -p ipv6-icmp -j ACCEPT
            -A v6 -j REJECT --reject-with icmp6-port-unreachable
            COMMIT
            0

            """, result.standardError)
    }

    func testRuleIntoMissingChainFailsAtItsLine() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript("""
            chain ensure real
            rule append nowhere --jump ACCEPT
            echo not reached

            """)
        let typo = try Namespace.temporaryScript("""
            rule ensure FORWRD --in w-+ --jump ACCEPT

            """, name: "typo.wds")
        // Decided on the model when the statement runs, batched or not: the script stops there, and nothing is applied.
        for mode in ["run --no-batch", "run"] {
            let result = Namespace.run("""
                "$WDS" \(mode) \(Namespace.shellQuote(script)); echo "status=$?"
                "$WDS" \(mode) \(Namespace.shellQuote(typo)); echo "status=$?"
                iptables-save -t filter | grep -c real || true
                """)
            XCTAssertFalse(result.standardOutput.contains("not reached"), result.standardOutput)
            XCTAssertTrue(result.standardOutput.hasSuffix("status=5\nstatus=1\n0\n"), result.standardOutput)
            XCTAssertTrue(result.standardError.contains(
                "test.wds:2:1: error: unknown chain 'nowhere' in table 'filter' (iptables: No chain/target/match by that name)"),
                result.standardError)
            XCTAssertTrue(result.standardError.contains("typo.wds:1:1: error: unknown chain 'FORWRD' in table 'filter'"), result.standardError)
            XCTAssertTrue(result.standardError.contains("did you mean 'FORWARD'?"), result.standardError)
        }
        let batched = Namespace.run("\"$WDS\" run \(Namespace.shellQuote(typo))")
        XCTAssertTrue(batched.standardError.contains("typo.wds:1:1: error: unknown chain 'FORWRD' in table 'filter'"), batched.standardError)
    }

    func testBadArgumentsAreCaughtBeforeAnythingRuns() throws {
        try Namespace.requireNamespaces()
        let literal = try Namespace.temporaryScript("""
            chain create early
            rule append FORWARD --source 10.0.0.0/33 --jump ACCEPT

            """)
        // The rules between options hold on literal words at check time, whatever the values are.
        let combination = try Namespace.temporaryScript("""
            let port = "80"
            rule append FORWARD --dport $port --jump ACCEPT

            """, name: "combo.wds")
        // A computed value that breaks one is caught when the statement runs, before it changes anything.
        let computed = try Namespace.temporaryScript("""
            chain create early
            let protocol = "icmp"
            rule append FORWARD --protocol $protocol --dport 80 --jump ACCEPT

            """, name: "computed.wds")
        let result = Namespace.run("""
            "$WDS" run \(Namespace.shellQuote(literal)); echo "status=$?"
            "$WDS" run \(Namespace.shellQuote(combination)); echo "status=$?"
            "$WDS" run \(Namespace.shellQuote(computed)); echo "status=$?"
            iptables-save | grep -c early || true
            """)
        XCTAssertEqual(result.standardOutput, "status=2\nstatus=2\nstatus=1\n0\n", result.standardError)
        XCTAssertTrue(result.standardError.contains("computed.wds:3:50: error: --dport needs --protocol tcp or --protocol udp"), result.standardError)
        XCTAssertTrue(result.standardError.contains("test.wds:2:"), result.standardError)
        XCTAssertTrue(result.standardError.contains("has an invalid prefix length"), result.standardError)
        XCTAssertTrue(result.standardError.contains("combo.wds:2:"), result.standardError)
        XCTAssertTrue(result.standardError.contains("--dport needs --protocol tcp or --protocol udp"), result.standardError)
    }

    func testRulesReturnsParsedRecords() throws {
        try Namespace.requireNamespaces()
        let script = """
            for r in $(rules --table nat) { echo $r.chain $r.number "[$r.out]" "[$r.jump]" "[$r.dport]" "[$r.to_destination]" }
            for r in $(chain list warden-forward) { echo $r.number "[$r.in]" "[$r.goto]" "[$r.jump]" }
            let first = $(rules warden-default)
            echo $first.first.ctstate
            echo $(rule exists warden-forward --in w-abc-0 --goto warden-instance-abc) $(rule exists warden-forward --in w-abc-0 --goto warden-instance-def)

            """
        let result = try Self.runScripts([Self.wardenSetup, Self.wardenContainers, script], after: "true")
        XCTAssertEqual(result.standardOutput, """
            PREROUTING 1 [] [warden-prerouting] [] []
            OUTPUT 1 [lo] [warden-prerouting] [] []
            POSTROUTING 1 [] [warden-postrouting] [] []
            warden-instance-abc 1 [] [DNAT] [61001] [10.254.0.2:8080]
            warden-postrouting 1 [] [SNAT] [] []
            warden-prerouting 1 [] [warden-instance-abc] [] []
            warden-prerouting 2 [] [warden-instance-def] [] []
            1 [eth0] [] [ACCEPT]
            2 [w-def-0] [warden-instance-def] []
            3 [w-abc-0] [warden-instance-abc] []
            4 [] [] [DROP]
            RELATED,ESTABLISHED
            true false

            """, result.standardError)
    }

    /// The trace is honest: its mutation lines, replayed by bash in a fresh
    /// namespace, leave exactly what `wds run` leaves.
    func testTraceReplayedByBashEqualsRun() throws {
        try Namespace.requireNamespaces()
        let script = try Namespace.temporaryScript(Self.wardenSetup + Self.wardenContainers + """
            rule append warden-instance-def --protocol tcp ! --syn --comment "it's \\"quoted\\"" --jump LOG --log-prefix "def: "

            """)
        let directory = (script as NSString).deletingLastPathComponent
        let trace = Namespace.run("\"$WDS\" trace \(Namespace.shellQuote(script)) > \(directory)/trace.txt; echo status=$?")
        XCTAssertEqual(trace.standardOutput, "status=0\n", trace.standardError)
        let traceText = try String(contentsOfFile: directory + "/trace.txt", encoding: .utf8)
        let mutations = traceText.split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertEqual(mutations.count, 29, traceText)
        XCTAssertTrue(mutations.allSatisfy { $0.hasPrefix("iptables -w -t ") }, traceText)
        XCTAssertTrue(mutations.contains { $0.hasPrefix("iptables -w -t filter -I warden-forward 2 -i w-abc-0 -g warden-instance-abc  # ")
                && $0.hasSuffix("test.wds:20") }, traceText)

        let replayed = Namespace.run("set -e\n" + mutations.joined(separator: "\n") + "\n" + Namespace.normalizedRulesCommand)
        let ran = Namespace.run("\"$WDS\" run \(Namespace.shellQuote(script))\n" + Namespace.normalizedRulesCommand)
        XCTAssertEqual(replayed.status, 0, replayed.standardError)
        XCTAssertEqual(replayed.standardOutput, ran.standardOutput, ran.standardError)
        XCTAssertTrue(ran.standardOutput.contains(
            "-A warden-instance-def -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -m comment --comment \"it\\'s \\\"quoted\\\"\" -j LOG --log-prefix \"def: \"\n"),
            ran.standardOutput)
    }
}
