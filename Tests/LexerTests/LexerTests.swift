import Foundation
import Lexer
import XCTest

/// Lexer units as tables: source → the tokens in a compact notation.
///
///     word pieces are joined with `+`: `abc` unquoted, `'abc'` quoted,
///     `$name.field` a variable, `$(…)` a substitution with its tokens;
///     `NL ; { } ( ) [ ] && ||` the punctuation; `!error(message)` an error token.
///     The final end of input is left out.
final class LexerTests: XCTestCase {
    func testWordsAndPunctuation() {
        check([
            ("", ""),
            ("echo", "echo"),
            ("echo a b", "echo a b"),
            ("  echo\ta  ", "echo a"),
            ("a;b", "a ; b"),
            ("a\nb\n", "a NL b NL"),
            ("a\r\nb", "a NL b"),
            ("if x {y}", "if x { y }"),
            ("[a b]", "[ a b ]"),
            ("[a[b]]", "[ a [ b ] ]"),
            ("def f(a, b)", "def f ( a, b )"),
            ("a && b || c", "a && b || c"),
            ("a&&b||c", "a && b || c"),
            ("x=1", "x=1"),
            ("let x = 1", "let x = 1"),
            ("a == b", "a == b"),
            ("! a", "! a"),
            ("...$l", "...+$l"),
            ("w-$id-0", "w-+$id+-0"),
            ("--opt=v", "--opt=v"),
            ("10.0.0.0/8", "10.0.0.0/8"),
            ("héllo wörld", "héllo wörld"),
            ("a>b", "a>b"),
            ("2>/dev/null", "2>/dev/null"),
            ("*.txt ?x", "*.txt ?x"),
        ])
    }

    func testQuotesAndEscapes() {
        check([
            ("'a b'", "'a b'"),
            ("\"a b\"", "'a b'"),
            ("''", "''"),
            ("\"\"", "''"),
            ("'$x \\n'", "'$x \\\\n'"),
            ("\"a\\nb\\tc\"", "'a\\nb\\tc'"),
            ("\"\\\"q\\\" \\\\ \\$x \\`\"", "'\"q\" \\\\ $x `'"),
            ("\"\\x\"", "'\\\\x'"),
            ("\"a\\\nb\"", "'ab'"),
            ("\"multi\nline\"", "'multi\\nline'"),
            ("a'b'\"c\"", "a+'b'+'c'"),
            ("'a'b", "'a'+b"),
            ("a\\ b", "a+' '+b"),
            ("\\;", "';'"),
            ("a\\{b", "a+'{'+b"),
            ("'it''s'", "'it'+'s'"),
            ("\"a $x b\"", "'a '+$x+' b'"),
            ("\"$x\"", "$x"),
            ("\"${x}y\"", "$x+'y'"),
            ("\"cost: $\"", "'cost: $'"),
            ("\"$ x\"", "'$ x'"),
            ("'{ } ; | & `'", "'{ } ; | & `'"),
            ("\"a;b|c&d\"", "'a;b|c&d'"),
            ("\"#not a comment\"", "'#not a comment'"),
        ])
    }

    func testVariables() {
        check([
            ("$x", "$x"),
            ("$_a1", "$_a1"),
            ("$x.field", "$x.field"),
            ("$x.a.b", "$x.a.b"),
            ("$x.", "$x+."),
            ("$x.1", "$x+.1"),
            ("$x..y", "$x+..y"),
            ("${x}", "$x"),
            ("${x.f}", "$x.f"),
            ("${x}.txt", "$x+.txt"),
            ("$x/y", "$x+/y"),
            ("$x-y", "$x+-y"),
            ("$1", "$1"),
            ("$12", "$12"),
            ("$1a", "$1+a"),
            ("$1.5", "$1+.5"),
            ("${1}", "$1"),
            ("$", "$"),
            ("a$", "a$"),
            ("$-", "$-"),
            ("$x$y", "$x+$y"),
            ("pre${x}post", "pre+$x+post"),
        ])
    }

    func testSubstitutions() {
        check([
            ("$(date)", "$(date)"),
            ("$( date )", "$(date)"),
            ("$(a b)c", "$(a b)+c"),
            ("$(echo $(date))", "$(echo $(date))"),
            ("$( $( $(x) ) )", "$($($(x)))"),
            ("\"v=$(f \"a b\")\"", "'v='+$(f 'a b')"),
            ("$(a && b)", "$(a && b)"),
            ("$(f (x))", "$(f ( x ))"),
            ("$(echo [a b])", "$(echo [ a b ])"),
            ("$(\necho\n)", "$(NL echo NL)"),
            ("$(a) $(b)", "$(a) $(b)"),
            ("$()", "$()"),
        ])
    }

    func testCommentsAndContinuations() {
        check([
            ("# only a comment", ""),
            ("echo a # comment", "echo a"),
            ("echo a#b", "echo a#b"),
            ("echo # x\nb", "echo NL b"),
            ("echo \\\n  a", "echo a"),
            ("echo \\\r\n  a", "echo a"),
            ("echo a\\\nb", "echo ab"),
            ("run x \\\n  --y \\\n  z", "run x --y z"),
            ("a # c \\\nb", "a NL b"),
            ("{ # open\n}", "{ NL }"),
        ])
    }

    func testErrorTokens() {
        check([
            ("echo 'abc", "echo !error(unterminated single-quoted string)"),
            ("echo \"abc", "echo !error(unterminated double-quoted string)"),
            ("echo \"abc\\\"", "echo !error(unterminated double-quoted string)"),
            ("echo $(date", "echo !error(unterminated '$(': expected ')')"),
            ("echo $(echo \"x)", "echo !error(unterminated double-quoted string)"),
            ("a | b", "a !error('|' is not supported: wds has no pipelines) b"),
            ("a & b", "a !error('&' is not supported: wds does not run commands in the background) b"),
            ("a `b`", "a !error(backquotes are not supported) b !error(backquotes are not supported)"),
            ("$?", "!error('$?' is not supported)"),
            ("\"$?\"", "!error('$?' is not supported)"),
            ("$#", "!error('$#' is not supported)"),
            ("$@", "!error('$@' is not supported)"),
            ("$*", "!error('$*' is not supported)"),
            ("$$", "!error('$$' is not supported)"),
            ("$!", "!error('$!' is not supported)"),
            ("${x:-d}", "!error(bad '${…}': expected a variable name, then optional .fields, then '}')"),
            ("${}", "!error(bad '${…}': expected a variable name, then optional .fields, then '}')"),
            ("${x", "!error(bad '${…}': expected a variable name, then optional .fields, then '}')"),
            ("$(echo 'a)", "!error(unterminated single-quoted string)"),
        ])
    }

    /// Error tokens point at the offending bytes, with a hint where there is a wds way.
    func testErrorTokenRangesAndHints() {
        let cases: [(String, Int, Int, String?)] = [
            ("echo 'abc", 5, 6, "close it with a ' (a single-quoted string has no escapes)"),
            ("echo \"abc", 5, 6, "close it with a \""),
            ("echo $(date", 5, 7, nil),
            ("a | b", 2, 3, "builtins return values: use $(…) and helpers such as split, contains, lines"),
            ("a & b", 2, 3, nil),
            ("x `b`", 2, 3, "write $(command) for a command's value"),
            ("echo $?", 5, 7, "use the command as a condition: `if cmd { … }`, `cmd || …`, or `try { … } catch err { … }`"),
            ("echo $#", 5, 7, "the number of script arguments is $argc"),
            ("echo $@", 5, 7, "the script arguments are the list $args; spread it with ...$args"),
            ("echo ${x:-d}", 5, 12, "wds has no ${x:-default} forms: write $(if-empty $x default), $(substring $x 0 8), $(count $x), or `env NAME DEFAULT`"),
        ]
        for (source, start, end, hint) in cases {
            let tokens = Lexer.tokenize(SourceFile(name: "t", text: source))
            guard let token = tokens.first(where: { if case .error = $0.kind { return true } else { return false } }),
                  case .error(_, let foundHint) = token.kind else {
                XCTFail("no error token in \(source.debugDescription)")
                continue
            }
            XCTAssertEqual([token.range.start, token.range.end], [start, end], source.debugDescription)
            XCTAssertEqual(foundHint, hint, source.debugDescription)
        }
    }

    /// NUL bytes and invalid UTF-8 are reported once each, up front, at their offset.
    func testEncodingErrors() {
        let cases: [([UInt8], String)] = [
            (Array("echo a\0b".utf8), "!error(NUL byte in source)@6 echo a\0b"),
            ([0x65, 0x20, 0xFF], "!error(invalid UTF-8 in source)@2 e \u{FFFD}"),
            ([0xC3], "!error(invalid UTF-8 in source)@0 \u{FFFD}"),
            ([0x61, 0xE2, 0x82], "!error(invalid UTF-8 in source)@1 a\u{FFFD}"),
            ([0xED, 0xA0, 0x80], "!error(invalid UTF-8 in source)@0 \u{FFFD}\u{FFFD}\u{FFFD}"),
            ([0xC0, 0x80], "!error(invalid UTF-8 in source)@0 \u{FFFD}\u{FFFD}"),
            ([0x00, 0xFF], "!error(NUL byte in source)@0 !error(invalid UTF-8 in source)@1 \0\u{FFFD}"),
            (Array("é ✓ 𝄞".utf8), "é ✓ 𝄞"),
        ]
        for (bytes, expected) in cases {
            let tokens = Lexer.tokenize(SourceFile(name: "t", bytes: bytes))
            let shown = tokens.compactMap { token -> String? in
                if case .error(let message, _) = token.kind { return "!error(\(message))@\(token.range.start)" }
                return Self.show(token)
            }.joined(separator: " ")
            XCTAssertEqual(shown, expected, "\(bytes)")
        }
    }

    /// Deeply nested `$(` is refused with one error token, not a stack overflow.
    func testSubstitutionNestingLimit() {
        let ok = String(repeating: "$(", count: Lexer.maximumNesting) + "x" + String(repeating: ")", count: Lexer.maximumNesting)
        XCTAssertEqual(Self.tokens(ok), String(repeating: "$(", count: Lexer.maximumNesting) + "x" + String(repeating: ")", count: Lexer.maximumNesting))
        let deep = "echo " + String(repeating: "$(", count: 1000) + "x" + String(repeating: ")", count: 1000) + "\nnext"
        XCTAssertEqual(Self.tokens(deep), "echo !error(command substitutions nested too deeply (more than 64))")
    }

    func testSpaceBeforeAndRanges() {
        let tokens = Lexer.tokenize(SourceFile(name: "t", text: "a  \"b c\"$x[d] \\\ne"))
        XCTAssertEqual(tokens.map { "\($0.range.start)..<\($0.range.end)\($0.spaceBefore ? " space" : "")" },
                       ["0..<1", "3..<10 space", "10..<11", "11..<12", "12..<13", "16..<17 space", "17..<17"])
    }

    func testPieceRanges() {
        let file = SourceFile(name: "t", text: "pre\"q $v\"$(c)${w.f}")
        let word = Lexer.tokenize(file)[0].word!
        let ranges = word.pieces.map { piece -> String in
            switch piece {
            case .literal(_, _, let range), .variable(_, _, let range), .substitution(_, let range): return file.text(range)
            }
        }
        XCTAssertEqual(ranges, ["pre", "q ", "$v", "$(c)", "${w.f}"])
        XCTAssertEqual(word.bareText, nil)
        XCTAssertEqual(Lexer.tokenize(SourceFile(name: "t", text: "a\\ b"))[0].word?.literalText, "a b")
        XCTAssertEqual(Lexer.tokenize(SourceFile(name: "t", text: "plain"))[0].word?.bareText, "plain")
        XCTAssertEqual(Lexer.tokenize(SourceFile(name: "t", text: "'q'"))[0].word?.bareText, nil)
        XCTAssertEqual(Lexer.tokenize(SourceFile(name: "t", text: "'q'"))[0].word?.isQuoted, true)
    }

    // MARK: - Helpers

    func check(_ table: [(String, String)], file: StaticString = #filePath, line: UInt = #line) {
        for (source, expected) in table {
            XCTAssertEqual(Self.tokens(source), expected, "source: \(source.debugDescription)", file: file, line: line)
        }
    }

    static func tokens(_ source: String) -> String {
        show(Lexer.tokenize(SourceFile(name: "t", text: source)))
    }

    static func show(_ tokens: [Token]) -> String {
        tokens.compactMap(show).joined(separator: " ")
    }

    static func show(_ token: Token) -> String? {
        switch token.kind {
        case .word(let word): return show(word)
        case .newline: return "NL"
        case .semicolon: return ";"
        case .leftBrace: return "{"
        case .rightBrace: return "}"
        case .leftParen: return "("
        case .rightParen: return ")"
        case .leftBracket: return "["
        case .rightBracket: return "]"
        case .and: return "&&"
        case .or: return "||"
        case .endOfInput: return nil
        case .error(let message, _): return "!error(\(message))"
        }
    }

    static func show(_ word: Word) -> String {
        word.pieces.map { piece in
            switch piece {
            case .literal(let text, let quoted, _):
                let escaped = text.replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t")
                return quoted ? "'\(escaped)'" : escaped
            case .variable(let name, let fields, _):
                return "$" + ([name] + fields).joined(separator: ".")
            case .substitution(let tokens, _):
                return "$(" + show(tokens) + ")"
            }
        }.joined(separator: "+")
    }
}
