import Foundation
import XCTest

/// `nnreg diagnose` on a trained tiny run: the JSON document, the text report, and exit
/// status 2 for what the user must fix.
final class DiagnoseTests: CLITestCase {
    /// Trains tiny.json (changed by `edit`) into "run".
    func trainTiny(_ edit: (inout [String: Any]) -> Void = { _ in }) throws {
        try tinySpec("tiny.json", edit)
        assertSuccess(try nnreg("train", "tiny.json", "--quiet"))
    }

    /// `nnreg` with a list of arguments.
    func nnreg(list arguments: [String]) throws -> Outcome { try Child(arguments, in: dir).finish(timeout: 60) }

    func testJSONDocumentOfATrainedRun() throws {
        try trainTiny()
        let o = try nnreg("diagnose", "run", "--json")
        assertSuccess(o)
        XCTAssertEqual(o.stderr, "")
        let doc = try XCTUnwrap(json(o.stdout) as? [String: Any])
        XCTAssertEqual(
            Set(doc.keys),
            [
                "verdict", "train_error", "validation_error", "baseline_error", "avoidable_bias", "variance",
                "evidence", "suggestions",
            ])
        let verdict = try XCTUnwrap(doc["verdict"] as? String)
        XCTAssertTrue(["high_bias", "high_variance", "high_bias_and_variance", "good_fit"].contains(verdict))
        XCTAssertTrue(doc["baseline_error"] is NSNull)
        let train = try XCTUnwrap(doc["train_error"] as? Double)
        let validation = try XCTUnwrap(doc["validation_error"] as? Double)
        XCTAssertEqual(doc["avoidable_bias"] as? Double, train)
        XCTAssertEqual(try XCTUnwrap(doc["variance"] as? Double), validation - train, accuracy: 1e-12)
        // model.safetensors holds the weights metrics.json's validation numbers were measured with.
        let metrics = try XCTUnwrap((try jsonFile("run/metrics.json"))["validation"] as? [String: Double])
        XCTAssertEqual(validation, 1 - metrics["accuracy"]!, accuracy: 1e-12)
        XCTAssertFalse(try XCTUnwrap(doc["evidence"] as? [String]).isEmpty)

        // Every suggestion's set lines are --set arguments nnreg accepts for the run's spec.
        let suggestions = try XCTUnwrap(doc["suggestions"] as? [[String: Any]])
        XCTAssertEqual(suggestions.isEmpty, verdict == "good_fit")
        for s in suggestions {
            XCTAssertEqual(Set(s.keys), ["technique", "reason", "set"])
            let sets = try XCTUnwrap(s["set"] as? [String])
            if sets.isEmpty { continue }
            let check = try nnreg(list: ["validate", "run/spec.json"] + sets.flatMap { ["--set", $0] })
            XCTAssertEqual(check.status, 0, "\(s["technique"]!): \(sets): \(check.stderr)")
        }

        let baseline = try XCTUnwrap(
            json(try nnreg("diagnose", "run", "--json", "--baseline-error", "0.5").stdout) as? [String: Any])
        XCTAssertEqual(baseline["baseline_error"] as? Double, 0.5)
        XCTAssertEqual(try XCTUnwrap(baseline["avoidable_bias"] as? Double), train - 0.5, accuracy: 1e-12)
    }

    func testTextReportGivesTheTrainCommands() throws {
        try trainTiny()
        let doc = try XCTUnwrap(json(try nnreg("diagnose", "run", "--json").stdout) as? [String: Any])
        let o = try nnreg("diagnose", "run")
        assertSuccess(o)
        XCTAssertEqual(o.lines.first, "verdict: \(doc["verdict"]!)")
        XCTAssertTrue(o.lines.contains("training error:   \(fmt4(doc["train_error"] as! Double)) (inference mode)"))
        for line in doc["evidence"] as! [String] { XCTAssertTrue(o.lines.contains("  - " + line), line) }
        for s in try XCTUnwrap(doc["suggestions"] as? [[String: Any]]) {
            let sets = try XCTUnwrap(s["set"] as? [String])
            if sets.isEmpty { continue }
            let technique = try XCTUnwrap(s["technique"] as? String)
            let command = o.lines.first { $0.hasPrefix("     nnreg train run/spec.json --output run-\(technique) ") }
            XCTAssertNotNil(command, "\(technique):\n\(o.stdout)")
        }
    }

    func testBadInputExits2() throws {
        try FileManager.default.createDirectory(atPath: path("empty"), withIntermediateDirectories: true)
        try trainTiny()
        try FileManager.default.copyItem(atPath: path("run"), toPath: path("unfinished"))
        try FileManager.default.removeItem(atPath: path("unfinished/model.safetensors"))
        let cases: [([String], String)] = [
            (["diagnose", "missing"], "error: missing: no such run folder"),
            (["diagnose", "empty"], "error: empty is not a run folder (it has no spec.json)"),
            (["diagnose", "run/spec.json"], "error: run/spec.json is not a run folder"),
            (["diagnose", "unfinished"], "error: unfinished/model.safetensors is missing"),
            (["diagnose", "run", "--baseline-error=-0.1"], "Error: --baseline-error must be a number >= 0"),
            (["diagnose", "run", "--baseline-error", "nan"], "Error: --baseline-error must be a number >= 0"),
            (["diagnose", "run", "--baseline-error", "inf"], "Error: --baseline-error must be a number >= 0"),
            (
                ["diagnose", "run", "--baseline-error", "abc"],
                "Error: The value 'abc' is invalid for '--baseline-error"
            ),
            (["diagnose", "run", "--baseline-error", "1.5"], "error: --baseline-error: is an error rate"),
            (["diagnose", ""], "Error: RUN is empty"),
        ]
        for (arguments, message) in cases {
            let o = try nnreg(list: arguments)
            XCTAssertEqual(o.status, 2, "\(arguments): \(o.stderr)")
            XCTAssertEqual(o.stdout, "", "\(arguments)")
            XCTAssertTrue(o.stderr.hasPrefix(message), "\(arguments): \(o.stderr)")
        }
    }

    func testARunWithoutValidationDataIsBadInput() throws {
        try trainTiny { spec in
            var data = spec["data"] as! [String: Any]
            data["validation_split"] = 0
            spec["data"] = data
            spec["early_stopping"] = NSNull()
            var training = spec["training"] as! [String: Any]
            training["epochs"] = 2
            spec["training"] = training
        }
        let o = try nnreg("diagnose", "run")
        XCTAssertEqual(o.status, 2, o.stderr)
        XCTAssertTrue(o.stderr.contains("the run has no validation data"), o.stderr)
        XCTAssertTrue(o.stderr.contains("--set data.validation_split=0.2"), o.stderr)
    }
}
