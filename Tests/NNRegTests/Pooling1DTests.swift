import XCTest

@testable import NNReg

final class Pooling1DTests: XCTestCase {
    /// Builds `layer` for `x` (shape with batch), runs forward then backward with `dy`.
    func run(_ layer: Layer, _ x: Tensor, dy: [Float], maxBatch: Int? = nil) throws -> (y: Tensor, dx: [Float]) {
        var rng = RNG(seed: 1)
        _ = try layer.build(inputShape: Array(x.shape.dropFirst()), maxBatch: maxBatch ?? x.shape[0], rng: &rng)
        let y = layer.forward(x, training: true, rng: &rng)
        let dx = try XCTUnwrap(layer.backward(Tensor(shape: y.shape, values: dy)))
        XCTAssertEqual(dx.shape, x.shape)
        return (y, dx.array)
    }

    /// Oracle: by hand. Pool 2, stride 2 on 5 steps: "valid" drops the last step; "same"
    /// pads one step after it, and the last window averages its one real input.
    func testPoolingByHand() throws {
        let x = Tensor(shape: [1, 5, 1], values: [1, 4, 3, 2, 5])
        let maxValid = try run(MaxPooling1D(), x, dy: [1, 2])
        XCTAssertEqual(maxValid.y.shape, [1, 2, 1])
        XCTAssertEqual(maxValid.y.array, [4, 3])
        XCTAssertEqual(maxValid.dx, [0, 1, 2, 0, 0])
        let avgSame = try run(AveragePooling1D(padding: .same), x, dy: [2, 4, 6])
        XCTAssertEqual(avgSame.y.shape, [1, 3, 1])
        XCTAssertEqual(avgSame.y.array, [2.5, 2.5, 5])
        XCTAssertEqual(avgSame.dx, [1, 1, 2, 2, 6])
        let globalMax = try run(GlobalMaxPooling1D(), Tensor(shape: [1, 4, 1], values: [1, 3, 3, 2]), dy: [1])
        XCTAssertEqual(globalMax.y.shape, [1, 1])
        XCTAssertEqual(globalMax.dx, [0, 0.5, 0.5, 0])
        let globalAvg = try run(GlobalAveragePooling1D(), x, dy: [5])
        XCTAssertEqual(globalAvg.y.array, [3])
        XCTAssertEqual(globalAvg.dx, [1, 1, 1, 1, 1])
    }

    /// Oracle: naive loops in the test, with Keras's window rule (`kerasWindow1D`): max (the
    /// first maximum gets dy) and mean over the window's real steps. Random normal inputs
    /// (no ties), 11 features (the 8-lane path and its tail), batch 3 built for 5, in 1 and
    /// 2 shards. Max exact; average 1e-6 + 1e-6 relative.
    func testWindowedPoolingMatchesNaiveLoops() throws {
        let threads = Parallel.threads
        defer { Parallel.setThreads(threads) }
        let (n, steps, c) = (3, 9, 11)
        for (size, stride, padding) in [
            (2, 2, "valid"), (3, 2, "valid"), (3, 1, "same"), (4, 3, "same"), (2, 2, "same"),
        ] {
            let (out, pad) = kerasWindow1D(steps: steps, size: size, stride: stride, padding: padding)
            var rng = RNG(seed: 4)
            let values = (0..<(n * steps * c)).map { _ in rng.normal() }
            let dy = (0..<(n * out * c)).map { _ in rng.normal() }
            var maxY = [Float](repeating: 0, count: n * out * c), maxDx = [Float](repeating: 0, count: values.count)
            var avgY = [Float](repeating: 0, count: n * out * c), avgDx = [Float](repeating: 0, count: values.count)
            for s in 0..<n {
                for t in 0..<out {
                    let first = max(t * stride - pad, 0), last = min(t * stride - pad + size, steps)
                    for ch in 0..<c {
                        let o = (s * out + t) * c + ch
                        var best = -Float.infinity, at = 0, sum = 0.0
                        for step in first..<last {
                            let i = (s * steps + step) * c + ch
                            if values[i] > best { (best, at) = (values[i], i) }
                            sum += Double(values[i])
                        }
                        maxY[o] = best
                        maxDx[at] += dy[o]
                        avgY[o] = Float(sum / Double(last - first))
                        for step in first..<last { avgDx[(s * steps + step) * c + ch] += dy[o] / Float(last - first) }
                    }
                }
            }
            for shards in [1, 2] {
                Parallel.setThreads(shards)
                let what = "pool \(size) stride \(stride) \(padding), \(shards) shards"
                let x = Tensor(shape: [n, steps, c], values: values)
                let p = try XCTUnwrap(Padding(rawValue: padding))
                let m = try run(MaxPooling1D(poolSize: size, strides: stride, padding: p), x, dy: dy, maxBatch: 5)
                XCTAssertEqual(m.y.shape, [n, out, c], what)
                XCTAssertEqual(m.y.array, maxY, "max y, \(what)")
                XCTAssertEqual(m.dx, maxDx, "max dx, \(what)")
                let a = try run(AveragePooling1D(poolSize: size, strides: stride, padding: p), x, dy: dy, maxBatch: 5)
                XCTAssertEqual(a.y.shape, [n, out, c], what)
                assertElementsClose(a.y.array, avgY, atol: 1e-6, rtol: 1e-6, "average y, \(what)")
                assertElementsClose(a.dx, avgDx, atol: 1e-6, rtol: 1e-6, "average dx, \(what)")
            }
        }
    }

    /// Oracle: central finite differences (GradientCheck.swift) for every 1-D pooling layer.
    /// Inputs are distinct and at least 0.05 apart (> 2h), so no perturbation changes
    /// which element is a window's maximum.
    func testBackwardMatchesFiniteDifferences() throws {
        let distinct: (Int) -> Float = { i in Float((i * 97) % 1009) * 0.05 - 25 }
        let layers: [(Layer, [Int])] = [
            (MaxPooling1D(), [7, 3]),
            (MaxPooling1D(poolSize: 3, strides: 2), [8, 2]),
            (MaxPooling1D(poolSize: 3, strides: 2, padding: .same), [7, 2]),
            (MaxPooling1D(poolSize: 2, strides: 1, padding: .same), [5, 2]),
            (AveragePooling1D(), [7, 3]),
            (AveragePooling1D(poolSize: 3, strides: 2), [8, 2]),
            (AveragePooling1D(poolSize: 3, strides: 2, padding: .same), [7, 2]),
            (AveragePooling1D(poolSize: 4, strides: 1, padding: .same), [5, 2]),
            (GlobalMaxPooling1D(), [6, 3]),
            (GlobalAveragePooling1D(), [6, 3]),
        ]
        for (layer, shape) in layers {
            XCTAssertLessThanOrEqual(3 * shape.reduce(1, *), 1009)  // `distinct` stays distinct
            try checkGradients(layer, inputShape: shape, inputs: distinct)
        }
    }

    /// Oracle: Keras 3.15.1 1-D pooling layers on TF 2.21 (Fixtures/conv1d.json): y and the
    /// gradient of sum(y * dy). Tolerance 1e-6 + 1e-6 relative (max pooling is exact).
    func testForwardAndGradientsMatchKeras() throws {
        let fixture = try Conv1DFixture.load()
        XCTAssertEqual(fixture.pool.count, 10)
        for p in fixture.pool {
            let layer: Layer
            let padding = try p.padding.map { try XCTUnwrap(Padding(rawValue: $0)) }
            switch p.type {
            case "max_pooling1d": layer = MaxPooling1D(poolSize: p.pool_size!, strides: p.strides, padding: padding!)
            case "average_pooling1d":
                layer = AveragePooling1D(poolSize: p.pool_size!, strides: p.strides, padding: padding!)
            case "global_max_pooling1d": layer = GlobalMaxPooling1D()
            case "global_average_pooling1d": layer = GlobalAveragePooling1D()
            default: return XCTFail("unknown layer \(p.type)")
            }
            XCTAssertEqual(layer.kind, p.type)
            let r = try run(layer, Tensor(shape: p.input_shape, values: p.x), dy: p.dy)
            XCTAssertEqual(r.y.shape, p.output_shape, p.name)
            assertElementsClose(r.y.array, p.y, atol: 1e-6, rtol: 1e-6, "y, \(p.name)")
            assertElementsClose(r.dx, p.dx, atol: 1e-6, rtol: 1e-6, "dx, \(p.name)")
        }
    }

    func testImpossibleShapesThrowShapeErrors() {
        XCTAssertEqual(
            buildError(MaxPooling1D(poolSize: 3), [2, 5]),
            "max_pooling1d pool length 3 is larger than the input length 2 with padding \"valid\"; use padding \"same\" or a smaller window"
        )
        XCTAssertEqual(
            buildError(AveragePooling1D(), [4, 4, 1]),
            "average_pooling1d needs non-empty (steps, features) inputs, got shape [4, 4, 1]")
        XCTAssertEqual(
            buildError(GlobalMaxPooling1D(), [10]),
            "global_max_pooling1d needs non-empty (steps, features) inputs, got shape [10]")
        XCTAssertEqual(
            buildError(GlobalAveragePooling1D(), [0, 3]),
            "global_average_pooling1d needs non-empty (steps, features) inputs, got shape [0, 3]")
        XCTAssertEqual(buildError(MaxPooling1D(poolSize: 3, padding: .same), [2, 1]), "no error")
    }
}
