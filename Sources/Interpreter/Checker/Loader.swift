#if canImport(Glibc)
import Glibc
#endif
import Lexer

/// Reads a script and, recursively, every file it sources (relative to the
/// sourcing file's folder), parsing each once. Cycles and missing files are
/// diagnostics at the `source` statement.
public struct Loader {
    /// `source` chains deeper than this are refused.
    public static let maximumDepth = 32
    /// At most this many files are loaded for one script. The depth limit alone
    /// is not enough: a file that sources two others through paths that keep
    /// growing (`x/lib.wds` where `x` links back to its folder) would load 2^32.
    public static let maximumFiles = 256

    public var diagnostics: [Diagnostic] = []
    public var incomplete = false
    /// Each file is parsed once, however often it is sourced, so its functions
    /// are one declaration (not "defined twice") wherever it is sourced from.
    var parsed: [String: Script] = [:]
    /// Sourced files read so far (counted before their own sources are loaded).
    var filesRead = 0
    /// Reads a sourced file (or a child of run-script), or says why it cannot.
    let readFile: (String) -> Result<[UInt8], FileBytes.Failure>
    /// Reads the script named on the command line.
    let readScript: (String) -> Result<[UInt8], FileBytes.Failure>

    /// Reads from disk: the script named on the command line from whatever it
    /// is (`wds run <(generate)` reads a pipe), the files it sources only when
    /// they are regular files, so a FIFO planted there cannot hang `wds check`.
    public init() {
        self.readFile = { FileBytes.contents(of: $0, regularOnly: true) }
        self.readScript = { FileBytes.contents(of: $0) }
    }

    /// Reads every file with `readFile` (tests, the fuzzer: from memory); nil is a missing file.
    public init(readFile: @escaping (String) -> [UInt8]?) {
        let read: (String) -> Result<[UInt8], FileBytes.Failure> = { path in
            readFile(path).map { .success($0) } ?? .failure(FileBytes.Failure(code: ENOENT))
        }
        self.readFile = read
        self.readScript = read
    }

    /// Loads a file from disk (`-`: standard input); nil with a diagnostic,
    /// saying why, when it cannot be read.
    public mutating func load(path: String, name: String? = nil) -> Script? {
        let standardInput = path == "-"
        switch standardInput ? FileBytes.standardInput() : readScript(path) {
        case .success(let bytes):
            if standardInput { return load(SourceFile(name: name ?? "<stdin>", path: nil, bytes: bytes)) }
            return load(SourceFile(name: name ?? path, path: path, bytes: bytes))
        case .failure(let failure):
            diagnostics.append(Diagnostic("cannot read script '\(standardInput ? "<stdin>" : path)': \(failure)", at: nil))
            return nil
        }
    }

    public mutating func load(_ file: SourceFile) -> Script {
        var visiting: [String] = [file.path ?? file.name]
        let script = load(file, visiting: &visiting)
        loadChildren(of: script, scriptDirectory: Paths.directory(file.path ?? file.name), depth: 1)
        script.loadedChildren = children
        return script
    }

    /// Children of `run-script` already loaded, by absolute path (each is loaded once).
    var children: [String: Script] = [:]

    /// Loads the scripts `script` (and what it sources) starts with `run-script`
    /// at a path known before it runs: a literal, or `$script_dir` followed by
    /// literal text (the checker keeps `script_dir` from being redefined). Each
    /// is loaded as the script it will be, a root with its own folder, and so
    /// are its own children. A computed path is only known when the child
    /// starts, which checks it then.
    mutating func loadChildren(of script: Script, scriptDirectory: String, depth: Int) {
        var commands: [Command] = []
        var seen: Set<ObjectIdentifier> = []
        func collect(_ script: Script) {
            guard seen.insert(ObjectIdentifier(script)).inserted else { return }
            Loader.forEachCommand(in: script.statements) { if $0.name.name == "run-script" { commands.append($0) } }
            for sourced in script.sourced.values { collect(sourced) }
        }
        collect(script)
        for command in commands {
            guard let argument = command.arguments.first,
                  let text = Loader.staticPath(argument, scriptDirectory: scriptDirectory) else { continue }
            let path = Paths.absolute(text)
            if let loaded = children[path] {
                script.children[path] = loaded
                continue
            }
            // Deeper than run-script may go, the child stops at run time with its own diagnostic.
            guard depth <= Limits.maximumScriptDepth else { continue }
            if filesRead >= Loader.maximumFiles {
                diagnostics.append(Diagnostic("too many scripts and sourced files (more than \(Loader.maximumFiles))", at: argument.range))
                return
            }
            filesRead += 1
            let bytes: [UInt8]
            switch readFile(path) {
            case .success(let contents): bytes = contents
            case .failure(let failure):
                diagnostics.append(Diagnostic("cannot read script '\(path)' started by run-script: \(failure)", at: argument.range,
                                              hint: "a script run-script starts is checked with this one, before anything runs"))
                continue
            }
            var visiting = [path]
            let child = load(SourceFile(name: path, path: path, bytes: bytes), visiting: &visiting)
            children[path] = child
            script.children[path] = child
            loadChildren(of: child, scriptDirectory: Paths.directory(path), depth: depth + 1)
        }
    }

    /// The text of a path known before the run: all literal, or `$script_dir` then literal text.
    static func staticPath(_ expression: Expression, scriptDirectory: String) -> String? {
        guard case .word(let parts) = expression.kind, !parts.isEmpty else { return nil }
        var text = ""
        for (index, part) in parts.enumerated() {
            switch part.kind {
            case .literal(let piece, _): text += piece
            case .variable(let name, let fields) where index == 0 && name == "script_dir" && fields.isEmpty: text += scriptDirectory
            default: return nil
            }
        }
        return text
    }

    /// Every command of the statements, however nested: in blocks, conditions,
    /// function bodies and `$( … )` (the parser bounds the nesting).
    static func forEachCommand(in statements: [Statement], _ body: (Command) -> Void) {
        func visit(_ expression: Expression) {
            switch expression.kind {
            case .word(let parts):
                for part in parts { if case .substitution(let inner) = part.kind { visit(inner) } }
            case .list(let items): items.forEach { visit($0) }
            case .spread(let inner): visit(inner)
            }
        }
        func visit(_ pipeline: Pipeline) {
            switch pipeline.kind {
            case .command(let command):
                body(command)
                command.arguments.forEach { visit($0) }
            case .not(let inner): visit(inner)
            case .and(let left, let right), .or(let left, let right):
                visit(left)
                visit(right)
            case .compare(let left, _, let right):
                visit(left)
                visit(right)
            case .test(let value): visit(value)
            }
        }
        func visit(_ statements: [Statement]) {
            for statement in statements {
                switch statement.kind {
                case .let(_, let value), .assign(_, let value): visit(value)
                case .pipeline(let inner): visit(inner)
                case .if(let branches, let elseBlock):
                    for branch in branches {
                        visit(branch.condition)
                        visit(branch.body.statements)
                    }
                    if let elseBlock { visit(elseBlock.statements) }
                case .for(_, let list, let body):
                    visit(list)
                    visit(body.statements)
                case .while(let condition, let body):
                    visit(condition)
                    visit(body.statements)
                case .match(let subject, let arms, let elseBlock):
                    visit(subject)
                    for arm in arms { visit(arm.body.statements) }
                    if let elseBlock { visit(elseBlock.statements) }
                case .function(let declaration): visit(declaration.body.statements)
                case .return(let value), .exit(let value): if let value { visit(value) }
                case .try(let body, _, let handler):
                    visit(body.statements)
                    visit(handler.statements)
                case .lock(let path, let timeout, let body):
                    visit(path)
                    if let timeout { visit(timeout) }
                    visit(body.statements)
                case .cleanup(let body): visit(body.statements)
                case .break, .continue, .source: break
                }
            }
        }
        visit(statements)
    }

    mutating func load(_ file: SourceFile, visiting: inout [String]) -> Script {
        let (statements, parseDiagnostics, incomplete) = Parser.parse(file)
        diagnostics += parseDiagnostics
        if incomplete { self.incomplete = true }
        let script = Script(file: file, statements: statements)
        let directory = file.path.map(Paths.directory) ?? "."
        forEachSource(in: statements) { path in
            guard let relative = path.literalText else { return }
            let resolved = Paths.join(directory, relative)
            if visiting.contains(resolved) {
                diagnostics.append(Diagnostic("'\(relative)' sources itself (through \(visiting.map(Paths.base).joined(separator: " → ")))",
                                              at: path.range))
                return
            }
            if visiting.count >= Loader.maximumDepth {
                diagnostics.append(Diagnostic("'source' nested too deeply (more than \(Loader.maximumDepth) files)", at: path.range))
                return
            }
            if script.sourced[relative] != nil { return }
            if let earlier = parsed[resolved] {
                script.sourced[relative] = earlier
                return
            }
            if filesRead >= Loader.maximumFiles {
                diagnostics.append(Diagnostic("too many sourced files (more than \(Loader.maximumFiles))", at: path.range,
                                              hint: "does a folder link back to itself?"))
                return
            }
            filesRead += 1
            let bytes: [UInt8]
            switch readFile(resolved) {
            case .success(let contents): bytes = contents
            case .failure(let failure) where failure.irregularKind != nil:
                diagnostics.append(Diagnostic("sourced file '\(resolved)' is \(failure.irregularKind!), not a regular file", at: path.range,
                                              hint: "wds sources only regular files: reading anything else could wait for ever"))
                return
            case .failure(let failure):
                diagnostics.append(Diagnostic("cannot read sourced file '\(resolved)': \(failure)", at: path.range))
                return
            }
            visiting.append(resolved)
            let child = load(SourceFile(name: Loader.displayName(resolved), path: resolved, bytes: bytes), visiting: &visiting)
            visiting.removeLast()
            parsed[resolved] = child
            script.sourced[relative] = child
        }
        return script
    }

    static func displayName(_ path: String) -> String {
        path.hasPrefix("./") ? String(path.dropFirst(2)) : path
    }

    func forEachSource(in statements: [Statement], _ body: (Expression) -> Void) {
        for statement in statements {
            switch statement.kind {
            case .source(let path, _): body(path)
            case .if(let branches, let elseBlock):
                for branch in branches { forEachSource(in: branch.body.statements, body) }
                if let elseBlock { forEachSource(in: elseBlock.statements, body) }
            case .for(_, _, let block), .while(_, let block), .lock(_, _, let block), .cleanup(let block):
                forEachSource(in: block.statements, body)
            case .function(let declaration): forEachSource(in: declaration.body.statements, body)
            case .try(let block, _, let handler):
                forEachSource(in: block.statements, body)
                forEachSource(in: handler.statements, body)
            case .match(_, let arms, let elseBlock):
                for arm in arms { forEachSource(in: arm.body.statements, body) }
                if let elseBlock { forEachSource(in: elseBlock.statements, body) }
            default: break
            }
        }
    }

    public static func readFileFromDisk(_ path: String) -> [UInt8]? {
        try? FileBytes.contents(of: path, regularOnly: true).get()
    }
}
