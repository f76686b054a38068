import Interpreter

/// One table as `iptables-save -t TABLE` prints it, parsed: its chains in the
/// printed order (built-in first, then user chains alphabetically) and its
/// rules grouped by chain, each both as typed `IptablesRule` and as the exact
/// words iptables printed (to delete it by specification, as `iptables -S |
/// sed s/-A/-D/` did, even when wds does not model all of it).
public struct IptablesTableState: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var chain: String
        /// The words after `-A CHAIN`, unquoted: an argument vector for `iptables -D CHAIN …`.
        public var words: [String]
        /// The text after `-A CHAIN `, exactly as printed.
        public var specification: String
        public var rule: IptablesRule
    }

    public var table: String
    public var chains: [String] = []
    /// Policies of built-in chains (`ACCEPT`); user chains have none.
    public var policies: [String: String] = [:]
    public var entries: [Entry] = []

    public init(table: String) {
        self.table = table
        chains = IptablesTableState.builtinChains[table] ?? []
    }

    public static let builtinChains = IptablesTables.builtinChains

    /// Reads one table from the host (an `iptables-save -t TABLE` probe) and parses it.
    public static func read(_ scope: IptablesScope, tool: IptablesTool = .standard, _ call: Invocation) throws -> IptablesTableState {
        guard case .text(let text) = try call.perform(.iptablesSave(family: scope.family, table: scope.table, tool: tool)) else {
            return IptablesTableState(table: scope.table)
        }
        do {
            return try parse(text, table: scope.table, family: scope.family)
        } catch let problem as MalformedLine {
            throw call.fail("cannot read \(tool.saveCommand(scope.family)) output: unbalanced quote in '\(problem.line)'")
        }
    }

    public func isBuiltin(_ chain: String) -> Bool {
        IptablesTableState.builtinChains[table]?.contains(chain) ?? false
    }

    public func rules(in chain: String) -> [Entry] { entries.filter { $0.chain == chain } }

    /// Reads the `*TABLE` block of iptables-save output; other tables, comments and COMMIT are skipped.
    public static func parse(_ text: String, table: String, family: AddressFamily) throws -> IptablesTableState {
        var state = IptablesTableState(table: table)
        var chains: [String] = []
        var inTable = false
        for rawLine in text.split(separator: "\n") {
            let line = String(rawLine)
            if line.hasPrefix("#") { continue }
            if line.hasPrefix("*") { inTable = line.dropFirst() == table; continue }
            guard inTable else { continue }
            if line.hasPrefix(":") {
                let fields = line.dropFirst().split(separator: " ")
                guard let name = fields.first else { continue }
                chains.append(String(name))
                if fields.count > 1, fields[1] != "-" { state.policies[String(name)] = String(fields[1]) }
            } else if line.hasPrefix("-A ") {
                let words = try splitSaveWords(line)
                guard words.count >= 2 else { continue }
                let prefix = "-A \(words[1])"
                let specification = line.count > prefix.count ? String(line.dropFirst(prefix.count + 1)) : ""
                let rest = Array(words.dropFirst(2))
                state.entries.append(Entry(chain: words[1], words: rest, specification: specification,
                                           rule: parseRule(rest, family: family)))
            }
        }
        if !chains.isEmpty { state.chains = chains }
        return state
    }

    public struct MalformedLine: Error, Equatable {
        public var line: String
    }

    /// Splits a saved line into words, undoing iptables-save's quoting
    /// (`"…"` with `\"`, `\\` and `\'` escaped).
    public static func splitSaveWords(_ line: String) throws -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quoted = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\\" {
                    guard let escaped = iterator.next() else { throw MalformedLine(line: line) }
                    current.append(escaped)
                } else if character == "\"" {
                    quoted = false
                } else {
                    current.append(character)
                }
            } else if character == " " {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else if character == "\"" {
                quoted = true
                inWord = true
            } else {
                current.append(character)
                inWord = true
            }
        }
        if quoted { throw MalformedLine(line: line) }
        if inWord { words.append(current) }
        return words
    }

    /// The typed rule for the words after `-A CHAIN`, read as iptables-save
    /// lays them out: the address, interface and protocol options first, then
    /// one `-m NAME …` segment per match module, then `-j`/`-g` and the
    /// target's options. tcp/udp ports and flags, `--ctstate` and `--comment`
    /// go to their fields; every other module is kept whole, by its words, and
    /// so are the target options wds has no field for. Words outside any of
    /// these go to `unmodeled`, so such a rule never equals one wds builds.
    public static func parseRule(_ words: [String], family: AddressFamily) -> IptablesRule {
        var rule = IptablesRule()
        var index = 0
        var negated = false
        func next() -> String? {
            guard index < words.count else { return nil }
            defer { index += 1 }
            return words[index]
        }
        // The leading options, up to the first module or the target.
        while index < words.count, words[index] != "-m", words[index] != "-j", words[index] != "-g" {
            let word = next()!
            if word == "!" { negated = true; continue }
            func match() -> IptablesRule.Match<String>? { next().map { IptablesRule.Match($0, negated: negated) } }
            switch word {
            case "-s": rule.source = match()
            case "-d": rule.destination = match()
            case "-i": rule.inInterface = match()
            case "-o": rule.outInterface = match()
            case "-p": rule.proto = match()
            default: rule.unmodeled += (negated ? ["!"] : []) + [word]
            }
            negated = false
        }
        if negated { rule.unmodeled.append("!") }
        // Module segments.
        while index < words.count, words[index] == "-m" {
            index += 1
            let name = next() ?? ""
            var segment: [String] = []
            while index < words.count, words[index] != "-m", words[index] != "-j", words[index] != "-g" { segment.append(next()!) }
            if !readTyped(name, segment, into: &rule) { rule.add(IptablesRule.Module(name, segment)) }
        }
        // The target and its options.
        if let kind = next() {
            let name = next() ?? ""
            rule.target = kind == "-g" ? .goto(name) : .jump(name)
            var options: [String] = []
            while let word = next() {
                let typed: WritableKeyPath<IptablesRule, String?>?
                switch word {
                case "--to-source": typed = \.toSource
                case "--to-destination": typed = \.toDestination
                case "--log-prefix": typed = \.logPrefix
                case "--reject-with": typed = \.rejectWith
                default: typed = nil
                }
                if let typed, rule[keyPath: typed] == nil, options.last != "!", let value = next() {
                    rule[keyPath: typed] = value
                } else {
                    options.append(word)
                }
            }
            rule.targetOptions = options
        }
        return rule
    }

    /// Reads a module segment into the rule's own fields, when it is one of
    /// those wds models and every word of it fits; false leaves it a module.
    static func readTyped(_ name: String, _ segment: [String], into rule: inout IptablesRule) -> Bool {
        var copy = rule
        var index = 0
        func take() -> (word: String, negated: Bool)? {
            guard index < segment.count else { return nil }
            var negated = false
            if segment[index] == "!" { negated = true; index += 1 }
            guard index < segment.count else { return nil }
            defer { index += 1 }
            return (segment[index], negated)
        }
        func value(_ negated: Bool) -> IptablesRule.Match<String>? {
            guard index < segment.count else { return nil }
            defer { index += 1 }
            return .init(segment[index], negated: negated)
        }
        switch name {
        case "tcp", "udp":
            guard copy.proto?.value == name, copy.proto?.negated == false, !copy.protocolModule else { return false }
            copy.protocolModule = true
            while let (word, negated) = take() {
                switch word {
                case "--sport" where copy.sourcePort == nil: copy.sourcePort = value(negated)
                case "--dport" where copy.destinationPort == nil: copy.destinationPort = value(negated)
                case "--tcp-flags" where name == "tcp" && copy.syn == nil && copy.tcpFlags == nil && index + 1 < segment.count:
                    let flags = [segment[index], segment[index + 1]]
                    index += 2
                    if flags == ["FIN,SYN,RST,ACK", "SYN"] { copy.syn = .init(true, negated: negated) } else { copy.tcpFlags = .init(flags, negated: negated) }
                default: return false
                }
            }
        case "conntrack":
            guard copy.connectionStates == nil, let (word, negated) = take(), word == "--ctstate", let text = value(negated),
                  index == segment.count, case .success(let states) = IptablesRule.canonicalStates(text.value) else { return false }
            copy.connectionStates = .init(states, negated: negated)
        case "comment":
            guard copy.comment == nil, segment.count == 2, segment[0] == "--comment" else { return false }
            copy.comment = segment[1]
        default:
            return false
        }
        rule = copy
        return true
    }
}

extension IptablesTableState.Entry {
    /// The fields of a `rules` record, in order (docs/language.md describes each).
    public static let recordFields = ["chain", "number", "table", "ipv6", "source", "destination", "in", "out", "protocol",
                                      "sport", "dport", "syn", "ctstate", "comment", "jump", "goto", "to_source",
                                      "to_destination", "log_prefix", "reject_with", "negated", "rest", "args"]

    /// What `rules` and `chain list` return for one rule: every field present,
    /// empty when the rule has no such part; a negated value reads `! VALUE`,
    /// and `negated` lists the fields that are. `rest` holds, as a list, the
    /// words no other field has; `args` the whole rule as iptables-save prints it.
    public func record(number: Int, scope: IptablesScope) -> Record {
        var negated: [Value] = []
        func text(_ match: IptablesRule.Match<String>?, _ field: String) -> Value {
            guard let match else { return .empty }
            if match.negated { negated.append(.string(field)) }
            return .string(match.negated ? "! \(match.value)" : match.value)
        }
        var jump = "", goto = ""
        switch rule.target {
        case .jump(let name): jump = name
        case .goto(let name): goto = name
        case nil: break
        }
        let fields: [(String, Value)] = [
            ("chain", .string(chain)),
            ("number", .integer(number)),
            ("table", .string(scope.table)),
            ("ipv6", .boolean(scope.family == .ipv6)),
            ("source", text(rule.source, "source")),
            ("destination", text(rule.destination, "destination")),
            ("in", text(rule.inInterface, "in")),
            ("out", text(rule.outInterface, "out")),
            ("protocol", text(rule.proto, "protocol")),
            ("sport", text(rule.sourcePort, "sport")),
            ("dport", text(rule.destinationPort, "dport")),
            ("syn", text(rule.syn.map { .init("syn", negated: $0.negated) }, "syn")),
            ("ctstate", text(rule.connectionStates.map { .init($0.value.joined(separator: ","), negated: $0.negated) }, "ctstate")),
            ("comment", .string(rule.comment ?? "")),
            ("jump", .string(jump)),
            ("goto", .string(goto)),
            ("to_source", .string(rule.toSource ?? "")),
            ("to_destination", .string(rule.toDestination ?? "")),
            ("log_prefix", .string(rule.logPrefix ?? "")),
            ("reject_with", .string(rule.rejectWith ?? "")),
        ]
        return Record(fields + [
            ("negated", .list(negated)),
            ("rest", .list(rule.remainingArguments.map(Value.string))),
            ("args", .string(specification)),
        ])
    }
}
