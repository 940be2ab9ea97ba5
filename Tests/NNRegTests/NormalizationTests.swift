import XCTest
@testable import NNReg

/// Oracles: Keras 3.15.1 / TF 2.21 (Fixtures/normalization.json, made by
/// tools/reference/normalization.py: outputs, updated moving statistics, and
/// tf.GradientTape gradients of sum(y * r)); central finite differences (GradientCheck.swift).
/// Tolerance against Keras: 1e-5 + 1e-5 |v| for outputs and statistics (Float32, the
/// statistics summed in Double here and in float32 by TF), 2e-5 + 1e-4 |v| for gradients.
final class NormalizationTests: XCTestCase {
    struct Fixture: Decodable {
        struct Gradients: Decodable {
            let dx: [Float]
            let dgamma: [Float]?
            let dbeta: [Float]?
        }
        struct BatchNorm: Decodable {
            let name: String
            let shape: [Int]
            let axis: Int
            let momentum: Float
            let epsilon: Float
            let center: Bool
            let scale: Bool
            let x: [Float]
            let r: [Float]
            let gamma: [Float]?
            let beta: [Float]?
            let moving_mean: [Float]
            let moving_variance: [Float]
            let training_output: [Float]
            let moving_mean_after: [Float]
            let moving_variance_after: [Float]
            let inference_output: [Float]
            let training_gradients: Gradients
            let inference_gradients: Gradients
            let batch_variance_biased: [Float]
            let batch_variance_unbiased: [Float]
        }
        struct LayerNorm: Decodable {
            let name: String
            let shape: [Int]
            let axis: Int
            let epsilon: Float
            let center: Bool
            let scale: Bool
            let x: [Float]
            let r: [Float]
            let gamma: [Float]?
            let beta: [Float]?
            let output: [Float]
            let gradients: Gradients
        }
        struct Defaults: Decodable {
            let axis: Int
            let momentum: Float?
            let epsilon: Float
            let center: Bool
            let scale: Bool
        }
        let keras: String
        let defaults: [String: Defaults]
        let batch_normalization: [BatchNorm]
        let layer_normalization: [LayerNorm]
    }

    func load() throws -> Fixture {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "normalization", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    private func assertClose(
        _ a: [Float], _ b: [Float]?, atol: Float = 1e-5, rtol: Float = 1e-5, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard let b else { return XCTFail("\(what): no reference", file: file, line: line) }
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for i in 0..<min(a.count, b.count) {
            XCTAssertEqual(a[i], b[i], accuracy: atol + rtol * abs(b[i]), "\(what)[\(i)]", file: file, line: line)
        }
    }

    private func assertGradients(
        _ layer: Layer, _ dx: Tensor?, _ ref: Fixture.Gradients, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        assertClose(dx?.array ?? [], ref.dx, atol: 2e-5, rtol: 1e-4, "\(what) dx", file: file, line: line)
        for p in layer.parameters where p.trainable {
            let expected = p.name == "gamma" ? ref.dgamma : ref.dbeta
            assertClose(p.grad.array, expected, atol: 2e-5, rtol: 1e-4, "\(what) d\(p.name)", file: file, line: line)
        }
    }

    // MARK: - Keras semantics

    func testDefaultsMatchKeras() throws {
        let f = try load()
        XCTAssertEqual(f.keras, "3.15.1")
        let bn = BatchNormalization(), ln = LayerNormalization()
        let kbn = try XCTUnwrap(f.defaults["batch_normalization"]),
            kln = try XCTUnwrap(f.defaults["layer_normalization"])
        XCTAssertEqual([bn.axis, ln.axis], [kbn.axis, kln.axis])
        XCTAssertEqual(bn.momentum, kbn.momentum)
        XCTAssertEqual([bn.epsilon, ln.epsilon], [kbn.epsilon, kln.epsilon])  // both 1e-3 in Keras 3
        XCTAssertEqual([bn.center, bn.scale, ln.center, ln.scale], [kbn.center, kbn.scale, kln.center, kln.scale])
    }

    /// One training call (batch statistics, moving averages updated with the biased
    /// variance), then one inference call with the updated moving statistics; gradients of
    /// both against tf.GradientTape.
    func testBatchNormalizationMatchesKeras() throws {
        let f = try load()
        XCTAssertEqual(f.batch_normalization.count, 5)
        for c in f.batch_normalization {
            var rng = RNG(seed: 1)
            let layer = BatchNormalization(
                axis: c.axis, momentum: c.momentum, epsilon: c.epsilon, center: c.center, scale: c.scale)
            _ = try layer.build(inputShape: Array(c.shape.dropFirst()), maxBatch: c.shape[0], rng: &rng)
            XCTAssertEqual(
                layer.parameters.map(\.name),
                (c.scale ? ["gamma"] : []) + (c.center ? ["beta"] : []) + ["moving_mean", "moving_variance"])
            for (p, v) in [(layer.gamma, c.gamma), (layer.beta, c.beta)] { if let p, let v { set(p.value, v) } }
            set(layer.movingMean.value, c.moving_mean)
            set(layer.movingVariance.value, c.moving_variance)
            let x = Tensor(shape: c.shape, values: c.x), r = Tensor(shape: c.shape, values: c.r)

            assertClose(layer.forward(x, training: true, rng: &rng).array, c.training_output, "\(c.name) training y")
            assertClose(layer.movingMean.value.array, c.moving_mean_after, "\(c.name) moving_mean")
            assertClose(layer.movingVariance.value.array, c.moving_variance_after, "\(c.name) moving_variance")
            assertGradients(layer, layer.backward(r), c.training_gradients, "\(c.name) training")

            assertClose(layer.forward(x, training: false, rng: &rng).array, c.inference_output, "\(c.name) inference y")
            assertGradients(layer, layer.backward(r), c.inference_gradients, "\(c.name) inference")
        }
    }

    /// The fixture's own record that Keras 3 puts the biased (1/M) batch variance into
    /// moving_variance, not the unbiased 1/(M-1) one (tf.keras 2's fused kernel did).
    func testMovingVarianceUsesTheBiasedBatchVariance() throws {
        for c in try load().batch_normalization {
            for ch in 0..<c.moving_variance.count {
                let m = c.momentum, old = c.moving_variance[ch]
                let biased = old * m + c.batch_variance_biased[ch] * (1 - m)
                let unbiased = old * m + c.batch_variance_unbiased[ch] * (1 - m)
                XCTAssertEqual(c.moving_variance_after[ch], biased, accuracy: 1e-5, c.name)
                XCTAssertGreaterThan(abs(c.moving_variance_after[ch] - unbiased), 1e-3, c.name)
            }
        }
    }

    func testLayerNormalizationMatchesKeras() throws {
        let f = try load()
        XCTAssertEqual(f.layer_normalization.count, 4)
        for c in f.layer_normalization {
            var rng = RNG(seed: 1)
            let layer = LayerNormalization(axis: c.axis, epsilon: c.epsilon, center: c.center, scale: c.scale)
            _ = try layer.build(inputShape: Array(c.shape.dropFirst()), maxBatch: c.shape[0], rng: &rng)
            for (p, v) in [(layer.gamma, c.gamma), (layer.beta, c.beta)] { if let p, let v { set(p.value, v) } }
            let x = Tensor(shape: c.shape, values: c.x), r = Tensor(shape: c.shape, values: c.r)
            for training in [true, false] {  // the same in both modes
                assertClose(layer.forward(x, training: training, rng: &rng).array, c.output, "\(c.name) y")
                assertGradients(layer, layer.backward(r), c.gradients, c.name)
            }
        }
    }

    private func set(_ t: Tensor, _ values: [Float]) {
        precondition(t.count == values.count)
        for i in 0..<values.count { t[i] = values[i] }
    }

    // MARK: - Finite differences

    private func batchNorm(axis: Int = -1, center: Bool = true, scale: Bool = true) -> BatchNormalization {
        BatchNormalization(
            axis: axis, momentum: 0.9, center: center, scale: scale,
            betaInitializer: .randomNormal(mean: 0, stddev: 0.5),
            gammaInitializer: .randomUniform(minval: 0.5, maxval: 1.5),
            movingMeanInitializer: .randomNormal(mean: 0, stddev: 0.5),
            movingVarianceInitializer: .randomUniform(minval: 0.5, maxval: 2))
    }

    /// Training mode: the gradient flows through the batch mean and variance.
    func testBatchNormalizationTrainingBackwardMatchesFiniteDifferences() throws {
        try checkGradients(batchNorm(), inputShape: [3], batch: 4)
        try checkGradients(batchNorm(), inputShape: [2, 2, 3], batch: 2)  // images: per channel over N, H, W
        try checkGradients(batchNorm(axis: 1), inputShape: [3, 2], batch: 3)  // a middle axis
        try checkGradients(batchNorm(center: false, scale: false), inputShape: [4], batch: 5)
    }

    func testBatchNormalizationInferenceBackwardMatchesFiniteDifferences() throws {
        try checkGradients(batchNorm(), inputShape: [3], batch: 4, training: false)
        try checkGradients(batchNorm(axis: -2), inputShape: [3, 2], batch: 2, training: false)
    }

    func testLayerNormalizationBackwardMatchesFiniteDifferences() throws {
        func ln(axis: Int = -1, center: Bool = true, scale: Bool = true) -> LayerNormalization {
            LayerNormalization(
                axis: axis, center: center, scale: scale, betaInitializer: .randomNormal(mean: 0, stddev: 0.5),
                gammaInitializer: .randomUniform(minval: 0.5, maxval: 1.5))
        }
        try checkGradients(ln(), inputShape: [5])
        try checkGradients(ln(), inputShape: [3, 4], batch: 2)
        try checkGradients(ln(axis: 1), inputShape: [3, 4], batch: 2)
        try checkGradients(ln(center: false, scale: false), inputShape: [4])
    }

    // MARK: - Behaviour

    /// Training output per channel has mean beta and variance gamma^2 * var / (var + eps);
    /// inference with the defaults (moving 0 and 1) is y = x / sqrt(1 + eps).
    func testBatchStatisticsNormalizeAndInferenceUsesMovingStatistics() throws {
        var rng = RNG(seed: 4)
        let layer = BatchNormalization()
        _ = try layer.build(inputShape: [2], maxBatch: 64, rng: &rng)
        let x = Tensor(shape: [64, 2])
        for i in 0..<x.count { x[i] = 3 + 2 * rng.normal() }
        let y = layer.forward(x, training: true, rng: &rng)
        for ch in 0..<2 {
            let v = (0..<64).map { Double(y[$0 * 2 + ch]) }
            let mean = v.reduce(0, +) / 64
            XCTAssertEqual(mean, 0, accuracy: 1e-6)
            XCTAssertEqual(v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 64, 1, accuracy: 1e-3)
        }
        // After one step with momentum 0.99 the moving mean moved 1% of the way.
        let batchMean = (0..<64).reduce(0.0) { $0 + Double(x[$1 * 2]) } / 64
        XCTAssertEqual(Double(layer.movingMean.value[0]), 0.01 * batchMean, accuracy: 1e-6)
        layer.movingMean.value.fill(0)
        layer.movingVariance.value.fill(1)
        let z = layer.forward(x, training: false, rng: &rng)
        for i in 0..<x.count { XCTAssertEqual(z[i], x[i] / (1 + 1e-3 as Float).squareRoot(), accuracy: 1e-6) }
        XCTAssertEqual(layer.movingMean.value.array, [0, 0], "inference leaves the moving statistics alone")
    }

    func testMovingStatisticsAreStoredNotTrained() throws {
        var rng = RNG(seed: 1)
        let model = try Sequential(
            layers: [Dense(units: 3), BatchNormalization(), LayerNormalization()],
            inputShape: [2], maxBatch: 4, rng: &rng)
        XCTAssertEqual(
            model.namedParameters.map(\.name),
            [
                "layers.0.dense.kernel", "layers.0.dense.bias",
                "layers.1.batch_normalization.gamma", "layers.1.batch_normalization.beta",
                "layers.1.batch_normalization.moving_mean", "layers.1.batch_normalization.moving_variance",
                "layers.2.layer_normalization.gamma", "layers.2.layer_normalization.beta",
            ])
        XCTAssertEqual(model.trainableParameters.count, 6)
        XCTAssertEqual(model.summary(name: "m").contains("Non-trainable params: 6 (24 B)"), true)
    }

    func testAxisValidation() throws {
        var rng = RNG(seed: 1)
        for (axis, shape) in [(0, [4]), (2, [4]), (-2, [4]), (3, [2, 3]), (-4, [2, 3])] {
            XCTAssertThrowsError(try BatchNormalization(axis: axis).build(inputShape: shape, maxBatch: 2, rng: &rng)) {
                XCTAssertTrue("\($0)".contains("batch_normalization axis \(axis) is not a feature axis"), "\($0)")
            }
            XCTAssertThrowsError(try LayerNormalization(axis: axis).build(inputShape: shape, maxBatch: 2, rng: &rng))
        }
        // Keras axes count the batch: 1 and -2 both mean the first feature axis of (None, 2, 3).
        XCTAssertEqual(try BatchNormalization(axis: 1).build(inputShape: [2, 3], maxBatch: 2, rng: &rng), [2, 3])
        let bn = BatchNormalization(axis: -2)
        _ = try bn.build(inputShape: [2, 3], maxBatch: 2, rng: &rng)
        XCTAssertEqual(bn.movingMean.value.shape, [2])
    }
}
