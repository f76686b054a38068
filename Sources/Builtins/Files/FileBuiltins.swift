import Interpreter
import Lexer

/// Files and directories. Reads are probes (the trace answers them from the
/// live host or a state file); writes are effects.
enum FileBuiltins {
    static func info(_ call: Invocation, _ index: Int = 0) throws -> FileInfo? {
        guard case .fileInfo(let info) = try call.perform(.fileInfo(path: try call.text(index))) else { return nil }
        return info
    }

    static let specs: [BuiltinSpec] = [
        BuiltinSpec("exists", summary: "Whether PATH exists (a file, directory or anything else).",
                    parameters: [Parameter("path", .path)], example: "if ! exists /tmp/warden/cgroup { … }") { call in
            .boolean(try info(call) != nil)
        },
        BuiltinSpec("is-dir", summary: "Whether PATH is a directory.",
                    parameters: [Parameter("path", .path)], example: "is-dir /sys/fs/cgroup") { call in
            .boolean(try info(call)?.kind == .directory)
        },
        BuiltinSpec("is-file", summary: "Whether PATH is a regular file.",
                    parameters: [Parameter("path", .path)], example: "is-file $script_dir/etc/config") { call in
            .boolean(try info(call)?.kind == .file)
        },
        BuiltinSpec("is-executable", summary: "Whether PATH is a file that may be executed.",
                    parameters: [Parameter("path", .path)], example: "if is-executable /etc/init.d/apparmor { … }") { call in
            let found = try info(call)
            return .boolean(found?.kind == .file && found?.isExecutable == true)
        },
        BuiltinSpec("read-file", summary: "The contents of a text file. A file that is not UTF-8 is refused (a failure), since its value would have other bytes.",
                    parameters: [Parameter("path", .path)], example: "let forward = $(trim $(read-file /proc/sys/net/ipv4/ip_forward))") { call in
            guard case .text(let text) = try call.perform(.readFile(path: try call.text(0))) else { return .empty }
            return .string(text)
        },
        BuiltinSpec("write-file", summary: "Replace the contents of PATH with TEXT (created if missing). No newline is added. A symbolic link at PATH is not followed (an error).",
                    parameters: [Parameter("path", .path), Parameter("text")],
                    example: "write-file /tmp/warden/ready \"yes\\n\"") { call in
            try call.perform(.file(.write(path: try call.text(0), contents: try call.text(1), append: false)))
            return .empty
        },
        BuiltinSpec("append-file", summary: "Add TEXT at the end of PATH (created if missing). A symbolic link at PATH is not followed (an error).",
                    parameters: [Parameter("path", .path), Parameter("text")],
                    example: "append-file /var/log/wds.log \"setup done\\n\"") { call in
            try call.perform(.file(.write(path: try call.text(0), contents: try call.text(1), append: true)))
            return .empty
        },
        BuiltinSpec("list-dir", summary: "The names in a directory, sorted (without . and ..). A name that is not UTF-8 is refused (a failure): a path made from it would name another file.",
                    parameters: [Parameter("path", .path)], example: "for name in $(list-dir /tmp/warden/cgroup) { … }") { call in
            guard case .names(let names) = try call.perform(.listDirectory(path: try call.text(0))) else { return .list([]) }
            return .list(names.sorted().map(Value.string))
        },
        BuiltinSpec("glob", summary: "The paths matching PATTERN, sorted; `*` and `?` match within one path part. No match gives an empty list.",
                    parameters: [Parameter("pattern", .path)], example: "for dir in $(glob /tmp/warden/cgroup/*) { … }") { call in
            .list(try expandGlob(try call.text(0), call).map(Value.string))
        },
        BuiltinSpec("mkdir", summary: "Create a directory; with --parents, also its missing parents, and no error if it exists.",
                    parameters: [Parameter("path", .path)],
                    options: [OptionSpec("--parents", aliases: ["-p"], summary: "create parents; succeed if it exists")],
                    example: "mkdir --parents /tmp/warden/cgroup") { call in
            try call.perform(.file(.makeDirectory(path: try call.text(0), parents: call.has("--parents"))))
            return .empty
        },
        BuiltinSpec("rmdir", summary: "Remove an empty directory.",
                    parameters: [Parameter("path", .path)], example: "rmdir /tmp/warden/cgroup/cpu") { call in
            try call.perform(.file(.removeDirectory(path: try call.text(0))))
            return .empty
        },
        BuiltinSpec("remove-file", summary: "Remove a file; no error if it is already gone.",
                    parameters: [Parameter("path", .path)], example: "remove-file $pidfile") { call in
            try call.perform(.file(.remove(path: try call.text(0))))
            return .empty
        },
        BuiltinSpec("remove-empty-dirs", summary: "Remove PATH and every directory below it, deepest first (what `find | sort | tac | xargs rmdir` did). Fails on a non-empty one.",
                    parameters: [Parameter("path", .path)], example: "remove-empty-dirs /tmp/warden/cgroup/cpu/instance-abc") { call in
            try removeTree(try call.text(0), call)
            return .empty
        },
        BuiltinSpec("load-config", summary: "Read a shell-style KEY=value file (such as Warden's etc/config) into a record. Nothing in it is run.",
                    parameters: [Parameter("path", .path)], example: "let config = $(load-config $script_dir/etc/config)") { call in
            guard case .text(let text) = try call.perform(.readFile(path: try call.text(0))) else { return .record(Record()) }
            switch ConfigFile.parse(text) {
            case .success(let record): return .record(record)
            case .failure(let problem):
                throw call.fail("\(try call.text(0)):\(problem.line): \(problem.message)")
            }
        },
    ]

    static func expandGlob(_ pattern: String, _ call: Invocation) throws -> [String] {
        let absolute = pattern.hasPrefix("/")
        var candidates = [absolute ? "/" : ""]
        let parts = pattern.split(separator: "/").map(String.init)
        for part in parts {
            var next: [String] = []
            for base in candidates {
                let join: (String) -> String = { base.isEmpty ? $0 : (base.hasSuffix("/") ? base + $0 : base + "/" + $0) }
                if !part.contains("*") && !part.contains("?") {
                    next.append(join(part))
                    continue
                }
                let directory = base.isEmpty ? "." : base
                guard case .fileInfo(let info) = try call.perform(.fileInfo(path: directory)), info?.kind == .directory,
                      case .names(let names) = try call.perform(.listDirectory(path: directory)) else { continue }
                for name in names.sorted() where Glob.matches(part, name) && (!name.hasPrefix(".") || part.hasPrefix(".")) {
                    next.append(join(name))
                }
            }
            candidates = next
        }
        // Literal parts were kept blindly; keep only what exists.
        return try candidates.filter { path in
            guard case .fileInfo(let info) = try call.perform(.fileInfo(path: path)) else { return false }
            return info != nil
        }
    }

    static func removeTree(_ path: String, _ call: Invocation) throws {
        guard case .fileInfo(let info) = try call.perform(.fileInfo(path: path)), let info else { return }
        guard info.kind == .directory else {
            throw call.fail("'\(path)' is not a directory; remove-empty-dirs removes only directories")
        }
        if case .names(let names) = try call.perform(.listDirectory(path: path)) {
            for name in names.sorted().reversed() {
                let child = path.hasSuffix("/") ? path + name : path + "/" + name
                if case .fileInfo(let childInfo) = try call.perform(.fileInfo(path: child)), childInfo?.kind == .directory {
                    try removeTree(child, call)
                }
            }
        }
        try call.perform(.file(.removeDirectory(path: path)))
    }
}

/// Shell-style `KEY=value` files: `#` comments, optional `export`, values bare
/// or in single or double quotes. Nothing is expanded or executed.
public enum ConfigFile {
    public struct Problem: Error, Equatable {
        public var line: Int
        public var message: String
    }

    public static func parse(_ text: String) -> Result<Record, Problem> {
        var record = Record()
        // Lines end at each "\n" byte, as sh reads them: splitting by Character would take a
        // CRLF file's "\r\n" for no line end at all, and one value would swallow the lines after it.
        for (number, rawLine) in Substring(text).splitAll("\n").enumerated() {
            var line = TextBuiltins.trim(String(rawLine))[...]
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7).drop(while: { $0 == " " }) }
            guard let equals = line.firstIndex(of: "="), Validation.isName(String(line[..<equals])) else {
                return .failure(Problem(line: number + 1, message: "expected KEY=value"))
            }
            let key = String(line[..<equals])
            var value = line[line.index(after: equals)...]
            let quoted = value.first == "\"" || value.first == "'"
            if let quote = value.first, quoted {
                guard let close = value.dropFirst().firstIndex(of: quote) else {
                    return .failure(Problem(line: number + 1, message: "unterminated quote in the value of \(key)"))
                }
                // After the closing quote, only a comment: `KEY="value"  # why`.
                let rest = TextBuiltins.trim(String(value[value.index(after: close)...]))
                guard rest.isEmpty || rest.hasPrefix("#") else {
                    return .failure(Problem(line: number + 1, message: "text after the closing quote of \(key)'s value"))
                }
                value = value[value.index(after: value.startIndex)..<close]
            } else {
                // As in sh, `#` after a blank starts a comment: `KEY=value  # why` is `value`.
                if let hash = value.indices.first(where: { value[$0] == "#" && $0 > value.startIndex && (value[value.index(before: $0)] == " " || value[value.index(before: $0)] == "\t") }) {
                    value = value[..<hash]
                    while let last = value.last, last == " " || last == "\t" { value = value.dropLast() }
                }
            }
            if !quoted, value.contains(where: { $0 == "$" || $0 == "`" || $0 == ";" }) {
                return .failure(Problem(line: number + 1, message: "the value of \(key) has shell syntax ($, ` or ;), which wds does not run"))
            }
            record[key] = .string(String(value))
        }
        return .success(record)
    }
}
