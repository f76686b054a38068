import Interpreter

/// Resource limits of the interpreter itself: the `rlimit` builtins and the
/// one change they make (`ResourceLimitSet`). Reading a limit is a probe of
/// /proc/self/limits; a simulated run needs no model, as it changes nothing
/// a later statement reads.
enum RlimitFamily {
    static let name = "rlimit"

    static let family = HostFamily(
        name, builtins: [.family(RlimitBuiltins.family)],
        decoder: { kind, fields in
            guard kind == "setResourceLimit", let resource = fields["resource"]?.stringValue.flatMap(ResourceLimit.init(rawValue:)),
                  let soft = fields["soft"]?.stringValue.flatMap(UInt64.init),
                  let hard = fields["hard"]?.stringValue.flatMap(UInt64.init) else { return nil }
            return ResourceLimitSet(resource: resource, soft: soft, hard: hard)
        },
        planNames: ["setResourceLimit"])
}
