import Interpreter
import Lexer

/// Control groups at a ROOT, on cgroup v1 (a hierarchy per subsystem, as
/// Warden mounts them) or v2 (unified); `CgroupLayout` tells which. Every
/// step is a plain file effect (mkdir, a write, a read, rmdir), so the trace
/// shows each as a shell line.
enum CgroupBuiltins {
    static let hostFamily = HostFamily("cgroups", builtins: [.family(family)])

    static let root = Parameter("root", HostValues.absolutePath)
    static let name = Parameter("name", HostValues.cgroupName)

    static let family = BuiltinFamily("cgroup", summary: "Create, limit, fill and remove control groups (cgroup v1 hierarchies or v2).", subcommands: [
        BuiltinSpec("cgroup create", summary: "Create group NAME in every hierarchy mounted under ROOT (v1), or once (v2). No error if it exists.",
                    parameters: [root, name], example: "cgroup create /tmp/warden/cgroup instance-$id") { call in
            let layout = try CgroupLayout.detect(try call.text(0), call)
            for directory in layout.directories(try call.text(1)) {
                try call.perform(.file(.makeDirectory(path: directory, parents: true)))
            }
            return .empty
        },
        BuiltinSpec("cgroup set", summary: "Write VALUE to KEY of group NAME, in the hierarchy of KEY's controller. v1 and v2 names of common limits are mapped both ways: memory.limit_in_bytes ↔ memory.max (-1 ↔ max), cpu.shares ↔ cpu.weight (weight = 1 + (shares-2)*9999/262142), pids.max. cgroup.* keys go to every v1 hierarchy.",
                    parameters: [root, name, Parameter("key", HostValues.cgroupKey), Parameter("value", HostValues.cgroupValue)],
                    example: "cgroup set /tmp/warden/cgroup instance-$id memory.limit_in_bytes 536870912") { call in
            let layout = try CgroupLayout.detect(try call.text(0), call)
            let key = try call.text(2), value = try call.text(3)
            let mapped = CgroupKeys.map(key, value, to: layout.version)
            guard let converted = mapped.value else {
                throw call.fail("'\(key)' needs a whole number, got '\(value)'")
            }
            for directory in try directories(for: mapped.key, layout, try call.text(1), call) {
                try explained(layout, mapped.key) {
                    try call.perform(.file(.write(path: directory + "/" + mapped.key, contents: converted, append: false)))
                }
            }
            return .empty
        },
        BuiltinSpec("cgroup get", summary: "The value of KEY of group NAME, trimmed (the file `cgroup set` writes, with the same v1/v2 mapping, unconverted).",
                    parameters: [root, name, Parameter("key", HostValues.cgroupKey)],
                    example: "let limit = $(cgroup get /tmp/warden/cgroup instance-$id memory.limit_in_bytes)") { call in
            let layout = try CgroupLayout.detect(try call.text(0), call)
            let key = CgroupKeys.map(try call.text(2), nil, to: layout.version).key
            let directory = try directories(for: key, layout, try call.text(1), call)[0]
            let text = try explained(layout, key) { try call.perform(.readFile(path: directory + "/" + key)) }
            guard case .text(let contents) = text else { return .empty }
            return .string(TextBuiltins.trim(contents))
        },
        BuiltinSpec("cgroup attach", summary: "Move process PID (all its threads) into group NAME, in every hierarchy (writes cgroup.procs).",
                    parameters: [root, name, Parameter("pid", .pid)], example: "cgroup attach /tmp/warden/cgroup instance-$id $pid") { call in
            let layout = try CgroupLayout.detect(try call.text(0), call)
            let pid = try call.integer(2)
            for directory in layout.directories(try call.text(1)) {
                do {
                    try call.perform(.file(.write(path: directory + "/cgroup.procs", contents: String(pid), append: false)))
                } catch var failure as CommandFailure {
                    if let cpuset = layout.hierarchies.first(where: { $0.controllers.contains("cpuset") }), layout.version == .v1,
                       directory.hasPrefix(cpuset.path + "/") {
                        failure.diagnostic.hint = "a new cpuset group has no CPUs until `cgroup copy-cpuset \(layout.root) \(try call.text(1))`"
                    } else if failure.diagnostic.hint == nil {
                        failure.diagnostic.hint = "does group '\(try call.text(1))' exist (`cgroup create`), and process \(pid)?"
                    }
                    throw failure
                }
            }
            return .empty
        },
        BuiltinSpec("cgroup pids", summary: "The processes in group NAME (from cgroup.procs; on v1, of every hierarchy), sorted.",
                    parameters: [root, name], example: "for pid in $(cgroup pids /tmp/warden/cgroup instance-$id) { … }") { call in
            let layout = try CgroupLayout.detect(try call.text(0), call)
            let existing = try existingDirectories(layout, try call.text(1), call)
            guard !existing.isEmpty else {
                throw call.fail("no cgroup '\(try call.text(1))' under '\(layout.root)'", hint: "create it with `cgroup create`")
            }
            var pids: Set<Int> = []
            for directory in existing { pids.formUnion(try processes(in: directory, call)) }
            return .list(pids.sorted().map(Value.integer))
        },
        BuiltinSpec("cgroup delete", summary: "Remove group NAME from every hierarchy (rmdir). Fails, removing nothing, while it still has processes; no error if it is already gone.",
                    parameters: [root, name], example: "cgroup delete /tmp/warden/cgroup instance-$id") { call in
            let layout = try CgroupLayout.detect(try call.text(0), call)
            let name = try call.text(1)
            let existing = try existingDirectories(layout, name, call)
            for directory in existing {
                let pids = try processes(in: directory, call)
                if !pids.isEmpty {
                    throw call.fail("cgroup '\(name)' still has processes in \(directory): \(pids.map(String.init).joined(separator: " "))",
                                    hint: "stop them or move them out first; `cgroup pids \(layout.root) \(name)` lists them")
                }
            }
            for directory in existing { try call.perform(.file(.removeDirectory(path: directory))) }
            return .empty
        },
        BuiltinSpec("cgroup devices", summary: "Device access of group NAME (cgroup v1 devices controller): --deny-all writes 'a' to devices.deny, then each --allow RULE ('c 1:3 rwm') is written to devices.allow, in order — as Warden's setup did.",
                    parameters: [root, name],
                    options: [OptionSpec("--deny-all", summary: "deny every device first"),
                              OptionSpec("--allow", HostValues.deviceRule, summary: "a devices.allow line, such as 'c 1:3 rwm'", repeatable: true)],
                    example: "cgroup devices /tmp/warden/cgroup instance-$id --deny-all --allow \"c 1:3 rwm\" --allow \"c 1:5 rwm\"") { call in
            let layout = try CgroupLayout.detect(try call.text(0), call)
            guard layout.version == .v1 else {
                throw call.fail("cgroup v2 has no devices.allow/devices.deny: device access there is an eBPF program, which wds does not load")
            }
            let rules = try (call.options["--allow"] ?? []).map { entry -> String in
                guard let text = entry.value.text else { throw Diagnostic("--allow needs text", at: entry.range) }
                return text
            }
            guard call.has("--deny-all") || !rules.isEmpty else {
                throw call.fail("'cgroup devices' needs --deny-all, --allow RULE, or both")
            }
            let directory = try layout.hierarchy(for: "devices", call).path + "/" + (try call.text(1))
            if call.has("--deny-all") {
                try call.perform(.file(.write(path: directory + "/devices.deny", contents: "a", append: false)))
            }
            for rule in rules {
                try call.perform(.file(.write(path: directory + "/devices.allow", contents: rule, append: false)))
            }
            return .empty
        },
        BuiltinSpec("cgroup copy-cpuset", summary: "Give group NAME the CPUs and memory nodes of its parent (cpuset.cpus, cpuset.mems; on v2 the parent's effective ones). A new v1 cpuset group has none, and attaching to it fails until this is done.",
                    parameters: [root, name], example: "cgroup copy-cpuset /tmp/warden/cgroup instance-$id") { call in
            let layout = try CgroupLayout.detect(try call.text(0), call)
            let parent = try layout.hierarchy(for: "cpuset", call).path
            for key in ["cpuset.cpus", "cpuset.mems"] {
                let source = parent + "/" + (layout.version == .v2 ? key + ".effective" : key)
                guard case .text(let value) = try call.perform(.readFile(path: source)) else { continue }
                try explained(layout, key) {
                    try call.perform(.file(.write(path: parent + "/" + (try call.text(1)) + "/" + key,
                                                contents: TextBuiltins.trim(value), append: false)))
                }
            }
            return .empty
        },
    ])

    /// Where KEY lives for group NAME: the hierarchy of its controller, or every
    /// hierarchy for the controller-less `cgroup.*` files.
    static func directories(for key: String, _ layout: CgroupLayout, _ name: String, _ call: Invocation) throws -> [String] {
        let controller = String(key.split(separator: ".")[0])
        if controller == "cgroup" || layout.version == .v2 { return layout.directories(name) }
        return [try layout.hierarchy(for: controller, call).path + "/" + name]
    }

    /// The group's directories that exist.
    static func existingDirectories(_ layout: CgroupLayout, _ name: String, _ call: Invocation) throws -> [String] {
        try layout.directories(name).filter { directory in
            guard case .fileInfo(let info?) = try call.perform(.fileInfo(path: directory)) else { return false }
            return info.kind == .directory
        }
    }

    static func processes(in directory: String, _ call: Invocation) throws -> [Int] {
        let path = directory + "/cgroup.procs"
        // A group made earlier in the same trace exists only in the simulation, without its files.
        guard case .fileInfo(let info?) = try call.perform(.fileInfo(path: path)), info.kind == .file else { return [] }
        guard case .text(let text) = try call.perform(.readFile(path: path)) else { return [] }
        return text.split(separator: "\n").compactMap { Int($0) }
    }

    /// Runs a file effect on a cgroup file, adding what usually explains its failure.
    @discardableResult
    static func explained(_ layout: CgroupLayout, _ key: String, _ body: () throws -> EffectResult) throws -> EffectResult {
        do {
            return try body()
        } catch var failure as CommandFailure {
            if failure.diagnostic.hint == nil {
                let controller = String(key.split(separator: ".")[0])
                failure.diagnostic.hint = layout.version == .v2
                    ? "on cgroup v2, '\(key)' exists only where the \(controller) controller is enabled: write-file \(layout.root)/cgroup.subtree_control \"+\(controller)\""
                    : "does the group exist (`cgroup create`), and does the \(controller) hierarchy have '\(key)'?"
            }
            throw failure
        }
    }
}
