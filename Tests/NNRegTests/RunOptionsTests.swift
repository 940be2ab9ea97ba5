import XCTest
@testable import NNReg

/// Spec options that shape a run: checkpoints, class weights, ensembles, schedules in the history.
final class RunOptionsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "nnreg-runopts-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// specs/tiny.json's model on data/tiny with `extra` top-level sections and `training` additions.
    func run(_ extra: String = "", training: String = "", epochs: Int = 6) throws -> JSON {
        let spec = try Spec.parse(
            """
            {"name": "t", "seed": 5,
             "data": {"train": "\(Self.root)/data/tiny/train.csv", "test": "\(Self.root)/data/tiny/test.csv",
                      "label": "label", "validation_split": 0.2},
             "model": {"layers": [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dense", "units": 3, "activation": "softmax"}]},
             "training": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "epochs": \(epochs),
                          "optimizer": {"type": "adam", "learning_rate": 0.01}, "batch_size": 32 \(training)},
             \(extra)
             "output": {"dir": "\(dir)"}}
            """, baseDirectory: "/")
        var options = TrainOptions()
        options.overwrite = true
        return try TrainingRun(spec: spec, options: options, reporter: Reporter(quiet: true, json: true)).run()
    }

    func history() throws -> [HistoryRecord] { try RunFiles.readHistory(dir + "/history.json") }

    func testCheckpointEveryTwoEpochsKeepsTheNewestTwo() throws {
        _ = try run(#""checkpoint": {"monitor": "val_loss", "save_freq": 2, "keep": 2},"#)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/checkpoints").sorted()
        XCTAssertEqual(files, ["epoch-0004.safetensors", "epoch-0006.safetensors"])
        let model = try SafeTensors.read(dir + "/model.safetensors"),
            last = try SafeTensors.read(dir + "/checkpoints/epoch-0006.safetensors")
        XCTAssertEqual(
            model["layers.0.dense.kernel"]?.array, last["layers.0.dense.kernel"]?.array,
            "without save_best_only the last weights")
    }

    func testSaveBestOnlyKeepsTheBestEpochInModelSafetensors() throws {
        // A learning rate cut to almost nothing after epoch 2 cannot make val_accuracy move much;
        // whatever happens, model.safetensors must equal the checkpoint of the best epoch.
        let doc = try run(#""checkpoint": {"monitor": "val_loss", "save_best_only": true},"#)
        let h = try history()
        let best = h.enumerated().min { $0.element["val_loss"]! < $1.element["val_loss"]! }!.offset + 1
        XCTAssertEqual(doc.objectValue?["best_epoch"]?.intValue, best)
        let model = try SafeTensors.read(dir + "/model.safetensors")
        let ckpt = try SafeTensors.read(dir + String(format: "/checkpoints/epoch-%04d.safetensors", best))
        XCTAssertEqual(model["layers.2.dense.kernel"]?.array, ckpt["layers.2.dense.kernel"]?.array)
    }

    func testClassWeightsChangeTheLossAsKerasWeightsSamples() throws {
        _ = try run(epochs: 1)
        let plain = try history()[0]["loss"]!
        _ = try run(training: #", "class_weight": {"0": 3, "1": 1, "2": 1}"#, epochs: 1)
        let weighted = try history()[0]["loss"]!
        XCTAssertGreaterThan(weighted, plain * 1.2, "class 0 weighs 3x, so the weighted mean loss rises")
        XCTAssertThrowsError(try run(training: #", "class_weight": {"7": 2}"#, epochs: 1)) {
            XCTAssert("\($0)".hasPrefix("training.class_weight.7: no such class"), "\($0)")
        }
        XCTAssertEqual(balancedClassWeights(classes: [0, 0, 0, 1], classCount: 2), [4.0 / 6, 4.0 / 2])
    }

    func testEnsembleReportsTheAverageAndEachMember() throws {
        let doc = try run(training: #", "ensemble": {"members": 3}"#, epochs: 3)
        let members = try XCTUnwrap(doc.objectValue?["members"]?.arrayValue)
        XCTAssertEqual(members.count, 3)
        XCTAssertEqual(members.map { $0.objectValue?["seed"]?.intValue }, [5, 6, 7])
        XCTAssertNotNil(doc.objectValue?["test"]?.objectValue?["accuracy"]?.doubleValue)
        let saved = try SavedModel(location: dir)
        let data = try saved.load(Self.root + "/data/tiny/test.csv")
        let p = saved.predict(data)
        for r in 0..<data.count { XCTAssertEqual(p[r * 3] + p[r * 3 + 1] + p[r * 3 + 2], 1, accuracy: 1e-5) }
        XCTAssertEqual(
            try saved.evaluate(data).last?.1, doc.objectValue?["test"]?.objectValue?["accuracy"]?.doubleValue)
        for k in 0..<3 { XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/members/\(k)/history.json")) }
    }

    func testEachEpochsLearningRateIsInTheHistory() throws {
        _ = try run(training: #", "lr_schedule": {"type": "step_decay", "drop": 0.5, "epochs_drop": 2}"#, epochs: 5)
        XCTAssertEqual(try history().map { $0["learning_rate"]! }, [0.01, 0.01, 0.005, 0.005, 0.0025])
    }
}
