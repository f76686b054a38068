#if canImport(Glibc)
import Glibc
#endif
import HostSystem
import Interpreter
import Lexer

/// The process table read from /proc, which the host builtins' `processes`
/// probe asks for. (Signals are the host family's own effect, in
/// Sources/Builtins/Host/; files copied, replaced, given a mode or an owner,
/// and trees removed are the files family's, in Sources/Builtins/Files/.)
extension SystemHost {
    func failure(_ message: String, _ code: Int32, at location: SourceRange) -> CommandFailure {
        CommandFailure.system(message, code, at: location)
    }

    // MARK: - Processes

    /// Every process as a JSON object {pid, parent, name, args, cgroup}; one that exits while read is left out.
    static func processTable() -> String {
        guard let proc = opendir("/proc") else { return "[]" }
        defer { closedir(proc) }
        var processes: [JSON] = []
        while let entry = readdir(proc) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard let pid = Int(name), let stat = FileBytes.read("/proc/\(pid)/stat") else { continue }
            // `PID (NAME) STATE PPID …`: the name may hold blanks and parentheses; it ends at the last ')'.
            let text = String(decoding: stat, as: UTF8.self)
            guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { continue }
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count >= 2, let parent = Int(fields[1]) else { continue }
            let command = FileBytes.read("/proc/\(pid)/cmdline") ?? []
            var args = command.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            if args.last == "" { args.removeLast() }
            var cgroup = ""
            if let bytes = FileBytes.read("/proc/\(pid)/cgroup") {
                let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
                // The unified hierarchy's path (`0::/x`), else the first v1 hierarchy's.
                let line = lines.first { $0.hasPrefix("0::") } ?? lines.first
                if let line, let colon = line.dropFirst().firstIndex(of: ":").flatMap({ line[line.index(after: $0)...].firstIndex(of: ":") }) {
                    cgroup = String(line[line.index(after: colon)...])
                }
            }
            processes.append(.object([("pid", .number(Double(pid))), ("parent", .number(Double(parent))),
                                      ("name", .string(String(text[text.index(after: open)..<close]))),
                                      ("args", .array(args.map(JSON.string))), ("cgroup", .string(cgroup))]))
        }
        return JSON.array(processes).serialized
    }
}
