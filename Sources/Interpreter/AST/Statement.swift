import Lexer

/// A name as written, with its location (variables, functions, parameters).
public struct Identifier: Sendable {
    public var name: String
    public var range: SourceRange
    public init(_ name: String, _ range: SourceRange) {
        self.name = name
        self.range = range
    }

}

/// `{ … }`: a sequence of statements with the range of its braces.
public struct Block: Sendable {
    public var statements: [Statement]
    public var range: SourceRange
    public init(_ statements: [Statement], _ range: SourceRange) {
        self.statements = statements
        self.range = range
    }

    /// Whether a statement directly in the block can define a variable in the
    /// block's own scope (`let`, `source`; `def` and `cleanup` too, though the
    /// checker refuses them here). The one rule for when a block gets a scope
    /// of its own: the tree walk, the compiled code and the checker (which
    /// places each variable in the scopes the run makes) all follow it. A
    /// block without one runs in the enclosing scope, which no lookup,
    /// assignment or limit can tell apart from an empty scope of its own.
    public var definesVariables: Bool {
        statements.contains { statement in
            switch statement.kind {
            case .let, .source, .function, .cleanup: return true
            case .assign, .pipeline, .if, .for, .while, .match, .return, .exit, .break, .continue, .try, .lock: return false
            }
        }
    }
}

public struct Statement: Sendable {
    public indirect enum Kind: Sendable {
        /// `let name = value`
        case `let`(Identifier, Expression)
        /// `name = value`
        case assign(Identifier, Expression)
        /// Commands joined by `&&`, `||`, `!`: a failure here stops the script.
        case pipeline(Pipeline)
        /// `if c { } elif c { } else { }`
        case `if`([(condition: Pipeline, body: Block)], else: Block?)
        /// `for name in list { }`
        case `for`(Identifier, Expression, Block)
        /// `while c { }`
        case `while`(Pipeline, Block)
        /// `match value { pattern… { } else { } }`
        case match(Expression, [MatchArm], else: Block?)
        /// `def name(params) { }` (top level only)
        case function(FunctionDeclaration)
        case `return`(Expression?)
        case exit(Expression?)
        case `break`
        case `continue`
        /// `try { } catch [name] { }`
        case `try`(Block, catchName: Identifier?, Block)
        /// `lock path [timeout 10s] { }`: an flock held for the block.
        case lock(path: Expression, timeout: Expression?, Block)
        /// `source "file.wds"`: the file is parsed and checked with the script.
        case source(path: Expression, resolvedPath: String?)
        /// `cleanup { }`: run when the script ends, for any reason.
        case cleanup(Block)
    }

    public var kind: Kind
    public var range: SourceRange
    /// The keyword or command name: where most diagnostics point.
    public var keywordRange: SourceRange

    public init(_ kind: Kind, _ range: SourceRange, keyword: SourceRange? = nil) {
        self.kind = kind
        self.range = range
        self.keywordRange = keyword ?? range
    }
}

public struct MatchArm: Sendable {
    /// Literal words; `*` and `?` match as in shell `case`.
    public var patterns: [Expression]
    public var body: Block
}

public struct FunctionDeclaration: Sendable {
    public var name: Identifier
    public var parameters: [Identifier]
    public var body: Block
    public var range: SourceRange
}

/// Commands combined with `&&`, `||` and `!`, or a comparison `a == b`.
public struct Pipeline: Sendable {
    public indirect enum Kind: Sendable {
        case command(Command)
        case not(Pipeline)
        case and(Pipeline, Pipeline)
        case or(Pipeline, Pipeline)
        case compare(Expression, ComparisonOperator, Expression)
        /// A single `$value` standing as a condition: true for `true`.
        case test(Expression)
    }

    public var kind: Kind
    public var range: SourceRange

    public init(_ kind: Kind, _ range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}

public enum ComparisonOperator: String, Sendable, CaseIterable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
}

/// `name arg arg…`. The name is always a literal word: wds never runs a
/// command whose name comes from a value.
public struct Command: Sendable {
    public var name: Identifier
    public var arguments: [Expression]
    public var range: SourceRange

    public init(name: Identifier, arguments: [Expression], range: SourceRange) {
        self.name = name
        self.arguments = arguments
        self.range = range
    }
}

/// A parsed file: its statements and the files it sources.
public final class Script: @unchecked Sendable {
    public let file: SourceFile
    public let statements: [Statement]
    /// Sourced scripts by resolved path, filled by the loader.
    public var sourced: [String: Script] = [:]
    /// Scripts this one (or a file it sources) starts with `run-script` at a
    /// path known before it runs, by absolute path: loaded with it, and
    /// checked with it, so a mistake in one stops them all before anything runs.
    public var children: [String: Script] {
        get { childReferences.mapValues(\.script) }
        set { childReferences = newValue.mapValues(ChildReference.init) }
    }
    /// Held unowned: a script that starts itself (or its parent) is a cycle,
    /// which strong references would keep alive for ever (a leak in the REPL
    /// and the language server, which load scripts again and again). The
    /// scripts themselves are owned by the script the loader started from.
    private var childReferences: [String: ChildReference] = [:]
    private struct ChildReference {
        unowned let script: Script
    }
    /// Every `run-script` child loaded with this script, at any depth: set on
    /// the script the loader started from, which keeps them alive.
    public internal(set) var loadedChildren: [String: Script] = [:]
    /// Where the checker placed this file's variable uses and which function
    /// each call names (Checker, Resolutions).
    public let resolutions = Resolutions()

    public init(file: SourceFile, statements: [Statement]) {
        self.file = file
        self.statements = statements
    }
}
