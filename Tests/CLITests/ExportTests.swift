import Foundation
import XCTest

/// `nnreg export --format onnx` on dense models: every activation, the preprocessing
/// modes, the training-only layers left out, maxout, the normalizations, ensembles, and
/// the command's errors.
final class ExportTests: ExportTestCase {
    func testDenseWithEveryActivationAndFeaturewiseNormalization() throws {
        try writeData(features: 5)
        let activations = [
            "relu", "leaky_relu", "elu", "selu", "gelu", "swish", "tanh", "softplus", "sigmoid", "linear",
        ]
        try exportSpec(
            activations.map { ["type": "dense", "units": 6, "activation": $0] } + [
                ["type": "dense", "units": 3], ["type": "activation", "activation": "softmax"],
            ]
        ) { spec in
            var data = spec["data"] as! [String: Any]
            data["normalization"] = "featurewise"
            spec["data"] = data
        }
        let check = try assertExportMatchesPredict()
        XCTAssertEqual(check["output"] as? String, "probabilities")
        XCTAssertEqual(check["opset"] as? Int, 17)
        let nodes = try XCTUnwrap(check["nodes"] as? [String])
        for op in ["Sub", "Div", "Gemm", "Relu", "LeakyRelu", "Elu", "Selu", "Erf", "Tanh", "Softplus", "Softmax"] {
            XCTAssertTrue(nodes.contains(op), "no \(op) in \(nodes)")
        }
        let metadata = try XCTUnwrap(check["metadata"] as? [String: String])
        XCTAssertEqual(metadata["spec_name"], "export-test")
        XCTAssertEqual(try json(try XCTUnwrap(metadata["class_names"])) as? [String], ["0", "1", "2"])
        XCTAssertNotNil(metadata["nnreg_version"])
    }

    /// Regression ("values"), rescale and samplewise normalization at opset 18 (ReduceMean's
    /// axes as an input), training-only layers, maxout and both normalizations.
    func testRegressionWithSamplewiseNormalizationMaxoutAndNormalizations() throws {
        try writeData(features: 6, pixels: true, regression: true)
        try exportSpec(
            [
                ["type": "gaussian_noise", "stddev": 0.1],
                ["type": "dense", "units": 8, "activation": "relu"],
                ["type": "batch_normalization"],
                ["type": "dropout", "rate": 0.3],
                ["type": "maxout", "units": 4, "pieces": 3],
                ["type": "layer_normalization", "epsilon": 0.01],
                ["type": "alpha_dropout", "rate": 0.1],
                ["type": "gaussian_dropout", "rate": 0.1],
                ["type": "dense", "units": 1],
            ], regression: true
        ) { spec in
            spec["data"] = [
                "train": self.path("train.csv"), "label": "label", "rescale": 1.0 / 255,
                "normalization": "samplewise",
            ]
        }
        let check = try assertExportMatchesPredict(["--opset", "18"])
        XCTAssertEqual(check["output"] as? String, "values")
        XCTAssertEqual(check["opset"] as? Int, 18)
        let nodes = try XCTUnwrap(check["nodes"] as? [String])
        for op in ["Mul", "ReduceMean", "BatchNormalization", "ReduceMax", "LayerNormalization"] {
            XCTAssertTrue(nodes.contains(op), "no \(op) in \(nodes)")
        }
    }

    /// A sigmoid output fused into binary_crossentropy: the graph ends in Sigmoid, one probability.
    func testBinaryClassifier() throws {
        try writeData(features: 4, classes: 2)
        try exportSpec([
            ["type": "dense", "units": 6, "activation": "relu"],
            ["type": "dense", "units": 1, "activation": "sigmoid"],
        ]) { spec in
            var training = spec["training"] as! [String: Any]
            training["loss"] = "binary_crossentropy"
            spec["training"] = training
        }
        let check = try assertExportMatchesPredict()
        XCTAssertEqual(check["output"] as? String, "probabilities")
        XCTAssertEqual((check["nodes"] as? [String])?.suffix(2), ["Sigmoid", "Identity"])
        let metadata = try XCTUnwrap(check["metadata"] as? [String: String])
        XCTAssertEqual(try json(try XCTUnwrap(metadata["class_names"])) as? [String], ["0", "1"])
    }

    func testEnsembleAveragesItsMembers() throws {
        try writeData(features: 4)
        try exportSpec([
            ["type": "dense", "units": 6, "activation": "tanh"],
            ["type": "dense", "units": 3, "activation": "softmax"],
        ]) { spec in
            var training = spec["training"] as! [String: Any]
            training["ensemble"] = ["members": 3]
            spec["training"] = training
        }
        let check = try assertExportMatchesPredict()
        XCTAssertEqual((check["metadata"] as? [String: String])?["members"], "3")
        XCTAssertEqual((check["nodes"] as? [String])?.filter { $0 == "Softmax" }.count, 3)
    }

    func testUnsupportedLayersExit2NamingTheLayer() throws {
        try writeData(features: 8)
        try exportSpec(
            [
                ["type": "dense", "units": 4], ["type": "lstm", "units": 3, "activation": "elu"],
                ["type": "dense", "units": 3],
            ],
            inputShape: [4, 2])
        try train()
        let o = try nnreg("export", "run", "--format", "onnx", "--output", "model.onnx")
        XCTAssertEqual(o.status, 2)
        XCTAssertEqual(
            o.stderr,
            "error: nnreg export: layer model.layers[1] (lstm) with activation elu is not supported by the ONNX export yet\n"
        )
        XCTAssertFalse(exists("model.onnx"))

        try exportSpec(
            [
                [
                    "type": "residual",
                    "layers": [["type": "simple_rnn", "units": 2, "activation": "softplus", "return_sequences": true]],
                ],
                ["type": "flatten"],
                ["type": "dense", "units": 3],
            ], inputShape: [4, 2])
        try train()
        let axis = try nnreg("export", "run", "--format", "onnx", "--output", "model.onnx")
        XCTAssertEqual(axis.status, 2)
        XCTAssertEqual(
            axis.stderr,
            "error: nnreg export: layer model.layers[0].layers[0] (simple_rnn) with activation softplus is not "
                + "supported by the ONNX export yet\n")
        XCTAssertFalse(exists("model.onnx"))
    }

    func testOutputDefaultsBesideTheRunAndNeverOverwritesAnInput() throws {
        try writeData(features: 4)
        try exportSpec([["type": "dense", "units": 3, "activation": "softmax"]])
        try train()
        assertSuccess(try nnreg("export", "run", "--format", "onnx"))
        XCTAssertTrue(exists("run.onnx"))
        try FileManager.default.removeItem(atPath: path("run.onnx"))
        // A model file inside a run folder: still beside the run folder, not in it.
        assertSuccess(try nnreg("export", "run/model.safetensors", "--format", "onnx"))
        XCTAssertTrue(exists("run.onnx"))
        XCTAssertFalse(exists("run/model.onnx"))
        // A model file elsewhere: beside it.
        try FileManager.default.copyItem(atPath: path("run/model.safetensors"), toPath: path("copy.safetensors"))
        assertSuccess(try nnreg("export", "copy.safetensors", "--format", "onnx"))
        XCTAssertTrue(exists("copy.onnx"))
        let model = try Data(contentsOf: URL(fileURLWithPath: path("run/model.safetensors")))
        for output in ["run/model.safetensors", "run", "run/model.onnx", "copy.safetensors"] {
            let source = output == "copy.safetensors" ? output : "run"
            let o = try nnreg("export", source, "--format", "onnx", "--output", output)
            XCTAssertEqual(o.status, 2, output)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("run/model.safetensors"))), model)
        XCTAssertFalse(exists("run/model.onnx"))
        for bad in [["--opset", "16"], ["--format", "tflite"]] {
            let o = try Child(["export", "run", "--format", "onnx", "--output", "m.onnx"] + bad, in: dir).finish(
                timeout: 30)
            XCTAssertEqual(o.status, 2, "\(bad): \(o.stderr)")
        }
        XCTAssertFalse(exists("m.onnx"))
    }
}
