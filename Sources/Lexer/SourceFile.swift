/// One script's text, held as UTF-8 bytes. Everything downstream refers to it
/// by byte offsets; lines and columns are computed only when a diagnostic is
/// rendered, so the AST never holds a position that can go stale.
public final class SourceFile: Sendable {
    /// The name shown in diagnostics and traces (the path as the user gave it).
    public let name: String
    /// The path the file was read from; `nil` for the REPL or `-e` text.
    public let path: String?
    public let bytes: [UInt8]
    private let lineStarts: [Int]

    public init(name: String, path: String? = nil, bytes: [UInt8]) {
        self.name = name
        self.path = path
        self.bytes = bytes
        var starts = [0]
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            starts.append(offset + 1)
        }
        self.lineStarts = starts
    }

    public convenience init(name: String, path: String? = nil, text: String) {
        self.init(name: name, path: path, bytes: Array(text.utf8))
    }

    /// 1-based line and column (in bytes) of an offset.
    public func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return (low + 1, offset - lineStarts[low] + 1)
    }

    /// The text of a 1-based line, without its newline.
    public func lineText(_ line: Int) -> String {
        guard line >= 1 && line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    public func text(_ range: SourceRange) -> String {
        let start = min(max(0, range.start), bytes.count)
        let end = min(max(start, range.end), bytes.count)
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// `name:line`, the short location used by traces.
    public func shortLocation(_ offset: Int) -> String {
        "\(name):\(lineAndColumn(of: offset).line)"
    }
}

/// A half-open byte range in one source file.
public struct SourceRange: Hashable, Sendable, CustomStringConvertible {
    public var file: SourceFile
    public var start: Int
    public var end: Int

    public init(file: SourceFile, start: Int, end: Int) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    /// The smallest range covering both.
    public func union(_ other: SourceRange) -> SourceRange {
        SourceRange(file: file, start: min(start, other.start), end: max(end, other.end))
    }

    public var line: Int { file.lineAndColumn(of: start).line }
    public var shortLocation: String { file.shortLocation(start) }

    public var description: String {
        let (line, column) = file.lineAndColumn(of: start)
        return "\(file.name):\(line):\(column)"
    }

    public static func == (a: SourceRange, b: SourceRange) -> Bool {
        a.file === b.file && a.start == b.start && a.end == b.end
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(file))
        hasher.combine(start)
        hasher.combine(end)
    }
}
