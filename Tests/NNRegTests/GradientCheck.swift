import XCTest
@testable import NNReg

/// Central finite differences for a layer's backward pass.
///
/// Oracle: L(x, w) = sum_i r_i * y_i for a fixed random r, so dL/dy = r; each input and
/// parameter element is perturbed by ±h, L is accumulated in Double, and
/// (L(+h) - L(-h)) / 2h is compared with the analytic gradient. Stochastic layers are
/// evaluated with a generator re-seeded identically for every call (a fixed mask).
/// Tolerance: |analytic - numeric| <= atol + rtol * |numeric|.
func checkGradients(
    _ layer: Layer, inputShape: [Int], batch: Int = 3, training: Bool = true, seed: UInt64 = 11,
    h: Float = 1e-2, atol: Double = 2e-3, rtol: Double = 2e-2, inputs: ((Int) -> Float)? = nil,
    file: StaticString = #filePath, line: UInt = #line
) throws {
    var rng = RNG(seed: seed)
    let outShape = try layer.build(inputShape: inputShape, maxBatch: batch, rng: &rng)
    let x = Tensor(shape: [batch] + inputShape)
    for i in 0..<x.count { x[i] = inputs?(i) ?? rng.normal() }
    let r = Tensor(shape: [batch] + outShape)
    for i in 0..<r.count { r[i] = rng.normal() }

    func loss() -> Double {
        var fixed = RNG(seed: seed &+ 1)
        let y = layer.forward(x, training: training, rng: &fixed)
        var s = 0.0
        for i in 0..<y.count { s += Double(y[i]) * Double(r[i]) }
        return s
    }
    func numeric(_ t: Tensor, _ i: Int) -> Double {
        let old = t[i]
        t[i] = old + h
        let plus = loss()
        t[i] = old - h
        let minus = loss()
        t[i] = old
        return (plus - minus) / (2 * Double(h))
    }

    _ = loss()
    layer.needsInputGradient = true
    let dy = Tensor(shape: r.shape, values: r.array)
    let dx = layer.backward(dy).map { $0.array } ?? []
    let grads = layer.parameters.filter(\.trainable).map { ($0.name, $0.value, $0.grad.array) }

    for i in 0..<x.count {
        let n = numeric(x, i)
        XCTAssertEqual(Double(dx[i]), n, accuracy: atol + rtol * abs(n), "dx[\(i)]", file: file, line: line)
    }
    for (name, value, grad) in grads {
        for i in 0..<value.count {
            let n = numeric(value, i)
            XCTAssertEqual(Double(grad[i]), n, accuracy: atol + rtol * abs(n), "d\(name)[\(i)]", file: file, line: line)
        }
    }
}

/// What building `layer` for inputs of `shape` throws: the ShapeError's text, "no error",
/// or "unexpected ..." for any other error.
func buildError(_ layer: Layer, _ shape: [Int]) -> String {
    var rng = RNG(seed: 1)
    do {
        _ = try layer.build(inputShape: shape, maxBatch: 1, rng: &rng)
        return "no error"
    } catch let e as ShapeError {
        return e.description
    } catch {
        return "unexpected \(error)"
    }
}
