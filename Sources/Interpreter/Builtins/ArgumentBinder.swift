import Lexer

/// Sorts a command's written arguments into positionals and options against a
/// builtin's spec. Whether a word is an option is decided by how it is
/// *written* — only an unquoted literal starting with `-` can be one — never by
/// its value, so `$x` holding "-j ACCEPT" stays a positional value.
public struct BoundArguments: Sendable {
    public struct BoundOption: Sendable {
        public var spec: OptionSpec
        public var written: Identifier
        public var negated: Bool
        public var value: Expression?
        /// Written `--name? VALUE`: the option is left out when the value is empty.
        public var omittedWhenEmpty: Bool
    }

    public var positionals: [Expression] = []
    public var options: [BoundOption] = []
}

/// Why a command's words do not fit its builtin: every unknown option, or the first other problem.
public struct BindingFailure: Error {
    public var diagnostics: [Diagnostic]
    public var first: Diagnostic { diagnostics[0] }
}

public enum ArgumentBinder {
    /// iptables and shell habits that have a wds spelling.
    static let optionHabits: [String: String] = [
        "-A": "use `rule append CHAIN …`", "-I": "use `rule insert CHAIN POSITION …`",
        "-D": "use `rule delete CHAIN …`", "-N": "use `chain create CHAIN` or `chain ensure CHAIN`",
        "-F": "use `chain flush CHAIN`", "-X": "use `chain delete CHAIN`", "-C": "use `rule exists CHAIN …`",
        "-t": "write `--table TABLE`", "-j": "write `--jump TARGET`", "-g": "write `--goto CHAIN`",
        "-s": "write `--source CIDR`", "-d": "write `--destination CIDR`", "-i": "write `--in IFACE`",
        "-o": "write `--out IFACE`", "-p": "write `--protocol PROTO`", "-m": "matches need no -m in wds: write the match option itself (--ctstate, --dport, --comment, --uid-owner, --limit), or --match [NAME OPTION…] for any other module",
    ]

    /// Every unknown option is reported (the word after one, if it is no option, is taken for its value);
    /// any other problem ends the binding.
    public static func bind(_ arguments: [Expression], to spec: BuiltinSpec, command: Identifier) -> Result<BoundArguments, BindingFailure> {
        var unknown: [Diagnostic] = []
        switch bindAll(arguments, to: spec, command: command, unknown: &unknown) {
        case .success(let bound):
            return unknown.isEmpty ? .success(bound) : .failure(BindingFailure(diagnostics: unknown))
        case .failure(let diagnostic):
            return .failure(BindingFailure(diagnostics: unknown + [diagnostic]))
        }
    }

    static func bindAll(_ arguments: [Expression], to spec: BuiltinSpec, command: Identifier,
                        unknown: inout [Diagnostic]) -> Result<BoundArguments, Diagnostic> {
        var bound = BoundArguments()
        var index = 0
        var optionsEnded = false
        var negateNext: Identifier?
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            let text = argument.bareText
            if !optionsEnded, let text, text == "--" {
                optionsEnded = true
                continue
            }
            if !optionsEnded, let text, text == "!", spec.options.contains(where: \.negatable) {
                negateNext = Identifier(text, argument.range)
                continue
            }
            if !optionsEnded, let written = text, isOptionWord(written) {
                // `--name? $value`: the option only when the value is not empty.
                let omittedWhenEmpty = written.hasSuffix("?") && written.hasPrefix("--")
                let text = omittedWhenEmpty ? String(written.dropLast()) : written
                guard let option = spec.option(named: text) else {
                    let known = spec.options.flatMap { [$0.name] + $0.aliases }
                    let iptablesHabit = spec.name.hasPrefix("rule ") || spec.name.hasPrefix("chain ") ? optionHabits[text] : nil
                    let hint = iptablesHabit ?? Suggestions.didYouMean(text, in: known)
                        ?? (known.isEmpty ? "'\(spec.name)' takes no options; write `--` before a value that starts with '-'" : "options of '\(spec.name)': \(known.joined(separator: ", "))")
                    unknown.append(Diagnostic("unknown option '\(text)' for '\(spec.name)'", at: argument.range, hint: hint))
                    negateNext = nil
                    // Its value, presumably: the next word when it is neither an option nor a negation.
                    if index < arguments.count, let next = arguments[index].bareText, isOptionWord(next) || next == "!" || next == "--" {
                        continue
                    }
                    if index < arguments.count { index += 1 }
                    continue
                }
                if let negation = negateNext {
                    guard option.negatable else {
                        return .failure(Diagnostic("option '\(option.name)' cannot be negated with '!'", at: negation.range))
                    }
                }
                if !option.repeatable, bound.options.contains(where: { $0.spec.name == option.name }) {
                    return .failure(Diagnostic("option '\(option.name)' is given twice", at: argument.range))
                }
                if omittedWhenEmpty && option.valueType == nil {
                    return .failure(Diagnostic("'\(written)': only an option that takes a value can be left out when empty",
                                               at: argument.range))
                }
                var value: Expression?
                if option.valueType != nil {
                    guard index < arguments.count else {
                        return .failure(Diagnostic("option '\(text)' needs a value (\(option.valueType!.placeholder))", at: argument.range))
                    }
                    value = arguments[index]
                    if case .spread = value!.kind {
                        return .failure(Diagnostic("option '\(text)' takes one value, not a spread", at: value!.range))
                    }
                    index += 1
                }
                bound.options.append(.init(spec: option, written: Identifier(written, argument.range),
                                           negated: negateNext != nil, value: value, omittedWhenEmpty: omittedWhenEmpty))
                negateNext = nil
                continue
            }
            if let negation = negateNext {
                return .failure(Diagnostic("'!' must come before an option, such as `! --syn`", at: negation.range))
            }
            bound.positionals.append(argument)
            if spec.optionsBeforePositionalsOnly { optionsEnded = true }
        }
        if let negation = negateNext {
            return .failure(Diagnostic("'!' must come before an option, such as `! --syn`", at: negation.range))
        }
        // Counts: a spread may stand for any number of values, so it defers the check to run time;
        // after an unknown option, which words are values is a guess.
        if !unknown.isEmpty { return .success(bound) }
        let hasSpread = bound.positionals.contains { if case .spread = $0.kind { return true } else { return false } }
        let fixedCount = bound.positionals.count
        if !hasSpread && fixedCount < spec.requiredCount {
            let missing = spec.parameters[fixedCount]
            return .failure(Diagnostic("'\(spec.name)' needs \(missing.placeholder) (usage: \(spec.synopsis))",
                                       at: arguments.last?.range ?? command.range))
        }
        if spec.rest == nil && fixedCount > spec.parameters.count && !hasSpread {
            let extra = bound.positionals[spec.parameters.count]
            return .failure(Diagnostic("too many arguments for '\(spec.name)' (usage: \(spec.synopsis))", at: extra.range,
                                       hint: extra.literalText.map { $0.contains(" ") ? nil : "quote text with spaces to keep it one argument" } ?? nil))
        }
        return .success(bound)
    }

    /// `--name`, or `-x` with a letter (not `-1`, a negative number).
    static func isOptionWord(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "-") else { return false }
        if bytes[1] == UInt8(ascii: "-") { return bytes.count > 2 }
        return (bytes[1] | 0x20) >= UInt8(ascii: "a") && (bytes[1] | 0x20) <= UInt8(ascii: "z")
    }

    /// The parameter a positional index fills, for type checks.
    public static func parameter(at index: Int, in spec: BuiltinSpec) -> Parameter? {
        index < spec.parameters.count ? spec.parameters[index] : spec.rest
    }
}
