import Foundation
import XCTest

/// Every match module and target option, held to the real iptables: for each
/// case, iptables itself adds the rule written its way to chain `ref`, wds
/// adds it written the wds way to chain `wds`, and the two chains must print
/// the same in `iptables -S`. Then `rule exists ref …` must find iptables'
/// rule (what iptables-save prints parses back equal to what wds builds), and
/// a second run of `rule ensure` must add nothing. (iptables-save prints
/// modules in the order given, wds writes them sorted; each `iptables` line
/// below gives them in wds's order, so the chains compare line by line. That
/// another order is the same rule is the parser's unit test.)
final class IptablesModuleTests: XCTestCase {
    struct Case {
        var table = "filter"
        var ipv6 = false
        /// wds's options, as written in a script.
        var wds: String
        /// iptables' arguments for the same rule.
        var iptables: String
    }

    static let cases: [Case] = [
        // addrtype
        Case(wds: "--src-type LOCAL --jump ACCEPT", iptables: "-m addrtype --src-type LOCAL -j ACCEPT"),
        Case(wds: "! --dst-type local,broadcast --jump ACCEPT", iptables: "-m addrtype ! --dst-type BROADCAST,LOCAL -j ACCEPT"),
        Case(wds: "! --src-type LOCAL --dst-type UNICAST --limit-iface-in --jump RETURN",
             iptables: "-m addrtype ! --src-type LOCAL --dst-type UNICAST --limit-iface-in -j RETURN"),
        // owner
        Case(wds: "--uid-owner 0 --jump ACCEPT", iptables: "-m owner --uid-owner 0 -j ACCEPT"),
        Case(wds: "! --uid-owner 1000-2000 --gid-owner 100 --jump ACCEPT", iptables: "-m owner --gid-owner 100 ! --uid-owner 1000-2000 -j ACCEPT"),
        Case(wds: "--gid-owner 5-5 --socket-exists --jump ACCEPT", iptables: "-m owner --gid-owner 5 --socket-exists -j ACCEPT"),
        // icmp
        Case(wds: "--protocol icmp --icmp-type echo-request --jump ACCEPT", iptables: "-p icmp -m icmp --icmp-type 8 -j ACCEPT"),
        Case(wds: "--protocol ICMP --icmp-type any --jump ACCEPT", iptables: "-p icmp --icmp-type any -j ACCEPT"),
        Case(wds: "--protocol icmp ! --icmp-type fragmentation-needed --jump DROP", iptables: "-p icmp ! --icmp-type 3/4 -j DROP"),
        Case(wds: "--protocol icmp --icmp-type destination-unreachable --jump ACCEPT", iptables: "-p icmp --icmp-type 3 -j ACCEPT"),
        Case(wds: "--protocol icmp --icmp-type 255 --jump ACCEPT", iptables: "-p icmp --icmp-type any -j ACCEPT"),
        // LOG
        Case(wds: "--jump LOG --log-prefix \"in: \" --log-level info --log-uid --log-tcp-options --log-ip-options --log-tcp-sequence",
             iptables: "-j LOG --log-level 6 --log-ip-options --log-prefix 'in: ' --log-tcp-sequence --log-uid --log-tcp-options"),
        Case(wds: "--jump LOG --log-level warning", iptables: "-j LOG --log-level 4"),
        Case(wds: "--jump LOG --log-level 0 --log-prefix x", iptables: "-j LOG --log-level emerg --log-prefix x"),
        // mark, connmark
        Case(wds: "--mark 1 --jump ACCEPT", iptables: "-m mark --mark 0x1 -j ACCEPT"),
        Case(wds: "! --mark 0x10/0xf0 --jump ACCEPT", iptables: "-m mark ! --mark 16/240 -j ACCEPT"),
        Case(wds: "--connmark 2/0xffffffff --jump ACCEPT", iptables: "-m connmark --mark 2 -j ACCEPT"),
        Case(wds: "--mark 010 --connmark 0x3 --jump ACCEPT", iptables: "-m connmark --mark 3 -m mark --mark 8 -j ACCEPT"),
        // multiport
        Case(wds: "--protocol tcp --dports 80,443,8000:8080 --jump ACCEPT", iptables: "-p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT"),
        Case(wds: "--protocol udp ! --sports 53 --ports 67,68 --jump ACCEPT",
             iptables: "-p udp -m multiport ! --sports 53 -m multiport --ports 67,68 -j ACCEPT"),
        // limit
        Case(wds: "--limit 5/minute --jump LOG", iptables: "-m limit --limit 5/min -j LOG"),
        Case(wds: "--limit 3/s --limit-burst 10 --jump ACCEPT", iptables: "-m limit --limit 3/second --limit-burst 10 -j ACCEPT"),
        Case(wds: "--limit 7/min --limit-burst 5 --jump ACCEPT", iptables: "-m limit --limit 7/m -j ACCEPT"),
        Case(wds: "--limit 13/hour --jump ACCEPT", iptables: "-m limit --limit 13/h -j ACCEPT"),
        Case(wds: "--limit 1000/day --jump ACCEPT", iptables: "-m limit --limit 1000/d -j ACCEPT"),
        Case(wds: "--limit 7 --jump ACCEPT", iptables: "-m limit --limit 7/sec -j ACCEPT"),
        Case(wds: "--limit 10000/second --jump ACCEPT", iptables: "-m limit --limit 10000/s -j ACCEPT"),
        // physdev
        Case(wds: "--physdev-in eth0 ! --physdev-is-bridged --jump ACCEPT", iptables: "-m physdev ! --physdev-is-bridged --physdev-in eth0 -j ACCEPT"),
        Case(wds: "--physdev-is-in ! --physdev-out veth+ --physdev-is-out --jump DROP",
             iptables: "-m physdev --physdev-is-out ! --physdev-out veth+ --physdev-is-in -j DROP"),
        // set (the sets are made before the run)
        Case(wds: "--match-set [wds4 src] --jump DROP", iptables: "-m set --match-set wds4 src -j DROP"),
        Case(wds: "! --match-set [wds4 dst] --match-set [wdspairs src,dst] --jump DROP",
             iptables: "-m set ! --match-set wds4 dst -m set --match-set wdspairs src,dst -j DROP"),
        // tcp flags
        Case(wds: "--protocol tcp --tcp-flags [SYN,RST SYN] --jump ACCEPT", iptables: "-p tcp --tcp-flags RST,SYN SYN -j ACCEPT"),
        Case(wds: "--protocol tcp ! --tcp-flags [ALL NONE] --jump DROP", iptables: "-p tcp ! --tcp-flags ALL NONE -j DROP"),
        Case(wds: "--protocol tcp --dport 22 --tcp-flags [syn,rst,ack,fin SYN] --jump ACCEPT", iptables: "-p tcp --dport 22 --syn -j ACCEPT"),
        Case(wds: "--protocol tcp --tcp-flags [ALL FIN,URG,PSH] --jump DROP", iptables: "-p tcp --tcp-flags ALL FIN,PSH,URG -j DROP"),
        // protocols in any case, REJECT's other names, -m state
        Case(wds: "--protocol TCP --jump ACCEPT", iptables: "-p tcp -j ACCEPT"),
        Case(wds: "--protocol Udp --dport 53 --jump ACCEPT", iptables: "-p UDP --dport 53 -j ACCEPT"),
        Case(wds: "--protocol tcp --jump REJECT --reject-with tcp-rst", iptables: "-p tcp -j REJECT --reject-with tcp-reset"),
        Case(wds: "--jump REJECT --reject-with host-unreach", iptables: "-j REJECT --reject-with icmp-host-unreachable"),
        Case(wds: "--state established,related --jump ACCEPT", iptables: "-m state --state RELATED,ESTABLISHED -j ACCEPT"),
        // IPv6
        Case(ipv6: true, wds: "--protocol icmpv6 --icmpv6-type echo-request --jump ACCEPT", iptables: "-p ipv6-icmp --icmpv6-type 128 -j ACCEPT"),
        Case(ipv6: true, wds: "--protocol ipv6-icmp ! --icmpv6-type neighbor-solicitation --jump ACCEPT",
             iptables: "-p icmpv6 ! --icmpv6-type 135 -j ACCEPT"),
        Case(ipv6: true, wds: "--protocol icmpv6 --icmpv6-type 1/3 --jump ACCEPT", iptables: "-p icmpv6 --icmpv6-type address-unreachable -j ACCEPT"),
        Case(ipv6: true, wds: "--jump LOG --log-prefix \"v6 \" --log-level alert", iptables: "-j LOG --log-level 1 --log-prefix 'v6 '"),
        Case(ipv6: true, wds: "--jump REJECT --reject-with adm-prohibited", iptables: "-j REJECT --reject-with icmp6-adm-prohibited"),
        Case(ipv6: true, wds: "--match-set [wds6 src] --src-type LOCAL --jump DROP", iptables: "-m addrtype --src-type LOCAL -m set --match-set wds6 src -j DROP"),
        // mangle: CHECKSUM, MARK, CONNMARK
        Case(table: "mangle", wds: "--protocol udp --dport 68 --jump CHECKSUM --checksum-fill", iptables: "-p udp --dport 68 -j CHECKSUM --checksum-fill"),
        Case(table: "mangle", wds: "--jump MARK --set-mark 0x1", iptables: "-j MARK --set-mark 1"),
        Case(table: "mangle", wds: "--jump MARK --set-mark 0x100/0xff", iptables: "-j MARK --set-mark 256/255"),
        Case(table: "mangle", wds: "--jump MARK --or-mark 4", iptables: "-j MARK --or-mark 0x4"),
        Case(table: "mangle", wds: "--jump MARK --and-mark 4", iptables: "-j MARK --and-mark 0x4"),
        Case(table: "mangle", wds: "--jump MARK --xor-mark 4", iptables: "-j MARK --xor-mark 0x4"),
        Case(table: "mangle", wds: "--jump MARK --set-xmark 0x4/0xf", iptables: "-j MARK --set-xmark 4/15"),
        Case(table: "mangle", wds: "--jump CONNMARK --save-mark", iptables: "-j CONNMARK --save-mark"),
        Case(table: "mangle", wds: "--jump CONNMARK --restore-mark --mask 0xff", iptables: "-j CONNMARK --restore-mark --mask 255"),
        Case(table: "mangle", wds: "--jump CONNMARK --restore-mark --nfmask 0xff --ctmask 0xf0",
             iptables: "-j CONNMARK --restore-mark --ctmask 0xf0 --nfmask 0xff"),
        Case(table: "mangle", wds: "--jump CONNMARK --set-mark 5", iptables: "-j CONNMARK --set-mark 5"),
        Case(table: "mangle", wds: "--jump CONNMARK --or-mark 0x8", iptables: "-j CONNMARK --or-mark 8"),
        // nat: MASQUERADE, REDIRECT
        Case(table: "nat", wds: "--jump MASQUERADE", iptables: "-j MASQUERADE"),
        Case(table: "nat", wds: "--protocol tcp --jump MASQUERADE --to-ports 1000-2000 --random",
             iptables: "-p tcp -j MASQUERADE --random --to-ports 1000-2000"),
        Case(table: "nat", wds: "--protocol udp --jump MASQUERADE --to-ports 1000-1000 --random-fully",
             iptables: "-p udp -j MASQUERADE --to-ports 1000 --random-fully"),
        Case(table: "nat", wds: "--protocol tcp --dport 80 --jump REDIRECT --to-ports 8080", iptables: "-p tcp --dport 80 -j REDIRECT --to-ports 8080"),
        // raw: CT, NOTRACK
        Case(table: "raw", wds: "--jump CT --notrack", iptables: "-j CT --notrack"),
        Case(table: "raw", wds: "--jump NOTRACK", iptables: "-j NOTRACK"),
        Case(table: "raw", wds: "--protocol tcp --dport 21 --jump CT --helper ftp --zone 5", iptables: "-p tcp --dport 21 -j CT --zone 5 --helper ftp"),
        Case(table: "raw", wds: "--jump CT --zone 7", iptables: "-j CT --zone 7"),
        // Any other module or target: written as iptables takes it, compared as iptables-save prints it.
        Case(wds: "--match [hashlimit --hashlimit-upto 50/sec --hashlimit-name web] --jump ACCEPT",
             iptables: "-m hashlimit --hashlimit-upto 50/sec --hashlimit-name web -j ACCEPT"),
        Case(wds: "--match [recent --name ssh --set] --jump ACCEPT", iptables: "-m recent --set --name ssh -j ACCEPT"),
        Case(wds: "--match [statistic --mode random --probability 0.5] --jump ACCEPT",
             iptables: "-m statistic --mode random --probability 0.5 -j ACCEPT"),
        Case(wds: "--match [string --string \"a b\" --algo bm] --jump DROP", iptables: "-m string --algo bm --string 'a b' -j DROP"),
        Case(wds: "--match [iprange --src-range 192.0.2.1-192.0.2.9] --match [pkttype --pkt-type broadcast] --jump ACCEPT",
             iptables: "-m iprange --src-range 192.0.2.1-192.0.2.9 -m pkttype --pkt-type broadcast -j ACCEPT"),
        Case(wds: "--ctstate NEW --match [conntrack --ctorigdst 192.0.2.1] --jump ACCEPT",
             iptables: "-m conntrack --ctorigdst 192.0.2.1 -m conntrack --ctstate NEW -j ACCEPT"),
        Case(wds: "--match-set [wds4 src] --match [hashlimit --hashlimit-above 5/sec --hashlimit-name h2] --jump DROP",
             iptables: "-m hashlimit --hashlimit-above 5/sec --hashlimit-name h2 -m set --match-set wds4 src -j DROP"),
        Case(wds: "--jump NFLOG --target-options [--nflog-group 5]", iptables: "-j NFLOG --nflog-group 5"),
        Case(table: "mangle", wds: "--protocol tcp --tcp-flags [SYN,RST SYN] --jump TCPMSS --target-options [--clamp-mss-to-pmtu]",
             iptables: "-p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu"),
        Case(table: "mangle", wds: "--protocol tcp --jump TPROXY --target-options [--on-port 3129 --tproxy-mark 0x1/0x1]",
             iptables: "-p tcp -j TPROXY --on-port 3129 --tproxy-mark 1/1"),
        Case(table: "nat", wds: "--protocol tcp --jump DNAT --to-destination 192.0.2.1:80 --target-options [--random]",
             iptables: "-p tcp -j DNAT --to-destination 192.0.2.1:80 --random"),
    ]

    static let tables = [("filter", false), ("mangle", false), ("nat", false), ("raw", false), ("filter", true)]

    static func scope(_ table: String, _ ipv6: Bool) -> String {
        (table == "filter" ? "" : " --table \(table)") + (ipv6 ? " --ipv6" : "")
    }

    func testEveryOptionIsSavedAsIptablesSavesItAndReadBackEqual() throws {
        try Namespace.requireNamespaces()
        guard Namespace.run(["sh", "-c", "command -v ipset"]).status == 0 else {
            throw XCTSkip("ipset is not installed (scripts/dev/install-deps installs it)")
        }
        var setup = ["ipset create wds4 hash:ip", "ipset create wdspairs hash:ip,port", "ipset create wds6 hash:net family inet6"]
        for (table, ipv6) in Self.tables {
            let command = ipv6 ? "ip6tables" : "iptables"
            setup += ["\(command) -t \(table) -N ref", "\(command) -t \(table) -N wds"]
        }
        var script = ""
        var ensure = ""
        for (index, item) in Self.cases.enumerated() {
            let command = item.ipv6 ? "ip6tables" : "iptables"
            setup.append("\(command) -t \(item.table) -A ref \(item.iptables) || echo 'iptables refused case \(index)'")
            let scope = Self.scope(item.table, item.ipv6)
            script += "rule append wds\(scope) \(item.wds)\n"
            script += "echo \(index) $(rule exists ref\(scope) \(item.wds))\n"
            ensure += "rule ensure wds\(scope) \(item.wds)\n"
        }
        let first = try Namespace.temporaryScript(script)
        let second = try Namespace.temporaryScript(ensure, name: "ensure.wds")
        var show: [String] = []
        for (table, ipv6) in Self.tables {
            let command = ipv6 ? "ip6tables" : "iptables"
            show += ["echo '== \(command) \(table) ref'", "\(command) -t \(table) -S ref | tail -n +2 | sed 's/^-A ref //'",
                     "echo '== \(command) \(table) wds'", "\(command) -t \(table) -S wds | tail -n +2 | sed 's/^-A wds //'"]
        }
        let result = Namespace.run(setup.joined(separator: "\n") + """

            "$WDS" run \(Namespace.shellQuote(first)) > /tmp/first.out; echo "first=$?"
            "$WDS" run \(Namespace.shellQuote(second)); echo "second=$?"
            cat /tmp/first.out

            """ + show.joined(separator: "\n"))
        let output = result.standardOutput
        XCTAssertFalse(output.contains("iptables refused"), output)
        XCTAssertTrue(output.hasPrefix("first=0\nsecond=0\n"), output + result.standardError)
        // `rule exists` found iptables' own rule for every case.
        for index in Self.cases.indices {
            XCTAssertTrue(output.contains("\n\(index) true\n"), "case \(index): \(Self.cases[index].wds)\n" + output)
        }
        // The chains print the same, rule by rule (and the second run's `rule ensure` added nothing).
        let sections = output.components(separatedBy: "== ").dropFirst()
        var printed: [String: [String]] = [:]
        for section in sections {
            let lines = section.split(separator: "\n").map(String.init)
            printed[lines[0]] = Array(lines.dropFirst())
        }
        for (table, ipv6) in Self.tables {
            let command = ipv6 ? "ip6tables" : "iptables"
            let reference = printed["\(command) \(table) ref"] ?? [], made = printed["\(command) \(table) wds"] ?? []
            let expectedCount = Self.cases.filter { $0.table == table && $0.ipv6 == ipv6 }.count
            XCTAssertEqual(reference.count, expectedCount, "\(command) \(table)")
            XCTAssertEqual(made, reference, "\(command) \(table)")
        }
    }
}
