import ArgumentParser
import Backends
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

struct FormatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmt",
        abstract: "Rewrite scripts in wds's canonical layout (comments kept; formatting twice changes nothing).",
        discussion: """
            With no flag, each file is rewritten in place (atomically) if it changed; `-` formats standard input to standard output. A file that does not parse is left as it is, and its errors are printed.

            Exit status: 0 all formatted; 1 with --check or --diff, a file is not formatted; 2 a file does not parse, or cannot be read or written.
            """)

    @Flag(help: "Change nothing; name the files that are not formatted, and exit with 1 if there are any.")
    var check = false

    @Flag(help: "Change nothing; print the change formatting would make, as a unified diff (exit 1 if any).")
    var diff = false

    @Argument(help: "The scripts to format (`-` for standard input).")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("missing script (wds fmt FILE…)") }
    }

    func run() throws {
        var status = ExitStatus.success
        var unformatted: [String] = []
        for path in files {
            let isStandardInput = path == "-"
            let name = isStandardInput ? "<stdin>" : path
            guard let bytes = isStandardInput ? FormatCommand.readStandardInput() : FileBytes.read(path) else {
                FormatCommand.printError(Diagnostic("cannot read '\(path)'", at: nil).render())
                status = ExitStatus.usage
                continue
            }
            let file = SourceFile(name: name, path: isStandardInput ? nil : path, bytes: bytes)
            let text: String
            switch Formatter.format(file) {
            case .invalid(let diagnostics):
                for diagnostic in diagnostics { FormatCommand.printError(diagnostic.render()) }
                status = ExitStatus.usage
                continue
            case .formatted(let formatted):
                text = formatted
            }
            let original = String(decoding: bytes, as: UTF8.self)
            let changed = Array(text.utf8) != bytes
            if check || diff {
                guard changed else { continue }
                unformatted.append(name)
                if check { Spawn.writeAll(1, Array((name + "\n").utf8)) }
                if diff { Spawn.writeAll(1, Array(UnifiedDiff.diff(original, text, oldName: name + ".orig", newName: name).utf8)) }
                if status == ExitStatus.success { status = ExitStatus.failure }
            } else if isStandardInput {
                Spawn.writeAll(1, Array(text.utf8))
            } else if changed {
                if let error = FormatCommand.replace(path, with: Array(text.utf8)) {
                    FormatCommand.printError(Diagnostic("cannot write '\(path)': \(error)", at: nil).render())
                    status = ExitStatus.usage
                }
            }
        }
        if check && !unformatted.isEmpty {
            let files = unformatted.count == 1 ? "1 file is" : "\(unformatted.count) files are"
            FormatCommand.printError("wds fmt: \(files) not formatted; run `wds fmt FILE…` to format them\n")
        }
        throw ExitCode(status)
    }

    static func printError(_ text: String) {
        Spawn.writeAll(2, Array(text.utf8))
    }

    static func readStandardInput() -> [UInt8]? {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { return result }
            result += buffer[0..<n]
        }
    }

    /// Writes a temporary file beside the target (through a symlink, beside
    /// what it points to), with the target's permissions, then renames it over
    /// the target: a reader sees the old file or the new one, never half of one.
    static func replace(_ path: String, with bytes: [UInt8]) -> String? {
        var target = path
        if let resolved = realpath(path, nil) {
            target = String(cString: resolved)
            free(resolved)
        }
        var info = stat()
        guard stat(target, &info) == 0 else { return String(cString: strerror(errno)) }
        let directory = target.lastIndex(of: "/").map { String(target[..<$0]) } ?? "."
        let base = target.split(separator: "/").last.map(String.init) ?? target
        var template = Array("\(directory.isEmpty ? "/" : directory)/.\(base).wds-fmt-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        func fail() -> String {
            let message = String(cString: strerror(errno))
            close(fd)
            unlink(temporary)
            return message
        }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return fail()
            }
            written += n
        }
        _ = fchown(fd, info.st_uid, info.st_gid)  // as root, the file keeps its owner; otherwise it is ours already
        guard fchmod(fd, info.st_mode & 0o7777) == 0, fsync(fd) == 0 else { return fail() }
        close(fd)
        guard rename(temporary, target) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            return message
        }
        return nil
    }
}
