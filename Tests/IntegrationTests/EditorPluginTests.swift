import Foundation
import TestSupport
import XCTest

/// The Vim plugin run in Vim with the built wds on PATH (indentation as
/// `wds fmt` makes it, `:make` as `wds check`, `gq` as `wds fmt -`), and the
/// editor setups that start `wds lsp`.
final class EditorPluginTests: XCTestCase {
    static let editors = Namespace.repositoryRoot.appendingPathComponent("editors")

    func testVimIndentsAsFmtMakesChecksScriptsAndFormatsThroughFmt() throws {
        guard let vim = ["/usr/bin/vim", "/usr/local/bin/vim"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("vim is not installed")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wds-vim-plugin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let flat = "def f(x) {\nif true {\nfor a in [\n1\n2\n] {\necho \"{ $a\" # ] {\n}\n} else {\necho no\n}\n}\n"
        try flat.write(to: directory.appendingPathComponent("in.wds"), atomically: true, encoding: .utf8)
        try "echo ok\nrule append X --protocl tcp\n".write(to: directory.appendingPathComponent("bad.wds"), atomically: true, encoding: .utf8)
        try "if true {\necho x\n".write(to: directory.appendingPathComponent("open.wds"), atomically: true, encoding: .utf8)
        try """
            set rtp^=\(Self.editors.appendingPathComponent("vim").path)
            filetype plugin indent on
            edit in.wds
            normal gg=G
            write! indented.wds
            edit! in.wds
            normal gggqG
            write! formatted.wds
            edit! open.wds
            normal gggqG
            write! open-after.wds
            edit! bad.wds
            make
            call writefile(map(getqflist(), {_, e -> e.lnum . ':' . e.col . ':' . e.type . ':' . e.text}), 'quickfix.txt')
            qa!
            """.write(to: directory.appendingPathComponent("test.vim"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: vim)
        process.arguments = ["-N", "-u", "NONE", "-i", "NONE", "-n", "-es", "-S", "test.vim"]
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = URL(fileURLWithPath: BuiltBinary.wds).deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        func read(_ name: String) throws -> String {
            try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        let fmt = Namespace.run(["sh", "-c", "\(Namespace.shellQuote(BuiltBinary.wds)) fmt - < \(Namespace.shellQuote(directory.appendingPathComponent("in.wds").path))"])
        XCTAssertEqual(fmt.status, 0, fmt.standardError)
        XCTAssertEqual(try read("indented.wds"), fmt.standardOutput, "= indents as wds fmt lays out")
        XCTAssertEqual(try read("formatted.wds"), fmt.standardOutput, "gq formats through wds fmt")
        XCTAssertEqual(try read("open-after.wds"), "if true {\necho x\n", "gq leaves text that does not parse as it is")
        XCTAssertEqual(try read("quickfix.txt"), "2:15:e:unknown option '--protocl' for 'rule append'\n")
    }

    func testTheEditorsStartTheLanguageServer() throws {
        let package = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: Self.editors.appendingPathComponent("vscode/package.json"))) as? [String: Any])
        let main = try XCTUnwrap(package["main"] as? String)
        let extensionCode = try String(contentsOf: Self.editors.appendingPathComponent("vscode").appendingPathComponent(main), encoding: .utf8)
        XCTAssertTrue(extensionCode.contains("args: [\"lsp\"]"), "the VS Code extension does not start wds lsp")
        XCTAssertNotNil((package["dependencies"] as? [String: Any])?["vscode-languageclient"])
        XCTAssertEqual(package["activationEvents"] as? [String], ["onLanguage:wds"])
        let guide = try String(contentsOf: Namespace.repositoryRoot.appendingPathComponent("docs/editors.md"), encoding: .utf8)
        for needle in ["vim.lsp.start", "cmd = { \"wds\", \"lsp\" }", "[language-server.wds]", "args = [\"lsp\"]", "npm install"] {
            XCTAssertTrue(guide.contains(needle), "docs/editors.md lacks \(needle)")
        }
    }

    /// `wds fmt -` gives back input that does not parse as it is (on standard output, errors on standard error).
    func testFmtFromStandardInputGivesBackTextThatDoesNotParse() throws {
        let result = Namespace.run(["sh", "-c", "printf 'if true {\\necho x\\n' | \(Namespace.shellQuote(BuiltBinary.wds)) fmt -"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.standardOutput, "if true {\necho x\n")
        XCTAssertTrue(result.standardError.contains("expected '}'"), result.standardError)
    }
}
