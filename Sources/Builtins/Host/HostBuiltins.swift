import Interpreter
import Lexer

/// Host basics that init and hook scripts use: processes found and
/// signalled, the host name, and files copied, replaced at once, given a mode
/// or an owner, or removed with everything below them. Each is one typed
/// effect the trace prints, plan shows and a failed run undoes where it can.
enum HostBuiltins {
    static let familyName = "host"

    /// Processes, the host name and whole-file operations, as one host family. Its own effects are a
    /// signal (`ProcessSignal`) and the language's `lock` block (`LockBlock`); the host name is a sysctl
    /// (`SysctlWrite`), the file operations `FileEffect`s.
    static let hostFamily = HostFamily(familyName, builtins: specs.map(BuiltinRegistry.Entry.single) + [.family(hostnameFamily)],
                                       decoder: { kind, fields in ProcessSignal.decode(kind, fields) ?? LockBlock.decode(kind, fields) },
                                       planNames: ["signal", "lock", "unlock"], lockBlocks: LockBlock.effects)

    static let specs: [BuiltinSpec] = processSpecs + fileSpecs

    // MARK: - Processes

    struct Process {
        var pid: Int
        var parent: Int
        var name: String
        var args: [String]
        var cgroup: String

        var command: String { args.isEmpty ? "[\(name)]" : args.joined(separator: " ") }

        var record: Record {
            Record([("pid", .integer(pid)), ("parent", .integer(parent)), ("name", .string(name)),
                    ("command", .string(command)), ("args", .list(args.map(Value.string))), ("cgroup", .string(cgroup))])
        }
    }

    static func processes(_ call: Invocation) throws -> [Process] {
        guard case .text(let text) = try call.perform(.processTable), let json = try? JSON.parse(text), let items = json.arrayValue else {
            return []
        }
        return items.compactMap { item in
            guard case .number(let pid)? = item["pid"], case .number(let parent)? = item["parent"] else { return nil }
            return Process(pid: Int(pid), parent: Int(parent), name: item["name"]?.stringValue ?? "",
                           args: item["args"]?.arrayValue?.compactMap(\.stringValue) ?? [], cgroup: item["cgroup"]?.stringValue ?? "")
        }.sorted { $0.pid < $1.pid }
    }

    /// The signals `signal` sends, by the name kill(1) gives them.
    static let signalNames = ["TERM", "KILL", "HUP", "INT", "QUIT", "USR1", "USR2", "STOP", "CONT"]
    static let signalType = ArgumentType.custom(signalNames.joined(separator: "|")) { text in
        signalNames.contains(canonicalSignal(text)) ? nil : "'\(text)' is not a signal wds sends (\(signalNames.joined(separator: ", ")))"
    }

    static func canonicalSignal(_ text: String) -> String {
        let upper = text.uppercased()
        return upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
    }

    /// Process ids from numbers, `processes` records, and lists of either.
    static func pids(_ value: Value, _ call: Invocation, at range: SourceRange) throws -> [Int] {
        switch value {
        case .list(let items): return try items.flatMap { try pids($0, call, at: range) }
        case .record(let record):
            guard let pid = record["pid"]?.integerValue else { throw Diagnostic("a record without a pid field is no process", at: range) }
            return [pid]
        default:
            guard let pid = value.integerValue else { throw Diagnostic("expected a process id, got '\(value)'", at: range) }
            return [pid]
        }
    }

    static let processSpecs: [BuiltinSpec] = [
        BuiltinSpec("processes", summary: "The host's processes as records {pid, parent, name, command, args, cgroup}, by pid, from /proc: name is the kernel's name, command the command line joined by blanks (args as a list), cgroup the process's cgroup v2 path (or its first v1 hierarchy's). --command keeps those whose command line matches a pattern (`*` any text, `?` one character), as `pgrep -f`; --name those of one name, as `pgrep -x`; --cgroup those in a cgroup or below it; --parent the children of a process.",
                    options: [OptionSpec("--command", .text, summary: "a pattern the whole command line must match, such as '*dnsmasq*--interface=w-br0*'"),
                              OptionSpec("--name", .text, summary: "the process name, exactly (at most 15 characters, as the kernel keeps it)"),
                              OptionSpec("--cgroup", .text, summary: "a cgroup path, such as /system.slice/garden.service: processes in it or below it"),
                              OptionSpec("--parent", .pid, summary: "only the children of this process")],
                    example: "for p in $(processes --command \"*dnsmasq*w-br0*\") { echo $p.pid $p.command }") { call in
            var found = try processes(call)
            if let pattern = try call.option("--command") { found = found.filter { Glob.matches(pattern, $0.command) } }
            if let name = try call.option("--name") { found = found.filter { $0.name == name } }
            if let cgroup = try call.option("--cgroup") {
                let below = cgroup.hasSuffix("/") ? cgroup : cgroup + "/"
                found = found.filter { $0.cgroup == cgroup || $0.cgroup.hasPrefix(below) }
            }
            if let parent = try call.option("--parent").flatMap(Int.init) { found = found.filter { $0.parent == parent } }
            return .list(found.map { .record($0.record) })
        },
        BuiltinSpec("descendants", summary: "The ids of PID's children, their children and so on, nearest first (PID itself not included); none is an empty list.",
                    parameters: [Parameter("pid", .pid)], example: "signal TERM ...$(descendants $pid) $pid") { call in
            let root = try call.integer(0)
            let all = try processes(call)
            var children: [Int: [Int]] = [:]
            for process in all { children[process.parent, default: []].append(process.pid) }
            var found: [Int] = []
            var queue = children[root] ?? []
            var seen: Set<Int> = [root]
            while !queue.isEmpty {
                let pid = queue.removeFirst()
                guard seen.insert(pid).inserted else { continue }
                found.append(pid)
                queue += children[pid] ?? []
            }
            return .list(found.map(Value.integer))
        },
        BuiltinSpec("signal", summary: "Send SIGNAL (TERM, KILL, HUP, INT, QUIT, USR1, USR2, STOP, CONT; SIGTERM is TERM) to every process given: ids, `processes` records, or lists of them, as one `kill -s SIGNAL PID…`. A process that is already gone is no error; none at all sends nothing.",
                    parameters: [Parameter("signal", signalType)], rest: Parameter("process", .anyValue),
                    example: "signal TERM $(processes --cgroup /garden/$handle)") { call in
            var targets: [Int] = []
            for index in call.positionals.indices.dropFirst() {
                targets += try pids(call.positionals[index], call, at: call.range(ofPositional: index))
            }
            if let bad = targets.first(where: { $0 <= 0 }) {
                throw Diagnostic("'\(bad)' is not a process id (kill(2) would read it as a group or every process)", at: call.range)
            }
            guard !targets.isEmpty else { return .empty }
            var unique: [Int] = []
            for pid in targets where !unique.contains(pid) { unique.append(pid) }
            try call.perform(.family(AnyFamilyEffect(ProcessSignal(pids: unique, signal: canonicalSignal(try call.text(0))))))
            return .empty
        },
    ]

    static let hostnameType = ArgumentType.custom("NAME") { text in
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !text.isEmpty, text.utf8.count <= 64,
              labels.allSatisfy({ !$0.isEmpty && !$0.hasPrefix("-") && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") } }) else {
            return "'\(text)' is not a host name (letters, digits and '-', in dot-separated labels, at most 64 bytes)"
        }
        return nil
    }

    /// `hostname get|set`: the UTS host name, through /proc/sys/kernel/hostname (journaled like a sysctl).
    static let hostnameFamily = BuiltinFamily("hostname", summary: "Read and set the host name (of this UTS namespace).", subcommands: [
        BuiltinSpec("hostname get", summary: "The host name, as uname -n gives it.", example: "let name = $(hostname get)") { call in
            guard case .text(let text) = try call.perform(.readSysctl(key: "kernel.hostname")) else { return .empty }
            return .string(TextBuiltins.trim(text))
        },
        BuiltinSpec("hostname set", summary: "Set the host name (sethostname(2), through /proc/sys/kernel/hostname); a failed run puts the old one back.",
                    parameters: [Parameter("name", hostnameType)], example: "hostname set $handle") { call in
            try call.perform(.family(AnyFamilyEffect(SysctlWrite(key: "kernel.hostname", value: try call.text(0)))))
            return .empty
        },
    ])

    // MARK: - Files

    static let modeType = ArgumentType.custom("MODE") { text in
        guard (3...4).contains(text.count), text.allSatisfy({ ("0"..."7").contains($0) }) else {
            return "'\(text)' is not a mode: write its octal digits, such as 0755 or 644 (wds has no u+x forms)"
        }
        return nil
    }

    static let ownerType = ArgumentType.custom("OWNER[:GROUP]") { text in
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, !text.isEmpty, text != ":",
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") } && !$0.hasPrefix("-") }) else {
            return "'\(text)' is not OWNER, OWNER:GROUP or :GROUP (names or numbers)"
        }
        return nil
    }

    /// A user or group by number, or by name from /etc/passwd or /etc/group (read as probes).
    static func id(_ text: Substring, in database: String, _ call: Invocation) throws -> UInt32 {
        if let number = UInt32(text) { return number }
        guard case .text(let contents) = try call.perform(.readFile(path: database)) else { return 0 }
        for line in contents.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count > 2, fields[0] == text, let id = UInt32(fields[2]) { return id }
        }
        throw call.fail("no \(database == "/etc/passwd" ? "user" : "group") '\(text)' in \(database)")
    }

    static let fileSpecs: [BuiltinSpec] = [
        BuiltinSpec("copy-file", summary: "Copy the file SOURCE to DESTINATION with SOURCE's mode and owner (`cp --preserve=mode,ownership`). A symbolic link at DESTINATION is not followed.",
                    parameters: [Parameter("source", .path), Parameter("destination", .path)],
                    example: "copy-file /etc/resolv.conf $rootfs/etc/resolv.conf") { call in
            try call.perform(.file(.copy(source: try call.text(0), destination: try call.text(1))))
            return .empty
        },
        BuiltinSpec("replace-file", summary: "Replace the contents of PATH with TEXT at once: written beside it (.NAME.wds-new), then renamed over it, so no reader sees half a file. An existing file keeps its mode and owner; a new one is 0644.",
                    parameters: [Parameter("path", .path), Parameter("text")],
                    example: "replace-file /etc/hosts $(join $lines \"\\n\")") { call in
            try call.perform(.file(.replace(path: try call.text(0), contents: try call.text(1))))
            return .empty
        },
        BuiltinSpec("chmod", summary: "Set the permission bits of PATH, in octal (0755).",
                    parameters: [Parameter("mode", modeType), Parameter("path", .path)], example: "chmod 0755 $rootfs/sbin/init") { call in
            guard let mode = UInt32(try call.text(0), radix: 8) else { return .empty }
            try call.perform(.file(.setMode(path: try call.text(1), mode: mode)))
            return .empty
        },
        BuiltinSpec("chown", summary: "Set the owner and group of PATH: OWNER, OWNER:GROUP or :GROUP, by number or by name (from /etc/passwd and /etc/group). A symbolic link itself is changed, not its target.",
                    parameters: [Parameter("owner", ownerType), Parameter("path", .path)], example: "chown 10000:10000 $depot/$handle") { call in
            let parts = try call.text(0).split(separator: ":", omittingEmptySubsequences: false)
            let owner = parts[0].isEmpty ? nil : try id(parts[0], in: "/etc/passwd", call)
            let group = parts.count < 2 || parts[1].isEmpty ? nil : try id(parts[1], in: "/etc/group", call)
            try call.perform(.file(.setOwner(path: try call.text(1), owner: owner, group: group)))
            return .empty
        },
        BuiltinSpec("remove-tree", summary: "Remove PATH and everything below it (`rm -rf`): links are removed, never followed, and a file system mounted below it is an error (unmount it first). A missing PATH is no error.",
                    parameters: [Parameter("path", .path)], example: "remove-tree $depot/$handle") { call in
            let path = try call.text(0)
            if !path.isEmpty && path.allSatisfy({ $0 == "/" || $0 == "." }) && !path.contains("..") && path.hasPrefix("/") { throw Diagnostic("remove-tree does not remove /", at: call.range(ofPositional: 0)) }
            try call.perform(.file(.removeTree(path: path)))
            return .empty
        },
    ]
}
