import Foundation
import Interpreter
import TestSupport
import XCTest

/// A fresh clone must test alone: every file a test or check script reads
/// is in the repository, and the Warden reference data is there, whole.
final class RepositoryTests: XCTestCase {
    /// The copy in Tests/Fixtures/warden is every file SHA256SUMS lists, byte
    /// for byte, and nothing more.
    func testWardenReferenceFixturesAreCompleteAndUnchanged() throws {
        let folder = Repository.wardenReference
        let sums = try String(contentsOf: folder.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        var listed: Set<String> = []
        for line in sums.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            XCTAssertEqual(fields.count, 2, "unreadable line in SHA256SUMS: \(line)")
            guard fields.count == 2 else { continue }
            let name = fields[1].trimmingCharacters(in: .whitespaces)
            listed.insert(name)
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            let hex = SHA256.digest(Array(data)).map { String(format: "%02x", $0) }.joined()
            XCTAssertEqual(hex, String(fields[0]), "\(name) differs from the recording (Tests/Fixtures/warden/README.md)")
        }
        let cases = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("c") }
        XCTAssertEqual(cases.count, 6, "the six reference cases: \(cases)")
        for name in cases {
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(name).path) {
                XCTAssertTrue(listed.contains("\(name)/\(file)"), "\(name)/\(file) is not in SHA256SUMS")
            }
        }
    }

    /// No test, script or CI file names a folder beside the checkout (the
    /// shared reference folder the tests once read), which a clone lacks.
    func testNothingReadsDataFromBesideTheCheckout() throws {
        // Spelled in pieces so that this file does not match itself.
        let outside = ["../" + "shared", "shared" + "/reference", "/work/" + "shared"]
        var offenders: [String] = []
        for top in ["Tests", "scripts", "contrib", ".ci", "fuzz", "Makefile", "Package.swift"] {
            let url = Repository.root.appendingPathComponent(top)
            var files: [URL] = [url]
            if let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil) {
                files = walker.compactMap { $0 as? URL }
            }
            for file in files where !file.path.contains("/Fixtures/") && !file.path.contains("/.build") {
                guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
                for needle in outside where text.contains(needle) {
                    offenders.append("\(file.path.dropFirst(Repository.root.path.count + 1)): \(needle)")
                }
            }
        }
        XCTAssertEqual(offenders, [], "data must come from inside the repository (Tests/Fixtures)")
    }
}
