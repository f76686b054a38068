import Interpreter
import Lexer

/// Route lookups through `ip -j`, read as JSON (never scraped text).
enum RouteQuery {
    static func lookup(destination: String?, family: AddressFamily, at location: SourceRange) throws -> Route? {
        let argv = Effect.route(destination: destination, family: family).argv
        let outcome: Spawn.Outcome
        do {
            outcome = try Spawn.run(argv, capture: true)
        } catch {
            throw CommandFailure("'ip' is not installed", at: location, status: ExitStatus.missingProgram,
                                 hint: "install the iproute2 package")
        }
        if outcome.status != 0 {
            // `ip route get` to an unreachable address fails: that is "no route", not an error.
            if outcome.standardError.contains("unreachable") { return nil }
            throw CommandFailure("\(shellLine(argv)) failed: \(outcome.standardError.split(separator: "\n").first ?? "")",
                                 at: location)
        }
        return try parse(outcome.standardOutput, at: location)
    }

    static func parse(_ text: String, at location: SourceRange) throws -> Route? {
        let json: JSON
        do { json = try JSON.parse(text) } catch {
            throw CommandFailure("cannot read the output of ip -j: \(error)", at: location)
        }
        guard let first = json.arrayValue?.first, let device = first["dev"]?.stringValue else { return nil }
        return Route(device: device, gateway: first["gateway"]?.stringValue, source: first["prefsrc"]?.stringValue)
    }
}
