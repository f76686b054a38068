import Interpreter

/// Argument types of the host families (mount, cgroup, rlimit): each a check
/// that names what is wrong, run on literals at check time and on computed
/// values before the effect, like the built-in `ArgumentType`s.
enum HostValues {
    /// Mountpoints and cgroup roots: compared with /proc/self/mountinfo, which
    /// only knows absolute paths.
    static let absolutePath = ArgumentType.custom("PATH") { text in
        if !text.hasPrefix("/") { return "'\(text)' is not an absolute path (mount points are compared with /proc/self/mountinfo)" }
        if text.contains("\n") { return "a path here cannot contain a newline" }
        return nil
    }

    /// `size=10m,mode=755`: mount options, comma-separated.
    static let mountOptions = ArgumentType.custom("OPTION[,OPTION…]") { text in
        let options = text.split(separator: ",", omittingEmptySubsequences: false)
        if options.contains(where: \.isEmpty) { return "mount options '\(text)' have an empty option (write a,b,c)" }
        if text.contains(where: { $0.isWhitespace }) { return "mount options '\(text)' contain a blank" }
        return nil
    }

    /// `cpu`, `cpu,cpuacct`, `name=systemd`: what a cgroup v1 hierarchy holds.
    static let cgroupSubsystems = ArgumentType.custom("SUBSYSTEM[,SUBSYSTEM…]") { text in
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        for part in parts {
            let body = part.hasPrefix("name=") ? part.dropFirst(5) : part
            guard !body.isEmpty, body.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
                return "'\(text)' is not a cgroup subsystem list like cpu or cpu,cpuacct"
            }
        }
        return nil
    }

    /// One directory name: `instance-abc`, `wds-test-1`.
    static let cgroupName = ArgumentType.custom("NAME") { text in
        if text.isEmpty { return "a cgroup name cannot be empty" }
        if text == "." || text == ".." { return "'\(text)' is not a cgroup name" }
        if text.contains("/") { return "cgroup name '\(text)' contains '/' (nested groups are not supported)" }
        if text.contains(where: { $0.isWhitespace }) { return "cgroup name '\(text)' contains a blank" }
        if text.utf8.count > 255 { return "cgroup name '\(text)' is longer than 255 bytes" }
        return nil
    }

    /// A cgroup interface file: `memory.limit_in_bytes`, `cpu.weight`, `pids.max`.
    static let cgroupKey = ArgumentType.custom("KEY") { text in
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }) else {
            return "'\(text)' is not a cgroup file like memory.limit_in_bytes or pids.max"
        }
        return nil
    }

    /// A value written to a cgroup file: one line.
    static let cgroupValue = ArgumentType.custom("VALUE") { text in
        text.contains("\n") ? "a cgroup value is one line; write each line with its own command" : nil
    }

    /// `c 1:3 rwm`, `a`: a line of devices.allow / devices.deny (cgroup v1).
    static let deviceRule = ArgumentType.custom("RULE") { text in
        let parts = text.split(separator: " ")
        let usage = "'\(text)' is not a device rule like 'c 1:3 rwm', 'b *:* m' or 'a'"
        guard let type = parts.first, ["a", "b", "c"].contains(type), parts.count <= 3 else { return usage }
        if type == "a" { return parts.count == 1 ? nil : usage }
        guard parts.count >= 2 else { return usage }
        let numbers = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        guard numbers.count == 2, numbers.allSatisfy({ $0 == "*" || (!$0.isEmpty && $0.allSatisfy(\.isNumber)) }) else { return usage }
        if parts.count == 3, parts[2].isEmpty || !parts[2].allSatisfy({ "rwm".contains($0) }) { return usage }
        return nil
    }

    /// A resource limit: a whole number or `unlimited`.
    static let limitValue = ArgumentType.custom("N|unlimited") { text in
        if text == "unlimited" || text == "infinity" { return nil }
        guard let _ = UInt64(text), text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return "'\(text)' is not a limit (a whole number or unlimited)"
        }
        return nil
    }

    static func limitNumber(_ text: String) -> UInt64 {
        text == "unlimited" || text == "infinity" ? UInt64.max : UInt64(text) ?? 0
    }
}
