#if canImport(Glibc)
import Glibc
#endif
import HostSystem
import Interpreter
import Lexer

/// The host basics init and hook scripts use: processes read from /proc and
/// signalled, files copied, replaced at once, given a mode or an owner, and
/// trees removed. Every path is walked as SafePath walks it: a link wds does
/// not trust is never followed, and the final call is made relative to the
/// directory reached.
extension SystemHost {
    func failure(_ message: String, _ code: Int32, at location: SourceRange) -> CommandFailure {
        CommandFailure("\(message): \(errnoMessage(code))", at: location, status: exitStatus(forErrno: code))
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

    static let signals: [String: Int32] = ["HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10, "USR2": 12, "TERM": 15,
                                           "CONT": 18, "STOP": 19, "0": 0]

    func signal(_ pids: [Int], _ name: String, at location: SourceRange) throws {
        guard let number = SystemHost.signals[name] else { throw CommandFailure("unknown signal '\(name)'", at: location) }
        for pid in pids where kill(pid_t(pid), number) != 0 {
            let code = errno
            if code == ESRCH { continue }  // gone already: what the signal was for
            throw failure("cannot send \(name) to process \(pid)", code, at: location)
        }
    }

    // MARK: - Files

    /// Reads all of a descriptor; nil on an error.
    static func readAll(_ fd: Int32) -> [UInt8]? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue } else { return nil } }
            if n == 0 { return bytes }
            bytes += chunk[0..<n]
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue } else { return errno } }
            offset += n
        }
        return nil
    }

    func copyFile(_ source: String, to destination: String, at location: SourceRange) throws {
        let (input, code) = try SafePath.openFile(source, flags: O_RDONLY, followLast: true, at: location)
        guard input >= 0 else { throw failure("cannot open '\(source)'", code, at: location) }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0 else { throw failure("cannot read '\(source)'", errno, at: location) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw CommandFailure("'\(source)' is not a file; copy-file copies files", at: location) }
        guard let bytes = SystemHost.readAll(input) else { throw failure("cannot read '\(source)'", errno, at: location) }
        let (output, openCode) = try SafePath.openFile(destination, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600,
                                                       followLast: false, at: location)
        guard output >= 0 else { throw failure("cannot open '\(destination)' for writing", openCode, at: location) }
        defer { close(output) }
        if let code = SystemHost.writeAll(output, bytes) { throw failure("cannot write '\(destination)'", code, at: location) }
        guard fchown(output, info.st_uid, info.st_gid) == 0 else { throw failure("cannot give '\(destination)' its owner", errno, at: location) }
        guard fchmod(output, info.st_mode & 0o7777) == 0 else { throw failure("cannot give '\(destination)' its mode", errno, at: location) }
    }

    /// Written beside PATH, flushed, then renamed over it: a reader sees the old file or the new one, never half.
    func replaceFile(_ path: String, _ contents: String, at location: SourceRange) throws {
        let place = try SafePath.locate(path, followLast: false, at: location)
        defer { close(place.directory) }
        let beside = "." + place.name + ".wds-new"
        unlinkat(place.directory, beside, 0)
        let fd = openat(place.directory, beside, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create '\(ReplayLine.besideName(path))'", errno, at: location) }
        var renamed = false
        defer {
            close(fd)
            if !renamed { unlinkat(place.directory, beside, 0) }
        }
        if let code = SystemHost.writeAll(fd, Array(contents.utf8)) { throw failure("cannot write '\(path)'", code, at: location) }
        var old = stat()
        if fstatat(place.directory, place.name, &old, AT_SYMLINK_NOFOLLOW) == 0 {
            guard (old.st_mode & S_IFMT) == S_IFREG else {
                throw CommandFailure("'\(path)' is not a file (a link or a directory); replace-file replaces files", at: location)
            }
            guard fchown(fd, old.st_uid, old.st_gid) == 0, fchmod(fd, old.st_mode & 0o7777) == 0 else {
                throw failure("cannot give the new '\(path)' the old one's mode and owner", errno, at: location)
            }
        }
        guard fsync(fd) == 0 else { throw failure("cannot write '\(path)'", errno, at: location) }
        guard renameat(place.directory, beside, place.directory, place.name) == 0 else {
            throw failure("cannot rename '\(ReplayLine.besideName(path))' to '\(path)'", errno, at: location)
        }
        renamed = true
    }

    func setMode(_ path: String, _ mode: UInt32, at location: SourceRange) throws {
        let place = try SafePath.locate(path, followLast: true, at: location)
        defer { close(place.directory) }
        guard fchmodat(place.directory, place.name, mode_t(mode), 0) == 0 else {
            throw failure("cannot change the mode of '\(path)'", errno, at: location)
        }
    }

    func setOwner(_ path: String, _ owner: UInt32?, _ group: UInt32?, at location: SourceRange) throws {
        let place = try SafePath.locate(path, followLast: true, at: location)
        defer { close(place.directory) }
        guard fchownat(place.directory, place.name, owner ?? UInt32.max, group ?? UInt32.max, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw failure("cannot change the owner of '\(path)'", errno, at: location)
        }
    }

    /// `rm -rf` that never follows a link and never crosses into another mounted file system.
    func removeTree(_ path: String, at location: SourceRange) throws {
        let place = try SafePath.locate(path, followLast: false, at: location)
        defer { close(place.directory) }
        var info = stat()
        guard fstatat(place.directory, place.name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }
            throw failure("cannot remove '\(path)'", errno, at: location)
        }
        try removeEntry(place.directory, place.name, path, device: info.st_dev, at: location)
    }

    private func removeEntry(_ directory: Int32, _ name: String, _ path: String, device: UInt, at location: SourceRange) throws {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return }
            throw failure("cannot remove '\(path)'", errno, at: location)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            guard info.st_dev == device else {
                throw CommandFailure("'\(path)' is another mounted file system; unmount it before removing the tree", at: location,
                                     hint: "`unmount --recursive` unmounts every mount below a path, deepest first")
            }
            let fd = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0, let stream = fdopendir(fd) else { throw failure("cannot open '\(path)'", errno, at: location) }
            defer { closedir(stream) }
            var names: [String] = []
            while let entry = readdir(stream) {
                let child = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if child != "." && child != ".." { names.append(child) }
            }
            for child in names { try removeEntry(dirfd(stream), child, path + "/" + child, device: device, at: location) }
            guard unlinkat(directory, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
                throw failure("cannot remove directory '\(path)'", errno, at: location)
            }
        } else {
            guard unlinkat(directory, name, 0) == 0 || errno == ENOENT else { throw failure("cannot remove '\(path)'", errno, at: location) }
        }
    }
}
