/// Links (network interfaces) as RTM_NEWLINK messages describe them, and the
/// requests that create, change and delete them. The fixed part is struct
/// ifinfomsg: family, padding, device type, index, flags, change mask.
public struct LinkInfo: Equatable, Sendable {
    public var index: Int32
    public var name: String
    /// `veth`, `bridge`, `vlan`, `macvlan`… (IFLA_INFO_KIND); empty for a device without one (lo, a physical NIC).
    public var kind: String
    public var flags: UInt32
    public var mtu: Int
    /// The hardware address as `ip` prints it (`aa:bb:…`); empty when the device has none.
    public var mac: String
    /// The index of the bridge or bond this link is a port of; 0 for none.
    public var master: Int32
    /// The link it sits on (a VLAN's parent, a veth's peer), and in which namespace (nil: this one).
    public var parent: Int32
    public var parentNamespaceID: Int32?
    /// IF_OPER_*: UNKNOWN, NOTPRESENT, DOWN, LOWERLAYERDOWN, TESTING, DORMANT, UP.
    public var operationalState: UInt8
    public var vlanID: Int?
    public var macvlanMode: UInt32?
    /// ARPHRD_* (1 ethernet, 772 loopback).
    public var deviceType: UInt16

    public init(index: Int32, name: String, kind: String = "", flags: UInt32 = 0, mtu: Int = 1500, mac: String = "",
                master: Int32 = 0, parent: Int32 = 0, parentNamespaceID: Int32? = nil, operationalState: UInt8 = 0,
                vlanID: Int? = nil, macvlanMode: UInt32? = nil, deviceType: UInt16 = 1) {
        self.index = index
        self.name = name
        self.kind = kind
        self.flags = flags
        self.mtu = mtu
        self.mac = mac
        self.master = master
        self.parent = parent
        self.parentNamespaceID = parentNamespaceID
        self.operationalState = operationalState
        self.vlanID = vlanID
        self.macvlanMode = macvlanMode
        self.deviceType = deviceType
    }

    public var isUp: Bool { flags & NetlinkConstants.flagUp != 0 }

    /// `UP`, `DOWN`, `LOWERLAYERDOWN`, `UNKNOWN`…: the operational state as `ip` prints it.
    public var state: String {
        ["UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"][Int(min(operationalState, 6))]
    }

    /// The flags as `ip` names them: `BROADCAST`, `MULTICAST`, `UP`, `LOWER_UP`…
    public var flagNames: [String] {
        let names: [(UInt32, String)] = [
            (NetlinkConstants.flagLoopback, "LOOPBACK"), (NetlinkConstants.flagBroadcast, "BROADCAST"),
            (NetlinkConstants.flagPointToPoint, "POINTOPOINT"), (NetlinkConstants.flagMulticast, "MULTICAST"),
            (NetlinkConstants.flagNoARP, "NOARP"), (NetlinkConstants.flagAllMulticast, "ALLMULTI"),
            (NetlinkConstants.flagPromiscuous, "PROMISC"), (NetlinkConstants.flagMaster, "MASTER"),
            (NetlinkConstants.flagPort, "SLAVE"), (NetlinkConstants.flagUp, "UP"), (NetlinkConstants.flagLowerUp, "LOWER_UP"),
            (NetlinkConstants.flagDormant, "DORMANT"),
        ]
        return names.filter { flags & $0.0 != 0 }.map(\.1)
    }

    /// Reads one RTM_NEWLINK message; nil for anything else.
    public init?(_ message: NetlinkMessage) {
        guard message.type == NetlinkConstants.newLink, message.payload.count >= 16 else { return nil }
        let body = message.payload[...]
        deviceType = Bytes.u16(body, at: 2)
        index = Int32(bitPattern: Bytes.u32(body, at: 4))
        flags = Bytes.u32(body, at: 8)
        let attributes = message.attributes(after: 16)
        name = attributes[type: NetlinkConstants.linkName]?.string ?? ""
        mtu = Int(attributes[type: NetlinkConstants.linkMTU]?.u32 ?? 0)
        mac = attributes[type: NetlinkConstants.linkAddress].map { LinkInfo.macText($0.payload) } ?? ""
        master = attributes[type: NetlinkConstants.linkMaster]?.i32 ?? 0
        parent = attributes[type: NetlinkConstants.linkLink]?.i32 ?? 0
        parentNamespaceID = attributes[type: NetlinkConstants.linkNamespaceID]?.i32
        operationalState = attributes[type: NetlinkConstants.linkOperationalState]?.u8 ?? 0
        kind = ""
        if let info = attributes[type: NetlinkConstants.linkInfo]?.nested {
            kind = info[type: NetlinkConstants.infoKind]?.string ?? ""
            let data = info[type: NetlinkConstants.infoData]?.nested ?? []
            if kind == "vlan" { vlanID = data[type: NetlinkConstants.vlanID]?.u16.map(Int.init) }
            if kind == "macvlan" { macvlanMode = data[type: NetlinkConstants.macvlanMode]?.u32 }
        }
    }

    /// `aa:bb:cc:dd:ee:ff`, lower case as `ip` prints it.
    public static func macText(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
        }.joined(separator: ":")
    }

    /// The bytes of `aa:bb:cc:dd:ee:ff`; nil when it is not six hexadecimal pairs.
    public static func macBytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard part.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}

/// The requests about links: `ip link add`, `ip link set`, `ip link delete`, `ip link show`.
public enum LinkRequests {
    /// struct ifinfomsg: family, padding, type, index, flags, change.
    static func header(index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) -> [UInt8] {
        [NetlinkConstants.familyUnspecified, 0] + Bytes.of(UInt16(0)) + Bytes.of(index) + Bytes.of(flags) + Bytes.of(change)
    }

    public static func dump() -> NetlinkRequest {
        NetlinkRequest(type: NetlinkConstants.getLink, flags: 0, header: header())
    }

    /// The kinds of link wds creates, with what each needs.
    public enum Kind: Equatable, Sendable {
        /// A veth pair: the peer's name, and the namespace it is made in (a descriptor), if not this one.
        case veth(peer: String, peerNamespaceFD: Int32?)
        case bridge
        /// An 802.1Q VLAN on `parent` (an index).
        case vlan(parent: Int32, id: Int)
        /// A macvlan on `parent`, in a MACVLAN_MODE_* mode.
        case macvlan(parent: Int32, mode: UInt32)
    }

    /// `ip link add [link PARENT] name NAME [mtu N] [address MAC] type KIND …`: NLM_F_CREATE | NLM_F_EXCL.
    /// A veth's peer gets the same MTU (`… type veth peer name PEER mtu N`).
    public static func create(name: String, kind: Kind, mtu: Int? = nil, mac: [UInt8]? = nil) -> NetlinkRequest {
        var attributes: [NetlinkAttribute] = [.string(NetlinkConstants.linkName, name)]
        if let mtu { attributes.append(.u32(NetlinkConstants.linkMTU, UInt32(mtu))) }
        if let mac { attributes.append(NetlinkAttribute(NetlinkConstants.linkAddress, mac)) }
        var info: [NetlinkAttribute]
        switch kind {
        case .veth(let peer, let peerNamespace):
            // The peer is described as a link of its own: an ifinfomsg and its attributes.
            // An MTU is given to both ends (the peer does not take it from the other end).
            var peerAttributes: [NetlinkAttribute] = [.string(NetlinkConstants.linkName, peer)]
            if let mtu { peerAttributes.append(.u32(NetlinkConstants.linkMTU, UInt32(mtu))) }
            if let peerNamespace { peerAttributes.append(.u32(NetlinkConstants.linkNamespaceFD, UInt32(bitPattern: peerNamespace))) }
            let peerBody = header() + peerAttributes.flatMap(\.encoded)
            info = [.bareString(NetlinkConstants.infoKind, "veth"),
                    .nested(NetlinkConstants.infoData, [NetlinkAttribute(NetlinkConstants.vethPeer, peerBody)])]
        case .bridge:
            info = [.bareString(NetlinkConstants.infoKind, "bridge")]
        case .vlan(let parent, let id):
            attributes.append(.u32(NetlinkConstants.linkLink, UInt32(bitPattern: parent)))
            info = [.bareString(NetlinkConstants.infoKind, "vlan"), .nested(NetlinkConstants.infoData, [.u16(NetlinkConstants.vlanID, UInt16(id))])]
        case .macvlan(let parent, let mode):
            attributes.append(.u32(NetlinkConstants.linkLink, UInt32(bitPattern: parent)))
            info = [.bareString(NetlinkConstants.infoKind, "macvlan"),
                    .nested(NetlinkConstants.infoData, [.u32(NetlinkConstants.macvlanMode, mode)])]
        }
        attributes.append(.nested(NetlinkConstants.linkInfo, info))
        return NetlinkRequest(type: NetlinkConstants.newLink, flags: NetlinkConstants.create | NetlinkConstants.exclusive,
                              header: header(), attributes: attributes)
    }

    /// What `ip link set dev X …` can change in one request.
    public struct Change: Equatable, Sendable {
        public var up: Bool?
        public var mtu: Int?
        public var mac: [UInt8]?
        public var name: String?
        /// The bridge's index; 0 takes the link out of its bridge (`nomaster`).
        public var master: Int32?
        /// A descriptor of the namespace the link moves into, or a process whose namespace it is.
        public var namespaceFD: Int32?
        public var namespacePID: Int32?

        public init(up: Bool? = nil, mtu: Int? = nil, mac: [UInt8]? = nil, name: String? = nil, master: Int32? = nil,
                    namespaceFD: Int32? = nil, namespacePID: Int32? = nil) {
            self.up = up
            self.mtu = mtu
            self.mac = mac
            self.name = name
            self.master = master
            self.namespaceFD = namespaceFD
            self.namespacePID = namespacePID
        }
    }

    /// `ip link set dev X …`: one RTM_NEWLINK for the link at `index`; the kernel applies it all or nothing.
    public static func set(index: Int32, _ change: Change) -> NetlinkRequest {
        var attributes: [NetlinkAttribute] = []
        if let name = change.name { attributes.append(.string(NetlinkConstants.linkName, name)) }
        if let mac = change.mac { attributes.append(NetlinkAttribute(NetlinkConstants.linkAddress, mac)) }
        if let mtu = change.mtu { attributes.append(.u32(NetlinkConstants.linkMTU, UInt32(mtu))) }
        if let master = change.master { attributes.append(.u32(NetlinkConstants.linkMaster, UInt32(bitPattern: master))) }
        if let fd = change.namespaceFD { attributes.append(.u32(NetlinkConstants.linkNamespaceFD, UInt32(bitPattern: fd))) }
        if let pid = change.namespacePID { attributes.append(.u32(NetlinkConstants.linkNamespacePID, UInt32(bitPattern: pid))) }
        let flags: UInt32 = change.up == true ? NetlinkConstants.flagUp : 0
        let mask: UInt32 = change.up == nil ? 0 : NetlinkConstants.flagUp
        return NetlinkRequest(type: NetlinkConstants.newLink, flags: 0, header: header(index: index, flags: flags, change: mask),
                              attributes: attributes)
    }

    /// `ip link delete dev X` (a veth takes its peer with it).
    public static func delete(index: Int32) -> NetlinkRequest {
        NetlinkRequest(type: NetlinkConstants.deleteLink, flags: 0, header: header(index: index))
    }
}

extension RouteSocket {
    /// Every link of the socket's namespace, by index.
    public func links() throws -> [LinkInfo] {
        try dump(LinkRequests.dump()).compactMap(LinkInfo.init).sorted { $0.index < $1.index }
    }
}

extension RouteSocket {
    /// The link called `name` (RTM_GETLINK by name); nil when there is none.
    public func link(named name: String) throws -> LinkInfo? {
        let request = NetlinkRequest(type: NetlinkConstants.getLink, flags: 0, header: LinkRequests.header(),
                                     attributes: [.string(NetlinkConstants.linkName, name)])
        do {
            return LinkInfo(try ask(request))
        } catch let error as NetlinkError where error.code == 19 {  // ENODEV
            return nil
        }
    }
}
