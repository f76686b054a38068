// The libFuzzer entry point: arbitrary bytes → lexer → parser → loader →
// checker, exactly the path `wds check` takes, with `source` answered from
// memory; then, for a script that passes, evaluation in trace mode against a
// host made of memory (FuzzEvaluate.swift). It acts on nothing; it asserts
// what must hold for every input:
//
//  - no crash, no trap, no unbounded recursion (libFuzzer reports those);
//  - every lexer error token becomes a diagnostic (nothing is dropped);
//  - an input with a NUL byte or invalid UTF-8 is rejected;
//  - every diagnostic points inside its file and renders as
//    `name:line:col: error: …`, its first line free of raw control characters;
//  - parsing is deterministic (a second parse gives the same diagnostics).
//
// Built by fuzz/build (swiftc -sanitize=fuzzer); run by scripts/dev/fuzz.
import Backends
import Builtins
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// Stops the run the way libFuzzer reports a crash: the input is saved as `crash-…`.
func violated(_ what: String, _ bytes: [UInt8]) -> Never {
    let text = "wds-fuzz: invariant violated: \(what)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    abort()
}

/// A sourced file is read from memory: `source` of a name beginning with `a`
/// gives the input itself (so self-sourcing and cycles are reached), any other
/// name does not exist.
func loadInMemory(_ bytes: [UInt8]) -> (Script, [Diagnostic]) {
    var loader = Loader(readFile: { path in
        let base = path.split(separator: "/").last.map(String.init) ?? path
        return base.hasPrefix("a") ? bytes : nil
    })
    let script = loader.load(SourceFile(name: "fuzz.wds", path: "./fuzz.wds", bytes: bytes))
    return (script, loader.diagnostics)
}

func checkRendering(_ diagnostic: Diagnostic, _ bytes: [UInt8]) {
    let rendered = diagnostic.render()
    if let range = diagnostic.range {
        if range.start < 0 || range.end > range.file.bytes.count || range.start > range.end {
            violated("diagnostic range \(range.start)..<\(range.end) outside its file (\(range.file.bytes.count) bytes): \(diagnostic.message)", bytes)
        }
        // A file name is shown escaped, like every value (a sourced file's name may hold a newline).
        if !rendered.hasPrefix("\(Diagnostic.escaped(range.file.name)):") || !rendered.contains(": \(diagnostic.severity.rawValue): ") {
            violated("diagnostic does not render as name:line:col: …: \(rendered)", bytes)
        }
    }
    if diagnostic.message.isEmpty { violated("empty diagnostic message", bytes) }
    // The first line is the message, whatever values it quotes: nothing in it starts another line.
    if let first = rendered.split(separator: "\n", maxSplits: 1).first,
       first.contains("\r") || first.unicodeScalars.contains(where: { $0.value == 0x1B }) {
        violated("a rendered diagnostic line holds a raw control character: \(first)", bytes)
    }
    for note in diagnostic.notes { checkRendering(note, bytes) }
}

func fuzzOne(_ bytes: [UInt8]) {
    let file = SourceFile(name: "fuzz.wds", path: "./fuzz.wds", bytes: bytes)
    let tokens = Lexer.tokenize(file)
    let lexErrors = tokens.filter { if case .error = $0.kind { return true } else { return false } }.count
    let (_, parseDiagnostics, _) = Parser.parse(file)
    if lexErrors > 0 && parseDiagnostics.isEmpty {
        violated("\(lexErrors) lexer error token(s) but no parser diagnostic", bytes)
    }
    if (bytes.contains(0) || String(validating: bytes, as: UTF8.self) == nil) && parseDiagnostics.isEmpty {
        violated("a NUL byte or invalid UTF-8 was accepted", bytes)
    }
    let again = Parser.parse(SourceFile(name: "fuzz.wds", path: "./fuzz.wds", bytes: bytes)).diagnostics
    if again.map(\.message) != parseDiagnostics.map(\.message) { violated("parsing is not deterministic", bytes) }

    let (script, loadDiagnostics) = loadInMemory(bytes)
    var diagnostics = loadDiagnostics
    if loadDiagnostics.isEmpty {
        diagnostics = Checker.check(script, registry: Builtins.standard)
    }
    for diagnostic in parseDiagnostics + diagnostics { checkRendering(diagnostic, bytes) }
    // What passes the check is run, traced against memory (FuzzEvaluate.swift).
    if loadDiagnostics.isEmpty && diagnostics.isEmpty { fuzzEvaluate(script, bytes) }
    #if WDS_FUZZ_FORMAT
    fuzzFormat(bytes, accepted: parseDiagnostics.isEmpty)
    #endif
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    fuzzOne(bytes)
    return 0
}
