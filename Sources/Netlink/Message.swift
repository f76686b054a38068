/// rtnetlink messages as bytes: a 16-byte header (length, type, flags,
/// sequence, port), a fixed part (ifinfomsg, ifaddrmsg, rtmsg) and
/// attributes, each a type-length-value padded to 4 bytes. Integers are in
/// the host's byte order, addresses in network order, as the kernel has them.

/// One attribute: its type and payload; nested attributes are a payload of attributes.
public struct NetlinkAttribute: Equatable, Sendable {
    public var type: UInt16
    public var payload: [UInt8]

    public init(_ type: UInt16, _ payload: [UInt8]) {
        self.type = type
        self.payload = payload
    }

    public static func u8(_ type: UInt16, _ value: UInt8) -> NetlinkAttribute { NetlinkAttribute(type, [value]) }
    public static func u16(_ type: UInt16, _ value: UInt16) -> NetlinkAttribute { NetlinkAttribute(type, Bytes.of(value)) }
    public static func u32(_ type: UInt16, _ value: UInt32) -> NetlinkAttribute { NetlinkAttribute(type, Bytes.of(value)) }
    public static func i32(_ type: UInt16, _ value: Int32) -> NetlinkAttribute { NetlinkAttribute(type, Bytes.of(value)) }
    /// A string as the kernel reads names: NUL-terminated.
    public static func string(_ type: UInt16, _ value: String) -> NetlinkAttribute { NetlinkAttribute(type, Array(value.utf8) + [0]) }
    /// A string without the NUL (IFLA_INFO_KIND takes either; ip sends none).
    public static func bareString(_ type: UInt16, _ value: String) -> NetlinkAttribute { NetlinkAttribute(type, Array(value.utf8)) }
    public static func nested(_ type: UInt16, _ attributes: [NetlinkAttribute]) -> NetlinkAttribute {
        NetlinkAttribute(type, attributes.flatMap(\.encoded))
    }

    /// Length, type, payload, then zeros up to a multiple of 4.
    public var encoded: [UInt8] {
        var bytes = Bytes.of(UInt16(4 + payload.count)) + Bytes.of(type) + payload
        bytes += [UInt8](repeating: 0, count: Bytes.padding(bytes.count))
        return bytes
    }

    /// The attributes in `bytes[start...]`, in order; a truncated one ends the list.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> [NetlinkAttribute] {
        var attributes: [NetlinkAttribute] = []
        var offset = bytes.startIndex
        while offset + 4 <= bytes.endIndex {
            let length = Int(Bytes.u16(bytes, at: offset))
            // The top two bits of the type mark nesting and byte order, not the type.
            let type = Bytes.u16(bytes, at: offset + 2) & 0x3FFF
            guard length >= 4, offset + length <= bytes.endIndex else { break }
            attributes.append(NetlinkAttribute(type, Array(bytes[(offset + 4)..<(offset + length)])))
            offset += length + Bytes.padding(length)
        }
        return attributes
    }

    public var u8: UInt8? { payload.count >= 1 ? payload[0] : nil }
    public var u16: UInt16? { payload.count >= 2 ? Bytes.u16(payload[...], at: 0) : nil }
    public var u32: UInt32? { payload.count >= 4 ? Bytes.u32(payload[...], at: 0) : nil }
    public var i32: Int32? { u32.map { Int32(bitPattern: $0) } }
    /// The payload as text, up to its first NUL.
    public var string: String { String(decoding: payload.prefix { $0 != 0 }, as: UTF8.self) }
    public var nested: [NetlinkAttribute] { NetlinkAttribute.parse(payload[...]) }
}

extension Array where Element == NetlinkAttribute {
    /// The last attribute of this type (the kernel sends each once).
    public subscript(type type: UInt16) -> NetlinkAttribute? { last { $0.type == type } }
}

/// A request: header fields, the fixed part, and attributes.
public struct NetlinkRequest: Equatable, Sendable {
    public var type: UInt16
    public var flags: UInt16
    /// The fixed part (ifinfomsg, ifaddrmsg, rtmsg), already encoded.
    public var header: [UInt8]
    public var attributes: [NetlinkAttribute]

    public init(type: UInt16, flags: UInt16, header: [UInt8], attributes: [NetlinkAttribute] = []) {
        self.type = type
        self.flags = flags
        self.header = header
        self.attributes = attributes
    }

    /// The message as the socket sends it.
    public func encoded(sequence: UInt32, port: UInt32 = 0) -> [UInt8] {
        var body = header
        body += [UInt8](repeating: 0, count: Bytes.padding(body.count))
        for attribute in attributes { body += attribute.encoded }
        return Bytes.of(UInt32(16 + body.count)) + Bytes.of(type) + Bytes.of(flags) + Bytes.of(sequence) + Bytes.of(port) + body
    }
}

/// One message the kernel sent.
public struct NetlinkMessage: Equatable, Sendable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var port: UInt32
    /// Everything after the 16-byte header.
    public var payload: [UInt8]

    public init(type: UInt16, flags: UInt16, sequence: UInt32, port: UInt32, payload: [UInt8]) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.port = port
        self.payload = payload
    }

    /// The messages of one datagram; a truncated one is an error (the buffer was too small).
    public static func parse(_ bytes: [UInt8]) throws -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        var offset = 0
        while offset + 16 <= bytes.count {
            let length = Int(Bytes.u32(bytes[...], at: offset))
            guard length >= 16, offset + length <= bytes.count else {
                throw NetlinkError(code: 0, message: "a truncated netlink message (\(length) bytes at offset \(offset) of \(bytes.count))")
            }
            messages.append(NetlinkMessage(type: Bytes.u16(bytes[...], at: offset + 4), flags: Bytes.u16(bytes[...], at: offset + 6),
                                           sequence: Bytes.u32(bytes[...], at: offset + 8), port: Bytes.u32(bytes[...], at: offset + 12),
                                           payload: Array(bytes[(offset + 16)..<(offset + length)])))
            offset += length + Bytes.padding(length)
        }
        return messages
    }

    /// The attributes after a fixed part of `size` bytes.
    public func attributes(after size: Int) -> [NetlinkAttribute] {
        let start = size + Bytes.padding(size)
        guard start <= payload.count else { return [] }
        return NetlinkAttribute.parse(payload[start...])
    }

    /// For an NLMSG_ERROR message: the errno (0 is an acknowledgement) and the kernel's message, if it gave one.
    public var errorAnswer: (code: Int32, message: String?)? {
        guard type == NetlinkConstants.error, payload.count >= 4 else { return nil }
        let code = -Int32(bitPattern: Bytes.u32(payload[...], at: 0))
        var message: String?
        if flags & NetlinkConstants.ackAttributes != 0, payload.count >= 20 {
            // The request's header follows the errno, and its body too unless the kernel capped it.
            var start = 4 + 16
            if flags & NetlinkConstants.capped == 0 { start = 4 + Int(Bytes.u32(payload[...], at: 4)) }
            start += Bytes.padding(start)
            if start <= payload.count {
                message = NetlinkAttribute.parse(payload[start...])[type: NetlinkConstants.errorAttributeMessage]?.string
            }
        }
        return (code, message)
    }
}

/// Host-order integers in and out of byte arrays.
public enum Bytes {
    public static func padding(_ count: Int) -> Int { (4 - count % 4) % 4 }

    public static func of<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    public static func u16(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt16 {
        load(bytes, at: offset)
    }

    public static func u32(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt32 { load(bytes, at: offset) }

    private static func load<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, at offset: Int) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { target in
            for index in 0..<MemoryLayout<T>.size { target[index] = bytes[offset + index] }
        }
        return value
    }
}
