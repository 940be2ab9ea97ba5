import Foundation
import XCTest

/// `nnreg compare`: two real runs side by side, the key that differs, --plot, --json and
/// bad input (exit status 2, nothing written).
final class CompareCommandTests: CLITestCase {
    /// Trains the tiny spec for 3 epochs into `folder` with dropout `rate`.
    private func train(_ folder: String, rate: String) throws {
        assertSuccess(
            try nnreg(
                "train", "tiny.json", "--quiet", "--epochs", "3", "--output", folder, "--set",
                "model.layers[1].rate=\(rate)"))
    }

    func testComparesTwoRunsShowingTheKeyThatDiffers() throws {
        try tinySpec()
        try train("low", rate: "0.2")
        try train("high", rate: "0.5")
        let runs = try snapshot("low").merging(snapshot("high").mapKeys { "high/" + $0 }) { a, _ in a }

        let text = try nnreg("compare", "low", "high", "--plot", "plots/dropout.svg")
        assertSuccess(text)
        let lines = text.lines
        XCTAssertTrue(lines.first?.hasPrefix("run ") == true, text.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("low ") } && lines.contains { $0.hasPrefix("high ") })
        for column in ["loss", "val_accuracy", "test_accuracy", "gap_loss", "epochs", "seconds"] {
            XCTAssertTrue(lines.first?.split(separator: " ").contains(Substring(column)) == true, column)
        }
        XCTAssertTrue(lines.contains("Spec keys that differ:"), text.stdout)
        XCTAssertTrue(text.stdout.contains("model.layers[1].rate"), text.stdout)
        XCTAssertFalse(text.stdout.contains("output.dir"), "the run folders' names are not a difference")
        XCTAssertEqual(text.stderr, "wrote the curves of 2 runs to plots/dropout.svg\n")
        let svg = try read("plots/dropout.svg")
        XCTAssertTrue(svg.hasPrefix("<?xml") && svg.contains("data-run=\"low\"") && svg.contains("data-run=\"high\""))

        let md = try nnreg("compare", "low", "high", "--format", "md")
        assertSuccess(md)
        XCTAssertTrue(md.lines.contains { $0.hasPrefix("| low | ") }, md.stdout)

        let doc = try nnreg("compare", "low", "high", "--json")
        assertSuccess(doc)
        let object = try XCTUnwrap(try json(doc.stdout) as? [String: Any])
        XCTAssertEqual(object["differences"] as? [String], ["model.layers[1].rate"])
        let rows = try XCTUnwrap(object["runs"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["run"] as? String }, ["low", "high"])
        XCTAssertEqual(rows.map { ($0["spec"] as? [String: Double])?["model.layers[1].rate"] }, [0.2, 0.5])
        XCTAssertEqual(rows.map { $0["epochs_run"] as? Int }, [3, 3])
        XCTAssertNotNil((rows[0]["test"] as? [String: Any])?["accuracy"] as? Double)

        let after = try snapshot("low").merging(snapshot("high").mapKeys { "high/" + $0 }) { a, _ in a }
        XCTAssertEqual(after, runs, "the runs' files are untouched")
    }

    func testBadInputExitsWithTwoAndWritesNothing() throws {
        try tinySpec()
        try train("run", rate: "0.3")
        try FileManager.default.createDirectory(atPath: path("empty"), withIntermediateDirectories: true)
        // A sweep folder as nnreg sweep lays it out: its trials' run folders under trials/.
        try FileManager.default.createDirectory(atPath: path("sweep/trials"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: path("run"), toPath: path("sweep/trials/0001-s1"))
        let sweep = try nnreg("compare", "sweep")
        assertSuccess(sweep)
        XCTAssertTrue(sweep.lines.contains { $0.hasPrefix("sweep/trials/0001-s1 ") }, sweep.stdout)
        let cases: [([String], String)] = [
            (["compare", "run", "missing"], "error: missing: no such run folder"),
            (["compare", "empty"], "error: empty: not a run folder (no spec.json)"),
            (["compare", "run", "--plot", "run/overlay.svg"], "error: run/overlay.svg: is inside run, which is"),
            (["compare", "run", "--plot", "overlay.png"], "error: overlay.png: --plot writes an SVG file"),
            (
                ["compare", "sweep", "--plot", "sweep/overlay.svg"],
                "error: sweep/overlay.svg: is inside sweep, which is"
            ),
        ]
        for (arguments, message) in cases {
            let o = try Child(arguments, in: dir).finish(timeout: 30)
            XCTAssertEqual(o.status, 2, "\(arguments): \(o.stderr)")
            XCTAssertTrue(o.stderr.contains(message), "\(arguments): \(o.stderr)")
            XCTAssertEqual(o.stdout, "", "\(arguments)")
        }
        try write("run/metrics.json", "{\"test\": null,\n  \"epochs_run\": 3,\n}\n")
        let damaged = try nnreg("compare", "run", "--plot", "overlay.svg")
        XCTAssertEqual(damaged.status, 2)
        XCTAssertEqual(
            damaged.stderr,
            "error: run/metrics.json: not valid JSON: line 3, column 1: expected a string key, got '}' "
                + "(JSON allows no trailing comma)\n")
        XCTAssertFalse(
            exists("overlay.svg") || exists("run/overlay.svg") || exists("overlay.png") || exists("sweep/overlay.svg"))
    }
}

extension Dictionary {
    fileprivate func mapKeys(_ transform: (Key) -> Key) -> [Key: Value] {
        Dictionary(uniqueKeysWithValues: map { (transform($0.key), $0.value) })
    }
}
