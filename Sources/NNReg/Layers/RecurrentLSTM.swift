import CKernels

/// Long short-term memory layer, Keras 3 `LSTM` (keras/src/layers/rnn/lstm.py).
///
/// x: (N, T, F) -> y: (N, units), or (N, T, units) with `returnSequences`.
/// kernel: (F, 4*units), recurrent_kernel: (units, 4*units), bias: (4*units); gate
/// blocks in Keras order i, f, c, o, so Keras weights load unchanged. Per step, from
/// zero h and c:
///   i = σ(x W_i + h W'_i + b_i)   f = σ(x W_f + h W'_f + b_f)
///   c̃ = act(x W_c + h W'_c + b_c) o = σ(x W_o + h W'_o + b_o)
///   c_t = f c_{t-1} + i c̃         h_t = o act(c_t)
/// σ is `recurrentActivation` (sigmoid), act is `activation` (tanh).
/// `unitForgetBias` (Keras default) initialises b_f to 1. Dropout: see `RecurrentCore`.
public final class LSTM: RecurrentLayer {
    public let kind = "lstm"
    public let recurrentActivation: Activation
    public var unitForgetBias: Bool { core.unitForgetBias }
    public var needsInputGradient = true
    public let core: RecurrentCore

    private var cells: Tensor!  // (T+1, N, units): slot t holds c_{t-1}; slot 0 is zero
    private var cellActivations: Tensor!  // (T, N, units): act(c_t)
    private var dc: Tensor!  // (N, units): dLoss/dc_t carried back through time
    private var dct: Tensor!  // (N, units): the part of dLoss/dc_t that comes through h_t

    public convenience init(
        units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
        useBias: Bool = true, returnSequences: Bool = false, dropout: Float = 0, recurrentDropout: Float = 0,
        unitForgetBias: Bool = true, kernelInitializer: Initializer = .glorotUniform,
        recurrentInitializer: Initializer = .orthogonal(gain: 1), biasInitializer: Initializer = .zeros
    ) {
        self.init(
            options: RecurrentOptions(
                units: units, activation: activation, useBias: useBias, returnSequences: returnSequences,
                dropout: dropout, recurrentDropout: recurrentDropout, kernelInitializer: kernelInitializer,
                recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer),
            recurrentActivation: recurrentActivation, unitForgetBias: unitForgetBias)
    }

    init(options: RecurrentOptions, recurrentActivation: Activation, unitForgetBias: Bool) {
        core = RecurrentCore(kind: "lstm", gates: 4, options: options, unitForgetBias: unitForgetBias)
        self.recurrentActivation = recurrentActivation
    }

    /// The shared build, then the cell state's buffers.
    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        let out = try core.build(inputShape: inputShape, maxBatch: maxBatch, rng: &rng)
        let t = inputShape[0], m = maxBatch * units
        cells = Tensor(shape: [(t + 1) * m])
        cellActivations = Tensor(shape: [t * m])
        dc = Tensor(shape: [m])
        dct = Tensor(shape: [m])
        return out
    }

    /// sigmoid gates and tanh cell: the fused 8-lane kernels (`GateMath`); else per gate.
    var fused: Bool { recurrentActivation == .sigmoid && activation == .tanh }

    /// Per step and shard: the gates from pre[t], c_t, act(c_t) and h_t, row by row.
    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        let u = units, gu = 4 * units, fused = fused
        return core.forward(x, training: training, rng: &rng) { t, shard in
            let z = core.pre.data + shard.row(t) * gu, a = core.post!.data + shard.row(t) * gu
            let cPrev = cells.data + shard.stateRow(t) * u, c = cells.data + shard.stateRow(t + 1) * u
            let tc = cellActivations.data + shard.row(t) * u, h = core.states.data + shard.stateRow(t + 1) * u
            if t == 0 { cPrev.update(repeating: 0, count: shard.count * u) }
            if fused { return nnreg_lstm_forward(z, a, cPrev, c, tc, h, shard.count, u) }
            for s in 0..<shard.count {
                let zs = z + s * gu, as_ = a + s * gu, cs = c + s * u, cp = cPrev + s * u
                recurrentActivation.forward(zs, as_, rows: 1, width: u)  // i
                recurrentActivation.forward(zs + u, as_ + u, rows: 1, width: u)  // f
                activation.forward(zs + 2 * u, as_ + 2 * u, rows: 1, width: u)  // c̃
                recurrentActivation.forward(zs + 3 * u, as_ + 3 * u, rows: 1, width: u)  // o
                for j in 0..<u { cs[j] = as_[u + j] * cp[j] + as_[j] * as_[2 * u + j] }
                activation.forward(cs, tc + s * u, rows: 1, width: u)
                let o = as_ + 3 * u, tcs = tc + s * u, hs = h + s * u
                for j in 0..<u { hs[j] = o[j] * tcs[j] }
            }
        }
    }

    /// One row of a step with σ = sigmoid and act = tanh, 8 units at a time:
    /// z: (4 units) pre-activations -> a: (4 units) gates, c, tc = tanh(c), h.
    /// The reference for the C kernel the layer runs, `nnreg_lstm_forward` (same bits,
    /// GateKernelTests).
    @inline(__always)
    static func fusedForward(
        z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, tc: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, units u: Int
    ) {
        typealias M = GateMath
        M.forEachBlock(u) { j, lanes in
            let i = M.sigmoid(M.load(z + j, lanes)), f = M.sigmoid(M.load(z + u + j, lanes))
            let g = M.tanh(M.load(z + 2 * u + j, lanes)), o = M.sigmoid(M.load(z + 3 * u + j, lanes))
            M.store(i, a + j, lanes)
            M.store(f, a + u + j, lanes)
            M.store(g, a + 2 * u + j, lanes)
            M.store(o, a + 3 * u + j, lanes)
            let cv = f * M.load(cPrev + j, lanes) + i * g, tcv = M.tanh(cv)
            M.store(cv, c + j, lanes)
            M.store(tcv, tc + j, lanes)
            M.store(o * tcv, h + j, lanes)
        }
    }

    /// dy -> dx through time; per step, with dc carried from step t+1:
    ///   do = dh act(c)   dc += act'(c) (dh o)   di = dc c̃   dc̃ = dc i   df = dc c_{t-1}
    ///   dc_{t-1} = dc f, then each gate through its activation's derivative.
    public func backward(_ dy: Tensor) -> Tensor? {
        let n = core.n, u = units, gu = 4 * units, fused = fused
        dc.data.update(repeating: 0, count: n * u)
        return core.backward(dy, accumulate: false, needsInputGradient: needsInputGradient) { t, shard in
            let dh = core.dh(t) + shard.first * u, dct = dct.data + shard.first * u, dcp = dc.data + shard.first * u
            let z = core.pre.data + shard.row(t) * gu, a = core.post!.data + shard.row(t) * gu
            let d = core.dpre.data + shard.row(t) * gu
            let cPrev = cells.data + shard.stateRow(t) * u, c = cells.data + shard.stateRow(t + 1) * u
            let tc = cellActivations.data + shard.row(t) * u, rows = shard.count
            if fused { return nnreg_lstm_backward(dh, a, cPrev, tc, dcp, d, rows, u) }
            for s in 0..<rows {
                let o = a + s * gu + 3 * u
                for j in 0..<u { dct[s * u + j] = dh[s * u + j] * o[j] }
            }
            activation.backward(dy: dct, y: tc, z: c, dz: dct, rows: rows, width: u)
            for s in 0..<rows {
                let as_ = a + s * gu, ds = d + s * gu, zs = z + s * gu
                for j in 0..<u {
                    let k = s * u + j
                    let dcv = dcp[k] + dct[k]
                    ds[j] = dcv * as_[2 * u + j]  // d i
                    ds[u + j] = dcv * cPrev[k]  // d f
                    ds[2 * u + j] = dcv * as_[j]  // d c̃
                    ds[3 * u + j] = dh[k] * tc[k]  // d o
                    dcp[k] = dcv * as_[u + j]
                }
                recurrentActivation.backward(dy: ds, y: as_, z: zs, dz: ds, rows: 1, width: u)
                recurrentActivation.backward(dy: ds + u, y: as_ + u, z: zs + u, dz: ds + u, rows: 1, width: u)
                activation.backward(dy: ds + 2 * u, y: as_ + 2 * u, z: zs + 2 * u, dz: ds + 2 * u, rows: 1, width: u)
                recurrentActivation.backward(
                    dy: ds + 3 * u, y: as_ + 3 * u, z: zs + 3 * u, dz: ds + 3 * u, rows: 1, width: u)
            }
        }
    }

    /// One row of a backward step with σ = sigmoid and act = tanh (derivatives from the
    /// outputs: σ' = a(1-a), tanh' = 1-a²), 8 units at a time: dh, dc -> d: (4 units), dc.
    /// The reference for `nnreg_lstm_backward` (same bits, GateKernelTests).
    @inline(__always)
    static func fusedBackward(
        dh: UnsafePointer<Float>, a: UnsafePointer<Float>, cPrev: UnsafePointer<Float>, tc: UnsafePointer<Float>,
        dc: UnsafeMutablePointer<Float>, d: UnsafeMutablePointer<Float>, units u: Int
    ) {
        typealias M = GateMath
        M.forEachBlock(u) { j, lanes in
            let dhv = M.load(dh + j, lanes), tcv = M.load(tc + j, lanes)
            let i = M.load(a + j, lanes), f = M.load(a + u + j, lanes)
            let g = M.load(a + 2 * u + j, lanes), o = M.load(a + 3 * u + j, lanes)
            let dcv = M.load(dc + j, lanes) + dhv * o * (1 - tcv * tcv)
            M.store(dcv * g * (i * (1 - i)), d + j, lanes)  // d i
            M.store(dcv * M.load(cPrev + j, lanes) * (f * (1 - f)), d + u + j, lanes)  // d f
            M.store(dcv * i * (1 - g * g), d + 2 * u + j, lanes)  // d c̃
            M.store(dhv * tcv * (o * (1 - o)), d + 3 * u + j, lanes)  // d o
            M.store(dcv * f, dc + j, lanes)
        }
    }

    /// The naive reference: per sample, per step, per gate, in Double (Keras's
    /// implementation 1 written out: each gate with its own mask when given).
    static func referenceForward(
        _ p: RecurrentProblem, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
        returnSequences: Bool
    ) -> [Double] {
        p.run(returnSequences: returnSequences, stateCount: 2) { s, t, state in
            let (h, c) = (state[0], state[1])
            func gate(_ g: Int) -> [Double] {
                zip(p.inputPart(sample: s, step: t, gate: g), p.recurrentPart(sample: s, h: h, gate: g)).map(+)
            }
            let i = recurrentActivation.reference(gate(0)), f = recurrentActivation.reference(gate(1))
            let cc = activation.reference(gate(2)), o = recurrentActivation.reference(gate(3))
            let cNew = (0..<p.units).map { f[$0] * c[$0] + i[$0] * cc[$0] }
            let ac = activation.reference(cNew)
            return [(0..<p.units).map { o[$0] * ac[$0] }, cNew]
        }
    }
}

extension LSTM {
    static let registration = LayerType(
        RecurrentCore.schema("lstm", doc: "long short-term memory over (steps, features) inputs"),
        make: { s in
            LSTM(
                options: RecurrentCore.options(s), recurrentActivation: s.activation("recurrent_activation"),
                unitForgetBias: s.bool("unit_forget_bias"))
        },
        size: { s, input in RecurrentCore.size(s, input: input, gates: 4) })
}
