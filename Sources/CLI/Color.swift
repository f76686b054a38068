import Lexer

#if canImport(Glibc)
import Glibc
#endif

/// `--color=auto|always|never`: whether diagnostics (and `fmt --diff`) are
/// coloured. `auto`, the default, colours only a terminal that is not dumb,
/// and not when `NO_COLOR` is set to anything (https://no-color.org);
/// `always` colours even then, and into a pipe.
enum ColorChoice: String, CaseIterable {
    case auto, always, never

    /// `variable` reads the environment (by default the process's own, one variable at a time:
    /// every start asks this, and copying the whole environment for two variables costs more).
    func enabled(onDescriptor descriptor: Int32,
                 variable: (String) -> String? = { getenv($0).map { String(cString: $0) } }) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            return isatty(descriptor) != 0 && variable("TERM") != "dumb" && (variable("NO_COLOR") ?? "").isEmpty
        }
    }
}

/// `--color` (`Commands.color`), as the commands that take it read it.
struct ColorOptions {
    var choice: ColorChoice

    init(_ arguments: ParsedArguments) {
        choice = ColorChoice(rawValue: arguments.value("color")!)!  // one of the table's choices
    }

    /// Diagnostics, on standard error, are coloured from here on as chosen.
    func apply() {
        Diagnostic.colors = choice.enabled(onDescriptor: 2)
    }
}
