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

    public static let builtinChains: [String: [String]] = [
        "filter": ["INPUT", "FORWARD", "OUTPUT"],
        "nat": ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
        "mangle": ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
        "raw": ["PREROUTING", "OUTPUT"],
        "security": ["INPUT", "FORWARD", "OUTPUT"],
    ]

    /// Reads one table from the host (an `iptables-save -t TABLE` probe) and parses it.
    public static func read(_ scope: IptablesScope, _ call: Invocation) throws -> IptablesTableState {
        guard case .text(let text) = try call.perform(.iptablesSave(family: scope.family, table: scope.table)) else {
            return IptablesTableState(table: scope.table)
        }
        do {
            return try parse(text, table: scope.table, family: scope.family)
        } catch let problem as MalformedLine {
            throw call.fail("cannot read \(scope.family.saveCommand) output: unbalanced quote in '\(problem.line)'")
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

    /// The typed rule for the words after `-A CHAIN`. Words wds does not model
    /// go to `unmodeled`, so such a rule never equals one wds builds.
    public static func parseRule(_ words: [String], family: AddressFamily) -> IptablesRule {
        var rule = IptablesRule()
        var index = 0
        var negated = false
        func next() -> String? {
            guard index < words.count else { return nil }
            defer { index += 1 }
            return words[index]
        }
        func keep(_ items: [String]) {
            if negated { rule.unmodeled.append("!") }
            rule.unmodeled += items
        }
        while let word = next() {
            if word == "!" { negated = true; continue }
            func match() -> IptablesRule.Match<String>? { next().map { IptablesRule.Match($0, negated: negated) } }
            switch word {
            case "-s": rule.source = match()
            case "-d": rule.destination = match()
            case "-i": rule.inInterface = match()
            case "-o": rule.outInterface = match()
            case "-p": rule.proto = match()
            case "-m":
                let module = next() ?? ""
                if (module == "tcp" || module == "udp") && rule.proto?.value == module && !negated {
                    rule.protocolModule = true
                } else if module != "conntrack" && module != "comment" {
                    keep(["-m", module])
                }
            case "--sport" where rule.protocolModule: rule.sourcePort = match()
            case "--dport" where rule.protocolModule: rule.destinationPort = match()
            case "--tcp-flags" where rule.protocolModule:
                let mask = next() ?? "", compare = next() ?? ""
                if mask == "FIN,SYN,RST,ACK" && compare == "SYN" {
                    rule.syn = .init(true, negated: negated)
                } else {
                    keep([word, mask, compare])
                }
            case "--ctstate":
                let text = next() ?? ""
                if case .success(let states) = IptablesRule.canonicalStates(text) {
                    rule.connectionStates = .init(states, negated: negated)
                } else {
                    keep([word, text])
                }
            case "--comment" where !negated: rule.comment = next()
            case "-j": rule.target = next().map(IptablesRule.Target.jump)
            case "-g": rule.target = next().map(IptablesRule.Target.goto)
            case "--to-source" where !negated: rule.toSource = next()
            case "--to-destination" where !negated: rule.toDestination = next()
            case "--log-prefix" where !negated: rule.logPrefix = next()
            case "--reject-with" where !negated: rule.rejectWith = next()
            default: keep([word])
            }
            negated = false
        }
        return rule
    }
}

extension IptablesTableState.Entry {
    /// What `rules` and `chain list` return for one rule: every field present,
    /// empty when the rule has no such part; a negated value reads `! VALUE`.
    public func record(number: Int) -> Record {
        func text(_ match: IptablesRule.Match<String>?) -> Value {
            guard let match else { return .empty }
            return .string(match.negated ? "! \(match.value)" : match.value)
        }
        var jump = "", goto = ""
        switch rule.target {
        case .jump(let name): jump = name
        case .goto(let name): goto = name
        case nil: break
        }
        let states = rule.connectionStates.map { ($0.negated ? "! " : "") + $0.value.joined(separator: ",") } ?? ""
        let syn = rule.syn.map { $0.negated ? "! syn" : "syn" } ?? ""
        return Record([
            ("chain", .string(chain)),
            ("number", .integer(number)),
            ("source", text(rule.source)),
            ("destination", text(rule.destination)),
            ("in", text(rule.inInterface)),
            ("out", text(rule.outInterface)),
            ("protocol", text(rule.proto)),
            ("sport", text(rule.sourcePort)),
            ("dport", text(rule.destinationPort)),
            ("syn", .string(syn)),
            ("ctstate", .string(states)),
            ("comment", .string(rule.comment ?? "")),
            ("jump", .string(jump)),
            ("goto", .string(goto)),
            ("to_source", .string(rule.toSource ?? "")),
            ("to_destination", .string(rule.toDestination ?? "")),
            ("args", .string(specification)),
        ])
    }
}
