/// Gated recurrent unit layer, Keras 3 `GRU` with reset_after=True, its default
/// (keras/src/layers/rnn/gru.py).
///
/// x: (N, T, F) -> y: (N, units), or (N, T, units) with `returnSequences`.
/// kernel: (F, 3*units), recurrent_kernel: (units, 3*units), bias: (2, 3*units) (row 0
/// for the input projection, row 1 for the recurrent one); gate blocks in Keras order
/// z, r, h. Per step, from zero h:
///   z = σ(x W_z + b_z + h W'_z + b'_z)   r = σ(x W_r + b_r + h W'_r + b'_r)
///   h̃ = act(x W_h + b_h + r (h W'_h + b'_h))   h_t = z h_{t-1} + (1 - z) h̃
/// The reset gate multiplies the recurrent product after the matmul (reset_after), so
/// all three recurrent blocks are one sgemm. reset_after=False is not supported.
public final class GRU: RecurrentLayer {
    public let kind = "gru"
    public let recurrentActivation: Activation
    public var needsInputGradient = true
    public let core: RecurrentCore

    public convenience init(
        units: Int, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
        useBias: Bool = true, returnSequences: Bool = false, dropout: Float = 0, recurrentDropout: Float = 0,
        kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal(gain: 1),
        biasInitializer: Initializer = .zeros
    ) {
        self.init(
            options: RecurrentOptions(
                units: units, activation: activation, useBias: useBias, returnSequences: returnSequences,
                dropout: dropout, recurrentDropout: recurrentDropout, kernelInitializer: kernelInitializer,
                recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer),
            recurrentActivation: recurrentActivation)
    }

    init(options: RecurrentOptions, recurrentActivation: Activation) {
        core = RecurrentCore(kind: "gru", gates: 3, options: options, separateRecurrent: true)
        self.recurrentActivation = recurrentActivation
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        let n = x.shape[0], u = units, gu = 3 * units
        return core.forward(x, training: training, rng: &rng) { t in
            let z = core.pre.data + t * n * gu, a = core.post!.data + t * n * gu, r = core.rec!.data + t * n * gu
            let hPrev = core.states.data + t * n * u, h = core.states.data + (t + 1) * n * u
            for s in 0..<n {
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

    /// dy -> dx through time; per step:
    ///   dz = dh (h_{t-1} - h̃)   dh̃ = dh (1 - z)   dh_{t-1} = dh z + drec W'^T
    ///   dpre_h = act'(dh̃)  drec_h = dpre_h r   dr = dpre_h rec_h
    /// dpre (input side) and drec (recurrent side) agree except in the h block.
    public func backward(_ dy: Tensor) -> Tensor? {
        let n = core.n, u = units, gu = 3 * units
        return core.backward(dy, accumulate: true, needsInputGradient: needsInputGradient) { t in
            let dh = core.dh.data, dhp = core.dhPrev.data, hPrev = core.states.data + t * n * u
            let z = core.pre.data + t * n * gu, a = core.post!.data + t * n * gu, r = core.rec!.data + t * n * gu
            let din = core.dpre.data + t * n * gu, drec = core.drec!.data + t * n * gu
            for s in 0..<n {
                let zs = z + s * gu, as_ = a + s * gu, rs = r + s * gu, ds = din + s * gu, dr = drec + s * gu
                for j in 0..<u {
                    let k = s * u + j, g = dh[k]
                    ds[j] = g * (hPrev[k] - as_[2 * u + j])  // d z
                    ds[2 * u + j] = g * (1 - as_[j])  // d h̃
                    dhp[k] = g * as_[j]
                }
                activation.backward(dy: ds + 2 * u, y: as_ + 2 * u, z: zs + 2 * u, dz: ds + 2 * u, rows: 1, width: u)
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

    /// The naive reference: per sample, per step, per gate, in Double.
    static func referenceForward(
        _ p: RecurrentProblem, activation: Activation = .tanh, recurrentActivation: Activation = .sigmoid,
        returnSequences: Bool
    ) -> [Double] {
        p.run(returnSequences: returnSequences, stateCount: 1) { s, t, state in
            let h = state[0], gu = 3 * p.units
            func recurrent(_ g: Int) -> [Double] {
                p.recurrentPart(sample: s, h: h, gate: g).enumerated().map { j, v in
                    v + (p.bias.map { $0[gu + g * p.units + j] } ?? 0)
                }
            }
            let xz = p.inputPart(sample: s, step: t, gate: 0), xr = p.inputPart(sample: s, step: t, gate: 1)
            let xh = p.inputPart(sample: s, step: t, gate: 2)
            let z = recurrentActivation.reference(zip(xz, recurrent(0)).map(+))
            let r = recurrentActivation.reference(zip(xr, recurrent(1)).map(+))
            let rh = recurrent(2)
            let hh = activation.reference((0..<p.units).map { xh[$0] + r[$0] * rh[$0] })
            return [(0..<p.units).map { z[$0] * h[$0] + (1 - z[$0]) * hh[$0] }]
        }
    }
}

extension GRU {
    static let registration = LayerType(
        RecurrentCore.schema("gru", doc: "gated recurrent unit over (steps, features) inputs"),
        make: { s in
            guard s.bool("reset_after") else {
                throw SpecError(path: s.path + ".reset_after", message: "only true (the Keras 3 default) is supported")
            }
            return GRU(options: try RecurrentCore.options(s), recurrentActivation: s.activation("recurrent_activation"))
        },
        size: { s, input in RecurrentCore.size(s, input: input, gates: 3, biasRows: 2) })
}
