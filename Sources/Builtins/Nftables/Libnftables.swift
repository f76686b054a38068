#if canImport(Glibc)
import Glibc
#endif

/// nftables' own library, `libnftables.so.1`, loaded at run time: the same
/// parser, evaluator and netlink code `nft -f -` runs, called in this
/// process. A read of one chain is a function call instead of a new `nft`
/// process (about 4 ms each on the reference VM), and the batch text the trace
/// prints is exactly the buffer the library is given. It is loaded with
/// dlopen, not linked, so wds builds and starts on a host without nftables,
/// and fails with status 4 only when a script touches nftables there.
enum Libnftables {
    struct Outcome: Sendable {
        var status: Int32
        var output: String
        var error: String
    }

    struct Unavailable: Error {
        var reason: String
    }

    /// Output flags of libnftables.h.
    static let outputJSON: UInt32 = 1 << 4
    static let outputTerse: UInt32 = 1 << 11

    private typealias New = @convention(c) (UInt32) -> OpaquePointer?
    private typealias Free = @convention(c) (OpaquePointer?) -> Void
    private typealias SetFlags = @convention(c) (OpaquePointer?, UInt32) -> Void
    private typealias Buffer = @convention(c) (OpaquePointer?) -> Int32
    private typealias GetBuffer = @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?
    private typealias Run = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    private typealias RunFile = @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32

    private struct Functions {
        var new: New
        var free: Free
        var setFlags: SetFlags
        var bufferOutput: Buffer
        var bufferError: Buffer
        var outputBuffer: GetBuffer
        var errorBuffer: GetBuffer
        var run: Run
        var runFile: RunFile
    }

    nonisolated(unsafe) private static var loaded: Result<Functions, Unavailable>?
    nonisolated(unsafe) private static var mutex = pthread_mutex_t()
    private static let initialized: Bool = {
        pthread_mutex_init(&mutex, nil)
        return true
    }()

    private static func functions() -> Result<Functions, Unavailable> {
        if let loaded { return loaded }
        let result: Result<Functions, Unavailable>
        if let handle = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL) {
            func symbol<T>(_ name: String, _ type: T.Type) -> T? {
                dlsym(handle, name).map { unsafeBitCast($0, to: type) }
            }
            if let new = symbol("nft_ctx_new", New.self), let free = symbol("nft_ctx_free", Free.self),
               let setFlags = symbol("nft_ctx_output_set_flags", SetFlags.self),
               let bufferOutput = symbol("nft_ctx_buffer_output", Buffer.self),
               let bufferError = symbol("nft_ctx_buffer_error", Buffer.self),
               let outputBuffer = symbol("nft_ctx_get_output_buffer", GetBuffer.self),
               let errorBuffer = symbol("nft_ctx_get_error_buffer", GetBuffer.self),
               let run = symbol("nft_run_cmd_from_buffer", Run.self),
               let runFile = symbol("nft_run_cmd_from_filename", RunFile.self) {
                result = .success(Functions(new: new, free: free, setFlags: setFlags, bufferOutput: bufferOutput,
                                            bufferError: bufferError, outputBuffer: outputBuffer, errorBuffer: errorBuffer,
                                            run: run, runFile: runFile))
            } else {
                result = .failure(Unavailable(reason: "libnftables.so.1 lacks the functions wds calls"))
            }
        } else {
            result = .failure(Unavailable(reason: "libnftables.so.1 is not installed (it comes with the nftables package)"))
        }
        loaded = result
        return result
    }

    private typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>?, UInt32) -> Int32

    /// memfd_create(2), found at run time (Swift's Glibc module does not declare it): -1 where it is missing.
    private static func anonymousFile() -> Int32 {
        guard let symbol = dlsym(nil, "memfd_create") else { return -1 }
        let create = unsafeBitCast(symbol, to: MemfdCreate.self)
        return create("wds-nft-batch", 1)  // MFD_CLOEXEC
    }

    /// Runs nft commands (one or many lines, as `nft -f -` reads them) with
    /// the given output flags; status 0 when nft accepted all of them. A batch
    /// of several lines is read as a file (an anonymous one, memfd), as
    /// `nft -f` reads it: given as a buffer, libnftables 1.0.6 quotes the
    /// buffer's first line in every error instead of the line at fault, and
    /// names no line number.
    static func run(_ commands: String, flags: UInt32) throws -> Outcome {
        _ = initialized
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        let library: Functions
        switch functions() {
        case .success(let functions): library = functions
        case .failure(let unavailable): throw unavailable
        }
        // A context per call: its cache is never older than this call.
        guard let context = library.new(0) else { throw Unavailable(reason: "nft_ctx_new failed") }
        defer { library.free(context) }
        library.setFlags(context, flags)
        _ = library.bufferOutput(context)
        _ = library.bufferError(context)
        var status: Int32
        let fd = commands.contains("\n") ? anonymousFile() : -1
        if fd >= 0 {
            defer { close(fd) }
            let bytes = Array(commands.utf8)
            var written = 0
            while written < bytes.count {
                let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { break }
                written += n
            }
            _ = lseek(fd, 0, SEEK_SET)
            status = "/proc/self/fd/\(fd)".withCString { library.runFile(context, $0) }
        } else {
            status = commands.withCString { library.run(context, $0) }
        }
        let output = library.outputBuffer(context).map { String(cString: $0) } ?? ""
        let error = library.errorBuffer(context).map { String(cString: $0) } ?? ""
        return Outcome(status: status == 0 ? 0 : 1, output: output, error: error)
    }
}
