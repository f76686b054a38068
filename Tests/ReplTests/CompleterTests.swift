import Builtins
import Interpreter
import Repl
import XCTest

/// The REPL's completion for the word readline passes (its word breaks keep
/// a `$` and end at quotes, brackets and `$(`), against a fake host: the
/// session's variables, a folder tree, /proc/sys, and the chains by table.
final class CompleterTests: XCTestCase {
    var tablesAsked: [String: String] = [:]

    func completer() -> Completer {
        let tree: [String: [(name: String, isDirectory: Bool)]] = [
            ".": [("notes", true), ("net.wds", false)],
            "/proc/sys": [("net", true), ("kernel", true)],
            "/proc/sys/net/ipv4": [("ip_forward", false), ("ip_default_ttl", false), ("conf", true)],
        ]
        return Completer(
            registry: Builtins.standard,
            variables: { ["name", "network", "other"] },
            functions: { ["prepare"] },
            liveNames: { [weak self] _, type, options in
                guard case .chain = type else { return [] }
                self?.tablesAsked = options
                return options["--table"] == "nat" ? ["PREROUTING", "POSTROUTING", "warden-prerouting"] : ["INPUT", "FORWARD"]
            },
            listDirectory: { tree[$0] ?? [] })
    }

    /// `line` with the word being completed at its end.
    func complete(_ line: String, word: String) -> [String] {
        completer().candidates(line: line, wordStart: line.utf8.count - word.utf8.count, word: word)
    }

    func testVariablesEverywhereAWordCanHoldOne() {
        XCTAssertEqual(complete("echo $n", word: "$n"), ["$name", "$network"])
        XCTAssertEqual(complete("echo \"hello $na", word: "$na"), ["$name"])
        XCTAssertEqual(complete("echo $(basename $ne", word: "$ne"), ["$network"])
        XCTAssertEqual(complete("echo \"at $(basename $ot", word: "$ot"), ["$other"])
    }

    func testACommandInsideASubstitutionCompletesAsACommand() {
        XCTAssertEqual(complete("echo $(basen", word: "basen"), ["basename"])
        XCTAssertEqual(complete("let x = \"$(prep", word: "prep"), ["prepare"])
    }

    func testNoSpaceAfterAVariableInsideAString() {
        let line = "echo \"hello $na"
        let start = line.utf8.count - 3
        XCTAssertFalse(completer().appendsSpace(line: line, wordStart: start, candidate: "$name"))
        XCTAssertTrue(completer().appendsSpace(line: "echo $na", wordStart: 5, candidate: "$name"))
        XCTAssertTrue(completer().appendsSpace(line: "echo \"a\" $na", wordStart: 9, candidate: "$name"))
    }

    func testPathsAndSysctlKeys() {
        XCTAssertEqual(complete("source no", word: "no"), ["notes/"])
        XCTAssertEqual(complete("sysctl get ne", word: "ne"), ["net."])
        XCTAssertEqual(complete("sysctl set net.ipv4.ip_f", word: "net.ipv4.ip_f"), ["net.ipv4.ip_forward"])
        XCTAssertEqual(complete("sysctl get net.ipv4.", word: "net.ipv4."),
                       ["net.ipv4.conf.", "net.ipv4.ip_default_ttl", "net.ipv4.ip_forward"])
        XCTAssertFalse(completer().appendsSpace(line: "sysctl get ne", wordStart: 11, candidate: "net."))
    }

    func testChainsOfTheTableTheCommandNames() {
        XCTAssertEqual(complete("rule append --table nat P", word: "P"), ["POSTROUTING", "PREROUTING"])
        XCTAssertEqual(complete("rule append F", word: "F"), ["FORWARD"])
        XCTAssertEqual(complete("rule append --table nat --in eth0 warden-p", word: "warden-p"), ["warden-prerouting"])
    }
}
