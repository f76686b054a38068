import ArgumentParser
import Driver

/// The stages of `wds run --sandbox` that run inside its namespaces: the
/// fence (mount and PID namespaces, with the outer user's privileges) and
/// the inside (the user namespace the script runs in). See `Sandbox`.
struct SandboxInner: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox-inner",
        abstract: "Internal: the inside of `wds run --sandbox`.",
        shouldDisplay: false)

    @Option(help: "fence or run.")
    var stage: String = "run"

    @Option(help: "The host uplink to copy: NAME,ADDRESS/LENGTH,GATEWAY.")
    var uplink: String?

    @Option(name: .customLong("cgroup-mount"), help: "Where the cgroup v2 hierarchy is mounted.")
    var cgroupMount: String?

    @Option(help: "The cgroup delegated to the sandbox, on the host.")
    var cgroup: String?

    @Option(name: .customLong("no-cgroup"), help: "Why no cgroup is delegated.")
    var noCgroup: String?

    @OptionGroup var script: ScriptArguments

    func run() throws {
        var settings = Sandbox.Settings()
        if let uplink {
            guard let parsed = Sandbox.Uplink(argument: uplink) else { throw ValidationError("bad --uplink '\(uplink)'") }
            settings.uplink = parsed
        }
        settings.cgroupMount = cgroupMount
        settings.cgroup = cgroup
        settings.noCgroupReason = noCgroup
        switch stage {
        case "fence":
            throw ExitCode(Sandbox.runFence(path: script.file, arguments: script.arguments, settings: settings,
                                            output: Driver.standardOutput))
        case "run":
            throw ExitCode(Sandbox.runInside(path: script.file, arguments: script.arguments, settings: settings,
                                             environment: processEnvironment(), output: Driver.standardOutput))
        default:
            throw ValidationError("--stage must be fence or run, not '\(stage)'")
        }
    }
}
