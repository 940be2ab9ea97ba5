import Foundation
import XCTest

/// `nnreg export --format onnx` of recurrent models (ONNX LSTM, GRU, RNN) on CSV rows
/// reshaped to (steps, features) by model.input_shape.
final class ExportRecurrentTests: ExportTestCase {
    /// Both GRU variants: reset_after (linear_before_reset=1) and reset_after=false (0).
    func testStackedLSTMGRUAndSimpleRNN() throws {
        try writeData(features: 12)
        try exportSpec(
            [
                ["type": "lstm", "units": 5, "return_sequences": true],
                ["type": "gru", "units": 4, "return_sequences": true, "dropout": 0.2],
                ["type": "gru", "units": 4, "return_sequences": true, "reset_after": false, "recurrent_dropout": 0.1],
                ["type": "simple_rnn", "units": 3, "activation": "relu", "return_sequences": true],
                ["type": "dense", "units": 4, "activation": "tanh"],
                ["type": "layer_normalization", "axis": 1, "epsilon": 0.01],
                ["type": "gru", "units": 3, "activation": "relu", "recurrent_activation": "tanh"],
                ["type": "dense", "units": 3, "activation": "softmax"],
            ], inputShape: [6, 2])
        let nodes = try XCTUnwrap(try assertExportMatchesPredict()["nodes"] as? [String])
        for op in ["LSTM", "GRU", "RNN"] { XCTAssertTrue(nodes.contains(op), "no \(op) in \(nodes)") }
    }

    func testLastStepOutputsAndNoBias() throws {
        try writeData(features: 12, regression: true)
        for (type, resetAfter) in [("lstm", true), ("gru", true), ("gru", false), ("simple_rnn", true)] {
            var layer: [String: Any] = ["type": type, "units": 4, "use_bias": type != "gru" || !resetAfter]
            if type == "gru" { layer["reset_after"] = resetAfter }
            try exportSpec(
                [
                    layer,
                    ["type": "dense", "units": 1],
                ], inputShape: [4, 3], regression: true)
            try assertExportMatchesPredict()
        }
    }
}
