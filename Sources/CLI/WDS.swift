import Backends
import Builtins
import Driver
import HostSystem
import Interpreter
import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// What the whole command line shares; the commands are in Commands.swift.
enum WDS {
    static let version = "0.1.0"
}

extension WDS {
    /// The subcommands' names, known without building the command table (the
    /// fast path in main.swift); `CommandLineTests` checks them against `wds --help`.
    static let subcommandNames: Set<String> = [
        "run", "trace", "check", "fmt", "state", "plan", "apply", "show", "verify", "repl", "lsp", "builtins", "manual", "sandbox-inner", "iptables-canonical",
    ]
}

/// The environment as a script reads it. A variable whose bytes are not UTF-8
/// is not decoded (that would replace bytes with U+FFFD, and name another
/// file): it is recorded under `RunContext.invalidEnvironmentKey`, and `env`
/// refuses it. Programs wds starts get the environment as it is.
func processEnvironment() -> [String: String] {
    var count = 0
    while environ[count] != nil { count += 1 }
    var result: [String: String] = [:]
    result.reserveCapacity(count)
    var pointer = environ
    while let entry = pointer.pointee {
        // Nearly always valid UTF-8: one validation of the whole entry, split at its first `=`.
        if let text = String(validatingCString: entry), let equals = text.utf8.firstIndex(of: UInt8(ascii: "=")) {
            result[String(text[..<equals])] = String(text[text.utf8.index(after: equals)...])
            pointer += 1
            continue
        }
        let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self), count: strlen(entry)))
        if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
            let name = String(decoding: bytes[..<equals], as: UTF8.self)
            if let value = String(validating: bytes[(equals + 1)...], as: UTF8.self) {
                result[name] = value
            } else {
                result[RunContext.invalidEnvironmentKey(name)] = ""
            }
        }
        pointer += 1
    }
    return result
}

/// The command line's arguments, refused (status 2, nothing runs) when one is
/// not UTF-8: a script path or a script argument would otherwise become a
/// different string, and name a different file.
func checkArgumentEncoding() {
    for index in 1..<Int(CommandLine.argc) {
        guard let argument = CommandLine.unsafeArgv[index] else { continue }
        let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(argument).assumingMemoryBound(to: UInt8.self), count: strlen(argument)))
        if String(validating: bytes, as: UTF8.self) == nil {
            let shown = bytes.map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
            let message = Diagnostic("command-line argument \(index) ('\(shown)') is not valid UTF-8", at: nil,
                                     hint: "wds refuses a value it would have to change; a script argument names exactly one file or value")
            Spawn.writeAll(2, Array(message.render().utf8))
            exit(ExitStatus.usage)
        }
    }
}

