import Backends
import Builtins
import Driver
import Foundation
import Interpreter
import Lexer
import XCTest

/// A family added from its own folder plugs into run, the journal, trace and saved plans.
final class NoteFamilyTests: XCTestCase {
    static let registry: BuiltinRegistry = {
        var registry = Builtins.standard
        registry.add(NoteFamily.family)
        return registry
    }()

    /// Runs for real (journaled) or, with `trace`, through the trace backend writing to it.
    func run(_ source: String, trace: Collected? = nil) throws -> (status: Int32, output: String) {
        let path = try temporaryFile(source, name: "note.wds")
        let (script, diagnostics) = Driver.load(path: path, registry: Self.registry)
        XCTAssertEqual(diagnostics.map { $0.render() }, [])
        let journal = Journal(enabled: true)
        let context = RunContext(host: trace.map { lines in
            TraceHost(probes: ReadOnlyHost(SystemHost()), header: false, write: { lines.append($0) })
        } ?? JournalingHost(SystemHost(), journal: journal), environment: [:], arguments: [], journal: journal)
        let interpreter = Interpreter(registry: Self.registry, context: context, scriptPath: path)
        let collected = Collected()
        let status = Driver.execute(try XCTUnwrap(script), with: interpreter, output: { text, _ in collected.append(text) })
        return (status, collected.text)
    }

    func testItRunsAndAFailedRunUndoesIt() throws {
        let log = try temporaryFile("before\n", name: "log")
        let kept = try run("note \(log) one\nnote \(log) two\n")
        XCTAssertEqual(kept.status, 0, kept.output)
        XCTAssertEqual(try contents(log), "before\none\ntwo\n")
        let failed = try run("note \(log) three\nfail \"stop\"\n")
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.output.contains("wds: undid the 1 change(s)"), failed.output)
        XCTAssertEqual(try contents(log), "before\none\ntwo\n")
    }

    func testTheTracePrintsItAndChangesNothing() throws {
        let log = try temporaryFile("", name: "log")
        let lines = Collected()
        let traced = try run("note \(log) 'a b'\n", trace: lines)
        XCTAssertEqual(traced.status, 0, traced.output)
        XCTAssertTrue(lines.text.hasPrefix("sh -c 'printf '\\''%s\\n'\\'' \"$1\" >> \"$2\"' sh 'a b' \(log)  # "), lines.text)
        XCTAssertTrue(lines.text.contains("note.wds:1\n"), lines.text)
        XCTAssertEqual(try contents(log), "")
    }

    func testASavedPlanReadsItBack() throws {
        _ = Self.registry  // registers the decoder
        let effect = Effect.family(AnyFamilyEffect(NoteEffect(file: "/tmp/x", text: "hello")))
        XCTAssertEqual(Effect(json: try JSON.parse(effect.json.serialized)), effect)
        XCTAssertNil(Effect(json: try JSON.parse(#"{"effect":"family","family":"nosuch","kind":"x","fields":{}}"#)))
    }

    func contents(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    func temporaryFile(_ text: String, name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wds-note-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

final class Collected: @unchecked Sendable {
    private(set) var text = ""
    private let lock = NSLock()
    func append(_ more: String) { lock.lock(); text += more; lock.unlock() }
}
