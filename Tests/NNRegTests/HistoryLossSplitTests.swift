import XCTest

@testable import NNReg

/// history.json's "data_loss" and "penalty" diagnostics: the two parts of the reported loss.
final class HistoryLossSplitTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "nnreg-losssplit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Three epochs of a data/tiny classifier whose first layer carries `regularizers` (JSON
    /// members), trained by SGD at `learningRate`.
    func history(_ regularizers: String, learningRate: Double = 0.05) throws -> [HistoryRecord] {
        let spec = try Spec.parse(
            """
            {"name": "split", "seed": 3,
             "data": {"train": "\(Self.root)/data/tiny/train.csv", "label": "label", "validation_split": 0.2},
             "model": {"layers": [{"type": "dense", "units": 8, "activation": "relu" \(regularizers)},
                                  {"type": "dropout", "rate": 0.3}, {"type": "dense", "units": 3, "activation": "softmax"}]},
             "training": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "epochs": 3,
                          "optimizer": {"type": "sgd", "learning_rate": \(learningRate)}, "batch_size": 32},
             "output": {"dir": "\(dir)"}}
            """, baseDirectory: "/")
        var options = TrainOptions()
        options.overwrite = true
        _ = try TrainingRun(spec: spec, options: options, reporter: Reporter(quiet: true, json: true)).run()
        return try RunFiles.readHistory(dir + "/history.json")
    }

    func diagnostic(_ r: HistoryRecord, _ name: String) throws -> Double {
        try XCTUnwrap(r.diagnostics.first { $0.name == name }?.value, "epoch \(r.epoch) lacks \(name)")
    }

    func testPenaltyAndDataLossAddUpToTheLoss() throws {
        let records = try history(
            #", "kernel_regularizer": {"l2": 0.01}, "activity_regularizer": {"l1": 0.001}"#)
        XCTAssertEqual(records.count, 3)
        for r in records {
            let loss = try XCTUnwrap(r["loss"]), penalty = try diagnostic(r, "penalty")
            let data = try diagnostic(r, "data_loss")
            XCTAssertGreaterThan(penalty, 0.001, "epoch \(r.epoch)")
            XCTAssertGreaterThan(data, 0, "epoch \(r.epoch)")
            XCTAssertEqual(data + penalty, loss, accuracy: 1e-12 * loss, "epoch \(r.epoch)")
        }
    }

    /// With weights that barely move, every batch's penalty is the L2 factor times the
    /// kernel's squared norm (history's own norm diagnostic); an activity penalty adds to it.
    func testThePenaltyIsTheWeightPenaltyPlusTheActivityPenalty() throws {
        let kernel = try history(#", "kernel_regularizer": {"l2": 0.01}"#, learningRate: 1e-9)
        for r in kernel {
            let norm = try diagnostic(r, "norm.layers.0.dense.kernel")
            XCTAssertEqual(try diagnostic(r, "penalty"), 0.01 * norm * norm, accuracy: 1e-5 * norm * norm)
        }
        let both = try history(
            #", "kernel_regularizer": {"l2": 0.01}, "activity_regularizer": {"l1": 0.01}"#, learningRate: 1e-9)
        for r in both {
            let norm = try diagnostic(r, "norm.layers.0.dense.kernel")
            XCTAssertGreaterThan(try diagnostic(r, "penalty"), 0.01 * norm * norm * 1.01, "epoch \(r.epoch)")
        }
    }

    func testWithoutRegularizersThePenaltyIsZero() throws {
        for r in try history("") {
            XCTAssertEqual(try diagnostic(r, "penalty"), 0, "epoch \(r.epoch)")
            XCTAssertEqual(try diagnostic(r, "data_loss"), r["loss"], "epoch \(r.epoch)")
        }
    }
}
