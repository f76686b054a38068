import Backends
import HostSystem
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

struct FormatCommand: RunnableCommand {
    var check: Bool
    var diff: Bool
    var color: ColorOptions
    var files: [String]

    init(_ arguments: ParsedArguments) {
        check = arguments.flag("check")
        diff = arguments.flag("diff")
        color = ColorOptions(arguments)
        files = arguments.positionalList("files")
    }

    func validate() throws {
        if files.isEmpty { throw ValidationError("missing script (wds fmt FILE…)") }
    }

    func run() throws {
        color.apply()
        let colorDiff = color.choice.enabled(onDescriptor: 1)
        var status = ExitStatus.success
        var unformatted: [String] = []
        var paths: [String] = []
        for argument in files {
            let found = FormatCommand.scripts(at: argument)
            paths += found.files
            for failure in found.failures {
                FormatCommand.printError(Diagnostic("cannot read folder '\(failure.path)': \(failure.reason)", at: nil).render())
                status = ExitStatus.usage
            }
        }
        for path in paths {
            let isStandardInput = path == "-"
            let name = isStandardInput ? "<stdin>" : path
            let bytes: [UInt8]
            switch isStandardInput ? FileBytes.standardInput() : FileBytes.contents(of: path) {
            case .success(let contents): bytes = contents
            case .failure(let failure):
                FormatCommand.printError(Diagnostic("cannot read '\(name)': \(failure)", at: nil).render())
                status = ExitStatus.usage
                continue
            }
            let file = SourceFile(name: name, path: isStandardInput ? nil : path, bytes: bytes)
            let text: String
            switch Formatter.format(file) {
            case .invalid(let diagnostics):
                for diagnostic in diagnostics { FormatCommand.printError(diagnostic.render()) }
                status = ExitStatus.usage
                // Standard input is left as it is too: given back whole, so an editor's filter
                // (Vim's formatprg) keeps the text it sent.
                if isStandardInput, !check, !diff { Spawn.writeAll(1, bytes) }
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
                if diff {
                    let change = UnifiedDiff.diff(original, text, oldName: name + ".orig", newName: name)
                    Spawn.writeAll(1, Array((colorDiff ? FormatCommand.colored(diff: change) : change).utf8))
                }
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

    /// A unified diff for a terminal: headers bold, hunk lines cyan, removals red, additions green.
    static func colored(diff: String) -> String {
        var out = ""
        for line in diff.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let code: String?
            if line.hasPrefix("--- ") || line.hasPrefix("+++ ") { code = "1" }
            else if line.hasPrefix("@@") { code = "36" }
            else if line.hasPrefix("-") { code = "31" }
            else if line.hasPrefix("+") { code = "32" }
            else { code = nil }
            out += code.map { "\u{1B}[\($0)m\(line)\u{1B}[0m\n" } ?? "\(line)\n"
        }
        return out
    }

    struct FolderFailure: Error {
        let path: String
        let reason: FileBytes.Failure
    }

    /// An argument as the files it names: a folder (not through a symlink) is
    /// every `.wds` file under it, in name order, entries starting with `.`
    /// skipped (`.git`, `.build`); anything else is itself. A folder that
    /// cannot be listed is a failure, and the rest are still found.
    static func scripts(at path: String) -> (files: [String], failures: [FolderFailure]) {
        var info = stat()
        guard path != "-", lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return ([path], []) }
        guard let directory = opendir(path) else { return ([], [FolderFailure(path: path, reason: .init(code: errno))]) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        closedir(directory)
        var found: (files: [String], failures: [FolderFailure]) = ([], [])
        for name in names.sorted() {
            let child = path.hasSuffix("/") ? path + name : path + "/" + name
            guard lstat(child, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                let more = scripts(at: child)
                found.files += more.files
                found.failures += more.failures
            } else if name.hasSuffix(".wds") {
                found.files.append(child)
            }
        }
        return found
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
