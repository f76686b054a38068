/// Quotes a word so that a POSIX shell reads it back as exactly one word.
/// The trace is only honest if every line it prints is replayable.
public func shellQuote(_ word: String) -> String {
    if !word.isEmpty && word.utf8.allSatisfy(isShellSafe) { return word }
    if word.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) || word.unicodeScalars.contains(where: actsOnTerminal) {
        // Keep one effect on one line: bash's $'…' spells control characters as escapes.
        var quoted = "$'"
        for scalar in word.unicodeScalars {
            switch scalar {
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case "\r": quoted += "\\r"
            case "'": quoted += "\\'"
            case "\\": quoted += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    quoted += "\\x" + (hex.count == 1 ? "0" + hex : hex)
                } else if actsOnTerminal(scalar) {
                    // bash reads \uHHHH in $'…' as that character: the line replays, and shows no control.
                    let hex = String(scalar.value, radix: 16)
                    quoted += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "'"
    }
    return "'" + word.replacingAll("'", with: "'\\''") + "'"
}

public func shellLine(_ argv: [String]) -> String {
    argv.map(shellQuote).joined(separator: " ")
}

private func isShellSafe(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ":"),
         UInt8(ascii: ","), UInt8(ascii: "+"), UInt8(ascii: "="), UInt8(ascii: "@"), UInt8(ascii: "%"):
        return true
    default:
        return false
    }
}

/// C1 controls and bidirectional overrides: a terminal acts on them (see Diagnostic.escaped).
private func actsOnTerminal(_ scalar: Unicode.Scalar) -> Bool {
    (0x80...0x9F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
}
