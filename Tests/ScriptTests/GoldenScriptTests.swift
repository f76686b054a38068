import Driver
import Foundation
import Interpreter
import TestSupport
import XCTest

/// Golden script tests. Every `Scripts/<feature>/NAME.wds` is a real program
/// with `NAME.expected` beside it (see `Expected`); it runs in-process through
/// `Driver.run`, once for real and once traced, each with a fresh temporary
/// directory as `$1` (the only place a script may write). Files whose name
/// starts with `_` are helpers that other scripts source, not tests.
///
/// `WDS_RECORD=1 swift test --filter ScriptTests` rewrites the expected files
/// in the source tree from what the scripts did, for review with `git diff`.
final class GoldenScriptTests: XCTestCase {
    /// The environment every script sees, so `env` gives the same answers everywhere.
    static let environment = ["WDS_GREETING": "hello from the environment", "WDS_EMPTY": ""]

    func testEveryScript() throws {
        let scripts = try GoldenScript.all()
        XCTAssertGreaterThan(scripts.count, 50, "the Scripts folder was not found or is nearly empty")
        let record = ProcessInfo.processInfo.environment["WDS_RECORD"] == "1"
        // hostile/ reaches the host (iptables, mounts): HostileInputTests runs it in a namespace.
        for script in scripts where script.feature != "hostile" {
            let expected = try script.expected()
            let run = try script.run(.run, arguments: expected.arguments)
            let trace = try script.run(.trace, arguments: expected.arguments)
            let actual = Expected(arguments: expected.arguments, status: run.status, stdout: run.stdout, stderr: run.stderr,
                                  trace: trace.stdout,
                                  traceStatus: trace.status == run.status ? nil : trace.status,
                                  traceStderr: trace.stderr == run.stderr ? nil : trace.stderr)
            if record {
                try actual.serialized.write(to: script.sourceExpectedURL, atomically: true, encoding: .utf8)
                continue
            }
            let name = script.name
            XCTAssertEqual(actual.status, expected.status, "\(name): status (run)")
            XCTAssertEqual(actual.stdout, expected.stdout, "\(name): stdout (run)")
            XCTAssertEqual(actual.stderr, expected.stderr, "\(name): stderr (run)")
            XCTAssertEqual(actual.trace, expected.trace, "\(name): trace")
            XCTAssertEqual(trace.status, expected.traceStatus ?? expected.status, "\(name): status (trace)")
            XCTAssertEqual(trace.stderr, expected.traceStderr ?? expected.stderr, "\(name): stderr (trace)")
            // The temporary directory holds what the real run wrote; a trace writes nothing.
            XCTAssertEqual(trace.leftovers, [], "\(name): the trace wrote files")
            if script.feature == "errors" {
                // A script that fails the check must not run at all: each begins by writing a file.
                XCTAssertEqual(run.status, ExitStatus.usage, "\(name): a malformed script exits with 2")
                XCTAssertEqual(run.leftovers, [], "\(name): a statement ran although the check failed")
                XCTAssertEqual(run.stdout, "", "\(name): output although the check failed")
                XCTAssertEqual(trace.stdout, "", "\(name): trace output although the check failed")
                XCTAssertTrue(run.stderr.contains(": error: "), "\(name): no rendered diagnostic")
            }
        }
    }

    /// There are enough malformed scripts, and each begins by writing the marker file.
    func testMalformedScriptsBeginWithAWrite() throws {
        let errors = try GoldenScript.all().filter { $0.feature == "errors" }
        XCTAssertGreaterThanOrEqual(errors.count, 30)
        let marker = Array("write-file \"$1/ran\" yes\n".utf8)
        for script in errors {
            let bytes = try Data(contentsOf: script.url)
            XCTAssertTrue(bytes.starts(with: marker), "\(script.name) must begin with: write-file \"$1/ran\" yes")
        }
    }

    /// 500 nested blocks: one diagnostic, exit status 2, nothing run, no crash.
    func testDeepNestingIsADiagnostic() throws {
        let directory = try GoldenScript.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = "write-file \"$1/ran\" yes\n" + String(repeating: "if true {\n", count: 500)
            + "echo deep\n" + String(repeating: "}\n", count: 500)
        let path = directory + "/deep.wds"
        try source.write(toFile: path, atomically: true, encoding: .utf8)
        for mode in [Driver.Mode.run, .trace] {
            let result = GoldenScript.drive(path: path, mode: mode, arguments: [directory], environment: [:])
            XCTAssertEqual(result.status, 2)
            XCTAssertEqual(result.stdout, "")
            XCTAssertEqual(result.stderr.replacingOccurrences(of: directory + "/", with: ""), """
                deep.wds:102:9: error: nesting too deep (more than 100 levels)
                 102 | if true {
                     |         ^
                hint: split the script into functions

                """)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["deep.wds"])
    }

    /// The same error in 40 copies of a line is reported 40 times, in order (nothing is dropped).
    func testManyErrorsAreAllReported() throws {
        let directory = try GoldenScript.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/many.wds"
        try (1...40).map { "ecko \($0)\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
        let result = GoldenScript.drive(path: path, mode: .run, arguments: [], environment: [:])
        XCTAssertEqual(result.status, 2)
        let lines = result.stderr.split(separator: "\n").filter { $0.contains(": error: ") }
        XCTAssertEqual(lines.map { $0.replacingOccurrences(of: directory + "/", with: "") },
                       (1...40).map { "many.wds:\($0):1: error: unknown command 'ecko'" })
    }
}

/// One golden script and how to run it.
struct GoldenScript {
    /// The copy inside the test bundle.
    var url: URL
    /// `feature/NAME`, relative to Scripts.
    var name: String
    var feature: String { String(name.split(separator: "/").first ?? "") }

    static var bundleRoot: URL {
        Bundle.module.url(forResource: "Scripts", withExtension: nil)!
    }

    /// The Scripts folder in the source tree, where recording writes.
    static var sourceRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts")
    }

    var sourceExpectedURL: URL {
        GoldenScript.sourceRoot.appendingPathComponent(name + ".expected")
    }

    static func all() throws -> [GoldenScript] {
        let root = bundleRoot.resolvingSymlinksInPath()
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var scripts: [GoldenScript] = []
        for case let url as URL in enumerator where url.pathExtension == "wds" && !url.lastPathComponent.hasPrefix("_") {
            let path = url.resolvingSymlinksInPath().path
            let relative = String(path.dropFirst(root.path.count + 1).dropLast(4))
            scripts.append(GoldenScript(url: url, name: relative))
        }
        return scripts.sorted { $0.name < $1.name }
    }

    func expected() throws -> Expected {
        let url = self.url.deletingPathExtension().appendingPathExtension("expected")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            if ProcessInfo.processInfo.environment["WDS_RECORD"] == "1" { return Expected() }
            throw GoldenError("\(name).expected is missing (record it with WDS_RECORD=1)")
        }
        return try Expected(parsing: text, name: name)
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        /// What is left in the temporary directory afterwards.
        var leftovers: [String] = []
    }

    /// Runs the script with a fresh temporary directory as `$1`, then the given arguments;
    /// the temporary path and the script's folder are replaced by `$TMP` and `$SCRIPT_DIR`.
    func run(_ mode: Driver.Mode, arguments: [String]) throws -> Result {
        let directory = try GoldenScript.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var result = GoldenScript.drive(path: url.path, mode: mode, arguments: [directory] + arguments,
                                        environment: GoldenScriptTests.environment)
        let scriptDirectory = url.deletingLastPathComponent().path
        func clean(_ text: String) -> String {
            text.replacingOccurrences(of: directory, with: "$TMP")
                .replacingOccurrences(of: scriptDirectory + "/", with: "")
                .replacingOccurrences(of: scriptDirectory, with: "$SCRIPT_DIR")
        }
        result.stdout = clean(result.stdout)
        result.stderr = clean(result.stderr)
        result.leftovers = GoldenScript.listTree(directory)
        return result
    }

    static func drive(path: String, mode: Driver.Mode, arguments: [String], environment: [String: String]) -> Result {
        var options = Driver.Options()
        options.mode = mode
        options.arguments = arguments
        options.environment = environment
        let output = OutputBuffer()
        let status = Driver.run(path: path, options: options, output: { text, toError in output.append(text, toError) })
        return Result(status: status, stdout: output.stdout, stderr: output.stderr)
    }

    static func temporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/wds-golden-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw GoldenError("mkdtemp failed") }
        return URL(fileURLWithPath: String(cString: made)).standardizedFileURL.path
    }

    static func listTree(_ directory: String) -> [String] {
        (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted()
    }
}

/// Thread-safe collection of what a script printed.
final class OutputBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var out = ""
    private var err = ""

    func append(_ text: String, _ toError: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if toError { err += text } else { out += text }
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return out }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return err }
}

/// The `.expected` file: sections headed by `-- NAME` lines, each holding text verbatim.
///
///     -- args          extra script arguments after the temporary directory, one per line (optional)
///     -- status        the exit status of `wds run`
///     -- stdout        what the real run printed
///     -- stderr        what it printed on standard error (diagnostics, failures)
///     -- trace         what `wds trace` printed: one line per effect
///     -- trace status  the trace's status, when it differs from the run's (optional)
///     -- trace stderr  the trace's standard error, when it differs (optional)
///
/// A section whose text does not end with a newline ends with the line `\ no newline at end`.
struct Expected: Equatable {
    var arguments: [String] = []
    var status: Int32 = 0
    var stdout = ""
    var stderr = ""
    var trace = ""
    var traceStatus: Int32?
    var traceStderr: String?

    static let sectionNames = ["args", "status", "stdout", "stderr", "trace", "trace status", "trace stderr"]
    static let noNewline = "\\ no newline at end"

    init() {}

    init(arguments: [String], status: Int32, stdout: String, stderr: String, trace: String,
         traceStatus: Int32?, traceStderr: String?) {
        (self.arguments, self.status, self.stdout, self.stderr, self.trace) = (arguments, status, stdout, stderr, trace)
        (self.traceStatus, self.traceStderr) = (traceStatus, traceStderr)
    }

    init(parsing text: String, name: String) throws {
        let sections = try ExpectedSections.parse(text, names: Expected.sectionNames, file: "\(name).expected")
        func sectionText(_ section: String) -> String? {
            guard var lines = sections[section] else { return nil }
            if lines.isEmpty { return "" }
            if lines.last == Expected.noNewline {
                lines.removeLast()
                return lines.joined(separator: "\n")
            }
            return lines.joined(separator: "\n") + "\n"
        }
        func sectionStatus(_ section: String) throws -> Int32? {
            guard let value = sectionText(section) else { return nil }
            guard let status = Int32(value.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw GoldenError("\(name).expected: '-- \(section)' is not a number")
            }
            return status
        }
        guard let status = try sectionStatus("status") else { throw GoldenError("\(name).expected has no '-- status'") }
        self.arguments = sections["args"] ?? []
        self.status = status
        self.stdout = sectionText("stdout") ?? ""
        self.stderr = sectionText("stderr") ?? ""
        self.trace = sectionText("trace") ?? ""
        self.traceStatus = try sectionStatus("trace status")
        self.traceStderr = sectionText("trace stderr")
    }

    var serialized: String {
        func section(_ name: String, _ text: String) -> String {
            var out = "-- \(name)\n" + text
            if !text.isEmpty && !text.hasSuffix("\n") { out += "\n" + Expected.noNewline + "\n" }
            return out
        }
        var out = ""
        if !arguments.isEmpty { out += section("args", arguments.joined(separator: "\n") + "\n") }
        out += section("status", "\(status)\n")
        out += section("stdout", stdout)
        out += section("stderr", stderr)
        out += section("trace", trace)
        if let traceStatus { out += section("trace status", "\(traceStatus)\n") }
        if let traceStderr { out += section("trace stderr", traceStderr) }
        return out
    }
}

struct GoldenError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
