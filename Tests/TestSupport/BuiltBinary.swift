import Foundation

/// The `wds` binary that `swift build` put beside the test bundle (or
/// `WDS_BINARY`), for the tests that run the real command line.
public enum BuiltBinary {
    public static var wds: String {
        if let explicit = ProcessInfo.processInfo.environment["WDS_BINARY"] { return explicit }
        // On Linux the test binary is <build>/debug/<name>.xctest.
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("wds").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return "wds"
    }
}

/// Expected-output files made of `-- NAME` sections (golden and hostile scripts).
public enum ExpectedSections {
    public struct TextBeforeFirstSection: Error, CustomStringConvertible {
        public var description: String
    }

    /// The lines of each known section; a line `-- NAME` for a name not in `names` is content.
    public static func parse(_ text: String, names: [String], file: String) throws -> [String: [String]] {
        var sections: [String: [String]] = [:]
        var current: String?
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        for line in lines {
            if line.hasPrefix("-- "), names.contains(String(line.dropFirst(3))) {
                current = String(line.dropFirst(3))
                sections[current!] = []
            } else if let section = current {
                sections[section]!.append(line)
            } else {
                throw TextBeforeFirstSection(description: "\(file): text before the first section")
            }
        }
        return sections
    }
}
