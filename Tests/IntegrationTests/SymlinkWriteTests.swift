import Foundation
import XCTest

/// No write follows a symbolic link an attacker could have planted (issue 13,
/// point 4): in a world-writable /tmp/x, a link owned by uid 1000 to
/// /tmp/target is refused by every writing builtin, in any component of the
/// path, and nothing reaches its target; a root-owned link in a root-owned
/// 0755 directory is followed.
final class SymlinkWriteTests: XCTestCase {
    static let plant = """
        mkdir -p /tmp/x /tmp/target /tmp/safe /tmp/real
        chmod 1777 /tmp/x; chmod 0755 /tmp/safe
        ln -s /tmp/target /tmp/x/evil; chown -h 1000:1000 /tmp/x/evil
        ln -s /tmp/target /tmp/x/rootlink
        ln -s /tmp/target /tmp/safe/userlink; chown -h 1000:1000 /tmp/safe/userlink
        ln -s /tmp/real /tmp/safe/link
        echo keep > /tmp/target/keep
        """

    static let refusal = "refusing to follow symlink /tmp/x/evil (owned by uid 1000 in world-writable /tmp/x)"

    func testEveryWriteRefusesAPlantedDirectoryLink() throws {
        let script = """
            try { write-file /tmp/x/evil/file "pwned" } catch e { echo "write-file: ${e.message}" }
            try { append-file /tmp/x/evil/keep "pwned" } catch e { echo "append-file: ${e.message}" }
            try { mkdir --parents /tmp/x/evil/a/b } catch e { echo "mkdir --parents: ${e.message}" }
            try { mkdir /tmp/x/evil/a } catch e { echo "mkdir: ${e.message}" }
            try { lock /tmp/x/evil/lock { echo "locked" } } catch e { echo "lock: ${e.message}" }
            try { remove-file /tmp/x/evil/keep } catch e { echo "remove-file: ${e.message}" }
            try { mount tmpfs /tmp/x/evil } catch e { echo "mount: ${e.message}" }
            try { write-file /tmp/x/rootlink/file "pwned" } catch e { echo "root link in /tmp/x: ${e.message}" }
            try { write-file /tmp/safe/userlink/file "pwned" } catch e { echo "user link in /tmp/safe: ${e.message}" }
            """
        let result = try ScriptRun.run(script, setup: Self.plant,
                                       after: "find /tmp/target | sort; cat /tmp/target/keep; grep -c ' /tmp/target' /proc/self/mountinfo")
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutput, """
            write-file: \(Self.refusal)
            append-file: \(Self.refusal)
            mkdir --parents: \(Self.refusal)
            mkdir: \(Self.refusal)
            lock: \(Self.refusal)
            remove-file: \(Self.refusal)
            mount: \(Self.refusal)
            root link in /tmp/x: refusing to follow symlink /tmp/x/rootlink (in world-writable /tmp/x)
            user link in /tmp/safe: refusing to follow symlink /tmp/safe/userlink (owned by uid 1000, not root)

            """)
        XCTAssertEqual(result.after, "/tmp/target\n/tmp/target/keep\nkeep\n0\n", "something was written through a refused link")
    }

    func testTheRefusalIsALocatedDiagnosticWithTheRule() throws {
        let result = try ScriptRun.run("write-file /tmp/x/evil/file \"pwned\"", setup: Self.plant, after: "ls /tmp/target")
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.standardError, """
            /tmp/t/test.wds:1:1: error: \(Self.refusal)
             1 | write-file /tmp/x/evil/file "pwned"
               | ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
            hint: wds writes through a symbolic link only when root owns it and its directory is not world-writable; name the link's target instead

            """)
        XCTAssertFalse(result.standardError.contains("Too many levels"))
        XCTAssertEqual(result.after, "keep\n")
    }

    func testARootLinkInARootDirectoryIsFollowed() throws {
        let script = """
            write-file /tmp/safe/link/file "through the link"
            mkdir --parents /tmp/safe/link/a/b
            lock /tmp/safe/link/lock { echo "locked" }
            mount tmpfs /tmp/safe/link/a
            echo "mounted: $(is-mounted /tmp/real/a)"
            unmount /tmp/safe/link/a
            """
        let result = try ScriptRun.run(script, setup: Self.plant, after: "find /tmp/real | sort; cat /tmp/real/file; echo")
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutput, "locked\nmounted: true\n")
        XCTAssertEqual(result.after, "/tmp/real\n/tmp/real/a\n/tmp/real/a/b\n/tmp/real/file\n/tmp/real/lock\nthrough the link\n")
    }

    /// The last component of write-file is never followed, even when trusted (as before).
    func testWriteFileStillRefusesALinkAsItsLastComponent() throws {
        let result = try ScriptRun.run("write-file /tmp/safe/link \"x\"", setup: Self.plant)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.standardError.contains("hint: PATH is a symbolic link, which write-file does not follow"), result.standardError)
    }
}
