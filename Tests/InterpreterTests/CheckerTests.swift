import Builtins
@testable import Interpreter
import Lexer
import XCTest

/// Checker units: source (with any sourced files, in memory) → every
/// diagnostic as `line:col: message (hint)`, in source order; a diagnostic
/// in a sourced file is prefixed with its name.
final class CheckerTests: XCTestCase {
    func testCleanScriptsHaveNoDiagnostics() {
        check([
            ("let x = 1\nx = 2\necho $x", []),
            ("echo $args $argc $script $script_dir $1", []),
            ("def f(a) { return $a }\necho $(f 1)", []),
            ("echo $(g)\ndef g() { return 1 }", []),  // functions are hoisted
            ("let g = 1\ndef f() { echo $g }", []),  // a function sees every global
            ("def f() { echo $later }\nlet later = 1", []),
            ("for x in [a b] { echo $x }", []),
            ("for x in $args { if $x == a { continue }; break }", []),
            ("while true { break }", []),
            ("try { fail x } catch e { echo $e.message }", []),
            ("if true { let y = 1; echo $y }", []),
            ("let l = [a]\necho ...$l\nf ...$l\ndef f(a, b) { }", []),  // a spread defers the count
            ("sysctl get net.ipv4.ip_forward", []),
            ("echo --stderr -- --not-an-option", []),
            ("lock /tmp/x timeout 500ms { }", []),
            ("exit 255", []),
            ("exit $argc", []),
        ])
    }

    func testCommandsAndArguments() {
        check([
            ("ecko hi", ["1:1: unknown command 'ecko' (did you mean 'echo'?)"]),
            ("frobnicate", ["1:1: unknown command 'frobnicate' (to run a program, write `run frobnicate …`)"]),
            ("grep x", ["1:1: unknown command 'grep' (use `contains`, `has-prefix` or `lines` on values)"]),
            ("def greet() { }\ngreat", ["2:1: unknown command 'great' (did you mean 'greet'?)"]),
            ("sysctl", ["1:1: 'sysctl' needs a subcommand: get, set"]),
            ("sysctl gte a.b", ["1:8: unknown subcommand 'gte' of 'sysctl' (did you mean 'get'?)"]),
            ("sysctl frob a.b", ["1:8: unknown subcommand 'frob' of 'sysctl' (write `sysctl set KEY VALUE`; `sysctl get KEY` reads one)"]),
            ("echo --bogus", ["1:6: unknown option '--bogus' for 'echo' (options of 'echo': --stderr, --no-newline)"]),
            ("echo --stder x", ["1:6: unknown option '--stder' for 'echo' (did you mean '--stderr'?)"]),
            ("basename -x a", ["1:10: unknown option '-x' for 'basename' ('basename' takes no options; write `--` before a value that starts with '-')"]),
            ("fail --status", ["1:6: option '--status' needs a value (N)"]),
            ("mkdir -p -p /x", ["1:10: option '--parents' is given twice"]),
            ("write-file /x", ["1:12: 'write-file' needs TEXT (usage: write-file PATH TEXT)"]),
            ("trim", ["1:1: 'trim' needs TEXT (usage: trim TEXT)"]),
            ("basename a b", ["1:12: too many arguments for 'basename' (usage: basename PATH) (quote text with spaces to keep it one argument)"]),
            ("sysctl get nodots", ["1:12: 'nodots' is not a sysctl key like net.ipv4.ip_forward"]),
            ("sysctl set a..b 1", ["1:12: 'a..b' is not a sysctl key like net.ipv4.ip_forward"]),
            ("env 1BAD", ["1:5: '1BAD' is not a valid name"]),
            ("add 1 two", ["1:7: expected a whole number, got 'two'"]),
            ("trim [a b]", ["1:6: expected text, got a list (spread a list into several arguments with ...$list)"]),
            ("join a", ["1:6: expected a list, got 'a' (write a list as [a b c])"]),
            ("lock /x timeout soon { }", ["1:17: 'soon' is not a duration (write 10s, 500ms or 2m)"]),
            ("def f(a) { }\nf", ["2:1: 'f' takes 1 argument(s), got 0 (it is defined at t:1:5)"]),
            ("def f(a) { }\nf 1 2", ["2:1: 'f' takes 1 argument(s), got 2 (it is defined at t:1:5)"]),
            ("def echo() { }", ["1:5: function 'echo' would hide the builtin of the same name"]),
            ("def f() { }\ndef f() { }", ["2:5: function 'f' is defined twice (the first definition is at t:1:5)"]),
        ])
    }

    func testVariablesAndScopes() {
        check([
            ("let name = 1\necho $nmae", ["2:6: undefined variable 'nmae' (did you mean 'name'?)"]),
            ("echo $HOME", ["1:6: undefined variable 'HOME' (to read the environment, write $(env HOME))"]),
            ("echo \"${zzz.f}\"", ["1:7: undefined variable 'zzz'"]),
            ("y = 2", ["1:1: assignment to undefined variable 'y' (define it first with `let y = …`)"]),
            ("if true { let y = 1 }\necho $y", ["2:6: undefined variable 'y'"]),
            ("for x in [a] { }\necho $x", ["2:6: undefined variable 'x'"]),
            ("try { } catch e { }\necho $e", ["2:6: undefined variable 'e'"]),
            ("def f(a) { }\necho $a", ["2:6: undefined variable 'a'"]),
            ("echo $x\nlet x = 1", ["1:6: undefined variable 'x'"]),
            ("let l = [$u ...$v]", ["1:10: undefined variable 'u'", "1:16: undefined variable 'v'"]),
            ("echo $(trim $w)", ["1:13: undefined variable 'w'"]),
        ])
    }

    func testMisplacedStatements() {
        check([
            ("return 1", ["1:1: 'return' outside a function (use `exit N` to end the script)"]),
            ("if true { return }", ["1:11: 'return' outside a function (use `exit N` to end the script)"]),
            ("break", ["1:1: 'break' outside a loop"]),
            ("continue", ["1:1: 'continue' outside a loop"]),
            ("for x in [a] { def f() { break } }",
             ["1:16: functions are defined at the top level of a script only", "1:26: 'break' outside a loop"]),
            ("if true { def f() { } }", ["1:11: functions are defined at the top level of a script only"]),
            ("exit 256", ["1:6: 'exit' needs a status from 0 to 255, got '256'"]),
            ("exit -1", ["1:6: 'exit' needs a status from 0 to 255, got '-1'"]),
            ("for x in \"a b\" { }", ["1:10: 'for' needs a list, got the text 'a b' (write a list as [a b c]; wds never splits text by itself)"]),
        ])
    }

    func testEveryErrorIsReported() {
        check([
            ("ecko a\necho $nope\nbreak\ny = 1\nsysctl get x", [
                "1:1: unknown command 'ecko' (did you mean 'echo'?)",
                "2:6: undefined variable 'nope'",
                "3:1: 'break' outside a loop",
                "4:1: assignment to undefined variable 'y' (define it first with `let y = …`)",
                "5:12: 'x' is not a sysctl key like net.ipv4.ip_forward",
            ]),
        ])
    }

    func testSourcedFiles() {
        let files = [
            "lib.wds": "let greeting = hi\ndef shout(x) { echo $x }",
            "self.wds": "source \"self.wds\"",
            "a.wds": "source \"b.wds\"",
            "b.wds": "source \"a.wds\"",
            "bad.wds": "ecko",
            "dir/inner.wds": "source \"other.wds\"",
            "dir/other.wds": "let deep = 1",
        ]
        check([
            ("source \"lib.wds\"\nshout $greeting", []),
            ("source \"lib.wds\"\nshout", ["2:1: 'shout' takes 1 argument(s), got 0 (it is defined at lib.wds:2:5)"]),
            ("source \"missing.wds\"", ["1:8: cannot read sourced file 'missing.wds': No such file or directory"]),
            ("source \"self.wds\"", ["self.wds:1:8: 'self.wds' sources itself (through t → self.wds)"]),
            ("source \"a.wds\"", ["b.wds:1:8: 'a.wds' sources itself (through t → a.wds → b.wds)"]),
            ("source \"bad.wds\"", ["bad.wds:1:1: unknown command 'ecko' (did you mean 'echo'?)"]),
            ("source \"dir/inner.wds\"\necho $deep", []),
            ("source \"t\"", ["1:8: 't' sources itself (through t)"]),
        ], files: files)
    }

    /// `ip …` is a builtin of the network family wherever wds has one: the hint names
    /// it, with `--netns` for `ip -n NS`; only the rest is left to `run ip`.
    func testIpCommandsPointAtTheirBuiltins() {
        let cases: [(String, String)] = [
            ("ip link add w0 type bridge", "write `bridge create NAME`"),
            ("ip -n c1 link add v0 type veth peer name v1", "write `veth create NAME PEER --netns c1`"),
            ("ip l set dev w0 up", "write `link set NAME …`"),
            ("ip addr add 192.0.2.1/24 dev w0", "write `address add IFACE ADDRESS/LEN`"),
            ("ip -4 a flush dev w0", "write `address add IFACE ADDRESS/LEN`"),
            ("ip r replace default via 192.0.2.1", "write `route add DESTINATION --via GATEWAY`"),
            ("ip netns add c1", "write `netns create NAME`"),
            ("ip rule add from 192.0.2.0/24 table 10", "wds has no builtin for `ip rule`"),
            ("ip neigh show", "wds has no builtin for `ip neigh`"),
        ]
        for (line, start) in cases {
            let words = line.split(separator: " ").dropFirst().map(String.init)
            XCTAssertTrue(Checker.ipHabit(words).hasPrefix(start), "\(line): \(Checker.ipHabit(words))")
        }
        // Through the checker itself, as a porter meets it.
        check([("ip link add w0 type bridge", ["1:1: unknown command 'ip' (write `bridge create NAME`)"])])
    }

    /// A script that starts itself with `run-script` is loaded once more, as
    /// its own child, which starts itself again: a cycle. Nothing of it may
    /// outlive the script the loader gave back (the REPL and the language
    /// server load scripts again and again).
    func testAScriptThatStartsItselfIsFreedWithItsRoot() {
        weak var root: Script?
        weak var child: Script?
        do {
            var loader = Loader(readFile: { path in path == "/w/self.wds" ? Array("run-script $script_dir/self.wds\n".utf8) : nil })
            let script = loader.load(SourceFile(name: "/w/self.wds", path: "/w/self.wds", text: "run-script $script_dir/self.wds\n"))
            XCTAssertEqual(loader.diagnostics.map(\.message), [])
            let loaded = script.children["/w/self.wds"]
            XCTAssertNotNil(loaded)
            // The child starts itself: the same script, not a third copy.
            XCTAssertTrue(loaded?.children["/w/self.wds"] === loaded)
            XCTAssertEqual(Checker.check(script, registry: Builtins.standard).map(\.message), [])
            root = script
            child = loaded
        }
        XCTAssertNil(root, "the root script outlived its last reference")
        XCTAssertNil(child, "the self-starting child outlived its root: a reference cycle")
    }

    // MARK: - Helpers

    func check(_ table: [(String, [String])], files: [String: String] = [:],
               file: StaticString = #filePath, line: UInt = #line) {
        for (source, expected) in table {
            var loader = Loader(readFile: { path in (path == "t" ? source : files[path]).map { Array($0.utf8) } })
            let script = loader.load(SourceFile(name: "t", path: "t", text: source))
            var diagnostics = loader.diagnostics
            if diagnostics.isEmpty { diagnostics = Checker.check(script, registry: Builtins.standard) }
            let shown = diagnostics.map { diagnostic -> String in
                var text = diagnostic.message
                if let range = diagnostic.range {
                    let (l, c) = range.file.lineAndColumn(of: range.start)
                    text = (range.file.name == "t" ? "" : range.file.name + ":") + "\(l):\(c): " + text
                }
                return diagnostic.hint.map { text + " (\($0))" } ?? text
            }
            XCTAssertEqual(shown, expected, source.debugDescription, file: file, line: line)
        }
    }
}
