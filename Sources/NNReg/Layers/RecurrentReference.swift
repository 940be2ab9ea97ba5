import Foundation

/// A recurrent forward problem in Double, for the naive per-sample, per-step reference
/// implementations (`LSTM.referenceForward`, ...) that tests hold the fast paths to.
///
/// Layouts are Keras's: x (N, T, F), kernel (F, G*units), recurrent_kernel
/// (units, G*units), bias (G*units) or GRU's (2, G*units).
struct RecurrentProblem {
    var batch: Int
    var steps: Int
    var features: Int
    var units: Int
    var x: [Double]
    var kernel: [Double]
    var recurrentKernel: [Double]
    var bias: [Double]?
    /// None, one (N, F) mask shared by all gates, or one per gate.
    var inputMasks: [[Double]] = []
    /// None, or one (N, units) mask per gate (simple_rnn: one).
    var recurrentMasks: [[Double]] = []

    var gateWidth: Int { kernel.count / features }

    /// x[s, t] * inputMask_g[s] @ kernel[:, gate g] + bias[gate g]: `units` values.
    func inputPart(sample s: Int, step t: Int, gate g: Int) -> [Double] {
        let gw = gateWidth
        var out = (0..<units).map { j in bias.map { $0[g * units + j] } ?? 0 }
        for f in 0..<features {
            var v = x[(s * steps + t) * features + f]
            if !inputMasks.isEmpty { v *= inputMasks[inputMasks.count == 1 ? 0 : g][s * features + f] }
            for j in 0..<units { out[j] += v * kernel[f * gw + g * units + j] }
        }
        return out
    }

    /// h * recurrentMask_g[s] @ recurrent_kernel[:, gate g] (no bias): `units` values.
    func recurrentPart(sample s: Int, h: [Double], gate g: Int) -> [Double] {
        let gw = gateWidth
        var out = [Double](repeating: 0, count: units)
        for k in 0..<units {
            var v = h[k]
            if !recurrentMasks.isEmpty { v *= recurrentMasks[g][s * units + k] }
            for j in 0..<units { out[j] += v * recurrentKernel[k * gw + g * units + j] }
        }
        return out
    }

    /// Runs `step(sample, t, state) -> (h, state)` over every sample and step, from a
    /// zero state; returns (N, T, units) or the last h, (N, units).
    func run(
        returnSequences: Bool, stateCount: Int,
        step: (_ s: Int, _ t: Int, _ state: [[Double]]) -> [[Double]]
    ) -> [Double] {
        var y: [Double] = []
        for s in 0..<batch {
            var state = [[Double]](repeating: [Double](repeating: 0, count: units), count: stateCount)
            for t in 0..<steps {
                state = step(s, t, state)
                if returnSequences || t == steps - 1 { y += state[0] }
            }
        }
        return y
    }
}

extension Activation {
    /// The activation in Double on one vector (softmax over the whole vector).
    func reference(_ z: [Double]) -> [Double] {
        func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        switch self {
        case .linear: return z
        case .relu: return z.map { max($0, 0) }
        case .leaky_relu: return z.map { $0 > 0 ? $0 : Double(Activation.leakySlope) * $0 }
        case .elu: return z.map { $0 > 0 ? $0 : expm1($0) }
        case .selu:
            let a = Double(Activation.seluAlpha), l = Double(Activation.seluScale)
            return z.map { l * ($0 > 0 ? $0 : a * expm1($0)) }
        case .gelu: return z.map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
        case .swish: return z.map { $0 * sigmoid($0) }
        case .sigmoid: return z.map(sigmoid)
        case .tanh: return z.map { Foundation.tanh($0) }
        case .softplus: return z.map { max($0, 0) + log1p(exp(-abs($0))) }
        case .softmax:
            let m = z.max() ?? 0
            let e = z.map { exp($0 - m) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
    }
}

/// The masks of a recurrent layer's last training call, for tests to compare with Keras's.
extension RecurrentCore {
    /// This call's input masks, one (N, F) array per group; empty when not masked.
    var inputMasks: [[Float]] {
        guard inputMasked, let inputMask else { return [] }
        let c = n * features
        return (0..<maskGroups).map { Array(UnsafeBufferPointer(start: inputMask.data + $0 * c, count: c)) }
    }

    /// This call's recurrent masks, one (N, units) array per gate; empty when not masked.
    var recurrentMasks: [[Float]] {
        guard recurrentMasked, let recurrentMask else { return [] }
        let c = n * units
        return (0..<gates).map { Array(UnsafeBufferPointer(start: recurrentMask.data + $0 * c, count: c)) }
    }
}
