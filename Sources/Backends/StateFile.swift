import Interpreter
import Lexer

/// A state file holds the answers a host gave to a script's probes, so that
/// an audit can be traced on another machine, unprivileged. It is JSON:
///
///     {"wds-state": 1, "probes": [{"command": "ip -j route show default",
///                                   "result": {"route": {"dev": "eth0", …}}}, …]}
///
/// `wds state FILE` writes one by tracing the script against the live host and
/// recording every probe; `wds trace --state FILE` answers from it.
public final class StateRecorder: Host {
    let inner: Host
    public private(set) var answers: [(String, EffectResult)] = []

    public init(_ inner: Host) { self.inner = inner }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        let result = try inner.perform(effect, at: location)
        if !effect.isMutation, !answers.contains(where: { $0.0 == effect.shellCommand }) {
            answers.append((effect.shellCommand, result))
        }
        return result
    }

    public var serialized: String {
        let probes = answers.map { JSON.object([("command", .string($0.0)), ("result", StateCoding.encode($0.1))]) }
        return JSON.object([("wds-state", .number(1)), ("probes", .array(probes))]).serialized + "\n"
    }
}

public final class StateFileHost: Host {
    var answers: [String: EffectResult] = [:]
    let name: String

    public init(text: String, name: String) throws {
        self.name = name
        let json = try JSON.parse(text)
        guard json["wds-state"] != nil, let probes = json["probes"]?.arrayValue else {
            throw Diagnostic("'\(name)' is not a wds state file (no \"wds-state\" and \"probes\")", at: nil)
        }
        for probe in probes {
            guard let command = probe["command"]?.stringValue, let result = probe["result"].flatMap(StateCoding.decode) else {
                throw Diagnostic("'\(name)' has a malformed probe entry", at: nil)
            }
            answers[command] = result
        }
    }

    public func perform(_ effect: Effect, at location: SourceRange) throws -> EffectResult {
        guard !effect.isMutation else {
            throw Diagnostic("internal error: a mutation (\(effect.kind)) reached the state file", at: location)
        }
        guard let answer = answers[effect.shellCommand] else {
            // Fatal, not a failure a condition could read as "false": a missing answer is no answer.
            throw Diagnostic("the state file '\(name)' has no answer for `\(effect.shellCommand)`", at: location,
                             hint: "record it again with `wds state` and the same script and arguments")
        }
        return answer
    }
}

public enum StateCoding {
    public static func encode(_ result: EffectResult) -> JSON {
        switch result {
        case .done: return .object([("done", .bool(true))])
        case .text(let text): return .object([("text", .string(text))])
        case .fileInfo(let info):
            guard let info else { return .object([("file", .null)]) }
            return .object([("file", .object([("kind", .string(info.kind.rawValue)), ("executable", .bool(info.isExecutable)),
                                              ("size", .number(Double(info.size)))]))])
        case .names(let names): return .object([("names", .array(names.map(JSON.string)))])
        case .process(let status, let output, let errorOutput):
            return .object([("process", .object([("status", .number(Double(status))), ("stdout", .string(output)),
                                                 ("stderr", .string(errorOutput))]))])
        case .route(let route):
            guard let route else { return .object([("route", .null)]) }
            return .object([("route", .object([("dev", .string(route.device)), ("gateway", route.gateway.map(JSON.string) ?? .null),
                                               ("prefsrc", route.source.map(JSON.string) ?? .null)]))])
        }
    }

    public static func decode(_ json: JSON) -> EffectResult? {
        if json["done"] != nil { return .done }
        if let text = json["text"]?.stringValue { return .text(text) }
        if let file = json["file"] {
            if file == .null { return .fileInfo(nil) }
            guard let kind = file["kind"]?.stringValue.flatMap(FileInfo.Kind.init(rawValue:)) else { return nil }
            var size = 0
            if case .number(let n)? = file["size"] { size = Int(n) }
            return .fileInfo(FileInfo(kind: kind, isExecutable: file["executable"] == .bool(true), size: size))
        }
        if let names = json["names"]?.arrayValue { return .names(names.compactMap(\.stringValue)) }
        if let process = json["process"] {
            guard case .number(let status)? = process["status"] else { return nil }
            return .process(status: Int32(status), standardOutput: process["stdout"]?.stringValue ?? "",
                            standardError: process["stderr"]?.stringValue ?? "")
        }
        if let route = json["route"] {
            if route == .null { return .route(nil) }
            guard let device = route["dev"]?.stringValue else { return nil }
            return .route(Route(device: device, gateway: route["gateway"]?.stringValue, source: route["prefsrc"]?.stringValue))
        }
        return nil
    }
}
