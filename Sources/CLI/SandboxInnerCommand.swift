import ArgumentParser
import Driver

/// The half of `wds run --sandbox` that runs inside the new namespaces.
struct SandboxInner: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox-inner",
        abstract: "Internal: the inside of `wds run --sandbox`.",
        shouldDisplay: false)

    @Option(help: "The host uplink to copy: NAME,ADDRESS/LENGTH,GATEWAY.")
    var uplink: String?

    @OptionGroup var script: ScriptArguments

    func run() throws {
        var copy: Sandbox.Uplink?
        if let uplink {
            guard let parsed = Sandbox.Uplink(argument: uplink) else { throw ValidationError("bad --uplink '\(uplink)'") }
            copy = parsed
        }
        throw ExitCode(Sandbox.runInside(path: script.file, arguments: script.arguments, uplink: copy,
                                         environment: processEnvironment(), output: Driver.standardOutput))
    }
}
