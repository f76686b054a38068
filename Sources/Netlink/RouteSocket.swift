#if canImport(Glibc)
import Glibc
#endif

/// A refusal from the kernel (an errno, and its own words when it gave any),
/// or a failure of the socket itself.
public struct NetlinkError: Error, Sendable, CustomStringConvertible {
    /// The errno; 0 for a malformed answer.
    public var code: Int32
    /// The extended ack's message ("Invalid prefix for given prefix length"), or what went wrong.
    public var message: String?

    public init(code: Int32, message: String? = nil) {
        self.code = code
        self.message = message
    }

    /// `File exists`, or `Invalid argument (Error: …)` with the kernel's own words.
    public var description: String {
        let text = code == 0 ? "malformed answer" : String(cString: strerror(code))
        guard let message, !message.isEmpty else { return text }
        return code == 0 ? message : "\(text) (\(message))"
    }
}

/// An AF_NETLINK/NETLINK_ROUTE socket, bound in one network namespace for
/// its whole life (the one wds runs in, or one it entered just to open it).
/// Requests carry NLM_F_ACK and are answered by an acknowledgement or an
/// errno; dumps are read to NLMSG_DONE, and read again if the kernel says
/// the table changed under them.
public final class RouteSocket {
    let fd: Int32
    private var sequence: UInt32 = 0
    /// The port the kernel gave the socket (its answers carry it).
    private var port: UInt32 = 0

    /// A socket in this process's network namespace, or in the one at `namespace`
    /// (`/run/netns/NAME`, `/proc/PID/ns/net`).
    public init(namespace: String? = nil) throws {
        if let namespace {
            fd = try NetworkNamespaces.inside(namespace) { try RouteSocket.openSocket() }
        } else {
            fd = try RouteSocket.openSocket()
        }
        var address = NetlinkAddress()
        var length = socklen_t(MemoryLayout<NetlinkAddress>.size)
        if withUnsafeMutablePointer(to: &address, {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }) == 0 {
            port = address.port
        }
        sequence = UInt32(truncatingIfNeeded: time(nil))
    }

    deinit { close(fd) }

    private static func openSocket() throws -> Int32 {
        let fd = socket(NetlinkConstants.familyNetlink, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NetlinkError(code: errno, message: "cannot open a netlink socket") }
        var on: Int32 = 1
        // The kernel's own words with each refusal, and acknowledgements without the request echoed.
        _ = setsockopt(fd, NetlinkConstants.solNetlink, NetlinkConstants.extendedAck, &on, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, NetlinkConstants.solNetlink, NetlinkConstants.capAck, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = NetlinkAddress()
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<NetlinkAddress>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw NetlinkError(code: code, message: "cannot bind a netlink socket")
        }
        return fd
    }

    // MARK: Requests

    /// Sends a change with NLM_F_ACK and waits for its acknowledgement; a refusal is thrown.
    public func perform(_ request: NetlinkRequest) throws {
        var request = request
        request.flags |= NetlinkConstants.request | NetlinkConstants.ack
        let sequence = try send(request)
        while true {
            for message in try receive() where message.sequence == sequence {
                if let (code, text) = message.errorAnswer {
                    if code == 0 { return }
                    throw NetlinkError(code: code, message: text)
                }
            }
        }
    }

    /// Sends a question answered by one message (RTM_GETROUTE for one destination, RTM_GETLINK for one name).
    public func ask(_ request: NetlinkRequest) throws -> NetlinkMessage {
        var request = request
        request.flags |= NetlinkConstants.request
        let sequence = try send(request)
        while true {
            for message in try receive() where message.sequence == sequence {
                if let (code, text) = message.errorAnswer { throw NetlinkError(code: code, message: text) }
                return message
            }
        }
    }

    /// Every message of a dump (RTM_GETLINK with NLM_F_DUMP…), read to NLMSG_DONE.
    /// A dump the kernel marks as interrupted (the table changed meanwhile) is read again.
    public func dump(_ request: NetlinkRequest) throws -> [NetlinkMessage] {
        var request = request
        request.flags |= NetlinkConstants.request | NetlinkConstants.dump
        for _ in 0..<5 {
            let sequence = try send(request)
            var messages: [NetlinkMessage] = []
            var interrupted = false
            reading: while true {
                for message in try receive() where message.sequence == sequence {
                    if message.flags & NetlinkConstants.dumpInterrupted != 0 { interrupted = true }
                    switch message.type {
                    case NetlinkConstants.done:
                        break reading
                    case NetlinkConstants.error:
                        if let (code, text) = message.errorAnswer, code != 0 { throw NetlinkError(code: code, message: text) }
                    case NetlinkConstants.noop, NetlinkConstants.overrun:
                        continue
                    default:
                        messages.append(message)
                    }
                }
            }
            if !interrupted { return messages }
        }
        throw NetlinkError(code: EAGAIN, message: "the table kept changing while it was read")
    }

    private func send(_ request: NetlinkRequest) throws -> UInt32 {
        sequence &+= 1
        let bytes = request.encoded(sequence: sequence)
        var kernel = NetlinkAddress()
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &kernel) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<NetlinkAddress>.size))
                }
            }
        }
        guard sent == bytes.count else { throw NetlinkError(code: errno, message: "cannot send to the netlink socket") }
        return sequence
    }

    /// One datagram's messages, sized first with MSG_PEEK | MSG_TRUNC so no dump is cut short.
    private func receive() throws -> [NetlinkMessage] {
        while true {
            var probe: UInt8 = 0
            let size = recv(fd, &probe, 1, Int32(MSG_PEEK) | Int32(MSG_TRUNC))
            if size < 0 {
                if errno == EINTR { continue }
                throw NetlinkError(code: errno, message: "cannot read the netlink socket")
            }
            var buffer = [UInt8](repeating: 0, count: max(size, 16))
            let received = recv(fd, &buffer, buffer.count, 0)
            if received < 0 {
                if errno == EINTR { continue }
                throw NetlinkError(code: errno, message: "cannot read the netlink socket")
            }
            return try NetlinkMessage.parse(Array(buffer.prefix(received)))
        }
    }
}

/// struct sockaddr_nl: family, padding, port, multicast groups (0: none).
struct NetlinkAddress {
    var family = UInt16(NetlinkConstants.familyNetlink)
    var padding: UInt16 = 0
    var port: UInt32 = 0
    var groups: UInt32 = 0
}
