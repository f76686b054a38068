import Foundation
import TestSupport
import XCTest

/// Runs shell snippets and the built `wds` inside a throwaway network and
/// mount namespace (`unshare --net --mount --propagation private`), so that
/// nothing a test does reaches the host. Each namespace gets `lo` up and a
/// fake uplink: one end of a veth pair (this kernel has no dummy driver) with
/// an address and a default route, as the Warden reference cases describe.
struct Namespace {
    struct Uplink {
        var name = "eth0"
        var address = "10.0.2.15/24"
        var gateway = "10.0.2.2"
    }

    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Skips the test, with a one-line reason, where namespaces cannot be made.
    static func requireNamespaces() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to create network and mount namespaces") }
        let probe = run(["unshare", "--net", "--mount", "--propagation", "private", "true"])
        guard probe.status == 0 else { throw XCTSkip("unshare --net --mount failed: \(probe.standardError)") }
        guard run(["sh", "-c", "command -v iptables-save"]).status == 0 else {
            throw XCTSkip("iptables is not installed (the README's test command installs it)")
        }
    }

    static var wdsBinary: String { BuiltBinary.wds }

    /// Skips a sandbox test that runs a script of the checkout where the sandbox's unprivileged
    /// user could not read it (a checkout in a folder closed to others).
    static func requireReadableByOthers(_ path: String) throws {
        var current = URL(fileURLWithPath: path)
        while current.path != "/" {
            var info = stat()
            guard stat(current.path, &info) == 0, info.st_mode & 0o005 == 0o005 || (current.path == path && info.st_mode & 0o004 != 0) else {
                throw XCTSkip("\(current.path) is not open to others, so the sandbox's user cannot read \(path)")
            }
            current = current.deletingLastPathComponent()
        }
    }

    /// The repository root (for scripts/ and the reference data in Tests/Fixtures).
    static var repositoryRoot: URL { Repository.root }

    /// The Warden reference cases, kept in the repository (Tests/Fixtures/warden).
    static var referenceRoot: URL { Repository.wardenReference }

    /// `private_tmp`: a fresh tmpfs on /tmp, private to the namespace, so tests
    /// can use /tmp paths the host uses. When the checkout (with the built
    /// wds) lives under /tmp itself, as a CI clone may, it is bound back at its
    /// own path through a descriptor opened before the tmpfs hid it (mount must
    /// not canonicalize /proc/self/fd/7 into the path the tmpfs now hides).
    static let privateTmpFunction = """
        private_tmp() {
          local keep=""
          case "$REPO/" in /tmp/*) keep="$REPO" ;; esac
          [ -n "$keep" ] && exec 7<"$keep"
          mount -t tmpfs none /tmp
          if [ -n "$keep" ]; then mkdir -p "$keep" && mount --no-canonicalize --bind /proc/self/fd/7 "$keep"; exec 7<&-; fi
        }
        """

    /// Shell lines that make the fake uplink; `WDS` is exported as the binary's path.
    static func prelude(uplink: Uplink?) -> String {
        var lines = ["set -e", "export WDS=\(shellQuote(wdsBinary))", "export REPO=\(shellQuote(repositoryRoot.path))",
                     privateTmpFunction,
                     // wds's iptables lock lives in /run/wds: keep it, like all of /run, in the namespace.
                     "mount -t tmpfs none /run", "ip link set lo up"]
        if let uplink {
            lines += [
                "ip link add \(uplink.name) type veth peer name \(uplink.name)p",
                "ip link set \(uplink.name)p up",
                "ip addr add \(uplink.address) dev \(uplink.name)",
                "ip link set \(uplink.name) up",
                "ip route add default via \(uplink.gateway) dev \(uplink.name)",
            ]
        }
        lines.append("set +e")
        return lines.joined(separator: "\n")
    }

    /// Runs `script` (bash) in a fresh namespace with the fake uplink; `namespaces` adds others (`--uts`).
    static func run(_ script: String, uplink: Uplink? = Uplink(), environment: [String: String] = [:],
                    namespaces: [String] = []) -> Result {
        let full = prelude(uplink: uplink) + "\n" + script
        return run(["unshare", "--net", "--mount", "--propagation", "private"] + namespaces + ["bash", "-c", full],
                   environment: environment)
    }

    /// Runs a program directly, capturing both streams.
    static func run(_ argv: [String], environment: [String: String] = [:]) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { return Result(status: 127, standardOutput: "", standardError: "\(error)") }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
                      standardError: String(decoding: errData, as: UTF8.self))
    }

    /// `iptables-save` normalized as the reference data is: comments dropped, counters zeroed.
    static let normalizedRulesCommand =
        "iptables-save | grep -v '^#' | sed -E '/^:/ s/\\[[0-9]+:[0-9]+\\]$/[0:0]/'"

    static func shellQuote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Writes a script to a temporary directory and returns its path.
    static func temporaryScript(_ text: String, name: String = "test.wds") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wds-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
