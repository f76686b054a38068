/// Addresses of links as RTM_NEWADDR messages describe them, and the
/// requests that add, change and delete them. The fixed part is struct
/// ifaddrmsg: family, prefix length, flags (low 8 bits), scope, link index.
public struct AddressInfo: Equatable, Sendable {
    public var index: Int32
    public var local: IPAddress
    public var prefixLength: Int
    /// The other end of a point-to-point address (IFA_ADDRESS when it differs from IFA_LOCAL).
    public var peer: IPAddress?
    public var broadcast: IPAddress?
    public var scope: UInt8
    public var label: String
    public var flags: UInt32
    /// Seconds left; nil is forever.
    public var valid: UInt32?
    public var preferred: UInt32?

    public init(index: Int32, local: IPAddress, prefixLength: Int, peer: IPAddress? = nil, broadcast: IPAddress? = nil,
                scope: UInt8 = 0, label: String = "", flags: UInt32 = 0, valid: UInt32? = nil, preferred: UInt32? = nil) {
        self.index = index
        self.local = local
        self.prefixLength = prefixLength
        self.peer = peer
        self.broadcast = broadcast
        self.scope = scope
        self.label = label
        self.flags = flags
        self.valid = valid
        self.preferred = preferred
    }

    /// 0xFFFFFFFF in ifa_cacheinfo: no end.
    public static let forever: UInt32 = 0xFFFF_FFFF

    public init?(_ message: NetlinkMessage) {
        guard message.type == NetlinkConstants.newAddress, message.payload.count >= 8 else { return nil }
        let body = message.payload
        prefixLength = Int(body[1])
        scope = body[3]
        index = Int32(bitPattern: Bytes.u32(body[...], at: 4))
        let attributes = message.attributes(after: 8)
        flags = attributes[type: NetlinkConstants.addressFlags]?.u32 ?? UInt32(body[2])
        let address = attributes[type: NetlinkConstants.addressAddress].flatMap { IPAddress(bytes: $0.payload) }
        // IPv6 sends IFA_ADDRESS alone; IPv4 sends IFA_LOCAL, and IFA_ADDRESS is the peer when they differ.
        guard let local = attributes[type: NetlinkConstants.addressLocal].flatMap({ IPAddress(bytes: $0.payload) }) ?? address else {
            return nil
        }
        self.local = local
        peer = address.flatMap { $0 == local ? nil : $0 }
        broadcast = attributes[type: NetlinkConstants.addressBroadcast].flatMap { IPAddress(bytes: $0.payload) }
        label = attributes[type: NetlinkConstants.addressLabel]?.string ?? ""
        if let cache = attributes[type: NetlinkConstants.addressCacheInfo], cache.payload.count >= 8 {
            let preferred = Bytes.u32(cache.payload[...], at: 0), valid = Bytes.u32(cache.payload[...], at: 4)
            self.preferred = preferred == AddressInfo.forever ? nil : preferred
            self.valid = valid == AddressInfo.forever ? nil : valid
        }
    }

    /// The flags as `ip` names them (`permanent`, `nodad`, `noprefixroute`…).
    public var flagNames: [String] {
        let names: [(UInt32, String)] = [
            (0x01, "secondary"), (0x02, "nodad"), (0x04, "optimistic"), (0x08, "dadfailed"), (0x10, "home"),
            (0x20, "deprecated"), (0x40, "tentative"), (0x80, "permanent"), (0x100, "mngtmpaddr"), (0x200, "noprefixroute"),
            (0x400, "autojoin"), (0x800, "stable-privacy"),
        ]
        return names.filter { flags & $0.0 != 0 }.map(\.1)
    }

    /// The flags a script sets (not those the kernel adds: permanent, tentative, secondary…).
    public static let settableFlags: [String: UInt32] = ["nodad": 0x02, "home": 0x10, "mngtmpaddr": 0x100, "noprefixroute": 0x200,
                                                         "autojoin": 0x400]
}

/// The requests about addresses: `ip address add|change|delete`, `ip address show`.
public enum AddressRequests {
    static func header(family: UInt8, prefixLength: Int, flags: UInt32, scope: UInt8, index: Int32) -> [UInt8] {
        [family, UInt8(prefixLength), UInt8(truncatingIfNeeded: flags & 0xFF), scope] + Bytes.of(index)
    }

    public static func dump(family: UInt8 = NetlinkConstants.familyUnspecified) -> NetlinkRequest {
        NetlinkRequest(type: NetlinkConstants.getAddress, flags: 0, header: header(family: family, prefixLength: 0, flags: 0, scope: 0, index: 0))
    }

    /// What `ip address add` sends: IFA_LOCAL, IFA_ADDRESS (the peer, or the address again), and the rest as given.
    public static func add(_ address: AddressInfo, replace: Bool = false) -> NetlinkRequest {
        var attributes: [NetlinkAttribute] = [
            NetlinkAttribute(NetlinkConstants.addressLocal, address.local.bytes),
            NetlinkAttribute(NetlinkConstants.addressAddress, (address.peer ?? address.local).bytes),
        ]
        if let broadcast = address.broadcast { attributes.append(NetlinkAttribute(NetlinkConstants.addressBroadcast, broadcast.bytes)) }
        if !address.label.isEmpty { attributes.append(.string(NetlinkConstants.addressLabel, address.label)) }
        if address.valid != nil || address.preferred != nil {
            let valid = address.valid ?? AddressInfo.forever, preferred = address.preferred ?? AddressInfo.forever
            attributes.append(NetlinkAttribute(NetlinkConstants.addressCacheInfo,
                                               Bytes.of(preferred) + Bytes.of(valid) + Bytes.of(UInt32(0)) + Bytes.of(UInt32(0))))
        }
        if address.flags > 0xFF { attributes.append(.u32(NetlinkConstants.addressFlags, address.flags)) }
        // `change` (NLM_F_REPLACE alone) alters an address that exists and fails otherwise.
        let flags = replace ? NetlinkConstants.replace : NetlinkConstants.create | NetlinkConstants.exclusive
        return NetlinkRequest(type: NetlinkConstants.newAddress, flags: flags,
                              header: header(family: address.local.family, prefixLength: address.prefixLength, flags: address.flags,
                                             scope: address.scope, index: address.index),
                              attributes: attributes)
    }

    /// `ip address delete ADDRESS/LENGTH [peer P] dev X`.
    public static func delete(_ address: AddressInfo) -> NetlinkRequest {
        NetlinkRequest(type: NetlinkConstants.deleteAddress, flags: 0,
                       header: header(family: address.local.family, prefixLength: address.prefixLength, flags: 0, scope: 0,
                                      index: address.index),
                       attributes: [NetlinkAttribute(NetlinkConstants.addressLocal, address.local.bytes),
                                    NetlinkAttribute(NetlinkConstants.addressAddress, (address.peer ?? address.local).bytes)])
    }
}

extension RouteSocket {
    /// Every address of the socket's namespace, IPv4 first, in the kernel's order.
    public func addresses() throws -> [AddressInfo] {
        try dump(AddressRequests.dump()).compactMap(AddressInfo.init)
    }
}
