import Foundation
import XCTest
@testable import NNReg

/// lstm, gru, simple_rnn. Oracles:
/// - Keras 3.15.1 outputs for fixed weights and inputs (Fixtures/recurrent.json, made by
///   tools/reference/recurrent.py), inference and training with Keras's own masks;
///   tolerance 1e-5 absolute (Float32 over 5 steps, outputs of order 1).
/// - The naive Double references (`LSTM.referenceForward`, ...) for the fast paths,
///   tolerance 1e-5 absolute.
/// - Central finite differences (GradientCheck.swift) for backpropagation through time.
final class RecurrentTests: XCTestCase {
    // MARK: Fixture

    struct Fixture: Decodable {
        struct Options: Decodable {
            let return_sequences: Bool?
            let activation: String?
            let recurrent_activation: String?
            let use_bias: Bool?
            let dropout: Float?
            let recurrent_dropout: Float?
        }
        struct Case: Decodable {
            let name: String, kind: String, options: Options, training: Bool
            let kernel: [Float], recurrent_kernel: [Float], bias: [Float]?
            let x: [Float], y: [Float], y_shape: [Int]
            let input_masks: [[Float]]?, recurrent_masks: [[Float]]?
        }
        struct Counts: Decodable {
            let input: Int
            let recurrent: Int
        }
        struct InitialBias: Decodable {
            let lstm: [Float]
            let lstm_no_unit_forget_bias: [Float]
            let gru_shape: [Int]
        }
        let keras: String
        let batch: Int, steps: Int, features: Int, units: Int
        let cases: [Case]
        let mask_counts: [String: [String: Counts]]
        let initial_bias: InitialBias
    }

    func load() throws -> Fixture {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "recurrent", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    // MARK: Helpers

    /// One layer configuration, with its naive reference.
    struct Config {
        var kind: String
        var units = 4
        var activation = Activation.tanh
        var recurrentActivation = Activation.sigmoid
        var useBias = true
        var returnSequences = false
        var dropout: Float = 0
        var recurrentDropout: Float = 0
        var biasInitializer = Initializer.randomNormal(mean: 0, stddev: 0.5)

        var gates: Int { ["lstm": 4, "gru": 3, "simple_rnn": 1][kind]! }

        func make() -> Layer {
            switch kind {
            case "lstm":
                return LSTM(
                    units: units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
                    returnSequences: returnSequences, dropout: dropout, recurrentDropout: recurrentDropout,
                    biasInitializer: biasInitializer)
            case "gru":
                return GRU(
                    units: units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
                    returnSequences: returnSequences, dropout: dropout, recurrentDropout: recurrentDropout,
                    biasInitializer: biasInitializer)
            default:
                return SimpleRNN(
                    units: units, activation: activation, useBias: useBias, returnSequences: returnSequences,
                    dropout: dropout, recurrentDropout: recurrentDropout, biasInitializer: biasInitializer)
            }
        }

        func reference(_ p: RecurrentProblem) -> [Double] {
            switch kind {
            case "lstm":
                return LSTM.referenceForward(
                    p, activation: activation, recurrentActivation: recurrentActivation,
                    returnSequences: returnSequences)
            case "gru":
                return GRU.referenceForward(
                    p, activation: activation, recurrentActivation: recurrentActivation,
                    returnSequences: returnSequences)
            default: return SimpleRNN.referenceForward(p, activation: activation, returnSequences: returnSequences)
            }
        }
    }

    func core(_ layer: Layer) -> RecurrentCore {
        if let l = layer as? LSTM { return l.core }
        if let l = layer as? GRU { return l.core }
        return (layer as! SimpleRNN).core
    }

    /// The layer's current weights, input and masks as a Double problem.
    func problem(_ layer: Layer, x: Tensor, masks: Bool) -> RecurrentProblem {
        let c = core(layer)
        let d = { (a: [Float]) in a.map(Double.init) }
        var p = RecurrentProblem(
            batch: x.shape[0], steps: c.steps, features: c.features, units: c.units, x: d(x.array),
            kernel: d(c.kernel.value.array), recurrentKernel: d(c.recurrentKernel.value.array),
            bias: c.bias.map { d($0.value.array) })
        if masks {
            p.inputMasks = c.inputMasks.map(d)
            p.recurrentMasks = c.recurrentMasks.map(d)
        }
        return p
    }

    func assertClose(
        _ a: [Float], _ b: [Double], _ tol: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for i in 0..<min(a.count, b.count) where abs(Double(a[i]) - b[i]) > tol {
            XCTFail("\(what)[\(i)]: \(a[i]) vs \(b[i])", file: file, line: line)
            return
        }
    }

    func config(_ c: Fixture.Case) -> Config {
        let o = c.options
        var cfg = Config(kind: c.kind)
        cfg.activation = Activation(rawValue: o.activation ?? "tanh")!
        cfg.recurrentActivation = Activation(rawValue: o.recurrent_activation ?? "sigmoid")!
        cfg.useBias = o.use_bias ?? true
        cfg.returnSequences = o.return_sequences ?? false
        cfg.dropout = o.dropout ?? 0
        cfg.recurrentDropout = o.recurrent_dropout ?? 0
        return cfg
    }

    // MARK: Keras

    /// Oracle: Keras outputs (inference); the fast path and the naive reference both match.
    func testForwardMatchesKeras() throws {
        let f = try load()
        let inference = f.cases.filter { !$0.training }
        XCTAssertEqual(inference.count, 12)
        for c in inference {
            let cfg = config(c)
            var rng = RNG(seed: 1)
            let layer = cfg.make()
            let out = try layer.build(inputShape: [f.steps, f.features], maxBatch: f.batch, rng: &rng)
            XCTAssertEqual([f.batch] + out, c.y_shape, c.name)
            let cr = core(layer)
            _ = cr.kernel.value.buffer.update(fromContentsOf: c.kernel)
            _ = cr.recurrentKernel.value.buffer.update(fromContentsOf: c.recurrent_kernel)
            XCTAssertEqual(cr.bias?.value.count, c.bias?.count, c.name)
            if let b = c.bias { _ = cr.bias!.value.buffer.update(fromContentsOf: b) }
            let x = Tensor(shape: [f.batch, f.steps, f.features], values: c.x)
            let y = layer.forward(x, training: false, rng: &rng)
            XCTAssertEqual(y.shape, c.y_shape, c.name)
            assertClose(y.array, c.y.map(Double.init), 1e-5, "\(c.name) fast")
            assertClose(c.y, cfg.reference(problem(layer, x: x, masks: false)), 1e-5, "\(c.name) reference")
        }
    }

    /// Oracle: Keras in training with the masks Keras drew. The reference, given those
    /// masks, reproduces Keras — so the reference's mask semantics (shared over time;
    /// one per gate with recurrent dropout, else one shared by the gates) are Keras's.
    func testReferenceWithKerasMasksMatchesKerasTraining() throws {
        let f = try load()
        let training = f.cases.filter(\.training)
        XCTAssertEqual(training.count, 6)
        for c in training {
            let cfg = config(c)
            let d = { (a: [Float]) in a.map(Double.init) }
            var p = RecurrentProblem(
                batch: f.batch, steps: f.steps, features: f.features, units: f.units, x: d(c.x),
                kernel: d(c.kernel), recurrentKernel: d(c.recurrent_kernel), bias: c.bias.map(d))
            p.inputMasks = (c.input_masks ?? []).map(d)
            p.recurrentMasks = (c.recurrent_masks ?? []).map(d)
            XCTAssertFalse(p.inputMasks.isEmpty, c.name)
            assertClose(c.y, cfg.reference(p), 1e-5, c.name)
            // Without the masks the output differs: the masks are really applied.
            let plain = cfg.reference(
                RecurrentProblem(
                    batch: f.batch, steps: f.steps, features: f.features, units: f.units,
                    x: p.x, kernel: p.kernel, recurrentKernel: p.recurrentKernel, bias: p.bias))
            XCTAssertGreaterThan(zip(c.y, plain).map { abs(Double($0) - $1) }.max()!, 1e-2, c.name)
        }
    }

    /// Oracle: how many masks Keras draws (1 shared, or one per gate with recurrent dropout).
    func testMaskCountsMatchKeras() throws {
        let f = try load()
        for kind in ["lstm", "gru", "simple_rnn"] {
            for (label, rd) in [("dropout_only", Float(0)), ("both", Float(0.5))] {
                let keras = try XCTUnwrap(f.mask_counts[kind]?[label])
                var cfg = Config(kind: kind)
                cfg.dropout = 0.5
                cfg.recurrentDropout = rd
                let layer = cfg.make()
                var rng = RNG(seed: 5)
                _ = try layer.build(inputShape: [6, 8], maxBatch: 4, rng: &rng)
                let x = Tensor(shape: [4, 6, 8])
                _ = layer.forward(x, training: true, rng: &rng)
                let c = core(layer)
                XCTAssertEqual(c.inputMasks.count, keras.input, "\(kind) \(label)")
                XCTAssertEqual(c.recurrentMasks.count, keras.recurrent, "\(kind) \(label)")
                // Inverted dropout values, and per-gate masks drawn independently.
                for m in c.inputMasks + c.recurrentMasks { XCTAssertTrue(m.allSatisfy { $0 == 0 || $0 == 2 }) }
                XCTAssertEqual(Set(c.inputMasks).count, c.inputMasks.count, "\(kind) \(label) masks differ per gate")
                // No masks at inference.
                _ = layer.forward(x, training: false, rng: &rng)
                XCTAssertTrue(c.inputMasks.isEmpty && c.recurrentMasks.isEmpty)
            }
        }
        // Keras's own per-gate masks are distinct too (the fixture is not degenerate).
        for c in f.cases where c.options.recurrent_dropout != nil && c.kind != "simple_rnn" {
            XCTAssertEqual(Set(c.input_masks!).count, c.input_masks!.count, c.name)
            XCTAssertEqual(Set(c.recurrent_masks!).count, c.recurrent_masks!.count, c.name)
        }
    }

    /// Oracle: Keras's initial biases (unit_forget_bias; GRU reset_after bias (2, 3*units)).
    func testInitialBiasMatchesKeras() throws {
        let f = try load()
        var rng = RNG(seed: 2)
        let lstm = LSTM(units: f.units)
        _ = try lstm.build(inputShape: [f.steps, f.features], maxBatch: 1, rng: &rng)
        XCTAssertEqual(lstm.bias!.value.array, f.initial_bias.lstm)
        let plain = LSTM(units: f.units, unitForgetBias: false)
        _ = try plain.build(inputShape: [f.steps, f.features], maxBatch: 1, rng: &rng)
        XCTAssertEqual(plain.bias!.value.array, f.initial_bias.lstm_no_unit_forget_bias)
        let gru = GRU(units: f.units)
        _ = try gru.build(inputShape: [f.steps, f.features], maxBatch: 1, rng: &rng)
        XCTAssertEqual(gru.bias!.value.shape, f.initial_bias.gru_shape)
        XCTAssertEqual(gru.parameters.map(\.name), ["kernel", "recurrent_kernel", "bias"])
        XCTAssertEqual(lstm.kernel.value.shape, [f.features, 4 * f.units])
        XCTAssertEqual(lstm.recurrentKernel.value.shape, [f.units, 4 * f.units])
    }

    // MARK: Fast path vs naive reference

    /// Oracle: the naive Double references, with the masks the fast path drew. Batch 3 in
    /// buffers built for 5, so offsets must use the call's batch.
    func testFastPathMatchesNaiveReference() throws {
        var rng = RNG(seed: 9)
        for kind in ["lstm", "gru", "simple_rnn"] {
            for rs in [false, true] {
                for (dp, rdp) in [(Float(0), Float(0)), (0.3, 0), (0, 0.4), (0.3, 0.4)] {
                    for (act, rec) in [(Activation.tanh, Activation.sigmoid), (.swish, .tanh), (.softmax, .softmax)] {
                        var cfg = Config(
                            kind: kind, units: 5, activation: act, recurrentActivation: rec,
                            returnSequences: rs, dropout: dp, recurrentDropout: rdp)
                        cfg.useBias = !(act == .swish)
                        let layer = cfg.make()
                        _ = try layer.build(inputShape: [6, 3], maxBatch: 5, rng: &rng)
                        let x = Tensor(shape: [3, 6, 3])
                        for i in 0..<x.count { x[i] = rng.normal() }
                        let what = "\(kind) rs=\(rs) dropout=\(dp)/\(rdp) \(act)/\(rec)"
                        for training in [false, true] {
                            let y = layer.forward(x, training: training, rng: &rng)
                            XCTAssertEqual(y.shape, rs ? [3, 6, 5] : [3, 5], what)
                            assertClose(
                                y.array, cfg.reference(problem(layer, x: x, masks: true)), 1e-5,
                                "\(what) training=\(training)")
                        }
                    }
                }
            }
        }
    }

    // MARK: Backward through time

    /// Oracle: central finite differences, every parameter and input element.
    func testBackwardMatchesFiniteDifferences() throws {
        for kind in ["lstm", "gru", "simple_rnn"] {
            for rs in [false, true] {
                let cfg = Config(kind: kind, units: 3, returnSequences: rs)
                try checkGradients(cfg.make(), inputShape: [4, 3])
            }
        }
    }

    /// Activations whose derivative needs the pre-activation (swish, gelu, softplus), no bias.
    func testBackwardWithOtherActivations() throws {
        for kind in ["lstm", "gru", "simple_rnn"] {
            var cfg = Config(
                kind: kind, units: 3, activation: .swish, recurrentActivation: .softplus, returnSequences: true)
            cfg.useBias = false
            try checkGradients(cfg.make(), inputShape: [4, 2])
            cfg.activation = .gelu
            cfg.recurrentActivation = .tanh
            cfg.useBias = true
            try checkGradients(cfg.make(), inputShape: [3, 2])
        }
    }

    /// Oracle: finite differences with the masks fixed (checkGradients re-seeds the generator).
    func testBackwardWithDropoutMatchesFiniteDifferences() throws {
        for kind in ["lstm", "gru", "simple_rnn"] {
            for rs in [false, true] {
                for (dp, rdp) in [(Float(0.3), Float(0)), (0.3, 0.4)] {
                    let cfg = Config(kind: kind, units: 3, returnSequences: rs, dropout: dp, recurrentDropout: rdp)
                    let layer = cfg.make()
                    try checkGradients(layer, inputShape: [4, 3])
                    XCTAssertFalse(core(layer).inputMasks.isEmpty)
                    XCTAssertEqual(core(layer).recurrentMasks.isEmpty, rdp == 0)
                }
            }
        }
    }

    func testNoInputGradientForFirstLayer() throws {
        var rng = RNG(seed: 4)
        let layer = LSTM(units: 3)
        _ = try layer.build(inputShape: [4, 2], maxBatch: 2, rng: &rng)
        layer.needsInputGradient = false
        _ = layer.forward(Tensor(shape: [2, 4, 2], values: (0..<16).map { Float($0) / 16 }), training: true, rng: &rng)
        XCTAssertNil(layer.backward(Tensor(shape: [2, 3], values: [Float](repeating: 1, count: 6))))
        XCTAssertTrue(layer.kernel.grad.array.contains { $0 != 0 })
    }

    // MARK: Masks shared across time

    /// h_t = m ⊙ h_{t-1} with identity weights and a linear activation, so
    /// h_t = m^t: a unit either dies at t = 1 and stays dead, or doubles every step.
    /// A fresh mask per step would break that pattern almost surely (32 units, 4 steps).
    func testRecurrentDropoutMaskIsConstantAcrossSteps() throws {
        let u = 16, t = 5
        var rng = RNG(seed: 21)
        let layer = SimpleRNN(
            units: u, activation: .linear, useBias: false, returnSequences: true, recurrentDropout: 0.5)
        _ = try layer.build(inputShape: [t, u], maxBatch: 2, rng: &rng)
        identity(layer.kernel.value, u)
        identity(layer.recurrentKernel.value, u)
        let x = Tensor(shape: [2, t, u])
        for s in 0..<2 { for j in 0..<u { x[s * t * u + j] = 1 } }  // ones at t = 0, zeros after
        let y = layer.forward(x, training: true, rng: &rng)
        let mask = try XCTUnwrap(layer.core.recurrentMasks.first)
        var died = 0
        for s in 0..<2 {
            for j in 0..<u {
                let m = mask[s * u + j]
                if m == 0 { died += 1 }
                for step in 0..<t {
                    XCTAssertEqual(y[(s * t + step) * u + j], pow(m, Float(step)), "s\(s) u\(j) t\(step)")
                }
            }
        }
        XCTAssertTrue(died > 0 && died < 2 * u)
    }

    /// x_t = 1 at every step, kernel = identity, no recurrence: h_t = input mask, same every step.
    func testInputDropoutMaskIsConstantAcrossSteps() throws {
        let u = 16, t = 5
        var rng = RNG(seed: 22)
        let layer = SimpleRNN(units: u, activation: .linear, useBias: false, returnSequences: true, dropout: 0.5)
        _ = try layer.build(inputShape: [t, u], maxBatch: 2, rng: &rng)
        identity(layer.kernel.value, u)
        layer.recurrentKernel.value.fill(0)
        let x = Tensor(shape: [2, t, u], values: [Float](repeating: 1, count: 2 * t * u))
        let y = layer.forward(x, training: true, rng: &rng)
        let mask = try XCTUnwrap(layer.core.inputMasks.first)
        for s in 0..<2 {
            for step in 0..<t {
                XCTAssertEqual(
                    Array(y.array[((s * t + step) * u)..<((s * t + step + 1) * u)]),
                    Array(mask[(s * u)..<((s + 1) * u)]))
            }
        }
    }

    func identity(_ w: Tensor, _ n: Int) {
        w.fill(0)
        for i in 0..<n { w[i * n + i] = 1 }
    }

    // MARK: Shapes

    func testNon3DInputThrowsShapeError() {
        for kind in ["lstm", "gru", "simple_rnn"] {
            for shape in [[5], [2, 3, 4], [0, 3]] {
                var rng = RNG(seed: 1)
                XCTAssertThrowsError(try Config(kind: kind).make().build(inputShape: shape, maxBatch: 2, rng: &rng)) {
                    XCTAssertTrue($0 is ShapeError)
                    XCTAssertTrue(
                        "\($0)".contains("\(kind) needs (timesteps, features) inputs, got shape \(shape)"), "\($0)")
                }
            }
        }
    }

    // MARK: Timing

    /// 4 x LSTM(50), batch 32, T = 52, F = 1: forward + backward, sequences per second.
    /// Runs only with NNREG_BENCH=1 (meaningful in release:
    /// `NNREG_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter RecurrentTests/testTiming`).
    func testTiming() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["NNREG_BENCH"] == "1", "set NNREG_BENCH=1")
        let n = 32, t = 52
        var rng = RNG(seed: 3)
        let layers = (0..<4).map { LSTM(units: 50, returnSequences: $0 < 3) }
        var shape = [t, 1]
        for l in layers { shape = try l.build(inputShape: shape, maxBatch: n, rng: &rng) }
        layers[0].needsInputGradient = false
        let x = Tensor(shape: [n, t, 1])
        for i in 0..<x.count { x[i] = rng.normal() }
        let dy = Tensor(shape: [n, 50])
        for i in 0..<dy.count { dy[i] = rng.normal() }
        func forward() {
            var h = x
            for l in layers { h = l.forward(h, training: true, rng: &rng) }
        }
        func step() {
            forward()
            var d: Tensor? = dy
            for l in layers.reversed() { d = l.backward(d!) }
        }
        func time(_ body: () -> Void) -> Double {
            body()
            let iterations = 30
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<iterations { body() }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(iterations)
        }
        let threads = BLAS.threads
        for th in Set([threads, 1]).sorted() {
            BLAS.setThreads(th)
            let f = time(forward), fb = time(step)
            print(
                String(
                    format:
                        "lstm 4x50 N=32 T=52, %d BLAS threads: forward %.1f ms, forward+backward %.1f ms/batch = %.0f sequences/s",
                    th, f * 1e3, fb * 1e3, Double(n) / fb))
        }
        BLAS.setThreads(threads)
    }
}
