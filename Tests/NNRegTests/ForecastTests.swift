import Foundation
import XCTest

@testable import NNReg

/// The naive baselines (naive_loss, skill, seasonal_naive_loss). Oracles: losses worked by
/// hand on tiny series.
final class ForecastTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    let mse = LossConfig(name: "mean_squared_error")

    private func source(_ text: String) -> CSV.Source { .bytes(Array(text.utf8), name: "series.csv") }

    /// "t,y" rows of `values`, t = 1, 2, ...
    private func csv(_ values: [Double]) -> String {
        "t,y\n" + values.enumerated().map { "\($0.offset + 1),\($0.element)\n" }.joined()
    }

    private func load(_ text: String, window: Int, horizon: Int = 1) throws -> SequenceData {
        try SequenceLoader.load(train: source(text), options: SequenceOptions(window: window, horizon: horizon))
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

    // MARK: training on a trending series

    /// Trains the spec of a line plus a sine (period 16 rows, 400 rows) in a temporary
    /// folder; returns metrics.json's test section.
    private func trainTrend(epochs: Int, dense: String = "") throws -> [String: Double] {
        let dir = NSTemporaryDirectory() + "nnreg-forecast-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rows = (0..<400).map { t in "\(t),\(0.05 * Double(t) + sin(2 * Double.pi * Double(t) / 16))\n" }
        try ("t,y\n" + rows.joined()).write(toFile: dir + "/trend.csv", atomically: true, encoding: .utf8)
        let spec = try Spec.parse(
            """
            {"name": "trend", "seed": 7,
             "data": {"train": "\(dir)/trend.csv", "normalization": "featurewise", "validation_split": 0.1,
                      "test_split": 0.2,
                      "sequence": {"window": 16, "target": "y", "features": ["y"]}},
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

    /// With a regularizer the loss holds the weight penalty; skill compares the data part
    /// (data_loss) with the naive loss, which has no weights.
    func testSkillComparesTheLossWithoutTheWeightPenalty() throws {
        let test = try trainTrend(epochs: 1, dense: #", "kernel_regularizer": {"l2": 0.1}"#)
        let data = try XCTUnwrap(test["data_loss"])
        XCTAssertGreaterThan(test["loss"]! - data, 1e-4)
        XCTAssertEqual(test["skill"]!, 1 - data / test["naive_loss"]!, accuracy: 1e-12)
    }
}
