import Foundation
import XCTest
@testable import NNReg

/// mixup and cutmix: targets and pixels agree; the Beta draws' moments.
extension AugmentationTests {
    // MARK: - Mixing

    /// Mixup: targets still sum to 1, and every input pixel is lambda x_i + (1 - lambda) x_perm(i)
    /// with the lambda the targets got.
    func testMixupTargetsAndPixelsAgree() {
        let a = augmenter(["mixup": 0.4])
        let n = 8, k = 5
        let x = randomBatch([n, 3, 4, 2], seed: 3), original = x.clone()
        let y = Tensor(shape: [n, k])
        for i in 0..<n { y[i * k + i % k] = 1 }
        let y0 = y.clone()
        var rng = RNG(seed: 14)
        let workspace = AugmentationWorkspace()
        let record = a.mix(x: x, y: y, rng: &rng, workspace: workspace)!
        XCTAssertEqual(record.kind, .mixup)
        let lambda = Float(record.lambda)
        XCTAssertTrue(lambda > 0 && lambda < 1)
        XCTAssertEqual(Set(workspace.permutation), Set((0..<n).map(Int32.init)))
        let d = x.sampleSize
        for i in 0..<n {
            let j = Int(workspace.permutation[i])
            XCTAssertEqual((0..<k).reduce(Float(0)) { $0 + y[i * k + $1] }, 1, accuracy: 1e-6)
            for c in 0..<k {
                XCTAssertEqual(y[i * k + c], lambda * y0[i * k + c] + (1 - lambda) * y0[j * k + c], accuracy: 1e-6)
            }
            for q in 0..<d {
                XCTAssertEqual(
                    x[i * d + q], lambda * original[i * d + q] + (1 - lambda) * original[j * d + q],
                    accuracy: 1e-3)
            }
        }
    }

    /// Cutmix: pixels inside the box come from row perm(i), outside stay; the label weight
    /// is the kept area fraction; targets sum to 1.
    func testCutmixBoxAndLabelsAgree() {
        let a = augmenter(["cutmix": 1])
        let n = 6, h = 10, w = 8, c = 2, k = 3
        for seed in UInt64(0)..<20 {
            let x = randomBatch([n, h, w, c], seed: seed), original = x.clone()
            let y = Tensor(shape: [n, k])
            for i in 0..<n { y[i * k + i % k] = 1 }
            var rng = RNG(seed: seed)
            let workspace = AugmentationWorkspace()
            let record = a.mix(x: x, y: y, rng: &rng, workspace: workspace)!
            XCTAssertEqual(record.kind, .cutmix)
            let box = record.box!
            XCTAssertEqual(record.lambda, 1 - Double(box.width * box.height) / Double(h * w), accuracy: 1e-12)
            let d = h * w * c
            for i in 0..<n {
                let j = Int(workspace.permutation[i])
                XCTAssertEqual((0..<k).reduce(Float(0)) { $0 + y[i * k + $1] }, 1, accuracy: 1e-6)
                var copied = 0
                for r in 0..<h {
                    for col in 0..<w {
                        let inside = r >= box.y && r < box.y + box.height && col >= box.x && col < box.x + box.width
                        for ch in 0..<c {
                            let q = (r * w + col) * c + ch
                            XCTAssertEqual(x[i * d + q], original[(inside ? j : i) * d + q])
                        }
                        if inside { copied += 1 }
                    }
                }
                XCTAssertEqual(1 - Double(copied) / Double(h * w), record.lambda, accuracy: 1e-12)
            }
        }
    }

    /// Statistical: 20k draws of Beta(a, a) have mean 0.5 +- 0.01 and variance
    /// 1 / (4 (2a + 1)) within 5 %.
    func testBetaMoments() {
        var rng = RNG(seed: 30)
        for alpha in [0.2, 1.0, 2.5] {
            let draws = (0..<20_000).map { _ in Augmenter.beta(alpha, alpha, &rng) }
            let mean = draws.reduce(0, +) / Double(draws.count)
            let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count)
            XCTAssertEqual(mean, 0.5, accuracy: 0.01, "alpha \(alpha)")
            let expected = 1 / (4 * (2 * alpha + 1))
            XCTAssertEqual(variance, expected, accuracy: 0.05 * expected, "alpha \(alpha)")
            XCTAssertTrue(draws.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
    }
}
