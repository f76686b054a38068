@testable import Builtins
import Interpreter
import Lexer
import XCTest

/// The parts of the nftables family that need no kernel: values, intervals,
/// the batch's placing of rules, and effects read back from a saved plan.
final class NftablesUnitTests: XCTestCase {
    let location = SourceRange(file: SourceFile(name: "t.wds", text: ""), start: 0, end: 0)

    func testAddressesPrintAsNftPrintsThem() {
        XCTAssertEqual(NftAddress("2001:DB8:0:0:1::")?.text, "2001:db8:0:0:1::")
        XCTAssertEqual(NftAddress("2001:db8::0:1")?.text, "2001:db8::1")
        XCTAssertEqual(NftElementValue.addressText(NftElementValue.parseNetwork("10.1.2.3/8")!.interval, ipv6: false), "10.0.0.0/8")
        XCTAssertEqual(NftElementValue.addressText(NftInterval(low: 0xC000_0207, high: 0xC000_0208), ipv6: false), "192.0.2.7-192.0.2.8")
        XCTAssertEqual(NftElementValue.addressText(NftElementValue.parseNetwork("0.0.0.0/0")!.interval, ipv6: false), "0.0.0.0/0")
        XCTAssertEqual(NftElementValue.addressText(NftElementValue.parseNetwork("::/0")!.interval, ipv6: true), "::/0")
    }

    func testAutoMergeJoinsWhatTouches() {
        let set = NftSetModel(isMap: false, shape: NftSetShape(keyType: .ipv4Address, valueType: nil, interval: true),
                              typeText: "ipv4_addr", flags: ["interval"], autoMerge: true, timeout: nil, elements: [])
        let elements = ["10.0.0.0/8", "10.1.0.0/16", "11.0.0.0/8", "192.0.2.7", "192.0.2.8"].map {
            NftElement(key: try! NftElementValue.parse($0, as: .ipv4Address, interval: true).get(), value: nil, timeout: nil)
        }
        XCTAssertNil(set.add(elements))
        XCTAssertEqual(set.elements.map { $0.key.display(.ipv4Address) }, ["10.0.0.0/7", "192.0.2.7-192.0.2.8"])
        let strict = NftSetModel(isMap: false, shape: NftSetShape(keyType: .ipv4Address, valueType: nil, interval: true),
                                 typeText: "ipv4_addr", flags: ["interval"], autoMerge: false, timeout: nil, elements: [])
        XCTAssertNil(strict.add([elements[0]]))
        XCTAssertNotNil(strict.add([elements[1]]))  // overlaps
        XCTAssertNil(strict.add([elements[0]]))  // the same again changes nothing
        XCTAssertEqual(strict.elements.count, 1)
    }

    func testKernelBoundariesReadBackAsIntervals() {
        // An rbtree interval set lists a start, and the first value after the interval (flag 1).
        let shape = NftSetShape(keyType: .ipv4Address, valueType: nil, interval: true)
        let items: [JSON] = [
            .object([("key", .string("0a000000"))]), .object([("key", .string("0b000000")), ("flags", .number(1))]),
            .object([("key", .string("c0000207"))]), .object([("key", .string("c0000209")), ("flags", .number(1))]),
            .object([("key", .string("cb007100"))]),
        ]
        let elements = NftNetlink.elements(items, shape, setTimeout: nil)!
        XCTAssertEqual(elements.map { $0.key.display(.ipv4Address) }, ["10.0.0.0/8", "192.0.2.7-192.0.2.8", "203.0.113.0-255.255.255.255"])
        XCTAssertEqual(NftNetlink.keyHex(.text("w-abc-0"), .interface), "772d6162632d30000000000000000000")
        XCTAssertEqual(NftNetlink.keyHex(.interval(NftInterval(low: 61001, high: 61001)), .port), "ee49")
    }

    /// A rule the batch adds and deletes again is never sent, and the places after it skip it;
    /// a rule goes next to a neighbour the kernel gave a handle.
    func testTheBatchPlacesRulesByTheirNeighboursHandles() {
        let id = NftTableID(family: .inet, name: "t")
        func rule(_ address: String, handle: Int?, uid: Int) -> NftRuleEntry {
            var rule = NftRule()
            rule.source = .init(value: .interval(NftElementValue.parseNetwork(address)!.interval), negated: false)
            rule.action = .accept
            var entry = NftRuleEntry(typed: rule, family: .inet)
            entry.handle = handle
            entry.uid = uid
            return entry
        }
        let old = rule("192.0.2.1", handle: 7, uid: 1)
        let chain = NftChainModel(base: nil, rules: [old])
        let added = rule("198.51.100.1", handle: nil, uid: 2), gone = rule("198.51.100.2", handle: nil, uid: 3)
        let between = rule("198.51.100.3", handle: nil, uid: 4)
        let changes: [NftTransaction.Change] = [
            .addRule(id, "c", added, index: 1), .addRule(id, "c", gone, index: 0), .addRule(id, "c", between, index: 2),
            .deleteRule(id, "c", gone, index: 0),
        ].map { NftTransaction.Change(command: $0, location: location) }
        let batch = NftBatch(changes, snapshots: [.chain(id, "c"): .chain(chain)])
        XCTAssertEqual(batch.lines, [
            "add rule inet t c position 7 ip saddr 198.51.100.1 accept",
            "add rule inet t c position 7 ip saddr 198.51.100.3 accept",
        ])
        XCTAssertEqual(batch.addedRules, [2, 4])
    }

    func testEveryEffectReadsBackFromASavedPlan() {
        _ = Builtins.standard  // registers the decoder
        let effects: [any FamilyEffect] = [
            NftListEffect(words: ["chain", "inet", "t", "c"]), NftListEffect(words: ["set", "inet", "t", "s"], terse: true),
            NftNetlinkEffect(question: "element", words: ["inet", "t", "m", "ee49"]), NftStagedEffect(command: "add table inet t"),
            NftCommitEffect(payload: "add table inet t\n"), NftCommitEffect(payload: "{}\n", json: true),
            NftLockEffect(path: "/run/wds/nftables.lock", timeoutSeconds: 60), NftUnlockEffect(path: "/run/wds/nftables.lock"),
        ]
        for effect in effects {
            let wrapped = Effect.family(AnyFamilyEffect(effect))
            XCTAssertEqual(Effect(json: try! JSON.parse(wrapped.json.serialized)), wrapped, effect.kind)
        }
    }

    func testNamesNftCannotRead() {
        XCTAssertNil(NftNames.problem("instance-abc-nat", what: "chain"))
        XCTAssertNotNil(NftNames.problem("counter", what: "chain"))
        XCTAssertNotNil(NftNames.problem("9lives", what: "chain"))
        XCTAssertNotNil(NftNames.problem("with space", what: "set"))
        XCTAssertEqual(NftNames.interfaceProblem("w-+"), "nft's wildcard is '*': write 'w-*'")
    }
}
