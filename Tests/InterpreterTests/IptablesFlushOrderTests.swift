@testable import Builtins
import Interpreter
import Lexer
import XCTest

/// The restore payload moves each `-F` to the first change it voids (and
/// drops those): the same net effect, without the iptables-nft 1.8.9 bug.
final class IptablesFlushOrderTests: XCTestCase {
    func order(_ commands: [IptablesCommand]) -> [String] {
        let file = SourceFile(name: "t.wds", text: "")
        let scope = IptablesScope(family: .ipv4, table: "filter")
        let changes = commands.map {
            IptablesTransaction.Change(scope: scope, command: $0, line: "", inverse: [], location: SourceRange(file: file, start: 0, end: 0))
        }
        return IptablesTransaction.flushesMovedForward(Array(changes.indices), changes).map { changes[$0].command.arguments.joined(separator: " ") }
    }

    func testAFlushReplacesTheRuleChangesItVoids() {
        let rule = IptablesRule()
        XCTAssertEqual(order([.append(chain: "X", rule: rule), .append(chain: "Z", rule: rule), .delete(chain: "X", rule: rule), .flushChain("X")]),
                       ["-F X", "-A Z"])
        // Changes before the chain's last create, delete or flush are not the flush's to void.
        XCTAssertEqual(order([.append(chain: "X", rule: rule), .deleteChain("X"), .createChain("X"), .append(chain: "X", rule: rule), .flushChain("X")]),
                       ["-A X", "-X X", "-N X", "-F X"])
        // Nothing to void: the flush stays where it is.
        XCTAssertEqual(order([.append(chain: "Z", rule: rule), .flushChain("X")]), ["-A Z", "-F X"])
    }
}
