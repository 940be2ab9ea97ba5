import Foundation
import XCTest

@testable import NNReg

/// The README's example spec (docs/spec-reference.md), verbatim.
let specExample = """
    {
      "name": "fashion-mlp",
      "seed": 42,
      "data": {
        "train": "data/fashion-mnist/train.csv",
        "test": "data/fashion-mnist/test.csv",
        "label": "label",
        "rescale": 0.00392156862745098,
        "validation_split": 0.1
      },
      "model": {
        "layers": [
          {"type": "dense", "units": 256, "activation": "relu",
           "kernel_regularizer": {"l2": 0.0001}, "kernel_constraint": {"max_norm": 3}},
          {"type": "dropout", "rate": 0.3},
          {"type": "dense", "units": 10, "activation": "softmax"}
        ]
      },
      "training": {
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
        "optimizer": {"type": "adam", "learning_rate": 0.001},
        "epochs": 50,
        "batch_size": 128
      },
      "early_stopping": {"monitor": "val_loss", "patience": 5, "restore_best_weights": true},
      "augmentation": null,
      "output": {"dir": "runs/fashion-mlp"}
    }
    """

/// A small valid spec: `layers` and `training` (JSON member lists) and `extra` top-level members.
func minimalSpec(
    layers: String = #"{"type": "dense", "units": 1}"#, training: String = #""loss": "mse""#,
    data: String = #""train": "train.csv""#, extra: String = ""
) -> String {
    """
    {"data": {\(data)}, "model": {"layers": [\(layers)]}, "training": {\(training)}\(extra.isEmpty ? "" : ", " + extra)}
    """
}

/// The description of the error parsing `text` throws, or nil when it parses.
func specError(_ text: String) -> String? {
    do {
        _ = try Spec.parse(text, baseDirectory: "/project")
        return nil
    } catch {
        return "\(error)"
    }
}

final class SpecTests: XCTestCase {
    func testSpecExampleParsesWithItsValuesAndKerasDefaults() throws {
        let spec = try Spec.parse(specExample, baseDirectory: "/project/specs")
        XCTAssertEqual(spec.name, "fashion-mlp")
        XCTAssertEqual(spec.seed, 42)

        let data = spec.data
        XCTAssertEqual(data.train, "/project/specs/data/fashion-mnist/train.csv")
        XCTAssertEqual(data.test, "/project/specs/data/fashion-mnist/test.csv")
        XCTAssertNil(data.validation)
        XCTAssertEqual(data.label, .name("label"))
        XCTAssertEqual(data.rescale, 0.00392156862745098)
        XCTAssertEqual(data.validationSplit, 0.1)
        XCTAssertTrue(data.hasValidation)
        XCTAssertEqual(data.normalization, .none)
        XCTAssertEqual(data.colorMode, .rgb)
        XCTAssertEqual(data.missing, .error)
        XCTAssertEqual(data.onBadFile, .error)
        XCTAssertNil(data.imageSize)
        XCTAssertNil(data.sequence)
        XCTAssertNil(data.classNames)
        XCTAssertEqual(data.testSplit, 0)

        let layers = spec.model.layers
        XCTAssertNil(spec.model.inputShape)
        XCTAssertEqual(layers.map(\.type), ["dense", "dropout", "dense"])
        XCTAssertEqual(layers.map(\.path), ["model.layers[0]", "model.layers[1]", "model.layers[2]"])
        let dense = layers[0]
        XCTAssertEqual(dense.int("units"), 256)
        XCTAssertEqual(dense.activation(), .relu)
        XCTAssertTrue(dense.bool("use_bias"))
        XCTAssertEqual(dense.initializer("kernel_initializer"), .glorotUniform)
        XCTAssertEqual(dense.initializer("bias_initializer"), .zeros)
        XCTAssertEqual(dense.regularizer("kernel_regularizer"), Regularizer(l1: 0, l2: 0.0001))
        XCTAssertNil(dense.regularizer("bias_regularizer"))
        XCTAssertNil(dense.regularizer("activity_regularizer"))
        XCTAssertEqual(dense.constraint("kernel_constraint"), .maxNorm(maxValue: 3, axes: [0]))
        XCTAssertNil(dense.constraint("bias_constraint"))
        XCTAssertEqual(dense.float("drop_connect"), 0)
        XCTAssertEqual(layers[1].float("rate"), 0.3)
        XCTAssertNil(layers[1].optionalInt("seed"))
        XCTAssertTrue(layers[1].isNull("noise_shape"))
        XCTAssertEqual(layers[2].activation(), .softmax)
        XCTAssertEqual(layers[2].activation(), .softmax)

        let training = spec.training
        XCTAssertEqual(training.loss, LossConfig(name: "sparse_categorical_crossentropy"))
        XCTAssertEqual(training.metrics, ["accuracy"])
        XCTAssertEqual(training.optimizer, OptimizerConfig.defaults(for: "adam"))
        XCTAssertNil(training.lrSchedule)
        XCTAssertEqual(training.epochs, 50)
        XCTAssertEqual(training.batchSize, 128)
        XCTAssertEqual(training.shuffleOrder(imageFolder: false), .fixed)  // Keras's seeded fit on arrays
        XCTAssertEqual(training.shuffleOrder(imageFolder: true), .everyEpoch)
        XCTAssertNil(training.classWeight)
        XCTAssertEqual(training.ensembleMembers, 1)
        XCTAssertNil(training.threads)

        let stopping = try XCTUnwrap(spec.earlyStopping)
        XCTAssertEqual(stopping.monitor, "val_loss")
        XCTAssertEqual(stopping.patience, 5)
        XCTAssertTrue(stopping.restoreBestWeights)
        XCTAssertEqual(stopping.minDelta, 0)
        XCTAssertEqual(stopping.mode, .auto)
        XCTAssertNil(stopping.baseline)
        XCTAssertEqual(stopping.startFromEpoch, 0)
        XCTAssertNil(spec.checkpoint)
        XCTAssertNil(spec.augmentation)
        XCTAssertEqual(spec.output.dir, "/project/specs/runs/fashion-mlp")
    }

    func testMinimalSpecGetsDocumentedDefaults() throws {
        let spec = try Spec.parse(minimalSpec(), baseDirectory: "/project")
        XCTAssertEqual(spec.name, "model")
        XCTAssertEqual(spec.seed, 42)
        XCTAssertEqual(spec.output.dir, "/project/runs/model")
        XCTAssertNil(spec.data.label)
        XCTAssertEqual(spec.data.rescale, 1)
        XCTAssertFalse(spec.data.hasValidation)
        XCTAssertEqual(spec.training.loss, LossConfig(name: "mean_squared_error"))
        XCTAssertEqual(spec.training.optimizer, OptimizerConfig.defaults(for: "rmsprop"))  // Keras compile default
        XCTAssertEqual(spec.training.epochs, 1)  // Keras fit default
        XCTAssertEqual(spec.training.batchSize, 32)
        XCTAssertEqual(spec.training.metrics, [])
        XCTAssertNil(spec.earlyStopping)
        XCTAssertEqual(spec.model.layers[0].activation(), .linear)
    }

    func testResolvedJSONRoundTripsFromAnotherFolder() throws {
        for text in [specExample, richSpec] {
            let spec = try Spec.parse(text, baseDirectory: "/project/specs")
            let printed = spec.resolvedJSON().pretty()
            let again = try Spec.parse(printed, baseDirectory: "/somewhere/else")
            XCTAssertEqual(again, spec)
            XCTAssertEqual(again.resolvedJSON().pretty(), printed)
        }
    }

    func testResolvedJSONFillsDefaultsInTableOrder() throws {
        let spec = try Spec.parse(specExample, baseDirectory: "/p")
        let resolved = spec.resolvedJSON().objectValue!
        XCTAssertEqual(
            resolved.keys,
            [
                "name", "seed", "data", "model", "training", "early_stopping", "checkpoint",
                "augmentation", "output",
            ])
        let firstLayer = spec.model.layers[0].json.objectValue!
        XCTAssertEqual(
            firstLayer.keys,
            [
                "type", "units", "activation", "use_bias", "kernel_initializer",
                "bias_initializer", "kernel_regularizer", "bias_regularizer",
                "activity_regularizer", "kernel_constraint", "bias_constraint",
                "drop_connect",
            ])
        XCTAssertEqual(firstLayer["kernel_regularizer"]?.compact(), #"{"l1": 0, "l2": 0.0001}"#)
        XCTAssertEqual(firstLayer["kernel_constraint"]?.compact(), #"{"max_norm": {"max_value": 3, "axis": 0}}"#)
        let training = resolved["training"]!.objectValue!
        XCTAssertEqual(
            training["optimizer"]?.compact(),
            #"{"type": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "#
                + #""amsgrad": false, "weight_decay": null, "clipnorm": null, "clipvalue": null, "#
                + #""global_clipnorm": null}"#)
        XCTAssertEqual(
            training["loss"]?.compact(),
            #"{"type": "sparse_categorical_crossentropy", "from_logits": false, "label_smoothing": 0}"#)
    }

    func testRelativeBaseDirectoryStartsAtTheCurrentDirectory() throws {
        let spec = try Spec.parse(minimalSpec(), baseDirectory: "specs/../configs")
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertEqual(spec.data.train, Spec.resolvePath("configs/train.csv", from: cwd))
        XCTAssertTrue(spec.data.train.hasPrefix("/"))
    }

    func testCLIOverridesAreWrittenBack() throws {
        var spec = try Spec.parse(specExample, baseDirectory: "/p")
        spec.seed = 7
        spec.training.epochs = 3
        spec.output.dir = "/tmp/run"
        let again = try Spec.parse(spec.resolvedJSON().pretty(), baseDirectory: "/q")
        XCTAssertEqual(again.seed, 7)
        XCTAssertEqual(again.training.epochs, 3)
        XCTAssertEqual(again.output.dir, "/tmp/run")
    }

    // MARK: - Errors: exact messages with the path

    func testUnknownKeySuggestsTheClosestValidKey() {
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "dense", "unit": 10}"#)),
            #"model.layers[0].unit: unknown key; did you mean "units"?"#)
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "epoch": 3"#)),
            #"training.epoch: unknown key; did you mean "epochs"?"#)
        XCTAssertEqual(
            specError(minimalSpec(extra: #""early_stoping": {}"#)),
            #"early_stoping: unknown key; did you mean "early_stopping"?"#)
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "flatten", "units": 3}"#)),
            "model.layers[0].units: unknown key; flatten takes no options")
        XCTAssertEqual(
            specError(minimalSpec(extra: #""data2": 1"#))?.hasPrefix(
                #"data2: unknown key; did you mean "data"?"#), true)
    }

    func testUnknownKeyFarFromAnyListsTheValidKeys() {
        XCTAssertEqual(
            specError(minimalSpec(data: #""train": "a.csv", "zzzzzzzz": 1"#))?.hasPrefix(
                #"data.zzzzzzzz: unknown key; expected one of "train", "validation", "test", "label""#), true)
    }

    func testWrongTypesSayWhatWasExpectedAndWhatWasFound() {
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "epochs": "ten""#)),
            #"training.epochs: expected a positive integer, got "ten""#)
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "epochs": 0"#)),
            "training.epochs: expected a positive integer, got 0")
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "batch_size": 2.5"#)),
            "training.batch_size: expected a positive integer, got 2.5")
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "shuffle": "yes""#)),
            #"training.shuffle: expected true, false or "every_epoch", got "yes""#)
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "threads": -1"#)),
            "training.threads: expected an integer in [1, 256] or null, got -1")
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "conv2d", "filters": 8, "kernel_size": [3]}"#)),
            "model.layers[0].kernel_size: expected a positive integer or [height, width], got [3]")
        XCTAssertEqual(specError(minimalSpec(layers: "3")), "model.layers[0]: expected an object with \"type\", got 3")
        XCTAssertEqual(specError("[1]"), "expected an object, got [1]")
    }

    func testOutOfRangeValuesNameTheRange() {
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "dense", "units": 4}, {"type": "dropout", "rate": 1.5}"#)),
            "model.layers[1].rate: must be in [0, 1), got 1.5")
        XCTAssertEqual(
            specError(minimalSpec(data: #""train": "a.csv", "validation_split": -0.1"#)),
            "data.validation_split: must be in [0, 1), got -0.1")
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "optimizer": {"type": "sgd", "learning_rate": 0}"#)),
            "training.optimizer.learning_rate: must be > 0, got 0")
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "dense", "units": 2, "kernel_regularizer": {"l2": -1}}"#)),
            "model.layers[0].kernel_regularizer.l2: must be >= 0, got -1")
        XCTAssertEqual(
            specError(minimalSpec(extra: #""augmentation": {"brightness_range": [1.2, 0.8]}"#)),
            "augmentation.brightness_range: expected low <= high, got [1.2, 0.8]")
    }

    func testMissingRequiredKeys() {
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "dense"}"#)), "model.layers[0].units: missing required key")
        XCTAssertEqual(specError(minimalSpec(layers: #"{"units": 3}"#)), "model.layers[0].type: missing required key")
        XCTAssertEqual(specError(minimalSpec(training: #""epochs": 3"#)), "training.loss: missing required key")
        XCTAssertEqual(specError(#"{"model": {"layers": [{"type": "flatten"}]}}"#), "data: missing required key")
    }

    func testUnknownNamesSuggestTheClosestName() {
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "dens", "units": 3}"#)),
            #"model.layers[0].type: unknown layer type "dens"; did you mean "dense"?"#)
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "dense", "units": 3, "activation": "rleu"}"#)),
            #"model.layers[0].activation: unknown activation "rleu"; did you mean "relu"?"#)
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "binary_crossentropi""#)),
            #"training.loss: unknown loss "binary_crossentropi"; did you mean "binary_crossentropy"?"#)
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "optimizer": {"type": "adamm"}"#)),
            #"training.optimizer.type: unknown optimizer "adamm"; did you mean "adam"?"#)
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "optimizer": "sdg""#)),
            #"training.optimizer: unknown optimizer "sdg"; did you mean "sgd"?"#)
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "dense", "units": 3, "kernel_initializer": "he_normall"}"#)),
            #"model.layers[0].kernel_initializer: unknown initializer "he_normall"; did you mean "he_normal"?"#)
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "metrics": ["accuracy", "acuracy"]"#)),
            #"training.metrics[1]: unknown metric "acuracy"; did you mean "accuracy"?"#)
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "metrics": ["mae", "mae"]"#)),
            #"training.metrics[1]: "mae" appears twice"#)
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "conv2d", "filters": 1, "kernel_size": 3, "padding": "vaild"}"#)),
            #"model.layers[0].padding: unknown padding "vaild"; did you mean "valid"?"#)
    }

    func testMonitorsMustNameLossOrAMetric() {
        let metrics = #""loss": "mse", "metrics": ["accuracy"]"#
        let data = #""train": "a.csv", "validation": "v.csv""#
        XCTAssertEqual(
            specError(
                minimalSpec(training: metrics, data: data, extra: #""early_stopping": {"monitor": "val_acuracy"}"#)),
            #"early_stopping.monitor: unknown monitor "val_acuracy"; did you mean "val_accuracy"?"#)
        XCTAssertEqual(
            specError(minimalSpec(training: metrics, data: data, extra: #""checkpoint": {"monitor": "auc"}"#)),
            #"checkpoint.monitor: unknown monitor "auc"; expected one of "loss", "val_loss", "accuracy", "val_accuracy""#
        )
        XCTAssertEqual(
            specError(
                minimalSpec(
                    training: metrics + #", "lr_schedule": {"type": "reduce_on_plateau", "monitor": "los"}"#, data: data
                )),
            #"training.lr_schedule.monitor: unknown monitor "los"; did you mean "loss"?"#)
        XCTAssertNil(
            specError(
                minimalSpec(training: metrics, data: data, extra: #""early_stopping": {"monitor": "val_accuracy"}"#)))
        XCTAssertNil(
            specError(
                minimalSpec(training: metrics, extra: #""early_stopping": {"monitor": "accuracy", "mode": "max"}"#)))
    }

    func testValidationMonitorWithoutValidationDataIsAnError() {
        XCTAssertEqual(
            specError(minimalSpec(extra: #""early_stopping": {}"#)),
            #"early_stopping.monitor: "val_loss" needs validation data; set data.validation or data.validation_split"#)
        // A checkpoint that does not keep the best never reads its monitor.
        XCTAssertNil(specError(minimalSpec(extra: #""checkpoint": {"save_freq": 5}"#)))
        XCTAssertNotNil(specError(minimalSpec(extra: #""checkpoint": {"save_best_only": true}"#)))
    }

    func testNestedResidualLayersHaveNestedPaths() throws {
        let layers = #"""
            {"type": "dense", "units": 8},
            {"type": "residual", "layers": [{"type": "dense", "units": 8}, {"type": "residual", "layers": [{"type": "dropout", "rate": 0.1}]}]}
            """#
        let spec = try Spec.parse(minimalSpec(layers: layers), baseDirectory: "/p")
        let residual = spec.model.layers[1]
        XCTAssertEqual(residual.float("survival_probability"), 1)
        let inner = residual.layers()
        XCTAssertEqual(inner.map(\.path), ["model.layers[1].layers[0]", "model.layers[1].layers[1]"])
        XCTAssertEqual(inner[1].layers()[0].path, "model.layers[1].layers[1].layers[0]")
        XCTAssertEqual(inner[1].layers()[0].float("rate"), 0.1)

        let bad = #"{"type": "residual", "layers": [{"type": "dense", "units": 2}, {"type": "dropout", "rate": 2}]}"#
        XCTAssertEqual(specError(minimalSpec(layers: bad)), "model.layers[0].layers[1].rate: must be in [0, 1), got 2")
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "residual", "layers": []}"#)),
            "model.layers[0].layers: expected a non-empty list of layers, got []")
    }

    func testJSONSyntaxErrorsGiveLineAndColumn() {
        XCTAssertEqual(
            specError("{\n  \"name\": \"x\",\n  \"seed\" 42\n}"),
            "line 3, column 10: expected ':' after the key \"seed\", got '42'")
        XCTAssertEqual(
            specError("{\"a\": [1, 2,]}"),
            "line 1, column 13: expected a value, got ']' (JSON allows no trailing comma)")
    }

    func testLoadNamesTheFileForReadAndSyntaxErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nnreg-spec-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let good = folder + "/my-net.json"
        try minimalSpec().write(toFile: good, atomically: true, encoding: .utf8)
        let spec = try Spec.load(path: good)
        XCTAssertEqual(spec.name, "my-net")
        XCTAssertEqual(spec.data.train, Spec.resolvePath(folder + "/train.csv", from: "/"))
        XCTAssertEqual(spec.output.dir, Spec.resolvePath(folder + "/runs/my-net", from: "/"))

        let broken = folder + "/broken.json"
        try "{\"name\": }".write(toFile: broken, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Spec.load(path: broken)) { error in
            XCTAssertEqual("\(error)", "\(broken): line 1, column 10: expected a value, got '}'")
        }
        XCTAssertThrowsError(try Spec.load(path: folder + "/absent.json")) { error in
            XCTAssertEqual(error as? SpecError, SpecError(path: folder + "/absent.json", message: "no such file"))
        }
        XCTAssertThrowsError(try Spec.load(path: folder)) { error in
            XCTAssertEqual("\(error)", "\(folder): is a folder, not a spec file")
        }
    }
}

/// A spec touching most sections and layer types, for round trips.
let richSpec = """
    {
      "name": "rich",
      "data": {"train": "../data/train", "validation": "./val", "image_size": 32, "color_mode": "grayscale",
               "class_names": ["cat", "dog"], "normalization": "featurewise", "on_bad_file": "skip"},
      "model": {
        "input_shape": [32, 32, 1],
        "layers": [
          {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "kernel_regularizer": "l2",
           "kernel_constraint": "unit_norm", "bias_constraint": "non_neg",
           "kernel_initializer": {"random_normal": {"stddev": 0.1}}},
          {"type": "batch_normalization"},
          {"type": "max_pooling2d", "pool_size": [2, 3]},
          {"type": "residual", "survival_probability": 0.8, "layers": [
            {"type": "conv2d", "filters": 8, "kernel_size": [3, 3], "padding": "same", "dilation_rate": 2},
            {"type": "activation", "activation": "gelu"}
          ]},
          {"type": "spatial_dropout2d", "rate": 0.1, "seed": 3},
          {"type": "global_average_pooling2d"},
          {"type": "gaussian_noise", "stddev": 0.1},
          {"type": "maxout", "units": 16, "pieces": 3, "bias_initializer": "random_uniform"},
          {"type": "layer_normalization", "epsilon": 1e-5},
          {"type": "dense", "units": 2, "activation": "softmax", "kernel_regularizer": "l1_l2",
           "kernel_constraint": {"min_max_norm": {"max_value": 2, "axis": [0, 1]}}}
        ]
      },
      "training": {
        "loss": {"type": "categorical_crossentropy", "from_logits": false},
        "label_smoothing": 0.1,
        "metrics": ["accuracy", "auc"],
        "optimizer": {"type": "sgd", "momentum": 0.9, "nesterov": true, "clipnorm": 1},
        "lr_schedule": {"type": "reduce_on_plateau", "monitor": "val_accuracy", "patience": 2},
        "class_weight": {"cat": 1, "dog": 2.5},
        "ensemble": {"members": 3},
        "threads": 2
      },
      "early_stopping": {"monitor": "val_auc", "mode": "max", "baseline": 0.5},
      "checkpoint": {"save_best_only": true, "save_freq": 2, "keep": 3},
      "augmentation": {"rotation_range": 15, "zoom_range": 0.25, "horizontal_flip": true, "contrast_range": 0.2,
                       "random_erasing": {"probability": 0.3}, "mixup": 0.2},
      "output": {"dir": "/tmp/rich-run"}
    }
    """
