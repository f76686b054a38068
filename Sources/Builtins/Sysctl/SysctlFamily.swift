import Interpreter

/// Kernel parameters under /proc/sys: the `sysctl` builtins, the one change
/// they make (`SysctlWrite`, also what `hostname set` makes), and its model
/// in a simulated run (`SysctlSimulation`). Reading a key is the host's probe
/// `Effect.readSysctl`, which the model answers once the run set the key.
enum SysctlFamily {
    static let name = "sysctl"

    static let family = HostFamily(
        name, builtins: [.family(SysctlBuiltins.family)],
        decoder: { kind, fields in
            guard kind == "writeSysctl", let key = fields["key"]?.stringValue, let value = fields["value"]?.stringValue else { return nil }
            return SysctlWrite(key: key, value: value)
        },
        planNames: ["writeSysctl"],
        simulation: { SysctlSimulation() })
}
