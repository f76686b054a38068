import Builtins
import Interpreter
import XCTest

/// The typed iptables rule: canonical values, rendering in iptables-save
/// order, and the parse of saved lines back into equal rules. Pure logic.
final class IptablesRuleTests: XCTestCase {
    func testCanonicalValuesAreWhatIptablesSavePrints() {
        let networks: [(String, AddressFamily, String?)] = [
            ("10.1.2.3/8", .ipv4, "10.0.0.0/8"),
            ("1.2.3.4", .ipv4, "1.2.3.4/32"),
            ("10.254.1.7/22", .ipv4, "10.254.0.0/22"),
            ("0.0.0.0/0", .ipv4, "0.0.0.0/0"),
            ("2001:db8:0:0::1/64", .ipv6, "2001:db8::/64"),
            ("2001:0:0:1::/64", .ipv6, "2001:0:0:1::/64"),
            ("::ffff:1.2.3.4", .ipv6, "::ffff:1.2.3.4/128"),
            ("10.0.0.0/8", .ipv6, nil),
            ("::1", .ipv4, nil),
        ]
        for (input, family, expected) in networks {
            XCTAssertEqual(IptablesRule.canonicalNetwork(input, family: family), expected, input)
        }
        XCTAssertEqual(IptablesRule.canonicalPorts("80:80", negated: false), "80")
        XCTAssertNil(IptablesRule.canonicalPorts("0:65535", negated: false))
        XCTAssertEqual(IptablesRule.canonicalPorts("1000:2000", negated: true), "1000:2000")
        XCTAssertEqual(try IptablesRule.canonicalStates("established,RELATED,new,established").get(), ["NEW", "RELATED", "ESTABLISHED"])
        XCTAssertEqual(IptablesRule.canonicalStates("ESTABLISHED,OPEN").failureMessage, "'OPEN'")
        let quotes: [(String, String)] = [("plain", "plain"), ("warden-1_x", "warden-1_x"), ("a.b", "\"a.b\""), ("", "\"\""),
                                          ("it's \"x\" \\", "\"it\\'s \\\"x\\\" \\\\\"")]
        for (input, expected) in quotes { XCTAssertEqual(IptablesRule.saveQuote(input), expected, input) }
    }

    func testRenderingFollowsIptablesSaveOrder() {
        var rule = IptablesRule()
        rule.comment = "pool egress"
        rule.target = .jump("SNAT")
        rule.toSource = "10.0.2.15"
        rule.connectionStates = .init(["NEW"], negated: true)
        rule.destinationPort = .init("80")
        rule.protocolModule = true
        rule.proto = .init("tcp")
        rule.outInterface = .init("eth0")
        rule.inInterface = .init("w-+", negated: true)
        rule.destination = .init("1.2.3.0/24")
        rule.source = .init("10.254.0.0/22")
        rule.syn = .init(true, negated: true)
        XCTAssertEqual(rule.arguments, ["-s", "10.254.0.0/22", "-d", "1.2.3.0/24", "!", "-i", "w-+", "-o", "eth0", "-p", "tcp",
                                        "-m", "tcp", "--dport", "80", "!", "--tcp-flags", "FIN,SYN,RST,ACK", "SYN",
                                        "-m", "conntrack", "!", "--ctstate", "NEW", "-m", "comment", "--comment", "pool egress",
                                        "-j", "SNAT", "--to-source", "10.0.2.15"])
        XCTAssertEqual(rule.restoreLine(appendingTo: "warden-postrouting"),
                       "-A warden-postrouting -s 10.254.0.0/22 -d 1.2.3.0/24 ! -i w-+ -o eth0 -p tcp -m tcp --dport 80 ! --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack ! --ctstate NEW -m comment --comment \"pool egress\" -j SNAT --to-source 10.0.2.15")
        XCTAssertEqual(IptablesRule().restoreLine(appendingTo: "counting"), "-A counting")
        XCTAssertEqual(IptablesCommand.insert(chain: "warden-forward", position: 2, rule: rule).arguments.prefix(3), ["-I", "warden-forward", "2"])
        XCTAssertEqual(IptablesCommand.createChain("warden-forward").restoreLine, ":warden-forward - [0:0]")
    }

    func testSavedLinesParseBackIntoEqualRules() throws {
        let lines = [
            "-s 10.254.0.0/22 -j SNAT --to-source 10.0.2.15",
            "-p tcp -m tcp --dport 61001 -j DNAT --to-destination 10.254.0.2:8080",
            "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-i w-abc-0 -g warden-instance-abc",
            "-p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -m comment --comment \"it\\'s \\\"x\\\"\" -j LOG --log-prefix \"a b \"",
            "! -s 10.0.0.0/8 ! -o lo -p udp -m udp ! --sport 53 -j REJECT --reject-with icmp-port-unreachable",
            "-p udp -m udp -j RETURN",
        ]
        for line in lines {
            let words = try IptablesTableState.splitSaveWords(line)
            let rule = IptablesTableState.parseRule(words, family: .ipv4)
            XCTAssertEqual(rule.unmodeled, [], line)
            XCTAssertEqual(rule.specification, line)
            XCTAssertEqual(rule.arguments, words, line)
        }
        // Matches in another order are the same rule; unknown matches make it another.
        let reordered = IptablesTableState.parseRule(
            try IptablesTableState.splitSaveWords("-p tcp -m comment --comment x -m tcp --dport 22 -j ACCEPT"), family: .ipv4)
        let canonical = IptablesTableState.parseRule(
            try IptablesTableState.splitSaveWords("-p tcp -m tcp --dport 22 -m comment --comment x -j ACCEPT"), family: .ipv4)
        XCTAssertEqual(reordered, canonical)
        // Other modules are kept whole, sorted, so their order does not matter either.
        let marked = IptablesTableState.parseRule(
            try IptablesTableState.splitSaveWords("-m mark --mark 0x1 -m addrtype --src-type LOCAL -j MARK --set-xmark 0x1/0xff"), family: .ipv4)
        XCTAssertEqual(marked.unmodeled, [])
        XCTAssertEqual(marked.modules, [.init("addrtype", ["--src-type", "LOCAL"]), .init("mark", ["--mark", "0x1"])])
        XCTAssertEqual(marked.targetOptions, ["--set-xmark", "0x1/0xff"])
        XCTAssertEqual(marked.remainingArguments, ["-m", "addrtype", "--src-type", "LOCAL", "-m", "mark", "--mark", "0x1", "--set-xmark", "0x1/0xff"])
        XCTAssertEqual(IptablesTableState.parseRule(
            try IptablesTableState.splitSaveWords("-m addrtype --src-type LOCAL -m mark --mark 0x1 -j MARK --set-xmark 0x1/0xff"), family: .ipv4), marked)
        // A typed module with words wds has no field for stays a module.
        let conntrack = IptablesTableState.parseRule(
            try IptablesTableState.splitSaveWords("-m conntrack --ctstate NEW --ctorigdst 192.0.2.1/32 -j ACCEPT"), family: .ipv4)
        XCTAssertNil(conntrack.connectionStates)
        XCTAssertEqual(conntrack.modules, [.init("conntrack", ["--ctstate", "NEW", "--ctorigdst", "192.0.2.1/32"])])
        let flags = IptablesTableState.parseRule(
            try IptablesTableState.splitSaveWords("-p tcp -m tcp ! --tcp-flags SYN,RST SYN -j DROP"), family: .ipv4)
        XCTAssertEqual(flags.tcpFlags, .init(["SYN,RST", "SYN"], negated: true))
        XCTAssertEqual(flags.specification, "-p tcp -m tcp ! --tcp-flags SYN,RST SYN -j DROP")
        XCTAssertThrowsError(try IptablesTableState.splitSaveWords("-m comment --comment \"open"))
    }

    func testPruneDeletesReferencesThenFlushesThenDeletes() throws {
        let save = """
            # Generated by iptables-save
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [3:180]
            :OUTPUT ACCEPT [0:0]
            :warden-forward - [0:0]
            :warden-instance-abc - [0:0]
            :warden-instance-abcd - [0:0]
            :warden-instancex - [0:0]
            -A FORWARD -i w-+ -j warden-forward
            -A warden-forward -i w-abc-0 -g warden-instance-abc
            -A warden-forward -i w-x-0 -g warden-instancex
            -A warden-forward -m mark --mark 0x1 -j warden-instance-abcd
            -A warden-instance-abc -j warden-instance-abcd
            COMMIT
            *nat
            :PREROUTING ACCEPT [0:0]
            :warden-instance-zzz - [0:0]
            COMMIT

            """
        let state = try IptablesTableState.parse(save, table: "filter", family: .ipv4)
        XCTAssertEqual(state.chains, ["INPUT", "FORWARD", "OUTPUT", "warden-forward", "warden-instance-abc", "warden-instance-abcd", "warden-instancex"])
        XCTAssertEqual(state.policies["FORWARD"], "ACCEPT")
        XCTAssertEqual(state.entries.count, 5)
        let commands = IptablesEngine.pruneCommands(state, selecting: .prefix("warden-instance-"))
        XCTAssertEqual(commands.map(\.arguments), [
            ["-D", "warden-forward", "-i", "w-abc-0", "-g", "warden-instance-abc"],
            ["-D", "warden-forward", "-m", "mark", "--mark", "0x1", "-j", "warden-instance-abcd"],
            ["-F", "warden-instance-abc"], ["-F", "warden-instance-abcd"],
            ["-X", "warden-instance-abc"], ["-X", "warden-instance-abcd"],
        ])
        XCTAssertEqual(IptablesEngine.pruneCommands(state, selecting: .exact("warden-instance-abc")).map(\.arguments), [
            ["-D", "warden-forward", "-i", "w-abc-0", "-g", "warden-instance-abc"],
            ["-F", "warden-instance-abc"], ["-X", "warden-instance-abc"],
        ])
        XCTAssertEqual(IptablesEngine.pruneCommands(state, selecting: .prefix("nothing-")), [])
    }
}

private extension Result where Failure == IptablesRule.Problem {
    var failureMessage: String? {
        if case .failure(let problem) = self { return problem.message }
        return nil
    }
}
