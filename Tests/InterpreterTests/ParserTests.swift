import Interpreter
import Lexer
import XCTest

/// Parser units as one-line tables: source → the AST printed by `ASTDump`,
/// or → the diagnostics as `line:col: message`.
final class ParserTests: XCTestCase {
    func testVariablesAndValues() {
        check([
            ("let x = 1", "(let x 1)"),
            ("let x = \"a b\"", "(let x \"a b\")"),
            ("let x = 'a'b", "(let x \"a\"+b)"),
            ("let x = $y", "(let x $y)"),
            ("let x = ${y.f}.txt", "(let x $y.f+.txt)"),
            ("let x = \"v=$y\"", "(let x \"v=\"+$y)"),
            ("let x = $(echo a)", "(let x $(echo a))"),
            ("let x = $(echo $(basename $p))", "(let x $(echo $(basename $p)))"),
            ("let x = [a \"b c\" $y]", "(let x [a \"b c\" $y])"),
            ("let x = []", "(let x [])"),
            ("let x = [a [b c]]", "(let x [a [b c]])"),
            ("let x = [\n  a\n  b\n]", "(let x [a b])"),
            ("let x = [...$a b]", "(let x [...$a b])"),
            ("x = 2", "(set x 2)"),
            ("x = $(add $x 1)", "(set x $(add $x 1))"),
            ("let x = ...", "(let x ...)"),
            ("let x = ...abc", "(let x ...abc)"),
        ])
    }

    func testCommands() {
        check([
            ("echo", "(echo)"),
            ("echo a b", "(echo a b)"),
            ("echo ...$l", "(echo ...$l)"),
            ("echo ...$(split $x)", "(echo ...$(split $x))"),
            ("echo --stderr \"x\"", "(echo --stderr \"x\")"),
            ("echo a; echo b", "(echo a); (echo b)"),
            ("echo a\n\n\necho b", "(echo a); (echo b)"),
            ("run /bin/echo \\\n  hi", "(run /bin/echo hi)"),
            ("sysctl get net.ipv4.ip_forward", "(sysctl get net.ipv4.ip_forward)"),
            ("echo a # comment", "(echo a)"),
        ])
    }

    func testConditions() {
        check([
            ("a && b", "(&& (a) (b))"),
            ("a || b", "(|| (a) (b))"),
            ("a && b || c", "(|| (&& (a) (b)) (c))"),
            ("a || b && c", "(|| (a) (&& (b) (c)))"),
            ("! a", "(! (a))"),
            ("! ! a", "(! (! (a)))"),
            ("! a && b", "(&& (! (a)) (b))"),
            ("a &&\n  b", "(&& (a) (b))"),
            ("a ||\n\n  b", "(|| (a) (b))"),
            ("$x == 1", "(== $x 1)"),
            ("$x != \"a b\"", "(!= $x \"a b\")"),
            ("$x < 2", "(< $x 2)"),
            ("$x <= 2", "(<= $x 2)"),
            ("$x > 2", "(> $x 2)"),
            ("$x >= 2", "(>= $x 2)"),
            ("\"==\" == $x", "(== \"==\" $x)"),
            ("$a == $b && $c != 1", "(&& (== $a $b) (!= $c 1))"),
            ("$flag", "(test $flag)"),
            ("true", "(test true)"),
            ("false || true", "(|| (test false) (test true))"),
            ("\"true\"", "(test \"true\")"),
            ("$(is-dir /x)", "(test $(is-dir /x))"),
            ("! exists $p", "(! (exists $p))"),
        ])
    }

    func testIf() {
        check([
            ("if a { b }", "(if (a) {(b)})"),
            ("if a {\n  b\n  c\n}", "(if (a) {(b); (c)})"),
            ("if a { } else { c }", "(if (a) {} else {(c)})"),
            ("if a { b } elif c { d } elif e { f } else { g }",
             "(if (a) {(b)} elif (c) {(d)} elif (e) {(f)} else {(g)})"),
            ("if a {\n} \nelif c {\n}\nelse {\n}", "(if (a) {} elif (c) {} else {})"),
            ("if true { }", "(if (test true) {})"),
            ("if ! is-dir $d && $x == 1 { }", "(if (&& (! (is-dir $d)) (== $x 1)) {})"),
            ("if a { if b { c } }", "(if (a) {(if (b) {(c)})})"),
            ("if a { b }\necho", "(if (a) {(b)}); (echo)"),
            ("if a { b }; echo", "(if (a) {(b)}); (echo)"),
        ])
    }

    func testLoops() {
        check([
            ("for x in [a b] { echo $x }", "(for x in [a b] {(echo $x)})"),
            ("for x in $list { }", "(for x in $list {})"),
            ("for x in $(split $t) { }", "(for x in $(split $t) {})"),
            ("while $i < 3 { i = $(add $i 1) }", "(while (< $i 3) {(set i $(add $i 1))})"),
            ("while true { break }", "(while (test true) {break})"),
            ("for x in $l { if $x == a { continue }; echo $x }",
             "(for x in $l {(if (== $x a) {continue}); (echo $x)})"),
        ])
    }

    func testMatch() {
        check([
            ("match $x { a { echo 1 } }", "(match $x (a {(echo 1)}))"),
            ("match $x { a b \"c d\" { } *.txt { } else { e } }",
             "(match $x (a b \"c d\" {}) (*.txt {}) else {(e)})"),
            ("match $x {\n  a {\n  }\n  else {\n  }\n}", "(match $x (a {}) else {})"),
            ("match \"$a-$b\" { x-? { } }", "(match $a+\"-\"+$b (x-? {}))"),
        ])
    }

    func testFunctionsAndControl() {
        check([
            ("def f() { }", "(def f() {})"),
            ("def f(a) { return $a }", "(def f(a) {(return $a)})"),
            ("def f(a, b) { return }", "(def f(a b) {(return)})"),
            ("def f(a b c) { }", "(def f(a b c) {})"),
            ("def f(a,b) { }", "(def f(a b) {})"),
            ("def f(a ,b,c) { }", "(def f(a b c) {})"),
            ("exit", "(exit)"),
            ("exit 3", "(exit 3)"),
            ("exit $code", "(exit $code)"),
            ("break", "break"),
            ("continue", "continue"),
        ])
    }

    func testTryLockSource() {
        check([
            ("try { a } catch e { b }", "(try {(a)} catch e {(b)})"),
            ("try { a } catch { b }", "(try {(a)} catch {(b)})"),
            ("try {\n  a\n}\ncatch err {\n}", "(try {(a)} catch err {})"),
            ("lock /run/x.lock { a }", "(lock /run/x.lock {(a)})"),
            ("lock \"$d/lock\" timeout 10s { }", "(lock $d+\"/lock\" timeout 10s {})"),
            ("source \"lib.wds\"", "(source \"lib.wds\")"),
            ("source lib.wds", "(source lib.wds)"),
        ])
    }

    /// Every error is reported, as `line:col: message`, and the parser goes on at the next statement.
    func testDiagnostics() {
        checkErrors([
            ("echo \"abc", ["1:6: unterminated double-quoted string"]),
            ("echo 'abc", ["1:6: unterminated single-quoted string"]),
            ("if a {\n  b", ["2:4: expected '}' to close 'if' from line 1"]),
            ("if a {\n  if b {\n", ["3:1: expected '}' to close 'if' from line 2"]),
            ("match x {\n a { }", ["2:7: expected '}' to close 'match' from line 1"]),
            ("let l = [a b", ["1:13: expected ']' to close the list from line 1"]),
            ("echo $(date", ["1:6: unterminated '$(': expected ')'"]),
            ("echo a\n}\necho b", ["2:1: unexpected '}' with no block open"]),
            ("if a { } else if b { }", ["1:10: write 'elif', not 'else if'"]),
            ("x=1", ["1:1: 'x=1' looks like a shell assignment"]),
            ("[[ $a == b ]]", ["1:1: '[[' is shell syntax, not wds"]),
            ("if [ -f x ] { }", ["1:4: a list cannot be run as a command"]),
            ("if a then\n  b\nfi", ["1:10: expected '{' to open the body of 'if', found end of line",
                                     "3:1: 'fi' is shell syntax, not wds"]),
            ("for x in a; do\n  b\ndone", ["1:11: expected '{' to open the body of 'for', found ';'",
                                           "1:13: 'do' is shell syntax, not wds",
                                           "3:1: 'done' is shell syntax, not wds"]),
            ("echo $?", ["1:6: '$?' is not supported"]),
            ("echo a 2>/dev/null", ["1:8: redirection is not supported"]),
            ("echo a > f", ["1:8: redirection is not supported"]),
            ("echo a | b", ["1:8: '|' is not supported: wds has no pipelines"]),
            ("echo `date`", ["1:6: backquotes are not supported"]),
            ("function f { }", ["1:1: 'function' is shell syntax, not wds"]),
            ("export X=1", ["1:1: 'export' is shell syntax, not wds"]),
            ("else { }", ["1:1: 'else' without a matching 'if'"]),
            ("catch { }", ["1:1: 'catch' without a matching 'try'"]),
            ("let = 1", ["1:5: expected a variable name, found '='"]),
            ("let if = 1", ["1:5: 'if' is a keyword and cannot be used as a variable name"]),
            ("let x 1", ["1:7: expected '=' after 'let x', found '1'"]),
            ("let x =", ["1:8: expected a value after '='"]),
            ("let x = a b", ["1:11: expected one value after '=', found another word"]),
            ("let x = ...$l", ["1:9: a spread '...' only makes sense among a command's arguments or in a list"]),
            ("echo a = b", ["1:8: '=' compares two values: write `a == b` alone as the condition"]),
            ("if $a = b { }", ["1:7: '=' assigns; compare with '=='"]),
            ("echo $a == b", ["1:9: '==' compares two values: write `a == b` alone as the condition"]),
            ("$cmd arg", ["1:1: a command name must be written literally"]),
            ("for x in a b { }", ["1:12: 'for' loops over one list value, found another word"]),
            ("for x { }", ["1:7: expected 'in' after 'for x', found '{'"]),
            ("for x in { }", ["1:10: expected a list to loop over before '{'"]),
            ("match x { $y { } }", ["1:11: a match pattern must be literal text"]),
            ("match x { else { } else { } }", ["1:20: 'match' has two 'else' arms"]),
            ("def f { }", ["1:7: expected '(' after the function name, found '{'"]),
            ("def f(a, a) { }", ["1:10: parameter 'a' is declared twice"]),
            ("def f(if) { }", ["1:7: 'if' is not a valid parameter name"]),
            ("try { }", ["1:8: expected 'catch' after the 'try' block"]),
            ("lock { }", ["1:6: expected the path of the lock file after 'lock'"]),
            ("source", ["1:7: expected a file after 'source'"]),
            ("source $f", ["1:8: the file of 'source' must be written literally"]),
            ("echo $()", ["1:6: empty command substitution '$()'"]),
            ("echo $(a b; c)", ["1:11: expected ')' to end the command substitution, found ';'"]),
            ("echo (a)", ["1:6: unexpected '('"]),
            ("let l = [a, b]", ["1:10: list elements are separated by blanks, not commas"]),
            ("a &&", ["1:5: expected a command, found end of input"]),
            ("echo ...$a$b", ["1:6: a spread takes exactly one value: ...$list or ...$(command)"]),
            ("echo a b c\necho $?\nx=2\necho `x`", ["2:6: '$?' is not supported",
                                                    "3:1: 'x=2' looks like a shell assignment",
                                                    "4:6: backquotes are not supported"]),
        ])
    }

    func testMatchRecoversInsideItsBraces() {
        // The error is inside the match's braces; recovery skips to its close, not to a stray '}'.
        checkErrors([("match x { $y { } }\necho ok\n}", ["1:11: a match pattern must be literal text",
                                                           "3:1: unexpected '}' with no block open"])])
    }

    func testDeepNestingIsOneDiagnostic() {
        let source = String(repeating: "if true {\n", count: 500) + String(repeating: "}\n", count: 500)
        checkErrors([(source, ["101:9: nesting too deep (more than 100 levels)"])])
        let lists = "let x = " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        checkErrors([(lists, ["1:109: nesting too deep (more than 100 levels)"])])
        let mixed = String(repeating: "if true {\n", count: 90) + "echo " + String(repeating: "$(echo ", count: 20)
            + String(repeating: ")", count: 20) + "\n" + String(repeating: "}\n", count: 90)
        checkErrors([(mixed, ["91:76: nesting too deep (more than 100 levels)"])])
        let fine = String(repeating: "if true {\n", count: 100) + String(repeating: "}\n", count: 100)
        checkErrors([(fine, [])])
    }

    /// The REPL shows a continuation prompt when the input merely stopped early.
    func testIncomplete() {
        let cases: [(String, Bool)] = [
            ("if a {", true), ("if a {\n b", true), ("let l = [a", true), ("echo \"abc", true),
            ("echo 'a", true), ("a &&", true), ("a ||\n", true), ("match x {", true),
            ("echo $(a", true), ("try { }", true),
            ("echo a", false), ("}", false), ("x=1", false), ("if a { }", false), ("echo a |", false),
        ]
        for (source, incomplete) in cases {
            XCTAssertEqual(Parser.parse(SourceFile(name: "t", text: source)).incomplete, incomplete, source.debugDescription)
        }
    }

    /// Diagnostics point at the token at fault; statements keep their keyword's range.
    func testRanges() {
        let file = SourceFile(name: "t", text: "let x = $(f a)\nif $x == 1 {\n  echo  b c\n}")
        let statements = Parser.parse(file).statements
        XCTAssertEqual(statements.map { file.text($0.keywordRange) }, ["let", "if"])
        XCTAssertEqual(file.text(statements[1].range), "if $x == 1 {\n  echo  b c\n}")
        guard case .if(let branches, _) = statements[1].kind, case .pipeline(let echo) = branches[0].body.statements[0].kind,
              case .command(let command) = echo.kind else { return XCTFail("shape") }
        XCTAssertEqual(file.text(command.range), "echo  b c")
        XCTAssertEqual(command.arguments.map { file.text($0.range) }, ["b", "c"])
        XCTAssertEqual(file.text(command.name.range), "echo")
    }

    /// The parser's output, printed, parses back to the same shape (a small round trip).
    func testDumpIsStable() {
        let source = "let x = [a b]\nfor i in $x { if $i == a { echo ...$x } else { exit 1 } }"
        let first = ASTDump.program(Parser.parse(SourceFile(name: "t", text: source)).statements)
        let second = ASTDump.program(Parser.parse(SourceFile(name: "t", text: source + "\n\n")).statements)
        XCTAssertEqual(first, second)
        XCTAssertEqual(first, "(let x [a b]); (for i in $x {(if (== $i a) {(echo ...$x)} else {(exit 1)})})")
    }

    // MARK: - Helpers

    func check(_ table: [(String, String)], file: StaticString = #filePath, line: UInt = #line) {
        for (source, expected) in table {
            let result = Parser.parse(SourceFile(name: "t", text: source))
            XCTAssertEqual(result.diagnostics.map { $0.render() }, [], source.debugDescription, file: file, line: line)
            XCTAssertEqual(ASTDump.program(result.statements), expected, source.debugDescription, file: file, line: line)
        }
    }

    func checkErrors(_ table: [(String, [String])], file: StaticString = #filePath, line: UInt = #line) {
        for (source, expected) in table {
            let diagnostics = Parser.parse(SourceFile(name: "t", text: source)).diagnostics
            let shown = diagnostics.map { diagnostic -> String in
                guard let range = diagnostic.range else { return diagnostic.message }
                let (l, c) = range.file.lineAndColumn(of: range.start)
                return "\(l):\(c): \(diagnostic.message)"
            }
            XCTAssertEqual(shown, expected, source.count < 200 ? source.debugDescription : String(source.prefix(40)) + "…",
                           file: file, line: line)
        }
    }
}
