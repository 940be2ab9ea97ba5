import XCTest
@testable import NNReg

final class DenseTests: XCTestCase {
    /// Oracle: central finite differences (GradientCheck.swift), every activation.
    func testDenseBackwardMatchesFiniteDifferencesForEveryActivation() throws {
        for activation in Activation.allCases {
            // Inputs away from relu-family kinks at 0 keep the finite differences smooth.
            try checkGradients(Dense(units: 4, activation: activation), inputShape: [5])
        }
    }

    func testDenseOnSequencesAppliesToEveryStep() throws {
        try checkGradients(Dense(units: 3, activation: .tanh), inputShape: [4, 2])
    }

    func testDropConnectBackwardWithFixedMask() throws {
        try checkGradients(Dense(units: 4, activation: .relu, dropConnect: 0.5), inputShape: [6])
    }

    /// Oracle: central finite differences, with rows and columns split into 1, 2 and 3
    /// shards (worker threads), on sequences (rows = 3 samples x 4 steps) with DropConnect.
    func testShardedDenseMatchesFiniteDifferences() throws {
        let threads = Parallel.threads
        defer { Parallel.setThreads(threads) }
        for shards in [1, 2, 3] {
            Parallel.setThreads(shards)
            try checkGradients(Dense(units: 5, activation: .tanh, dropConnect: 0.3), inputShape: [4, 6])
        }
    }

    func testDropConnectIsIdentityAtInferenceAndKeepsTheMeanInTraining() throws {
        var rng = RNG(seed: 3)
        let plain = Dense(units: 1, useBias: false, kernelInitializer: .ones)
        let dropped = Dense(units: 1, useBias: false, dropConnect: 0.4, kernelInitializer: .ones)
        _ = try plain.build(inputShape: [100], maxBatch: 1, rng: &rng)
        _ = try dropped.build(inputShape: [100], maxBatch: 1, rng: &rng)
        let x = Tensor(shape: [1, 100], values: Array(repeating: 1, count: 100))
        XCTAssertEqual(
            dropped.forward(x, training: false, rng: &rng)[0], plain.forward(x, training: false, rng: &rng)[0])
        // E[y] = 100 with inverted scaling; 2000 draws, stddev of the mean ~0.18.
        var s = 0.0
        for _ in 0..<2000 { s += Double(dropped.forward(x, training: true, rng: &rng)[0]) }
        XCTAssertEqual(s / 2000, 100, accuracy: 1.0)
    }

    /// Oracle: hand-computed values for x = [1, 2], W = [[1, -1], [0.5, 2]], b = [0.5, -10].
    func testDenseForwardByHand() throws {
        var rng = RNG(seed: 1)
        let d = Dense(units: 2, activation: .relu)
        _ = try d.build(inputShape: [2], maxBatch: 1, rng: &rng)
        for (i, v) in [Float(1), -1, 0.5, 2].enumerated() { d.kernel.value[i] = v }
        d.bias!.value[0] = 0.5
        d.bias!.value[1] = -10
        let y = d.forward(Tensor(shape: [1, 2], values: [1, 2]), training: false, rng: &rng)
        XCTAssertEqual(y.array, [2.5, 0])
    }

    func testActivationLayerAndFlattenBackward() throws {
        for activation in Activation.allCases {
            try checkGradients(ActivationLayer(activation), inputShape: [3, 4])
        }
        try checkGradients(Flatten(), inputShape: [2, 3, 2])
    }
}
