/// What the kernel holds after a value is written to a sysctl, as far as wds
/// can tell without writing it. An integer sysctl (`proc_dointvec` and its
/// kin) reads each blank-separated word as a C integer in any base (`010` is
/// 8, `0x40` is 64) and prints the numbers back in decimal, tab-separated
/// (docs/kernel-notes.md); a string sysctl keeps what was written. /proc/sys
/// does not say which a key is, so the value the key holds before the write
/// decides: a key that prints a list of decimal integers is taken for an
/// integer one.
enum SysctlValue {
    /// A value as words: the kernel may print it with other blanks than were written.
    static func words(_ text: String) -> [Substring] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
    }

    /// What an integer sysctl that printed `current` prints after `written`
    /// is written to it (without the newline); nil where the key is not an
    /// integer one or the kernel would not read `written` as integers.
    static func kernelForm(of written: String, current: String) -> String? {
        let now = words(current)
        guard !now.isEmpty, now.allSatisfy({ decimal($0) != nil }) else { return nil }
        let new = words(written)
        guard !new.isEmpty else { return nil }
        var numbers: [String] = []
        for word in new {
            guard let number = integer(word) else { return nil }
            numbers.append(number)
        }
        return numbers.joined(separator: "\t")
    }

    /// Whether a key that prints `now` holds what `written` wrote to it.
    static func holds(_ now: String, written: String) -> Bool {
        if words(now) == words(written) { return true }
        guard let form = kernelForm(of: written, current: now) else { return false }
        return words(form) == words(now)
    }

    /// A decimal integer as the kernel prints it (`-3`, `42`).
    static func decimal(_ word: Substring) -> Substring? {
        let digits = word.hasPrefix("-") ? word.dropFirst() : word
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return word
    }

    /// A C integer in any base (`strtoul(…, 0)` after an optional `-`), printed
    /// in decimal; nil for anything else, or what does not fit 64 bits.
    static func integer(_ word: Substring) -> String? {
        let negative = word.hasPrefix("-")
        var digits = negative ? word.dropFirst() : word
        var radix = 10
        if digits.count > 2, digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            radix = 16
            digits = digits.dropFirst(2)
        } else if digits.count > 1, digits.hasPrefix("0") {
            radix = 8
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }), let value = UInt64(digits, radix: radix) else { return nil }
        return (negative && value != 0 ? "-" : "") + String(value)
    }
}
