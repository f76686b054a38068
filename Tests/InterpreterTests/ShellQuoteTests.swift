import Interpreter
import XCTest

/// A trace line is one replayable shell line, and shows no character a
/// terminal would act on (issue 13, point 7): C0 controls were already
/// spelled in $'…'; C1 controls and bidirectional overrides are too.
final class ShellQuoteTests: XCTestCase {
    func testControlsOfEveryKindAreSpelledAsEscapes() {
        XCTAssertEqual(shellQuote("plain/path-1"), "plain/path-1")
        XCTAssertEqual(shellQuote("a b'c"), "'a b'\\''c'")
        XCTAssertEqual(shellQuote("a\nb\u{1B}[2J"), "$'a\\nb\\x1b[2J'")
        XCTAssertEqual(shellQuote("x\u{9B}31m"), "$'x\\u009b31m'")
        XCTAssertEqual(shellQuote("safe\u{202E}txt.exe"), "$'safe\\u202etxt.exe'")
        XCTAssertEqual(shellQuote("café"), "'café'")
    }
}
