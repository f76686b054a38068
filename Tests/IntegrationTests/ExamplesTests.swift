import Foundation
import XCTest

/// examples/: each family's small example says, in its header, the command
/// to try (`# try:`), a shell command that shows its effect (`# check:`), the
/// lines that command prints (`# expect:`) and what undoes a change the
/// namespace does not hold (`# cleanup:`). Each is run as documented, from the
/// repository root, in a fresh network and mount namespace with a private /tmp and /srv.
final class ExamplesTests: XCTestCase {
    static let families = ["files", "mounts", "cgroups", "sysctl", "iptables", "network", "nftables", "programs"]
    /// The folders whose examples are run: every family's, and docs/tutorial.md's.
    static let folders = families + ["tutorial"]

    struct Example {
        var path: String
        var tries: [String] = []
        var checks: [String] = []
        var expected: [String] = []
        var cleanups: [String] = []
    }

    static func example(at url: URL) throws -> Example {
        var example = Example(path: url.path)
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            for (prefix, keyPath) in [("# try: ", \Example.tries), ("# check: ", \.checks), ("# expect: ", \.expected),
                                      ("# cleanup: ", \.cleanups)] where line.hasPrefix(prefix) {
                example[keyPath: keyPath].append(String(line.dropFirst(prefix.count)))
            }
        }
        return example
    }

    func testEveryFamilyHasAnExampleWhoseDocumentedCommandDoesWhatItSays() throws {
        try Namespace.requireNamespaces()
        let root = Namespace.repositoryRoot.appendingPathComponent("examples")
        for family in Self.folders {
            let folder = root.appendingPathComponent(family)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".wds") }.sorted()
            XCTAssertFalse(files.isEmpty, "examples/\(family) has no example")
            for file in files {
                let example = try Self.example(at: folder.appendingPathComponent(file))
                let name = "examples/\(family)/\(file)"
                XCTAssertEqual(example.tries.count, 1, "\(name): one `# try:` line")
                XCTAssertFalse(example.checks.isEmpty || example.expected.isEmpty, "\(name): `# check:` and `# expect:` lines")
                guard let command = example.tries.first, command.hasPrefix("wds run \(name)") else {
                    XCTFail("\(name): the `# try:` line runs another file: \(example.tries)")
                    continue
                }
                if family == "nftables", !FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft") { continue }
                let result = Namespace.run("""
                    private_tmp
                    # The tutorial's script makes /srv/app: a /srv of the namespace's own.
                    [ -d /srv ] && mount -t tmpfs none /srv
                    trap \(Namespace.shellQuote((example.cleanups + ["true"]).joined(separator: "; "))) EXIT
                    cd "$REPO"
                    "$WDS" \(command.dropFirst("wds ".count)) || { echo "status $?"; exit 1; }
                    echo "--"
                    \(example.checks.joined(separator: "\n"))
                    """)
                XCTAssertEqual(result.standardOutput, "--\n" + example.expected.map { $0 + "\n" }.joined(),
                               "\(name): \(result.standardError)")
            }
        }
    }
}
