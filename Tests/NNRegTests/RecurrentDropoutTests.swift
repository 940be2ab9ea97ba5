import Foundation
import XCTest
@testable import NNReg

/// lstm, gru and simple_rnn in training mode, and gru with reset_after=false. Oracles:
/// - Keras 3.15.1 (TensorFlow 2.21.0, CPU) outputs and gradients of L = sum(y * dy) through
///   the layer's own call in training mode, with the masks Keras drew
///   (Fixtures/recurrent_dropout.json, made by tools/reference/recurrent_dropout.py). The
///   masks are injected into nnreg (`RecurrentCore.injectedMasks`); tolerance 1e-5 on y,
///   1e-4 on the gradients (float32 sums over 5 steps).
/// - central finite differences in Double for reset_after=false (GradientCheck.swift).
final class RecurrentDropoutTests: XCTestCase {
    struct Fixture: Decodable {
        struct Options: Decodable {
            let dropout: Float?
            let recurrent_dropout: Float?
            let reset_after: Bool?
            let use_bias: Bool?
        }
        struct Path: Decodable {
            let cudnn_tried: Bool, cudnn_ran: Bool
            let implementation: Int?
            let cell_calls: Int
            let distinct_input_masks_over_steps: Int, distinct_recurrent_masks_over_steps: Int
            let masks_drawn: Int
        }
        struct Case: Decodable {
            let name: String, kind: String, options: Options, training: Bool
            let kernel: [Float], recurrent_kernel: [Float], bias: [Float]?
            let x: [Float], dy: [Float], y: [Float]
            let input_masks: [[Float]], recurrent_masks: [[Float]]
            let dx: [Float], dkernel: [Float], drecurrent_kernel: [Float], dbias: [Float]?
            let path: Path
        }
        let keras: String, gpus: Int
        let batch: Int, steps: Int, features: Int, units: Int
        let cases: [Case]
    }

    func load() throws -> Fixture {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "recurrent_dropout", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func make(_ c: Fixture.Case, units: Int) -> any RecurrentLayer {
        let o = c.options, dp = o.dropout ?? 0, rdp = o.recurrent_dropout ?? 0, bias = o.use_bias ?? true
        switch c.kind {
        case "gru":
            return GRU(
                units: units, useBias: bias, returnSequences: true, dropout: dp, recurrentDropout: rdp,
                resetAfter: o.reset_after ?? true)
        case "lstm":
            return LSTM(units: units, useBias: bias, returnSequences: true, dropout: dp, recurrentDropout: rdp)
        default:
            return SimpleRNN(units: units, useBias: bias, returnSequences: true, dropout: dp, recurrentDropout: rdp)
        }
    }

    func assertClose(_ a: [Float], _ b: [Float], _ tol: Float, _ what: String) {
        XCTAssertEqual(a.count, b.count, what)
        for i in 0..<min(a.count, b.count) where abs(a[i] - b[i]) > tol {
            XCTFail("\(what)[\(i)]: nnreg \(a[i]), Keras \(b[i])")
            return
        }
    }

    /// Oracle: Keras's y and gradients, given Keras's masks.
    func testTrainingForwardAndBackwardMatchKeras() throws {
        let f = try load()
        XCTAssertEqual(f.cases.count, 13)
        for c in f.cases {
            let layer = make(c, units: f.units), core = layer.core
            var rng = RNG(seed: 1)
            _ = try layer.build(inputShape: [f.steps, f.features], maxBatch: f.batch, rng: &rng)
            _ = core.kernel.value.buffer.update(fromContentsOf: c.kernel)
            _ = core.recurrentKernel.value.buffer.update(fromContentsOf: c.recurrent_kernel)
            XCTAssertEqual(core.bias?.value.count, c.bias?.count, c.name)
            if let b = c.bias { _ = core.bias!.value.buffer.update(fromContentsOf: b) }
            core.injectedMasks = (c.input_masks, c.recurrent_masks)
            let x = Tensor(shape: [f.batch, f.steps, f.features], values: c.x)
            let y = layer.forward(x, training: c.training, rng: &rng)
            XCTAssertEqual(core.inputMasks, c.input_masks, c.name)
            XCTAssertEqual(core.recurrentMasks, c.recurrent_masks, c.name)
            assertClose(y.array, c.y, 1e-5, "\(c.name) y")
            let dx = try XCTUnwrap(layer.backward(Tensor(shape: y.shape, values: c.dy)))
            assertClose(dx.array, c.dx, 1e-4, "\(c.name) dx")
            assertClose(core.kernel.grad.array, c.dkernel, 1e-4, "\(c.name) dkernel")
            assertClose(core.recurrentKernel.grad.array, c.drecurrent_kernel, 1e-4, "\(c.name) drecurrent_kernel")
            if let db = c.dbias { assertClose(try XCTUnwrap(core.bias).grad.array, db, 1e-4, "\(c.name) dbias") }
        }
    }

    /// Oracle: what Keras did (fixture `path`): on a CPU, the cuDNN kernel is tried only
    /// without recurrent dropout and never runs; the cell loop uses the same masks at every
    /// step; one input mask shared by the gates (implementation 2) unless recurrent dropout
    /// is on (implementation 1: one mask per gate, input and recurrent). nnreg draws as many.
    func testMaskCountsAndCodePathMatchKeras() throws {
        let f = try load()
        XCTAssertEqual(f.gpus, 0)
        for c in f.cases where c.training {
            let rdp = c.options.recurrent_dropout ?? 0, dp = c.options.dropout ?? 0
            XCTAssertFalse(c.path.cudnn_ran, c.name)
            XCTAssertEqual(c.path.cudnn_tried, c.kind != "simple_rnn" && rdp == 0, c.name)
            if c.kind != "simple_rnn" { XCTAssertEqual(c.path.implementation, rdp > 0 ? 1 : 2, c.name) }
            XCTAssertEqual(c.path.cell_calls, f.steps + 1, c.name)  // one shape probe, then every step
            XCTAssertEqual(c.path.distinct_input_masks_over_steps, dp > 0 ? 1 : 0, c.name)
            XCTAssertEqual(c.path.distinct_recurrent_masks_over_steps, rdp > 0 ? 1 : 0, c.name)
            XCTAssertEqual(c.path.masks_drawn, c.input_masks.count + c.recurrent_masks.count, c.name)

            let layer = make(c, units: f.units)
            var rng = RNG(seed: 3)
            _ = try layer.build(inputShape: [f.steps, f.features], maxBatch: f.batch, rng: &rng)
            _ = layer.forward(Tensor(shape: [f.batch, f.steps, f.features]), training: true, rng: &rng)
            XCTAssertEqual(layer.core.inputMasks.count, c.input_masks.count, c.name)
            XCTAssertEqual(layer.core.recurrentMasks.count, c.recurrent_masks.count, c.name)
        }
    }

    /// Oracle: the naive reference (RecurrentReference.swift) with Keras's masks reproduces
    /// Keras's reset_after=false outputs, so both implementations share Keras's semantics.
    func testResetBeforeReferenceMatchesKeras() throws {
        let f = try load()
        let cases = f.cases.filter { $0.options.reset_after == false }
        XCTAssertEqual(cases.count, 4)
        for c in cases {
            let d = { (a: [Float]) in a.map(Double.init) }
            var p = RecurrentProblem(
                batch: f.batch, steps: f.steps, features: f.features, units: f.units, x: d(c.x),
                kernel: d(c.kernel), recurrentKernel: d(c.recurrent_kernel), bias: c.bias.map(d))
            p.inputMasks = c.input_masks.map(d)
            p.recurrentMasks = c.recurrent_masks.map(d)
            let y = GRU.referenceForward(p, returnSequences: true, resetAfter: false)
            assertClose(y.map(Float.init), c.y, 1e-5, c.name)
        }
    }

    /// Oracle: central finite differences, reset_after=false, with and without bias and masks.
    func testResetBeforeBackwardMatchesFiniteDifferences() throws {
        for rs in [false, true] {
            for (dp, rdp) in [(Float(0), Float(0)), (0.3, 0), (0, 0.4), (0.3, 0.4)] {
                for bias in [true, false] {
                    let layer = GRU(
                        units: 3, useBias: bias, returnSequences: rs, dropout: dp, recurrentDropout: rdp,
                        resetAfter: false, biasInitializer: .randomNormal(mean: 0, stddev: 0.5))
                    try checkGradients(layer, inputShape: [4, 3])
                    XCTAssertEqual(layer.core.recurrentMasks.count, rdp > 0 ? 3 : 0)
                }
            }
        }
    }

    /// A layer's `seed` makes its masks independent of the run's generator, the same for the
    /// same epoch and different across epochs (as Keras's per-layer seed and nnreg's dropout).
    func testSeedDrivesTheMasks() throws {
        func masks(seed: UInt64?, runSeed: UInt64, epoch: Int) throws -> [[Float]] {
            let layer = GRU(units: 3, dropout: 0.5, recurrentDropout: 0.5, seed: seed)
            var rng = RNG(seed: runSeed)
            _ = try layer.build(inputShape: [4, 2], maxBatch: 8, rng: &rng)
            layer.beginEpoch(epoch)
            _ = layer.forward(Tensor(shape: [8, 4, 2]), training: true, rng: &rng)
            return layer.core.inputMasks + layer.core.recurrentMasks
        }
        XCTAssertEqual(try masks(seed: 5, runSeed: 1, epoch: 0), try masks(seed: 5, runSeed: 2, epoch: 0))
        XCTAssertNotEqual(try masks(seed: 5, runSeed: 1, epoch: 0), try masks(seed: 5, runSeed: 1, epoch: 1))
        XCTAssertNotEqual(try masks(seed: 5, runSeed: 1, epoch: 0), try masks(seed: 6, runSeed: 1, epoch: 0))
        XCTAssertNotEqual(try masks(seed: nil, runSeed: 1, epoch: 0), try masks(seed: nil, runSeed: 2, epoch: 0))
    }

    struct TrainingFixture: Decodable {
        let window: Int, units: [Int], learning_rate: Float, batch_size: Int
        let x_train: [Float], y_train: [Float], x_validation: [Float], y_validation: [Float]
        let initial_weights: [[Float]], final_weights: [[Float]]
        let loss: [Double], val_loss: [Double]
    }

    /// Oracle: Keras's own training of a GRU stack (Fixtures/gru_training.json, made by
    /// tools/reference/gru_training.py): from Keras's initial weights, without shuffling or
    /// dropout, nnreg's Trainer with RMSprop reproduces each epoch's loss and val_loss
    /// (1e-6) and the final weights (1e-6). So nnreg against Keras over seeds
    /// (docs/recurrent.md) differs only in the random draws, not in the computation.
    func testTrainingLoopFollowsKerasStepByStep() throws {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "gru_training", withExtension: "json", subdirectory: "Fixtures"))
        let f = try JSONDecoder().decode(TrainingFixture.self, from: Data(contentsOf: url))
        var rng = RNG(seed: 1)
        let network = try Sequential(
            layers: [GRU(units: f.units[0], returnSequences: true), GRU(units: f.units[1]), Dense(units: 1)],
            inputShape: [f.window, 1], maxBatch: f.batch_size, rng: &rng)
        let parameters = network.layers.flatMap(\.parameters)
        XCTAssertEqual(parameters.map(\.value.count), f.initial_weights.map(\.count))
        for (p, w) in zip(parameters, f.initial_weights) { _ = p.value.buffer.update(fromContentsOf: w) }
        let model = Model(network: network, loss: LossConfig(name: "mean_squared_error"), batchSize: f.batch_size)
        var config = OptimizerConfig.defaults(for: "rmsprop")
        config.learningRate = f.learning_rate
        let trainer = Trainer(model: model, optimizer: makeOptimizer(config), metrics: [], shuffle: .none, seed: 1)
        func data(_ x: [Float], _ y: [Float]) -> Dataset {
            Dataset(x: Tensor(shape: [y.count, f.window, 1], values: x), y: Tensor(shape: [y.count, 1], values: y))
        }
        let train = data(f.x_train, f.y_train), validation = data(f.x_validation, f.y_validation)
        for epoch in 0..<f.loss.count {
            let loss = try trainer.trainEpoch(train, epoch: epoch)[0].1
            XCTAssertEqual(loss, f.loss[epoch], accuracy: 1e-6, "loss, epoch \(epoch)")
            XCTAssertEqual(model.evaluate(validation, metrics: [])[0].1, f.val_loss[epoch], accuracy: 1e-6, "val_loss")
        }
        for (p, w) in zip(parameters, f.final_weights) { assertClose(p.value.array, w, 1e-6, p.name) }
    }

    func buildLayer(_ json: String) throws -> Layer {
        try LayerRegistry.make(try Spec.parse(minimalSpec(layers: json), baseDirectory: "/p").model.layers[0])
    }

    /// The spec takes `seed` on every recurrent layer and reset_after=false on gru (bias (3*units)),
    /// and the size worked out before building is the built layer's.
    func testSpecAcceptsSeedAndResetBefore() throws {
        for type in ["lstm", "gru", "simple_rnn"] {
            let layer = try XCTUnwrap(
                try buildLayer(#"{"type": "\#(type)", "units": 4, "dropout": 0.2, "seed": 9}"#) as? any RecurrentLayer)
            XCTAssertEqual(layer.seed, 9, type)
        }
        let gru = try XCTUnwrap(try buildLayer(#"{"type": "gru", "units": 4, "reset_after": false}"#) as? GRU)
        XCTAssertFalse(gru.resetAfter)
        var rng = RNG(seed: 1)
        _ = try gru.build(inputShape: [5, 2], maxBatch: 2, rng: &rng)
        XCTAssertEqual(gru.bias?.value.shape, [12])
        let spec = try Spec.parse(
            minimalSpec(layers: #"{"type": "gru", "units": 4, "reset_after": false}"#), baseDirectory: "/p")
        XCTAssertEqual(try LayerRegistry.size(spec.model.layers[0], input: [5, 2]).parameters, 3 * 4 * (2 + 4 + 1))
    }
}
