import Builtins
import Driver
import Foundation
import Interpreter
import Lexer
import XCTest

/// docs/language.md must describe exactly the builtins the checker accepts.
final class DocsTests: XCTestCase {
    static let languageDoc = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/language.md")

    func testTheBuiltinsSectionIsGeneratedFromTheRegistry() throws {
        let text = try String(contentsOf: Self.languageDoc, encoding: .utf8)
        let begin = try XCTUnwrap(text.range(of: "<!-- builtins:begin -->\n"))
        let end = try XCTUnwrap(text.range(of: "<!-- builtins:end -->"))
        let section = String(text[begin.upperBound..<end.lowerBound])
        // The generator keeps one newline at the end of the section.
        let generated = BuiltinReference.markdown(Builtins.standard).trimmingCharacters(in: .newlines) + "\n"
        XCTAssertEqual(section, generated,
                       "docs/language.md is out of date: run scripts/dev/update-docs")
    }

    /// The README's taste of the language is in `wds fmt` layout, as a reader's copy would be.
    func testTheReadmeSampleIsFormatted() throws {
        let readme = try String(contentsOf: Self.languageDoc.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md"), encoding: .utf8)
        let after = try XCTUnwrap(readme.components(separatedBy: "A taste of the language").dropFirst().first)
        let sample = try XCTUnwrap(after.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "```\n").first)
        XCTAssertTrue(sample.contains("def prepare(dir)"), sample)
        guard case .formatted(let text) = Formatter.format(SourceFile(name: "README.md", text: sample)) else {
            return XCTFail("the README's sample does not parse")
        }
        XCTAssertEqual(text, sample, "the README's sample is not formatted")
    }

    /// `wds builtins` shows each builtin's first sentence whole, never cut inside parentheses.
    func testTheOverviewCutsNoSummaryInsideParentheses() {
        let overview = BuiltinReference.overview(Builtins.standard)
        for line in overview.split(separator: "\n") {
            XCTAssertEqual(line.filter { $0 == "(" }.count, line.filter { $0 == ")" }.count, String(line))
        }
        XCTAssertTrue(overview.contains("  list-dir           The names in a directory, sorted (without . and ..).\n"), overview)
    }

    func testEveryBuiltinHasASummaryAndAnExample() {
        for spec in Builtins.standard.allSpecs {
            XCTAssertFalse(spec.summary.isEmpty, spec.name)
            XCTAssertFalse(spec.example.isEmpty, "\(spec.name) has no example")
        }
    }
}
