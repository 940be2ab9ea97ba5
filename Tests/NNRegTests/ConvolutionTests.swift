import XCTest
@testable import NNReg

/// Keras 3.15.1 / TF 2.21 reference cases (Fixtures/conv.json, made by tools/reference/conv.py),
/// shared with PoolingTests. Arrays are row-major, shapes as Keras stores them.
struct ConvFixture: Decodable {
    struct Conv: Decodable {
        let name: String
        let input_shape: [Int], output_shape: [Int]
        let filters: Int, kernel_size: [Int], strides: [Int], dilation_rate: [Int]
        let padding: String, activation: String, use_bias: Bool
        let x: [Float], kernel: [Float], bias: [Float], y: [Float]
        let dy: [Float], dx: [Float], dkernel: [Float], dbias: [Float]
    }
    struct Pool: Decodable {
        let name: String, type: String
        let input_shape: [Int], output_shape: [Int]
        let pool_size: [Int]?, strides: [Int]?, padding: String?
        let x: [Float], y: [Float], dy: [Float], dx: [Float]
    }
    let keras: String
    let conv: [Conv]
    let pool: [Pool]

    static func load() throws -> ConvFixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "conv", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(ConvFixture.self, from: Data(contentsOf: url))
    }
}

/// |actual - expected| <= atol + rtol * |expected|, elementwise, with the index in the message.
func assertElementsClose(
    _ actual: [Float], _ expected: [Float], atol: Float, rtol: Float, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, "\(what): count", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(a - e) <= atol + rtol * abs(e)) {
        XCTFail("\(what)[\(i)]: \(a) vs \(e)", file: file, line: line)
        return
    }
}

final class ConvolutionTests: XCTestCase {
    /// One layer configuration and the input shape (no batch) it is tested on.
    struct Config {
        let name: String
        let input: [Int]
        /// Makes the layer with the given bias initializer.
        let make: (Initializer) -> Conv2D
    }

    /// Strides 1 and 2, valid and same (odd and even inputs, a kernel wider than half the
    /// input), dilation 2, 1x1 kernels, several channels, activations with and without z.
    let configs: [Config] = [
        Config(name: "3x3 valid", input: [7, 6, 2]) {
            Conv2D(filters: 3, kernelSize: (3, 3), activation: .tanh, biasInitializer: $0)
        },
        Config(name: "3x2 strided same", input: [7, 6, 2]) {
            Conv2D(
                filters: 3, kernelSize: (3, 2), strides: (2, 2), padding: .same, activation: .sigmoid,
                biasInitializer: $0)
        },
        Config(name: "3x3 stride (2, 1) valid", input: [8, 7, 3]) {
            Conv2D(filters: 2, kernelSize: (3, 3), strides: (2, 1), biasInitializer: $0)
        },
        Config(name: "3x3 stride 2 same, even input", input: [6, 6, 2]) {
            Conv2D(
                filters: 2, kernelSize: (3, 3), strides: (2, 2), padding: .same, activation: .swish, biasInitializer: $0
            )
        },
        Config(name: "3x3 dilated 2 same", input: [7, 7, 2]) {
            Conv2D(
                filters: 3, kernelSize: (3, 3), padding: .same, dilationRate: (2, 2), activation: .elu,
                biasInitializer: $0)
        },
        Config(name: "2x3 dilated (2, 1) valid", input: [6, 5, 1]) {
            Conv2D(filters: 4, kernelSize: (2, 3), dilationRate: (2, 1), activation: .softmax, biasInitializer: $0)
        },
        Config(name: "4x4 same on 4x4", input: [4, 4, 2]) {
            Conv2D(filters: 2, kernelSize: (4, 4), padding: .same, biasInitializer: $0)
        },
        Config(name: "1x1 no bias", input: [3, 4, 5]) {
            Conv2D(filters: 3, kernelSize: (1, 1), activation: .gelu, useBias: false, biasInitializer: $0)
        },
    ]

    func random(_ shape: [Int], _ rng: inout RNG) -> Tensor {
        let t = Tensor(shape: shape)
        for i in 0..<t.count { t[i] = rng.normal() }
        return t
    }

    /// Oracle: Conv2D.referenceForward / referenceBackward (nested loops in Double).
    /// Tolerance 1e-5 + 1e-5 relative (Float32 sums of at most 48 products).
    /// Each config runs with the whole batch in one chunk and with chunks of 1 and 2
    /// samples, with bias/activation blocks of 1 and 7 rows, on a batch of 3 below the
    /// built maximum of 5, in 1, 2 and 3 shards (worker threads).
    func testIm2colMatchesNaiveReference() throws {
        let threads = Parallel.threads
        defer { Parallel.setThreads(threads) }
        for config in configs {
            for (chunk, block, shards) in [
                (5, Int.max, 1), (2, 7, 1), (1, 1, 1), (5, Int.max, 2), (1, 3, 2), (2, 1, 3),
            ] {
                Parallel.setThreads(shards)
                var rng = RNG(seed: 7)
                let conv = config.make(.zeros)
                if conv.activation == .linear { conv.activation = .relu }  // relu's mask, too
                _ = try conv.build(inputShape: config.input, maxBatch: 5, rng: &rng)
                conv.samplesPerChunk = min(conv.samplesPerChunk, chunk)
                conv.blockRows = min(conv.blockRows, block)
                if let bias = conv.bias { for i in 0..<bias.value.count { bias.value[i] = rng.normal() * 0.5 } }
                let x = random([3] + config.input, &rng)
                let what = "\(config.name), chunk \(chunk), block \(conv.blockRows), \(shards) shards"

                let y = conv.forward(x, training: true, rng: &rng)
                let yRef = Conv2D.referenceForward(
                    x, kernel: conv.kernel.value, bias: conv.bias?.value, window: conv.window,
                    activation: conv.activation)
                XCTAssertEqual(y.shape, yRef.shape, what)
                assertElementsClose(y.array, yRef.array, atol: 1e-5, rtol: 1e-5, "y, \(what)")

                let dy = random(y.shape, &rng)
                let dx = try XCTUnwrap(conv.backward(dy))
                let ref = Conv2D.referenceBackward(
                    x, kernel: conv.kernel.value, bias: conv.bias?.value, window: conv.window,
                    activation: conv.activation,
                    dy: dy)
                assertElementsClose(dx.array, ref.dx.array, atol: 1e-5, rtol: 1e-5, "dx, \(what)")
                assertElementsClose(
                    conv.kernel.grad.array, ref.dkernel.array, atol: 1e-5, rtol: 1e-5, "dkernel, \(what)")
                if let bias = conv.bias {
                    assertElementsClose(bias.grad.array, ref.dbias!.array, atol: 1e-5, rtol: 1e-5, "dbias, \(what)")
                }
            }
        }
    }

    /// Oracle: central finite differences (GradientCheck.swift), every config, random bias.
    func testBackwardMatchesFiniteDifferences() throws {
        for config in configs {
            let conv = config.make(.randomNormal(mean: 0, stddev: 0.5))
            try checkGradients(conv, inputShape: config.input, file: #filePath, line: #line)
        }
    }

    /// Oracle: Keras 3.15.1 Conv2D on TF 2.21 (Fixtures/conv.json): y, and the gradients of
    /// sum(y * dy). Tolerance 2e-5 + 1e-5 relative (TF sums in another order).
    func testForwardAndGradientsMatchKeras() throws {
        let fixture = try ConvFixture.load()
        XCTAssertEqual(fixture.conv.count, 10)
        for c in fixture.conv {
            var rng = RNG(seed: 1)
            let conv = Conv2D(
                filters: c.filters, kernelSize: (c.kernel_size[0], c.kernel_size[1]),
                strides: (c.strides[0], c.strides[1]),
                padding: try XCTUnwrap(Padding(rawValue: c.padding)),
                dilationRate: (c.dilation_rate[0], c.dilation_rate[1]),
                activation: try XCTUnwrap(Activation(rawValue: c.activation)), useBias: c.use_bias)
            let outShape = try conv.build(
                inputShape: Array(c.input_shape.dropFirst()), maxBatch: c.input_shape[0], rng: &rng)
            XCTAssertEqual([c.input_shape[0]] + outShape, c.output_shape, c.name)
            _ = conv.kernel.value.buffer.update(fromContentsOf: c.kernel)
            _ = conv.bias?.value.buffer.update(fromContentsOf: c.bias)

            let y = conv.forward(Tensor(shape: c.input_shape, values: c.x), training: true, rng: &rng)
            assertElementsClose(y.array, c.y, atol: 2e-5, rtol: 1e-5, "y, \(c.name)")
            let dx = try XCTUnwrap(conv.backward(Tensor(shape: c.output_shape, values: c.dy)))
            assertElementsClose(dx.array, c.dx, atol: 2e-5, rtol: 1e-5, "dx, \(c.name)")
            assertElementsClose(conv.kernel.grad.array, c.dkernel, atol: 2e-5, rtol: 1e-5, "dkernel, \(c.name)")
            if let bias = conv.bias {
                assertElementsClose(bias.grad.array, c.dbias, atol: 2e-5, rtol: 1e-5, "dbias, \(c.name)")
            }
        }
    }

    /// Oracle: TF's "same" rule by hand. A 4-tap kernel on 5 inputs pads 1 before, 2 after;
    /// stride 2 on 6 inputs with 3 taps: out 3, pad_total 1, so 0 before.
    func testSamePaddingSplitsLikeTF() throws {
        let a = try Window2D(input: (5, 6), window: (4, 3), strides: (1, 2), padding: .same, layer: "test")
        XCTAssertEqual([a.outH, a.padTop, a.outW, a.padLeft], [5, 1, 3, 0])
        let b = try Window2D(
            input: (9, 9), window: (3, 3), strides: (1, 1), dilation: (2, 3), padding: .same, layer: "test")
        XCTAssertEqual([b.outH, b.padTop, b.outW, b.padLeft], [9, 2, 9, 3])
        let c = try Window2D(input: (7, 8), window: (3, 2), strides: (2, 3), padding: .valid, layer: "test")
        XCTAssertEqual([c.outH, c.padTop, c.outW, c.padLeft], [3, 0, 3, 0])
    }

    /// The benchmark CNN's conv layers: Keras's output shapes and parameter counts.
    func testBenchmarkShapesAndParameterCounts() throws {
        let threads = Parallel.threads
        defer { Parallel.setThreads(threads) }
        Parallel.setThreads(2)
        var rng = RNG(seed: 1)
        let conv1 = Conv2D(filters: 32, kernelSize: (3, 3), activation: .relu)
        let conv2 = Conv2D(filters: 64, kernelSize: (3, 3), activation: .relu)
        XCTAssertEqual(try conv1.build(inputShape: [28, 28, 1], maxBatch: 128, rng: &rng), [26, 26, 32])
        XCTAssertEqual(try conv2.build(inputShape: [13, 13, 32], maxBatch: 128, rng: &rng), [11, 11, 64])
        XCTAssertEqual(conv1.parameters.map(\.value.count).reduce(0, +), 320)
        XCTAssertEqual(conv2.parameters.map(\.value.count).reduce(0, +), 18_496)
        XCTAssertEqual(conv1.kernel.value.shape, [3, 3, 1, 32])
        // On 2 threads each shard holds 64 samples: conv1 lowers a whole shard at once;
        // conv2 in chunks of 7 samples (1 MB of col).
        XCTAssertEqual(conv1.samplesPerChunk, 64)
        XCTAssertEqual(conv2.samplesPerChunk, 7)
    }

    /// The first layer's dx is discarded: backward returns nil and still fills dkernel, dbias.
    func testWithoutInputGradientOnlyParameterGradients() throws {
        var rng = RNG(seed: 3)
        let conv = Conv2D(filters: 2, kernelSize: (3, 3), padding: .same, activation: .tanh)
        _ = try conv.build(inputShape: [5, 5, 2], maxBatch: 2, rng: &rng)
        conv.needsInputGradient = false
        let x = random([2, 5, 5, 2], &rng)
        let y = conv.forward(x, training: true, rng: &rng)
        let dy = random(y.shape, &rng)
        XCTAssertNil(conv.backward(dy))
        let ref = Conv2D.referenceBackward(
            x, kernel: conv.kernel.value, bias: conv.bias?.value, window: conv.window, activation: .tanh, dy: dy)
        assertElementsClose(conv.kernel.grad.array, ref.dkernel.array, atol: 1e-5, rtol: 1e-5, "dkernel")
        assertElementsClose(conv.bias!.grad.array, ref.dbias!.array, atol: 1e-5, rtol: 1e-5, "dbias")
    }

    func testImpossibleShapesThrowShapeErrors() {
        XCTAssertEqual(
            buildError(Conv2D(filters: 1, kernelSize: (5, 3)), [4, 4, 1]),
            "conv2d kernel height 5 is larger than the input height 4 with padding \"valid\"; use padding \"same\" or a smaller window"
        )
        XCTAssertEqual(
            buildError(Conv2D(filters: 1, kernelSize: (3, 3), dilationRate: (1, 3)), [8, 6, 1]),
            "conv2d kernel width 3 (dilated to 7) is larger than the input width 6 with padding \"valid\"; use padding \"same\" or a smaller window"
        )
        XCTAssertEqual(
            buildError(Conv2D(filters: 1, kernelSize: (3, 3), strides: (2, 1), dilationRate: (1, 2)), [8, 8, 1]),
            "conv2d strides (2, 1) with dilation_rate (1, 2): strides > 1 is not supported together with dilation_rate > 1 (as in Keras)"
        )
        XCTAssertEqual(
            buildError(Conv2D(filters: 1, kernelSize: (3, 3)), [8, 8]),
            "conv2d needs (height, width, channels) inputs, got shape [8, 8]")
        // Keras allows a kernel larger than the input with "same" padding.
        XCTAssertEqual(buildError(Conv2D(filters: 1, kernelSize: (5, 5), padding: .same), [3, 3, 1]), "no error")
    }
}
