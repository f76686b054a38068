import Interpreter
import Lexer

/// What `--format json` and `--format sarif` print: the same facts as the
/// text reports of plan, verify and check, for a program to read (CI, an
/// editor, code scanning). One JSON document per command, on one line.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text, json, sarif
}

extension Plan {
    /// `wds plan --format json`: every line (area, sign, text), the counts, and the saved plan's digest if any.
    public func json(digest: String? = nil) -> JSON {
        var fields: [(String, JSON)] = [
            ("script", .string(script)),
            ("changes", .array(lines.map { .object([("area", .string($0.area)), ("sign", .string($0.sign.rawValue)),
                                                    ("text", .string($0.text))]) })),
            ("counts", .object([
                ("changes", .number(Double(lines.count))),
                ("areas", .number(Double(Set(lines.map(\.area)).count))),
                ("add", .number(Double(lines.filter { $0.sign == .add }.count))),
                ("remove", .number(Double(lines.filter { $0.sign == .remove }.count))),
                ("change", .number(Double(lines.filter { $0.sign == .change }.count))),
            ])),
        ]
        if let digest { fields.append(("digest", .string(digest))) }
        return .object(fields)
    }
}

/// `wds verify`'s findings, before they are printed as text or JSON.
struct VerifyReport {
    var script: String
    var missing: [PlanLine] = []
    var different: [PlanLine] = []
    var extra: [PlanLine] = []
    var unverifiable: [PlanLine] = []
    var fixed: Int?

    var drift: Bool { !(missing.isEmpty && different.isEmpty && extra.isEmpty) }

    var json: JSON {
        func pieces(_ lines: [PlanLine]) -> JSON {
            .array(lines.map { .object([("area", .string($0.area)), ("text", .string($0.text))]) })
        }
        return .object([
            ("script", .string(script)),
            ("drift", .bool(drift)),
            ("missing", pieces(missing)),
            ("different", pieces(different)),
            ("extra", pieces(extra)),
            ("unverifiable", .array(unverifiable.map { .string($0.text) })),
            ("counts", .object([
                ("missing", .number(Double(missing.count))), ("different", .number(Double(different.count))),
                ("extra", .number(Double(extra.count))), ("unverifiable", .number(Double(unverifiable.count))),
                ("fixed", .number(Double(fixed ?? 0))),
            ])),
        ])
    }
}

extension Diagnostic {
    /// Where the diagnostic is, 1-based, in Unicode code points (the columns SARIF and editors count);
    /// the end column is one past the last character of the span on its first line.
    public var position: (line: Int, column: Int, endLine: Int, endColumn: Int)? {
        guard let range else { return nil }
        let file = range.file
        let (line, byteColumn) = file.lineAndColumn(of: range.start)
        let (endLine, endByteColumn) = file.lineAndColumn(of: max(range.start, range.end))
        func column(_ line: Int, _ byteColumn: Int) -> Int {
            String(decoding: file.lineText(line).utf8.prefix(byteColumn - 1), as: UTF8.self).unicodeScalars.count + 1
        }
        let start = column(line, byteColumn)
        let end = endLine == line ? max(start + 1, column(endLine, endByteColumn)) : file.lineText(line).unicodeScalars.count + 1
        return (line, start, line, max(start + 1, end))
    }

    /// `wds check --format json`: one object per diagnostic.
    public var json: JSON {
        var fields: [(String, JSON)] = [("severity", .string(severity.rawValue)), ("message", .string(message))]
        if let range, let position {
            fields += [("file", .string(range.file.name)), ("line", .number(Double(position.line))),
                       ("column", .number(Double(position.column))), ("endLine", .number(Double(position.endLine))),
                       ("endColumn", .number(Double(position.endColumn)))]
        }
        if let hint { fields.append(("hint", .string(hint))) }
        if !notes.isEmpty { fields.append(("notes", .array(notes.map(\.json)))) }
        return .object(fields)
    }

    /// `wds check --format sarif`: a SARIF 2.1.0 log with one run of wds, for CI code scanning.
    public static func sarif(_ diagnostics: [Diagnostic], version: String) -> JSON {
        func location(_ diagnostic: Diagnostic) -> JSON? {
            guard let range = diagnostic.range, let position = diagnostic.position else { return nil }
            return .object([("physicalLocation", .object([
                ("artifactLocation", .object([("uri", .string(uri(range.file.name)))])),
                ("region", .object([("startLine", .number(Double(position.line))),
                                    ("startColumn", .number(Double(position.column))),
                                    ("endLine", .number(Double(position.endLine))),
                                    ("endColumn", .number(Double(position.endColumn)))])),
            ]))])
        }
        let results: [JSON] = diagnostics.map { diagnostic in
            let text = diagnostic.message + (diagnostic.hint.map { " (hint: \($0))" } ?? "")
            var fields: [(String, JSON)] = [
                ("ruleId", .string(ruleID)),
                ("level", .string(diagnostic.severity == .error ? "error" : "note")),
                ("message", .object([("text", .string(text))])),
                ("locations", .array(location(diagnostic).map { [$0] } ?? [])),
            ]
            let related = diagnostic.notes.compactMap { note -> JSON? in
                guard case .object(let fields)? = location(note) else { return nil }
                return .object(fields + [("message", .object([("text", .string(note.message))]))])
            }
            if !related.isEmpty { fields.append(("relatedLocations", .array(related))) }
            return .object(fields)
        }
        return .object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            ("runs", .array([.object([
                ("tool", .object([("driver", .object([
                    ("name", .string("wds")),
                    ("version", .string(version)),
                    ("rules", .array([.object([
                        ("id", .string(ruleID)),
                        ("shortDescription", .object([("text", .string("wds check: the script does not parse or check"))])),
                    ])])),
                ]))])),
                ("columnKind", .string("unicodeCodePoints")),
                ("results", .array(results)),
            ])])),
        ])
    }

    /// A SARIF artifact location is a URI: an absolute path as a file URI (its bytes outside the
    /// unreserved set percent-encoded); a relative one, relative to where the scan ran, as it is.
    static func uri(_ path: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/".utf8)
        let encoded = path.utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : "%" + hex($0) }.joined()
        return path.hasPrefix("/") ? "file://" + encoded : encoded
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }

    /// The one rule of `wds check`: wds has no catalogue of error codes yet, so every finding is a check error.
    static let ruleID = "wds/check"
}

extension Driver {
    /// `wds check --format json|sarif`: the diagnostics of every script, in order.
    public static func checkDiagnostics(paths: [String]) -> [Diagnostic] {
        paths.flatMap { load(path: $0).1 }
    }
}
