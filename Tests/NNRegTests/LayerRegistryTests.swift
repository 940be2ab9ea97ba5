import XCTest

@testable import NNReg

/// Every registered layer type, end to end: its schema accepts a small spec, its
/// constructor builds the layer, and forward and backward agree with central finite
/// differences (`checkGradients`: Double sums, tolerance 2e-3 + 2e-2 relative).
final class LayerRegistryTests: XCTestCase {
    /// The smallest useful options of each type, and an input shape it takes. A type
    /// registered without a sample here fails the test, so none goes unexercised.
    static let samples: [String: (options: String, input: [Int])] = [
        "dense": (#""units": 3, "activation": "tanh""#, [4]),
        "dropout": (#""rate": 0.3"#, [5]),
        "spatial_dropout2d": (#""rate": 0.3"#, [2, 2, 3]),
        "gaussian_noise": (#""stddev": 0.1"#, [4]),
        "gaussian_dropout": (#""rate": 0.2"#, [4]),
        "alpha_dropout": (#""rate": 0.2"#, [4]),
        "batch_normalization": ("", [4]),
        "layer_normalization": ("", [4]),
        "activation": (#""activation": "elu""#, [4]),
        "conv2d": (#""filters": 2, "kernel_size": 2"#, [3, 3, 2]),
        "max_pooling2d": ("", [4, 4, 2]),
        "average_pooling2d": (#""padding": "same", "pool_size": 3, "strides": 2"#, [4, 4, 1]),
        "conv1d": (#""filters": 2, "kernel_size": 2, "padding": "causal", "dilation_rate": 2"#, [5, 2]),
        "max_pooling1d": (#""pool_size": 3, "strides": 2, "padding": "same""#, [5, 2]),
        "average_pooling1d": (#""pool_size": 3, "strides": 2, "padding": "same""#, [5, 2]),
        "global_average_pooling1d": ("", [4, 3]),
        "global_max_pooling1d": ("", [4, 3]),
        "global_average_pooling2d": ("", [2, 3, 2]),
        "global_max_pooling2d": ("", [2, 3, 2]),
        "flatten": ("", [2, 3]),
        "lstm": (#""units": 3, "return_sequences": true"#, [4, 2]),
        "gru": (#""units": 3"#, [4, 2]),
        "simple_rnn": (#""units": 3"#, [4, 2]),
        "residual": (#""layers": [{"type": "dense", "units": 4, "activation": "relu"}]"#, [4]),
        "maxout": (#""units": 2, "pieces": 3"#, [4]),
    ]

    func testEveryRegisteredTypeParsesBuildsAndMatchesFiniteDifferences() throws {
        XCTAssertEqual(Set(LayerSpec.types).count, LayerRegistry.all.count, "a type is registered twice")
        XCTAssertEqual(Set(Self.samples.keys), Set(LayerSpec.types), "a sample for a type that is not registered")
        for type in LayerRegistry.all {
            guard let sample = Self.samples[type.name] else {
                XCTFail("\(type.name): add a sample to LayerRegistryTests.samples")
                continue
            }
            let options = sample.options.isEmpty ? "" : ", " + sample.options
            let json = minimalSpec(layers: #"{"type": "\#(type.name)"\#(options)}"#)
            let spec = try Spec.parse(json, baseDirectory: "/p").model.layers[0]
            let layer = try LayerRegistry.make(spec)
            XCTAssertEqual(layer.kind, type.name)
            try checkGradients(layer, inputShape: sample.input)
            // The size worked out before building is what the built layer has.
            var rng = RNG(seed: 1)
            let size = try LayerRegistry.size(spec, input: sample.input)
            let built = try LayerRegistry.make(spec)
            XCTAssertEqual(size.output, try built.build(inputShape: sample.input, maxBatch: 2, rng: &rng), type.name)
            XCTAssertEqual(
                size.parameters, Double(built.namedParameters.reduce(0) { $0 + $1.parameter.value.count }), type.name)
        }
    }

    func testEveryOptionHasADocLine() {
        for type in LayerRegistry.all {
            XCTAssertFalse(type.schema.doc.isEmpty, "\(type.name) has no doc line")
            for option in type.schema.options {
                XCTAssertFalse(option.doc.isEmpty, "\(type.name).\(option.key) has no doc line")
            }
        }
    }

    /// Models too big to count in Ints are refused by name, never trapped on: an input
    /// shape of 2^53 x 2^53 before a flatten, and a model of more than 1e30 bytes.
    func testMemoryEstimateNamesAstronomicalModels() throws {
        let big = 9_007_199_254_740_992
        let flatten = try Spec.parse(
            minimalSpec(layers: #"{"type": "flatten"}, {"type": "dense", "units": 1}"#), baseDirectory: "/p")
        var rng = RNG(seed: 1)
        XCTAssertThrowsError(
            try ModelBuilder.build(flatten.model.layers, inputShape: [big, big], maxBatch: 1, rng: &rng)
        ) { XCTAssert("\($0)".hasPrefix("model.input_shape: a batch of 1 samples of shape"), "\($0)") }
        let dense = try Spec.parse(
            minimalSpec(layers: #"{"type": "dense", "units": \#(big)}, {"type": "dense", "units": \#(big)}"#),
            baseDirectory: "/p")
        XCTAssertThrowsError(try MemoryLimit.check(dense.model.layers, input: [4], batch: 32)) {
            XCTAssert("\($0)".hasPrefix("model.layers[0].units: the model needs about "), "\($0)")
        }
        XCTAssertEqual(MemoryLimit.format(.infinity), "more bytes than a Double counts")
        XCTAssertEqual(MemoryLimit.format(2e31), "2e+19 TB")
        XCTAssertEqual(MemoryLimit.format(1.5e9), "1.5 GB")
    }
}
