import Driver

/// The stages of `wds run --sandbox` that run inside its namespaces: the
/// fence (mount and PID namespaces, with the outer user's privileges) and
/// the inside (the user namespace the script runs in). See `Sandbox`.
struct SandboxInner: RunnableCommand {
    var stage: String
    var uplink: String?
    var cgroupMount: String?
    var cgroup: String?
    var noCgroup: String?
    var script: ScriptArguments

    init(_ arguments: ParsedArguments) {
        stage = arguments.value("stage")!
        uplink = arguments.value("uplink")
        cgroupMount = arguments.value("cgroup-mount")
        cgroup = arguments.value("cgroup")
        noCgroup = arguments.value("no-cgroup")
        script = ScriptArguments(arguments)
    }

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
