import XCTest

@testable import NNReg

/// Spec leaves as `--set` paths, and the paths where specs differ.
final class SpecDiffTests: XCTestCase {
    private func json(_ text: String) throws -> JSON { try JSON.parse(text) }

    func testLeavesUseSetPaths() throws {
        let leaves = SpecDiff.leaves(try json(#"{"a": {"b": [1, {"c": null}], "d": {}}, "e": []}"#))
        XCTAssertEqual(leaves.map(\.path), ["a.b[0]", "a.b[1].c", "a.d", "e"])
        XCTAssertEqual(leaves.map(\.value), [1, .null, .object(.init()), .array([])])
    }

    func testDifferencesListOnlyDifferingPathsAndAbsentOnes() throws {
        let a = try json(#"{"seed": 1, "model": {"layers": [{"rate": 0.2}]}, "output": {"dir": "x"}}"#)
        let b = try json(#"{"seed": 1, "model": {"layers": [{"rate": 0.5}, {"units": 3}]}, "output": {"dir": "y"}}"#)
        let diff = SpecDiff.differences([a, b])
        XCTAssertEqual(diff.map(\.path), ["model.layers[0].rate", "model.layers[1].units"], "output.dir is ignored")
        XCTAssertEqual(diff[0].values, [0.2, 0.5])
        XCTAssertEqual(diff[1].values, [nil, 3])
        XCTAssertTrue(SpecDiff.differences([a, a]).isEmpty)
        XCTAssertEqual(SpecDiff.differences([a, b], ignoring: []).count, 3)
    }
}
