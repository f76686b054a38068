import Foundation
import TestSupport
import XCTest

/// `wds lsp`, spoken to over its standard input and output as an editor
/// would: Content-Length framing, JSON-RPC requests and notifications.
final class LanguageServerTests: XCTestCase {
    final class Client {
        let process = Process()
        let input = Pipe(), output = Pipe()
        var buffer = Data()
        var nextID = 1

        init() throws {
            process.executableURL = URL(fileURLWithPath: BuiltBinary.wds)
            process.arguments = ["lsp"]
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        func send(_ message: [String: Any]) throws {
            var message = message
            message["jsonrpc"] = "2.0"
            let body = try JSONSerialization.data(withJSONObject: message)
            input.fileHandleForWriting.write("Content-Length: \(body.count)\r\n\r\n".data(using: .utf8)! + body)
        }

        func receive() throws -> [String: Any] {
            let separator = "\r\n\r\n".data(using: .utf8)!
            while buffer.range(of: separator) == nil {
                let chunk = output.fileHandleForReading.availableData
                guard !chunk.isEmpty else { throw XCTSkip("the server closed its output") }
                buffer += chunk
            }
            let headerEnd = buffer.range(of: separator)!
            let header = String(decoding: buffer[buffer.startIndex..<headerEnd.lowerBound], as: UTF8.self)
            let length = try XCTUnwrap(Int(header.components(separatedBy: "Content-Length: ").last ?? ""), header)
            buffer = Data(buffer[headerEnd.upperBound...])
            while buffer.count < length { buffer += output.fileHandleForReading.availableData }
            let body = buffer.prefix(length)
            buffer = Data(buffer.dropFirst(length))
            return try XCTUnwrap(JSONSerialization.jsonObject(with: body) as? [String: Any])
        }

        /// A request's result (notifications that come first are skipped).
        func request(_ method: String, _ params: [String: Any]) throws -> Any? {
            let id = nextID
            nextID += 1
            try send(["id": id, "method": method, "params": params])
            while true {
                let message = try receive()
                if message["id"] as? Int == id {
                    XCTAssertNil(message["error"], "\(method): \(message)")
                    return message["result"]
                }
            }
        }

        func notification(_ method: String) throws -> [String: Any] {
            while true {
                let message = try receive()
                if message["method"] as? String == method { return try XCTUnwrap(message["params"] as? [String: Any]) }
            }
        }
    }

    static let uri = "file:///tmp/wds-lsp-test/setup.wds"
    static let text = """
        def prepare(dir) {
          mkdir --parents $dir
        }
        let target = /srv/app
        prepare $target
        rule append FORWARD --protocl tcp --jump ACCEPT
        if true {
        echo done
        }

        """

    func position(_ line: Int, _ character: Int) -> [String: Any] {
        ["textDocument": ["uri": Self.uri], "position": ["line": line, "character": character]]
    }

    func testDiagnosticsCompletionHoverDefinitionAndFormattingOverTheProtocol() throws {
        let client = try Client()
        defer { client.process.terminate() }
        let initialized = try XCTUnwrap(client.request("initialize", ["capabilities": [:]]) as? [String: Any])
        let capabilities = try XCTUnwrap(initialized["capabilities"] as? [String: Any])
        XCTAssertEqual(capabilities["hoverProvider"] as? Bool, true)
        XCTAssertEqual(capabilities["definitionProvider"] as? Bool, true)
        XCTAssertEqual(capabilities["documentFormattingProvider"] as? Bool, true)
        XCTAssertNotNil(capabilities["completionProvider"])
        try client.send(["method": "initialized", "params": [:]])

        // Diagnostics on open: the misspelt option, where it is.
        try client.send(["method": "textDocument/didOpen", "params": [
            "textDocument": ["uri": Self.uri, "languageId": "wds", "version": 1, "text": Self.text]]])
        let published = try client.notification("textDocument/publishDiagnostics")
        XCTAssertEqual(published["uri"] as? String, Self.uri)
        let diagnostics = try XCTUnwrap(published["diagnostics"] as? [[String: Any]])
        XCTAssertEqual(diagnostics.count, 1, "\(diagnostics)")
        let first = try XCTUnwrap(diagnostics.first)
        XCTAssertTrue((first["message"] as? String ?? "").contains("unknown option '--protocl'"), "\(first)")
        XCTAssertTrue((first["message"] as? String ?? "").contains("did you mean '--protocol'?"), "\(first)")
        XCTAssertEqual(first["severity"] as? Int, 1)
        let range = try XCTUnwrap(first["range"] as? [String: [String: Int]])
        XCTAssertEqual(range["start"], ["line": 5, "character": 20])
        XCTAssertEqual(range["end"], ["line": 5, "character": 29])

        // didChange with the error fixed: no diagnostics.
        let fixed = Self.text.replacingOccurrences(of: "--protocl", with: "--protocol")
        try client.send(["method": "textDocument/didChange", "params": [
            "textDocument": ["uri": Self.uri, "version": 2], "contentChanges": [["text": fixed]]]])
        let republished = try client.notification("textDocument/publishDiagnostics")
        XCTAssertEqual((republished["diagnostics"] as? [Any])?.count, 0, "\(republished)")

        // Completion: builtins and functions at a command's start, subcommands, options, variables.
        func labels(_ line: Int, _ character: Int) throws -> [String] {
            let items = try XCTUnwrap(client.request("textDocument/completion", position(line, character)) as? [[String: Any]])
            return items.compactMap { $0["label"] as? String }
        }
        try client.send(["method": "textDocument/didChange", "params": [
            "textDocument": ["uri": Self.uri, "version": 3],
            "contentChanges": [["text": fixed + "pre\nmkd\nrule app\nrule append FORWARD --pro\necho $ta\n"]]]])
        _ = try client.notification("textDocument/publishDiagnostics")
        XCTAssertEqual(try labels(9, 3), ["prepare"])
        XCTAssertEqual(try labels(10, 3), ["mkdir"])
        XCTAssertEqual(try labels(11, 8), ["append"])
        XCTAssertEqual(try labels(12, 25), ["--protocol"])
        XCTAssertEqual(try labels(13, 8), ["$target"])

        // Hover: a builtin's reference, and a family's subcommand's.
        let hover = try XCTUnwrap(client.request("textDocument/hover", position(1, 4)) as? [String: Any])
        let contents = try XCTUnwrap((hover["contents"] as? [String: Any])?["value"] as? String)
        XCTAssertTrue(contents.contains("mkdir [--parents] PATH") || contents.contains("mkdir"), contents)
        XCTAssertTrue(contents.contains("Create a directory"), contents)
        let subcommand = try XCTUnwrap(client.request("textDocument/hover", position(5, 7)) as? [String: Any])
        XCTAssertTrue(((subcommand["contents"] as? [String: Any])?["value"] as? String ?? "").contains("rule append"), "\(subcommand)")

        // Go to definition: the function, and the variable.
        let function = try XCTUnwrap(client.request("textDocument/definition", position(4, 2)) as? [String: Any])
        XCTAssertEqual(function["uri"] as? String, Self.uri)
        XCTAssertEqual((function["range"] as? [String: [String: Int]])?["start"], ["line": 0, "character": 4])
        let variable = try XCTUnwrap(client.request("textDocument/definition", position(4, 11)) as? [String: Any])
        XCTAssertEqual((variable["range"] as? [String: [String: Int]])?["start"], ["line": 3, "character": 4])

        // Formatting: one edit, the text `wds fmt` makes.
        try client.send(["method": "textDocument/didChange", "params": [
            "textDocument": ["uri": Self.uri, "version": 4], "contentChanges": [["text": fixed]]]])
        _ = try client.notification("textDocument/publishDiagnostics")
        let edits = try XCTUnwrap(client.request("textDocument/formatting", [
            "textDocument": ["uri": Self.uri], "options": ["tabSize": 2, "insertSpaces": true]]) as? [[String: Any]])
        XCTAssertEqual(edits.count, 1)
        let formatted = try XCTUnwrap(edits.first?["newText"] as? String)
        XCTAssertTrue(formatted.contains("if true {\n  echo done\n}\n"), formatted)

        // shutdown, then exit: status 0.
        _ = try client.request("shutdown", [:])
        try client.send(["method": "exit"])
        client.process.waitUntilExit()
        XCTAssertEqual(client.process.terminationStatus, 0)
    }
}
