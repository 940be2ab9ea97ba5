import Foundation
import XCTest

@testable import NNReg

/// The naive baselines (naive_loss, skill, seasonal_naive_loss) and
/// data.sequence.target_transform. Oracles: losses worked by hand on tiny series; the
/// transforms' definitions; on a synthetic trending series, the sign of the skill.
final class ForecastTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    let mse = LossConfig(name: "mean_squared_error")

    private func source(_ text: String) -> CSV.Source { .bytes(Array(text.utf8), name: "series.csv") }

    /// "t,y" rows of `values`, t = 1, 2, ...
    private func csv(_ values: [Double]) -> String {
        "t,y\n" + values.enumerated().map { "\($0.offset + 1),\($0.element)\n" }.joined()
    }

    private func load(_ text: String, window: Int, horizon: Int = 1, transform: TargetTransform = .none)
        throws -> SequenceData
    {
        try SequenceLoader.load(
            train: source(text), options: SequenceOptions(window: window, horizon: horizon, transform: transform))
    }

    // MARK: the naive baselines

    /// y = 1, 2, 4, 7, 11, 16, window 2, no scaling. Horizon 1: windows end at 2, 4, 7, 11
    /// and their targets are 4, 7, 11, 16: errors 2, 3, 4, 5, mse (4 + 9 + 16 + 25) / 4 = 13.5.
    /// Horizon 2: targets (4, 7), (7, 11), (11, 16) from 2, 4, 7: errors 2, 5, 3, 7, 4, 9,
    /// mse 184 / 6. Season 2, horizon 1: each target from the value two rows before it:
    /// 1, 2, 4, 7 for 4, 7, 11, 16: errors 3, 5, 7, 9, mse 164 / 4 = 41; mae 24 / 4 = 6.
    func testPersistenceLossByHand() throws {
        let values: [Double] = [1, 2, 4, 7, 11, 16]
        let one = try load(csv(values), window: 2)
        let naive = ForecastEvaluation(scaler: one.scaler, loss: mse)
        XCTAssertEqual(naive.naiveLoss(one.train), 13.5, accuracy: 1e-12)
        XCTAssertEqual(naive.naiveLoss(one.train, season: 2), 41, accuracy: 1e-12)
        let mae = ForecastEvaluation(scaler: one.scaler, loss: LossConfig(name: "mean_absolute_error"))
        XCTAssertEqual(mae.naiveLoss(one.train, season: 2), 6, accuracy: 1e-12)
        let two = try load(csv(values), window: 2, horizon: 2)
        XCTAssertEqual(
            ForecastEvaluation(scaler: two.scaler, loss: mse).naiveLoss(two.train), 184.0 / 6, accuracy: 1e-6)
    }

    /// Featurewise scaling divides every error by (std + 1e-6): the naive loss is in the
    /// target's scaled units. y = 1, 2, 4, 7, 11, 16, 22, 29, 37; test_split 1/3 takes the
    /// last 3 rows. Training windows of 2: 2 -> 4, 4 -> 7, 7 -> 11, 11 -> 16 (errors 2, 3,
    /// 4, 5); the test window 22, 29 -> 37 (error 8). std: population std
    /// of the 6 training values.
    func testPersistenceLossIsInTheScaledUnitsOfTheTarget() throws {
        let values: [Double] = [1, 2, 4, 7, 11, 16, 22, 29, 37]
        let d = try SequenceLoader.load(
            train: source(csv(values)),
            options: SequenceOptions(window: 2, testSplit: 1.0 / 3, normalization: .featurewise))
        let train = values.prefix(6), mean = train.reduce(0, +) / 6
        let std = (train.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6).squareRoot() + 1e-6
        let evaluation = ForecastEvaluation(scaler: d.scaler, loss: mse)
        XCTAssertEqual(evaluation.naiveLoss(d.train), 13.5 / (std * std), accuracy: 1e-5 * 13.5 / (std * std))
        XCTAssertEqual(evaluation.naiveLoss(try XCTUnwrap(d.test)), 64 / (std * std), accuracy: 1e-5 * 64 / (std * std))
    }

    // MARK: target_transform round trips

    /// "difference" undoes itself exactly on the committed CO2 series (each week within a
    /// factor 2 of the one before: Sterbenz); "log_difference" to float rounding: within
    /// one unit in the last place of each level, accumulated over all 2284 weeks (on this
    /// series every week happens to come back exactly; in general a step may round).
    func testDifferenceRoundTripsExactlyAndLogDifferenceToFloatRounding() throws {
        let co2 = try SequenceSeries.read(
            .path(Self.root + "/data/co2/co2_weekly.csv"), target: nil, features: nil, missing: .interpolate)
        for transform in [TargetTransform.difference, .logDifference] {
            let changed = try transform.apply(co2)
            XCTAssertEqual(changed.count, co2.count - 1)
            XCTAssertEqual(changed.levels, Array(co2.target.dropFirst()))
            XCTAssertEqual(changed.features, changed.target, "the target's input column holds the changes too")
            var level = co2.target[0]
            var worst: Float = 0
            for t in 0..<changed.count {
                level = transform.level(after: level, change: changed.target[t])
                worst = max(worst, abs(level - co2.target[t + 1]) / co2.target[t + 1].ulp)
                if transform == .difference { XCTAssertEqual(level, co2.target[t + 1], "week \(t + 1)") }
            }
            XCTAssertLessThanOrEqual(worst, transform == .difference ? 0 : 1, "\(transform)")
        }
    }

    /// Through the whole pipeline: scaled true changes, fed back as if the model had
    /// predicted them, give the target levels again (horizon 3, the changes accumulated),
    /// to float rounding of the scaling. Other feature columns stay levels.
    func testScaledChangesAccumulateBackToTheLevels() throws {
        let text =
            "t,x,y\n" + (0..<40).map { t in "\(t),\(100 + t),\(50 + Double(t) * 0.5 + sin(Double(t)))\n" }.joined()
        for transform in [TargetTransform.difference, .logDifference] {
            let d = try SequenceLoader.load(
                train: source(text),
                options: SequenceOptions(
                    window: 5, horizon: 3, target: .name("y"), features: [.name("x"), .name("y")], testSplit: 0.25,
                    normalization: .featurewise,
                    transform: transform))
            let test = try XCTUnwrap(d.test)
            XCTAssertEqual(test.count, 10 - 5 - 3 + 1, "the test part's windows are those without a transform")
            XCTAssertEqual(d.train.count, 30 - 1 - 5 - 3 + 1, "the training part loses its first row")
            let x0 = test.x[0] * (d.scaler.std[0] + Normalizer.epsilon) + d.scaler.mean[0]
            XCTAssertEqual(x0, 130, accuracy: 1e-3, "x stays a level")
            var levels = [Float](repeating: 0, count: 3)
            for i in 0..<test.count {
                d.scaler.forecastLevels(test.y.data + i * 3, horizon: 3, last: test.lastLevel(i), into: &levels)
                for k in 0..<3 { XCTAssertEqual(levels[k], test.level(i, k), accuracy: 1e-4, "\(transform) \(i) \(k)") }
            }
        }
    }

    /// The transform and the level statistics travel with the model (metadata).
    func testTransformIsStoredWithTheScaler() throws {
        let d = try load(csv([1, 2, 4, 7, 11, 16, 22]), window: 2, transform: .logDifference)
        var scaler = d.scaler
        (scaler.levelMean, scaler.levelStd) = (3, 4)
        let back = try XCTUnwrap(
            SequenceScaler(metadataJSON: scaler.metadataJSON, normalizer: scaler.normalizer(window: 2)))
        XCTAssertEqual(back, scaler)
        let plain = try load(csv([1, 2, 4, 7, 11, 16, 22]), window: 2)
        XCTAssertFalse(plain.scaler.metadataJSON.contains("transform"), "files without a transform are unchanged")
    }

    /// forecast.svg's points: y = 1, 2, 4, 7, 11, 16, 22 differenced leaves levels 2 ... 22;
    /// windows of 2 forecast 7, 11, 16, 22 from 4, 7, 11, 16. Fed the true scaled changes,
    /// the model's points are the actual values; persistence's squared errors are 9, 16,
    /// 25, 36 (mean 21.5).
    func testForecastPlotDrawsLevelsOfActualModelAndPersistence() throws {
        let d = try load(csv([1, 2, 4, 7, 11, 16, 22]), window: 2, transform: .difference)
        let s = ForecastPlot.series(d.train, predictions: d.train.y, scaler: d.scaler)
        XCTAssertEqual(s.actual, [7, 11, 16, 22])
        XCTAssertEqual(s.model, s.actual)
        XCTAssertEqual(s.naive, [4, 7, 11, 16])
        XCTAssertEqual(s.timestamps, ["4", "5", "6", "7"])
        let svg = ForecastPlot.svg(s, title: "t", part: "test", target: "y")
        for label in ["model, MSE 0<", "persistence, MSE 21.5<", "test window, forecast t+1 (1: 4, 4: 7)"] {
            XCTAssertTrue(svg.contains(label), label)
        }
        for name in ["actual", "model", "persistence"] { XCTAssertTrue(svg.contains("data-series=\"\(name)\""), name) }
    }

    // MARK: bad input

    /// A value that is not > 0 has no logarithm: the error names the file and line (the
    /// blank line 3 counts, the row number would not).
    func testLogDifferenceOfZeroOrNegativeNamesFileAndLine() {
        for bad in ["0", "-2.5"] {
            let text = "t,y\n1,5\n\n2,6\n3,\(bad)\n4,7\n5,8\n"
            XCTAssertThrowsError(try load(text, window: 2, transform: .logDifference)) {
                XCTAssert("\($0)".hasPrefix("series.csv:5: y is \(Float(bad)!); "), "\($0)")
                XCTAssert("\($0)".contains("\"log_difference\" takes logarithms"), "\($0)")
                XCTAssertTrue($0 is DataError)
            }
            XCTAssertNoThrow(try load(text, window: 2, transform: .difference))
        }
    }

    // MARK: training on a trending series

    /// Trains the spec of a line plus a sine (period 16 rows, 400 rows) in a temporary
    /// folder; returns metrics.json's test section.
    private func trainTrend(transform: String, epochs: Int, dense: String = "") throws -> [String: Double] {
        let dir = NSTemporaryDirectory() + "nnreg-forecast-\(getpid())-\(transform)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rows = (0..<400).map { t in "\(t),\(0.05 * Double(t) + sin(2 * Double.pi * Double(t) / 16))\n" }
        try ("t,y\n" + rows.joined()).write(toFile: dir + "/trend.csv", atomically: true, encoding: .utf8)
        let spec = try Spec.parse(
            """
            {"name": "trend", "seed": 7,
             "data": {"train": "\(dir)/trend.csv", "normalization": "featurewise", "validation_split": 0.1,
                      "test_split": 0.2,
                      "sequence": {"window": 16, "target": "y", "features": ["y"], "target_transform": "\(transform)"}},
             "model": {"layers": [{"type": "lstm", "units": 8}, {"type": "dense", "units": 1\(dense)}]},
             "training": {"loss": "mse", "optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": \(epochs),
                          "batch_size": 16},
             "output": {"dir": "\(dir)/run"}}
            """, baseDirectory: "/")
        let doc = try TrainingRun(spec: spec, options: TrainOptions(), reporter: Reporter(quiet: true, json: true))
            .run()
        let test = try XCTUnwrap(doc.objectValue?["test"]?.objectValue)
        return Dictionary(uniqueKeysWithValues: test.map { ($0.key, $0.value.doubleValue ?? .nan) })
    }

    /// The test rows (320-399) lie above every training row: forecasting levels, a small
    /// LSTM does worse than persistence; forecasting differences (a periodic series with
    /// the trend as its mean) it beats persistence by far. Both judged on the same windows.
    func testDifferenceBeatsPersistenceOnATrendWhereLevelsDoNot() throws {
        let none = try trainTrend(transform: "none", epochs: 3)
        let difference = try trainTrend(transform: "difference", epochs: 3)
        XCTAssertEqual(none["naive_loss"], difference["naive_loss"], "the same test windows")
        for test in [none, difference] {
            XCTAssertEqual(test["skill"]!, 1 - test["loss"]! / test["naive_loss"]!, accuracy: 1e-12)
        }
        XCTAssertLessThan(none["skill"]!, 0)
        XCTAssertGreaterThan(difference["skill"]!, 0.5)
    }

    /// With a regularizer the loss holds the weight penalty; skill compares the data part
    /// (data_loss) with the naive loss, which has no weights.
    func testSkillComparesTheLossWithoutTheWeightPenalty() throws {
        let test = try trainTrend(transform: "difference", epochs: 1, dense: #", "kernel_regularizer": {"l2": 0.1}"#)
        let data = try XCTUnwrap(test["data_loss"])
        XCTAssertGreaterThan(test["loss"]! - data, 1e-4)
        XCTAssertEqual(test["skill"]!, 1 - data / test["naive_loss"]!, accuracy: 1e-12)
    }
}
