/// Effects as JSON, so that a saved plan (`wds plan --out`) holds exactly
/// the effects `wds apply` will perform, and the probes whose answers it must
/// find unchanged.
extension Effect {
    public var json: JSON {
        func object(_ name: String, _ fields: [(String, JSON)]) -> JSON {
            .object([("effect", .string(name))] + fields)
        }
        func strings(_ items: [String]) -> JSON { .array(items.map(JSON.string)) }
        func family(_ family: AddressFamily) -> (String, JSON) { ("family", .string(family.rawValue)) }
        func streams(_ s: ProgramStreams) -> [(String, JSON)] {
            s == .inherit ? [] : [("stdin", s.input.map(JSON.string) ?? .null), ("stdout", .string(s.output.rawValue)),
                                  ("stderr", .string(s.error.rawValue))]
        }
        switch self {
        case .readFile(let path): return object("readFile", [("path", .string(path))])
        case .fileInfo(let path): return object("fileInfo", [("path", .string(path))])
        case .listDirectory(let path): return object("listDirectory", [("path", .string(path))])
        case .readSysctl(let key): return object("readSysctl", [("key", .string(key))])
        case .mountTable: return object("mountTable", [])
        case .route(let destination, let f):
            return object("route", [("destination", destination.map(JSON.string) ?? .null), family(f)])
        case .probeProgram(let argv, let s): return object("probeProgram", [("argv", strings(argv))] + streams(s))
        case .canonicalPath(let path): return object("canonicalPath", [("path", .string(path))])
        case .print(let text, let toError, let newline):
            return object("print", [("text", .string(text)), ("stderr", .bool(toError)), ("newline", .bool(newline))])
        case .processTable: return object("processTable", [])
        case .family(let wrapped):
            let effect = wrapped.effect
            if let name = effect.planName, case .object(let fields) = effect.fields { return object(name, fields) }
            return object("family", [("family", .string(effect.family)), ("kind", .string(effect.kind)), ("fields", effect.fields)])
        }
    }

    public init?(json: JSON) {
        func string(_ key: String) -> String? { json[key]?.stringValue }
        func strings(_ key: String) -> [String]? { json[key]?.arrayValue?.compactMap(\.stringValue) }
        func bool(_ key: String) -> Bool? { if case .bool(let b)? = json[key] { return b } else { return nil } }
        var family: AddressFamily? { string("family").flatMap(AddressFamily.init(rawValue:)) }
        var streams: ProgramStreams {
            ProgramStreams(input: string("stdin"), output: string("stdout").flatMap(ProgramStreams.Destination.init(rawValue:)) ?? .inherit,
                           error: string("stderr").flatMap(ProgramStreams.Destination.init(rawValue:)) ?? .inherit)
        }
        guard let name = string("effect") else { return nil }
        switch name {
        case "family":
            // Only a registered family decodes its own effects: a plan cannot name an effect no family makes.
            guard let family = string("family"), let kind = string("kind"), let fields = json["fields"],
                  let effect = FamilyEffects.decode(family: family, kind: kind, fields: fields) else { return nil }
            self = .family(AnyFamilyEffect(effect))
        case "readFile": guard let p = string("path") else { return nil }; self = .readFile(path: p)
        case "fileInfo": guard let p = string("path") else { return nil }; self = .fileInfo(path: p)
        case "listDirectory": guard let p = string("path") else { return nil }; self = .listDirectory(path: p)
        case "readSysctl": guard let k = string("key") else { return nil }; self = .readSysctl(key: k)
        case "mountTable": self = .mountTable
        case "route": guard let f = family else { return nil }; self = .route(destination: string("destination"), family: f)
        case "probeProgram": guard let a = strings("argv") else { return nil }; self = .probeProgram(argv: a, streams: streams)
        case "canonicalPath": guard let p = string("path") else { return nil }; self = .canonicalPath(path: p)
        case "print":
            guard let t = string("text"), let e = bool("stderr"), let n = bool("newline") else { return nil }
            self = .print(text: t, toStandardError: e, newline: n)
        case "processTable": self = .processTable
        default:
            // A family's effect under the name it had as the host's own (`FamilyEffect.planName`).
            guard let effect = FamilyEffects.decode(planName: name, object: json) else { return nil }
            self = .family(AnyFamilyEffect(effect))
        }
    }
}
