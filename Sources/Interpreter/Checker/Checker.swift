import Lexer

/// Checks a loaded script, and everything it sources, before anything runs:
/// unknown commands and options, argument counts, variables used before any
/// definition, literal values that cannot be valid, misplaced `return` or
/// `break`. It reports every problem it finds, not just the first.
public struct Checker {
    let registry: BuiltinRegistry
    var diagnostics: [Diagnostic] = []
    var functions: [String: FunctionDeclaration] = [:]
    /// Variables known in each open scope, innermost last.
    var scopes: [Set<String>] = []
    /// Beside each of `scopes`, the slots the run gives that scope's
    /// variables (Scope), in the order they are first defined; nil where the
    /// layout is not known (the REPL's global scope, which earlier lines filled).
    var layouts: [[String: Int]?] = []
    /// The global scope's slots as every function sees them: the predefined
    /// variables, then the top-level `let`s of the script and of what it
    /// sources at the top level, in the order they are written.
    var globalLayout: [String: Int]?
    /// Where resolutions of the file being checked are recorded.
    var resolutions: Resolutions?
    /// False when calls are not resolved: functions known from elsewhere (the REPL) may change.
    var resolvesFunctions = true
    var loopDepth = 0
    var inFunction = false
    var checkedSources: Set<String> = []

    /// Program names that shell scripts call and wds spells differently.
    static let commandHabits: [String: String] = [
        "iptables": "use the typed builtins `chain …` and `rule …` (or `run iptables …` for anything they lack)",
        "ip6tables": "use `chain …` and `rule …` with --ipv6",
        "nft": "nftables is builtins: `nft-table create`, `nft-chain create`, `nft-rule add`, `nft-set create`/`add`, `nft-map …` (see `wds builtins nft-rule`)",
        "sysctl": "write `sysctl set KEY VALUE`; `sysctl get KEY` reads one",
        "mount": "write `mount tmpfs PATH`, `mount bind SOURCE TARGET`, `mount cgroup …` or `mount remount PATH` (see `wds builtins mount`)",
        "umount": "write `unmount PATH` (`--recursive` for -R)",
        "brctl": "write `bridge create NAME` and `link set IFACE --master NAME`",
        "ifconfig": "write `link set IFACE --up` and `address add IFACE ADDRESS/LEN`",
        "cgcreate": "write `cgroup create ROOT NAME` (see `wds builtins cgroup`)",
        "cgset": "write `cgroup set ROOT NAME KEY VALUE`",
        "ip": "links, addresses, routes and namespaces are builtins: `link …`, `address …`, `route …`, `netns …` (see `wds builtins link`)",
        "grep": "use `contains`, `has-prefix` or `lines` on values",
        "sed": "use `replace`, `trim` or `split` on values",
        "cut": "use `split` and pick an item, or a record's field",
        "cat": "use `read-file PATH`",
        "printf": "use `echo` or `format`",
        "sha256sum": "use `$(sha256 TEXT)`",
        "trap": "write `cleanup { … }` at the top level: it runs when the script ends, also by failure, exit, SIGINT or SIGTERM",
        "expr": "use `add`, `subtract`, `multiply`, `divide`, `remainder`, and `<`, `>` … to compare",
        "xargs": "loop over a list: `for x in $list { … }`",
        "find": "use `glob PATTERN` or `list-dir PATH`",
        "cd": "wds does not change directory: build paths from $script_dir",
        "mountpoint": "use `is-mounted PATH`",
        "local": "`let` inside a function already makes a local variable",
        "true": "wds has no `true` command; write `if true { … }` or use a boolean value",
        // test(1)'s file and string tests, written without their brackets.
        "-d": "a shell test: write `is-dir PATH`", "-f": "a shell test: write `is-file PATH`",
        "-e": "a shell test: write `exists PATH`", "-x": "a shell test: write `is-executable PATH`",
        "-z": "a shell test: write `is-empty $x`", "-n": "a shell test: write `! is-empty $x`",
        "-r": "a shell test: write `exists PATH` (wds runs as the user it runs as)", "-s": "a shell test: write `is-file PATH` and read its size",
    ]

    public init(registry: BuiltinRegistry) {
        self.registry = registry
    }

    /// Checks a script; returns every diagnostic, in source order.
    public static func check(_ script: Script, registry: BuiltinRegistry, knownVariables: [String] = [],
                             knownFunctions: [String: FunctionDeclaration] = [:]) -> [Diagnostic] {
        var checker = Checker(registry: registry)
        checker.functions = knownFunctions
        checker.resolvesFunctions = knownFunctions.isEmpty
        checker.scopes = [Set(Interpreter.predefinedVariables + knownVariables)]
        // Variables defined before (REPL lines) sit at places the check cannot know.
        let layoutKnown = Set(knownVariables).isSubset(of: Interpreter.predefinedVariables)
        checker.layouts = [layoutKnown ? Checker.layout(Interpreter.predefinedVariables) : nil]
        checker.globalLayout = layoutKnown ? Checker.layout(Interpreter.predefinedVariables + Checker.topLevelNames(script)) : nil
        checker.collectFunctions(script)
        checker.check(script.statements, in: script, topLevel: true)
        var diagnostics = checker.diagnostics
        // The scripts it starts with run-script are checked with it: exit status 2 must mean nothing ran.
        var checked: Set<ObjectIdentifier> = [ObjectIdentifier(script)]
        var pending = script.children.sorted { $0.key < $1.key }.map(\.value)
        while !pending.isEmpty {
            let child = pending.removeFirst()
            guard checked.insert(ObjectIdentifier(child)).inserted else { continue }
            var childChecker = Checker(registry: registry)
            childChecker.scopes = [Set(Interpreter.predefinedVariables)]
            childChecker.layouts = [Checker.layout(Interpreter.predefinedVariables)]
            childChecker.globalLayout = Checker.layout(Interpreter.predefinedVariables + Checker.topLevelNames(child))
            childChecker.collectFunctions(child)
            childChecker.check(child.statements, in: child, topLevel: true)
            diagnostics += childChecker.diagnostics
            pending += child.children.sorted { $0.key < $1.key }.map(\.value)
        }
        var seen: Set<String> = []
        return diagnostics.filter { seen.insert($0.render()).inserted }
    }

    /// `$script` and `$script_dir` keep the values wds gives them: the loader
    /// reads `run-script "$script_dir/…"` before the run, trusting that.
    static let constantVariables: Set<String> = ["script", "script_dir"]

    mutating func checkNotConstant(_ name: Identifier) {
        if Checker.constantVariables.contains(name.name) {
            error("'\(name.name)' is set by wds and cannot be redefined", at: name.range, hint: "choose another name")
        }
    }

    mutating func error(_ message: String, at range: SourceRange, hint: String? = nil) {
        diagnostics.append(Diagnostic(message, at: range, hint: hint))
    }

    /// Functions are hoisted, across sourced files too.
    mutating func collectFunctions(_ script: Script) {
        for statement in script.statements {
            guard case .function(let declaration) = statement.kind else { continue }
            let name = declaration.name
            if let previous = functions[name.name], previous.range != declaration.range {
                error("function '\(name.name)' is defined twice", at: name.range,
                      hint: "the first definition is at \(previous.name.range)")
            } else if registry.entries[name.name] != nil {
                error("function '\(name.name)' would hide the builtin of the same name", at: name.range)
            }
            functions[name.name] = declaration
        }
        for sourced in script.sourced.values { collectFunctions(sourced) }
    }

    // MARK: - Statements

    mutating func check(_ statements: [Statement], in script: Script, topLevel: Bool) {
        let outerResolutions = resolutions
        resolutions = script.resolutions
        defer { resolutions = outerResolutions }
        for statement in statements {
            check(statement, in: script, topLevel: topLevel)
        }
    }

    /// A block, in a scope of its own when the run gives it one (Block.definesVariables).
    mutating func check(_ block: Block, in script: Script) {
        if block.definesVariables {
            withScope { $0.check(block.statements, in: script, topLevel: false) }
        } else {
            check(block.statements, in: script, topLevel: false)
        }
    }

    /// A block whose statements run in a scope the run always makes for them, holding `names` first.
    mutating func check(_ block: Block, in script: Script, scopeWith names: [String]) {
        withScope(names) { $0.check(block.statements, in: script, topLevel: false) }
    }

    mutating func check(_ statement: Statement, in script: Script, topLevel: Bool) {
        switch statement.kind {
        case .let(let name, let value):
            check(value)
            checkNotConstant(name)
            define(name.name)
        case .assign(let name, let value):
            check(value)
            checkNotConstant(name)
            resolveVariable(name.name, at: name.range)
            if !isDefined(name.name) {
                error("assignment to undefined variable '\(name.name)'", at: name.range,
                      hint: "define it first with `let \(name.name) = …`")
            }
        case .pipeline(let pipeline):
            check(pipeline)
        case .if(let branches, let elseBlock):
            for branch in branches {
                check(branch.condition)
                check(branch.body, in: script)
            }
            if let elseBlock { check(elseBlock, in: script) }
        case .for(let name, let list, let body):
            check(list)
            if let literal = list.literalText {
                error("'for' needs a list, got the text '\(literal)'", at: list.range,
                      hint: "write a list as [a b c]; wds never splits text by itself")
            }
            checkNotConstant(name)
            loopDepth += 1
            check(body, in: script, scopeWith: [name.name])
            loopDepth -= 1
        case .while(let condition, let body):
            check(condition)
            loopDepth += 1
            check(body, in: script)
            loopDepth -= 1
        case .match(let subject, let arms, let elseBlock):
            check(subject)
            for arm in arms { check(arm.body, in: script) }
            if let elseBlock { check(elseBlock, in: script) }
        case .function(let declaration):
            if !topLevel {
                error("functions are defined at the top level of a script only", at: statement.keywordRange)
            }
            let (savedScopes, savedLayouts, savedLoop, savedInFunction) = (scopes, layouts, loopDepth, inFunction)
            // A function sees the script's globals (all of them: it may be called after any of them is set).
            scopes = [Set(Interpreter.predefinedVariables + Checker.topLevelNames(script) + (savedScopes.first.map(Array.init) ?? []))]
            layouts = [globalLayout]
            loopDepth = 0
            inFunction = true
            declaration.parameters.forEach { checkNotConstant($0) }
            check(declaration.body, in: script, scopeWith: declaration.parameters.map(\.name))
            (scopes, layouts, loopDepth, inFunction) = (savedScopes, savedLayouts, savedLoop, savedInFunction)
        case .return(let value):
            if let value { check(value) }
            if !inFunction {
                error("'return' outside a function", at: statement.keywordRange, hint: "use `exit N` to end the script")
            }
        case .exit(let value):
            if let value {
                check(value)
                if let text = value.literalText, !(Int(text).map { (0...255).contains($0) } ?? false) {
                    error("'exit' needs a status from 0 to 255, got '\(text)'", at: value.range)
                }
            }
        case .break, .continue:
            if loopDepth == 0 {
                error("'\(statement.keywordRange.file.text(statement.keywordRange))' outside a loop", at: statement.keywordRange)
            }
        case .try(let body, let name, let handler):
            if let name { checkNotConstant(name) }
            check(body, in: script)
            // The handler runs in a scope of its own, with or without a name for the error.
            check(handler, in: script, scopeWith: name.map { [$0.name] } ?? [])
        case .lock(let path, let timeout, let body):
            check(path)
            if let timeout {
                check(timeout)
                if let text = timeout.literalText, Validation.durationSeconds(text) == nil {
                    error("'\(text)' is not a duration (write 10s, 500ms or 2m)", at: timeout.range)
                }
            }
            check(body, in: script)
        case .cleanup(let body):
            if !topLevel {
                error("a cleanup block is written at the top level of a script", at: statement.keywordRange,
                      hint: "it runs when the script ends; put what it needs in top-level variables")
            }
            loopDepth += 0
            // Cleanup blocks run, at the end, in a scope made for them (runCleanups).
            check(body, in: script, scopeWith: [])
        case .source(let path, _):
            guard let key = path.literalText, let sourced = script.sourced[key] else { return }
            // A sourced file's statements run here, in this scope.
            check(sourced.statements, in: sourced, topLevel: topLevel)
        }
    }

    /// The builtin an `ip` command line becomes, by its object (`ip link add … type
    /// bridge` is `bridge create`), as iproute2 abbreviates objects (`a`, `r`,
    /// `l`); `ip -n NS …` is `--netns NS` on the same builtin. Only what wds has
    /// no builtin for (`ip rule`, `ip neigh`, tunnels…) stays a program.
    static func ipHabit(_ words: [String]) -> String {
        var rest = words[...]
        var netns = ""
        while let first = rest.first, first.hasPrefix("-") {
            rest = rest.dropFirst()
            if first == "-n" || first == "-netns" || first == "--netns", let name = rest.first {
                netns = " --netns \(name)"
                rest = rest.dropFirst()
            }
        }
        let object = rest.first ?? ""
        let verb = rest.dropFirst().first ?? ""
        func matches(_ full: String, shortest: Int) -> Bool { object.count >= shortest && full.hasPrefix(object) }
        if matches("link", shortest: 1) {
            if verb == "add" || verb == "a" {
                let type = rest.firstIndex(of: "type").flatMap { rest.index(after: $0) < rest.endIndex ? rest[rest.index(after: $0)] : nil }
                switch type {
                case "bridge": return "write `bridge create NAME\(netns)`"
                case "veth": return "write `veth create NAME PEER\(netns)` (`--peer-netns NS` makes the peer in a namespace)"
                case "vlan": return "write `vlan create NAME PARENT ID\(netns)`"
                case "macvlan": return "write `macvlan create NAME PARENT\(netns)` (`--mode bridge` by default)"
                default: return "links are builtins: `bridge create`, `veth create`, `vlan create`, `macvlan create` (see `wds builtins link`)"
                }
            }
            return "write `link set NAME …\(netns)` (`--up`, `--down`, `--master BR`, `--mtu N`), `link delete`, `link exists`, `link get` or `$(links\(netns))`"
        }
        if matches("address", shortest: 1) || object == "addr" {
            return "write `address add IFACE ADDRESS/LEN\(netns)` (`address delete`, `address flush`, `address exists`; `$(addresses\(netns))` lists them)"
        }
        if matches("route", shortest: 1) {
            return "write `route add DESTINATION --via GATEWAY\(netns)` (`route replace`, `route delete`, `route get`, `route list`; `$(route default)` is the default route)"
        }
        if matches("netns", shortest: 2) {
            return "write `netns create NAME` (`netns delete`, `netns exists`, `netns list`); `--netns NAME` acts in it"
        }
        let shown = words.prefix(2).joined(separator: " ")
        return "wds has no builtin for `ip \(object)`: write `run ip \(shown) …`, a program the trace and plan cannot look into"
    }

    static func topLevelNames(_ script: Script) -> [String] {
        var names: [String] = []
        for statement in script.statements {
            if case .let(let name, _) = statement.kind { names.append(name.name) }
            if case .source(let path, _) = statement.kind, let key = path.literalText, let sourced = script.sourced[key] {
                names += topLevelNames(sourced)
            }
        }
        return names
    }

    // MARK: - Pipelines and commands

    mutating func check(_ pipeline: Pipeline) {
        switch pipeline.kind {
        case .command(let command): check(command)
        case .not(let inner): check(inner)
        case .and(let left, let right), .or(let left, let right):
            check(left)
            check(right)
        case .compare(let left, _, let right):
            check(left)
            check(right)
        case .test(let expression):
            check(expression)
        }
    }

    mutating func check(_ command: Command) {
        for argument in command.arguments { check(argument) }
        let name = command.name.name
        resolutions?.record(resolvesFunctions ? functions[name].map(Resolutions.Function.declaration) ?? .unresolved : .unresolved,
                            at: command.range.start)
        if let function = functions[name] {
            let hasSpread = command.arguments.contains { if case .spread = $0.kind { return true } else { return false } }
            if !hasSpread && command.arguments.count != function.parameters.count {
                error("'\(name)' takes \(function.parameters.count) argument(s), got \(command.arguments.count)",
                      at: command.range, hint: "it is defined at \(function.name.range)")
            }
            return
        }
        switch registry.entries[name] {
        case .single(let spec):
            check(command.arguments, against: spec, command: command)
        case .family(let family):
            guard let first = command.arguments.first else {
                error("'\(name)' needs a subcommand: \(family.subcommandNames.joined(separator: ", "))", at: command.name.range)
                return
            }
            guard let subcommand = first.bareText, let spec = family.subcommand(subcommand) else {
                let written = first.literalText ?? ""
                // `iptables -A …` is a bash habit before it is a wrong subcommand of `iptables commit`.
                // A word no subcommand is near (`nft add …`) is a habit too.
                let habit = Checker.commandHabits[name]
                let hint = written.hasPrefix("-") ? habit ?? Suggestions.didYouMean(written, in: family.subcommandNames)
                    : Suggestions.didYouMean(written, in: family.subcommandNames) ?? habit
                error("unknown subcommand '\(written)' of '\(name)'", at: first.range,
                      hint: hint ?? "subcommands: \(family.subcommandNames.joined(separator: ", "))")
                return
            }
            check(Array(command.arguments.dropFirst()), against: spec, command: command)
        case nil:
            let candidates = registry.names + Array(functions.keys)
            var hint = Checker.commandHabits[name] ?? Suggestions.didYouMean(name, in: candidates)
                ?? "to run a program, write `run \(name) …`"
            if name == "ip" { hint = Checker.ipHabit(command.arguments.compactMap(\.literalText)) }
            error("unknown command '\(name)'", at: command.name.range, hint: hint)
        }
    }

    mutating func check(_ arguments: [Expression], against spec: BuiltinSpec, command: Command) {
        switch ArgumentBinder.bind(arguments, to: spec, command: command.name) {
        case .failure(let failure):
            diagnostics += failure.diagnostics
        case .success(let bound):
            let errorsBefore = diagnostics.count
            var index = 0
            for positional in bound.positionals {
                if case .spread = positional.kind { break }
                if let parameter = ArgumentBinder.parameter(at: index, in: spec) {
                    checkLiteral(positional, against: parameter.type)
                }
                index += 1
            }
            for option in bound.options {
                if option.omittedWhenEmpty, option.value?.literalText == "" { continue }
                if let value = option.value, let type = option.spec.valueType {
                    checkLiteral(value, against: type, prefix: "\(option.spec.name): ")
                }
            }
            // The rules between arguments, on what is written literally, once each value is fine on its own.
            if diagnostics.count == errorsBefore, let argumentCheck = spec.argumentCheck {
                do {
                    if let known = Checker.staticArguments(bound, command: command) { try argumentCheck(known) }
                } catch let diagnostic as Diagnostic {
                    diagnostics.append(diagnostic)
                } catch {}
            }
        }
    }

    /// What the check knows of a call's arguments: literal words, and the
    /// others as unknown. Nil when a spread makes the positions unknown.
    static func staticArguments(_ bound: BoundArguments, command: Command) -> StaticArguments? {
        func known(_ expression: Expression) -> StaticArguments.Known {
            if let text = expression.literalText { return .text(text) }
            if case .list(let elements) = expression.kind {
                let texts = elements.compactMap(\.literalText)
                if texts.count == elements.count { return .words(texts) }
            }
            return .unknown
        }
        var positionals: [(value: StaticArguments.Known, range: SourceRange)] = []
        for positional in bound.positionals {
            if case .spread = positional.kind { return nil }
            positionals.append((known(positional), positional.range))
        }
        var options = OptionTable<StaticArguments.Option>()
        for option in bound.options {
            if option.omittedWhenEmpty, option.value?.literalText == "" { continue }
            let value = option.value.map(known) ?? .text("true")
            options.append(.init(value: value, negated: option.negated, range: option.value?.range ?? option.written.range),
                           to: option.spec.name)
        }
        return StaticArguments(range: command.range, positionals: positionals, options: options)
    }

    /// A literal argument is validated now, so a bad CIDR never waits for run time.
    mutating func checkLiteral(_ expression: Expression, against type: ArgumentType, prefix: String = "") {
        if case .list(let elements) = expression.kind {
            if case .list(let elementType) = type {
                for element in elements { checkLiteral(element, against: elementType, prefix: prefix) }
            } else if case .words(let placeholder) = type {
                for element in elements {
                    if case .list = element.kind { error("\(prefix)expected texts in \(placeholder), got a list", at: element.range) }
                }
            } else if type.isScalar {
                error("\(prefix)expected \(type.placeholder.lowercased()), got a list", at: expression.range,
                      hint: "spread a list into several arguments with ...$list")
            }
            return
        }
        guard let text = expression.literalText else { return }
        let value: Value = expression.bareText != nil && Int(text) != nil ? .integer(Int(text)!) : .string(text)
        if case .list = type {
            error("\(prefix)expected a list, got '\(text)'", at: expression.range, hint: "write a list as [a b c]")
            return
        }
        if case .words(let placeholder) = type {
            error("\(prefix)expected a list \(placeholder), got '\(text)'", at: expression.range, hint: "write it as a list: \(placeholder)")
            return
        }
        if let problem = type.problem(with: value) {
            error(prefix + problem, at: expression.range)
        }
    }

    // MARK: - Expressions

    mutating func check(_ expression: Expression) {
        switch expression.kind {
        case .word(let parts):
            for (index, part) in parts.enumerated() {
                // `"$x ...$list"`: a spread is never inside a word; the list would stand in text.
                if case .literal(let text, _) = part.kind, text.hasSuffix("..."), index + 1 < parts.count {
                    switch parts[index + 1].kind {
                    case .variable, .substitution:
                        error("a spread '...' cannot stand inside a word or quotes", at: part.range.union(parts[index + 1].range),
                              hint: "to put a list's items in text, join them: `$(join $list \" \")`; to pass them as arguments, write `...$list` on its own")
                    case .literal: break
                    }
                }
                switch part.kind {
                case .literal: break
                case .variable(let name, _) where inFunction && Int(name) != nil:
                    error("inside a function, '$\(name)' would be the script's argument $\(name), not the function's", at: part.range,
                          hint: "name a parameter (`def f(x) { … }`) and pass it (`f $\(name)`), or read the script's own as `$args`")
                case .variable(let name, _):
                    if Int(name) == nil { resolveVariable(name, at: part.range) }
                    if Int(name) == nil && !isDefined(name) {
                        let hint = Suggestions.didYouMean(name, in: visibleNames)
                            ?? (name == name.uppercased() ? "to read the environment, write $(env \(name))" : nil)
                        error("undefined variable '\(name)'", at: part.range, hint: hint)
                    }
                case .substitution(let pipeline):
                    check(pipeline)
                }
            }
        case .list(let elements):
            for element in elements { check(element) }
        case .spread(let inner):
            check(inner)
        }
    }
}
