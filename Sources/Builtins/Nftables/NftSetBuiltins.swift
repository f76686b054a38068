import Interpreter
import Lexer

/// `nft-set …` and `nft-map …`: named sets (allow and deny lists: one
/// element per network, where iptables needs one rule each) and maps (a
/// key to a verdict, an address, a port…), their elements added and
/// removed as the kernel would, overlapping intervals included.
enum NftSetBuiltins {
    static let setParameters = [NftFamily.familyParameter, NftFamily.tableParameter, Parameter("set", NftNames.set)]
    static let mapParameters = [NftFamily.familyParameter, NftFamily.tableParameter, Parameter("map", NftNames.map)]

    static let flagsType = ArgumentType.custom("FLAG[,FLAG…]") { text in
        let unknown = text.split(separator: ",", omittingEmptySubsequences: false).first { !["interval", "timeout", "constant"].contains(String($0)) }
        return unknown.map { "'\($0)' is not a set flag (interval, timeout, constant)" }
    }

    static let declarationOptions: [OptionSpec] = [
        OptionSpec("--flags", flagsType, summary: "interval (networks and ranges), timeout (elements expire), constant"),
        OptionSpec("--auto-merge", summary: "join overlapping and adjacent intervals instead of refusing an overlap (with interval)"),
        OptionSpec("--timeout", .duration, summary: "how long an element stays (implies the timeout flag)"),
    ]

    static let setOptions = [OptionSpec("--type", .choice(NftDataType.keyTypes.map(\.rawValue)), summary: "what the set holds (required)")]
        + declarationOptions
    static let mapOptions = [OptionSpec("--type", .choice(NftDataType.keyTypes.map(\.rawValue)), summary: "the keys (required)"),
                             OptionSpec("--to", .choice(NftDataType.valueTypes.map(\.rawValue)), summary: "what a key maps to (required)")]
        + declarationOptions

    static func target(_ call: Invocation) throws -> (NftTransaction, NftTableID, String) {
        (NftFamily.transaction(call), try NftFamily.tableID(call), try call.text(2))
    }

    /// The set or map the options declare.
    static func declaration(_ call: Invocation, map: Bool) throws -> NftSetModel {
        guard let keyText = try call.option("--type"), let keyType = NftDataType(rawValue: keyText) else {
            throw Diagnostic("nft-\(map ? "map" : "set") needs --type: \(NftDataType.keyTypes.map(\.rawValue).joined(separator: ", "))",
                             at: call.range)
        }
        var valueType: NftDataType?
        if map {
            guard let valueText = try call.option("--to"), let parsed = NftDataType(rawValue: valueText) else {
                throw Diagnostic("nft-map needs --to: \(NftDataType.valueTypes.map(\.rawValue).joined(separator: ", "))", at: call.range)
            }
            valueType = parsed
        }
        var flags = (try call.option("--flags") ?? "").split(separator: ",").map(String.init)
        var timeout: Int?
        if let text = try call.option("--timeout") {
            timeout = Validation.durationSeconds(text)
            if !flags.contains("timeout") { flags.append("timeout") }
        }
        // nft prints the flags in its own order.
        flags = ["constant", "interval", "timeout"].filter { flags.contains($0) }
        let interval = flags.contains("interval")
        if interval && !keyType.isNumericRange {
            throw Diagnostic("flags interval needs addresses or ports, not \(keyType.rawValue)", at: call.options["--flags"]![0].range)
        }
        let autoMerge = call.has("--auto-merge")
        if autoMerge && !interval {
            throw Diagnostic("--auto-merge joins intervals: it needs --flags interval", at: call.options["--auto-merge"]![0].range)
        }
        if autoMerge && map {
            throw Diagnostic("nft merges the intervals of sets, not of maps", at: call.options["--auto-merge"]![0].range)
        }
        let typeText = keyType.rawValue + (valueType.map { " : " + $0.rawValue } ?? "")
        return NftSetModel(isMap: map, shape: NftSetShape(keyType: keyType, valueType: valueType, interval: interval), typeText: typeText,
                           flags: flags, autoMerge: autoMerge, timeout: timeout, elements: [])
    }

    /// The set or map; with `full` false a map may come without its elements (`element` looks them up).
    static func requireSet(_ name: String, _ id: NftTableID, map: Bool, full: Bool = true, _ transaction: NftTransaction,
                           _ call: Invocation) throws -> NftSetModel {
        _ = try NftFamily.requireTable(id, transaction, call)
        guard let set = try transaction.set(name, in: id, map: map, full: full, call) else {
            let what = map ? "map" : "set"
            throw transaction.refusal("unknown \(what) '\(name)' in table '\(id.words)'", call, kernel: "No such file or directory",
                                      hint: "create it first with `nft-\(what) ensure \(id.words) \(name) --type …`")
        }
        guard set.isMap == map else {
            throw call.fail("'\(name)' in table '\(id.words)' is a \(set.kind), not a \(map ? "map" : "set"): use nft-\(set.kind)")
        }
        return set
    }

    static func create(_ call: Invocation, map: Bool, ensure: Bool) throws {
        let (transaction, id, name) = try target(call)
        let declaration = try NftSetBuiltins.declaration(call, map: map)
        try transaction.decide(call, consulting: ensure) {
            let table = try NftFamily.requireTable(id, transaction, call)
            if let existing = try transaction.set(name, in: id, map: map, full: false, call) {
                guard ensure else {
                    throw transaction.refusal("\(existing.kind) '\(name)' already exists in table '\(id.words)'", call, kernel: "File exists",
                                              hint: "`nft-\(existing.kind) ensure` leaves an existing one as it is")
                }
                let same = existing.isMap == declaration.isMap && existing.typeText == declaration.typeText
                    && Set(existing.flags) == Set(declaration.flags) && existing.autoMerge == declaration.autoMerge
                    && existing.timeout == declaration.timeout
                if !same {
                    throw transaction.refusal("\(existing.kind) '\(name)' in table '\(id.words)' exists as \(describe(existing)); it cannot become \(describe(declaration))",
                                              call, kernel: "File exists", hint: "delete it first")
                }
                return
            }
            try transaction.addSet(id, name, declaration, create: !ensure, table, call)
        }
    }

    static func describe(_ set: NftSetModel) -> String {
        var text = "\(set.kind) of \(set.typeText)"
        if !set.flags.isEmpty { text += " flags \(set.flags.joined(separator: ","))" }
        if set.autoMerge { text += " auto-merge" }
        if let timeout = set.timeout { text += " timeout \(timeout)s" }
        return text
    }

    static func delete(_ call: Invocation, map: Bool) throws {
        let (transaction, id, name) = try target(call)
        try transaction.decide(call, consulting: call.has("--if-exists")) {
            if call.has("--if-exists"), try transaction.table(id, call) == nil
                || transaction.set(name, in: id, map: map, full: false, call) == nil { return }
            let set = try requireSet(name, id, map: map, transaction, call)
            let table = try transaction.whole(id, call)!
            if let user = NftReferences.userOfSet(name, in: table) {
                throw transaction.refusal("\(set.kind) '\(name)' in table '\(id.words)' is still used by \(user)", call, kernel: "Device or resource busy")
            }
            try transaction.deleteSet(id, name, set, table, call)
        }
    }

    static func flush(_ call: Invocation, map: Bool) throws {
        let (transaction, id, name) = try target(call)
        try transaction.decide(call) {
            let set = try requireSet(name, id, map: map, transaction, call)
            try transaction.flushSet(id, name, set, call)
        }
    }

    /// Parses the elements a statement names, pointing at the one that is wrong.
    static func elements(_ call: Invocation, from first: Int, _ set: NftSetModel, pairs: Bool, keysOnly: Bool = false) throws -> [NftElement] {
        guard let shape = set.shape else { throw call.fail("wds does not model the elements of \(set.kind) of \(set.typeText)") }
        var values: [(String, SourceRange)] = []
        for index in first..<call.positionals.count {
            let range = call.range(ofPositional: index)
            switch call.positionals[index] {
            case .list(let items):
                for item in items {
                    guard let text = item.text else { throw Diagnostic("an element is text, got a \(item.typeName)", at: range) }
                    values.append((text, range))
                }
            default:
                values.append((try call.text(index), range))
            }
        }
        if values.isEmpty { throw Diagnostic("name at least one element", at: call.range) }
        var timeout: Int?
        if let text = try call.option("--timeout") {
            guard set.flags.contains("timeout") else {
                throw Diagnostic("\(set.kind) has no timeout flag: its elements cannot have a timeout", at: call.options["--timeout"]![0].range)
            }
            timeout = Validation.durationSeconds(text)
        }
        func parse(_ text: String, _ type: NftDataType, _ range: SourceRange, interval: Bool) throws -> NftElementValue {
            switch NftElementValue.parse(text, as: type, interval: interval) {
            case .success(let value): return value
            case .failure(let problem): throw Diagnostic(problem.message, at: range)
            }
        }
        var elements: [NftElement] = []
        if pairs && !keysOnly {
            guard values.count % 2 == 0, let valueType = shape.valueType else {
                throw Diagnostic("give each key with its value: KEY VALUE [KEY VALUE…]", at: call.range)
            }
            for index in stride(from: 0, to: values.count, by: 2) {
                let key = try parse(values[index].0, shape.keyType, values[index].1, interval: shape.interval)
                let value = try parse(values[index + 1].0, valueType, values[index + 1].1, interval: false)
                elements.append(NftElement(key: key, value: value, timeout: timeout))
            }
        } else {
            for (text, range) in values {
                elements.append(NftElement(key: try parse(text, shape.keyType, range, interval: shape.interval), value: nil, timeout: timeout))
            }
        }
        return elements
    }

    static func add(_ call: Invocation, map: Bool) throws {
        let (transaction, id, name) = try target(call)
        try transaction.decide(call) {
            let set = try requireSet(name, id, map: map, full: false, transaction, call)
            let elements = try NftSetBuiltins.elements(call, from: 3, set, pairs: map)
            // What the set holds of these keys (asked one by one where it is not known).
            for element in elements where !set.interval { _ = try transaction.element(element.key, in: set, name, id, call) }
            // A map's keys: checked by the kernel against the chains they lead to.
            for element in elements {
                if case .verdict(let verdict)? = element.value, verdict.hasPrefix("jump ") || verdict.hasPrefix("goto ") {
                    let chain = String(verdict.split(separator: " ")[1])
                    guard let target = try transaction.chain(chain, in: id, call) else {
                        throw transaction.refusal("unknown chain '\(chain)' in table '\(id.words)'", call, kernel: "No such file or directory")
                    }
                    if target.base != nil {
                        throw transaction.refusal("chain '\(chain)' is a base chain: a verdict cannot jump or go to it", call,
                                                  kernel: "Operation not supported")
                    }
                }
            }
            try transaction.addElements(id, name, elements, set, call)
        }
    }

    static func remove(_ call: Invocation, map: Bool) throws {
        let (transaction, id, name) = try target(call)
        try transaction.decide(call, consulting: call.has("--if-exists")) {
            let set = try requireSet(name, id, map: map, full: false, transaction, call)
            var elements = try NftSetBuiltins.elements(call, from: 3, set, pairs: map, keysOnly: true)
            for element in elements where !set.interval { _ = try transaction.element(element.key, in: set, name, id, call) }
            // A map's element is removed by its key.
            elements = elements.map { element in set.element(for: element.key) ?? element }
            if call.has("--if-exists") { elements = elements.filter { set.element(for: $0.key) != nil } }
            guard !elements.isEmpty else { return }
            try transaction.deleteElements(id, name, elements, set, call)
        }
    }

    static let setFamily = BuiltinFamily("nft-set", summary: "Named nftables sets: allow and deny lists, one element per network.", subcommands: [
        BuiltinSpec("nft-set create", summary: "Create a set of --type; an existing one is an error.",
                    parameters: setParameters, options: setOptions,
                    example: "nft-set create inet warden allowed --type ipv4_addr --flags interval --auto-merge") { call in
            try create(call, map: false, ensure: false)
            return .empty
        },
        BuiltinSpec("nft-set ensure", summary: "Create a set unless it exists; one that exists with another type or flags is an error.",
                    parameters: setParameters, options: setOptions,
                    example: "nft-set ensure inet warden allowed --type ipv4_addr --flags interval --auto-merge") { call in
            try create(call, map: false, ensure: true)
            return .empty
        },
        BuiltinSpec("nft-set delete", summary: "Delete a set no rule uses. With --if-exists, a missing set is not an error.",
                    parameters: setParameters, options: [OptionSpec("--if-exists", summary: "do nothing when the set does not exist")],
                    example: "nft-set delete inet warden allowed --if-exists") { call in
            try delete(call, map: false)
            return .empty
        },
        BuiltinSpec("nft-set flush", summary: "Remove every element of a set.",
                    parameters: setParameters, example: "nft-set flush inet warden allowed") { call in
            try flush(call, map: false)
            return .empty
        },
        BuiltinSpec("nft-set add", summary: "Add elements (addresses, networks, ranges a-b, ports, names; lists are spread): what is there already changes nothing; an interval that overlaps one the set holds is an error unless the set auto-merges.",
                    parameters: setParameters, rest: Parameter("element", .anyValue),
                    options: [OptionSpec("--timeout", .duration, summary: "how long these elements stay (a set with the timeout flag)")],
                    example: "nft-set add inet warden allowed 10.0.0.0/8 ...$networks") { call in
            try add(call, map: false)
            return .empty
        },
        BuiltinSpec("nft-set remove", summary: "Remove elements, each exactly as the set holds it. With --if-exists, a missing element is not an error.",
                    parameters: setParameters, rest: Parameter("element", .anyValue),
                    options: [OptionSpec("--if-exists", summary: "skip elements the set does not hold")],
                    example: "nft-set remove inet warden allowed 10.0.0.0/8") { call in
            try remove(call, map: false)
            return .empty
        },
        BuiltinSpec("nft-set contains", summary: "Whether the set holds ELEMENT exactly (a network inside a larger one is not held).",
                    parameters: setParameters + [Parameter("element")],
                    example: "if nft-set contains inet warden allowed 10.0.0.0/8 { … }") { call in
            let (transaction, id, name) = try target(call)
            let set = try requireSet(name, id, map: false, full: false, transaction, call)
            guard let element = try elements(call, from: 3, set, pairs: false).first else { return .boolean(false) }
            return .boolean(try transaction.element(element.key, in: set, name, id, call) != nil)
        },
        BuiltinSpec("nft-set exists", summary: "Whether the set exists (false when its table does not).",
                    parameters: setParameters, example: "if nft-set exists inet warden allowed { … }") { call in
            let (transaction, id, name) = try target(call)
            guard try transaction.table(id, call) != nil, let set = try transaction.set(name, in: id, map: false, full: false, call) else {
                return .boolean(false)
            }
            return .boolean(!set.isMap)
        },
        BuiltinSpec("nft-set list", summary: "The elements of a set, as nft holds them (an auto-merged set's joined intervals).",
                    parameters: setParameters, example: "for n in $(nft-set list inet warden allowed) { echo $n }") { call in
            let (transaction, id, name) = try target(call)
            let set = try requireSet(name, id, map: false, transaction, call)
            guard let shape = set.shape else { return .list(set.opaqueElements.map { .string($0.serialized) }) }
            return .list(set.elements.map { .string($0.key.display(shape.keyType)) })
        },
    ])

    static let mapFamily = BuiltinFamily("nft-map", summary: "Named nftables maps: a key to a verdict (a verdict map), an address, a port or a mark.", subcommands: [
        BuiltinSpec("nft-map create", summary: "Create a map from --type keys to --to values; an existing one is an error.",
                    parameters: mapParameters, options: mapOptions,
                    example: "nft-map create inet warden containers --type ifname --to verdict") { call in
            try create(call, map: true, ensure: false)
            return .empty
        },
        BuiltinSpec("nft-map ensure", summary: "Create a map unless it exists; one that exists with other types or flags is an error.",
                    parameters: mapParameters, options: mapOptions,
                    example: "nft-map ensure inet warden containers --type ifname --to verdict") { call in
            try create(call, map: true, ensure: true)
            return .empty
        },
        BuiltinSpec("nft-map delete", summary: "Delete a map no rule uses. With --if-exists, a missing map is not an error.",
                    parameters: mapParameters, options: [OptionSpec("--if-exists", summary: "do nothing when the map does not exist")],
                    example: "nft-map delete inet warden containers --if-exists") { call in
            try delete(call, map: true)
            return .empty
        },
        BuiltinSpec("nft-map flush", summary: "Remove every element of a map.",
                    parameters: mapParameters, example: "nft-map flush inet warden containers") { call in
            try flush(call, map: true)
            return .empty
        },
        BuiltinSpec("nft-map add", summary: "Add KEY VALUE pairs (a verdict is accept, drop, return, \"jump CHAIN\" or \"goto CHAIN\"): a key that is there with the same value changes nothing, with another value is an error.",
                    parameters: mapParameters, rest: Parameter("key-value", .anyValue),
                    options: [OptionSpec("--timeout", .duration, summary: "how long these elements stay (a map with the timeout flag)")],
                    example: "nft-map add inet warden containers w-abc-0 \"goto instance-abc\"") { call in
            try add(call, map: true)
            return .empty
        },
        BuiltinSpec("nft-map remove", summary: "Remove the elements with these keys. With --if-exists, a missing key is not an error.",
                    parameters: mapParameters, rest: Parameter("key", .anyValue),
                    options: [OptionSpec("--if-exists", summary: "skip keys the map does not hold")],
                    example: "nft-map remove inet warden containers w-abc-0") { call in
            try remove(call, map: true)
            return .empty
        },
        BuiltinSpec("nft-map get", summary: "The value KEY maps to; a missing key is an error.",
                    parameters: mapParameters + [Parameter("key")],
                    example: "let verdict = $(nft-map get inet warden containers w-abc-0)") { call in
            let (transaction, id, name) = try target(call)
            let map = try requireSet(name, id, map: true, full: false, transaction, call)
            guard let key = try elements(call, from: 3, map, pairs: true, keysOnly: true).first,
                  let element = try transaction.element(key.key, in: map, name, id, call), let value = element.value,
                  let valueType = map.shape?.valueType else {
                throw call.fail("map '\(name)' in table '\(id.words)' has no key '\(try call.text(3))'")
            }
            return .string(value.display(valueType))
        },
        BuiltinSpec("nft-map exists", summary: "Whether the map exists (false when its table does not).",
                    parameters: mapParameters, example: "if nft-map exists inet warden containers { … }") { call in
            let (transaction, id, name) = try target(call)
            guard try transaction.table(id, call) != nil, let set = try transaction.set(name, in: id, map: true, full: false, call) else {
                return .boolean(false)
            }
            return .boolean(set.isMap)
        },
        BuiltinSpec("nft-map list", summary: "The elements of a map as records {key, value}.",
                    parameters: mapParameters, example: "for e in $(nft-map list inet warden containers) { echo $e.key $e.value }") { call in
            let (transaction, id, name) = try target(call)
            let map = try requireSet(name, id, map: true, transaction, call)
            guard let shape = map.shape, let valueType = shape.valueType else {
                return .list(map.opaqueElements.map { .string($0.serialized) })
            }
            return .list(map.elements.map {
                .record(Record([("key", .string($0.key.display(shape.keyType))), ("value", .string($0.value?.display(valueType) ?? ""))]))
            })
        },
    ])
}
