import Foundation
import XCTest

/// Sequence runs report the persistence baseline (naive_loss, skill) in metrics.json, the
/// summary and `evaluate`, warn when the model is worse than it, and keep
/// data.sequence.target_transform with the model.
final class ForecastCLITests: CLITestCase {
    /// A line plus a sine over 300 rows, and a spec that forecasts it with a small LSTM:
    /// the test rows lie above the training range, so forecasting levels loses to
    /// persistence.
    @discardableResult
    func trendSpec(transform: String = "none") throws -> String {
        let rows = (0..<300).map { t in "\(t),\(0.05 * Double(t) + sin(2 * Double.pi * Double(t) / 16))\n" }
        try write("trend.csv", "t,y\n" + rows.joined())
        let spec: [String: Any] = [
            "name": "trend", "seed": 7,
            "data": [
                "train": path("trend.csv"), "normalization": "featurewise", "validation_split": 0.1,
                "test_split": 0.2,
                "sequence": ["window": 16, "target": "y", "features": ["y"], "target_transform": transform],
            ],
            "model": ["layers": [["type": "lstm", "units": 4], ["type": "dense", "units": 1]]],
            "training": [
                "loss": "mse", "metrics": ["mae"], "optimizer": ["type": "adam", "learning_rate": 0.01],
                "epochs": 2, "batch_size": 16,
            ],
            "output": ["dir": "run"],
        ]
        return try writeSpec("trend.json", spec)
    }

    func testMetricsSummaryAndEvaluateGiveNaiveLossAndSkillAndWarn() throws {
        try trendSpec()
        let train = try nnreg("train", "trend.json")
        assertSuccess(train)
        let metrics = try jsonFile("run/metrics.json")
        for part in ["test", "validation"] {
            let section = try XCTUnwrap(metrics[part] as? [String: Any], part)
            let loss = try XCTUnwrap(section["loss"] as? Double)
            let naive = try XCTUnwrap(section["naive_loss"] as? Double)
            let skill = try XCTUnwrap(section["skill"] as? Double)
            XCTAssertEqual(skill, 1 - loss / naive, accuracy: 1e-12, part)
            XCTAssertLessThan(skill, 0, "\(part): levels above the training range lose to persistence")
            XCTAssertTrue(
                train.stdout.contains("\(part): loss: \(String(format: "%.4f", loss))"), train.stdout)
            XCTAssertTrue(
                train.stdout.contains(" - naive_loss: \(String(format: "%.4f", naive)) - skill: "), train.stdout)
            XCTAssertTrue(
                train.stderr.contains(
                    "warning: \(part) skill \(fmt4(skill)): the model forecasts worse than repeating the last value"),
                train.stderr)
        }
        XCTAssertTrue(train.stderr.contains(#"try data.sequence.target_transform "difference""#), train.stderr)
        XCTAssertTrue(try read("run/forecast.svg").contains("test window, forecast t+1 (1: 257, 44: 300)"))

        let evaluate = try nnreg("evaluate", "--model", "run", "--data", "trend.csv", "--json")
        assertSuccess(evaluate)
        let doc = try XCTUnwrap(json(evaluate.stdout) as? [String: Any])
        XCTAssertEqual(Set(doc.keys), ["loss", "mae", "naive_loss", "skill", "samples"])
        XCTAssertTrue(evaluate.stderr.hasPrefix("warning: trend.csv skill "), evaluate.stderr)
    }

    /// With "difference" the run beats persistence (no warning), and a saved model undoes
    /// the transform: `predict` writes levels next to the data, `evaluate` judges levels.
    func testDifferenceIsStoredWithTheModel() throws {
        try trendSpec(transform: "difference")
        let train = try nnreg("train", "trend.json", "--quiet")
        assertSuccess(train)
        XCTAssertEqual(train.stderr, "")
        let test = try XCTUnwrap(try jsonFile("run/metrics.json")["test"] as? [String: Any])
        XCTAssertGreaterThan(try XCTUnwrap(test["skill"] as? Double), 0)

        let predict = try nnreg("predict", "--model", "run", "--data", "trend.csv")
        assertSuccess(predict)
        XCTAssertEqual(predict.lines.first, "row,y")
        XCTAssertEqual(predict.lines.count, 1 + 300 - 1 - 16 + 1, "the first row has no previous row")
        let last = try XCTUnwrap(predict.lines.last?.split(separator: ",").last.flatMap { Double($0) })
        XCTAssertEqual(last, 0.05 * 300 + sin(2 * Double.pi * 300 / 16), accuracy: 0.5, "a level, not a change")

        let evaluate = try nnreg("evaluate", "--model", "run", "--data", "trend.csv", "--json")
        assertSuccess(evaluate)
        let doc = try XCTUnwrap(json(evaluate.stdout) as? [String: Any])
        XCTAssertEqual(doc["samples"] as? Int, 300 - 1 - 16)
        XCTAssertGreaterThan(try XCTUnwrap(doc["skill"] as? Double), 0)
    }

    /// log_difference needs values > 0: a zero is a data error (exit status 2) at its line.
    func testLogDifferenceOfZeroIsAnErrorAtItsLine() throws {
        try trendSpec(transform: "log_difference")
        let train = try nnreg("train", "trend.json")
        XCTAssertEqual(train.status, 2, train.stderr)
        XCTAssertTrue(train.stderr.hasPrefix("error: \(path("trend.csv")):2: y is 0.0; "), train.stderr)
        XCTAssertFalse(exists("run"), "nothing trained")
    }

    /// A sweep over a series has the baseline's columns: test_skill and friends in
    /// trials.csv (from each trial's metrics.json) and their means in summary.csv; its
    /// objective may be val_skill, which ranks upwards.
    func testSweepTablesCarryNaiveLossAndSkill() throws {
        try trendSpec()
        try writeSpec(
            "sweep.json",
            [
                "spec": "trend.json", "parameters": ["data.sequence.target_transform": ["none", "difference"]],
                "seeds": [1], "objective": ["monitor": "val_skill"], "output": ["dir": "sweep"],
            ])
        assertSuccess(try nnreg("sweep", "sweep.json", "--set", "training.epochs=1", timeout: 120))
        let lines = try read("sweep/trials.csv").split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        let columns = ["val_naive_loss", "val_skill", "test_naive_loss", "test_skill"]
        for column in columns { XCTAssertTrue(lines[0].contains(Substring(column)), "\(lines[0])") }
        for row in lines.dropFirst() {
            let id = String(row[0])
            let test = try XCTUnwrap(try jsonFile("sweep/trials/\(id)/metrics.json")["test"] as? [String: Any])
            let skill = try XCTUnwrap(lines[0].firstIndex(of: "test_skill"))
            let expected = try XCTUnwrap(test["skill"] as? Double)
            XCTAssertEqual(try XCTUnwrap(Double(row[skill])), expected, accuracy: 1e-12 * abs(expected), id)
        }
        let summary = try read("sweep/summary.csv").split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        for column in columns { XCTAssertTrue(summary[0].contains(Substring(column + "_mean")), "\(summary[0])") }
        // val_skill ranks upwards: the first configuration has the higher skill.
        let skill = try XCTUnwrap(summary[0].firstIndex(of: "val_skill_mean"))
        XCTAssertGreaterThan(try XCTUnwrap(Double(summary[1][skill])), try XCTUnwrap(Double(summary[2][skill])))
    }
}
