import Foundation
import Interpreter
import Lexer
import Repl
import XCTest

/// What a newcomer reads first: the tutorial shows the example scripts as
/// they are (and ExamplesTests runs them), the REPL's page covers every meta
/// command and key it has, the changelog names every subcommand.
final class NewcomerDocsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func text(_ path: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
    }

    func testTheTutorialShowsBothScriptsAsTheyAreAndItsWdsIsFormatted() throws {
        let tutorial = try text("docs/tutorial.md")
        let bash = try text("examples/tutorial/host.sh")
        XCTAssertTrue(tutorial.contains("```bash\n" + bash + "```\n"), "docs/tutorial.md does not show examples/tutorial/host.sh as it is")
        let script = try text("examples/tutorial/host.wds")
        let body = try XCTUnwrap(script.components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n") as String?)
        XCTAssertTrue(tutorial.contains("```wds\n" + body + "```\n"), "docs/tutorial.md does not show examples/tutorial/host.wds's body as it is")
        guard case .formatted(let formatted) = Formatter.format(SourceFile(name: "host.wds", text: script)) else {
            return XCTFail("examples/tutorial/host.wds does not parse")
        }
        XCTAssertEqual(formatted, script)
        for command in ["wds check", "wds trace", "wds run --sandbox", "unshare", "wds plan", "wds verify"] {
            XCTAssertTrue(tutorial.contains(command), "docs/tutorial.md does not show \(command)")
        }
        XCTAssertTrue(try text("README.md").contains("(docs/tutorial.md)"), "the README does not point to the tutorial")
    }

    func testTheReplPageCoversEveryMetaCommandAndItsKeys() throws {
        let page = try text("docs/repl.md")
        for command in Completer.metaCommands {
            XCTAssertTrue(page.contains("`\(command)"), "docs/repl.md does not document \(command)")
        }
        for key in ["Tab", "Ctrl-C", "Ctrl-D", "Ctrl-R", "~/.inputrc", "WDS_HISTORY", "--keep-going"] {
            XCTAssertTrue(page.contains(key), "docs/repl.md does not mention \(key)")
        }
        XCTAssertTrue(try text("README.md").contains("(docs/repl.md)"), "the README does not point to docs/repl.md")
    }

    func testTheChangelogNamesEverySubcommand() throws {
        let changelog = try text("CHANGELOG.md")
        for name in ["run", "trace", "check", "fmt", "state", "plan", "apply", "show", "verify", "repl", "lsp", "builtins", "manual"] {
            XCTAssertTrue(changelog.contains("`wds \(name)"), "CHANGELOG.md does not mention wds \(name)")
        }
    }
}
