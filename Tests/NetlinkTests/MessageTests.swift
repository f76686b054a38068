import Netlink
import XCTest

/// rtnetlink messages byte by byte: what wds sends, and what it reads back.
final class MessageTests: XCTestCase {
    func testAnAttributeIsLengthTypePayloadPaddedToFourBytes() {
        XCTAssertEqual(NetlinkAttribute.string(3, "eth0").encoded, [9, 0, 3, 0, 0x65, 0x74, 0x68, 0x30, 0, 0, 0, 0])
        XCTAssertEqual(NetlinkAttribute.u32(4, 1400).encoded, [8, 0, 4, 0, 0x78, 0x05, 0, 0])
        XCTAssertEqual(NetlinkAttribute.u16(1, 10).encoded, [6, 0, 1, 0, 10, 0, 0, 0])
        XCTAssertEqual(NetlinkAttribute.nested(18, [.bareString(1, "veth")]).encoded, [12, 0, 18, 0, 8, 0, 1, 0, 0x76, 0x65, 0x74, 0x68])
    }

    func testAttributesParseBackWithNestingAndPadding() {
        let attributes: [NetlinkAttribute] = [.string(3, "w-1-0"), .u32(4, 1500), .nested(18, [.bareString(1, "veth"), .u8(9, 7)])]
        let bytes = attributes.flatMap(\.encoded)
        let parsed = NetlinkAttribute.parse(bytes[...])
        XCTAssertEqual(parsed.map(\.type), [3, 4, 18])
        XCTAssertEqual(parsed[type: 3]?.string, "w-1-0")
        XCTAssertEqual(parsed[type: 4]?.u32, 1500)
        XCTAssertEqual(parsed[type: 18]?.nested[type: 1]?.string, "veth")
        XCTAssertEqual(parsed[type: 18]?.nested[type: 9]?.u8, 7)
        // A truncated attribute ends the list instead of reading past the buffer.
        XCTAssertEqual(NetlinkAttribute.parse(bytes.dropLast(3)).map(\.type), [3, 4])
    }

    func testALinkUpRequestIsWhatIpLinkSetSends() {
        let request = LinkRequests.set(index: 7, LinkRequests.Change(up: true, mtu: 1400))
        var expected: [UInt8] = [40, 0, 0, 0, 16, 0, 5, 0, 42, 0, 0, 0, 0, 0, 0, 0]  // length, RTM_NEWLINK, REQUEST|ACK, seq 42, port 0
        expected += [0, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]  // ifinfomsg: index 7, flags IFF_UP, change IFF_UP
        expected += [8, 0, 4, 0, 0x78, 0x05, 0, 0]  // IFLA_MTU 1400
        var sent = request
        sent.flags |= NetlinkConstants.request | NetlinkConstants.ack
        XCTAssertEqual(sent.encoded(sequence: 42), expected)
    }

    func testAVethRequestDescribesThePeerAsALinkOfItsOwn() throws {
        let request = LinkRequests.create(name: "w-1-0", kind: .veth(peer: "w-1-1", peerNamespaceFD: nil), mtu: 1454)
        XCTAssertEqual(request.type, NetlinkConstants.newLink)
        XCTAssertEqual(request.flags, NetlinkConstants.create | NetlinkConstants.exclusive)
        let message = try XCTUnwrap(NetlinkMessage.parse(request.encoded(sequence: 1)).first)
        let attributes = message.attributes(after: 16)
        XCTAssertEqual(attributes[type: NetlinkConstants.linkName]?.string, "w-1-0")
        XCTAssertEqual(attributes[type: NetlinkConstants.linkMTU]?.u32, 1454)
        let info = try XCTUnwrap(attributes[type: NetlinkConstants.linkInfo]?.nested)
        XCTAssertEqual(info[type: NetlinkConstants.infoKind]?.payload, Array("veth".utf8))
        let peer = try XCTUnwrap(info[type: NetlinkConstants.infoData]?.nested[type: NetlinkConstants.vethPeer]?.payload)
        XCTAssertEqual(Array(peer.prefix(16)), [UInt8](repeating: 0, count: 16))
        XCTAssertEqual(NetlinkAttribute.parse(peer.dropFirst(16))[type: NetlinkConstants.linkName]?.string, "w-1-1")
    }

    func testAnAddressRequestCarriesLocalAndPeerAndLifetimes() throws {
        let address = AddressInfo(index: 3, local: try XCTUnwrap(IPAddress("10.0.0.1")), prefixLength: 30,
                                  peer: IPAddress("10.0.0.2"), broadcast: nil, scope: 0, label: "w-1-0:a", flags: 0x200,
                                  valid: 600, preferred: 300)
        let message = try XCTUnwrap(NetlinkMessage.parse(AddressRequests.add(address).encoded(sequence: 1)).first)
        XCTAssertEqual(Array(message.payload.prefix(8)), [2, 30, 0, 0, 3, 0, 0, 0])  // flags 0x200 do not fit ifa_flags
        let attributes = message.attributes(after: 8)
        XCTAssertEqual(attributes[type: NetlinkConstants.addressLocal]?.payload, [10, 0, 0, 1])
        XCTAssertEqual(attributes[type: NetlinkConstants.addressAddress]?.payload, [10, 0, 0, 2])
        XCTAssertEqual(attributes[type: NetlinkConstants.addressLabel]?.string, "w-1-0:a")
        XCTAssertEqual(attributes[type: NetlinkConstants.addressFlags]?.u32, 0x200)
        XCTAssertEqual(attributes[type: NetlinkConstants.addressCacheInfo]?.payload.prefix(8).map { $0 }, Bytes.of(UInt32(300)) + Bytes.of(UInt32(600)))
        // Read back as the kernel would answer a dump, it is the same address.
        var answer = message
        answer.type = NetlinkConstants.newAddress
        XCTAssertEqual(AddressInfo(answer)?.peer, IPAddress("10.0.0.2"))
        XCTAssertEqual(AddressInfo(answer)?.valid, 600)
        XCTAssertEqual(AddressInfo(answer)?.flagNames, ["noprefixroute"])
    }

    func testRouteRequestsHaveTheDefaultsOfIpRoute() throws {
        let gateway = RouteInfo(family: 2, destination: nil, gateway: IPAddress("192.0.2.1"), device: 4)
        var header = Array(try XCTUnwrap(NetlinkMessage.parse(RouteRequests.add(gateway).encoded(sequence: 1)).first).payload.prefix(12))
        XCTAssertEqual(header, [2, 0, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0])  // main, boot, global, unicast
        let delete = try XCTUnwrap(NetlinkMessage.parse(RouteRequests.delete(gateway).encoded(sequence: 1)).first)
        header = Array(delete.payload.prefix(12))
        XCTAssertEqual(header, [2, 0, 0, 0, 254, 0, 255, 0, 0, 0, 0, 0])  // any protocol, scope nowhere, any type
        // A table past 255 goes in RTA_TABLE.
        let big = RouteInfo(family: 10, destination: IPPrefix("2001:db8::/32"), device: 2, table: 1000, metric: 1024)
        let message = try XCTUnwrap(NetlinkMessage.parse(RouteRequests.add(big).encoded(sequence: 1)).first)
        XCTAssertEqual(message.payload[4], 0)
        XCTAssertEqual(message.attributes(after: 12)[type: NetlinkConstants.routeTable]?.u32, 1000)
        XCTAssertEqual(message.attributes(after: 12)[type: NetlinkConstants.routePriority]?.u32, 1024)
        var answer = message
        answer.type = NetlinkConstants.newRoute
        XCTAssertEqual(RouteInfo(answer)?.destinationText, "2001:db8::/32")
        XCTAssertEqual(RouteInfo(answer)?.table, 1000)
    }

    func testAnErrorAnswerGivesTheErrnoAndTheKernelsWords() throws {
        // NLMSG_ERROR with NLM_F_CAPPED | NLM_F_ACK_TLVS: errno -17, the request's header, then NLMSGERR_ATTR_MSG.
        let echoed: [UInt8] = Bytes.of(UInt32(32)) + Bytes.of(UInt16(16)) + Bytes.of(UInt16(0x605)) + Bytes.of(UInt32(9)) + Bytes.of(UInt32(0))
        let payload = Bytes.of(Int32(-17)) + echoed + NetlinkAttribute.string(1, "Link already exists").encoded
        let bytes = Bytes.of(UInt32(16 + payload.count)) + Bytes.of(UInt16(2)) + Bytes.of(UInt16(0x300)) + Bytes.of(UInt32(9))
            + Bytes.of(UInt32(1234)) + payload
        let message = try XCTUnwrap(NetlinkMessage.parse(bytes).first)
        let answer = try XCTUnwrap(message.errorAnswer)
        XCTAssertEqual(answer.code, 17)
        XCTAssertEqual(answer.message, "Link already exists")
        XCTAssertEqual(NetlinkError(code: answer.code, message: answer.message).description, "File exists (Link already exists)")
        // An acknowledgement is an error answer of 0.
        let ack = Bytes.of(UInt32(36)) + Bytes.of(UInt16(2)) + Bytes.of(UInt16(0x100)) + Bytes.of(UInt32(9)) + Bytes.of(UInt32(0))
            + Bytes.of(Int32(0)) + echoed
        XCTAssertEqual(try NetlinkMessage.parse(ack).first?.errorAnswer?.code, 0)
    }

    func testATruncatedMessageIsAnError() {
        let bytes = Bytes.of(UInt32(64)) + [UInt8](repeating: 0, count: 20)
        XCTAssertThrowsError(try NetlinkMessage.parse(bytes))
    }

    func testALinkMessageReadsAsALink() throws {
        let header = [UInt8](arrayLiteral: 0, 0) + Bytes.of(UInt16(1)) + Bytes.of(Int32(5)) + Bytes.of(UInt32(0x11043)) + Bytes.of(UInt32(0))
        let attributes: [NetlinkAttribute] = [
            .string(3, "eth0.10"), .u32(4, 1500), NetlinkAttribute(1, [0x02, 0x42, 0xac, 0x11, 0, 0x0a]), .u32(5, 2), .u8(16, 6),
            .nested(18, [.string(1, "vlan"), .nested(2, [.u16(1, 10)])]),
        ]
        let request = NetlinkRequest(type: NetlinkConstants.newLink, flags: 0, header: header, attributes: attributes)
        let link = try XCTUnwrap(LinkInfo(try XCTUnwrap(NetlinkMessage.parse(request.encoded(sequence: 0)).first)))
        XCTAssertEqual(link.index, 5)
        XCTAssertEqual(link.name, "eth0.10")
        XCTAssertEqual(link.kind, "vlan")
        XCTAssertEqual(link.vlanID, 10)
        XCTAssertEqual(link.parent, 2)
        XCTAssertEqual(link.mac, "02:42:ac:11:00:0a")
        XCTAssertEqual(link.state, "UP")
        XCTAssertEqual(link.flagNames, ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"])
        XCTAssertTrue(link.isUp)
    }

    func testAddressesReadWriteAndComputeAsIpDoes() throws {
        XCTAssertEqual(IPAddress("fd00:0:0::1")?.description, "fd00::1")
        XCTAssertNil(IPAddress("10.0.0.256"))
        XCTAssertEqual(IPAddress("10.1.2.3")?.masked(22).description, "10.1.0.0")
        XCTAssertEqual(IPAddress("10.1.2.3")?.lastAddress(22).description, "10.1.3.255")
        XCTAssertEqual(IPAddress("2001:db8::5")?.masked(64).description, "2001:db8::")
        XCTAssertTrue(try XCTUnwrap(IPAddress("fe80::1")).isIPv6LinkLocal)
        XCTAssertEqual(IPPrefix("10.0.0.1/24")?.network.description, "10.0.0.0/24")
        XCTAssertEqual(IPPrefix("10.0.0.1")?.length, 32)
        XCTAssertNil(IPPrefix("10.0.0.1/33"))
        XCTAssertNil(IPPrefix("10.0.0.1/"))
        XCTAssertEqual(LinkInfo.macBytes("02:00:00:00:00:0A"), [2, 0, 0, 0, 0, 10])
        XCTAssertNil(LinkInfo.macBytes("02:00:00:00:00"))
    }
}
