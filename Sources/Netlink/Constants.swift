/// The numbers of the rtnetlink ABI that wds uses, named as the kernel's
/// headers name them (linux/netlink.h, rtnetlink.h, if_link.h, if_addr.h,
/// veth.h, if.h). Only what wds sends or reads is here; `NetlinkTests`
/// checks the encodings built from them byte by byte.
public enum NetlinkConstants {
    // MARK: Message types (netlink.h, rtnetlink.h)

    public static let noop: UInt16 = 1
    public static let error: UInt16 = 2
    public static let done: UInt16 = 3
    public static let overrun: UInt16 = 4

    public static let newLink: UInt16 = 16
    public static let deleteLink: UInt16 = 17
    public static let getLink: UInt16 = 18
    public static let newAddress: UInt16 = 20
    public static let deleteAddress: UInt16 = 21
    public static let getAddress: UInt16 = 22
    public static let newRoute: UInt16 = 24
    public static let deleteRoute: UInt16 = 25
    public static let getRoute: UInt16 = 26

    // MARK: Header flags

    public static let request: UInt16 = 0x1
    public static let multi: UInt16 = 0x2
    public static let ack: UInt16 = 0x4
    public static let dumpInterrupted: UInt16 = 0x10
    /// NLM_F_ROOT | NLM_F_MATCH: a whole table.
    public static let dump: UInt16 = 0x300
    public static let replace: UInt16 = 0x100
    public static let exclusive: UInt16 = 0x200
    public static let create: UInt16 = 0x400
    public static let append: UInt16 = 0x800
    /// In an error message: the request was not echoed whole (NETLINK_CAP_ACK).
    public static let capped: UInt16 = 0x100
    /// In an error message: extended-ack attributes follow (NETLINK_EXT_ACK).
    public static let ackAttributes: UInt16 = 0x200

    // MARK: Socket options (SOL_NETLINK)

    public static let solNetlink: Int32 = 270
    public static let capAck: Int32 = 10
    public static let extendedAck: Int32 = 11
    /// NLMSGERR_ATTR_MSG: the kernel's own words about a refusal.
    public static let errorAttributeMessage: UInt16 = 1

    // MARK: Links (if_link.h, veth.h, if.h)

    public static let linkAddress: UInt16 = 1
    public static let linkName: UInt16 = 3
    public static let linkMTU: UInt16 = 4
    public static let linkLink: UInt16 = 5
    public static let linkMaster: UInt16 = 10
    public static let linkOperationalState: UInt16 = 16
    public static let linkInfo: UInt16 = 18
    public static let linkNamespacePID: UInt16 = 19
    public static let linkNamespaceFD: UInt16 = 28
    public static let linkNamespaceID: UInt16 = 37

    public static let infoKind: UInt16 = 1
    public static let infoData: UInt16 = 2
    public static let infoPortKind: UInt16 = 4
    public static let vethPeer: UInt16 = 1
    public static let vlanID: UInt16 = 1
    public static let macvlanMode: UInt16 = 1

    public static let flagUp: UInt32 = 0x1
    public static let flagBroadcast: UInt32 = 0x2
    public static let flagLoopback: UInt32 = 0x8
    public static let flagPointToPoint: UInt32 = 0x10
    public static let flagRunning: UInt32 = 0x40
    public static let flagNoARP: UInt32 = 0x80
    public static let flagPromiscuous: UInt32 = 0x100
    public static let flagAllMulticast: UInt32 = 0x200
    public static let flagMaster: UInt32 = 0x400
    public static let flagPort: UInt32 = 0x800
    public static let flagMulticast: UInt32 = 0x1000
    public static let flagLowerUp: UInt32 = 0x10000
    public static let flagDormant: UInt32 = 0x20000

    // MARK: Addresses (if_addr.h)

    public static let addressAddress: UInt16 = 1
    public static let addressLocal: UInt16 = 2
    public static let addressLabel: UInt16 = 3
    public static let addressBroadcast: UInt16 = 4
    public static let addressCacheInfo: UInt16 = 6
    public static let addressFlags: UInt16 = 8

    // MARK: Routes (rtnetlink.h)

    public static let routeDestination: UInt16 = 1
    public static let routeOutputInterface: UInt16 = 4
    public static let routeGateway: UInt16 = 5
    public static let routePriority: UInt16 = 6
    public static let routePreferredSource: UInt16 = 7
    public static let routeMultipath: UInt16 = 9
    public static let routeTable: UInt16 = 15
    /// RTM_F_LOOKUP_TABLE: `route get` answers with the table the route came from.
    public static let routeLookupTable: UInt32 = 0x1000

    public static let tableUnspecified: UInt8 = 0
    public static let tableMain: UInt32 = 254
    public static let tableLocal: UInt32 = 255

    public static let protocolKernel: UInt8 = 2
    public static let protocolBoot: UInt8 = 3

    public static let scopeUniverse: UInt8 = 0
    public static let scopeLink: UInt8 = 253
    public static let scopeHost: UInt8 = 254
    public static let scopeNowhere: UInt8 = 255

    public static let typeUnicast: UInt8 = 1

    // MARK: Address families (socket.h)

    public static let familyUnspecified: UInt8 = 0
    public static let familyIPv4: UInt8 = 2
    public static let familyIPv6: UInt8 = 10
    public static let familyNetlink: Int32 = 16
}
