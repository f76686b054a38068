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
    let readFile: (String) -> [UInt8]?

    public init(readFile: @escaping (String) -> [UInt8]? = Loader.readFileFromDisk) {
        self.readFile = readFile
    }

    /// Loads a file from disk; nil with a diagnostic when it cannot be read.
    public mutating func load(path: String, name: String? = nil) -> Script? {
        guard let bytes = readFile(path) else {
            diagnostics.append(Diagnostic("cannot read script '\(path)'", at: nil))
            return nil
        }
        return load(SourceFile(name: name ?? path, path: path, bytes: bytes))
    }

    public mutating func load(_ file: SourceFile) -> Script {
        var visiting: [String] = [file.path ?? file.name]
        return load(file, visiting: &visiting)
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
            guard let bytes = readFile(resolved) else {
                diagnostics.append(Diagnostic("cannot read sourced file '\(resolved)'", at: path.range))
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
        FileBytes.read(path)
    }
}
