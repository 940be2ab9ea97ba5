import Foundation
import XCTest
@testable import NNReg

/// The recurrent layers' fast paths: the 8-lane gate math (`GateMath`) and the batch split
/// into one shard per worker thread (`RecurrentShard`). Oracles:
/// - Foundation's exp and tanh in Double for `GateMath`, absolute error 5e-7 (sigmoid, tanh)
///   and relative error 1e-6 (exp);
/// - the naive Double references (`LSTM.referenceForward`, ...) for the forward pass in 1, 2
///   and 3 shards, tolerance 1e-5 absolute, with units 19 (two full 8-lane blocks and a
///   3-lane tail) so both halves of every fused kernel run;
/// - central finite differences (GradientCheck.swift) for backward in 1, 2 and 3 shards;
/// - the same call repeated, bit for bit, for determinism at a given thread count.
final class RecurrentShardTests: XCTestCase {
    func testGateMathMatchesFoundation() {
        var worstExp = 0.0, worstSigmoid = 0.0, worstTanh = 0.0
        var x: Float = -100
        while x < 100 {
            var v = F8()
            for k in 0..<8 { v[k] = x + Float(k) * 1e-3 }
            let e = GateMath.exp(v), s = GateMath.sigmoid(v), t = GateMath.tanh(v)
            for k in 0..<8 {
                let xd = Double(v[k])
                XCTAssertTrue(e[k].isFinite && s[k].isFinite && t[k].isFinite, "x = \(xd)")
                if abs(xd) < 85 { worstExp = max(worstExp, abs(Double(e[k]) / Foundation.exp(xd) - 1)) }
                worstSigmoid = max(worstSigmoid, abs(Double(s[k]) - 1 / (1 + Foundation.exp(-xd))))
                worstTanh = max(worstTanh, abs(Double(t[k]) - Foundation.tanh(xd)))
            }
            x += 0.0173
        }
        XCTAssertLessThan(worstExp, 1e-6)
        XCTAssertLessThan(worstSigmoid, 5e-7)
        XCTAssertLessThan(worstTanh, 5e-7)
    }

    /// A row's tail (< 8 lanes) gets the same values as the same elements in a full block.
    func testGateMathTailMatchesFullBlocks() {
        let width = 13
        let z = (0..<width).map { Float($0) * 0.37 - 2 }
        var blocks = [Float](repeating: 0, count: width)
        z.withUnsafeBufferPointer { zp in
            blocks.withUnsafeMutableBufferPointer { out in
                GateMath.forEachBlock(width) { j, lanes in
                    GateMath.store(
                        GateMath.tanh(GateMath.load(zp.baseAddress! + j, lanes)), out.baseAddress! + j, lanes)
                }
            }
        }
        var full = F8()
        for k in 0..<5 { full[k] = z[8 + k] }
        let t = GateMath.tanh(full)
        for k in 0..<5 { XCTAssertEqual(blocks[8 + k], t[k], "tail lane \(k)") }
    }

    func make(_ kind: String, units: Int, returnSequences: Bool, dropout: Float, recurrentDropout: Float) -> Layer {
        let bias = Initializer.randomNormal(mean: 0, stddev: 0.5)
        switch kind {
        case "lstm":
            return LSTM(
                units: units, returnSequences: returnSequences, dropout: dropout, recurrentDropout: recurrentDropout,
                biasInitializer: bias)
        case "gru":
            return GRU(
                units: units, returnSequences: returnSequences, dropout: dropout, recurrentDropout: recurrentDropout,
                biasInitializer: bias)
        default:
            return SimpleRNN(
                units: units, returnSequences: returnSequences, dropout: dropout, recurrentDropout: recurrentDropout,
                biasInitializer: bias)
        }
    }

    func core(_ layer: Layer) -> RecurrentCore { (layer as! any RecurrentLayer).core }

    func reference(_ kind: String, _ layer: Layer, x: Tensor, returnSequences: Bool) -> [Double] {
        let c = core(layer), d = { (a: [Float]) in a.map(Double.init) }
        var p = RecurrentProblem(
            batch: x.shape[0], steps: c.steps, features: c.features, units: c.units, x: d(x.array),
            kernel: d(c.kernel.value.array), recurrentKernel: d(c.recurrentKernel.value.array),
            bias: c.bias.map { d($0.value.array) })
        p.inputMasks = c.inputMasks.map(d)
        p.recurrentMasks = c.recurrentMasks.map(d)
        switch kind {
        case "lstm": return LSTM.referenceForward(p, returnSequences: returnSequences)
        case "gru": return GRU.referenceForward(p, returnSequences: returnSequences)
        default: return SimpleRNN.referenceForward(p, returnSequences: returnSequences)
        }
    }

    /// Batch 7 in buffers built for 8, units 19, in 1, 2 and 3 shards, with and without dropout.
    func testShardedFusedForwardMatchesNaiveReference() throws {
        let threads = Parallel.threads
        defer { Parallel.setThreads(threads) }
        for shards in [1, 2, 3] {
            Parallel.setThreads(shards)
            for kind in ["lstm", "gru", "simple_rnn"] {
                for rs in [false, true] {
                    for (dp, rdp) in [(Float(0), Float(0)), (0.3, 0.4)] {
                        var rng = RNG(seed: 5)
                        let layer = make(kind, units: 19, returnSequences: rs, dropout: dp, recurrentDropout: rdp)
                        _ = try layer.build(inputShape: [5, 3], maxBatch: 8, rng: &rng)
                        let x = Tensor(shape: [7, 5, 3])
                        for i in 0..<x.count { x[i] = rng.normal() }
                        let what = "\(kind) rs=\(rs) dropout=\(dp)/\(rdp), \(shards) shards"
                        XCTAssertEqual(core(layer).shardCount, 1, what)  // before any call
                        let y = layer.forward(x, training: true, rng: &rng)
                        XCTAssertEqual(core(layer).shardCount, shards, what)
                        let ref = reference(kind, layer, x: x, returnSequences: rs)
                        XCTAssertEqual(y.count, ref.count, what)
                        let worst = zip(y.array, ref).map { abs(Double($0) - $1) }.max()!
                        XCTAssertLessThan(worst, 1e-5, what)
                    }
                }
            }
        }
    }

    /// The input projection runs in blocks of `RecurrentCore.projectionRows` rows, added to
    /// the bias rows: batch 30 x 40 steps in one shard is 1,200 rows, a full block and a
    /// partial one. Oracle: the naive Double references, 1e-5 absolute.
    func testProjectionInSeveralRowBlocksMatchesNaiveReference() throws {
        let threads = Parallel.threads
        defer { Parallel.setThreads(threads) }
        Parallel.setThreads(1)
        let (batch, steps) = (30, 40)
        XCTAssertGreaterThan(batch * steps, RecurrentCore.projectionRows)
        for kind in ["lstm", "gru", "simple_rnn"] {
            var rng = RNG(seed: 9)
            let layer = make(kind, units: 5, returnSequences: true, dropout: 0, recurrentDropout: 0)
            _ = try layer.build(inputShape: [steps, 2], maxBatch: batch, rng: &rng)
            let x = Tensor(shape: [batch, steps, 2])
            for i in 0..<x.count { x[i] = rng.normal() }
            let y = layer.forward(x, training: false, rng: &rng)
            let ref = reference(kind, layer, x: x, returnSequences: true)
            let worst = zip(y.array, ref).map { abs(Double($0) - $1) }.max()!
            XCTAssertLessThan(worst, 1e-5, kind)
        }
    }

    /// Oracle: central finite differences, every parameter and input, batch 3 in 1, 2 and 3
    /// shards; units 9 (one full 8-lane block and a 1-lane tail).
    func testShardedFusedBackwardMatchesFiniteDifferences() throws {
        let threads = Parallel.threads
        defer { Parallel.setThreads(threads) }
        for shards in [1, 2, 3] {
            Parallel.setThreads(shards)
            for kind in ["lstm", "gru", "simple_rnn"] {
                for rs in [false, true] {
                    try checkGradients(
                        make(kind, units: 9, returnSequences: rs, dropout: 0, recurrentDropout: 0), inputShape: [3, 2])
                }
                try checkGradients(
                    make(kind, units: 9, returnSequences: true, dropout: 0.3, recurrentDropout: 0.4),
                    inputShape: [3, 2])
            }
        }
    }

    /// Oracle: the first call. The same layer, input and seed in 2 shards give the same bits.
    func testSameThreadCountIsBitIdentical() throws {
        let threads = Parallel.threads
        defer { Parallel.setThreads(threads) }
        Parallel.setThreads(2)
        for kind in ["lstm", "gru", "simple_rnn"] {
            var results: [[Float]] = []
            for _ in 0..<2 {
                var rng = RNG(seed: 8)
                let layer = make(kind, units: 21, returnSequences: true, dropout: 0.2, recurrentDropout: 0)
                _ = try layer.build(inputShape: [6, 4], maxBatch: 33, rng: &rng)
                let x = Tensor(shape: [33, 6, 4])
                for i in 0..<x.count { x[i] = rng.normal() }
                let y = layer.forward(x, training: true, rng: &rng)
                let dy = Tensor(shape: y.shape)
                for i in 0..<dy.count { dy[i] = rng.normal() }
                let dx = try XCTUnwrap(layer.backward(dy))
                results.append(y.array + dx.array + layer.parameters.flatMap { $0.grad.array })
            }
            XCTAssertEqual(results[0], results[1], kind)
        }
    }
}
