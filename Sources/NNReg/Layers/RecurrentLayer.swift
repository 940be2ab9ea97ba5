/// What lstm, gru and simple_rnn share as layers: their Keras options, weights and build,
/// from `core` (RecurrentCore.swift); each layer's own file has its cell's gate math.

/// The options the three recurrent layers share, as Keras 3 names them.
struct RecurrentOptions {
    var units: Int
    var activation: Activation
    var useBias, returnSequences: Bool
    var dropout, recurrentDropout: Float
    var kernelInitializer, recurrentInitializer, biasInitializer: Initializer
    /// Keras's per-layer `seed`: the masks come from the layer's own generator; nil: the run's.
    var seed: UInt64? = nil
}

/// A recurrent layer (lstm, gru, simple_rnn): x: (N, T, F) -> y: (N, units), or
/// (N, T, units) with `returnSequences`. kernel: (F, G*units), recurrent_kernel:
/// (units, G*units), bias: (G*units) (GRU: (2, G*units)).
public protocol RecurrentLayer: Layer {
    /// The machinery the three layers share: parameters, masks, sgemms, BPTT.
    var core: RecurrentCore { get }
}

extension RecurrentLayer {
    public var units: Int { core.options.units }
    public var activation: Activation { core.options.activation }
    public var useBias: Bool { core.options.useBias }
    public var returnSequences: Bool { core.options.returnSequences }
    public var dropout: Float { core.options.dropout }
    public var recurrentDropout: Float { core.options.recurrentDropout }
    public var kernelInitializer: Initializer { core.options.kernelInitializer }
    public var recurrentInitializer: Initializer { core.options.recurrentInitializer }
    public var biasInitializer: Initializer { core.options.biasInitializer }
    public var seed: UInt64? { core.options.seed }

    public var kernel: Parameter { core.kernel }
    public var recurrentKernel: Parameter { core.recurrentKernel }
    public var bias: Parameter? { core.bias }
    public var parameters: [Parameter] { [core.kernel, core.recurrentKernel] + (core.bias.map { [$0] } ?? []) }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        try core.build(inputShape: inputShape, maxBatch: maxBatch, rng: &rng)
    }

    public func beginEpoch(_ epoch: Int) { core.beginEpoch(epoch) }
}

extension RecurrentCore {
    /// lstm, gru, simple_rnn with Keras 3's arguments and defaults. Keras's SimpleRNN has no
    /// recurrent_activation; only LSTM has unit_forget_bias, only GRU reset_after.
    static func schema(_ type: String, doc: String) -> Schema {
        var options = [
            Option("units", .positiveInt, doc: "width of the state and output"),
            LayerOptions.activation(default: "tanh", doc: "of the candidate state and output"),
        ]
        if type != "simple_rnn" {
            options.append(
                LayerOptions.activation(default: "sigmoid", key: "recurrent_activation", doc: "of the gates"))
        }
        options.append(LayerOptions.useBias)
        options += LayerOptions.weights(["kernel", "recurrent", "bias"], unitForgetBias: type == "lstm")
        options += [
            Option("dropout", .number(.fraction), default: 0, doc: "fraction of the inputs dropped in training"),
            Option(
                "recurrent_dropout", .number(.fraction), default: 0,
                doc: "fraction of the recurrent state dropped in training"),
            Option(
                "return_sequences", .bool, default: false, doc: "output every step (N, steps, units), not only the last"
            ),
        ]
        if type == "gru" {
            options.append(
                Option(
                    "reset_after", .bool, default: true,
                    doc: "apply the reset gate after the recurrent product (Keras 3); false: before it (Keras 2)"))
        }
        options.append(LayerOptions.seed)
        return Schema(type, options, doc: doc)
    }

    /// What a recurrent layer of `gates` gates holds for (steps, features) inputs: kernel,
    /// recurrent kernel and `biasRows` bias rows (GRU's reset_after has two), and every
    /// step's gates and states, kept for backward.
    static func size(_ s: LayerSpec, input: [Int], gates: Int, biasRows: Int = 1) -> LayerSize {
        let units = s.int("units"), u = Double(units), g = Double(gates), inputs = Double(input.last ?? 1)
        let steps = input.count == 2 ? input[0] : 1
        let output = s.bool("return_sequences") ? [steps, units] : [units]
        var size = LayerSize.make(output, parameters: g * u * (inputs + u + Double(biasRows)), key: "units")
        size.activations += Double(steps) * g * u * 2
        return size
    }

    /// The options the three layers share, read from a validated spec.
    static func options(_ s: LayerSpec) -> RecurrentOptions {
        RecurrentOptions(
            units: s.int("units"), activation: s.activation(), useBias: s.bool("use_bias"),
            returnSequences: s.bool("return_sequences"), dropout: s.float("dropout"),
            recurrentDropout: s.float("recurrent_dropout"), kernelInitializer: s.initializer("kernel_initializer"),
            recurrentInitializer: s.initializer("recurrent_initializer"),
            biasInitializer: s.initializer("bias_initializer"), seed: s.seed())
    }
}
