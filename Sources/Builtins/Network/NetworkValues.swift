import Interpreter
import Netlink

/// Argument types of the network builtins: each names what is wrong, at check
/// time for literals and before the effect for computed values.
enum NetworkValues {
    /// A link name as the kernel takes it: 1 to 15 bytes, no '/', ':' or blank.
    static let linkName = ArgumentType.custom("IFACE") { text in
        if text.isEmpty { return "a link name cannot be empty" }
        if text.utf8.count > 15 { return "link name '\(text)' is longer than 15 bytes" }
        if text == "." || text == ".." { return "'\(text)' is not a link name" }
        if text.hasPrefix("-") { return "link name '\(text)' cannot start with '-'" }
        if text.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 <= 0x20 || $0 == 0x7F }) {
            return "link name '\(text)' contains '/', ':' or a blank"
        }
        return nil
    }

    /// A named namespace (`web`, a file under /run/netns) or a path (`/proc/1234/ns/net`).
    static let namespace = ArgumentType.custom("NETNS") { text in
        if text.hasPrefix("/") { return text.contains("\n") ? "a path here cannot contain a newline" : nil }
        return namespaceNameProblem(text)
    }

    /// A name under /run/netns.
    static let namespaceName = ArgumentType.custom("NETNS-NAME") { text in namespaceNameProblem(text) }

    static func namespaceNameProblem(_ text: String) -> String? {
        if text.isEmpty { return "a network namespace name cannot be empty" }
        if text == "." || text == ".." || text.hasPrefix("-") { return "'\(text)' is not a network namespace name" }
        if text.contains("/") { return "'\(text)' is neither a name under /run/netns nor an absolute path" }
        if text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) { return "network namespace name '\(text)' contains a blank" }
        return nil
    }

    /// Where `link move` sends a link: a namespace name, a path, or a process id.
    static let moveTarget = ArgumentType.custom("NETNS|PID") { text in
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) { return Int(text).map { $0 > 0 ? nil : "'\(text)' is not a process id" } ?? "'\(text)' is not a process id" }
        if text.hasPrefix("/") { return text.contains("\n") ? "a path here cannot contain a newline" : nil }
        return namespaceNameProblem(text)
    }

    static func moveTarget(_ text: String) -> MoveTarget {
        if let pid = Int(text), text.allSatisfy({ $0.isASCII && $0.isNumber }) { return .pid(pid) }
        return .namespace(NamespaceRef(given: text))
    }

    static let mac = ArgumentType.custom("MAC") { text in
        LinkInfo.macBytes(text) == nil ? "'\(text)' is not a MAC address like 02:00:00:00:00:01" : nil
    }

    static let mtu = ArgumentType.custom("N") { text in
        guard let n = Int(text), text.allSatisfy({ $0.isASCII && $0.isNumber }), n >= 68, n <= 65535 else {
            return "'\(text)' is not an MTU (68 to 65535)"
        }
        return nil
    }

    static let vlanID = ArgumentType.custom("ID") { text in
        guard let n = Int(text), text.allSatisfy({ $0.isASCII && $0.isNumber }), n >= 1, n <= 4094 else {
            return "'\(text)' is not a VLAN id (1 to 4094)"
        }
        return nil
    }

    /// `ADDRESS/LENGTH`, or an address alone (the whole address: /32, /128).
    static let prefix = ArgumentType.custom("ADDRESS[/LEN]") { text in
        IPPrefix(text) == nil ? "'\(text)' is not an address with a prefix length, like 10.0.0.1/24 or fd00::1/64" : nil
    }

    static let address = ArgumentType.custom("ADDRESS") { text in
        IPAddress(text) == nil ? "'\(text)' is not an IPv4 or IPv6 address" : nil
    }

    /// `+` (the last address of the network, as `ip address add … broadcast +`) or an address.
    static let broadcast = ArgumentType.custom("ADDRESS|+") { text in
        text == "+" || IPAddress(text)?.isIPv4 == true ? nil : "'\(text)' is not an IPv4 broadcast address (or + for the network's last)"
    }

    /// `default`, or a network or an address.
    static let destination = ArgumentType.custom("default|CIDR") { text in
        text == "default" || IPPrefix(text) != nil ? nil : "'\(text)' is not a route destination (default, or a network such as 10.0.0.0/8)"
    }

    static let lifetime = ArgumentType.custom("SECONDS|forever") { text in
        if text == "forever" { return nil }
        guard let n = UInt32(text), text.allSatisfy({ $0.isASCII && $0.isNumber }), n < UInt32.max else {
            return "'\(text)' is not a lifetime (whole seconds, or forever)"
        }
        return nil
    }

    static func lifetime(_ text: String?) -> UInt32? { text.flatMap { $0 == "forever" ? nil : UInt32($0) } }

    static let scopes: [String: UInt8] = ["global": 0, "universe": 0, "site": 200, "link": 253, "host": 254]

    static let scope = ArgumentType.custom("global|site|link|host|N") { text in
        scopes[text] != nil || UInt8(text) != nil ? nil : "'\(text)' is not a scope (global, site, link, host, or 0 to 255)"
    }

    static func scope(_ text: String?) -> UInt8? { text.flatMap { scopes[$0] ?? UInt8($0) } }

    static let tables: [String: UInt32] = ["main": 254, "local": 255, "default": 253]

    static let table = ArgumentType.custom("main|local|N") { text in
        if tables[text] != nil { return nil }
        guard let n = UInt32(text), n > 0, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return "'\(text)' is not a routing table (main, local, default, or a number from 1)"
        }
        return nil
    }

    static func table(_ text: String?) -> UInt32 { text.flatMap { tables[$0] ?? UInt32($0) } ?? NetlinkConstants.tableMain }

    static let metric = ArgumentType.custom("N") { text in
        UInt32(text) != nil && text.allSatisfy({ $0.isASCII && $0.isNumber }) ? nil : "'\(text)' is not a metric (a whole number)"
    }

    /// `--netns NETNS`, which every link, address and route builtin takes.
    static let netnsOption = OptionSpec("--netns", namespace,
                                        summary: "act in this network namespace: a name under /run/netns, or a path such as /proc/PID/ns/net")

    static func namespace(_ call: Invocation) throws -> NamespaceRef {
        NamespaceRef(given: try call.option("--netns"))
    }
}
