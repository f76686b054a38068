#if canImport(Glibc)
import Glibc
#endif

/// One request to the kernel's netfilter subsystems over AF_NETLINK/NETLINK_NETFILTER
/// (nf_tables' GETTABLE, GETCHAIN, GETRULE, GETSET…), answered by one
/// message or a dump. The nftables family asks its questions here, and so does
/// the system host for iptables-nft's chains: one request takes a fraction of
/// a millisecond where a program that loads its cache first takes several.
public enum NetfilterNetlink {
    public struct Failure: Error, Sendable { public var errno: Int32 }

    /// One attribute: its type (without the nested and byte-order bits) and value.
    public struct Attribute: Sendable {
        public var type: UInt16
        public var value: ArraySlice<UInt8>

        public var string: String {
            let bytes = value.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        public var u32: UInt32 { value.prefix(4).reduce(0) { $0 << 8 | UInt32($1) } }  // big-endian, as nf_tables sends them
        public var u64: UInt64 { value.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } }
        public var nested: [Attribute] { NetfilterNetlink.attributes(value) }
    }

    public static func attributes(_ bytes: ArraySlice<UInt8>) -> [Attribute] {
        var result: [Attribute] = []
        var offset = bytes.startIndex
        while offset + 4 <= bytes.endIndex {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            let type = (UInt16(bytes[offset + 2]) | UInt16(bytes[offset + 3]) << 8) & 0x3FFF
            guard length >= 4, offset + length <= bytes.endIndex else { break }
            result.append(Attribute(type: type, value: bytes[(offset + 4)..<(offset + length)]))
            offset += (length + 3) & ~3
        }
        return result
    }

    public static func attribute(_ type: UInt16, string: String) -> [UInt8] {
        let value = Array(string.utf8) + [0]
        var bytes = [UInt8(truncatingIfNeeded: value.count + 4), UInt8(truncatingIfNeeded: (value.count + 4) >> 8),
                     UInt8(truncatingIfNeeded: type), UInt8(truncatingIfNeeded: type >> 8)] + value
        while bytes.count % 4 != 0 { bytes.append(0) }
        return bytes
    }

    /// Sends one request and returns the attributes of each message answered (several for a dump),
    /// with the family its nfgenmsg names.
    /// With `limit`, a dump is read only until that many messages have come: the socket is closed
    /// on the rest, so the kernel formats no more of a long chain than the question needs.
    public static func request(_ type: UInt16, family: UInt8, dump: Bool, attributes: [UInt8],
                               limit: Int? = nil) throws -> [(family: UInt8, attributes: [Attribute])] {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 12)  // NETLINK_NETFILTER
        guard fd >= 0 else { throw Failure(errno: errno) }
        defer { close(fd) }
        // Unbound: the kernel binds the socket to a port of its own at the first send, and answers there.
        let sequence: UInt32 = 1
        let length = 16 + 4 + attributes.count
        var message: [UInt8] = []
        func put32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { message.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) } }
        func put16(_ value: UInt16) { message.append(UInt8(truncatingIfNeeded: value)); message.append(UInt8(truncatingIfNeeded: value >> 8)) }
        put32(UInt32(length))
        put16(type)
        put16(dump ? 0x301 : 0x1)  // NLM_F_REQUEST (| NLM_F_DUMP)
        put32(sequence)
        put32(0)
        message += [family, 0, 0, 0]  // nfgenmsg: family, version 0, resource id 0
        message += attributes
        guard message.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == message.count else { throw Failure(errno: errno) }

        var answers: [(family: UInt8, attributes: [Attribute])] = []
        // Not zeroed: recv fills what it says it filled, and only that is read.
        var buffer = [UInt8](unsafeUninitializedCapacity: 1 << 16) { _, count in count = 1 << 16 }
        while true {
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received < 0 {
                if errno == EINTR { continue }
                throw Failure(errno: errno)
            }
            var offset = 0
            while offset + 16 <= received {
                let header = buffer[offset..<(offset + 16)]
                let messageLength = Int(header[offset]) | Int(header[offset + 1]) << 8 | Int(header[offset + 2]) << 16 | Int(header[offset + 3]) << 24
                let messageType = UInt16(header[offset + 4]) | UInt16(header[offset + 5]) << 8
                guard messageLength >= 16, offset + messageLength <= received else { break }
                switch messageType {
                case 2:  // NLMSG_ERROR: a negative errno, or 0 (an acknowledgement)
                    let code = Int32(bitPattern: UInt32(buffer[offset + 16]) | UInt32(buffer[offset + 17]) << 8
                                        | UInt32(buffer[offset + 18]) << 16 | UInt32(buffer[offset + 19]) << 24)
                    if code != 0 { throw Failure(errno: -code) }
                    return answers
                case 3:  // NLMSG_DONE
                    return answers
                default:
                    answers.append((buffer[offset + 16], Self.attributes(buffer[(offset + 20)..<(offset + messageLength)])))
                    if !dump || answers.count == limit { return answers }
                }
                offset += (messageLength + 3) & ~3
            }
        }
    }
}
