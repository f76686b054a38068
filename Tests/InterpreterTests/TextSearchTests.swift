import Interpreter
import XCTest

/// `TextSearch` (KMP over UTF-8) against the plain definition: at each
/// Unicode scalar, does the needle's scalar sequence start here.
final class TextSearchTests: XCTestCase {
    /// Leftmost, non-overlapping matches by scalar, as scalar offsets.
    func reference(_ text: String, _ needle: String) -> [Int] {
        let t = Array(text.unicodeScalars), n = Array(needle.unicodeScalars)
        var found: [Int] = [], index = 0
        while index + n.count <= t.count {
            if Array(t[index..<index + n.count]) == n {
                found.append(index)
                index += n.count
            } else {
                index += 1
            }
        }
        return found
    }

    func testMatchesTheDefinitionOnRandomTexts() {
        // Few letters, so matches overlap and repeat; multi-byte scalars and a "\r\n" Character among them.
        let alphabet: [String] = ["a", "b", "é", "\r", "\n", "😀", "\r\n"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let text = (0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }.joined()
            let needle = (0..<Int.random(in: 1...4, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }.joined()
            let expected = reference(text, needle)
            let pieces = Substring(text).splitAll(needle)
            XCTAssertEqual(pieces.count, expected.count + 1, "\(text.debugDescription) split at \(needle.debugDescription)")
            XCTAssertEqual(pieces.joined(separator: needle), text)
            // Each match, as the scalars before it, is where the definition says.
            var scalarsBefore = 0
            for (index, piece) in pieces.dropLast().enumerated() {
                scalarsBefore += piece.unicodeScalars.count
                XCTAssertEqual(scalarsBefore, expected[index])
                scalarsBefore += needle.unicodeScalars.count
            }
            let replaced = text.replacingAll(needle, with: "<>")
            XCTAssertEqual(replaced, pieces.joined(separator: "<>"))
            let first = Substring(text).range(of: needle)
            XCTAssertEqual(first.map { text.unicodeScalars[..<$0.lowerBound].count }, expected.first)
        }
    }

    func testEdgeCases() {
        XCTAssertEqual(Substring("a\r\nb").splitAll("\n"), ["a\r", "b"])
        XCTAssertEqual(Substring("aaaa").splitAll("aa"), ["", "", ""])
        XCTAssertEqual(Substring("abc").splitAll(""), ["abc"])
        XCTAssertEqual(Substring("").splitAll(","), [""])
        XCTAssertEqual("aaa".replacingAll("a", with: "aa"), "aaaaaa")
        XCTAssertEqual("abc".replacingAll("", with: "x"), "abc")
        XCTAssertNil(Substring("abc").range(of: ""))
        XCTAssertNil(Substring("ab").range(of: "abc"))
        // The failure table at work: a partial match that falls back, not restarts.
        XCTAssertEqual(Substring("aabaabaaab").range(of: "aaab").map { "aabaabaaab"[$0] }, "aaab")
        XCTAssertEqual(String(repeating: "a", count: 1000).replacingAll(String(repeating: "a", count: 999) + "b", with: ""),
                       String(repeating: "a", count: 1000))
        // A slice's offsets are its own.
        let text = "xx,a,b"
        let slice = text[text.index(text.startIndex, offsetBy: 3)...]
        XCTAssertEqual(slice.splitAll(","), ["a", "b"])
    }
}
