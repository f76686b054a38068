import Lexer

/// What the checker found out about a script's variable uses and calls,
/// kept beside its AST (which is values with ranges) and keyed by the byte
/// offset where each use starts in the script's file: the use `$name` (its
/// `$`), the assigned name of `name = …`, the name of a called command.
/// The compiled code and the tree walk consult it (Interpreter.resolutions)
/// so that a run goes straight to a variable's slot and to a function's
/// declaration instead of looking names up.
///
/// A use seen in two contexts that place it differently (a file sourced in
/// two places, a script checked twice with different knowledge) is
/// `unresolved`: the run then looks it up by name, as it would anyway.
public final class Resolutions: @unchecked Sendable {
    /// Where a use's variable lives: `hops` scopes out from the scope the use
    /// runs in, at `index` in that scope's slots (Scope).
    enum Variable: Equatable {
        case slot(hops: Int, index: Int)
        case unresolved
    }

    /// The script function a call names: the same declaration however the
    /// run reaches the call (functions are hoisted), or unresolved.
    enum Function {
        case declaration(FunctionDeclaration)
        case unresolved

        func same(as other: Function) -> Bool {
            switch (self, other) {
            case (.declaration(let a), .declaration(let b)): return a.range == b.range
            case (.unresolved, .unresolved): return true
            default: return false
            }
        }
    }

    private(set) var variables: [Int: Variable] = [:]
    private(set) var functions: [Int: Function] = [:]

    public init() {}

    var isEmpty: Bool { variables.isEmpty && functions.isEmpty }

    /// Records what one check found for the use at `offset`; a second, different answer unresolves it.
    func record(_ variable: Variable, at offset: Int) {
        if let known = variables[offset], known != variable {
            variables[offset] = .unresolved
        } else {
            variables[offset] = variable
        }
    }

    func record(_ function: Function, at offset: Int) {
        if let known = functions[offset], !known.same(as: function) {
            functions[offset] = .unresolved
        } else {
            functions[offset] = function
        }
    }
}
