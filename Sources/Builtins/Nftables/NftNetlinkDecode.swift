import Interpreter

/// What the netlink answers (`NftNetlink`) say, read into the model: a
/// chain's header, a set with its elements. A set wds cannot read this way (a
/// concatenation, a type it does not model) is read through libnftables instead.
extension NftNetlink {
    /// The chain's header as a model whose rules are not read yet, and the kernel's count of its references.
    static func chainModel(_ json: JSON) -> NftChainModel? {
        guard case .object = json else { return nil }
        var base: NftBaseChain?
        if let hook = json["hook"]?.stringValue, case .number(let priority)? = json["prio"] {
            base = NftBaseChain(type: json["type"]?.stringValue ?? "filter", hook: hook, priority: Int(priority),
                                policy: json["policy"]?.stringValue ?? "accept", device: json["dev"]?.stringValue)
        }
        let chain = NftChainModel(base: base, rules: [])
        chain.rulesKnown = false
        if case .number(let use)? = json["use"] { chain.kernelUse = Int(use) }
        return chain
    }

    /// The set the answer describes, or nil when wds cannot read it from netlink. An answer without
    /// elements (a header) gives a set that knows none of them yet.
    static func setModel(_ json: JSON) -> NftSetModel? {
        guard case .number(let flagBits)? = json["flags"], case .number(let keyNumber)? = json["key"],
              let keyType = dataTypes[UInt32(keyNumber)], keyType != .verdict else { return nil }
        let flagsValue = UInt32(flagBits)
        let isMap = flagsValue & 0x8 != 0
        var valueType: NftDataType?
        if isMap {
            guard case .number(let dataNumber)? = json["data"] else { return nil }
            valueType = UInt32(dataNumber) == 0xFFFF_FF00 ? .verdict : dataTypes[UInt32(dataNumber)]
            guard valueType != nil else { return nil }
        }
        if flagsValue & 0x80 != 0 || flagsValue & 0x40 != 0 { return nil }  // concatenations, objects
        let interval = flagsValue & 0x4 != 0
        var flags: [String] = []
        if flagsValue & 0x2 != 0 { flags.append("constant") }
        if interval { flags.append("interval") }
        if flagsValue & 0x10 != 0 { flags.append("timeout") }
        var timeout: Int?
        if case .number(let milliseconds)? = json["timeout"], milliseconds > 0 { timeout = Int(milliseconds / 1000) }
        let shape = NftSetShape(keyType: keyType, valueType: valueType, interval: interval)
        guard let elements = self.elements(json["elements"]?.arrayValue ?? [], shape, setTimeout: timeout) else { return nil }
        let set = NftSetModel(isMap: isMap, shape: shape, typeText: keyType.rawValue + (valueType.map { " : " + $0.rawValue } ?? ""),
                              flags: flags, autoMerge: json["merge"] == .bool(true), timeout: timeout, elements: elements)
        set.complete = json["elements"] != nil
        return set
    }

    /// A key as the kernel holds it, in hex: what a lookup of one element sends.
    static func keyHex(_ value: NftElementValue, _ type: NftDataType) -> String? {
        func bigEndian(_ number: UInt128, _ count: Int) -> [UInt8] {
            (0..<count).map { UInt8(truncatingIfNeeded: number >> UInt128((count - 1 - $0) * 8)) }
        }
        let bytes: [UInt8]
        switch (type, value) {
        case (.ipv4Address, .interval(let i)) where i.low == i.high: bytes = bigEndian(i.low, 4)
        case (.ipv6Address, .interval(let i)) where i.low == i.high: bytes = bigEndian(i.low, 16)
        case (.port, .interval(let i)) where i.low == i.high: bytes = bigEndian(i.low, 2)
        case (.interface, .text(let name)): bytes = Array((Array(name.utf8) + [UInt8](repeating: 0, count: 16)).prefix(16))
        case (.mark, .number(let mark)): bytes = [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: mark >> UInt32($0)) }
        case (.l4protocol, .text(let name)):
            guard let number = NftProtocols.numbers[NftProtocols.fromPrinted(name)] else { return nil }
            bytes = [UInt8(number)]
        case (.etherAddress, .text(let text)):
            bytes = text.split(separator: ":").compactMap { UInt8($0, radix: 16) }
            guard bytes.count == 6 else { return nil }
        default: return nil
        }
        return hex(ArraySlice(bytes))
    }

    static func elements(_ items: [JSON], _ shape: NftSetShape, setTimeout: Int?) -> [NftElement]? {
        var elements: [NftElement] = []
        var ends: [(UInt128, Bool)] = []  // for an interval set: each boundary, and whether it ends an interval
        var starts: [UInt128: NftElement] = [:]
        for item in items {
            guard let keyHex = item["key"]?.stringValue, let key = value(bytes(keyHex), shape.keyType) else { return nil }
            var element = NftElement(key: key, value: nil, timeout: nil)
            if case .number(let milliseconds)? = item["timeout"], Int(milliseconds / 1000) != setTimeout {
                element.timeout = Int(milliseconds / 1000)
            }
            if let valueType = shape.valueType {
                if valueType == .verdict {
                    guard case .number(let code)? = item["verdict"] else { return nil }
                    let chain = item["chain"]?.stringValue
                    switch Int32(code) {
                    case 1: element.value = .verdict("accept")
                    case 0: element.value = .verdict("drop")
                    case -1: element.value = .verdict("continue")
                    case -5: element.value = .verdict("return")
                    case -3: guard let chain else { return nil }; element.value = .verdict("jump \(chain)")
                    case -4: guard let chain else { return nil }; element.value = .verdict("goto \(chain)")
                    default: return nil
                    }
                } else {
                    guard let dataHex = item["data"]?.stringValue, let data = value(bytes(dataHex), valueType) else { return nil }
                    element.value = data
                }
            }
            guard shape.interval, case .interval(let single) = key else {
                elements.append(element)
                continue
            }
            if let endHex = item["keyEnd"]?.stringValue, case .interval(let end)? = value(bytes(endHex), shape.keyType) {
                element.key = .interval(NftInterval(low: single.low, high: end.low))
                elements.append(element)
                continue
            }
            let isEnd = (item["flags"].flatMap { if case .number(let n) = $0 { return UInt32(n) } else { return nil } } ?? 0) & 1 != 0
            ends.append((single.low, isEnd))
            if !isEnd { starts[single.low] = element }
        }
        // An interval set's elements come as boundaries: a start, and the first value after its end.
        let maximum: UInt128 = shape.keyType == .ipv6Address ? .max : shape.keyType == .port ? 0xFFFF : 0xFFFF_FFFF
        let sorted = ends.sorted { $0.0 < $1.0 }
        var index = 0
        while index < sorted.count {
            let (low, isEnd) = sorted[index]
            index += 1
            guard !isEnd, var element = starts[low] else { continue }
            var high = maximum
            if index < sorted.count, sorted[index].1 {
                high = sorted[index].0 - 1
                index += 1
            }
            element.key = .interval(NftInterval(low: low, high: high))
            elements.append(element)
        }
        return elements
    }

    /// A key or value as the kernel holds it (network byte order but for marks, which are the host's).
    static func value(_ bytes: [UInt8], _ type: NftDataType) -> NftElementValue? {
        func number(_ bytes: ArraySlice<UInt8>) -> UInt128 { bytes.reduce(0) { $0 << 8 | UInt128($1) } }
        switch type {
        case .ipv4Address:
            guard bytes.count >= 4 else { return nil }
            let value = number(bytes.prefix(4))
            return .interval(NftInterval(low: value, high: value))
        case .ipv6Address:
            guard bytes.count >= 16 else { return nil }
            let value = number(bytes.prefix(16))
            return .interval(NftInterval(low: value, high: value))
        case .port:
            guard bytes.count >= 2 else { return nil }
            let value = number(bytes.prefix(2))
            return .interval(NftInterval(low: value, high: value))
        case .interface:
            return .text(String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self))
        case .mark:
            guard bytes.count >= 4 else { return nil }
            return .number(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
        case .l4protocol:
            guard let number = bytes.first, let name = NftProtocols.numbers.first(where: { $0.value == Int(number) })?.key else { return nil }
            return .text(NftProtocols.printed(name))
        case .etherAddress:
            guard bytes.count >= 6 else { return nil }
            return .text(bytes.prefix(6).map { hex(ArraySlice([$0])) }.joined(separator: ":"))
        case .verdict:
            return nil
        }
    }
}
