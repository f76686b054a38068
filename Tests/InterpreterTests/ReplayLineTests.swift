@testable import Builtins
import Interpreter
import XCTest

/// Trace lines that bash would read as something other than what the run did,
/// one row each: the effect and the line that replays it exactly.
final class ReplayLineTests: XCTestCase {
    func testLinesThatNeedMoreThanQuoting() {
        let rows: [(Effect, String)] = [
            // A NUL cannot be in a shell word: it goes in printf's format.
            (.file(.write(path: "f", contents: "a\0b", append: false)), "printf '%s\\000%s' a b > f"),
            (.print(text: "\0", toStandardError: false, newline: true), "printf '%s\\000%s\\n' '' ''"),
            (.print(text: "-n", toStandardError: true, newline: false), "printf %s -n >&2"),
            // Programs bash would not start as posix_spawnp does.
            (.family(AnyFamilyEffect(ProgramRun(argv: ["exec", "x"], captureOutput: false))), "env -- exec x"),
            (.family(AnyFamilyEffect(ProgramRun(argv: ["[", "-n", "x"], captureOutput: false))), "env -- '[' -n x"),
            (.family(AnyFamilyEffect(ProgramRun(argv: ["time", "-p"], captureOutput: true))), "env -- time -p >/dev/null"),
            (.family(AnyFamilyEffect(ProgramRun(argv: ["a=b", "c"], captureOutput: false))), "(exec -- a=b c)"),
            (.family(AnyFamilyEffect(ProgramRun(argv: ["%1"], captureOutput: false))), "(exec -- %1)"),
            (.family(AnyFamilyEffect(ProgramRun(argv: ["/bin/echo", "--help"], captureOutput: false))), "/bin/echo --help"),
            // The kernel's units, both limits at once.
            (.family(AnyFamilyEffect(ResourceLimitSet(resource: .core, soft: 1024, hard: UInt64.max))), "prlimit --pid $$ --core=1024:unlimited"),
            (.family(AnyFamilyEffect(SysctlWrite(key: "kernel.domainname", value: "a\\c -n"))),
             "printf '%s\\n' 'a\\c -n' > /proc/sys/kernel/domainname"),
            (.mounts(.unmount(path: "-x")), "umount -- -x"),
            (.mounts(.mount(MountRequest(source: "-src", target: "/t", fileSystemType: nil, bind: true))), "mount --bind -- -src /t"),
        ]
        for (effect, line) in rows {
            XCTAssertEqual(effect.shellCommand, line, "\(effect)")
        }
    }
}
