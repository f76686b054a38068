import Interpreter
import Lexer

/// A change to the mount table: what the `mount` builtins and `unmount`
/// make (the cgroup family mounts its hierarchies through them). Reading the
/// table stays the host's probe (`Effect.mountTable`), which `MountSimulation`
/// answers in a trace. A mount is undone by unmounting it; an unmount or a
/// remount cannot be undone exactly: points of no return.
enum MountEffect: FamilyEffect {
    case mount(MountRequest)
    case unmount(path: String)

    var family: String { MountsFamily.name }
    var isMutation: Bool { true }

    var kind: String {
        switch self {
        case .mount: return "mount"
        case .unmount: return "unmount"
        }
    }

    /// Saved plans name them `mount` and `unmount`, as they did when they were the host's own effects.
    var planName: String? { kind }

    var fields: JSON {
        switch self {
        case .mount(let request):
            return .object([("source", .string(request.source)), ("target", .string(request.target)),
                            ("type", request.fileSystemType.map(JSON.string) ?? .null),
                            ("options", .array(request.options.map(JSON.string))), ("bind", .bool(request.bind)),
                            ("remount", .bool(request.remount))])
        case .unmount(let path): return .object([("path", .string(path))])
        }
    }

    /// Reads a saved plan's object back (`kind` is its `planName`).
    static func decode(_ kind: String, _ json: JSON) -> MountEffect? {
        func bool(_ key: String) -> Bool? { if case .bool(let b)? = json[key] { return b } else { return nil } }
        switch kind {
        case "mount":
            guard let s = json["source"]?.stringValue, let t = json["target"]?.stringValue,
                  let o = json["options"]?.arrayValue?.compactMap(\.stringValue), let b = bool("bind"), let r = bool("remount") else { return nil }
            return .mount(MountRequest(source: s, target: t, fileSystemType: json["type"]?.stringValue, options: o, bind: b, remount: r))
        case "unmount": return json["path"]?.stringValue.map { .unmount(path: $0) }
        default: return nil
        }
    }

    var argv: [String] {
        switch self {
        case .mount(let request): return request.argv
        case .unmount(let path): return ["umount", "--", path]
        }
    }

    var isPointOfNoReturn: Bool {
        switch self {
        case .mount(let request): return request.remount
        case .unmount: return true
        }
    }

    func perform(at location: SourceRange) throws -> EffectResult {
        switch self {
        case .mount(let request): try MountSystemCalls.mount(request, at: location)
        case .unmount(let path): try MountSystemCalls.unmount(path, at: location)
        }
        return .done
    }

    func undo(at location: SourceRange) throws -> FamilyUndo {
        switch self {
        case .mount(let request) where request.remount:
            return .pointOfNoReturn("a remount of \(request.target)")
        case .mount(let request):
            return .effects([AnyFamilyEffect(MountEffect.unmount(path: request.target))], description: shellLine(["umount", request.target]))
        case .unmount(let path):
            return .pointOfNoReturn("the unmount of \(path)")
        }
    }

    /// A user namespace may make a tmpfs or a bind mount, not a new cgroup v1 hierarchy nor a remount of the host's.
    var inSandbox: SandboxPolicy {
        switch self {
        case .mount(let request):
            return .notSimulatedIfRefused(reason: request.fileSystemType == "cgroup"
                                          ? "a user namespace cannot make a new cgroup v1 hierarchy"
                                          : "the kernel does not allow this mount in a user namespace")
        case .unmount:
            return .perform
        }
    }
}

extension Effect {
    /// A change to the mount table, as the builtins perform it: `call.perform(.mounts(.unmount(path: …)))`.
    static func mounts(_ change: MountEffect) -> Effect { .family(AnyFamilyEffect(change)) }
}
