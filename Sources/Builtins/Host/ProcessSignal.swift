#if canImport(Glibc)
import Glibc
#endif
import HostSystem
import Interpreter
import Lexer

/// `signal SIGNAL PROCESS…`: kill(2) to each process, as one `kill -s`. A
/// process already gone is no error (it is what the signal was for). What a
/// signal did cannot be undone: a point of no return. A simulated run sends
/// nothing, and needs no model (no probe reads a signal back).
struct ProcessSignal: FamilyEffect {
    var pids: [Int]
    /// By name, as `kill -s` takes it: TERM, KILL, HUP…
    var signal: String

    var family: String { HostBuiltins.familyName }
    var kind: String { "signal" }
    var isMutation: Bool { true }
    var isPointOfNoReturn: Bool { true }
    var argv: [String] { ["kill", "-s", signal, "--"] + pids.map(String.init) }
    /// Saved plans name it `signal`, as they did when it was the host's own effect.
    var planName: String? { "signal" }
    var fields: JSON { .object([("pids", .array(pids.map { .number(Double($0)) })), ("signal", .string(signal))]) }

    static func decode(_ kind: String, _ json: JSON) -> ProcessSignal? {
        guard kind == "signal", let pids = json["pids"]?.arrayValue, let signal = json["signal"]?.stringValue else { return nil }
        return ProcessSignal(pids: pids.compactMap { if case .number(let n) = $0 { return Int(n) } else { return nil } }, signal: signal)
    }

    static let numbers: [String: Int32] = ["HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10, "USR2": 12, "TERM": 15,
                                           "CONT": 18, "STOP": 19, "0": 0]

    func perform(at location: SourceRange) throws -> EffectResult {
        guard let number = ProcessSignal.numbers[signal] else { throw CommandFailure("unknown signal '\(signal)'", at: location) }
        for pid in pids where kill(pid_t(pid), number) != 0 {
            let code = errno
            if code == ESRCH { continue }  // gone already: what the signal was for
            throw CommandFailure.system("cannot send \(signal) to process \(pid)", code, at: location)
        }
        return .done
    }

    func undo(at location: SourceRange) throws -> FamilyUndo {
        .pointOfNoReturn("\(signal) sent to \(pids.count) process(es)")
    }
}
