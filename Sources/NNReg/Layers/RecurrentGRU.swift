import CKernels

/// Gated recurrent unit layer, Keras 3 `GRU` (keras/src/layers/rnn/gru.py), with either
/// of its reset_after variants.
///
/// x: (N, T, F) -> y: (N, units), or (N, T, units) with `returnSequences`.
/// kernel: (F, 3*units), recurrent_kernel: (units, 3*units); gate blocks in Keras order
/// z, r, h. Per step, from zero h:
///   z = σ(x W_z + b_z + h W'_z + b'_z)   r = σ(x W_r + b_r + h W'_r + b'_r)
///   h_t = z h_{t-1} + (1 - z) h̃
/// reset_after (Keras 3's default), bias (2, 3*units), row 0 for the input projection,
/// row 1 for the recurrent one; the reset gate multiplies the recurrent product, so all
/// three recurrent blocks are one sgemm:
///   h̃ = act(x W_h + b_h + r (h W'_h + b'_h))
/// reset_after=false (Keras 2's default), bias (3*units), no b'; the reset gate multiplies
/// the state before the product, so the h block's sgemm waits for r:
///   h̃ = act(x W_h + b_h + (r h) W'_h)
/// With recurrent dropout every h above is masked by its own gate's mask (Keras's
/// implementation 1), the h block's by the third. Dropout: see `RecurrentCore`.
public final class GRU: RecurrentLayer {
    public let kind = "gru"
    public let recurrentActivation: Activation
    public var resetAfter: Bool { core.separateRecurrent }
    public var needsInputGradient = true
    public let core: RecurrentCore

    // reset_after=false only.
    private var resetStates: Tensor!  // (T, N, units): r * h_{t-1} (masked by the h block's mask)
    private var dResetStates: Tensor!  // (N, units): dLoss/d(r * h_{t-1}) for the step being processed

    public convenience init(
        units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
        useBias: Bool = true, returnSequences: Bool = false, dropout: Float = 0, recurrentDropout: Float = 0,
        resetAfter: Bool = true, kernelInitializer: Initializer = .glorotUniform,
        recurrentInitializer: Initializer = .orthogonal(gain: 1), biasInitializer: Initializer = .zeros,
        seed: UInt64? = nil
    ) {
        self.init(
            options: RecurrentOptions(
                units: units, activation: activation, useBias: useBias, returnSequences: returnSequences,
                dropout: dropout, recurrentDropout: recurrentDropout, kernelInitializer: kernelInitializer,
                recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer, seed: seed),
            recurrentActivation: recurrentActivation, resetAfter: resetAfter)
    }

    init(options: RecurrentOptions, recurrentActivation: Activation, resetAfter: Bool = true) {
        core = RecurrentCore(
            kind: "gru", gates: 3, options: options, separateRecurrent: resetAfter,
            recurrentBlocks: resetAfter ? 3 : 2)
        self.recurrentActivation = recurrentActivation
    }

    /// The shared build, then reset_after=false's buffers.
    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        let out = try core.build(inputShape: inputShape, maxBatch: maxBatch, rng: &rng)
        if !resetAfter {
            resetStates = Tensor(shape: [inputShape[0] * maxBatch * units])
            dResetStates = Tensor(shape: [maxBatch * units])
        }
        return out
    }

    /// reset_after with sigmoid gates and a tanh candidate: the fused 8-lane kernels (`GateMath`).
    var fused: Bool { resetAfter && recurrentActivation == .sigmoid && activation == .tanh }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        let u = units, gu = 3 * units, fused = fused
        guard resetAfter else { return forwardResetBefore(x, training: training, rng: &rng) }
        return core.forward(x, training: training, rng: &rng) { t, shard in
            let z = core.pre.data + shard.row(t) * gu, a = core.post!.data + shard.row(t) * gu
            let r = core.rec!.data + shard.row(t) * gu
            let hPrev = core.states.data + shard.stateRow(t) * u, h = core.states.data + shard.stateRow(t + 1) * u
            if fused { return nnreg_gru_forward(z, a, r, hPrev, h, shard.count, u) }
            for s in 0..<shard.count {
                let zs = z + s * gu, as_ = a + s * gu, rs = r + s * gu, hp = hPrev + s * u, hs = h + s * u
                for j in 0..<(2 * u) { zs[j] += rs[j] }
                recurrentActivation.forward(zs, as_, rows: 1, width: u)  // z
                recurrentActivation.forward(zs + u, as_ + u, rows: 1, width: u)  // r
                for j in 0..<u { zs[2 * u + j] += as_[u + j] * rs[2 * u + j] }
                activation.forward(zs + 2 * u, as_ + 2 * u, rows: 1, width: u)  // h̃
                for j in 0..<u { hs[j] = as_[j] * hp[j] + (1 - as_[j]) * as_[2 * u + j] }
            }
        }
    }

    /// One reset_after row with σ = sigmoid and act = tanh, 8 units at a time: z (3 units)
    /// input pre-activations, rec (3 units) recurrent ones -> z completed, a: z, r, h̃; h.
    /// The reference for the C kernel the layer runs, `nnreg_gru_forward` (same bits,
    /// GateKernelTests).
    @inline(__always)
    static func fusedForward(
        z: UnsafeMutablePointer<Float>, a: UnsafeMutablePointer<Float>, rec: UnsafePointer<Float>,
        hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, units u: Int
    ) {
        typealias M = GateMath
        M.forEachBlock(u) { j, lanes in
            let pz = M.load(z + j, lanes) + M.load(rec + j, lanes)
            let pr = M.load(z + u + j, lanes) + M.load(rec + u + j, lanes)
            let zg = M.sigmoid(pz), rg = M.sigmoid(pr)
            let ph = M.load(z + 2 * u + j, lanes) + rg * M.load(rec + 2 * u + j, lanes), hh = M.tanh(ph)
            M.store(pz, z + j, lanes)
            M.store(pr, z + u + j, lanes)
            M.store(ph, z + 2 * u + j, lanes)
            M.store(zg, a + j, lanes)
            M.store(rg, a + u + j, lanes)
            M.store(hh, a + 2 * u + j, lanes)
            M.store(zg * M.load(hPrev + j, lanes) + (1 - zg) * hh, h + j, lanes)
        }
    }

    /// h_{t-1} as the shard's h block sees it: masked by the third recurrent mask in training.
    private func resetInput(_ t: Int, _ shard: RecurrentShard) -> UnsafeMutablePointer<Float> {
        let u = units
        if core.recurrentMasked, let masked = core.maskedStates {
            return masked.data + (2 * core.steps * core.n + shard.row(t)) * u
        }
        return core.states.data + shard.stateRow(t) * u
    }

    /// reset_after=false: pre[t] holds the z and r blocks' full pre-activations (the core
    /// added h W'_{z,r}); the h block gets (r h) W'_h once r is known.
    private func forwardResetBefore(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        let u = units, gu = 3 * units
        return core.forward(x, training: training, rng: &rng) { t, shard in
            let z = core.pre.data + shard.row(t) * gu, a = core.post!.data + shard.row(t) * gu
            let hPrev = core.states.data + shard.stateRow(t) * u, h = core.states.data + shard.stateRow(t + 1) * u
            let hm = resetInput(t, shard), rh = resetStates.data + shard.row(t) * u
            for s in 0..<shard.count {
                let zs = z + s * gu, as_ = a + s * gu
                recurrentActivation.forward(zs, as_, rows: 1, width: 2 * u)  // z, r
                for j in 0..<u { rh[s * u + j] = as_[u + j] * hm[s * u + j] }
            }
            // pre_h += (r h) W'_h: (count, units) x (units, units).
            BLAS.sgemm(
                m: shard.count, n: u, k: u, a: rh, lda: u, b: core.recurrentKernel.value.data + 2 * u, ldb: gu,
                beta: 1, c: z + 2 * u, ldc: gu)
            for s in 0..<shard.count {
                let zs = z + s * gu, as_ = a + s * gu, hp = hPrev + s * u, hs = h + s * u
                activation.forward(zs + 2 * u, as_ + 2 * u, rows: 1, width: u)  // h̃
                for j in 0..<u { hs[j] = as_[j] * hp[j] + (1 - as_[j]) * as_[2 * u + j] }
            }
        }
    }

    /// dy -> dx through time; per step:
    ///   dz = dh (h_{t-1} - h̃)   dh̃ = dh (1 - z)   dh_{t-1} = dh z + drec W'^T
    ///   dpre_h = act'(dh̃)  drec_h = dpre_h r   dr = dpre_h rec_h
    /// dpre (input side) and drec (recurrent side) agree except in the h block.
    public func backward(_ dy: Tensor) -> Tensor? {
        let u = units, gu = 3 * units, fused = fused
        guard resetAfter else { return backwardResetBefore(dy) }
        return core.backward(dy, accumulate: true, needsInputGradient: needsInputGradient) { t, shard in
            let dh = core.dh(t) + shard.first * u, dhp = core.dhPrev(t) + shard.first * u
            let hPrev = core.states.data + shard.stateRow(t) * u
            let z = core.pre.data + shard.row(t) * gu, a = core.post!.data + shard.row(t) * gu
            let r = core.rec!.data + shard.row(t) * gu
            let din = core.dpre.data + shard.row(t) * gu, drec = core.drec!.data + shard.row(t) * gu
            if fused { return nnreg_gru_backward(dh, hPrev, a, r, din, drec, dhp, shard.count, u) }
            for s in 0..<shard.count {
                let zs = z + s * gu, as_ = a + s * gu, rs = r + s * gu, ds = din + s * gu, dr = drec + s * gu
                updateAndCandidateGradients(
                    dh: dh + s * u, hPrev: hPrev + s * u, a: as_, z: zs, d: ds, dhPrev: dhp + s * u)
                for j in 0..<u {
                    let dph = ds[2 * u + j]
                    dr[2 * u + j] = dph * as_[u + j]
                    ds[u + j] = dph * rs[2 * u + j]  // d r
                }
                recurrentActivation.backward(dy: ds, y: as_, z: zs, dz: ds, rows: 1, width: u)
                recurrentActivation.backward(dy: ds + u, y: as_ + u, z: zs + u, dz: ds + u, rows: 1, width: u)
                dr.update(from: ds, count: 2 * u)
            }
        }
    }

    /// One reset_after backward row with σ = sigmoid and act = tanh (σ' = a(1-a),
    /// tanh' = 1-a²), 8 units at a time: dh -> d (input side), drec (recurrent side), the
    /// direct part of dh_{t-1}. The reference for `nnreg_gru_backward` (same bits,
    /// GateKernelTests).
    @inline(__always)
    static func fusedBackward(
        dh: UnsafePointer<Float>, hPrev: UnsafePointer<Float>, a: UnsafePointer<Float>, rec: UnsafePointer<Float>,
        d: UnsafeMutablePointer<Float>, drec: UnsafeMutablePointer<Float>, dhPrev: UnsafeMutablePointer<Float>,
        units u: Int
    ) {
        typealias M = GateMath
        M.forEachBlock(u) { j, lanes in
            let g = M.load(dh + j, lanes), zg = M.load(a + j, lanes)
            let rg = M.load(a + u + j, lanes), hh = M.load(a + 2 * u + j, lanes)
            let dz = g * (M.load(hPrev + j, lanes) - hh) * (zg * (1 - zg))
            let dhh = g * (1 - zg) * (1 - hh * hh)
            let dr = dhh * M.load(rec + 2 * u + j, lanes) * (rg * (1 - rg))
            M.store(g * zg, dhPrev + j, lanes)
            M.store(dz, d + j, lanes)
            M.store(dr, d + u + j, lanes)
            M.store(dhh, d + 2 * u + j, lanes)
            M.store(dz, drec + j, lanes)
            M.store(dr, drec + u + j, lanes)
            M.store(dhh * rg, drec + 2 * u + j, lanes)
        }
    }

    /// One row of a step, in both reset modes: d z = dh (h_{t-1} - h̃) and d h̃ = dh (1 - z)
    /// into `d` (the row's (3 units) gate gradients, h̃'s then through the activation),
    /// and dh_{t-1}'s direct part dh z. `a`, `z`: the row's activated and raw gates.
    @inline(__always)
    private func updateAndCandidateGradients(
        dh: UnsafePointer<Float>, hPrev: UnsafePointer<Float>, a: UnsafePointer<Float>, z: UnsafePointer<Float>,
        d: UnsafeMutablePointer<Float>, dhPrev: UnsafeMutablePointer<Float>
    ) {
        let u = units
        for j in 0..<u {
            let g = dh[j]
            d[j] = g * (hPrev[j] - a[2 * u + j])  // d z
            d[2 * u + j] = g * (1 - a[j])  // d h̃
            dhPrev[j] = g * a[j]
        }
        activation.backward(dy: d + 2 * u, y: a + 2 * u, z: z + 2 * u, dz: d + 2 * u, rows: 1, width: u)
    }

    /// reset_after=false, per step (m_h: the h block's recurrent mask, or 1):
    ///   dz = dh (h_{t-1} - h̃)   dh̃ = dh (1 - z)   dpre_h = act'(dh̃)
    ///   d(r h) = dpre_h W'_h^T   dr = d(r h) h_{t-1} m_h
    ///   dh_{t-1} = dh z + d(r h) r m_h + dpre_{z,r} W'_{z,r}^T (the core adds the last term)
    /// and after all steps dW'_h = sum over steps of (r h)^T dpre_h.
    private func backwardResetBefore(_ dy: Tensor) -> Tensor? {
        let n = core.n, u = units, gu = 3 * units
        let w = core.recurrentKernel.value.data + 2 * u
        let dx = core.backward(dy, accumulate: true, needsInputGradient: needsInputGradient) { t, shard in
            let first = shard.first * u, drh = dResetStates.data + first
            let hMask = core.recurrentMasked ? core.recurrentMask.map { $0.data + 2 * n * u + first } : nil
            let dh = core.dh(t) + first, dhp = core.dhPrev(t) + first
            let hPrev = core.states.data + shard.stateRow(t) * u
            let z = core.pre.data + shard.row(t) * gu, a = core.post!.data + shard.row(t) * gu
            let din = core.dpre.data + shard.row(t) * gu, hm = resetInput(t, shard)
            for s in 0..<shard.count {
                updateAndCandidateGradients(
                    dh: dh + s * u, hPrev: hPrev + s * u, a: a + s * gu, z: z + s * gu, d: din + s * gu,
                    dhPrev: dhp + s * u)
            }
            // d(r h) = dpre_h W'_h^T: (count, units) x (units, units).
            BLAS.sgemm(
                transB: true, m: shard.count, n: u, k: u, a: din + 2 * u, lda: gu, b: w, ldb: gu, c: drh, ldc: u)
            for s in 0..<shard.count {
                let zs = z + s * gu, as_ = a + s * gu, ds = din + s * gu
                for j in 0..<u {
                    let k = s * u + j
                    ds[u + j] = drh[k] * hm[k]  // d r
                    dhp[k] += drh[k] * as_[u + j] * (hMask?[k] ?? 1)
                }
                recurrentActivation.backward(dy: ds, y: as_, z: zs, dz: ds, rows: 1, width: 2 * u)
            }
        }
        // dW'_h = (r h)^T dpre_h over all steps and samples (the same rows of both buffers):
        // (units, T*N) x (T*N, units).
        BLAS.sgemm(
            transA: true, m: u, n: u, k: core.steps * n, a: resetStates.data, lda: u, b: core.dpre.data + 2 * u,
            ldb: gu, c: core.recurrentKernel.grad.data + 2 * u, ldc: gu)
        return dx
    }

    /// The naive reference: per sample, per step, per gate, in Double.
    static func referenceForward(
        _ p: RecurrentProblem, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
        returnSequences: Bool, resetAfter: Bool = true
    ) -> [Double] {
        p.run(returnSequences: returnSequences, stateCount: 1) { s, t, state in
            let h = state[0], gu = 3 * p.units
            func recurrent(_ g: Int, _ h: [Double] = h) -> [Double] {
                p.recurrentPart(sample: s, h: h, gate: g).enumerated().map { j, v in
                    v + (resetAfter ? (p.bias.map { $0[gu + g * p.units + j] } ?? 0) : 0)
                }
            }
            let xz = p.inputPart(sample: s, step: t, gate: 0), xr = p.inputPart(sample: s, step: t, gate: 1)
            let xh = p.inputPart(sample: s, step: t, gate: 2)
            let z = recurrentActivation.reference(zip(xz, recurrent(0)).map(+))
            let r = recurrentActivation.reference(zip(xr, recurrent(1)).map(+))
            let hh: [Double]
            if resetAfter {
                let rh = recurrent(2)
                hh = activation.reference((0..<p.units).map { xh[$0] + r[$0] * rh[$0] })
            } else {
                let rh = recurrent(2, (0..<p.units).map { r[$0] * h[$0] })
                hh = activation.reference(zip(xh, rh).map(+))
            }
            return [(0..<p.units).map { z[$0] * h[$0] + (1 - z[$0]) * hh[$0] }]
        }
    }
}

extension GRU {
    static let registration = LayerType(
        RecurrentCore.schema("gru", doc: "gated recurrent unit over (steps, features) inputs"),
        make: { s in
            GRU(
                options: RecurrentCore.options(s), recurrentActivation: s.activation("recurrent_activation"),
                resetAfter: s.bool("reset_after"))
        },
        size: { s, input in RecurrentCore.size(s, input: input, gates: 3, biasRows: s.bool("reset_after") ? 2 : 1) })
}
