import XCTest
import TestSupport

/// iptables-nft's chains read over netlink (docs/performance.md, "Reading
/// iptables-nft's chains in process"): every decision must come out as it
/// does when the iptables program answers, and only the program's processes go.
final class IptablesNftReadTests: XCTestCase {
    /// Decisions that need only whether a chain exists and how many rules it holds.
    static let script = """
        for name in [full empty missing INPUT] {
          if chain exists $name {
            echo "$name exists"
          } else {
            echo "$name absent"
          }
        }
        rule insert full 6 --jump DROP || echo "insert full 6: refused"
        rule insert full 4 --jump DROP && echo "insert full 4: ok"
        rule insert empty 1 --jump DROP && echo "insert empty 1: ok"
        rule insert INPUT 2 --jump DROP || echo "insert INPUT 2: refused"
        rule insert INPUT 1 --protocol tcp --dport 22 --jump ACCEPT && echo "insert INPUT 1: ok"
        rule append missing --jump DROP || echo "append missing: refused"
        chain create fresh
        rule append fresh --jump full && echo "jump to full: ok"
        rule append fresh --jump missing || echo "jump to missing: refused"
        chain create --table nat nat-only
        rule append --table nat PREROUTING --jump nat-only && echo "nat jump: ok"

        """

    /// The host: `full` with three rules, `empty` with none, no `missing`.
    static let host = """
        iptables -N full && iptables -A full -j ACCEPT && iptables -A full -j RETURN && iptables -A full -s 192.0.2.1 -j DROP
        iptables -N empty
        """

    static let expected = """
        full exists
        empty exists
        missing absent
        INPUT exists
        insert full 6: refused
        insert full 4: ok
        insert empty 1: ok
        insert INPUT 2: refused
        insert INPUT 1: ok
        append missing: refused
        jump to full: ok
        jump to missing: refused
        nat jump: ok

        """

    /// Runs the script on the host with PATH's iptables (iptables-nft here), then again in a fresh
    /// namespace through a wrapper that hides what the program is (so wds must start it), and
    /// prints both outputs, both rulesets, and how many `iptables -S` processes each run started.
    func testDecisionsOverNetlinkAgreeWithTheProgramsAnswers() throws {
        try Namespace.requireNamespaces()
        guard Namespace.run("iptables --version").standardOutput.contains("nf_tables") else {
            throw XCTSkip("iptables here is not iptables-nft: nothing is read over netlink")
        }
        let script = try Namespace.temporaryScript(Self.script, name: "decisions")
        let directory = (script as NSString).deletingLastPathComponent
        let wrapper = """
            mkdir -p \(directory)/wrap
            for tool in iptables iptables-save iptables-restore; do
              printf '#!/bin/sh\\nexec /usr/sbin/%s "$@"\\n' "$tool" > \(directory)/wrap/$tool
              chmod +x \(directory)/wrap/$tool
            done
            """
        let netlink = Namespace.run("""
            export WDS_IPTABLES_LOCK=$(mktemp -d)/lock
            \(Self.host)
            strace -f -qq -e trace=execve -o \(directory)/netlink.trace "$WDS" run \(script); echo "status=$?"
            echo "listings:" $(grep -o -- '"-S", "[^"]*"' \(directory)/netlink.trace | cut -d'"' -f4)
            iptables-save -t filter | grep -v '^#' > \(directory)/netlink.filter
            """)
        let program = Namespace.run("""
            export WDS_IPTABLES_LOCK=$(mktemp -d)/lock
            \(wrapper)
            \(Self.host)
            PATH=\(directory)/wrap:$PATH strace -f -qq -e trace=execve -o \(directory)/program.trace "$WDS" run \(script); echo "status=$?"
            echo "listings=$(grep -c -- '"-S"' \(directory)/program.trace)"
            iptables-save -t filter | grep -v '^#' > \(directory)/program.filter
            """)
        // Only the two refused inserts start a program: they read the chain whole, for the count their message names.
        XCTAssertEqual(netlink.standardOutput, Self.expected + "status=0\nlistings: full INPUT\n", netlink.standardError)
        XCTAssertTrue(program.standardOutput.hasPrefix(Self.expected + "status=0\n"), program.standardOutput + program.standardError)
        // Through the wrapper, every read is a program: the fallback is still taken.
        let listings = program.standardOutput.split(separator: "\n").last.map { Int($0.dropFirst("listings=".count)) ?? 0 } ?? 0
        XCTAssertGreaterThan(listings, 3, program.standardOutput)
        let netlinkRules = try String(contentsOfFile: directory + "/netlink.filter", encoding: .utf8)
        let programRules = try String(contentsOfFile: directory + "/program.filter", encoding: .utf8)
        XCTAssertEqual(netlinkRules, programRules)
        XCTAssertTrue(netlinkRules.contains("-A full -j DROP"), netlinkRules)
    }
}
