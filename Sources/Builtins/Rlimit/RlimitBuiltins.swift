import Interpreter
import Lexer

/// Resource limits of the interpreter itself (setrlimit(2)), which every
/// program it runs afterwards inherits, as `ulimit` did in the shell scripts.
/// Reading them is a probe of /proc/self/limits.
enum RlimitBuiltins {
    static let resource = Parameter("resource", .choice(ResourceLimit.allCases.map(\.rawValue)))

    /// The rows of /proc/self/limits, by resource.
    static let limitsRows: [ResourceLimit: String] = [
        .cpu: "Max cpu time", .fsize: "Max file size", .stack: "Max stack size", .core: "Max core file size",
        .nproc: "Max processes", .nofile: "Max open files", .memlock: "Max locked memory", .as: "Max address space",
    ]

    static let family = BuiltinFamily("rlimit", summary: "Read and set resource limits (setrlimit(2)); programs run later inherit them.", subcommands: [
        BuiltinSpec("rlimit set", summary: "Set the soft limit of RESOURCE to SOFT and the hard limit to HARD (SOFT when not given). A value is a whole number or unlimited; raising a hard limit needs root.",
                    parameters: [resource, Parameter("soft", HostValues.limitValue), Parameter("hard", HostValues.limitValue, optional: true)],
                    example: "rlimit set nofile 32768") { call in
            let resource = ResourceLimit(rawValue: try call.text(0))!
            let soft = HostValues.limitNumber(try call.text(1))
            let hard = try call.optionalText(2).map(HostValues.limitNumber) ?? soft
            guard soft <= hard else {
                throw call.fail("the soft limit \(try call.text(1)) is above the hard limit \(try call.text(2))")
            }
            do {
                try call.perform(.family(AnyFamilyEffect(ResourceLimitSet(resource: resource, soft: soft, hard: hard))))
            } catch var failure as CommandFailure {
                if resource == .nofile, failure.diagnostic.hint == nil {
                    failure.diagnostic.hint = "the hard nofile limit cannot exceed fs.nr_open (sysctl get fs.nr_open), and raising it needs root"
                }
                throw failure
            }
            return .empty
        },
        BuiltinSpec("rlimit get", summary: "The limits of RESOURCE as a record {soft, hard}: whole numbers, or the text unlimited.",
                    parameters: [resource], example: "let files = $(rlimit get nofile)") { call in
            let resource = ResourceLimit(rawValue: try call.text(0))!
            guard case .text(let text) = try call.perform(.readFile(path: "/proc/self/limits")) else { return .empty }
            guard let limits = parse(text, resource) else {
                throw call.fail("cannot find '\(limitsRows[resource]!)' in /proc/self/limits")
            }
            return .record(Record([("soft", limits.soft), ("hard", limits.hard)]))
        },
    ])

    /// `Max open files  1024  1048576  files` → (1024, 1048576).
    static func parse(_ text: String, _ resource: ResourceLimit) -> (soft: Value, hard: Value)? {
        let label = limitsRows[resource]!
        for line in text.split(separator: "\n") where line.hasPrefix(label + " ") {
            let columns = line.dropFirst(label.count).split(separator: " ")
            guard columns.count >= 2 else { return nil }
            let value: (Substring) -> Value = { column in Int(column).map(Value.integer) ?? .string(String(column)) }
            return (value(columns[0]), value(columns[1]))
        }
        return nil
    }
}
