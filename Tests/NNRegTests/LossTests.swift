import Foundation
import XCTest
@testable import NNReg

/// Keras reference cases written by tools/reference/losses.py.
private struct LossFixture: Decodable {
    struct Case: Decodable {
        let name, loss, oracle: String
        let fromLogits: Bool
        let labelSmoothing, delta: Float
        let output, target, gradient: [[Float]]
        let weights: [Float]?
        let value: Double
    }
    let keras, tensorflow: String
    let cases: [Case]

    static func load() throws -> LossFixture {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "losses", withExtension: "json", subdirectory: "Fixtures"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(LossFixture.self, from: Data(contentsOf: url))
    }
}

private func tensor(_ rows: [[Float]]) -> Tensor {
    Tensor(shape: [rows.count, rows.first?.count ?? 0], values: rows.flatMap { $0 })
}

/// Runs `loss` and returns the value and the gradient it writes.
private func evaluate(_ loss: Loss, output: Tensor, target: Tensor, weights: [Float]?) -> (Float, [Float]) {
    let gradient = Tensor(shape: output.shape)
    gradient.fill(.nan)
    let value =
        weights.map { w in
            w.withUnsafeBufferPointer {
                loss.compute(output: output, target: target, weights: $0.baseAddress, gradient: gradient)
            }
        } ?? loss.compute(output: output, target: target, weights: nil, gradient: gradient)
    return (value, gradient.array)
}

final class LossTests: XCTestCase {
    /// Oracle: Keras 3.15.1 / TF 2.21 loss objects and tf.GradientTape (losses.json);
    /// tolerance 1e-5 relative (Keras computes in float32, nnreg accumulates in Double).
    func testEveryLossMatchesKerasValueAndGradient() throws {
        let fixture = try LossFixture.load()
        XCTAssertGreaterThan(fixture.cases.count, 20)
        for c in fixture.cases {
            let config = LossConfig(
                name: c.loss, fromLogits: c.fromLogits, labelSmoothing: c.labelSmoothing, delta: c.delta)
            let loss = makeLoss(config)
            let output = tensor(c.output), target = tensor(c.target)
            let (value, gradient) = evaluate(loss, output: output, target: target, weights: c.weights)
            XCTAssertEqual(Double(value), c.value, accuracy: 1e-5 * max(1, abs(c.value)), "\(c.name) value")
            for (i, (got, want)) in zip(gradient, c.gradient.flatMap { $0 }).enumerated() {
                XCTAssertEqual(got, want, accuracy: 1e-5 * max(1, abs(want)), "\(c.name) gradient[\(i)]")
            }
        }
    }

    /// Oracle: central finite differences (h = 1e-5) of a naive Double reference of each
    /// formula (`referenceLoss`), at random points away from the kinks; tolerance 1e-5
    /// absolute + 1e-4 relative (the gradient is stored as Float).
    func testEveryLossGradientMatchesFiniteDifferences() {
        var rng = RNG(seed: 11)
        let n = 5, k = 4
        let weights: [Float] = (0..<n).map { _ in 0.25 + 1.5 * rng.uniform() }
        for config in Self.configurations {
            let loss = makeLoss(config)
            let sparse = config.name == "sparse_categorical_crossentropy"
            let output = Tensor(shape: [n, k]), target = Tensor(shape: [n, sparse ? 1 : k])
            Self.fillInputs(config, output: output, target: target, rng: &rng)
            for w in [nil, weights] {
                let (value, gradient) = evaluate(loss, output: output, target: target, weights: w)
                let o = output.array.map(Double.init), t = target.array.map(Double.init)
                let wd = w?.map(Double.init)
                let label =
                    "\(config.name) logits=\(config.fromLogits) ls=\(config.labelSmoothing) weighted=\(w != nil)"
                let reference = referenceLoss(config, o, t, wd, n: n, k: k)
                XCTAssertEqual(Double(value), reference, accuracy: 1e-6 * max(1, abs(reference)), "\(label) value")
                let h = 1e-5
                for i in 0..<o.count {
                    var up = o, down = o
                    up[i] += h
                    down[i] -= h
                    let fd =
                        (referenceLoss(config, up, t, wd, n: n, k: k)
                            - referenceLoss(config, down, t, wd, n: n, k: k)) / (2 * h)
                    XCTAssertEqual(Double(gradient[i]), fd, accuracy: 1e-5 + 1e-4 * abs(fd), "\(label) gradient[\(i)]")
                }
            }
        }
    }

    /// Oracle: the spec's alias table; exact.
    func testMakeLossResolvesAliasesAndKeepsKerasNames() {
        XCTAssertEqual(makeLoss(LossConfig(name: "mse")).name, "mean_squared_error")
        XCTAssertEqual(makeLoss(LossConfig(name: "mae")).name, "mean_absolute_error")
        for name in LossRegistry.all.map(\.name) { XCTAssertEqual(makeLoss(LossConfig(name: name)).name, name) }
        XCTAssertEqual((makeLoss(LossConfig(name: "huber", delta: 2.5)) as? Huber)?.delta, 2.5)
    }

    /// Oracle: Keras's divide_no_nan reduction gives 0 for an empty batch; a gradient
    /// buffer of another shape is reshaped to the output's. Exact.
    func testEmptyBatchIsZeroAndGradientTakesOutputShape() {
        let output = Tensor(shape: [3, 2], values: [0.2, 0.8, 0.6, 0.4, 0.5, 0.5])
        let target = Tensor(shape: [3, 1], values: [1, 0, 1])
        let gradient = Tensor(shape: [8])
        _ = SparseCategoricalCrossentropy().compute(output: output, target: target, weights: nil, gradient: gradient)
        XCTAssertEqual(gradient.shape, [3, 2])
        output.setBatch(0)
        target.setBatch(0)
        XCTAssertEqual(MeanSquaredError().compute(output: output, target: output, weights: nil, gradient: nil), 0)
        let sparse = SparseCategoricalCrossentropy()
        XCTAssertEqual(sparse.compute(output: output, target: target, weights: nil, gradient: nil), 0)
    }

    // MARK: - Finite-difference setup

    static let configurations: [LossConfig] = {
        var all = [
            LossConfig(name: "mean_squared_error"), LossConfig(name: "mean_absolute_error"),
            LossConfig(name: "huber"), LossConfig(name: "huber", delta: 0.3),
        ]
        for name in ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"] {
            for logits in [false, true] {
                for ls: Float in [0, 0.15] {
                    all.append(LossConfig(name: name, fromLogits: logits, labelSmoothing: ls))
                }
            }
        }
        return all
    }()

    /// Random inputs at least 0.01 away from every kink (|error| = 0, the clip bounds).
    static func fillInputs(_ c: LossConfig, output: Tensor, target: Tensor, rng: inout RNG) {
        let k = output.sampleSize
        for i in 0..<output.count {
            switch c.name {
            case "binary_crossentropy": output[i] = c.fromLogits ? 3 * rng.normal() : 0.02 + 0.96 * rng.uniform()
            case "categorical_crossentropy", "sparse_categorical_crossentropy":
                output[i] = c.fromLogits ? 3 * rng.normal() : 0.05 + rng.uniform()  // rows need not sum to 1
            default: output[i] = 2 * rng.normal()
            }
        }
        for i in 0..<output.shape[0] {
            let cls = rng.int(below: k)
            switch c.name {
            case "sparse_categorical_crossentropy": target[i] = Float(cls)
            case "categorical_crossentropy": for j in 0..<k { target[i * k + j] = j == cls ? 1 : 0 }
            case "binary_crossentropy": for j in 0..<k { target[i * k + j] = rng.uniform() < 0.5 ? 1 : 0 }
            default:
                for j in 0..<k {
                    let e = (0.01 + rng.uniform()) * (rng.uniform() < 0.5 ? -1 : 1)
                    target[i * k + j] = output[i * k + j] - e
                }
            }
        }
    }
}

/// Naive Double reference of each loss, written from the Keras formulas one sample at
/// a time: sum_i w_i l_i / N. The oracle behind the finite differences.
func referenceLoss(_ c: LossConfig, _ o: [Double], _ t: [Double], _ w: [Double]?, n: Int, k: Int) -> Double {
    let eps = Double(Float(1e-7)), clipHigh = Double(Float(1 - 1e-7))
    func clip(_ p: Double) -> Double { min(max(p, eps), clipHigh) }
    let ls = Double(c.labelSmoothing)
    var total = 0.0
    for i in 0..<n {
        let x = Array(o[i * k..<(i + 1) * k])
        var l = 0.0
        switch c.name {
        case "mean_squared_error", "mean_absolute_error", "huber":
            let d = Double(c.delta)
            for j in 0..<k {
                let e = x[j] - t[i * k + j]
                switch c.name {
                case "mean_squared_error": l += e * e
                case "mean_absolute_error": l += abs(e)
                default: l += abs(e) <= d ? 0.5 * e * e : d * abs(e) - 0.5 * d * d
                }
            }
            l /= Double(k)
        case "binary_crossentropy":
            for j in 0..<k {
                let y = t[i * k + j] * (1 - ls) + 0.5 * ls
                let p = c.fromLogits ? 1 / (1 + exp(-x[j])) : clip(x[j])
                l -= y * log(p) + (1 - y) * log(1 - p)
            }
            l /= Double(k)
        default:
            let y: [Double] =
                c.name == "sparse_categorical_crossentropy"
                ? (0..<k).map { ($0 == Int(t[i]) ? 1 - ls : 0) + ls / Double(k) }
                : (0..<k).map { t[i * k + $0] * (1 - ls) + ls / Double(k) }
            let q: [Double]
            if c.fromLogits {
                let e = x.map { exp($0) }
                q = e.map { $0 / e.reduce(0, +) }
            } else if c.name == "categorical_crossentropy" {
                q = x.map { clip($0 / x.reduce(0, +)) }  // rescale, then clip
            } else {
                let pc = x.map(clip)
                q = pc.map { $0 / pc.reduce(0, +) }  // clip, then rescale
            }
            for j in 0..<k { l -= y[j] * log(q[j]) }
        }
        total += (w?[i] ?? 1) * l
    }
    return total / Double(n)
}
