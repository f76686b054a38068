import Foundation
import XCTest

/// The kernel's links, addresses and routes in a test's namespaces, read with
/// `ip -j` (a program independent of wds's own netlink client) and written as
/// sorted lines a test can compare: what a run left, against what its trace
/// replayed in bash left. What the kernel makes from random values is left
/// out: MAC addresses it picked, IPv6 link-local addresses and their routes,
/// the operational state (it settles asynchronously).
struct KernelNetwork: Equatable, CustomStringConvertible {
    /// Lines per namespace: "" for the test's own, else the name under /run/netns.
    var namespaces: [String: [String]] = [:]

    /// Bash that prints one JSON line per namespace: its links, addresses and routes.
    static func dumpCommand(_ names: [String]) -> String {
        (["" ] + names).map { name in
            let ip = name.isEmpty ? "ip" : "ip -n \(name)"
            return """
                printf '{"ns":"%s","links":%s,"addresses":%s,"routes":%s}\\n' '\(name)' "$(\(ip) -j -d link show)" "$(\(ip) -j address show)" "$(\(ip) -j route show table all)"
                """
        }.joined(separator: "\n")
    }

    init(namespaces: [String: [String]]) { self.namespaces = namespaces }

    /// Reads what `dumpCommand` printed (other lines are skipped).
    init(parsing text: String) throws {
        for line in text.split(separator: "\n") where line.hasPrefix("{\"ns\"") {
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let name = json["ns"] as? String ?? ""
            var lines: [String] = []
            for link in json["links"] as? [[String: Any]] ?? [] { lines.append(KernelNetwork.link(link)) }
            for entry in json["addresses"] as? [[String: Any]] ?? [] {
                let device = entry["ifname"] as? String ?? "?"
                for info in entry["addr_info"] as? [[String: Any]] ?? [] {
                    if let line = KernelNetwork.address(info, device: device) { lines.append(line) }
                }
            }
            for route in json["routes"] as? [[String: Any]] ?? [] {
                if let line = KernelNetwork.route(route) { lines.append(line) }
            }
            namespaces[name] = lines.sorted()
        }
    }

    static func link(_ link: [String: Any]) -> String {
        var words = ["link", link["ifname"] as? String ?? "?"]
        let kind = (link["linkinfo"] as? [String: Any])?["info_kind"] as? String
        words.append(kind ?? "device")
        words.append("mtu=\(link["mtu"] as? Int ?? 0)")
        if let master = link["master"] as? String { words.append("master=\(master)") }
        if (link["flags"] as? [String] ?? []).contains("UP") { words.append("UP") }
        // A MAC address the script chose (tests use 02:00:00:…); the kernel's own are random.
        if let mac = link["address"] as? String, mac.hasPrefix("02:00:00:") { words.append("mac=\(mac)") }
        if let info = (link["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any], let mode = info["mode"] as? String {
            words.append("mode=\(mode)")
        }
        return words.joined(separator: " ")
    }

    static func address(_ info: [String: Any], device: String) -> String? {
        guard let local = info["local"] as? String, !local.hasPrefix("fe80:") else { return nil }
        var words = ["address", device, "\(local)/\(info["prefixlen"] as? Int ?? 0)"]
        if let peer = info["address"] as? String, peer != local { words.append("peer=\(peer)") }
        if let broadcast = info["broadcast"] as? String { words.append("brd=\(broadcast)") }
        words.append("scope=\(info["scope"] as? String ?? "?")")
        if let label = info["label"] as? String, label != device { words.append("label=\(label)") }
        for flag in ["nodad", "noprefixroute", "home", "mngtmpaddr"] where info[flag] as? Bool == true { words.append(flag) }
        // Lifetimes tick down: whether there is an end, and whether it is still preferred.
        let valid = info["valid_life_time"] as? Int ?? 0, preferred = info["preferred_life_time"] as? Int ?? 0
        words.append(valid == 4_294_967_295 ? "forever" : "valid-finite")
        if preferred == 0 { words.append("deprecated") }
        return words.joined(separator: " ")
    }

    static func route(_ route: [String: Any]) -> String? {
        let destination = route["dst"] as? String ?? "?"
        // Routes of link-local addresses follow the random MACs.
        if destination.hasPrefix("fe80:"), destination != "fe80::/64" { return nil }
        var words = ["route", route["table"] as? String ?? "main", route["type"] as? String ?? "unicast", destination]
        if let gateway = route["gateway"] as? String { words.append("via=\(gateway)") }
        if let device = route["dev"] as? String { words.append("dev=\(device)") }
        if let proto = route["protocol"] as? String { words.append("proto=\(proto)") }
        if let scope = route["scope"] as? String { words.append("scope=\(scope)") }
        if let metric = route["metric"] as? Int { words.append("metric=\(metric)") }
        if let source = route["prefsrc"] as? String { words.append("src=\(source)") }
        return words.joined(separator: " ")
    }

    /// The lines of one namespace that mention any of `words`.
    func lines(_ namespace: String = "", mentioning words: [String]) -> [String] {
        (namespaces[namespace] ?? []).filter { line in words.contains { line.contains($0) } }
    }

    var description: String {
        namespaces.keys.sorted().map { name in "[\(name.isEmpty ? "own" : name)]\n" + (namespaces[name] ?? []).joined(separator: "\n") }
            .joined(separator: "\n")
    }
}

/// A script run for real in one namespace, and its trace replayed in bash in
/// another made the same way: the kernel state each left, and what each printed.
struct RunAndReplay {
    var run: Namespace.Result
    var trace: Namespace.Result
    var runState: KernelNetwork
    var replayState: KernelNetwork

    /// `prelude` runs first in both namespaces (bash, after the uplink), `postlude` last;
    /// `names` are the named namespaces to read besides the test's own; `arguments` are
    /// bash words (`"$pid"`), expanded by the prelude's shell.
    static func make(_ script: String, prelude: String = "", postlude: String = "", names: [String] = [],
                     arguments: String = "") throws -> RunAndReplay {
        let path = try Namespace.temporaryScript(script, name: "network.wds")
        let directory = (path as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let args = arguments
        let run = Namespace.run("""
            \(prelude)
            "$WDS" run \(Namespace.shellQuote(path)) \(args); echo "status=$?"
            \(KernelNetwork.dumpCommand(names))
            \(postlude)
            """)
        let trace = Namespace.run("""
            \(prelude)
            "$WDS" trace \(Namespace.shellQuote(path)) \(args) > \(directory)/trace.sh; echo "status=$?"
            cat \(directory)/trace.sh
            bash -e \(directory)/trace.sh > \(directory)/replay.out 2>&1 || { echo "replay failed:"; cat \(directory)/replay.out; }
            \(KernelNetwork.dumpCommand(names))
            \(postlude)
            """)
        return RunAndReplay(run: run, trace: trace, runState: try KernelNetwork(parsing: run.standardOutput),
                            replayState: try KernelNetwork(parsing: trace.standardOutput))
    }

    /// What the run printed, without the state dump.
    var output: String { run.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("{\"ns\"") }.joined(separator: "\n") }
    /// The trace's lines (its header, probes and changes).
    var traceText: String { trace.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("{\"ns\"") }.joined(separator: "\n") }
}
