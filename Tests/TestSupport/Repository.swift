import Foundation

/// Where the tests find the checkout and the data kept in it. Everything a
/// test reads lives inside the repository, so a fresh clone tests alone.
public enum Repository {
    /// The checkout's root: this file is Tests/TestSupport/Repository.swift.
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The Warden reference cases (Tests/Fixtures/warden, see its README).
    public static var wardenReference: URL {
        root.appendingPathComponent("Tests/Fixtures/warden")
    }
}
