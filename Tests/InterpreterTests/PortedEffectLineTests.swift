import Backends
import Builtins
import Interpreter
import Lexer
import XCTest

/// What iptables' own effects and `lock` blocks print and save, in every trace format, after a
/// probe and not: byte for byte what they printed as the host's own `Effect` cases (the table was
/// recorded from the code before the port; only a `lock` block's batch family, which no batch
/// uses, went from none to its family's, `host`).
final class PortedEffectLineTests: XCTestCase {
    func testTraceLinesAndSavedJSONAreTheOnesBeforeThePort() throws {
        _ = Builtins.standard
        let location = SourceRange(file: SourceFile(name: "t.wds", text: ""), start: 0, end: 0)
        let rows = [
            #"{"effect":"iptables","family":"ipv4","table":"filter","arguments":["-N","web"]}"#,
            #"{"effect":"iptables","family":"ipv6","table":"nat","arguments":["-F"],"program":"iptables-legacy"}"#,
            #"{"effect":"iptablesRestore","family":"ipv4","payload":"*filter\n-A INPUT -j ACCEPT\nCOMMIT\n"}"#,
            #"{"effect":"iptablesRestore","family":"ipv6","payload":"*nat\n-N x\nCOMMIT\n","program":"iptables-nft"}"#,
            #"{"effect":"iptablesStaged","family":"ipv4","table":"filter","arguments":["-A","INPUT","-m","comment","--comment","a b","-j","ACCEPT"]}"#,
            #"{"effect":"iptablesLock","path":"/run/wds/iptables.lock","timeout":30}"#,
            #"{"effect":"iptablesUnlock","path":"/run/wds/iptables.lock"}"#,
            #"{"effect":"lock","path":"/run/my app.lock","timeout":10,"slot":9}"#,
            #"{"effect":"lock","path":"/run/app.lock","timeout":null,"slot":8}"#,
            #"{"effect":"unlock","path":"/run/app.lock","slot":9}"#,
        ]
        var out = ""
        for row in rows {
            guard let effect = Effect(json: try JSON.parse(row)) else { return XCTFail("does not read: \(row)") }
            out += "ROW \(row)\n"
            out += "kind=\(effect.kind) mut=\(effect.isMutation) batch=\(effect.batchFamily ?? "nil") commits=\(effect.commitsOpenBatches) ponr=\(effect.isPointOfNoReturn)\n"
            out += "argv=\(effect.argv)\nshell=\(effect.shellCommand)\njson=\(effect.json.serialized)\n"
            for format in [TraceHost.Format.text, .json, .restore, .nft] {
                for probe in [false, true] {
                    out += "[\(format.rawValue) \(probe)] \(TraceHost.line(for: effect, at: location, format: format, dependsOnProbe: probe))\n"
                }
            }
        }
        let expected = #"""
ROW {"effect":"iptables","family":"ipv4","table":"filter","arguments":["-N","web"]}
kind=iptables mut=true batch=iptables commits=true ponr=false
argv=["iptables", "-w", "-t", "filter", "-N", "web"]
shell=iptables -w -t filter -N web
json={"effect":"iptables","family":"ipv4","table":"filter","arguments":["-N","web"]}
[text false] iptables -w -t filter -N web  # t.wds:1
[text true] iptables -w -t filter -N web  # t.wds:1, after a probe
[json false] {"location":"t.wds:1","kind":"iptables","mutates":true,"dependsOnProbe":false,"argv":["iptables","-w","-t","filter","-N","web"],"command":"iptables -w -t filter -N web"}
[json true] {"location":"t.wds:1","kind":"iptables","mutates":true,"dependsOnProbe":true,"argv":["iptables","-w","-t","filter","-N","web"],"command":"iptables -w -t filter -N web"}
[restore false] iptables -w -t filter -N web  # t.wds:1
[restore true] iptables -w -t filter -N web  # t.wds:1, after a probe
[nft false] # iptables -w -t filter -N web  # t.wds:1
[nft true] # iptables -w -t filter -N web  # t.wds:1, after a probe
ROW {"effect":"iptables","family":"ipv6","table":"nat","arguments":["-F"],"program":"iptables-legacy"}
kind=iptables mut=true batch=iptables commits=true ponr=false
argv=["ip6tables-legacy", "-w", "-t", "nat", "-F"]
shell=ip6tables-legacy -w -t nat -F
json={"effect":"iptables","family":"ipv6","table":"nat","arguments":["-F"],"program":"iptables-legacy"}
[text false] ip6tables-legacy -w -t nat -F  # t.wds:1
[text true] ip6tables-legacy -w -t nat -F  # t.wds:1, after a probe
[json false] {"location":"t.wds:1","kind":"iptables","mutates":true,"dependsOnProbe":false,"argv":["ip6tables-legacy","-w","-t","nat","-F"],"command":"ip6tables-legacy -w -t nat -F"}
[json true] {"location":"t.wds:1","kind":"iptables","mutates":true,"dependsOnProbe":true,"argv":["ip6tables-legacy","-w","-t","nat","-F"],"command":"ip6tables-legacy -w -t nat -F"}
[restore false] ip6tables-legacy -w -t nat -F  # t.wds:1
[restore true] ip6tables-legacy -w -t nat -F  # t.wds:1, after a probe
[nft false] # ip6tables-legacy -w -t nat -F  # t.wds:1
[nft true] # ip6tables-legacy -w -t nat -F  # t.wds:1, after a probe
ROW {"effect":"iptablesRestore","family":"ipv4","payload":"*filter\n-A INPUT -j ACCEPT\nCOMMIT\n"}
kind=iptables-restore mut=true batch=iptables commits=true ponr=false
argv=["iptables-restore", "--noflush"]
shell=iptables-restore --noflush <<'WDS_RESTORE'
*filter
-A INPUT -j ACCEPT
COMMIT
WDS_RESTORE
json={"effect":"iptablesRestore","family":"ipv4","payload":"*filter\n-A INPUT -j ACCEPT\nCOMMIT\n"}
[text false] # commit: iptables-restore --noflush, the 1 change(s) above  # t.wds:1
[text true] # commit: iptables-restore --noflush, the 1 change(s) above  # t.wds:1, after a probe
[json false] {"location":"t.wds:1","kind":"iptables-restore","mutates":true,"dependsOnProbe":false,"argv":["iptables-restore","--noflush"],"command":"iptables-restore --noflush <<'WDS_RESTORE'\n*filter\n-A INPUT -j ACCEPT\nCOMMIT\nWDS_RESTORE"}
[json true] {"location":"t.wds:1","kind":"iptables-restore","mutates":true,"dependsOnProbe":true,"argv":["iptables-restore","--noflush"],"command":"iptables-restore --noflush <<'WDS_RESTORE'\n*filter\n-A INPUT -j ACCEPT\nCOMMIT\nWDS_RESTORE"}
[restore false] iptables-restore --noflush <<'WDS_RESTORE'  # t.wds:1
*filter
-A INPUT -j ACCEPT
COMMIT
WDS_RESTORE
[restore true] iptables-restore --noflush <<'WDS_RESTORE'  # t.wds:1, after a probe
*filter
-A INPUT -j ACCEPT
COMMIT
WDS_RESTORE
[nft false] # commit: iptables-restore --noflush, the 1 change(s) above  # t.wds:1
[nft true] # commit: iptables-restore --noflush, the 1 change(s) above  # t.wds:1, after a probe
ROW {"effect":"iptablesRestore","family":"ipv6","payload":"*nat\n-N x\nCOMMIT\n","program":"iptables-nft"}
kind=iptables-restore mut=true batch=iptables commits=true ponr=false
argv=["ip6tables-nft-restore", "--noflush"]
shell=ip6tables-nft-restore --noflush <<'WDS_RESTORE'
*nat
-N x
COMMIT
WDS_RESTORE
json={"effect":"iptablesRestore","family":"ipv6","payload":"*nat\n-N x\nCOMMIT\n","program":"iptables-nft"}
[text false] # commit: ip6tables-nft-restore --noflush, the 1 change(s) above  # t.wds:1
[text true] # commit: ip6tables-nft-restore --noflush, the 1 change(s) above  # t.wds:1, after a probe
[json false] {"location":"t.wds:1","kind":"iptables-restore","mutates":true,"dependsOnProbe":false,"argv":["ip6tables-nft-restore","--noflush"],"command":"ip6tables-nft-restore --noflush <<'WDS_RESTORE'\n*nat\n-N x\nCOMMIT\nWDS_RESTORE"}
[json true] {"location":"t.wds:1","kind":"iptables-restore","mutates":true,"dependsOnProbe":true,"argv":["ip6tables-nft-restore","--noflush"],"command":"ip6tables-nft-restore --noflush <<'WDS_RESTORE'\n*nat\n-N x\nCOMMIT\nWDS_RESTORE"}
[restore false] ip6tables-nft-restore --noflush <<'WDS_RESTORE'  # t.wds:1
*nat
-N x
COMMIT
WDS_RESTORE
[restore true] ip6tables-nft-restore --noflush <<'WDS_RESTORE'  # t.wds:1, after a probe
*nat
-N x
COMMIT
WDS_RESTORE
[nft false] # commit: ip6tables-nft-restore --noflush, the 1 change(s) above  # t.wds:1
[nft true] # commit: ip6tables-nft-restore --noflush, the 1 change(s) above  # t.wds:1, after a probe
ROW {"effect":"iptablesStaged","family":"ipv4","table":"filter","arguments":["-A","INPUT","-m","comment","--comment","a b","-j","ACCEPT"]}
kind=iptables-staged mut=true batch=iptables commits=true ponr=false
argv=["iptables", "-w", "-t", "filter", "-A", "INPUT", "-m", "comment", "--comment", "a b", "-j", "ACCEPT"]
shell=iptables -w -t filter -A INPUT -m comment --comment 'a b' -j ACCEPT
json={"effect":"iptablesStaged","family":"ipv4","table":"filter","arguments":["-A","INPUT","-m","comment","--comment","a b","-j","ACCEPT"]}
[text false] iptables -w -t filter -A INPUT -m comment --comment 'a b' -j ACCEPT  # t.wds:1
[text true] iptables -w -t filter -A INPUT -m comment --comment 'a b' -j ACCEPT  # t.wds:1, after a probe
[json false] {"location":"t.wds:1","kind":"iptables-staged","mutates":true,"dependsOnProbe":false,"argv":["iptables","-w","-t","filter","-A","INPUT","-m","comment","--comment","a b","-j","ACCEPT"],"command":"iptables -w -t filter -A INPUT -m comment --comment 'a b' -j ACCEPT"}
[json true] {"location":"t.wds:1","kind":"iptables-staged","mutates":true,"dependsOnProbe":true,"argv":["iptables","-w","-t","filter","-A","INPUT","-m","comment","--comment","a b","-j","ACCEPT"],"command":"iptables -w -t filter -A INPUT -m comment --comment 'a b' -j ACCEPT"}
[restore false] # iptables -w -t filter -A INPUT -m comment --comment 'a b' -j ACCEPT  # t.wds:1
[restore true] # iptables -w -t filter -A INPUT -m comment --comment 'a b' -j ACCEPT  # t.wds:1, after a probe
[nft false] # iptables -w -t filter -A INPUT -m comment --comment 'a b' -j ACCEPT  # t.wds:1
[nft true] # iptables -w -t filter -A INPUT -m comment --comment 'a b' -j ACCEPT  # t.wds:1, after a probe
ROW {"effect":"iptablesLock","path":"/run/wds/iptables.lock","timeout":30}
kind=iptables-lock mut=true batch=iptables commits=true ponr=false
argv=["flock", "-w", "30", "/run/wds/iptables.lock"]
shell=flock -w 30 /run/wds/iptables.lock
json={"effect":"iptablesLock","path":"/run/wds/iptables.lock","timeout":30}
[text false] # iptables-lock: flock -w 30 /run/wds/iptables.lock  # t.wds:1
[text true] # iptables-lock: flock -w 30 /run/wds/iptables.lock  # t.wds:1, after a probe
[json false] {"location":"t.wds:1","kind":"iptables-lock","mutates":true,"dependsOnProbe":false,"argv":["flock","-w","30","/run/wds/iptables.lock"],"command":"flock -w 30 /run/wds/iptables.lock"}
[json true] {"location":"t.wds:1","kind":"iptables-lock","mutates":true,"dependsOnProbe":true,"argv":["flock","-w","30","/run/wds/iptables.lock"],"command":"flock -w 30 /run/wds/iptables.lock"}
[restore false] # iptables-lock: flock -w 30 /run/wds/iptables.lock  # t.wds:1
[restore true] # iptables-lock: flock -w 30 /run/wds/iptables.lock  # t.wds:1, after a probe
[nft false] # iptables-lock: flock -w 30 /run/wds/iptables.lock  # t.wds:1
[nft true] # iptables-lock: flock -w 30 /run/wds/iptables.lock  # t.wds:1, after a probe
ROW {"effect":"iptablesUnlock","path":"/run/wds/iptables.lock"}
kind=iptables-unlock mut=true batch=iptables commits=true ponr=false
argv=["flock", "-u", "/run/wds/iptables.lock"]
shell=flock -u /run/wds/iptables.lock
json={"effect":"iptablesUnlock","path":"/run/wds/iptables.lock"}
[text false] # iptables-unlock: flock -u /run/wds/iptables.lock  # t.wds:1
[text true] # iptables-unlock: flock -u /run/wds/iptables.lock  # t.wds:1, after a probe
[json false] {"location":"t.wds:1","kind":"iptables-unlock","mutates":true,"dependsOnProbe":false,"argv":["flock","-u","/run/wds/iptables.lock"],"command":"flock -u /run/wds/iptables.lock"}
[json true] {"location":"t.wds:1","kind":"iptables-unlock","mutates":true,"dependsOnProbe":true,"argv":["flock","-u","/run/wds/iptables.lock"],"command":"flock -u /run/wds/iptables.lock"}
[restore false] # iptables-unlock: flock -u /run/wds/iptables.lock  # t.wds:1
[restore true] # iptables-unlock: flock -u /run/wds/iptables.lock  # t.wds:1, after a probe
[nft false] # iptables-unlock: flock -u /run/wds/iptables.lock  # t.wds:1
[nft true] # iptables-unlock: flock -u /run/wds/iptables.lock  # t.wds:1, after a probe
ROW {"effect":"lock","path":"/run/my app.lock","timeout":10,"slot":9}
kind=lock mut=true batch=host commits=true ponr=false
argv=["exec", "9>>/run/my app.lock", "&&", "flock", "-w", "10", "9"]
shell=exec 9>>'/run/my app.lock' && flock -w 10 9
json={"effect":"lock","path":"/run/my app.lock","timeout":10,"slot":9}
[text false] exec 9>>'/run/my app.lock' && flock -w 10 9  # t.wds:1
[text true] exec 9>>'/run/my app.lock' && flock -w 10 9  # t.wds:1, after a probe
[json false] {"location":"t.wds:1","kind":"lock","mutates":true,"dependsOnProbe":false,"argv":["exec","9>>/run/my app.lock","&&","flock","-w","10","9"],"command":"exec 9>>'/run/my app.lock' && flock -w 10 9"}
[json true] {"location":"t.wds:1","kind":"lock","mutates":true,"dependsOnProbe":true,"argv":["exec","9>>/run/my app.lock","&&","flock","-w","10","9"],"command":"exec 9>>'/run/my app.lock' && flock -w 10 9"}
[restore false] exec 9>>'/run/my app.lock' && flock -w 10 9  # t.wds:1
[restore true] exec 9>>'/run/my app.lock' && flock -w 10 9  # t.wds:1, after a probe
[nft false] # exec 9>>'/run/my app.lock' && flock -w 10 9  # t.wds:1
[nft true] # exec 9>>'/run/my app.lock' && flock -w 10 9  # t.wds:1, after a probe
ROW {"effect":"lock","path":"/run/app.lock","timeout":null,"slot":8}
kind=lock mut=true batch=host commits=true ponr=false
argv=["exec", "8>>/run/app.lock", "&&", "flock", "8"]
shell=exec 8>>/run/app.lock && flock 8
json={"effect":"lock","path":"/run/app.lock","timeout":null,"slot":8}
[text false] exec 8>>/run/app.lock && flock 8  # t.wds:1
[text true] exec 8>>/run/app.lock && flock 8  # t.wds:1, after a probe
[json false] {"location":"t.wds:1","kind":"lock","mutates":true,"dependsOnProbe":false,"argv":["exec","8>>/run/app.lock","&&","flock","8"],"command":"exec 8>>/run/app.lock && flock 8"}
[json true] {"location":"t.wds:1","kind":"lock","mutates":true,"dependsOnProbe":true,"argv":["exec","8>>/run/app.lock","&&","flock","8"],"command":"exec 8>>/run/app.lock && flock 8"}
[restore false] exec 8>>/run/app.lock && flock 8  # t.wds:1
[restore true] exec 8>>/run/app.lock && flock 8  # t.wds:1, after a probe
[nft false] # exec 8>>/run/app.lock && flock 8  # t.wds:1
[nft true] # exec 8>>/run/app.lock && flock 8  # t.wds:1, after a probe
ROW {"effect":"unlock","path":"/run/app.lock","slot":9}
kind=unlock mut=true batch=host commits=true ponr=false
argv=["exec", "9>&-"]
shell=exec 9>&-
json={"effect":"unlock","path":"/run/app.lock","slot":9}
[text false] exec 9>&-  # t.wds:1
[text true] exec 9>&-  # t.wds:1, after a probe
[json false] {"location":"t.wds:1","kind":"unlock","mutates":true,"dependsOnProbe":false,"argv":["exec","9>&-"],"command":"exec 9>&-"}
[json true] {"location":"t.wds:1","kind":"unlock","mutates":true,"dependsOnProbe":true,"argv":["exec","9>&-"],"command":"exec 9>&-"}
[restore false] exec 9>&-  # t.wds:1
[restore true] exec 9>&-  # t.wds:1, after a probe
[nft false] # exec 9>&-  # t.wds:1
[nft true] # exec 9>&-  # t.wds:1, after a probe
"""#
        let got = out.split(separator: "\n", omittingEmptySubsequences: false)
        let want = (expected + "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in want.enumerated() where index >= got.count || got[index] != line {
            return XCTFail("line \(index + 1): expected\n\(line)\ngot\n\(index < got.count ? got[index] : "nothing")")
        }
        XCTAssertEqual(got.count, want.count)
    }
}
