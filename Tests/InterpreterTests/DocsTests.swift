import Builtins
import Driver
import Foundation
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

    func testEveryBuiltinHasASummaryAndAnExample() {
        for spec in Builtins.standard.allSpecs {
            XCTAssertFalse(spec.summary.isEmpty, spec.name)
            XCTAssertFalse(spec.example.isEmpty, "\(spec.name) has no example")
        }
    }
}
