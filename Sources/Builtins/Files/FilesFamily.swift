import Interpreter

/// Files and directories: the file builtins (FileBuiltins; `copy-file`,
/// `chmod` and their kin are the host builtins'), the changes they make
/// (`FileEffect`, which the cgroup family writes through too), and their
/// model in a simulated run (`FileSimulation`). Reading is the host's probes.
enum FilesFamily {
    static let name = "files"

    static let family = HostFamily(
        name, builtins: FileBuiltins.specs.map(BuiltinRegistry.Entry.single),
        decoder: { kind, fields in FileEffect.decode(kind, fields) },
        planNames: ["writeFile", "replaceFile", "copyFile", "makeDirectory", "removeDirectory", "removeFile", "setMode",
                    "setOwner", "removeTree"],
        simulation: { FileSimulation() })
}
