#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as the kernel carries it: 4 or 16 bytes in
/// network order. Text goes through inet_pton and inet_ntop, so it reads and
/// prints as `ip` does (`fd00::1`, not `fd00:0:0:0:0:0:0:1`).
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public init?(_ text: String) {
        if let bytes = IPAddress.convert(text, family: AF_INET, size: 4) ?? IPAddress.convert(text, family: AF_INET6, size: 16) {
            self.bytes = bytes
        } else {
            return nil
        }
    }

    private static func convert(_ text: String, family: Int32, size: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: size)
        return inet_pton(family, text, &buffer) == 1 ? buffer : nil
    }

    public var isIPv4: Bool { bytes.count == 4 }
    /// AF_INET or AF_INET6.
    public var family: UInt8 { isIPv4 ? NetlinkConstants.familyIPv4 : NetlinkConstants.familyIPv6 }
    public var bitLength: Int { bytes.count * 8 }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        guard inet_ntop(isIPv4 ? AF_INET : AF_INET6, bytes, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The first `length` bits kept, the rest zero: the network an address with that prefix is in.
    public func masked(_ length: Int) -> IPAddress {
        var copy = self
        for index in copy.bytes.indices {
            let bits = max(0, min(8, length - index * 8))
            copy.bytes[index] &= bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
        return copy
    }

    /// The last address of the network (what `ip address add … broadcast +` computes).
    public func lastAddress(_ length: Int) -> IPAddress {
        var copy = self
        for index in copy.bytes.indices {
            let bits = max(0, min(8, length - index * 8))
            copy.bytes[index] |= bits == 8 ? 0 : UInt8(truncatingIfNeeded: 0xFF >> bits)
        }
        return copy
    }

    /// Whether this address lies in `network`/`length`.
    public func isIn(_ network: IPAddress, length: Int) -> Bool {
        bytes.count == network.bytes.count && masked(length) == network.masked(length)
    }

    /// IPv6 link-local addresses (fe80::/10), which the kernel makes itself when a link goes up.
    public var isIPv6LinkLocal: Bool { !isIPv4 && bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 }
}

/// An address with a prefix length: `10.0.0.1/24`, `fd00::1/64`.
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var length: Int

    public init(address: IPAddress, length: Int) {
        self.address = address
        self.length = length
    }

    /// `ADDRESS/LENGTH`, or an address alone (the whole address: /32 or /128).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        var length = address.bitLength
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(parts[1]), n <= address.bitLength else {
                return nil
            }
            length = n
        }
        self.address = address
        self.length = length
    }

    public var description: String { "\(address)/\(length)" }
    /// The network: `10.0.0.0/24` for `10.0.0.1/24`.
    public var network: IPPrefix { IPPrefix(address: address.masked(length), length: length) }
}
