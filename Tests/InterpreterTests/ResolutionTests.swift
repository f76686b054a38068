import Builtins
@testable import Interpreter
import protocol Interpreter.Host
import Lexer
import XCTest

/// The checker places each variable use in the scopes the run will make
/// (how many scopes out, which slot) and each call at its function
/// (Resolutions); the run goes straight there, and falls back to the lookup
/// by name whenever the place does not hold the variable that lookup would find.
final class ResolutionTests: XCTestCase {
    typealias Place = Resolutions.Variable

    func testTheCheckerPlacesUsesInBlocksLoopsFunctionsAndHandlers() throws {
        let source = """
            let a = 1
            if true { echo $a }
            if true { let b = 2; echo $b $a }
            for i in [1 2] { echo $i $a }
            for j in [1] { if true { let d = 1; echo $j $d } }
            while false { let c = 1; c = 2 }
            if true { let a = 2; echo "$a" }
            def f(p q) { let l = 1; echo $q $l $a $late; late = 1 }
            let late = 3
            let a = 5
            try { fail "x" } catch e { echo ${e.message} $a }
            f 1 2

            """
        let script = try checked(source)
        // A block that defines nothing has no scope: `$a` is in the global scope itself, after the four predefined.
        XCTAssertEqual(place(script, "$a", 1), .slot(hops: 0, index: 4))
        XCTAssertEqual(place(script, "$b"), .slot(hops: 0, index: 0))
        XCTAssertEqual(place(script, "$a", 2), .slot(hops: 1, index: 4))
        // A `for` makes one scope per item, holding its variable.
        XCTAssertEqual(place(script, "$i"), .slot(hops: 0, index: 0))
        XCTAssertEqual(place(script, "$a", 3), .slot(hops: 1, index: 4))
        XCTAssertEqual(place(script, "$j"), .slot(hops: 1, index: 0))
        XCTAssertEqual(place(script, "$d"), .slot(hops: 0, index: 0))
        XCTAssertEqual(place(script, "c = 2"), .slot(hops: 0, index: 0))
        // A `let` in a block shadows the global.
        XCTAssertEqual(place(script, "$a", 4), .slot(hops: 0, index: 0))
        // A call's frame holds the parameters, then the body's `let`s; the globals are one scope out,
        // at their global places, also those defined after the function.
        XCTAssertEqual(place(script, "$q"), .slot(hops: 0, index: 1))
        XCTAssertEqual(place(script, "$l"), .slot(hops: 0, index: 2))
        XCTAssertEqual(place(script, "$a", 5), .slot(hops: 1, index: 4))
        XCTAssertEqual(place(script, "$late"), .slot(hops: 1, index: 5))
        XCTAssertEqual(place(script, "late = 1"), .slot(hops: 1, index: 5))
        // A second `let a` keeps the first one's slot; a handler's scope holds the error's name.
        XCTAssertEqual(place(script, "${e"), .slot(hops: 0, index: 0))
        XCTAssertEqual(place(script, "$a", 6), .slot(hops: 1, index: 4))
        let call = try XCTUnwrap(offset(of: "f 1 2", in: script))
        guard case .declaration(let function) = script.resolutions.functions[call] else { return XCTFail("call not resolved") }
        XCTAssertEqual(function.name.name, "f")
        // The builtins are not functions.
        guard case .unresolved = script.resolutions.functions[try XCTUnwrap(offset(of: "echo $a", in: script))] else {
            return XCTFail("a builtin call resolved to a function")
        }

        let run = try self.run(script)
        XCTAssertEqual(run.output, "1\n2 1\n1 1\n2 1\n1 1\n2\nx 5\n2 1 5 3\n")
        XCTAssertEqual(run.interpreter.variableLookupsByName, 0)
        XCTAssertEqual(run.interpreter.functionLookupsByName, 0)
    }

    func testSourcedFilesArePlacedWhereTheyAreSourcedAndNotAtAllWhenThatDiffers() throws {
        let files = [
            "lib.wds": "let g = 1\necho $g\n",
            "show.wds": "def show() { echo $later $g }\nlet g = 2\n",
        ]
        // At the top level a sourced file's `let` is a global.
        var script = try checked("source \"lib.wds\"\necho $g\n", files: files)
        var lib = try XCTUnwrap(script.sourced["lib.wds"])
        XCTAssertEqual(place(lib, "$g"), .slot(hops: 0, index: 4))
        XCTAssertEqual(place(script, "$g"), .slot(hops: 0, index: 4))
        // In a block, it is the block's.
        script = try checked("if true { source \"lib.wds\" }\n", files: files)
        lib = try XCTUnwrap(script.sourced["lib.wds"])
        XCTAssertEqual(place(lib, "$g"), .slot(hops: 0, index: 0))
        // Sourced in both places, the same use has two places: it has none.
        script = try checked("source \"lib.wds\"\nif true { let z = 0; source \"lib.wds\" }\n", files: files)
        lib = try XCTUnwrap(script.sourced["lib.wds"])
        XCTAssertEqual(place(lib, "$g"), .unresolved)
        XCTAssertEqual(try self.run(script).output, "1\n1\n")
        // A function of a sourced file sees the globals of the script that sources it, at their places.
        script = try checked("let later = \"late\"\nsource \"show.wds\"\nshow\n", files: files)
        let show = try XCTUnwrap(script.sourced["show.wds"])
        XCTAssertEqual(place(show, "$later"), .slot(hops: 1, index: 4))
        // Its own file's global, defined after the function, in the order of the whole run.
        XCTAssertEqual(place(show, "$g"), .slot(hops: 1, index: 5))
        let run = try self.run(script)
        XCTAssertEqual(run.output, "late 2\n")
        XCTAssertEqual(run.interpreter.variableLookupsByName, 0)
        XCTAssertEqual(run.interpreter.functionLookupsByName, 0)
    }

    /// The hot paths: a loop's body, a function's parameters and the globals
    /// it reads and assigns. If the run stopped using what the checker
    /// resolved, the lookups by name would count every use.
    func testLoopsAndFunctionsRunWithoutLookingNamesUp() throws {
        let script = try checked("""
            let total = 0
            def bump(n) { total = $(add $total $n) }
            for i in [1 2 3 4 5] {
                bump $i
                let square = $(multiply $i $i)
                total = $(add $total $square)
            }
            let k = 0
            while $k < 10 { k = $(add $k 1) }
            echo $total $k

            """)
        let run = try self.run(script)
        XCTAssertEqual(run.output, "70 10\n")
        XCTAssertEqual(run.interpreter.variableLookupsByName, 0)
        XCTAssertEqual(run.interpreter.functionLookupsByName, 0)
    }

    /// Places deliberately wrong, in a script the checker never saw: each
    /// use falls back to the lookup by name and behaves as it always did,
    /// also where the wrong place holds a variable of the same name that an
    /// inner scope hides.
    func testAWrongPlaceFallsBackToTheLookupByName() throws {
        let file = SourceFile(name: "t", path: "t", text: """
            let x = outer
            let y = why
            if true { let x = inner; echo $x }
            echo $y
            y = changed
            echo $y

            """)
        let script = Script(file: file, statements: Parser.parse(file).statements)
        let text = String(decoding: file.bytes, as: UTF8.self)
        func at(_ marker: String, _ occurrence: Int = 1) -> Int { offset(of: marker, occurrence, inText: text)! }
        // The global `x`, though the block's own `x` is nearer.
        script.resolutions.record(.slot(hops: 1, index: 4), at: at("$x"))
        // `x`'s slot, not `y`'s.
        script.resolutions.record(.slot(hops: 0, index: 4), at: at("$y", 1))
        // Past the last slot; past the outermost scope.
        script.resolutions.record(.slot(hops: 0, index: 99), at: at("y = changed"))
        script.resolutions.record(.slot(hops: 3, index: 0), at: at("$y", 2))
        let run = try self.run(script)
        XCTAssertEqual(run.output, "inner\nwhy\nchanged\n")
        XCTAssertEqual(run.interpreter.variableLookupsByName, 4)
    }

    /// The REPL's global scope grows line by line and its functions may
    /// change: each line is checked knowing what came before (as Repl does),
    /// and runs as it did; a call resolved to the first `g` calls the second.
    func testIncrementalExecutionAsInTheREPL() throws {
        let (interpreter, output) = makeInterpreter()
        let lines = [
            "let a = 1", "let b = 2", "def f(x) { echo $x $a $b }", "f 3", "b = 20", "f 4",
            "if true { let a = 100; echo $a $b }", "for i in [7] { b = $i }", "echo $a $b",
            "def g() { echo one }\ndef h() { g }\nh", "def g() { echo two }", "h",
        ]
        for (number, line) in lines.enumerated() {
            let file = SourceFile(name: "line\(number)", text: line + "\n")
            let script = Script(file: file, statements: Parser.parse(file).statements)
            var functions = interpreter.functionDeclarations
            for statement in script.statements {
                if case .function(let declaration) = statement.kind { functions[declaration.name.name] = nil }
            }
            let problems = Checker.check(script, registry: Builtins.standard, knownVariables: interpreter.variableNames,
                                         knownFunctions: functions)
            XCTAssertEqual(problems.map(\.message), [], line)
            _ = try interpreter.execute(script)
        }
        XCTAssertEqual(output.text, "3 1 2\n4 1 20\n100 20\n1 7\none\ntwo\n")
    }

    /// A script run although its check found a function defined twice: the
    /// call finds, by name, the function the run defined last, whatever the
    /// checker resolved it to.
    func testACallFindsTheFunctionByNameOnceANameHasTwo() throws {
        let files = ["a.wds": "def f() { echo a }\n", "b.wds": "def f() { echo b }\n"]
        let source = "source \"a.wds\"\nsource \"b.wds\"\nf\n"
        var loader = Loader(readFile: { path in (path == "t" ? source : files[path]).map { Array($0.utf8) } })
        let script = loader.load(SourceFile(name: "t", path: "t", text: source))
        XCTAssertEqual(Checker.check(script, registry: Builtins.standard).map(\.message), ["function 'f' is defined twice"])
        let run = try self.run(script)
        XCTAssertEqual(run.output, "b\n")
        XCTAssertEqual(run.interpreter.functionLookupsByName, 1)
    }

    // MARK: - Helpers

    func checked(_ source: String, files: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws -> Script {
        var loader = Loader(readFile: { path in (path == "t" ? source : files[path]).map { Array($0.utf8) } })
        let script = loader.load(SourceFile(name: "t", path: "t", text: source))
        XCTAssertEqual(loader.diagnostics.map(\.message), [], file: file, line: line)
        XCTAssertEqual(Checker.check(script, registry: Builtins.standard).map(\.message), [], file: file, line: line)
        return script
    }

    func offset(of marker: String, _ occurrence: Int = 1, inText text: String) -> Int? {
        let bytes = Array(text.utf8), needle = Array(marker.utf8)
        var seen = 0
        for start in 0...(bytes.count - needle.count) where Array(bytes[start..<start + needle.count]) == needle {
            seen += 1
            if seen == occurrence { return start }
        }
        return nil
    }

    func offset(of marker: String, _ occurrence: Int = 1, in script: Script) -> Int? {
        offset(of: marker, occurrence, inText: String(decoding: script.file.bytes, as: UTF8.self))
    }

    /// Where the checker placed the use that starts with the `occurrence`th `marker` of the script's text.
    func place(_ script: Script, _ marker: String, _ occurrence: Int = 1) -> Place? {
        offset(of: marker, occurrence, in: script).flatMap { script.resolutions.variables[$0] }
    }

    final class Output: Host {
        var text = ""
        func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
            if case .print(let printed, _, let newline) = effect { text += printed + (newline ? "\n" : "") }
            return .done
        }
    }

    func makeInterpreter() -> (Interpreter, Output) {
        let output = Output()
        let interpreter = Interpreter(registry: Builtins.standard, context: RunContext(host: output, environment: [:], arguments: []),
                                      scriptPath: "t")
        return (interpreter, output)
    }

    func run(_ script: Script) throws -> (interpreter: Interpreter, output: String) {
        let (interpreter, output) = makeInterpreter()
        XCTAssertEqual(try interpreter.run(script), 0)
        return (interpreter, output.text)
    }
}
