#if canImport(Glibc)
import Glibc
#endif
import Interpreter

/// Runs a program with posix_spawn and waits with waitpid: no shell, no
/// Foundation (whose Process polls a run loop and costs ~50 ms a child).
public enum Spawn {
    public struct Outcome: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
        /// A captured stream passed `maximumCapture` and was cut there (its pipe closed).
        public var outputTooLarge = false
        /// False when standard output was not valid UTF-8 (`standardOutput` then has U+FFFD for the bad bytes).
        public var standardOutputIsUTF8 = true
    }

    /// The most a captured stream may hold (a value's limit): `$(run yes)` ends
    /// with a diagnostic instead of taking all memory.
    public static let maximumCapture = Limits.maximumValueBytes

    public enum Failure: Error {
        case notFound(String)
        case failed(String, Int32)
    }

    /// Runs `argv`, searching PATH for argv[0]. With `capture`, stdout and
    /// stderr are collected; otherwise they are inherited (stderr is always
    /// collected when `captureError`, to put a tool's complaint in a diagnostic).
    /// With `ownSession`, the child runs in a session (and process group) of its
    /// own, so a signal to wds's group does not reach it; `keep` is a descriptor
    /// the child inherits (and so holds, with any flock on it, until it exits).
    /// `discardOutput` and `discardError` send a stream not captured to /dev/null.
    public static func run(_ argv: [String], input: String? = nil, capture: Bool, captureError: Bool = true,
                           discardOutput: Bool = false, discardError: Bool = false,
                           ownSession: Bool = false, keep: Int32? = nil, setting variables: [String: String] = [:]) throws -> Outcome {
        guard let program = argv.first else { throw Failure.notFound("") }
        guard let path = resolve(program) else { throw Failure.notFound(program) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }

        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], inPipe: [Int32] = [-1, -1]
        if capture { try makePipe(&outPipe, program) }
        if captureError { try makePipe(&errPipe, program) }
        if input != nil { try makePipe(&inPipe, program) }
        if capture { posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1) }
        if captureError { posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2) }
        if input != nil { posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0) }
        if discardOutput && !capture { posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0) }
        if discardError && !captureError { posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) }

        if let keep { posix_spawn_file_actions_adddup2(&actions, keep, keep) }  // dup2 onto itself clears FD_CLOEXEC
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if ownSession { posix_spawnattr_setflags(&attributes, Int16(0x80)) }  // POSIX_SPAWN_SETSID (glibc 2.26+)

        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        // This process's environment, with `variables` set on top of it.
        var cEnvironment: [UnsafeMutablePointer<CChar>?] = []
        if !variables.isEmpty {
            var pointer = environ
            while let entry = pointer.pointee {
                let name = String(decoding: UnsafeRawBufferPointer(start: entry, count: strlen(entry)).prefix { $0 != UInt8(ascii: "=") },
                                  as: UTF8.self)
                if variables[name] == nil { cEnvironment.append(strdup(entry)) }
                pointer += 1
            }
            cEnvironment += variables.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") }
            cEnvironment.append(nil)
        }
        defer { for pointer in cEnvironment { free(pointer) } }
        var pid: pid_t = 0
        let spawnStatus = variables.isEmpty ? posix_spawn(&pid, path, &actions, &attributes, &cArguments, environ)
            : posix_spawn(&pid, path, &actions, &attributes, &cArguments, &cEnvironment)
        for fd in [outPipe[1], errPipe[1], inPipe[0]] where fd >= 0 { close(fd) }
        guard spawnStatus == 0 else {
            for fd in [outPipe[0], errPipe[0], inPipe[1]] where fd >= 0 { close(fd) }
            throw spawnStatus == ENOENT ? Failure.notFound(program) : Failure.failed(program, spawnStatus)
        }
        if let input {
            // Small payloads fit the pipe; larger ones are written while the child reads.
            writeAll(inPipe[1], Array(input.utf8))
            close(inPipe[1])
        }
        let (output, errorOutput, tooLarge) = drain(outPipe[0], errPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let text = String(validating: output, as: UTF8.self)
        return Outcome(status: exitStatus, standardOutput: text ?? String(decoding: output, as: UTF8.self),
                       standardError: String(decoding: errorOutput, as: UTF8.self), outputTooLarge: tooLarge,
                       standardOutputIsUTF8: text != nil)
    }

    /// This wds binary, to run another script in the same version and mode.
    public static var currentExecutable: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return length > 0 ? String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "wds"
    }

    /// What a wds started by `run-script` gets on top of this environment: its
    /// depth, one more than this process's (Limits.maximumScriptDepth).
    public static var scriptChildVariables: [String: String] {
        let depth = getenv(Limits.scriptDepthVariable).flatMap { Int(String(cString: $0)) } ?? 0
        return [Limits.scriptDepthVariable: String(depth + 1)]
    }

    /// A pipe whose ends are closed in the child after dup2 (so no other child inherits them).
    static func makePipe(_ fds: inout [Int32], _ program: String) throws {
        guard pipe(&fds) == 0 else { throw Failure.failed(program, errno) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }

    /// Reads both pipes to their end without deadlocking on either; a stream
    /// past `maximumCapture` is closed (the writer then gets SIGPIPE).
    static func drain(_ out: Int32, _ err: Int32) -> ([UInt8], [UInt8], Bool) {
        var buffers: [Int32: [UInt8]] = [:]
        var tooLarge = false
        var open = [out, err].filter { $0 >= 0 }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 { if errno == EINTR { continue } else { break } }
            for entry in fds where entry.revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    buffers[entry.fd, default: []] += chunk[0..<n]
                    if buffers[entry.fd, default: []].count > maximumCapture {
                        tooLarge = true
                        close(entry.fd)
                        open.removeAll { $0 == entry.fd }
                    }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        return (buffers[out] ?? [], buffers[err] ?? [], tooLarge)
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue } else { return } }
            offset += n
        }
    }

    /// argv[0] as given when it has a slash; otherwise the first match on PATH.
    public static func resolve(_ program: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = directory + "/" + program
            if access(candidate, X_OK) == 0 { return String(candidate) }
        }
        return nil
    }
}
