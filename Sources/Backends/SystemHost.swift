#if canImport(Glibc)
import Glibc
#endif
import HostSystem
import Interpreter
import Lexer

/// Performs every effect for real: system calls where the kernel offers one
/// (mount(2), flock(2), setrlimit(2), files, rtnetlink for routes), posix_spawn for tools that are
/// the kernel's interface (iptables). Failures become `CommandFailure`s
/// at the script location, with the errno's meaning or the tool's own words.
public final class SystemHost: Host {
    /// Where `echo` and friends write; standard output and error by default.
    let output: (String, Bool) -> Void

    public init(output: @escaping (String, Bool) -> Void = { text, toError in Spawn.writeAll(toError ? 2 : 1, Array(text.utf8)) }) {
        self.output = output
    }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        func failure(_ message: String, _ code: Int32) -> CommandFailure {
            CommandFailure("\(message): \(errnoMessage(code))", at: location, status: exitStatus(forErrno: code))
        }
        switch effect {
        case .readFile(let path):
            let bytes: [UInt8]
            switch FileBytes.contents(of: path) {
            case .success(let contents): bytes = contents
            case .failure(let problem): throw failure("cannot read '\(path)'", problem.code)
            }
            // A value is text: invalid UTF-8 would be replaced, and the value would no longer be the file.
            guard let text = String(validating: bytes, as: UTF8.self) else {
                let start = bytes.prefix(64)
                throw CommandFailure("'\(path)' is not UTF-8 text (it begins '\(Bytes.shown(start))\(bytes.count > start.count ? "…" : "")')", at: location,
                                     hint: "wds refuses bytes it would have to change rather than read them wrong")
            }
            return .text(text)
        case .fileInfo(let path):
            var info = stat()
            guard stat(path, &info) == 0 else { return .fileInfo(nil) }
            let kind: FileInfo.Kind
            switch info.st_mode & S_IFMT {
            case S_IFREG: kind = .file
            case S_IFDIR: kind = .directory
            case S_IFLNK: kind = .symlink
            default: kind = .other
            }
            var found = FileInfo(kind: kind, isExecutable: access(path, X_OK) == 0, size: Int(info.st_size))
            (found.mode, found.owner, found.group) = (UInt32(info.st_mode & 0o7777), info.st_uid, info.st_gid)
            return .fileInfo(found)
        case .listDirectory(let path):
            guard let directory = opendir(path) else { throw failure("cannot list '\(path)'", errno) }
            defer { closedir(directory) }
            var names: [String] = []
            while let entry = readdir(directory) {
                let bytes: [UInt8] = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: UInt8.self, capacity: 256) { Array(UnsafeBufferPointer(start: $0, count: strlen($0))) }
                }
                // A name that is not UTF-8 would come back changed, and a path built from it name another file.
                guard let name = String(validating: bytes, as: UTF8.self) else {
                    throw CommandFailure("a name in '\(path)' is not valid UTF-8: '\(Bytes.shown(bytes[...]))'", at: location,
                                         hint: "wds refuses names it would have to change; rename the file")
                }
                if name != "." && name != ".." { names.append(name) }
            }
            return .names(names)
        case .readSysctl(let key):
            switch FileBytes.contents(of: sysctlPath(key)) {
            case .success(let bytes): return .text(String(decoding: bytes, as: UTF8.self))
            case .failure(let problem): throw failure("cannot read sysctl \(key)", problem.code)
            }
        case .mountTable:
            switch FileBytes.contents(of: "/proc/self/mountinfo") {
            case .success(let bytes): return .text(String(decoding: bytes, as: UTF8.self))
            case .failure(let problem): throw failure("cannot read /proc/self/mountinfo", problem.code)
            }
        case .route(let destination, let family):
            return .route(try RouteQuery.lookup(destination: destination, family: family, at: location))
        case .probeProgram(let argv, let streams):
            return try Spawn.runProgram(argv, capture: true, captureError: streams.error == .capture, input: streams.input,
                                  discardError: streams.error == .discard, at: location)
        case .canonicalPath(let path):
            return .text(try SafePath.canonical(path, at: location))
        case .print(let text, let toStandardError, let newline):
            output(newline ? text + "\n" : text, toStandardError)
            return .done
        case .processTable:
            return .text(SystemHost.processTable())
        case .family(let wrapped):
            return try wrapped.effect.perform(at: location)
        }
    }
}

/// Bytes that are not text, shown as text: printable ASCII as it is, anything else as \xNN.
enum Bytes {
    static func shown(_ bytes: ArraySlice<UInt8>) -> String {
        var out = ""
        for byte in bytes {
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
