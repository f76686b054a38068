import Builtins
import Foundation
import Interpreter
import TestSupport
import XCTest

/// The wds(1) page that `wds manual` writes (and `make install` installs)
/// covers every subcommand `--help` lists, every builtin of the registry and
/// every section of docs/language.md, and renders without a groff warning.
final class ManualPageTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let languageDoc = root.appendingPathComponent("docs/language.md")

    static var wdsBinary: String { BuiltBinary.wds }

    static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        if let environment { process.environment = environment }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read before waiting: the page is larger than a pipe's buffer.
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    nonisolated(unsafe) static var cachedPage: String?

    func page() throws -> String {
        if let page = Self.cachedPage { return page }
        let result = try Self.run([Self.wdsBinary, "manual", "--language", Self.languageDoc.path])
        XCTAssertEqual(result.status, 0, result.error)
        Self.cachedPage = result.output
        return result.output
    }

    /// The escaped form of a name in roff (`-` is written `\-`).
    func roff(_ name: String) -> String { name.replacingOccurrences(of: "-", with: "\\-") }

    func testThePageHasEverySubcommandThatHelpLists() throws {
        let dump = try Self.run([Self.wdsBinary, "--experimental-dump-help"])
        let tree = try JSON.parse(dump.output)
        let subcommands = (tree["command"]?["subcommands"]?.arrayValue ?? [])
            .filter { $0["shouldDisplay"] != .bool(false) }
            .compactMap { $0["commandName"]?.stringValue }
        XCTAssertTrue(subcommands.contains("trace") && subcommands.contains("check"), "\(subcommands)")
        XCTAssertFalse(subcommands.contains("manual"), "`wds manual` is hidden from --help")
        let page = try page()
        for name in subcommands {
            XCTAssertTrue(page.contains(".SS \"wds \(roff(name))\"\n"), "the man page has no section for `wds \(name)`")
        }
        // Each option of each subcommand, as --help shows it.
        for option in ["\\-\\-format", "\\-\\-state", "\\-\\-output", "\\-\\-markdown"] {
            XCTAssertTrue(page.contains("\\fB\(option)\\fP"), "the man page lacks \(option)")
        }
    }

    func testThePageHasEveryBuiltinOfTheRegistry() throws {
        let page = try page()
        let registry = Builtins.standard
        for name in registry.names {
            XCTAssertTrue(page.contains(".SS \"\(roff(name))\"\n"), "the man page has no section for builtin '\(name)'")
        }
        for spec in registry.allSpecs {
            XCTAssertTrue(page.contains(roff(spec.synopsis).replacingOccurrences(of: "|", with: "|\\:")),
                          "the man page lacks the synopsis of '\(spec.name)'")
        }
    }

    func testThePageHasEverySectionOfTheLanguageReference() throws {
        let page = try page()
        let language = try String(contentsOf: Self.languageDoc, encoding: .utf8)
        let headings = language.split(separator: "\n").filter { $0.hasPrefix("## ") }.map { $0.dropFirst(3) }
        XCTAssertGreaterThan(headings.count, 5)
        for heading in headings {
            // "Exit statuses" is the page's EXIT STATUS, where man pages keep it.
            let title = heading == "Exit statuses" ? "EXIT STATUS" : roff(heading.filter { $0 != "`" }.uppercased())
            XCTAssertTrue(page.contains(".SH \"\(title)\"\n"), "the man page lacks the section '\(heading)' of docs/language.md")
        }
        XCTAssertFalse(page.contains("<!--"), "an HTML comment of docs/language.md leaked into the page")
    }

    /// What a reader looks for in any man page, in man-pages(7)'s order, at the end before SEE ALSO.
    func testThePageHasExitStatusEnvironmentFilesAndExamples() throws {
        let page = try page()
        let sections = page.split(separator: "\n").filter { $0.hasPrefix(".SH ") }.map { String($0.dropFirst(4)) }
        XCTAssertEqual(Array(sections.suffix(5)), ["\"EXIT STATUS\"", "\"ENVIRONMENT\"", "\"FILES\"", "\"EXAMPLES\"", "SEE ALSO"])
        XCTAssertEqual(sections.filter { $0.contains("EXIT STATUS") }.count, 1, "the exit statuses once: \(sections)")
        for variable in ["NO\\_COLOR", "WDS\\_HISTORY", "WDS\\_IPTABLES\\_LOCK", "PATH"] {
            XCTAssertTrue(page.contains(variable) || page.contains(variable.replacingOccurrences(of: "\\_", with: "_")),
                          "ENVIRONMENT lacks \(variable)")
        }
        XCTAssertTrue(page.contains("/run/wds/iptables.lock"), "FILES lacks the iptables lock")
        XCTAssertTrue(page.contains("wds plan \\-\\-out setup.plan scripts/net.wds setup"), "EXAMPLES lacks plan and apply")
    }

    func testManRendersThePageWithoutWarnings() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/man") else { throw XCTSkip("man is not installed") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("wds-\(getpid()).1")
        try page().write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        var environment = ProcessInfo.processInfo.environment
        environment["MANWIDTH"] = "80"
        environment["MANPAGER"] = "cat"
        environment["LANG"] = "C.UTF-8"
        let result = try Self.run(["/usr/bin/man", "--warnings", "-l", file.path], environment: environment)
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(result.error, "", "man(1) warns about the generated page")
        XCTAssertTrue(result.output.contains("BUILTINS"), String(result.output.prefix(500)))
        XCTAssertTrue(result.output.contains("wds check [--color color] [--format format] files ..."), "the synopsis did not render")
    }
}
