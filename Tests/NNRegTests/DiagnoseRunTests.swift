import XCTest

@testable import NNReg

/// Diagnosis of real runs on data made here, whose answer is known: a network that
/// memorizes noisy labels has high variance, a crushed or tiny one high bias, a
/// regularized one on well separated classes fits well. Every suggestion must load as
/// `--set` overrides of the run's spec.json.
final class DiagnoseRunTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "nnreg-diagnose-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// 300 rows of `features` columns and a 0/1 label, each made by `row`.
    func data(_ name: String, features: Int, row: (inout RNG) -> (x: [Double], label: Int)) throws -> String {
        var rng = RNG(seed: 11)
        var csv = (0..<features).map { "x\($0)" }.joined(separator: ",") + ",label\n"
        for _ in 0..<300 {
            let (x, label) = row(&rng)
            csv += x.map { String(format: "%.5f", $0) }.joined(separator: ",") + ",\(label)\n"
        }
        let path = dir + "/" + name + ".csv"
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func normals(_ n: Int, _ rng: inout RNG) -> [Double] { (0..<n).map { _ in Double(rng.normal()) } }

    /// Trains `layers` on `data` for `epochs` into run folder `name`, with `training` (JSON
    /// members) added to the training section and top-level `sections`; returns the folder.
    func train(
        _ name: String, data: String, layers: String, epochs: Int, learningRate: Double = 0.01, training: String = "",
        normalization: String = "featurewise", inputShape: String = "null", _ sections: String = ""
    ) throws -> String {
        let run = dir + "/" + name
        let spec = try Spec.parse(
            """
            {"name": "\(name)", "seed": 4,
             "data": {"train": "\(data)", "label": "label", "normalization": "\(normalization)", "validation_split": 0.2},
             "model": {"input_shape": \(inputShape), "layers": [\(layers)]},
             "training": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "epochs": \(epochs),
                          "optimizer": {"type": "adam", "learning_rate": \(learningRate)}, "batch_size": 32 \(training)}
             \(sections), "output": {"dir": "\(run)"}}
            """, baseDirectory: "/")
        _ = try TrainingRun(spec: spec, options: TrainOptions(), reporter: Reporter(quiet: true, json: true)).run()
        return run
    }

    /// The diagnosis of `run`, after checking that each suggestion's `set` lines load as
    /// overrides of its spec.json (and that a set changes the spec).
    func diagnose(_ run: String, file: StaticString = #filePath, line: UInt = #line) throws -> Diagnosis {
        let d = Diagnosis(try DiagnosisFacts(run: run, baselineError: nil))
        let original = try Spec.load(path: run + "/spec.json")
        for s in d.suggestions where !s.sets.isEmpty {
            let changed = try Spec.load(path: run + "/spec.json", overrides: s.sets.map(SpecOverride.init))
            XCTAssertNotEqual(changed, original, "\(s.technique): \(s.sets)", file: file, line: line)
        }
        return d
    }

    func testAWideNetworkThatMemorizesNoisyLabelsHasHighVariance() throws {
        // A third of the labels flipped at random: only memorizing fits them.
        let csv = try data("noisy", features: 10) { rng in
            let x = normals(10, &rng)
            return (x, (x[0] + x[1] > 0) != (rng.uniform() < 0.3) ? 1 : 0)
        }
        let run = try train(
            "memorize", data: csv,
            layers:
                #"{"type": "dense", "units": 128, "activation": "relu"}, {"type": "dense", "units": 2, "activation": "softmax"}"#,
            epochs: 60)
        let d = try diagnose(run)
        XCTAssertEqual(d.verdict, .highVariance, "\(d.json.pretty())")
        XCTAssertLessThan(d.trainError, 0.05)
        XCTAssertGreaterThan(d.variance, 0.15)
        XCTAssertTrue(d.suggestions.contains { $0.technique == "dropout" }, "\(d.suggestions)")
    }

    func testAHeavyL2PenaltyHasHighBias() throws {
        let csv = try data("xor", features: 4) { rng in
            let x = normals(4, &rng)
            return (x, (x[0] > 0) != (x[1] > 0) ? 1 : 0)
        }
        let l2 = #""kernel_regularizer": {"l2": 1.0}"#
        let run = try train(
            "crushed", data: csv,
            layers:
                "{\"type\": \"dense\", \"units\": 32, \"activation\": \"relu\", \(l2)}, {\"type\": \"dense\", \"units\": 2, \"activation\": \"softmax\", \(l2)}",
            epochs: 15)
        let d = try diagnose(run)
        XCTAssertEqual(d.verdict, .highBias, "\(d.json.pretty())")
        XCTAssertEqual(d.suggestions.first?.technique, "less_weight_penalty", "\(d.suggestions)")
    }

    func testATwoUnitNetworkOnACheckerboardHasHighBias() throws {
        let csv = try data("checkerboard", features: 2) { rng in
            let x = normals(2, &rng)
            return (x, (Int((x[0] + 10).rounded(.down)) + Int((x[1] + 10).rounded(.down))) % 2)
        }
        let run = try train(
            "tiny", data: csv,
            layers:
                #"{"type": "dense", "units": 2, "activation": "relu"}, {"type": "dense", "units": 2, "activation": "softmax"}"#,
            epochs: 30)
        let d = try diagnose(run)
        XCTAssertEqual(d.verdict, .highBias, "\(d.json.pretty())")
        XCTAssertEqual(d.suggestions.first?.technique, "bigger_model", "\(d.suggestions)")
        XCTAssertEqual(d.suggestions.first?.sets, ["model.layers[0].units=4"])
    }

    func testARegularizedNetworkOnSeparatedClassesFitsWell() throws {
        // The classes 3 standard deviations either side of 0 along every feature: far apart.
        let csv = try data("blobs", features: 4) { rng in
            let label = rng.uniform() < 0.5 ? 0 : 1
            return (normals(4, &rng).map { $0 + (label == 1 ? 3 : -3) }, label)
        }
        let run = try train(
            "fit", data: csv,
            layers:
                #"{"type": "dense", "units": 16, "activation": "relu", "kernel_regularizer": {"l2": 0.0001}}, {"type": "dropout", "rate": 0.2}, {"type": "dense", "units": 2, "activation": "softmax"}"#,
            epochs: 10, #", "early_stopping": {"patience": 3, "restore_best_weights": true}"#)
        let d = try diagnose(run)
        XCTAssertEqual(d.verdict, .goodFit, "\(d.json.pretty())")
        XCTAssertEqual(d.suggestions, [])
    }

    /// A regression's errors are its data loss (no penalty); its thresholds a tenth of the
    /// loss of predicting the training mean, which for mse is the targets' variance.
    func testARegressionIsJudgedByItsDataLoss() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let run = dir + "/regression"
        let spec = try Spec.parse(
            """
            {"name": "regression", "seed": 3,
             "data": {"train": "\(root)/data/tiny/regression.csv", "label": "y", "validation_split": 0.2},
             "model": {"layers": [{"type": "dense", "units": 16, "activation": "relu", "kernel_regularizer": {"l2": 0.01}},
                                  {"type": "dense", "units": 1}]},
             "training": {"loss": "mse", "epochs": 5, "optimizer": {"type": "adam", "learning_rate": 0.01}},
             "output": {"dir": "\(run)"}}
            """, baseDirectory: "/")
        let metrics = try TrainingRun(spec: spec, options: TrainOptions(), reporter: Reporter(quiet: true, json: true))
            .run()
        let facts = try DiagnosisFacts(run: run, baselineError: nil)
        let y = try Experiment(spec: spec).train.y.array.map(Double.init)
        let mean = y.reduce(0, +) / Double(y.count)
        let variance = y.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(y.count)
        XCTAssertEqual(facts.constantPredictorError, variance, accuracy: 1e-4 * variance)
        // metrics.json's val_loss carries the L2 penalty; diagnose's validation error does not.
        let reported = try XCTUnwrap(metrics.objectValue?["validation"]?.objectValue?["loss"]?.doubleValue)
        let model = try SavedModel(location: run)
        let penalty = Double(model.ensemble.members[0].network.weightPenalty())
        XCTAssertGreaterThan(penalty, 0)
        XCTAssertEqual(facts.validationError, reported - penalty, accuracy: 1e-6)
        XCTAssertEqual(Diagnosis(facts).threshold, 0.1 * facts.constantPredictorError, accuracy: 1e-12)
    }

    /// An ensemble's errors are its averaged prediction's; its history its first member's.
    func testAnEnsembleIsDiagnosedFromItsAveragedPrediction() throws {
        let csv = try data("ensemble", features: 4) { rng in
            let x = normals(4, &rng)
            return (x, x[0] > 0 ? 1 : 0)
        }
        let run = try train(
            "ensemble", data: csv,
            layers:
                #"{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 2, "activation": "softmax"}"#,
            epochs: 3, training: #", "ensemble": {"members": 2}"#)
        let facts = try DiagnosisFacts(run: run, baselineError: nil)
        XCTAssertEqual(facts.history, try RunFiles.readHistory(run + "/members/0/history.json"))
        let metrics = try JSON.parse(String(contentsOfFile: run + "/metrics.json", encoding: .utf8))
        let accuracy = try XCTUnwrap(metrics.objectValue?["validation"]?.objectValue?["accuracy"]?.doubleValue)
        XCTAssertEqual(facts.validationError, 1 - accuracy, accuracy: 1e-12)
    }

    /// Images standardized by spec.augmentation (training standardizes each batch as it is
    /// drawn) are measured standardized, as validation is.
    func testStandardizedImagesAreMeasuredStandardized() throws {
        let csv = try data("pixels", features: 16) { rng in
            let x = normals(16, &rng).map { 5 + 2 * $0 }
            return (x, x[0] > 5 ? 1 : 0)
        }
        let run = try train(
            "pixels", data: csv,
            layers: #"{"type": "flatten"}, {"type": "dense", "units": 2, "activation": "softmax"}"#, epochs: 10,
            learningRate: 0.05, normalization: "none", inputShape: "[4, 4, 1]",
            #", "augmentation": {"featurewise_center": true, "featurewise_std_normalization": true}"#)
        let facts = try DiagnosisFacts(run: run, baselineError: nil)
        XCTAssertLessThan(facts.trainError, 0.1)
        XCTAssertLessThan(abs(facts.validationError - facts.trainError), 0.1)
    }
}
