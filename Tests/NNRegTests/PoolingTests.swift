import XCTest
@testable import NNReg

final class PoolingTests: XCTestCase {
    /// The 4x4 single-channel image of the by-hand tests.
    let image: [Float] = [
        1, 3, 2, 0,
        4, 2, 7, 1,
        0, 5, 1, 1,
        2, 1, 0, 9,
    ]

    /// Builds `layer` for `x` (shape with batch), runs forward then backward with `dy`.
    func run(_ layer: Layer, _ x: Tensor, dy: [Float]) throws -> (y: Tensor, dx: [Float]) {
        var rng = RNG(seed: 1)
        _ = try layer.build(inputShape: Array(x.shape.dropFirst()), maxBatch: x.shape[0], rng: &rng)
        let y = layer.forward(x, training: true, rng: &rng)
        let dx = try XCTUnwrap(layer.backward(Tensor(shape: y.shape, values: dy)))
        return (y, dx.array)
    }

    /// Oracle: by hand. 2x2 windows, stride 2, "valid" on the 4x4 image.
    func testValidPoolingByHand() throws {
        let x = Tensor(shape: [1, 4, 4, 1], values: image)
        let maxPool = try run(MaxPooling2D(poolSize: (2, 2)), x, dy: [1, 2, 3, 4])
        XCTAssertEqual(maxPool.y.shape, [1, 2, 2, 1])
        XCTAssertEqual(maxPool.y.array, [4, 7, 5, 9])
        XCTAssertEqual(
            maxPool.dx,
            [
                0, 0, 0, 0,
                1, 0, 2, 0,
                0, 3, 0, 0,
                0, 0, 0, 4,
            ])
        let avgPool = try run(AveragePooling2D(poolSize: (2, 2)), x, dy: [1, 2, 3, 4])
        XCTAssertEqual(avgPool.y.array, [2.5, 2.5, 2, 2.75])
        XCTAssertEqual(
            avgPool.dx,
            [
                0.25, 0.25, 0.5, 0.5,
                0.25, 0.25, 0.5, 0.5,
                0.75, 0.75, 1, 1,
                0.75, 0.75, 1, 1,
            ])
    }

    /// Oracle: by hand. 3x3 windows, stride 2, "same" on 4x4: 2x2 outputs, pad_total 1, all
    /// of it after (TF), so windows cover rows/columns 0-2 and 2-3. Overlapping windows add
    /// their gradients; average pooling divides by the real inputs (9, 6, 6, 4).
    func testSamePoolingByHand() throws {
        let x = Tensor(shape: [1, 4, 4, 1], values: image)
        let maxPool = try run(MaxPooling2D(poolSize: (3, 3), strides: (2, 2), padding: .same), x, dy: [1, 2, 3, 4])
        XCTAssertEqual(maxPool.y.array, [7, 7, 5, 9])
        XCTAssertEqual(
            maxPool.dx,
            [
                0, 0, 0, 0,
                0, 0, 3, 0,
                0, 3, 0, 0,
                0, 0, 0, 4,
            ])
        let avgPool = try run(AveragePooling2D(poolSize: (3, 3), strides: (2, 2), padding: .same), x, dy: [9, 6, 6, 4])
        assertElementsClose(avgPool.y.array, [25.0 / 9, 2, 1.5, 2.75], atol: 0, rtol: 1e-6, "y")
        XCTAssertEqual(
            avgPool.dx,
            [
                1, 1, 2, 1,
                1, 1, 2, 1,
                2, 2, 4, 2,
                1, 1, 2, 1,
            ])
    }

    /// Oracle: TF 2.21 (see MaxPooling2D): ties go to the first maximum in row-major order.
    func testMaxPoolingTiesGoToTheFirstMaximum() throws {
        let x = Tensor(shape: [1, 3, 3, 1], values: Array(repeating: 1, count: 9))
        let r = try run(MaxPooling2D(poolSize: (2, 2), strides: (1, 1)), x, dy: [1, 1, 1, 1])
        XCTAssertEqual(r.dx, [1, 1, 0, 1, 1, 0, 0, 0, 0])
    }

    /// Oracle: by hand; global max splits the gradient between ties like TF's reduce_max.
    func testGlobalPoolingByHand() throws {
        let x = Tensor(shape: [2, 2, 2, 1], values: [1, 3, 3, 2, -1, -4, -2, -3])
        let maxPool = try run(GlobalMaxPooling2D(), x, dy: [1, 2])
        XCTAssertEqual(maxPool.y.shape, [2, 1])
        XCTAssertEqual(maxPool.y.array, [3, -1])
        XCTAssertEqual(maxPool.dx, [0, 0.5, 0.5, 0, 2, 0, 0, 0])
        let avgPool = try run(GlobalAveragePooling2D(), x, dy: [1, 2])
        XCTAssertEqual(avgPool.y.array, [2.25, -2.5])
        XCTAssertEqual(avgPool.dx, [0.25, 0.25, 0.25, 0.25, 0.5, 0.5, 0.5, 0.5])
    }

    /// Oracle: central finite differences (GradientCheck.swift) for every pooling layer.
    /// Inputs are distinct and at least 0.05 apart (> 2h), so no perturbation changes
    /// which element is a window's maximum.
    func testBackwardMatchesFiniteDifferences() throws {
        let distinct: (Int) -> Float = { i in Float((i * 97) % 1009) * 0.05 - 25 }
        let layers: [(Layer, [Int])] = [
            (MaxPooling2D(poolSize: (2, 2)), [4, 6, 3]),
            (MaxPooling2D(poolSize: (3, 3), strides: (2, 2), padding: .same), [5, 6, 2]),
            (MaxPooling2D(poolSize: (2, 3), strides: (1, 2)), [5, 7, 2]),
            (MaxPooling2D(poolSize: (2, 2), strides: (1, 1), padding: .same), [3, 4, 2]),
            (AveragePooling2D(poolSize: (2, 2)), [4, 6, 3]),
            (AveragePooling2D(poolSize: (3, 3), strides: (2, 2), padding: .same), [5, 6, 2]),
            (AveragePooling2D(poolSize: (2, 3), strides: (1, 2)), [5, 7, 2]),
            (AveragePooling2D(poolSize: (2, 2), strides: (1, 1), padding: .same), [3, 4, 2]),
            (GlobalMaxPooling2D(), [3, 4, 3]),
            (GlobalAveragePooling2D(), [3, 4, 3]),
        ]
        for (layer, shape) in layers {
            XCTAssertLessThanOrEqual(3 * shape.reduce(1, *), 1009)  // `distinct` stays distinct
            try checkGradients(layer, inputShape: shape, inputs: distinct)
        }
    }

    /// Oracle: Keras 3.15.1 pooling layers on TF 2.21 (Fixtures/conv.json): y and the
    /// gradient of sum(y * dy). Tolerance 1e-6 + 1e-6 relative (max pooling is exact).
    func testForwardAndGradientsMatchKeras() throws {
        let fixture = try ConvFixture.load()
        XCTAssertEqual(fixture.pool.count, 10)
        for p in fixture.pool {
            let layer: Layer
            let size = p.pool_size.map { (h: $0[0], w: $0[1]) }, strides = p.strides.map { (h: $0[0], w: $0[1]) }
            let padding = try p.padding.map { try XCTUnwrap(Padding(rawValue: $0)) }
            switch p.type {
            case "max_pooling2d": layer = MaxPooling2D(poolSize: size!, strides: strides, padding: padding!)
            case "average_pooling2d": layer = AveragePooling2D(poolSize: size!, strides: strides, padding: padding!)
            case "global_max_pooling2d": layer = GlobalMaxPooling2D()
            case "global_average_pooling2d": layer = GlobalAveragePooling2D()
            default: return XCTFail("unknown layer \(p.type)")
            }
            XCTAssertEqual(layer.kind, p.type)
            let r = try run(layer, Tensor(shape: p.input_shape, values: p.x), dy: p.dy)
            XCTAssertEqual(r.y.shape, p.output_shape, p.name)
            assertElementsClose(r.y.array, p.y, atol: 1e-6, rtol: 1e-6, "y, \(p.name)")
            assertElementsClose(r.dx, p.dx, atol: 1e-6, rtol: 1e-6, "dx, \(p.name)")
        }
    }

    /// Oracle: a naive loop in the test (max over the window's real inputs in row-major
    /// order, the first maximum wins, NaN skipped; dy routed to it). 11 channels exercise
    /// the 8-lane path and its scalar tail; values on a coarse grid make ties, and a few
    /// are NaN. Batches of 5 run in 1, 2 and 3 shards (worker threads). Exact equality.
    func testMaxPoolingMatchesNaiveLoopsAcrossLanesAndShards() throws {
        let threads = Parallel.threads
        defer { Parallel.setThreads(threads) }
        let (n, h, w, c) = (5, 5, 6, 11)
        var rng = RNG(seed: 9)
        var values = (0..<(n * h * w * c)).map { _ in Float(Int(rng.uniform() * 4)) }
        for i in stride(from: 3, to: values.count, by: 37) { values[i] = .nan }
        let dy = (0..<(n * 3 * 3 * c)).map { _ in rng.uniform() }
        for shards in [1, 2, 3] {
            Parallel.setThreads(shards)
            let r = try run(
                MaxPooling2D(poolSize: (2, 2), padding: .same), Tensor(shape: [n, h, w, c], values: values), dy: dy)
            XCTAssertEqual(r.y.shape, [n, 3, 3, c])
            var y = [Float](repeating: 0, count: r.y.count), dx = [Float](repeating: 0, count: values.count)
            for s in 0..<n {
                for oh in 0..<3 {
                    for ow in 0..<3 {
                        for ch in 0..<c {
                            var best = -Float.infinity, at = ((s * h + oh * 2) * w + ow * 2) * c + ch
                            for ih in (oh * 2)..<min(oh * 2 + 2, h) {
                                for iw in (ow * 2)..<min(ow * 2 + 2, w) {
                                    let i = ((s * h + ih) * w + iw) * c + ch
                                    if values[i] > best { (best, at) = (values[i], i) }
                                }
                            }
                            let o = ((s * 3 + oh) * 3 + ow) * c + ch
                            y[o] = best
                            dx[at] += dy[o]
                        }
                    }
                }
            }
            XCTAssertEqual(r.y.array, y, "y, \(shards) shards")
            XCTAssertEqual(r.dx, dx, "dx, \(shards) shards")
        }
    }

    /// A batch smaller than the built maximum uses the leading part of every buffer.
    func testSmallerBatchThanBuilt() throws {
        var rng = RNG(seed: 2)
        let pool = MaxPooling2D()
        _ = try pool.build(inputShape: [4, 4, 1], maxBatch: 8, rng: &rng)
        let y = pool.forward(Tensor(shape: [1, 4, 4, 1], values: image), training: false, rng: &rng)
        XCTAssertEqual(y.shape, [1, 2, 2, 1])
        XCTAssertEqual(y.array, [4, 7, 5, 9])
    }

    func testImpossibleShapesThrowShapeErrors() {
        XCTAssertEqual(
            buildError(MaxPooling2D(poolSize: (3, 3)), [2, 5, 1]),
            "max_pooling2d pool height 3 is larger than the input height 2 with padding \"valid\"; use padding \"same\" or a smaller window"
        )
        XCTAssertEqual(
            buildError(AveragePooling2D(poolSize: (2, 2)), [5, 5]),
            "average_pooling2d needs (height, width, channels) inputs, got shape [5, 5]")
        XCTAssertEqual(
            buildError(GlobalMaxPooling2D(), [10]),
            "global_max_pooling2d needs non-empty (height, width, channels) inputs, got shape [10]")
        XCTAssertEqual(buildError(MaxPooling2D(poolSize: (3, 3), padding: .same), [2, 2, 1]), "no error")
    }
}
