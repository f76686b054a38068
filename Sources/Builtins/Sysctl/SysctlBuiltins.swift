import Interpreter
import Lexer

/// Kernel parameters under /proc/sys.
enum SysctlBuiltins {
    static let family = BuiltinFamily("sysctl", summary: "Read and set kernel parameters (/proc/sys).", subcommands: [
        BuiltinSpec("sysctl get", summary: "The value of a kernel parameter, trimmed.",
                    parameters: [Parameter("key", .sysctlKey)], example: "sysctl get net.ipv4.ip_forward") { call in
            guard case .text(let text) = try call.perform(.readSysctl(key: try call.text(0))) else { return .empty }
            return .string(TextBuiltins.trim(text))
        },
        BuiltinSpec("sysctl set", summary: "Set a kernel parameter (writes /proc/sys/KEY with dots as slashes; a link name in a per-link key keeps its dots: net.ipv6.conf.lxc.br0.autoconf is /proc/sys/net/ipv6/conf/lxc.br0/autoconf).",
                    parameters: [Parameter("key", .sysctlKey), Parameter("value")],
                    example: "sysctl set net.ipv4.ip_forward 1") { call in
            let value = try call.text(1)
            if value.contains("\n") { throw call.fail("a sysctl value cannot contain a newline") }
            try call.perform(.family(AnyFamilyEffect(SysctlWrite(key: try call.text(0), value: value))))
            return .empty
        },
    ])
}
