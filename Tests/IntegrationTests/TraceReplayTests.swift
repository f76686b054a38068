import Foundation
import XCTest

/// Every trace line, replayed by bash (the shell its first line names), does
/// exactly what the run did: a value that looks like an option stays a value,
/// nothing goes through `echo`, a program is the program and not a bash
/// builtin of the same name, a limit is set in the kernel's units. For each
/// hostile value the script is traced, run, and its trace replayed, each in
/// fresh mount and UTS namespaces with an empty /tmp/work as the working
/// directory; the files (names, modes, bytes), the mounts below /tmp/work, the
/// domain name, standard output, standard error and the status must be the
/// same after the run and after the replay.
final class TraceReplayTests: XCTestCase {
    static let values = [
        "-rf", "--help", "-n", "-e", "-", "a\\tb\\c", "new\nline", "tab\there",
        "it's \"quoted\" $HOME `x` $(y) \\", "%s%n%%", "*", " -x", "é", "--",
    ]

    static let script = """
        let v = $(env V)
        mkdir $v
        write-file "$v/f" $v
        append-file "$v/f" "|$v\\n"
        mkdir --parents "$v/p/$v"
        write-file "$v-file" $v
        remove-file "$v-file"
        mkdir "$v-dir"
        rmdir "$v-dir"
        echo $v
        echo --stderr $v
        run printf "%s|" $v
        run echo $v
        if ! contains $v "\\n" { sysctl set kernel.domainname $v }
        mkdir --parents /tmp/work/m
        mount tmpfs /tmp/work/m --options nosuid,nodev
        mount remount /tmp/work/m --options size=2m
        rlimit set fsize 1048576 unlimited
        run sh -c "ulimit -f; ulimit -H -f"
        """

    /// bash: `side NAME COMMAND…` runs COMMAND in /tmp/work of fresh mount and UTS namespaces and
    /// leaves its output and a snapshot of what it made in /run/replay/NAME.*.
    static let harness = """
        mkdir -p /run/replay
        # The checkout (and its wds) may itself be under /tmp, which each side hides under a tmpfs.
        cp "$WDS" /run/replay/wds && WDS=/run/replay/wds
        \(HostTrace.heredoc(script, to: "/run/replay/test.wds"))
        snapshot() {
          find . -mindepth 1 -printf '%y %m %P\\n' | LC_ALL=C sort
          find . -type f -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' f; do printf '== %q\\n' "$f"; od -An -c -- "$f"; done
          awk '$5 ~ "^/tmp/work" { print $5, $6, $NF }' /proc/self/mountinfo
          printf 'domainname: %s\\n' "$(od -An -c /proc/sys/kernel/domainname)"
        }
        export -f snapshot
        side() {
          local name=$1; shift
          unshare --mount --uts --propagation private bash -c '
            mount -t tmpfs none /tmp && mkdir /tmp/work && cd /tmp/work && umask 022
            echo before > /proc/sys/kernel/domainname
            "$@" > /run/replay/'"$name"'.out 2> /run/replay/'"$name"'.err; echo "status $?" >> /run/replay/'"$name"'.out
            snapshot > /run/replay/'"$name"'.snap
          ' side "$@"
        }
        side trace "$WDS" trace /run/replay/test.wds
        cp /run/replay/trace.out /run/replay/trace.sh
        sed -i '$d' /run/replay/trace.sh
        side run "$WDS" run /run/replay/test.wds
        side replay bash /run/replay/trace.sh
        """

    func testEveryTraceLineReplaysAsTheRunActed() throws {
        try Namespace.requireNamespaces()
        for value in Self.values {
            let result = Namespace.run("""
                export V=\(Namespace.shellQuote(value))
                \(Self.harness)
                echo "#### trace"; cat /run/replay/trace.out /run/replay/trace.err
                for part in out err snap; do
                  if cmp -s /run/replay/run.$part /run/replay/replay.$part; then echo "same $part"
                  else echo "#### $part differs"; diff /run/replay/run.$part /run/replay/replay.$part; fi
                done
                echo "#### run"; cat /run/replay/run.out /run/replay/run.err /run/replay/run.snap
                """, uplink: nil)
            let label = "value \(value.debugDescription)"
            let output = result.standardOutput
            XCTAssertTrue(output.contains("same out\nsame err\nsame snap\n"), "\(label):\n\(output)\(result.standardError)")
            XCTAssertTrue(output.contains("#### trace\n#!/bin/bash\n"), "\(label): the trace does not begin by naming bash:\n\(output)")
            // The run itself went through every statement, so the comparison covers each kind of line.
            XCTAssertTrue(output.contains("status 0\n"), "\(label):\n\(output)")
            XCTAssertTrue(output.contains("/tmp/work/m rw,relatime rw,size=2048k\n"), "\(label): the remount kept nosuid or nodev:\n\(output)")
        }
    }

    /// The lines for one hostile value, as the trace prints them.
    func testLinesForValuesThatLookLikeOptions() throws {
        try Namespace.requireNamespaces()
        let result = Namespace.run("""
            export V=-n
            \(HostTrace.heredoc(Self.script, to: "/run/test.wds"))
            cd /run && "$WDS" trace test.wds
            """, uplink: nil)
        XCTAssertEqual(result.standardOutput, """
            #!/bin/bash
            mkdir -- -n  # test.wds:2
            printf %s -n > -n/f  # test.wds:3
            printf %s $'|-n\\n' >> -n/f  # test.wds:4
            mkdir -p -- -n/p/-n  # test.wds:5
            printf %s -n > -n-file  # test.wds:6
            rm -f -- -n-file  # test.wds:7, point of no return
            mkdir -- -n-dir  # test.wds:8
            rmdir -- -n-dir  # test.wds:9, point of no return
            printf '%s\\n' -n  # test.wds:10
            printf '%s\\n' -n >&2  # test.wds:11
            env -- printf '%s|' -n  # test.wds:12, point of no return
            env -- echo -n  # test.wds:13, point of no return
            printf '%s\\n' -n > /proc/sys/kernel/domainname  # test.wds:14
            mkdir -p -- /tmp/work/m  # test.wds:15
            # probe: realpath -m -- /tmp/work/m  # test.wds:16
            mount -t tmpfs -o nosuid,nodev -- none /tmp/work/m  # test.wds:16, after a probe
            # probe: realpath -m -- /tmp/work/m  # test.wds:17
            mount --options-source=disable -o remount,size=2m -- /tmp/work/m  # test.wds:17, after a probe, point of no return
            prlimit --pid $$ --fsize=1048576:unlimited  # test.wds:18
            sh -c 'ulimit -f; ulimit -H -f'  # test.wds:19, point of no return

            """, result.standardError)
    }
}
