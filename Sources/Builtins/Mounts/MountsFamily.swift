import Interpreter

/// Mounts: the `mount` builtins, `unmount`, `is-mounted` and `mounts`
/// (MountBuiltins), the changes they make (`MountEffect`, with their system
/// calls in MountSystemCalls), and their model in a simulated run
/// (`MountSimulation`). Reading the table is the host's probe, parsed by the
/// one mountinfo parser (HostSystem's `MountInfo`; MountTable.swift reads it
/// through the host).
enum MountsFamily {
    static let name = "mounts"

    static let family = HostFamily(
        name, builtins: [.family(MountBuiltins.family)] + MountBuiltins.specs.map(BuiltinRegistry.Entry.single),
        decoder: { kind, fields in MountEffect.decode(kind, fields) },
        planNames: ["mount", "unmount"],
        simulation: { MountSimulation() })
}
