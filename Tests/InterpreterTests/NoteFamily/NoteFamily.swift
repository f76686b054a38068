#if canImport(Glibc)
import Glibc
#endif
import Interpreter
import Lexer

/// A trivial host family that exists only to show what adding one takes: this
/// folder and one registry line (`registry.add(NoteFamily.family)`). Its one
/// builtin, `note FILE TEXT`, appends a line to a file; the effect says how to
/// undo it (truncate the file back), how it replays in bash, and how it is
/// written into a saved plan. Driver, trace, journal and plan know nothing of it.
enum NoteFamily {
    static let family = HostFamily(
        "note",
        builtins: [.single(BuiltinSpec("note", summary: "Append a line to a file.",
                                       parameters: [Parameter("file", .path), Parameter("text")], example: "note /tmp/log hello") { call in
            try call.perform(.family(AnyFamilyEffect(NoteEffect(file: try call.text(0), text: try call.text(1)))))
            return .empty
        })],
        decoder: { kind, fields in
            guard kind == "note", let file = fields["file"]?.stringValue, let text = fields["text"]?.stringValue else { return nil }
            if let size = fields["truncateTo"]?.stringValue.flatMap(Int.init) { return NoteEffect(file: file, text: text, truncateTo: size) }
            return NoteEffect(file: file, text: text)
        })
}

/// Appends `text` and a newline to `file`; or, as its own undo, truncates the file to a size.
struct NoteEffect: FamilyEffect {
    var file: String
    var text: String
    var truncateTo: Int?

    var family: String { "note" }
    var kind: String { "note" }
    var isMutation: Bool { true }
    var argv: [String] {
        truncateTo.map { ["truncate", "-s", String($0), "--", file] } ?? ["sh", "-c", "printf '%s\\n' \"$1\" >> \"$2\"", "sh", text, file]
    }
    var fields: JSON {
        .object([("file", .string(file)), ("text", .string(text))] + (truncateTo.map { [("truncateTo", JSON.string(String($0)))] } ?? []))
    }

    func perform(at location: SourceRange) throws -> EffectResult {
        if let truncateTo {
            guard truncate(file, off_t(truncateTo)) == 0 else { throw CommandFailure("cannot truncate '\(file)'", at: location) }
            return .done
        }
        let fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw CommandFailure("cannot open '\(file)'", at: location) }
        defer { close(fd) }
        let bytes = Array((text + "\n").utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw CommandFailure("cannot write '\(file)'", at: location) }
        return .done
    }

    func undo(at location: SourceRange) throws -> FamilyUndo {
        var info = stat()
        guard stat(file, &info) == 0 else { return .pointOfNoReturn("a note in a new file \(file)") }
        return .effects([AnyFamilyEffect(NoteEffect(file: file, text: text, truncateTo: Int(info.st_size)))],
                        description: "truncate -s \(info.st_size) \(file)")
    }
}
