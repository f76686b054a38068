@testable import Interpreter
import XCTest

/// What a compiled use of a variable relies on (VariableCache): a variable
/// keeps its place in its scope for the scope's life, every scope of a run
/// has its own id, and a scope answers for its own variables only. The
/// golden scripts in Scripts/compiled check the behaviour that results.
final class ScopePlaceTests: XCTestCase {
    func testAVariableKeepsItsPlaceWhenRedefinedOrAssigned() throws {
        let scope = Scope(parent: nil)
        try scope.define("x", .integer(1))
        try scope.define("y", .string("a"))
        XCTAssertEqual(scope.place(of: "x"), 0)
        XCTAssertEqual(scope.place(of: "y"), 1)
        try scope.define("x", .string("again"))
        XCTAssertTrue(try scope.assign("y", .integer(2)))
        try scope.define("z", .boolean(true))
        XCTAssertEqual(scope.place(of: "x"), 0)
        XCTAssertEqual(scope.place(of: "y"), 1)
        XCTAssertEqual(scope.place(of: "z"), 2)
        XCTAssertEqual(scope.slots[0].value, .string("again"))
        XCTAssertEqual(scope.slots[1].value, .integer(2))
        XCTAssertEqual(Set(scope.names), ["x", "y", "z"])
    }

    func testAScopeAnswersForItsOwnVariablesOnly() throws {
        let outer = Scope(parent: nil)
        try outer.define("x", .integer(1))
        let inner = Scope(parent: outer)
        XCTAssertNil(inner.place(of: "x"))
        XCTAssertEqual(inner.lookup("x"), .integer(1))
        // Assigning through the inner scope changes the outer variable, at its place.
        XCTAssertTrue(try inner.assign("x", .integer(5)))
        XCTAssertNil(inner.place(of: "x"))
        XCTAssertEqual(outer.slots[0].value, .integer(5))
        // A `let` in the inner scope shadows it there, at a place of the inner scope.
        try inner.define("x", .integer(9))
        XCTAssertEqual(inner.place(of: "x"), 0)
        XCTAssertEqual(inner.lookup("x"), .integer(9))
        XCTAssertEqual(outer.lookup("x"), .integer(5))
        XCTAssertFalse(try inner.assign("missing", .integer(0)))
    }

    func testScopesOfARunHaveDistinctIds() {
        let globals = Scope(parent: nil)
        var ids: Set<Int> = [globals.id]
        for _ in 0..<100 {
            // Each made and dropped at once, as a loop's rounds make them: an id is never reused.
            ids.insert(Scope(parent: globals).id)
        }
        XCTAssertEqual(ids.count, 101)
    }

    func testReplacingAVariableCountsOnlyTheDifferenceAgainstTheBudget() throws {
        let scope = Scope(parent: nil)
        try scope.define("text", .string("abcd"))
        XCTAssertEqual(scope.budget.held, 16 + 4)
        try scope.define("text", .string("ab"))
        XCTAssertEqual(scope.budget.held, 16 + 2)
        XCTAssertTrue(try scope.assign("text", .integer(7)))
        XCTAssertEqual(scope.budget.held, 16)
        do {
            let inner = Scope(parent: scope)
            try inner.define("more", .string("xyz"))
            XCTAssertEqual(scope.budget.held, 16 + 16 + 3)
        }
        // The inner scope has ended: what it held is given back.
        XCTAssertEqual(scope.budget.held, 16)
    }
}
