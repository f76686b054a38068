// The formatter's round trip, fuzzed (compiled in by fuzz/build when
// Sources/Interpreter has the Formatter of `wds fmt`): a script that parses
// must format without an internal error — the formatter itself checks that
// its output parses to the same tree with the same comments — and formatting
// the output again must change nothing.
import Interpreter
import Lexer

func fuzzFormat(_ bytes: [UInt8], accepted: Bool) {
    guard accepted else { return }
    switch Formatter.format(SourceFile(name: "fuzz.wds", bytes: bytes)) {
    case .invalid(let diagnostics):
        violated("a script that parses did not format: \(diagnostics.map(\.message))", bytes)
    case .formatted(let text):
        guard case .formatted(let again) = Formatter.format(text) else {
            violated("formatted text did not format again", bytes)
        }
        if again != text { violated("formatting is not idempotent", bytes) }
    }
}
