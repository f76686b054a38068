import Builtins
import Interpreter
import Lexer

/// An open file of the editor: its text, what the parser and checker say of
/// it, and where its functions and variables are defined. LSP positions are
/// 0-based lines and UTF-16 columns; wds ranges are byte offsets.
struct Document {
    let uri: String
    let path: String
    let text: String
    let file: SourceFile
    let bytes: [UInt8]
    /// The byte offset where each line starts.
    let lineStarts: [Int]
    var diagnostics: [Diagnostic] = []
    /// Functions and variables by name, where each is first defined.
    var functions: [String: SourceRange] = [:]
    var variables: [String: SourceRange] = [:]

    init(uri: String, text: String, registry: BuiltinRegistry) {
        self.uri = uri
        self.path = Document.path(of: uri)
        self.text = text
        bytes = Array(text.utf8)
        var starts = [0]
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") { starts.append(index + 1) }
        lineStarts = starts
        file = SourceFile(name: path, path: path, bytes: bytes)
        var loader = Loader()
        let script = loader.load(file)
        diagnostics = loader.diagnostics.isEmpty ? Checker.check(script, registry: registry) : loader.diagnostics
        collect(script.statements)
    }

    /// `file:///a%20b/c.wds` → `/a b/c.wds`.
    static func path(of uri: String) -> String {
        guard uri.hasPrefix("file://") else { return uri }
        var out: [UInt8] = []
        let bytes = Array(uri.utf8.dropFirst("file://".count))
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let value = UInt8(String(decoding: bytes[index + 1...index + 2], as: UTF8.self), radix: 16) {
                out.append(value)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Definitions

    mutating func collect(_ statements: [Statement]) {
        for statement in statements { collect(statement) }
    }

    mutating func define(_ identifier: Identifier, in table: WritableKeyPath<Document, [String: SourceRange]>) {
        guard identifier.range.file === file, self[keyPath: table][identifier.name] == nil else { return }
        self[keyPath: table][identifier.name] = identifier.range
    }

    mutating func collect(_ statement: Statement) {
        switch statement.kind {
        case .let(let name, _), .assign(let name, _):
            define(name, in: \.variables)
        case .pipeline, .return, .exit, .break, .continue, .source:
            break
        case .if(let branches, let elseBlock):
            for branch in branches { collect(branch.body.statements) }
            if let elseBlock { collect(elseBlock.statements) }
        case .for(let name, _, let body):
            define(name, in: \.variables)
            collect(body.statements)
        case .while(_, let body):
            collect(body.statements)
        case .match(_, let arms, let elseBlock):
            for arm in arms { collect(arm.body.statements) }
            if let elseBlock { collect(elseBlock.statements) }
        case .function(let declaration):
            define(declaration.name, in: \.functions)
            for parameter in declaration.parameters { define(parameter, in: \.variables) }
            collect(declaration.body.statements)
        case .try(let body, let catchName, let handler):
            collect(body.statements)
            if let catchName { define(catchName, in: \.variables) }
            collect(handler.statements)
        case .lock(_, _, let body), .cleanup(let body):
            collect(body.statements)
        }
    }

    // MARK: Positions

    func lineText(_ line: Int) -> String {
        guard line >= 0, line < lineStarts.count else { return "" }
        var end = line + 1 < lineStarts.count ? lineStarts[line + 1] - 1 : bytes.count
        if end > lineStarts[line], bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[lineStarts[line]..<max(lineStarts[line], end)], as: UTF8.self)
    }

    /// The byte offset of an LSP position (clamped to its line).
    func offset(line: Int, character: Int) -> Int {
        guard line >= 0 else { return 0 }
        guard line < lineStarts.count else { return bytes.count }
        var utf16 = 0
        var offset = lineStarts[line]
        for scalar in lineText(line).unicodeScalars {
            if utf16 >= character { break }
            utf16 += scalar.utf16.count
            offset += scalar.utf8.count
        }
        return offset
    }

    /// The LSP position of a byte offset.
    func position(_ offset: Int) -> JSON {
        var line = 0
        var low = 0, high = lineStarts.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if lineStarts[middle] <= offset { line = middle; low = middle + 1 } else { high = middle - 1 }
        }
        let prefix = bytes[lineStarts[line]..<min(max(offset, lineStarts[line]), bytes.count)]
        let character = String(decoding: prefix, as: UTF8.self).utf16.count
        return .object([("line", .number(Double(line))), ("character", .number(Double(character)))])
    }

    func range(_ start: Int, _ end: Int) -> JSON {
        .object([("start", position(start)), ("end", position(max(start, end)))])
    }

    /// The word under an LSP position (letters, digits, `_`, `-`), its byte
    /// range, and whether a `$` stands before it (a variable).
    func word(line: Int, character: Int) -> (text: String, start: Int, end: Int, variable: Bool)? {
        let offset = offset(line: line, character: character)
        func isWordByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte >= 0x80
        }
        var start = offset, end = offset
        while start > 0, isWordByte(bytes[start - 1]) { start -= 1 }
        while end < bytes.count, isWordByte(bytes[end]) { end += 1 }
        guard start < end else { return nil }
        let variable = (start > 0 && bytes[start - 1] == UInt8(ascii: "$"))
            || (start > 1 && bytes[start - 1] == UInt8(ascii: "{") && bytes[start - 2] == UInt8(ascii: "$"))
        return (String(decoding: bytes[start..<end], as: UTF8.self), start, end, variable)
    }
}
