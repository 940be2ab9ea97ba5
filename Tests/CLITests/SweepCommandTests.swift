import Foundation
import XCTest

/// `nnreg sweep`: the sweep folder's tables, halving, --jobs, --resume after SIGKILL, and
/// bad input.
final class SweepCommandTests: CLITestCase {
    /// A grid of 3 dropout rates x 2 L2 penalties on the tiny spec (10 epochs), 2 seeds,
    /// halving from 2 epochs with eta 3 (rungs of 2, 6 and 10 epochs); trials on 1 thread.
    @discardableResult
    private func sweepFile(_ name: String = "sweep.json", _ edit: (inout [String: Any]) -> Void = { _ in }) throws
        -> String
    {
        try tinySpec { spec in
            var training = spec["training"] as! [String: Any]
            training["threads"] = 1
            spec["training"] = training
            spec["early_stopping"] = NSNull()
        }
        var sweep: [String: Any] = [
            "spec": "tiny.json",
            "parameters": [
                "model.layers[1].rate": [0.0, 0.3, 0.6],
                "model.layers[0].kernel_regularizer": [NSNull(), ["l2": 0.001]],
            ],
            "seeds": [1, 2], "objective": ["monitor": "val_loss"], "halving": ["min_epochs": 2, "eta": 3],
            "output": ["dir": "sweep"],
        ]
        edit(&sweep)
        return try writeSpec(name, sweep)
    }

    /// trials.csv as rows of named fields, seconds and the rank that trained each left out.
    private func trials(_ folder: String) throws -> [[String: String]] {
        let lines = try read(folder + "/trials.csv").split(separator: "\n").map(String.init)
        let header = splitCSV(lines[0])
        return lines.dropFirst().map { line in
            var row = Dictionary(uniqueKeysWithValues: zip(header, splitCSV(line)))
            row["seconds"] = nil
            row["rank"] = nil
            return row
        }
    }

    func testHalvingSweepWritesRankedTablesFromValidationData() throws {
        try sweepFile()
        let o = try nnreg("sweep", "sweep.json", "--json")
        assertSuccess(o)
        let doc = try XCTUnwrap(json(o.stdout) as? [String: Any])
        let rows = try trials("sweep")
        XCTAssertEqual(rows.map { $0["id"]! }, (0..<6).flatMap { ["c0\($0)-s1", "c0\($0)-s2"] })
        // Halving: 6 configurations train 2 epochs, the best 2 go on to 6, the best of those to 10.
        let epochs = rows.map { Int($0["epochs_run"]!)! }
        XCTAssertEqual(epochs.filter { $0 == 2 }.count, 8)
        XCTAssertEqual(epochs.filter { $0 == 6 }.count, 2)
        XCTAssertEqual(epochs.filter { $0 == 10 }.count, 2)
        XCTAssertEqual(doc["epochs_trained"] as? Int, 8 * 2 + 2 * 6 + 2 * 10)
        // Those that went on had the best mean val_loss after 2 epochs: with no early stopping
        // a trial keeps its last epoch's weights, so its objective then was history's val_loss at epoch 2.
        func meanAt(_ config: String, _ epochs: Int) throws -> Double {
            let values = try (1...2).map { seed -> Double in
                let history = try XCTUnwrap(
                    json(read("sweep/trials/\(config)-s\(seed)/history.json")) as? [[String: Any]])
                return try XCTUnwrap(history[epochs - 1]["val_loss"] as? Double)
            }
            return values.reduce(0, +) / 2
        }
        let configs = Set(rows.map { $0["config"]! }).sorted()
        let continued = Set(rows.filter { Int($0["epochs_run"]!)! > 2 }.map { $0["config"]! })
        let byRung1 = try configs.sorted { try meanAt($0, 2) < meanAt($1, 2) }
        XCTAssertEqual(continued, Set(byRung1.prefix(2)))
        // summary.csv: the objective is the mean over seeds of each trial's best val_loss; rank 1 is best.json.
        let summary = try read("sweep/summary.csv").split(separator: "\n").map { splitCSV(String($0)) }
        let column = try XCTUnwrap(summary[0].firstIndex(of: "objective_mean"))
        let winner = summary[1][1]
        XCTAssertEqual(summary[1][0], "1")
        XCTAssertEqual(Double(summary[1][column])!, try meanAt(winner, 10), accuracy: 1e-12)
        let winnerMetrics = try (1...2).map { try jsonFile("sweep/trials/\(winner)-s\($0)/metrics.json") }
        let kept = winnerMetrics.map { ($0["validation"] as! [String: Any])["loss"] as! Double }
        // Within a rounding: Foundation's JSON parser may differ from Double(String) in the last digit.
        XCTAssertEqual(
            Double(summary[1][column])!, kept.reduce(0, +) / 2, accuracy: abs(kept[0]) * 1e-12,
            "metrics.json's validation loss")
        XCTAssertEqual(summary[1][summary[0].firstIndex(of: "status")!], "completed")
        let best = try XCTUnwrap(doc["best"] as? [String: Any])
        XCTAssertEqual(best["config"] as? String, winner)
        let bestSpec = try jsonFile("sweep/best.json")
        let rate = ((bestSpec["model"] as! [String: Any])["layers"] as! [[String: Any]])[1]["rate"] as! Double
        let winnerRow = rows.first { $0["config"] == winner }!
        XCTAssertEqual(rate, Double(winnerRow["model.layers[1].rate"]!)!)
        XCTAssertTrue(try read("sweep/report.md").contains("## Winner: \(winner)"))
        XCTAssertEqual(try jsonFile("sweep/trials/c00-s1/spec.json")["name"] as? String, "tiny-c00-s1")
        XCTAssertEqual(bestSpec["name"] as? String, "tiny", "best.json is the base spec with the winner's values")
        // sweep.svg: the objective per configuration (mean and each seed) and every trial's val_loss curve.
        let svg = try read("sweep/sweep.svg")
        for row in rows { XCTAssertTrue(svg.contains("data-run=\"\(row["id"]!)\""), row["id"]!) }
        XCTAssertTrue(svg.contains("data-series=\"mean\"") && svg.contains("data-series=\"seed 2\""))
        XCTAssertEqual(winnerRow["status"], "completed")
        XCTAssertTrue(rows.filter { $0["config"] != winner }.allSatisfy { $0["status"] == "pruned" })
    }

    func testJobsDoNotChangeResults() throws {
        try sweepFile()
        assertSuccess(try nnreg("sweep", "sweep.json", "--quiet", "--jobs", "1", "--output", "one"))
        assertSuccess(try nnreg("sweep", "sweep.json", "--quiet", "--jobs", "2", "--output", "two"))
        XCTAssertEqual(try trials("one"), try trials("two"))
        XCTAssertEqual(try read("one/summary.csv"), try read("two/summary.csv"))
    }

    func testResumeAfterSIGKILLGivesTheSameTrials() throws {
        try sweepFile()
        assertSuccess(try nnreg("sweep", "sweep.json", "--quiet", "--output", "whole"))
        // Killed in the second halving rung: the first rung's decision is in sweep.json.
        let child = try start("sweep", "sweep.json", "--output", "killed")
        XCTAssertTrue(child.waitForStdout(timeout: 60) { $0.contains("rung 2/3") })
        kill(child.process.processIdentifier, SIGKILL)
        _ = child.finish(timeout: 60)
        XCTAssertFalse(exists("killed/trials.csv"), "killed before the tables were written")
        let rungs = try XCTUnwrap(jsonFile("killed/sweep.json")["rungs"] as? [[String]])
        XCTAssertEqual(rungs.count, 1)
        XCTAssertEqual(rungs[0].count, 2)
        let resumed = try nnreg("sweep", "sweep.json", "--output", "killed", "--resume")
        assertSuccess(resumed)
        XCTAssertEqual(try trials("killed"), try trials("whole"))
        // A second --resume trains nothing.
        let again = try nnreg("sweep", "sweep.json", "--output", "killed", "--resume", "--json")
        assertSuccess(again)
        XCTAssertEqual(try trials("killed"), try trials("whole"))
    }

    func testAFailedTrialIsMarkedAndTheSweepGoesOn() throws {
        try sweepFile {
            $0["parameters"] = [
                "training.optimizer": [
                    ["type": "adam", "learning_rate": 0.01], ["type": "sgd", "learning_rate": 1e30],
                ]
            ]
            $0["halving"] = NSNull()
            $0["seeds"] = [1]
        }
        let o = try nnreg("sweep", "sweep.json", "--json")
        assertSuccess(o)
        let doc = try XCTUnwrap(json(o.stdout) as? [String: Any])
        XCTAssertEqual(doc["failed_trials"] as? Int, 1)
        XCTAssertEqual((doc["best"] as? [String: Any])?["config"] as? String, "c00")
        XCTAssertEqual(try trials("sweep").map { $0["status"]! }, ["completed", "failed"])
        XCTAssertTrue(o.stderr.contains("c01-s1: failed: error: loss became"), o.stderr)
    }

    func testBadInputIsRefusedWithTheKeyAndNothingWritten() throws {
        try sweepFile("random.json") { $0["method"] = "random" }
        var o = try nnreg("sweep", "random.json")
        XCTAssertEqual(o.status, 2)
        XCTAssertTrue(o.stderr.contains("trials: method \"random\" needs the number of trials to draw"), o.stderr)
        try sweepFile("range.json") {
            $0["parameters"] = ["training.optimizer.learning_rate": ["uniform": [0.01, 0.1]]]
        }
        o = try nnreg("sweep", "range.json")
        XCTAssertEqual(o.status, 2)
        XCTAssertTrue(o.stderr.contains("parameters.training.optimizer.learning_rate: a range needs method"), o.stderr)
        try sweepFile("rate.json") { $0["parameters"] = ["model.layers[1].rate": [0.5, 1.5]] }
        o = try nnreg("sweep", "rate.json")
        XCTAssertEqual(o.status, 2)
        XCTAssertTrue(o.stderr.contains("configuration c01 (model.layers[1].rate=1.5)"), o.stderr)
        try sweepFile("test.json") { $0["objective"] = ["monitor": "test_loss"] }
        o = try nnreg("sweep", "test.json")
        XCTAssertEqual(o.status, 2)
        XCTAssertTrue(o.stderr.contains("objective.monitor: must be a validation quantity"), o.stderr)
        XCTAssertFalse(exists("sweep"))
        o = try nnreg("sweep", "test.json", "--jobs", "0")
        XCTAssertEqual(o.status, 2)
    }

    func testAnEarlierSweepIsKeptUnlessOverwrittenAndForeignFilesStay() throws {
        try sweepFile {
            $0["parameters"] = ["model.layers[1].rate": [0.1, 0.2]]
            $0["halving"] = NSNull()
        }
        assertSuccess(try nnreg("sweep", "sweep.json", "--quiet"))
        try write("sweep/notes.txt", "mine")
        var o = try nnreg("sweep", "sweep.json", "--quiet")
        XCTAssertEqual(o.status, 2)
        XCTAssertTrue(o.stderr.contains("already holds a sweep"), o.stderr)
        // A smaller sweep replaces the earlier one: its trial folders go, the user's file stays.
        try sweepFile {
            $0["parameters"] = ["model.layers[1].rate": [0.4]]
            $0["halving"] = NSNull()
        }
        o = try nnreg("sweep", "sweep.json", "--quiet", "--overwrite")
        assertSuccess(o)
        XCTAssertEqual(try read("sweep/notes.txt"), "mine")
        XCTAssertTrue(exists("sweep/trials/c00-s1/metrics.json"))
        XCTAssertEqual(try trials("sweep").count, 2)
        // --resume with another sweep file is refused.
        try sweepFile {
            $0["parameters"] = ["model.layers[1].rate": [0.5]]
            $0["halving"] = NSNull()
        }
        o = try nnreg("sweep", "sweep.json", "--resume")
        XCTAssertEqual(o.status, 2)
        XCTAssertTrue(o.stderr.contains("records a different sweep"), o.stderr)
    }
}

/// One CSV line's fields (RFC 4180 quotes).
func splitCSV(_ line: String) -> [String] {
    var fields: [String] = [], field = "", quoted = false
    var chars = Array(line)[...]
    while let c = chars.popFirst() {
        if quoted {
            if c == "\"" {
                if chars.first == "\"" {
                    field.append("\"")
                    chars = chars.dropFirst()
                } else {
                    quoted = false
                }
            } else {
                field.append(c)
            }
        } else if c == "\"" {
            quoted = true
        } else if c == "," {
            fields.append(field)
            field = ""
        } else {
            field.append(c)
        }
    }
    return fields + [field]
}
