/// Fully connected recurrent layer, Keras 3 `SimpleRNN` (keras/src/layers/rnn/simple_rnn.py).
///
/// x: (N, T, F) -> y: (N, units), or (N, T, units) with `returnSequences`.
/// kernel: (F, units), recurrent_kernel: (units, units), bias: (units). Per step, from
/// zero h: h_t = act(x_t W + b + h_{t-1} W'). Dropout: see `RecurrentCore`.
public final class SimpleRNN: RecurrentLayer {
    public let kind = "simple_rnn"
    public var needsInputGradient = true
    public let core: RecurrentCore

    public convenience init(
        units: Int, activation: Activation = .tanh, useBias: Bool = true, returnSequences: Bool = false,
        dropout: Float = 0, recurrentDropout: Float = 0, kernelInitializer: Initializer = .glorotUniform,
        recurrentInitializer: Initializer = .orthogonal(gain: 1), biasInitializer: Initializer = .zeros
    ) {
        self.init(
            options: RecurrentOptions(
                units: units, activation: activation, useBias: useBias, returnSequences: returnSequences,
                dropout: dropout, recurrentDropout: recurrentDropout, kernelInitializer: kernelInitializer,
                recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer))
    }

    init(options: RecurrentOptions) { core = RecurrentCore(kind: "simple_rnn", gates: 1, options: options) }

    /// Per step and shard: h_t = act(pre[t]); tanh (the default) on 8 lanes (`GateMath`).
    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        let u = units, fast = activation == .tanh
        return core.forward(x, training: training, rng: &rng) { t, shard in
            let z = core.pre.data + shard.row(t) * u, h = core.states.data + shard.stateRow(t + 1) * u
            if fast {
                GateMath.forEachBlock(shard.count * u) { j, lanes in
                    GateMath.store(GateMath.tanh(GateMath.load(z + j, lanes)), h + j, lanes)
                }
            } else {
                activation.forward(z, h, rows: shard.count, width: u)
            }
        }
    }

    /// dy -> dx through time; per step dpre = act'(dh), dh_{t-1} = dpre W'^T.
    public func backward(_ dy: Tensor) -> Tensor? {
        let u = units
        return core.backward(dy, accumulate: false, needsInputGradient: needsInputGradient) { t, shard in
            activation.backward(
                dy: core.dh(t) + shard.first * u, y: core.states.data + shard.stateRow(t + 1) * u,
                z: core.pre.data + shard.row(t) * u, dz: core.dpre.data + shard.row(t) * u, rows: shard.count,
                width: u)
        }
    }

    /// The naive reference: per sample, per step, in Double.
    static func referenceForward(_ p: RecurrentProblem, activation: Activation = .tanh, returnSequences: Bool)
        -> [Double]
    {
        p.run(returnSequences: returnSequences, stateCount: 1) { s, t, state in
            [
                activation.reference(
                    zip(
                        p.inputPart(sample: s, step: t, gate: 0),
                        p.recurrentPart(sample: s, h: state[0], gate: 0)
                    ).map(+))
            ]
        }
    }
}

extension SimpleRNN {
    static let registration = LayerType(
        RecurrentCore.schema("simple_rnn", doc: "fully connected recurrent layer over (steps, features) inputs"),
        make: { s in SimpleRNN(options: RecurrentCore.options(s)) },
        size: { s, input in RecurrentCore.size(s, input: input, gates: 1) })
}
