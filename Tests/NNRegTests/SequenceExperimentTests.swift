import XCTest
@testable import NNReg

/// data.sequence through the spec: windows feed recurrent layers; the model must
/// output `horizon` values; a saved model predicts forecasts beside their dates.
final class SequenceExperimentTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    func spec(horizon: Int = 1, units: Int = 1, loss: String = "mse") throws -> Spec {
        try Spec.parse(
            """
            {"name": "co2", "seed": 1,
             "data": {"train": "\(Self.root)/data/co2/co2_weekly.csv", "missing": "interpolate",
                      "normalization": "featurewise", "sequence": {"window": 8, "horizon": \(horizon)},
                      "validation_split": 0.1, "test_split": 0.1},
             "model": {"layers": [{"type": "gru", "units": 4}, {"type": "dense", "units": \(units)}]},
             "training": {"loss": "\(loss)", "epochs": 1, "batch_size": 64},
             "output": {"dir": "\(NSTemporaryDirectory())nnreg-seq-\(getpid())"}}
            """, baseDirectory: "/")
    }

    func testWindowsShapeTheModelAndTrainThenPredictWithDates() throws {
        let s = try spec()
        defer { try? FileManager.default.removeItem(atPath: s.output.dir) }
        let e = try Experiment(spec: s)
        XCTAssertEqual(e.inputShape, [8, 1])
        XCTAssertEqual(e.train.y.shape.last, 1)
        var options = TrainOptions()
        options.overwrite = true
        _ = try TrainingRun(spec: s, options: options, reporter: Reporter(quiet: true, json: true)).run()
        let saved = try SavedModel(location: s.output.dir)
        let (csv, count) = try saved.predictions(Self.root + "/data/co2/co2_weekly.csv")
        let lines = csv.split(separator: "\n")
        XCTAssertEqual(lines.first, "date,co2")
        XCTAssertEqual(lines.count, count + 1)
        XCTAssertTrue(lines.last!.hasPrefix("2002-01-05,"), String(lines.last!))  // the forecast past the last week
    }

    func testHorizonMustMatchTheOutputAndLossMustBeRegression() throws {
        XCTAssertThrowsError(try Experiment(spec: spec(horizon: 3, units: 1))) {
            XCTAssertEqual(
                "\($0)",
                "model.layers[1]: data.sequence.horizon is 3, so the model must output (None, 3); it outputs (None, 1)")
        }
        XCTAssertThrowsError(try Experiment(spec: spec(loss: "binary_crossentropy"))) {
            XCTAssert("\($0)".hasPrefix("training.loss: a time series forecast needs a regression loss"), "\($0)")
        }
    }
}
