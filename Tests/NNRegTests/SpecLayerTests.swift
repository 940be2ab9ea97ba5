import XCTest

@testable import NNReg

/// The layer table and the accessors the model builder reads layers with.
final class LayerSpecTests: XCTestCase {
    private func layer(_ json: String) throws -> LayerSpec {
        try Spec.parse(minimalSpec(layers: json), baseDirectory: "/p").model.layers[0]
    }

    func testEverySpecLayerTypeIsInTheTable() {
        XCTAssertEqual(
            LayerSpec.types,
            [
                "dense", "dropout", "spatial_dropout2d", "gaussian_noise", "gaussian_dropout", "alpha_dropout",
                "batch_normalization", "layer_normalization", "activation", "conv2d", "max_pooling2d",
                "average_pooling2d", "global_average_pooling2d", "global_max_pooling2d", "conv1d", "max_pooling1d",
                "average_pooling1d", "global_average_pooling1d", "global_max_pooling1d", "flatten", "lstm", "gru",
                "simple_rnn", "residual", "maxout",
            ])
    }

    func testConvSizesBecomePairsWithKerasDefaults() throws {
        let conv = try layer(#"{"type": "conv2d", "filters": 4, "kernel_size": 5}"#)
        XCTAssertEqual(conv.ints("kernel_size"), [5, 5])
        XCTAssertEqual(conv.ints("strides"), [1, 1])
        XCTAssertEqual(conv.ints("dilation_rate"), [1, 1])
        XCTAssertEqual(conv.string("padding"), "valid")
        XCTAssertEqual(conv.activation(), .linear)
        XCTAssertEqual(
            try layer(#"{"type": "conv2d", "filters": 4, "kernel_size": [3, 1]}"#).ints("kernel_size"), [3, 1])
        XCTAssertEqual(
            specError(
                minimalSpec(
                    layers: #"{"type": "conv2d", "filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}"#)),
            "model.layers[0].dilation_rate: must be 1 when strides > 1 (as in Keras)")
    }

    func testPoolingStridesDefaultToPoolSize() throws {
        let pool = try layer(#"{"type": "max_pooling2d", "pool_size": 3}"#)
        XCTAssertEqual(pool.ints("pool_size"), [3, 3])
        XCTAssertEqual(pool.ints("strides"), [3, 3])
        XCTAssertEqual(try layer(#"{"type": "average_pooling2d"}"#).ints("strides"), [2, 2])
        XCTAssertEqual(try layer(#"{"type": "average_pooling2d", "strides": 1}"#).ints("strides"), [1, 1])
    }

    func testRecurrentLayersTakeKeras3Defaults() throws {
        let lstm = try layer(#"{"type": "lstm", "units": 8}"#)
        XCTAssertEqual(lstm.activation(), .tanh)
        XCTAssertEqual(lstm.activation("recurrent_activation"), .sigmoid)
        XCTAssertEqual(lstm.initializer("kernel_initializer"), .glorotUniform)
        XCTAssertEqual(lstm.initializer("recurrent_initializer"), .orthogonal(gain: 1))
        XCTAssertEqual(lstm.initializer("bias_initializer"), .zeros)
        XCTAssertTrue(lstm.bool("unit_forget_bias"))
        XCTAssertTrue(lstm.bool("use_bias"))
        XCTAssertFalse(lstm.bool("return_sequences"))
        XCTAssertEqual(lstm.float("dropout"), 0)
        XCTAssertEqual(lstm.float("recurrent_dropout"), 0)
        XCTAssertNil(lstm.regularizer("recurrent_regularizer"))
        XCTAssertNil(lstm.constraint("recurrent_constraint"))
        XCTAssertTrue(try layer(#"{"type": "gru", "units": 8}"#).bool("reset_after"))
        // Keras's SimpleRNN has no recurrent_activation.
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "simple_rnn", "units": 8, "recurrent_activation": "tanh"}"#))?
                .hasPrefix(
                    #"model.layers[0].recurrent_activation: unknown key; expected one of "units", "activation""#),
            true)
    }

    func testRegularizerForms() throws {
        func regularizer(_ value: String) throws -> Regularizer? {
            try layer(#"{"type": "dense", "units": 1, "kernel_regularizer": \#(value)}"#).regularizer(
                "kernel_regularizer")
        }
        XCTAssertEqual(try regularizer(#""l1""#), Regularizer(l1: 0.01, l2: 0))
        XCTAssertEqual(try regularizer(#""l2""#), Regularizer(l1: 0, l2: 0.01))
        XCTAssertEqual(try regularizer(#""l1_l2""#), Regularizer(l1: 0.01, l2: 0.01))
        XCTAssertEqual(try regularizer(#"{"l1": 0.5}"#), Regularizer(l1: 0.5, l2: 0))
        XCTAssertEqual(try regularizer(#"{"l1": 0.5, "l2": 0.25}"#), Regularizer(l1: 0.5, l2: 0.25))
        XCTAssertNil(try regularizer(#"{"l1": 0, "l2": 0}"#))
        XCTAssertNil(try regularizer("null"))
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "dense", "units": 1, "kernel_regularizer": "l3"}"#)),
            #"model.layers[0].kernel_regularizer: unknown regularizer "l3"; did you mean "l1"?"#)
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "dense", "units": 1, "kernel_regularizer": {"l22": 1}}"#)),
            #"model.layers[0].kernel_regularizer.l22: unknown key; did you mean "l2"?"#)
    }

    func testConstraintForms() throws {
        func constraint(_ value: String) throws -> Constraint? {
            try layer(#"{"type": "dense", "units": 1, "kernel_constraint": \#(value)}"#).constraint("kernel_constraint")
        }
        XCTAssertEqual(try constraint(#"{"max_norm": 3}"#), .maxNorm(maxValue: 3, axes: [0]))
        XCTAssertEqual(try constraint(#"{"max_norm": 3, "axis": 1}"#), .maxNorm(maxValue: 3, axes: [1]))
        XCTAssertEqual(
            try constraint(#"{"max_norm": {"max_value": 4, "axis": [0, 1]}}"#), .maxNorm(maxValue: 4, axes: [0, 1]))
        XCTAssertEqual(try constraint(#""max_norm""#), .maxNorm(maxValue: 2, axes: [0]))
        XCTAssertEqual(try constraint(#""non_neg""#), .nonNeg)
        XCTAssertEqual(try constraint(#""unit_norm""#), .unitNorm(axes: [0]))
        XCTAssertEqual(
            try constraint(#"{"min_max_norm": {}}"#), .minMaxNorm(minValue: 0, maxValue: 1, rate: 1, axes: [0]))
        XCTAssertEqual(
            try constraint(#"{"min_max_norm": {"min_value": 0.5, "max_value": 2, "rate": 0.5}}"#),
            .minMaxNorm(minValue: 0.5, maxValue: 2, rate: 0.5, axes: [0]))
        XCTAssertNil(try constraint("null"))
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "dense", "units": 1, "kernel_constraint": "non_negative"}"#)),
            #"model.layers[0].kernel_constraint: unknown constraint "non_negative"; did you mean "non_neg"?"#)
        XCTAssertEqual(
            specError(
                minimalSpec(layers: #"{"type": "dense", "units": 1, "kernel_constraint": {"max_norm": 3, "axes": 0}}"#)),
            #"model.layers[0].kernel_constraint.axes: unknown key; did you mean "axis"?"#)
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "dense", "units": 1, "kernel_constraint": {"max_norm": -1}}"#)),
            "model.layers[0].kernel_constraint.max_norm.max_value: must be > 0, got -1")
        XCTAssertEqual(
            specError(
                minimalSpec(
                    layers: #"{"type": "dense", "units": 1, "kernel_constraint": {"min_max_norm": {"min_value": 3}}}"#)),
            "model.layers[0].kernel_constraint.min_max_norm.max_value: must be >= min_value")
    }

    func testInitializerForms() throws {
        func initializer(_ value: String) throws -> Initializer {
            try layer(#"{"type": "dense", "units": 1, "kernel_initializer": \#(value)}"#).initializer(
                "kernel_initializer")
        }
        XCTAssertEqual(try initializer(#""he_normal""#), .heNormal)
        XCTAssertEqual(try initializer(#""random_normal""#), .randomNormal(mean: 0, stddev: 0.05))
        XCTAssertEqual(try initializer(#"{"random_normal": {"stddev": 0.2}}"#), .randomNormal(mean: 0, stddev: 0.2))
        XCTAssertEqual(
            try initializer(#"{"random_uniform": {"minval": -1}}"#), .randomUniform(minval: -1, maxval: 0.05))
        XCTAssertEqual(
            specError(
                minimalSpec(
                    layers: #"{"type": "dense", "units": 1, "kernel_initializer": {"random_normal": {"std": 1}}}"#)),
            #"model.layers[0].kernel_initializer.random_normal.std: unknown key; did you mean "stddev"?"#)
        XCTAssertEqual(Initializer.names.count, 11)
    }

    func testOtherLayerDefaults() throws {
        let norm = try layer(#"{"type": "batch_normalization"}"#)
        XCTAssertEqual(norm.int("axis"), -1)
        XCTAssertEqual(norm.float("momentum"), 0.99)
        XCTAssertEqual(norm.float("epsilon"), 0.001)
        XCTAssertTrue(norm.bool("center") && norm.bool("scale"))
        XCTAssertEqual(norm.initializer("gamma_initializer"), .ones)
        let dropout = try layer(#"{"type": "dropout", "rate": 0.5, "noise_shape": [null, 1, 4], "seed": 9}"#)
        XCTAssertEqual(dropout.value("noise_shape"), [nil, 1, 4])
        XCTAssertEqual(dropout.optionalInt("seed"), 9)
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "maxout", "units": 4}"#)),
            "model.layers[0].pieces: missing required key")
        XCTAssertEqual(
            specError(
                minimalSpec(
                    layers: #"{"type": "residual", "layers": [{"type": "flatten"}], "survival_probability": 0}"#)),
            "model.layers[0].survival_probability: must be in (0, 1], got 0")
        XCTAssertEqual(
            specError(minimalSpec(layers: #"{"type": "activation"}"#)),
            "model.layers[0].activation: missing required key")
        XCTAssertEqual(
            Activation.allCases.map(\.rawValue),
            [
                "linear", "relu", "leaky_relu", "elu", "selu", "gelu", "swish", "sigmoid",
                "tanh", "softplus", "softmax",
            ])
    }
}
