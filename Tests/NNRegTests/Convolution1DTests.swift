import XCTest

@testable import NNReg

/// Keras 3.15.1 / TF 2.21 reference cases (Fixtures/conv1d.json, made by tools/reference/conv1d.py),
/// shared with Pooling1DTests. Arrays are row-major, shapes as Keras stores them.
struct Conv1DFixture: Decodable {
    struct Conv: Decodable {
        let name: String
        let input_shape: [Int], output_shape: [Int]
        let filters: Int, kernel_size: Int, strides: Int, dilation_rate: Int
        let padding: String, activation: String, use_bias: Bool
        let x: [Float], kernel: [Float], bias: [Float], y: [Float]
        let dy: [Float], dx: [Float], dkernel: [Float], dbias: [Float]
    }
    struct Pool: Decodable {
        let name: String, type: String
        let input_shape: [Int], output_shape: [Int]
        let pool_size: Int?, strides: Int?, padding: String?
        let x: [Float], y: [Float], dy: [Float], dx: [Float]
    }
    let keras: String
    let conv: [Conv]
    let pool: [Pool]

    static func load() throws -> Conv1DFixture {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "conv1d", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Conv1DFixture.self, from: Data(contentsOf: url))
    }
}

/// Keras's output length and padding before the sequence, written out independently of
/// `Window2D`: E = (K - 1) * D + 1; valid: (steps - E) / S + 1, no padding; same:
/// ceil(steps / S), floor(pad_total / 2) before; causal: E - 1 before, ceil(steps / S).
func kerasWindow1D(steps: Int, size k: Int, stride s: Int, dilation d: Int = 1, padding: String) -> (
    out: Int, padBefore: Int
) {
    let extent = (k - 1) * d + 1
    switch padding {
    case "valid": return ((steps - extent) / s + 1, 0)
    case "same":
        let out = (steps + s - 1) / s
        return (out, max((out - 1) * s + extent - steps, 0) / 2)
    default: return ((steps + s - 1) / s, extent - 1)
    }
}

final class Convolution1DTests: XCTestCase {
    struct Config {
        let name: String
        let input: [Int]  // (steps, features)
        let filters: Int, kernel: Int, strides: Int, dilation: Int
        let padding: Padding, activation: Activation, useBias: Bool

        init(
            _ name: String, _ input: [Int], filters: Int, kernel: Int, strides: Int = 1, dilation: Int = 1,
            padding: Padding = .valid, activation: Activation = .linear, useBias: Bool = true
        ) {
            (self.name, self.input, self.filters, self.kernel, self.strides, self.dilation) =
                (name, input, filters, kernel, strides, dilation)
            (self.padding, self.activation, self.useBias) = (padding, activation, useBias)
        }

        func make(bias: Initializer) -> Conv1D {
            Conv1D(
                filters: filters, kernelSize: kernel, strides: strides, padding: padding, dilationRate: dilation,
                activation: activation, useBias: useBias, biasInitializer: bias)
        }
    }

    /// valid, same (odd and even kernels), causal (plain, dilated 2, strided 2, a kernel
    /// longer than the input), strides 2, dilation 2 and 3, pointwise without bias.
    let configs: [Config] = [
        Config("k3 valid", [10, 3], filters: 4, kernel: 3, activation: .tanh),
        Config("k3 same", [7, 3], filters: 2, kernel: 3, padding: .same, activation: .sigmoid),
        Config("k4 same", [6, 2], filters: 2, kernel: 4, padding: .same),
        Config("k3 causal", [6, 2], filters: 3, kernel: 3, padding: .causal, activation: .relu),
        Config("k3 causal dilated 2", [9, 2], filters: 3, kernel: 3, dilation: 2, padding: .causal, activation: .elu),
        Config("k3 causal stride 2", [9, 2], filters: 2, kernel: 3, strides: 2, padding: .causal),
        Config("k5 causal on 3 steps", [3, 2], filters: 2, kernel: 5, padding: .causal, activation: .swish),
        Config("k3 stride 2 valid", [9, 3], filters: 3, kernel: 3, strides: 2),
        Config("k3 stride 2 same", [8, 2], filters: 2, kernel: 3, strides: 2, padding: .same, activation: .gelu),
        Config("k3 dilated 2 same", [9, 2], filters: 2, kernel: 3, dilation: 2, padding: .same),
        Config("k2 dilated 3 valid", [8, 2], filters: 4, kernel: 2, dilation: 3, activation: .softmax),
        Config("k1 no bias", [4, 5], filters: 3, kernel: 1, useBias: false),
    ]

    func random(_ shape: [Int], _ rng: inout RNG) -> Tensor {
        let t = Tensor(shape: shape)
        for i in 0..<t.count { t[i] = rng.normal() }
        return t
    }

    /// The naive conv1d: z[s, t, f] = bias[f] + sum over (i, c) of x[s, t * S - pad + i * D, c]
    /// * kernel[i, c, f], positions outside x skipped; plain loops in Double.
    func naivePreActivation(_ x: Tensor, kernel: Tensor, bias: Tensor?, _ c: Config) -> (z: [Double], out: Int) {
        let (n, steps, cin) = (x.shape[0], x.shape[1], x.shape[2])
        let (k, f) = (kernel.shape[0], kernel.shape[2])
        let (out, pad) = kerasWindow1D(
            steps: steps, size: k, stride: c.strides, dilation: c.dilation, padding: c.padding.rawValue)
        var z = [Double](repeating: 0, count: n * out * f)
        for s in 0..<n {
            for t in 0..<out {
                for o in 0..<f {
                    var sum = bias.map { Double($0[o]) } ?? 0
                    for i in 0..<k {
                        let step = t * c.strides - pad + i * c.dilation
                        guard step >= 0 && step < steps else { continue }
                        for ch in 0..<cin {
                            sum += Double(x[(s * steps + step) * cin + ch]) * Double(kernel[(i * cin + ch) * f + o])
                        }
                    }
                    z[(s * out + t) * f + o] = sum
                }
            }
        }
        return (z, out)
    }

    /// Oracle: `naivePreActivation` (loops in Double) for y, and for the gradients the same
    /// loops run backwards with dz = dy * f'(z) from `Activation.backward`. Tolerance
    /// 1e-5 + 1e-5 relative. Batch 3 below the built 5, in 1 and 2 shards, whole and
    /// one-sample chunks (the Conv2D paths Conv1D runs on).
    func testForwardAndBackwardMatchNaiveLoops() throws {
        let threads = Parallel.threads
        defer { Parallel.setThreads(threads) }
        for c in configs {
            for (shards, chunk) in [(1, 5), (2, 1)] {
                Parallel.setThreads(shards)
                var rng = RNG(seed: 5)
                let conv = c.make(bias: .randomNormal(mean: 0, stddev: 0.5))
                let outShape = try conv.build(inputShape: c.input, maxBatch: 5, rng: &rng)
                conv.conv.samplesPerChunk = min(conv.conv.samplesPerChunk, chunk)
                let what = "\(c.name), \(shards) shards, chunk \(chunk)"
                // Keras's kernel shape; the loops below index it as (K, C, F).
                let kernelShape = [c.kernel, c.input[1], c.filters]
                guard conv.kernel.value.shape == kernelShape else {
                    XCTFail("kernel shape \(conv.kernel.value.shape), expected \(kernelShape), \(what)")
                    continue
                }
                let x = random([3] + c.input, &rng)
                let (z, out) = naivePreActivation(x, kernel: conv.kernel.value, bias: conv.bias?.value, c)
                XCTAssertEqual(outShape, [out, c.filters], what)

                let y = conv.forward(x, training: true, rng: &rng)
                XCTAssertEqual(y.shape, [3, out, c.filters], what)
                let zf = Tensor(shape: y.shape, values: z.map { Float($0) })
                let yRef = Tensor(shape: y.shape)
                c.activation.forward(zf.data, yRef.data, rows: y.count / c.filters, width: c.filters)
                assertElementsClose(y.array, yRef.array, atol: 1e-5, rtol: 1e-5, "y, \(what)")

                let dy = random(y.shape, &rng)
                let dz = Tensor(shape: y.shape)
                c.activation.backward(
                    dy: dy.data, y: yRef.data, z: zf.data, dz: dz.data, rows: y.count / c.filters, width: c.filters)
                let (steps, cin, k) = (c.input[0], c.input[1], c.kernel)
                let pad = kerasWindow1D(
                    steps: steps, size: k, stride: c.strides, dilation: c.dilation, padding: c.padding.rawValue
                )
                .padBefore
                var dx = [Double](repeating: 0, count: x.count),
                    dkernel = [Double](repeating: 0, count: k * cin * c.filters)
                var dbias = [Double](repeating: 0, count: c.filters)
                for s in 0..<3 {
                    for t in 0..<out {
                        for o in 0..<c.filters {
                            let d = Double(dz[(s * out + t) * c.filters + o])
                            dbias[o] += d
                            for i in 0..<k {
                                let step = t * c.strides - pad + i * c.dilation
                                guard step >= 0 && step < steps else { continue }
                                for ch in 0..<cin {
                                    let xi = (s * steps + step) * cin + ch, wi = (i * cin + ch) * c.filters + o
                                    dx[xi] += d * Double(conv.kernel.value[wi])
                                    dkernel[wi] += d * Double(x[xi])
                                }
                            }
                        }
                    }
                }
                let gx = try XCTUnwrap(conv.backward(dy))
                XCTAssertEqual(gx.shape, [3] + c.input, what)
                assertElementsClose(gx.array, dx.map { Float($0) }, atol: 1e-5, rtol: 1e-5, "dx, \(what)")
                assertElementsClose(
                    conv.kernel.grad.array, dkernel.map { Float($0) }, atol: 1e-5, rtol: 1e-5, "dkernel, \(what)")
                if let bias = conv.bias {
                    assertElementsClose(
                        bias.grad.array, dbias.map { Float($0) }, atol: 1e-5, rtol: 1e-5, "dbias, \(what)")
                }
            }
        }
    }

    /// Oracle: central finite differences (GradientCheck.swift), every config, random bias.
    func testBackwardMatchesFiniteDifferences() throws {
        for c in configs {
            try checkGradients(c.make(bias: .randomNormal(mean: 0, stddev: 0.5)), inputShape: c.input)
        }
    }

    /// Oracle: Keras 3.15.1 Conv1D on TF 2.21 (Fixtures/conv1d.json): y, and the gradients of
    /// sum(y * dy); valid, same, causal (dilated 2, strided 2), strides 2, dilation 2.
    /// Tolerance 2e-5 + 1e-5 relative (TF sums in another order).
    func testForwardAndGradientsMatchKeras() throws {
        let fixture = try Conv1DFixture.load()
        XCTAssertEqual(fixture.conv.count, 11)
        for c in fixture.conv {
            var rng = RNG(seed: 1)
            let conv = Conv1D(
                filters: c.filters, kernelSize: c.kernel_size, strides: c.strides,
                padding: try XCTUnwrap(Padding(rawValue: c.padding)), dilationRate: c.dilation_rate,
                activation: try XCTUnwrap(Activation(rawValue: c.activation)), useBias: c.use_bias)
            let outShape = try conv.build(
                inputShape: Array(c.input_shape.dropFirst()), maxBatch: c.input_shape[0], rng: &rng)
            XCTAssertEqual([c.input_shape[0]] + outShape, c.output_shape, c.name)
            XCTAssertEqual(conv.kernel.value.shape, [c.kernel_size, c.input_shape[2], c.filters], c.name)
            _ = conv.kernel.value.buffer.update(fromContentsOf: c.kernel)
            _ = conv.bias?.value.buffer.update(fromContentsOf: c.bias)

            let y = conv.forward(Tensor(shape: c.input_shape, values: c.x), training: true, rng: &rng)
            XCTAssertEqual(y.shape, c.output_shape, c.name)
            assertElementsClose(y.array, c.y, atol: 2e-5, rtol: 1e-5, "y, \(c.name)")
            let dx = try XCTUnwrap(conv.backward(Tensor(shape: c.output_shape, values: c.dy)))
            XCTAssertEqual(dx.shape, c.input_shape, c.name)
            assertElementsClose(dx.array, c.dx, atol: 2e-5, rtol: 1e-5, "dx, \(c.name)")
            assertElementsClose(conv.kernel.grad.array, c.dkernel, atol: 2e-5, rtol: 1e-5, "dkernel, \(c.name)")
            if let bias = conv.bias {
                assertElementsClose(bias.grad.array, c.dbias, atol: 2e-5, rtol: 1e-5, "dbias, \(c.name)")
            }
        }
    }

    /// Oracle: Keras's causal rule by hand: (K - 1) * D zeros before, none after.
    /// k3 d2 on 9 steps: 4 before, 9 out; k3 stride 2 on 9: 2 before, 5 out; the unit height
    /// of the 2-D window is not padded.
    func testCausalPaddingIsAllBefore() throws {
        let a = try Window2D(
            input: (1, 9), window: (1, 3), strides: (1, 1), dilation: (1, 2), padding: .causal, layer: "t")
        XCTAssertEqual([a.outH, a.padTop, a.outW, a.padLeft], [1, 0, 9, 4])
        let b = try Window2D(input: (1, 9), window: (1, 3), strides: (1, 2), padding: .causal, layer: "t")
        XCTAssertEqual([b.outH, b.padTop, b.outW, b.padLeft], [1, 0, 5, 2])
    }

    /// The first layer's dx is discarded: backward returns nil and still fills the gradients.
    func testWithoutInputGradientOnlyParameterGradients() throws {
        var rng = RNG(seed: 3)
        let conv = Conv1D(filters: 2, kernelSize: 3, padding: .causal, activation: .tanh)
        _ = try conv.build(inputShape: [6, 2], maxBatch: 2, rng: &rng)
        let x = random([2, 6, 2], &rng), dy = random([2, 6, 2], &rng)
        _ = conv.forward(x, training: true, rng: &rng)
        _ = conv.backward(dy)
        let dkernel = conv.kernel.grad.array
        conv.needsInputGradient = false
        _ = conv.forward(x, training: true, rng: &rng)
        XCTAssertNil(conv.backward(dy))
        XCTAssertEqual(conv.kernel.grad.array, dkernel)
    }

    func testImpossibleShapesThrowShapeErrors() {
        XCTAssertEqual(
            buildError(Conv1D(filters: 1, kernelSize: 3, dilationRate: 2), [4, 1]),
            "conv1d kernel length 3 (dilated to 5) is larger than the input length 4 with padding \"valid\"; use padding \"same\" or a smaller window"
        )
        XCTAssertEqual(
            buildError(Conv1D(filters: 1, kernelSize: 3, strides: 2, dilationRate: 2), [8, 1]),
            "conv1d strides 2 with dilation_rate 2: strides > 1 is not supported together with dilation_rate > 1 (as in Keras)"
        )
        XCTAssertEqual(
            buildError(Conv1D(filters: 1, kernelSize: 3), [8, 8, 1]),
            "conv1d needs non-empty (steps, features) inputs, got shape [8, 8, 1]")
        XCTAssertEqual(buildError(Conv1D(filters: 1, kernelSize: 5, padding: .causal), [2, 1]), "no error")
    }

    // MARK: - Spec

    /// A sequence spec with `layers` on (10, 3) inputs.
    func sequenceSpec(_ layers: String) -> String {
        """
        {"data": {"train": "train.csv"}, "model": {"input_shape": [10, 3], "layers": [\(layers)]},
         "training": {"loss": "mse"}}
        """
    }

    /// Oracle: Keras 3.15.1's model.summary() for the same stack: output shapes (None, 8, 4),
    /// (None, 4, 4), (None, 4), (None, 2) and 40 + 10 parameters; weight names and the
    /// conv1d kernel's Keras shape (3, 3, 4).
    func testSpecBuildsWithKerasShapesAndNames() throws {
        let spec = try Spec.parse(
            sequenceSpec(
                #"""
                {"type": "conv1d", "filters": 4, "kernel_size": [3], "activation": "relu", "kernel_regularizer": "l2"},
                {"type": "max_pooling1d"},
                {"type": "global_average_pooling1d"},
                {"type": "dense", "units": 2}
                """#), baseDirectory: "/p")
        let conv = spec.model.layers[0]
        XCTAssertEqual(conv.int("kernel_size"), 3)
        XCTAssertEqual(conv.int("strides"), 1)
        XCTAssertEqual(conv.int("dilation_rate"), 1)
        XCTAssertEqual(conv.string("padding"), "valid")
        XCTAssertEqual(spec.model.layers[1].int("strides"), 2)  // null -> pool_size

        var rng = RNG(seed: 1)
        let model = try ModelBuilder.build(spec.model.layers, inputShape: [10, 3], maxBatch: 4, rng: &rng)
        XCTAssertEqual(model.layerShapes, [[8, 4], [4, 4], [4], [2]])
        XCTAssertEqual(
            model.namedParameters.map(\.name),
            [
                "layers.0.conv1d.kernel", "layers.0.conv1d.bias", "layers.3.dense.kernel", "layers.3.dense.bias",
            ])
        XCTAssertEqual(model.namedParameters[0].parameter.value.shape, [3, 3, 4])
        XCTAssertNotNil(model.namedParameters[0].parameter.regularizer)
        let summary = model.summary(name: "m")
        let convRow = try XCTUnwrap(summary.split(separator: "\n").first { $0.hasPrefix("0 conv1d") })
        XCTAssertTrue(convRow.contains("(None, 8, 4)") && convRow.hasSuffix(" 40"), String(convRow))
        XCTAssertTrue(summary.contains("Total params: 50 (200 B)"), summary)
        let x = random([4, 10, 3], &rng)
        XCTAssertEqual(model.forward(x, training: true, rng: &rng).shape, [4, 2])

        let causal = try Spec.parse(
            sequenceSpec(
                #"""
                {"type": "conv1d", "filters": 5, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
                {"type": "average_pooling1d", "pool_size": 3, "strides": 2, "padding": "same"},
                {"type": "global_max_pooling1d"}
                """#), baseDirectory: "/p")
        let m2 = try ModelBuilder.build(causal.model.layers, inputShape: [10, 3], maxBatch: 2, rng: &rng)
        XCTAssertEqual(m2.layerShapes, [[10, 5], [5, 5], [5]])
    }

    /// Bad values are SpecErrors at their JSON path.
    func testBadValuesNameTheirJSONPath() throws {
        XCTAssertEqual(
            specError(
                sequenceSpec(#"{"type": "conv1d", "filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}"#)),
            "model.layers[0].dilation_rate: must be 1 when strides > 1 (as in Keras)")
        let causalPool = try XCTUnwrap(
            specError(
                sequenceSpec(
                    #"{"type": "conv1d", "filters": 4, "kernel_size": 3}, {"type": "max_pooling1d", "padding": "causal"}"#
                )))
        XCTAssertTrue(causalPool.hasPrefix("model.layers[1].padding: unknown padding \"causal\""), causalPool)
        XCTAssertEqual(
            specError(sequenceSpec(#"{"type": "conv1d", "filters": 4, "kernel_size": [3, 3]}"#)),
            "model.layers[0].kernel_size: expected a positive integer or [n], got [3, 3]")
        XCTAssertEqual(
            specError(sequenceSpec(#"{"type": "average_pooling1d", "strides": 0}"#)),
            "model.layers[0].strides: expected a positive integer or [n] or null, got 0")

        // Shapes are checked when the model is built, at the layer's path.
        func buildError(_ layers: String) throws -> String {
            let spec = try Spec.parse(sequenceSpec(layers), baseDirectory: "/p")
            var rng = RNG(seed: 1)
            do {
                _ = try ModelBuilder.build(spec.model.layers, inputShape: [10, 3], maxBatch: 1, rng: &rng)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(
            try buildError(#"{"type": "global_average_pooling1d"}, {"type": "max_pooling1d"}"#),
            "model.layers[1]: max_pooling1d needs non-empty (steps, features) inputs, got shape [3]")
        XCTAssertEqual(
            try buildError(#"{"type": "conv1d", "filters": 2, "kernel_size": 11}"#),
            "model.layers[0]: conv1d kernel length 11 is larger than the input length 10 with padding \"valid\"; use padding \"same\" or a smaller window"
        )
    }
}
