import XCTest
@testable import NNReg

/// Maxout and residual blocks. Oracles: central finite differences (GradientCheck.swift),
/// hand-computed values, and statistics over many draws for stochastic depth (each bound
/// states its standard deviation).
final class ArchitectureTests: XCTestCase {
    // MARK: - Maxout

    func testMaxoutBackwardMatchesFiniteDifferences() throws {
        try checkGradients(Maxout(units: 3, pieces: 4), inputShape: [5])
        try checkGradients(
            Maxout(units: 2, pieces: 3, biasInitializer: .randomNormal(mean: 0, stddev: 1)), inputShape: [2, 4])
        try checkGradients(Maxout(units: 4, pieces: 1, useBias: false), inputShape: [3])  // one piece: a linear dense
    }

    /// Oracle: by hand. x = [1, 2]; kernel columns (unit 0: pieces 0, 1; unit 1: pieces 0, 1)
    /// z = x @ W + b = [1 + 0, -1 + 0.5, 4 - 1, 0.5 + 2] = [1, -0.5, 3, 2.5]
    /// y = [max(1, -0.5), max(3, 2.5)] = [1, 3]; dy = [10, 20] routes to z[0] and z[2].
    func testMaxoutByHand() throws {
        var rng = RNG(seed: 1)
        let m = Maxout(units: 2, pieces: 2)
        XCTAssertEqual(try m.build(inputShape: [2], maxBatch: 1, rng: &rng), [2])
        XCTAssertEqual(m.kernel.value.shape, [2, 4])
        // Row-major (in, units * pieces): row 0 then row 1.
        for (i, v) in [Float(1), -1, 2, 0.5, 0, 0.25, 1, 0].enumerated() { m.kernel.value[i] = v }
        for (i, v) in [Float(0), 0, -1, 2].enumerated() { m.bias!.value[i] = v }
        let y = m.forward(Tensor(shape: [1, 2], values: [1, 2]), training: true, rng: &rng)
        XCTAssertEqual(y.array, [1, 3])
        let dx = try XCTUnwrap(m.backward(Tensor(shape: [1, 2], values: [10, 20])))
        XCTAssertEqual(m.bias!.grad.array, [10, 0, 20, 0])
        XCTAssertEqual(m.kernel.grad.array, [10, 0, 20, 0, 20, 0, 40, 0])  // x_i * dz_j
        XCTAssertEqual(dx.array, [50, 20])  // dz @ W^T = [10 * 1 + 20 * 2, 10 * 0 + 20 * 1]
    }

    func testMaxoutRejectsAnInputWithoutFeatures() {
        var rng = RNG(seed: 1)
        XCTAssertThrowsError(try Maxout(units: 2, pieces: 2).build(inputShape: [], maxBatch: 1, rng: &rng))
    }

    // MARK: - Residual

    private func branch() -> [Layer] {
        [Dense(units: 6, activation: .tanh), Dense(units: 4, biasInitializer: .randomNormal(mean: 0, stddev: 0.5))]
    }

    func testPlainResidualBackwardMatchesFiniteDifferences() throws {
        try checkGradients(Residual(layers: branch()), inputShape: [4])
        try checkGradients(Residual(layers: branch()), inputShape: [4], training: false)
        // Batch norm inside the branch: its gradient through the batch statistics.
        try checkGradients(
            Residual(layers: [Dense(units: 4), BatchNormalization(), ActivationLayer(.tanh)]),
            inputShape: [4], batch: 4)
        // Nested blocks.
        try checkGradients(Residual(layers: [Residual(layers: branch()), LayerNormalization()]), inputShape: [4])
    }

    /// checkGradients re-seeds the generator for every forward pass, so the per-sample
    /// mask is the same in every call; the seed is chosen so it keeps some samples and
    /// drops others.
    func testStochasticDepthBackwardWithFixedMask() throws {
        let block = Residual(layers: branch(), survivalProbability: 0.5)
        try checkGradients(block, inputShape: [4], batch: 6, seed: 11)
        var fixed = RNG(seed: 12)  // the generator checkGradients hands to forward
        let x = Tensor(shape: [6, 4])
        _ = block.forward(x, training: true, rng: &fixed)
        let mask = try XCTUnwrap(scales(block, 6))
        XCTAssertTrue(mask.contains(0) && mask.contains(2), "mask \(mask) should keep and drop samples")
    }

    /// The per-sample multipliers the last forward used.
    private func scales(_ block: Residual, _ n: Int) -> [Float]? {
        Mirror(reflecting: block).children.first { $0.label == "scale" }
            .flatMap { $0.value as? Tensor }.map { Array($0.array.prefix(n)) }
    }

    /// Inference: y = x + f(x) exactly, whatever p (inverted scaling, torchvision's rule).
    func testStochasticDepthAtInferenceIsThePlainResidual() throws {
        var rng = RNG(seed: 3)
        let f = Dense(units: 5, biasInitializer: .randomNormal(mean: 0, stddev: 1))
        let block = Residual(layers: [f], survivalProbability: 0.3)
        _ = try block.build(inputShape: [5], maxBatch: 8, rng: &rng)
        let x = Tensor(shape: [8, 5])
        for i in 0..<x.count { x[i] = rng.normal() }
        let fx = f.forward(x, training: false, rng: &rng).array
        let y = block.forward(x, training: false, rng: &rng).array
        for i in 0..<x.count { XCTAssertEqual(y[i], x[i] + fx[i], accuracy: 1e-6) }
    }

    /// Statistical: per sample the branch is either dropped (y = x) or kept and scaled by
    /// 1/p (y = x + f(x)/p); over 20,000 samples the kept fraction is p +- 0.01 (sd 0.0032)
    /// and the mean of y - x equals f(x), i.e. the inference output, within 0.02 (sd of
    /// each mean ~0.008 for |f| <= 1.3).
    func testStochasticDepthKeepsTheExpectedOutput() throws {
        let p: Float = 0.6, n = 20_000
        var rng = RNG(seed: 8)
        let f = Dense(units: 3, kernelInitializer: .zeros, biasInitializer: .zeros)
        let block = Residual(layers: [f], survivalProbability: p)
        _ = try block.build(inputShape: [3], maxBatch: n, rng: &rng)
        for (i, v) in [Float(1.0), -0.5, 1.3].enumerated() { f.bias!.value[i] = v }  // f(x) = b for every x
        let x = Tensor(shape: [n, 3])
        for i in 0..<x.count { x[i] = rng.normal() }
        let y = block.forward(x, training: true, rng: &rng)
        var kept = 0
        var sums = [Double](repeating: 0, count: 3)
        for s in 0..<n {
            let d = (0..<3).map { y[s * 3 + $0] - x[s * 3 + $0] }
            let dropped = d.allSatisfy { abs($0) < 1e-6 }
            if !dropped {
                kept += 1
                for j in 0..<3 { XCTAssertEqual(d[j], f.bias!.value[j] / p, accuracy: 1e-5) }
            }
            for j in 0..<3 { sums[j] += Double(d[j]) }
        }
        XCTAssertEqual(Double(kept) / Double(n), Double(p), accuracy: 0.01)
        for j in 0..<3 { XCTAssertEqual(sums[j] / Double(n), Double(f.bias!.value[j]), accuracy: 0.02) }
    }

    func testSurvivalProbabilityOneDrawsNothingAndIsThePlainResidual() throws {
        var rng = RNG(seed: 5)
        let block = Residual(layers: branch())
        _ = try block.build(inputShape: [4], maxBatch: 3, rng: &rng)
        let x = Tensor(shape: [3, 4])
        for i in 0..<x.count { x[i] = rng.normal() }
        var a = RNG(seed: 9), b = RNG(seed: 9)
        let train = block.forward(x, training: true, rng: &a).array
        XCTAssertEqual(a.words, b.words, "p = 1 must not consume randomness")
        XCTAssertEqual(block.forward(x, training: false, rng: &b).array, train)
    }

    func testShapeMismatchNamesBothShapes() {
        var rng = RNG(seed: 1)
        XCTAssertThrowsError(try Residual(layers: [Dense(units: 8)]).build(inputShape: [4], maxBatch: 2, rng: &rng)) {
            XCTAssertEqual(
                "\($0)",
                "residual branch output shape (None, 8) does not match its input shape (None, 4); x + f(x) needs equal shapes"
            )
        }
        XCTAssertThrowsError(try Residual(layers: []).build(inputShape: [4], maxBatch: 2, rng: &rng))
        // A sub-layer's own error says which sub-layer.
        XCTAssertThrowsError(
            try Residual(layers: [Dense(units: 4), BatchNormalization(axis: 5)])
                .build(inputShape: [4], maxBatch: 2, rng: &rng)
        ) {
            XCTAssertTrue("\($0)".hasPrefix("layers[1]: batch_normalization axis 5"), "\($0)")
        }
    }

    /// Checkpoint names stay unique with nested blocks: Sequential prefixes
    /// "layers.{i}.{kind}." to each block's "layers.{j}.{kind}.{name}".
    func testParameterNamesAreUniqueForNestedResiduals() throws {
        var rng = RNG(seed: 1)
        let inner = Residual(layers: [Dense(units: 4), BatchNormalization()])
        let model = try Sequential(
            layers: [
                Dense(units: 4), Residual(layers: [Dense(units: 4), inner, Maxout(units: 4, pieces: 2)]),
                Dense(units: 2),
            ],
            inputShape: [3], maxBatch: 2, rng: &rng)
        let names = model.namedParameters.map(\.name)
        XCTAssertEqual(
            names,
            [
                "layers.0.dense.kernel", "layers.0.dense.bias",
                "layers.1.residual.layers.0.dense.kernel", "layers.1.residual.layers.0.dense.bias",
                "layers.1.residual.layers.1.residual.layers.0.dense.kernel",
                "layers.1.residual.layers.1.residual.layers.0.dense.bias",
                "layers.1.residual.layers.1.residual.layers.1.batch_normalization.gamma",
                "layers.1.residual.layers.1.residual.layers.1.batch_normalization.beta",
                "layers.1.residual.layers.1.residual.layers.1.batch_normalization.moving_mean",
                "layers.1.residual.layers.1.residual.layers.1.batch_normalization.moving_variance",
                "layers.1.residual.layers.2.maxout.kernel", "layers.1.residual.layers.2.maxout.bias",
                "layers.2.dense.kernel", "layers.2.dense.bias",
            ])
        XCTAssertEqual(Set(names).count, names.count)
        // The same Parameter objects the sub-layers own, not copies.
        XCTAssertTrue(model.namedParameters[9].parameter === inner.parameters[5])
        XCTAssertEqual(model.trainableParameters.count, 12)
        XCTAssertEqual(model.layers[1].parameters.count, 10)
    }

    /// A sub-layer's activity penalty reaches the model's loss and its gradient the
    /// branch, exactly as for a top-level layer (Sequential: penalty / N, grad likewise).
    func testSubLayerActivityRegularizerIsForwarded() throws {
        func model(nested: Bool) throws -> Sequential {
            var rng = RNG(seed: 2)
            let d = Dense(units: 3, activation: .tanh)
            d.activityRegularizer = Regularizer(l1: 0.1, l2: 0.2)
            let layers: [Layer] = nested ? [Residual(layers: [d])] : [d]
            return try Sequential(layers: layers, inputShape: [3], maxBatch: 4, rng: &rng)
        }
        let flat = try model(nested: false), nested = try model(nested: true)
        let x = Tensor(shape: [4, 3])
        var rng = RNG(seed: 3)
        for i in 0..<x.count { x[i] = rng.normal() }
        _ = flat.forward(x, training: true, rng: &rng)
        _ = nested.forward(x, training: true, rng: &rng)
        XCTAssertGreaterThan(flat.activityPenalty, 0)
        XCTAssertEqual(nested.activityPenalty, flat.activityPenalty, accuracy: 1e-6)
        // dy = 0: only the penalty's gradient remains. (Sequential adds a top-level
        // layer's penalty gradient into the dy it is given, so each model gets its own.)
        flat.backward(Tensor(shape: [4, 3]))
        nested.backward(Tensor(shape: [4, 3]))
        let a = flat.trainableParameters, b = nested.trainableParameters
        for (p, q) in zip(a, b) { for i in 0..<p.grad.count { XCTAssertEqual(q.grad[i], p.grad[i], accuracy: 1e-6) } }
        _ = nested.forward(x, training: false, rng: &rng)
        XCTAssertEqual(nested.activityPenalty, 0, "no activity penalty at inference")
    }

    func testBeginEpochAndInputGradientFlagReachSubLayers() throws {
        var rng = RNG(seed: 1)
        let noise = NoiseLayer(.dropout(rate: 0.5, noiseShape: nil), seed: 4)
        let first = Dense(units: 6)
        let model = try Sequential(
            layers: [Residual(layers: [first, noise, Dense(units: 6)])],
            inputShape: [6], maxBatch: 1, rng: &rng)
        XCTAssertFalse(first.needsInputGradient, "the model's first layer needs no dx, nor its branch's first")
        let x = Tensor(shape: [1, 6], values: [1, 2, 3, 4, 5, 6])
        func masks(epoch: Int) -> [Float] {
            model.layers[0].beginEpoch(epoch)
            var r = RNG(seed: 0)
            _ = model.forward(x, training: true, rng: &r)
            return (Mirror(reflecting: noise).children.first { $0.label == "m" }?.value as? Tensor)?.array ?? []
        }
        let e1 = masks(epoch: 1)
        XCTAssertEqual(masks(epoch: 1), e1, "the seeded dropout re-derives its stream per epoch")
        XCTAssertNotEqual(masks(epoch: 2), e1)
        // Backward still fills the branch's parameter gradients without computing dx.
        model.backward(Tensor(shape: [1, 6], values: [1, 1, 1, 1, 1, 1]))
        XCTAssertTrue(first.kernel.grad.array.contains { $0 != 0 })
    }
}
