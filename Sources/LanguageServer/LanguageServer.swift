import Builtins
import Driver
import Interpreter
import Lexer
import Repl

/// `wds lsp`: a Language Server Protocol server over standard input and
/// output, built on the parser, the checker, the builtin registry, the REPL's
/// completer and the formatter — so an editor sees exactly what `wds check`,
/// `wds builtins` and `wds fmt` say.
///
/// Full-text sync: each didOpen and didChange re-parses and re-checks the
/// whole file and publishes its diagnostics.
public final class LanguageServer {
    let registry: BuiltinRegistry
    var documents: [String: Document] = [:]
    var stream: MessageStream
    var shutdownRequested = false

    public init(registry: BuiltinRegistry = Builtins.standard, input: Int32 = 0, output: Int32 = 1) {
        self.registry = registry
        stream = MessageStream(input: input, output: output)
    }

    /// Serves until `exit` or the end of input; the process's exit status.
    public func serve() -> Int32 {
        while true {
            let message: JSON
            do {
                message = try stream.read()
            } catch MessageStream.ReadError.badJSON {
                send(.object([("jsonrpc", .string("2.0")), ("id", .null),
                              ("error", .object([("code", .number(-32700)), ("message", .string("parse error"))]))]))
                continue
            } catch {
                return shutdownRequested ? 0 : 1
            }
            let method = message["method"]?.stringValue ?? ""
            if method == "exit" { return shutdownRequested ? 0 : 1 }
            let id = message["id"]
            let params = message["params"] ?? .null
            if let id, !method.isEmpty {
                switch respond(method, params) {
                case .success(let result):
                    send(.object([("jsonrpc", .string("2.0")), ("id", id), ("result", result)]))
                case .failure(let error):
                    send(.object([("jsonrpc", .string("2.0")), ("id", id),
                                  ("error", .object([("code", .number(Double(error.code))), ("message", .string(error.message))]))]))
                }
            } else {
                notify(method, params)
            }
        }
    }

    struct ResponseError: Error {
        var code: Int
        var message: String
    }

    func send(_ message: JSON) { stream.write(message) }

    // MARK: Requests

    func respond(_ method: String, _ params: JSON) -> Result<JSON, ResponseError> {
        switch method {
        case "initialize":
            return .success(.object([
                ("capabilities", .object([
                    ("textDocumentSync", .number(1)),
                    ("completionProvider", .object([("triggerCharacters", .array(["$", "-", " "].map(JSON.string)))])),
                    ("hoverProvider", .bool(true)),
                    ("definitionProvider", .bool(true)),
                    ("documentFormattingProvider", .bool(true)),
                ])),
                ("serverInfo", .object([("name", .string("wds"))])),
            ]))
        case "shutdown":
            shutdownRequested = true
            return .success(.null)
        case "textDocument/completion":
            return .success(document(params).map { completion($0, params) } ?? .array([]))
        case "textDocument/hover":
            return .success(document(params).flatMap { hover($0, params) } ?? .null)
        case "textDocument/definition":
            return .success(document(params).flatMap { definition($0, params) } ?? .null)
        case "textDocument/formatting":
            return .success(document(params).map(formatting) ?? .array([]))
        default:
            return .failure(ResponseError(code: -32601, message: "method not found: \(method)"))
        }
    }

    func notify(_ method: String, _ params: JSON) {
        guard let textDocument = params["textDocument"], let uri = textDocument["uri"]?.stringValue else { return }
        switch method {
        case "textDocument/didOpen":
            guard let text = textDocument["text"]?.stringValue else { return }
            open(uri, text)
        case "textDocument/didChange":
            // Full sync: the last change holds the whole text.
            guard let text = params["contentChanges"]?.arrayValue?.last?["text"]?.stringValue else { return }
            open(uri, text)
        case "textDocument/didClose":
            documents[uri] = nil
            publish(uri, [])
        default:
            break
        }
    }

    func open(_ uri: String, _ text: String) {
        let document = Document(uri: uri, text: text, registry: registry)
        documents[uri] = document
        publish(uri, document.diagnostics.map { lspDiagnostic($0, in: document) })
    }

    func publish(_ uri: String, _ diagnostics: [JSON]) {
        send(.object([("jsonrpc", .string("2.0")), ("method", .string("textDocument/publishDiagnostics")),
                      ("params", .object([("uri", .string(uri)), ("diagnostics", .array(diagnostics))]))]))
    }

    func lspDiagnostic(_ diagnostic: Diagnostic, in document: Document) -> JSON {
        var message = diagnostic.message
        if let hint = diagnostic.hint { message += "\nhint: \(hint)" }
        let range: JSON
        if let located = diagnostic.range, located.file === document.file {
            range = document.range(located.start, located.end)
        } else {
            // In a file this one sources: shown at the top, naming where.
            if let located = diagnostic.range {
                let (line, column) = located.file.lineAndColumn(of: located.start)
                message = "\(located.file.name):\(line):\(column): \(message)"
            }
            range = document.range(0, 0)
        }
        return .object([("range", range), ("severity", .number(diagnostic.severity == .error ? 1 : 3)),
                        ("source", .string("wds")), ("message", .string(message))])
    }

    func document(_ params: JSON) -> Document? {
        params["textDocument"]?["uri"]?.stringValue.flatMap { documents[$0] }
    }

    func position(_ params: JSON) -> (line: Int, character: Int) {
        func number(_ key: String) -> Int {
            if case .number(let value)? = params["position"]?[key] { return Int(value) }
            return 0
        }
        return (number("line"), number("character"))
    }

    // MARK: Completion

    func completion(_ document: Document, _ params: JSON) -> JSON {
        let (line, character) = position(params)
        let start = document.lineStarts.indices.contains(line) ? document.lineStarts[line] : document.bytes.count
        let cursor = document.offset(line: line, character: character)
        let prefix = Array(document.bytes[start..<cursor])
        // The word being typed starts after the last break character, as readline splits it in the REPL.
        let breaks = Array(" \t\"'`;|&{}()[]<>".utf8)
        var wordStart = prefix.count
        while wordStart > 0, !breaks.contains(prefix[wordStart - 1]) { wordStart -= 1 }
        let word = String(decoding: prefix[wordStart...], as: UTF8.self)
        let completer = Completer(
            registry: registry,
            variables: { Array(document.variables.keys) + Interpreter.predefinedVariables },
            functions: { Array(document.functions.keys) },
            liveNames: { _, _, _ in [] },
            listDirectory: { _ in [] })
        let candidates = completer.candidates(line: String(decoding: prefix, as: UTF8.self), wordStart: wordStart, word: word)
        let replaced = document.range(start + wordStart, cursor)
        return .array(candidates.map { candidate in
            let kind: Double
            if candidate.hasPrefix("$") {
                kind = 6  // Variable
            } else if candidate.hasPrefix("-") {
                kind = 10  // Property: an option
            } else if document.functions[candidate] != nil || registry.entries[candidate] != nil {
                kind = 3  // Function
            } else if candidate.hasPrefix(":") {
                kind = 1
            } else {
                kind = 14  // Keyword, a subcommand or a value word
            }
            var fields: [(String, JSON)] = [("label", .string(candidate)), ("kind", .number(kind)),
                                            ("textEdit", .object([("range", replaced), ("newText", .string(candidate))]))]
            if case .single(let spec)? = registry.entries[candidate] {
                fields.append(("detail", .string(spec.summary)))
            } else if case .family(let family)? = registry.entries[candidate] {
                fields.append(("detail", .string(family.summary)))
            }
            return .object(fields)
        })
    }

    // MARK: Hover and definition

    func hover(_ document: Document, _ params: JSON) -> JSON? {
        let (line, character) = position(params)
        guard let word = document.word(line: line, character: character), !word.variable else { return nil }
        var text: String?
        if registry.entries[word.text] != nil {
            text = BuiltinReference.text(for: word.text, in: registry)
        } else {
            // A subcommand: the word before it names its family (`rule append`).
            let before = String(decoding: document.bytes[document.lineStarts[line]..<word.start], as: UTF8.self)
            if let family = before.split(separator: " ").last.map(String.init), case .family? = registry.entries[family] {
                text = BuiltinReference.text(for: family, subcommand: word.text, in: registry)
            }
        }
        guard let text else { return nil }
        return .object([("contents", .object([("kind", .string("markdown")), ("value", .string("```\n" + text + "\n```"))])),
                        ("range", document.range(word.start, word.end))])
    }

    func definition(_ document: Document, _ params: JSON) -> JSON? {
        let (line, character) = position(params)
        guard let word = document.word(line: line, character: character),
              let target = word.variable ? document.variables[word.text] : document.functions[word.text] else { return nil }
        return .object([("uri", .string(document.uri)), ("range", document.range(target.start, target.end))])
    }

    // MARK: Formatting

    func formatting(_ document: Document) -> JSON {
        guard case .formatted(let text) = Formatter.format(document.file), text != document.text else { return .array([]) }
        return .array([.object([("range", document.range(0, document.bytes.count)), ("newText", .string(text))])])
    }
}
