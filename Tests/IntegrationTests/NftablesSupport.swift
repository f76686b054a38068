import Foundation
import XCTest

/// What the nftables tests read back from the kernel: `nft -j list ruleset`,
/// parsed, with handles and counter values (which the kernel chooses) left out.
struct NftRuleset {
    var items: [[String: Any]]

    init(_ text: String) throws {
        guard let data = text.data(using: .utf8), !text.isEmpty,
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let items = json["nftables"] as? [[String: Any]] else {
            throw GoldenFailure("not an nft -j listing: \(text.prefix(300))")
        }
        self.items = items.filter { $0["metainfo"] == nil }
    }

    /// `{"a":…}` with sorted keys, counters zeroed, handles and expiry dropped: comparable text.
    static func canonical(_ value: Any) -> String {
        func clean(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                var result: [String: Any] = [:]
                for (key, inner) in object where key != "handle" && key != "expires" {
                    result[key] = key == "counter" && inner is [String: Any] ? ["packets": 0, "bytes": 0] : clean(inner)
                }
                return result
            }
            if let array = value as? [Any] { return array.map(clean) }
            return value
        }
        let data = try! JSONSerialization.data(withJSONObject: clean(value), options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    func objects(_ kind: String) -> [[String: Any]] { items.compactMap { $0[kind] as? [String: Any] } }

    /// "inet warden" for each table.
    var tables: [String] { objects("table").map { "\($0["family"]!) \($0["name"]!)" } }

    func chains(_ table: String) -> [[String: Any]] {
        objects("chain").filter { "\($0["family"]!) \($0["table"]!)" == table }
    }

    func chain(_ table: String, _ name: String) -> [String: Any]? { chains(table).first { $0["name"] as? String == name } }

    /// Each rule of the chain: its expressions (canonical), then `#comment` if it has one.
    func rules(_ table: String, _ chain: String) -> [String] {
        objects("rule").filter { "\($0["family"]!) \($0["table"]!)" == table && $0["chain"] as? String == chain }.map {
            Self.canonical($0["expr"]!) + (($0["comment"] as? String).map { "#" + $0 } ?? "")
        }
    }

    func set(_ table: String, _ name: String) -> [String: Any]? {
        (objects("set") + objects("map")).first { "\($0["family"]!) \($0["table"]!)" == table && $0["name"] as? String == name }
    }

    /// A set's elements, canonical.
    func elements(_ table: String, _ name: String) -> [String] {
        ((set(table, name)?["elem"] as? [Any]) ?? []).map(Self.canonical)
    }
}

extension NftRuleset {
    /// The ruleset as a set of pieces, whatever order nft lists chains and sets in (an undo
    /// makes a deleted chain again, with a new handle, so it is listed last): each table, each
    /// chain with its hook and its rules in order, each set with its elements.
    var digest: [String] {
        var lines: [String] = []
        for table in tables.sorted() {
            lines.append("table \(table)")
            for chain in chains(table).sorted(by: { "\($0["name"]!)" < "\($1["name"]!)" }) {
                let name = "\(chain["name"]!)"
                let base = ["type", "hook", "prio", "policy"].map { "\(chain[$0] ?? "-")" }.joined(separator: " ")
                lines.append("chain \(table) \(name) \(base): " + rules(table, name).joined(separator: " | "))
            }
            let sets = (objects("set") + objects("map")).filter { "\($0["family"]!) \($0["table"]!)" == table }
            for set in sets.sorted(by: { "\($0["name"]!)" < "\($1["name"]!)" }) {
                let name = "\(set["name"]!)"
                lines.append("set \(table) \(name) \(set["type"] ?? "") \(set["flags"] ?? ""): " + elements(table, name).sorted().joined(separator: " "))
            }
        }
        return lines
    }
}

extension ScriptRun {
    /// Runs a wds script after `setup` and returns the ruleset before the run and after it.
    static func nftBeforeAfter(_ script: String, setup: String) throws -> (run: ScriptRun, before: NftRuleset, after: NftRuleset) {
        let result = try ScriptRun.run(script, setup: setup + "\nnft -j list ruleset > /tmp/.before.json",
                                       after: "cat /tmp/.before.json; echo '#### split'; nft -j list ruleset")
        let parts = result.after.components(separatedBy: "#### split\n")
        guard parts.count == 2 else { throw GoldenFailure("no ruleset after the run: \(result.after)") }
        return (result, try NftRuleset(parts[0]), try NftRuleset(parts[1]))
    }

    /// Runs a wds script in a fresh namespace (after `setup`) and reads back `nft -j list ruleset`.
    static func nft(_ script: String, setup: String = "", command: String = "run", arguments: String = "",
                    files: [String: String] = [:]) throws -> (run: ScriptRun, ruleset: NftRuleset) {
        let result = try ScriptRun.run(script, files: files, setup: setup, command: command, arguments: arguments,
                                       after: "nft -j list ruleset")
        return (result, try NftRuleset(result.after))
    }
}
