import XCTest
@testable import NNReg

final class DropoutTests: XCTestCase {
    let variants: [NoiseLayer.Noise] = [
        .dropout(rate: 0.3, noiseShape: nil), .dropout(rate: 0.5, noiseShape: [nil, 1, nil]),
        .spatialDropout2D(rate: 0.4), .gaussianNoise(stddev: 0.5), .gaussianDropout(rate: 0.3),
        .alphaDropout(rate: 0.2, noiseShape: nil),
    ]

    private func shape(_ noise: NoiseLayer.Noise) -> [Int] {
        switch noise {
        case .spatialDropout2D: return [3, 3, 4]
        case .dropout(_, let s?) where s.count == 3: return [4, 5]
        default: return [6]
        }
    }

    /// Oracle: central finite differences with the mask held fixed (same seed per call).
    func testBackwardWithFixedMaskMatchesFiniteDifferences() throws {
        for noise in variants { try checkGradients(NoiseLayer(noise), inputShape: shape(noise)) }
    }

    func testIdentityAtInference() throws {
        for noise in variants {
            var rng = RNG(seed: 5)
            let layer = NoiseLayer(noise)
            let s = shape(noise)
            _ = try layer.build(inputShape: s, maxBatch: 2, rng: &rng)
            let x = Tensor(shape: [2] + s)
            for i in 0..<x.count { x[i] = rng.normal() }
            XCTAssertEqual(layer.forward(x, training: false, rng: &rng).array, x.array, "\(noise)")
        }
    }

    /// Statistical: over 200k units the output mean stays within 0.01 of the input mean 1
    /// (and for alpha dropout, the variance of a unit-normal input stays ~1).
    func testTrainingKeepsTheMean() throws {
        for noise in variants where shape(noise) == [6] {
            var rng = RNG(seed: 9)
            let layer = NoiseLayer(noise)
            _ = try layer.build(inputShape: [200_000], maxBatch: 1, rng: &rng)
            let isAlpha: Bool = { if case .alphaDropout = noise { return true } else { return false } }()
            let x = Tensor(shape: [1, 200_000])
            for i in 0..<x.count { x[i] = isAlpha ? rng.normal() : 1 }
            let y = layer.forward(x, training: true, rng: &rng).array
            let mean = y.reduce(0.0) { $0 + Double($1) } / Double(y.count)
            XCTAssertEqual(mean, isAlpha ? 0 : 1, accuracy: 0.01, "\(noise)")
            if isAlpha {
                let variance = y.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(y.count) - mean * mean
                XCTAssertEqual(variance, 1, accuracy: 0.02)
            }
        }
    }

    func testDropoutRateAndNoiseShapeBroadcast() throws {
        var rng = RNG(seed: 2)
        let layer = NoiseLayer(.dropout(rate: 0.25, noiseShape: [nil, 1, nil]))
        _ = try layer.build(inputShape: [50, 40], maxBatch: 20, rng: &rng)
        let x = Tensor(shape: [20, 50, 40])
        x.fill(1)
        let y = layer.forward(x, training: true, rng: &rng)
        var zeros = 0
        for b in 0..<20 {
            for c in 0..<40 {
                let first = y[b * 2000 + c]
                XCTAssert(first == 0 || abs(first - 1 / 0.75) < 1e-6)
                if first == 0 { zeros += 1 }
                for t in 1..<50 { XCTAssertEqual(y[b * 2000 + t * 40 + c], first) }  // shared across axis 1
            }
        }
        XCTAssertEqual(Double(zeros) / 800, 0.25, accuracy: 0.06)  // 800 draws, sd ~0.015
    }

    func testLayerSeedGivesReproducibleMasksIndependentOfTheRunGenerator() throws {
        func run(_ runSeed: UInt64) throws -> [Float] {
            var rng = RNG(seed: runSeed)
            let layer = NoiseLayer(.dropout(rate: 0.5, noiseShape: nil), seed: 77)
            _ = try layer.build(inputShape: [32], maxBatch: 1, rng: &rng)
            let x = Tensor(shape: [1, 32])
            x.fill(1)
            return layer.forward(x, training: true, rng: &rng).array
        }
        XCTAssertEqual(try run(1), try run(2))
    }

    func testNoiseShapeMustBroadcastOverTheInput() {
        var rng = RNG(seed: 1)
        XCTAssertThrowsError(
            try NoiseLayer(.dropout(rate: 0.5, noiseShape: [nil, 5, 1])).build(
                inputShape: [3, 4], maxBatch: 2, rng: &rng)
        ) {
            XCTAssertEqual("\($0)", "noise_shape [null, 5, 1]: entry 1 must be null, 1 or 3, got 5")
        }
        XCTAssertThrowsError(
            try NoiseLayer(.dropout(rate: 0.5, noiseShape: [8, 1, 1])).build(
                inputShape: [3, 4], maxBatch: 2, rng: &rng))
        XCTAssertNoThrow(
            try NoiseLayer(.dropout(rate: 0.5, noiseShape: [1, 3, nil])).build(
                inputShape: [3, 4], maxBatch: 2, rng: &rng))
    }
}
