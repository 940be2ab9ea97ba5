import Foundation
import XCTest

/// `nnreg export --format onnx` of convolutional models on CSV rows reshaped by
/// model.input_shape: padding, strides, dilation, the poolings, batch normalization on
/// channels, residual blocks, flatten in Keras's (H, W, C) order, and the 1-D layers.
final class ExportConvolutionTests: ExportTestCase {
    /// Pixels 0...255 rescaled, as images are.
    func pixelSpec(_ layers: [[String: Any]], inputShape: [Int]) throws {
        try exportSpec(layers, inputShape: inputShape) { spec in
            spec["data"] = ["train": self.path("train.csv"), "label": "label", "rescale": 1.0 / 255]
        }
    }

    func testConv2DPaddingStridesDilationAndFlatten() throws {
        try writeData(features: 64, pixels: true)
        try pixelSpec(
            [
                [
                    "type": "conv2d", "filters": 4, "kernel_size": 3, "strides": 2, "padding": "same",
                    "activation": "relu",
                ],
                ["type": "batch_normalization"],
                ["type": "conv2d", "filters": 3, "kernel_size": [2, 2], "dilation_rate": 2, "activation": "elu"],
                ["type": "conv2d", "filters": 2, "kernel_size": 1, "use_bias": false],
                ["type": "flatten"],
                ["type": "dense", "units": 3, "activation": "softmax"],
            ], inputShape: [8, 8, 1])
        let nodes = try XCTUnwrap(try assertExportMatchesPredict()["nodes"] as? [String])
        XCTAssertEqual(nodes.filter { $0 == "Conv" }.count, 3)
        // Channels first from the first Conv to Flatten: one transpose in, one out.
        XCTAssertEqual(nodes.filter { $0 == "Transpose" }.count, 2, "\(nodes)")
    }

    func testPoolingsAndResidualBlock() throws {
        try writeData(features: 98, pixels: true)
        for global in ["global_average_pooling2d", "global_max_pooling2d"] {
            try pixelSpec(
                [
                    ["type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu"],
                    ["type": "max_pooling2d", "pool_size": 3, "strides": 2, "padding": "same"],
                    ["type": "average_pooling2d", "pool_size": 2, "strides": 1, "padding": "same"],
                    [
                        "type": "residual",
                        "layers": [
                            [
                                "type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same",
                                "activation": "swish",
                            ],
                            ["type": "batch_normalization"],
                        ],
                    ],
                    ["type": "average_pooling2d", "pool_size": 2],
                    ["type": global],
                    ["type": "dense", "units": 3, "activation": "softmax"],
                ], inputShape: [7, 7, 2])
            let nodes = try XCTUnwrap(try assertExportMatchesPredict()["nodes"] as? [String])
            XCTAssertTrue(nodes.contains("MaxPool") && nodes.contains("AveragePool"), "\(global): \(nodes)")
        }
    }

    func testConv1DPoolings1DAndSequenceDense() throws {
        try writeData(features: 18)
        try exportSpec(
            [
                ["type": "conv1d", "filters": 3, "kernel_size": 3, "padding": "causal", "activation": "gelu"],
                ["type": "max_pooling1d", "pool_size": 2, "padding": "same"],
                ["type": "conv1d", "filters": 4, "kernel_size": 2, "strides": 2, "padding": "same"],
                ["type": "batch_normalization"],
                ["type": "average_pooling1d", "pool_size": 2, "strides": 1, "padding": "same"],
                ["type": "dense", "units": 5, "activation": "relu"],
                ["type": "layer_normalization"],
                ["type": "global_max_pooling1d"],
                ["type": "dense", "units": 3, "activation": "softmax"],
            ], inputShape: [9, 2])
        let nodes = try XCTUnwrap(try assertExportMatchesPredict()["nodes"] as? [String])
        XCTAssertTrue(nodes.contains("MatMul"), "\(nodes)")

        try exportSpec(
            [
                ["type": "conv1d", "filters": 3, "kernel_size": 2, "dilation_rate": 2, "activation": "relu"],
                ["type": "global_average_pooling1d"],
                ["type": "dense", "units": 3, "activation": "softmax"],
            ], inputShape: [9, 2])
        XCTAssertEqual(try assertExportMatchesPredict(["--opset", "21"])["opset"] as? Int, 21)
    }
}
