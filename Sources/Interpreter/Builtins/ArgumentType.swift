/// The type of a builtin argument. Each validates a value the same way at
/// check time (when the argument is a literal) and before the effect (when it
/// comes from a variable), so no invalid value ever reaches the host.
public indirect enum ArgumentType: Sendable {
    case text
    case integer
    case boolean
    case list(of: ArgumentType)
    case anyValue
    case path
    case name        // a variable or environment name
    case cidr        // 10.0.0.0/8, an address alone, or an IPv6 prefix
    case address     // one IPv4 or IPv6 address
    case interface   // ≤ 15 bytes, no '/', blank or ':'; a trailing '+' is a wildcard
    case chain       // ≤ 28 bytes
    case table       // filter, nat, mangle, raw, security
    case port        // 0-65535
    case portRange   // 80, 8000:8080
    case duration    // 10s, 500ms, 2m, or whole seconds
    case pid
    case sysctlKey   // net.ipv4.ip_forward
    case choice([String])
    /// A list of texts with a shape of its own (`[MASK COMPARE]`, `[NAME OPTION…]`), written as its placeholder.
    case words(String)
    /// A family's own kind of value (a cgroup name, a device rule): its
    /// placeholder and the check that names what is wrong, or returns nil.
    case custom(String, @Sendable (String) -> String?)

    public var placeholder: String {
        switch self {
        case .text: return "TEXT"
        case .integer: return "N"
        case .boolean: return "BOOL"
        case .list(let element): return "[\(element.placeholder)…]"
        case .anyValue: return "VALUE"
        case .path: return "PATH"
        case .name: return "NAME"
        case .cidr: return "CIDR"
        case .address: return "ADDRESS"
        case .interface: return "IFACE"
        case .chain: return "CHAIN"
        case .table: return "TABLE"
        case .port: return "PORT"
        case .portRange: return "PORT[:PORT]"
        case .duration: return "DURATION"
        case .pid: return "PID"
        case .sysctlKey: return "KEY"
        case .choice(let options): return options.joined(separator: "|")
        case .words(let placeholder): return placeholder
        case .custom(let placeholder, _): return placeholder
        }
    }

    /// Whether a value of this type is a scalar written as text.
    public var isScalar: Bool {
        switch self {
        case .list, .anyValue, .words: return false
        default: return true
        }
    }

    /// An error message if the value cannot be of this type; nil when it is fine.
    public func problem(with value: Value) -> String? {
        switch self {
        case .anyValue:
            return nil
        case .list(let element):
            guard case .list(let items) = value else { return "expected a list, got a \(value.typeName)" }
            for item in items { if let problem = element.problem(with: item) { return problem } }
            return nil
        case .words(let placeholder):
            guard case .list(let items) = value else { return "expected a list \(placeholder), got a \(value.typeName)" }
            for item in items {
                guard let text = item.text else { return "expected texts in \(placeholder), got a \(item.typeName)" }
                if text.utf8.contains(0) { return "a value cannot contain a NUL byte" }
            }
            return nil
        case .boolean:
            return value.booleanValue == nil ? "expected true or false, got '\(value)'" : nil
        case .integer, .pid:
            guard let n = value.integerValue else { return "expected a whole number, got '\(value)'" }
            if case .pid = self, n <= 0 { return "'\(n)' is not a valid process id" }
            return nil
        default:
            guard let text = value.text else {
                return "expected \(placeholder.lowercased()) text, got a \(value.typeName)"
                    + (value.typeName == "list" ? " (spread it with ...$name to pass its items)" : "")
            }
            return problem(withText: text)
        }
    }

    func problem(withText text: String) -> String? {
        switch self {
        case .text, .path, .anyValue, .list, .boolean, .integer, .pid, .words:
            if text.utf8.contains(0) { return "a value cannot contain a NUL byte" }
            return nil
        case .name:
            return Validation.isName(text) ? nil : "'\(text)' is not a valid name"
        case .cidr: return Validation.cidrProblem(text)
        case .address: return Validation.addressProblem(text)
        case .interface: return Validation.interfaceProblem(text)
        case .chain: return Validation.chainProblem(text)
        case .table: return Validation.tableProblem(text)
        case .port: return Validation.portProblem(text)
        case .portRange: return Validation.portRangeProblem(text)
        case .duration: return Validation.durationSeconds(text) == nil ? "'\(text)' is not a duration (write 10s, 500ms or 2m)" : nil
        case .sysctlKey: return Validation.sysctlKeyProblem(text)
        case .choice(let options):
            return options.contains(text) ? nil : "'\(text)' is not one of \(options.joined(separator: ", "))"
        case .custom(_, let check):
            return text.utf8.contains(0) ? "a value cannot contain a NUL byte" : check(text)
        }
    }
}
