import XCTest

@testable import NNReg

/// Rules of the data, training, callback and augmentation sections.
final class SectionSpecTests: XCTestCase {
    private func spec(
        training: String = #""loss": "mse""#, data: String = #""train": "a.csv""#,
        extra: String = ""
    ) throws -> Spec {
        try Spec.parse(minimalSpec(training: training, data: data, extra: extra), baseDirectory: "/p")
    }

    func testDataCrossChecks() {
        XCTAssertEqual(
            specError(minimalSpec(data: #""train": "a.csv", "validation": "v.csv", "validation_split": 0.2"#)),
            "data.validation_split: cannot be used with data.validation")
        XCTAssertEqual(
            specError(minimalSpec(data: #""train": "a.csv", "test": "t.csv", "test_split": 0.2"#)),
            "data.test_split: cannot be used with data.test")
        XCTAssertEqual(
            specError(minimalSpec(data: #""train": "a.csv", "label": 0, "sequence": {"window": 3}"#)),
            "data.label: not used with data.sequence; set data.sequence.target")
        XCTAssertEqual(
            specError(minimalSpec(data: #""train": "a.csv", "label": -1"#)),
            "data.label: expected a column name or 0-based index or null, got -1")
        XCTAssertEqual(
            specError(minimalSpec(data: #""train": "a.csv", "normalization": "featurwise""#)),
            #"data.normalization: unknown normalization "featurwise"; did you mean "featurewise"?"#)
        XCTAssertEqual(
            specError(minimalSpec(data: #""train": "a.csv", "class_names": ["a", "a"]"#)),
            #"data.class_names[1]: "a" appears twice"#)
    }

    func testDataPathsAndSequence() throws {
        let data = try spec(data: #""train": "-", "test": "/abs/t.csv", "label": 3, "sequence": null"#).data
        XCTAssertEqual(data.train, "-")  // standard input
        XCTAssertEqual(data.test, "/abs/t.csv")
        XCTAssertEqual(data.label, .index(3))
        let sequence = try XCTUnwrap(
            spec(data: #""train": "a.csv", "sequence": {"window": 24, "target": "temp", "features": ["temp", 2]}"#).data
                .sequence)
        XCTAssertEqual(
            sequence, SequenceSpec(window: 24, horizon: 1, target: .name("temp"), features: [.name("temp"), .index(2)]))
        XCTAssertEqual(
            specError(minimalSpec(data: #""train": "a.csv", "sequence": {"horizon": 2}"#)),
            "data.sequence.window: missing required key")
    }

    func testLossFormsAndTrainingLevelLossOptions() throws {
        XCTAssertEqual(try spec(training: #""loss": "mae""#).training.loss, LossConfig(name: "mean_absolute_error"))
        XCTAssertEqual(
            try spec(training: #""loss": {"type": "huber", "delta": 2}"#).training.loss,
            LossConfig(name: "huber", delta: 2))
        XCTAssertEqual(
            try spec(training: #""loss": "binary_crossentropy", "from_logits": true, "label_smoothing": 0.1"#).training
                .loss,
            LossConfig(name: "binary_crossentropy", fromLogits: true, labelSmoothing: 0.1))
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "from_logits": true"#)),
            #"training.from_logits: applies only to the crossentropy losses, not "mean_squared_error""#)
        XCTAssertEqual(
            specError(
                minimalSpec(
                    training:
                        #""loss": {"type": "binary_crossentropy", "label_smoothing": 0.2}, "label_smoothing": 0.1"#)),
            "training.label_smoothing: also given in training.loss as 0.2")
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "binary_crossentropy", "label_smoothing": 1.5"#)),
            "training.label_smoothing: must be in [0, 1], got 1.5")
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": {"type": "mse", "delta": 1}"#)),
            "training.loss.delta: unknown key; mean_squared_error takes no options")
    }

    func testOptimizersTakeTheirKerasArgumentsAndDefaults() throws {
        var expected = OptimizerConfig.defaults(for: "adamw")
        expected.learningRate = 0.01
        expected.amsgrad = true
        XCTAssertEqual(
            try spec(
                training: #""loss": "mse", "optimizer": {"type": "adamw", "learning_rate": 0.01, "amsgrad": true}"#
            )
            .training.optimizer, expected)
        XCTAssertEqual(expected.weightDecay, 0.004)
        XCTAssertEqual(
            try spec(training: #""loss": "mse", "optimizer": "adagrad""#).training.optimizer,
            OptimizerConfig.defaults(for: "adagrad"))
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "optimizer": {"type": "sgd", "beta_1": 0.9}"#))?
                .hasPrefix(#"training.optimizer.beta_1: unknown key; expected one of "learning_rate", "momentum""#),
            true)
        XCTAssertEqual(
            specError(
                minimalSpec(training: #""loss": "mse", "optimizer": {"type": "adam", "clipnorm": 1, "clipvalue": 1}"#)),
            "training.optimizer.clipvalue: only one of clipnorm, clipvalue and global_clipnorm can be set (as in Keras)"
        )
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "optimizer": {"learning_rate": 0.1}"#)),
            "training.optimizer.type: missing required key")
    }

    func testScheduleClassWeightAndEnsemble() throws {
        let training = try spec(
            training: #"""
                "loss": "mse", "lr_schedule": {"type": "cosine_decay", "decay_steps": 1000, "warmup_steps": 10},
                "class_weight": "balanced", "ensemble": {"members": 5}
                """#
        ).training
        XCTAssertEqual(
            training.lrSchedule, .cosineDecay(decaySteps: 1000, alpha: 0, warmupTarget: nil, warmupSteps: 10))
        XCTAssertEqual(training.classWeight, .balanced)
        XCTAssertEqual(training.ensembleMembers, 5)
        XCTAssertEqual(
            try spec(training: #""loss": "mse", "lr_schedule": {"type": "step_decay"}"#).training.lrSchedule,
            .stepDecay(drop: 0.5, epochsDrop: 10))
        XCTAssertEqual(
            try spec(training: #""loss": "mse", "class_weight": {"0": 1, "1": 3}"#).training.classWeight,
            .perClass(["0": 1, "1": 3]))
        XCTAssertEqual(
            specError(
                minimalSpec(
                    training: #""loss": "mse", "lr_schedule": {"type": "exponential_decay", "decay_rate": 0.9}"#)),
            "training.lr_schedule.decay_steps: missing required key")
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "lr_schedule": "cosine""#)),
            #"training.lr_schedule: unknown lr_schedule type "cosine"; did you mean "cosine_decay"?"#)
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "class_weight": {"a": -1}"#)),
            "training.class_weight.a: expected a weight >= 0, got -1")
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "class_weight": "balance""#)),
            #"training.class_weight: expected "balanced" or {"label": weight, ...}, got "balance""#)
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "ensemble": {"members": 0}"#)),
            "training.ensemble.members: expected an integer in [1, 100], got 0")
    }

    func testCheckpointAndEarlyStopping() throws {
        let checkpoint = try XCTUnwrap(
            spec(extra: #""checkpoint": {"monitor": "loss", "save_best_only": true}"#).checkpoint)
        XCTAssertEqual(checkpoint.saveEveryEpochs, 1)
        XCTAssertNil(checkpoint.keep)
        XCTAssertEqual(checkpoint.mode.resolved(for: checkpoint.monitor), .min)
        XCTAssertEqual(MonitorMode.auto.resolved(for: "val_accuracy"), .max)
        XCTAssertEqual(
            specError(minimalSpec(extra: #""checkpoint": {"save_freq": "batch"}"#)),
            #"checkpoint.save_freq: expected "epoch" or a positive number of epochs, got "batch""#)
        XCTAssertEqual(
            specError(minimalSpec(extra: #""early_stopping": {"monitor": "loss", "mode": "maximum"}"#)),
            #"early_stopping.mode: unknown mode "maximum"; did you mean "max"?"#)
        XCTAssertEqual(
            specError(minimalSpec(extra: #""early_stopping": {"monitor": "loss", "patience": -1}"#)),
            "early_stopping.patience: expected a non-negative integer, got -1")
    }

    func testAugmentationDefaultsAndForms() throws {
        let augmentation = try XCTUnwrap(
            spec(extra: #""augmentation": {"zoom_range": [0.9, 1.3], "random_erasing": {}}"#).augmentation)
        XCTAssertEqual(augmentation.zoomRange, 0.9...1.3)
        XCTAssertEqual(augmentation.fillMode, .nearest)
        XCTAssertEqual(augmentation.zcaEpsilon, 1e-6)
        XCTAssertNil(augmentation.brightnessRange)
        XCTAssertEqual(
            augmentation.randomErasing,
            AugmentationSpec.RandomErasing(probability: 0.5, scale: 0.02...0.33, ratio: 0.3...3.3, value: 0))
        let plain = try XCTUnwrap(spec(extra: #""augmentation": {}"#).augmentation)
        XCTAssertEqual(plain.zoomRange, 1...1)
        XCTAssertEqual(plain.rotationRange, 0)
        XCTAssertFalse(plain.horizontalFlip)
        XCTAssertEqual(
            specError(minimalSpec(extra: #""augmentation": {"zoom_range": 1.5}"#)),
            "augmentation.zoom_range: must be in [0, 1), got 1.5")
        XCTAssertEqual(
            specError(minimalSpec(extra: #""augmentation": {"fill_mode": "mirror"}"#)),
            #"augmentation.fill_mode: unknown fill mode "mirror"; expected one of "nearest", "constant", "reflect", "wrap""#
        )
        XCTAssertEqual(
            specError(minimalSpec(extra: #""augmentation": {"hue_shift_range": 0.7}"#)),
            "augmentation.hue_shift_range: must be in [0, 0.5], got 0.7")
        XCTAssertEqual(
            specError(minimalSpec(extra: #""augmentation": {"rotation": 10}"#)),
            #"augmentation.rotation: unknown key; did you mean "rotation_range"?"#)
    }

    func testAugmentationValidatesOnItsOwnForTheAugmentCommand() throws {
        XCTAssertTrue(try AugmentationSpec(json: ["horizontal_flip": true]).horizontalFlip)
        XCTAssertThrowsError(try AugmentationSpec(json: ["rotation_range": -5])) { error in
            XCTAssertEqual("\(error)", "augmentation.rotation_range: must be in [0, 360], got -5")
        }
    }

    func testNameMustBeAFolderName() {
        XCTAssertEqual(
            specError(minimalSpec(extra: #""name": "a/b""#)),
            #"name: must be usable as a folder name (no "/"), got "a/b""#)
        XCTAssertEqual(specError(minimalSpec(extra: #""seed": -3"#)), "seed: expected a non-negative integer, got -3")
    }
}
