import Builtins
import Interpreter
import XCTest

/// Saved plans written before sysctl, resource limits, files, mounts, signals, programs, iptables'
/// own effects and `lock` blocks became families' effects still read, and a plan written now holds
/// the same JSON for them (`FamilyEffect.planName`). One row per effect, as saved.
final class PortedFamilyPlanTests: XCTestCase {
    func testSavedEffectsReadBackAndWriteTheSameJSON() throws {
        _ = Builtins.standard  // registers the families' decoders
        let rows = [
            #"{"effect":"writeSysctl","key":"net.ipv4.ip_forward","value":"1"}"#,
            #"{"effect":"setResourceLimit","resource":"nofile","soft":"4096","hard":"8192"}"#,
            #"{"effect":"writeFile","path":"/tmp/x","contents":"a\nb","append":true}"#,
            #"{"effect":"replaceFile","path":"/etc/hosts","contents":"127.0.0.1 localhost\n"}"#,
            #"{"effect":"copyFile","source":"/etc/resolv.conf","destination":"/tmp/r"}"#,
            #"{"effect":"makeDirectory","path":"/tmp/a/b","parents":true}"#,
            #"{"effect":"removeDirectory","path":"/tmp/a/b"}"#,
            #"{"effect":"removeFile","path":"/tmp/x"}"#,
            #"{"effect":"setMode","path":"/tmp/x","mode":493}"#,
            #"{"effect":"setOwner","path":"/tmp/x","owner":10000,"group":null}"#,
            #"{"effect":"removeTree","path":"/tmp/a"}"#,
            #"{"effect":"mount","source":"none","target":"/tmp/m","type":"tmpfs","options":["size=1m"],"bind":false,"remount":false}"#,
            #"{"effect":"mount","source":"/a","target":"/b","type":null,"options":[],"bind":true,"remount":false}"#,
            #"{"effect":"unmount","path":"/tmp/m"}"#,
            #"{"effect":"signal","pids":[12,34],"signal":"TERM"}"#,
            #"{"effect":"runProgram","argv":["ip","link"],"capture":false}"#,
            #"{"effect":"runProgram","argv":["cat"],"capture":true,"stdin":"x","stdout":"capture","stderr":"discard"}"#,
            #"{"effect":"runScript","path":"/srv/child.wds","arguments":["up"]}"#,
            #"{"effect":"iptables","family":"ipv4","table":"filter","arguments":["-N","web"]}"#,
            #"{"effect":"iptables","family":"ipv6","table":"nat","arguments":["-F"],"program":"iptables-legacy"}"#,
            #"{"effect":"iptablesRestore","family":"ipv4","payload":"*filter\n-A INPUT -j ACCEPT\nCOMMIT\n"}"#,
            #"{"effect":"iptablesStaged","family":"ipv4","table":"filter","arguments":["-A","INPUT","-j","ACCEPT"]}"#,
            #"{"effect":"iptablesLock","path":"/run/wds/iptables.lock","timeout":30}"#,
            #"{"effect":"iptablesUnlock","path":"/run/wds/iptables.lock"}"#,
            #"{"effect":"lock","path":"/run/app.lock","timeout":10,"slot":9}"#,
            #"{"effect":"lock","path":"/run/app.lock","timeout":null,"slot":8}"#,
            #"{"effect":"unlock","path":"/run/app.lock","slot":9}"#,
        ]
        for row in rows {
            let saved = try JSON.parse(row)
            guard let effect = Effect(json: saved) else { return XCTFail("does not read: \(row)") }
            XCTAssertTrue(effect.isMutation, row)
            XCTAssertEqual(effect.json, saved, row)
        }
        XCTAssertNil(Effect(json: try JSON.parse(#"{"effect":"writeSysctl","key":"x"}"#)))
    }
}
