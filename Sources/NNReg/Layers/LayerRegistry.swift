/// A layer type as specs name it: its schema (options, rules, defaults, doc lines) and its
/// constructor, declared together in the layer's own file:
///
///     extension Dense {
///         static let registration = LayerType(Schema("dense", [...], doc: "..."), make: { s in Dense(...) })
///     }
struct LayerType: Sendable {
    let schema: Schema
    /// Builds the layer from its validated spec (every option present, in canonical form).
    let make: @Sendable (LayerSpec) throws -> Layer
    /// What the layer will hold for an input shape, before it is built; nil: it keeps the
    /// shape and has no parameters.
    let size: SizeRule?

    init(_ schema: Schema, make: @escaping @Sendable (LayerSpec) throws -> Layer, size: SizeRule? = nil) {
        self.schema = schema
        self.make = make
        self.size = size
    }

    var name: String { schema.name }
}

/// Every layer type a spec may name. Adding a layer type: its own file, and one line here.
enum LayerRegistry {
    static let all: [LayerType] = [
        Dense.registration,
        NoiseLayer.dropout, NoiseLayer.spatialDropout2D, NoiseLayer.gaussianNoise, NoiseLayer.gaussianDropout,
        NoiseLayer.alphaDropout,
        BatchNormalization.registration, LayerNormalization.registration,
        ActivationLayer.registration,
        Conv2D.registration,
        MaxPooling2D.registration, AveragePooling2D.registration,
        GlobalAveragePooling2D.registration, GlobalMaxPooling2D.registration,
        Conv1D.registration,
        MaxPooling1D.registration, AveragePooling1D.registration,
        GlobalAveragePooling1D.registration, GlobalMaxPooling1D.registration,
        Flatten.registration,
        LSTM.registration, GRU.registration, SimpleRNN.registration,
        Residual.registration,
        Maxout.registration,
    ]

    /// The schemas by "type", for validation.
    static let variants = Variants(noun: "layer type", all.map(\.schema), allowsName: false)

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// What a layer of `spec` will hold for `input`; a shape it cannot take is a SpecError
    /// at its path, as building it would be.
    static func size(_ spec: LayerSpec, input: [Int]) throws -> LayerSize {
        guard let type = byName[spec.type] else { preconditionFailure("\(spec.path): unregistered layer type") }
        do {
            return try type.size?(spec, input) ?? .same(input)
        } catch let error as ShapeError {
            throw SpecError(path: spec.path, message: error.description)
        }
    }

    /// The layer a validated spec describes.
    static func make(_ spec: LayerSpec) throws -> Layer {
        guard let type = byName[spec.type] else { preconditionFailure("\(spec.path): unregistered layer type") }
        return try type.make(spec)
    }
}

/// Option groups several layer types share.
enum LayerOptions {
    /// "valid" or "same" (conv1d adds "causal").
    static let padding = Rule.choice(noun: "padding", ["valid", "same"])

    /// Keras: seed for the layer's own random stream; null: derived from the spec's seed.
    static let seed = Option(
        "seed", .nullable(.count), default: nil,
        doc: "seed of the layer's own random stream; null: drawn from the run's generator")

    /// Keras noise_shape: one entry per input axis, batch included; null takes the input's size.
    static let noiseShape = Option(
        "noise_shape",
        .nullable(.list(.nullable(.positiveInt), what: "a list of positive integers or nulls", unique: false)),
        default: nil, doc: "shape of the drop mask, batch axis included (null entries: the input's size)")

    /// <name>_initializer, <name>_regularizer (and activity_regularizer), <name>_constraint for
    /// each weight, with Keras's initializer defaults: glorot_uniform kernels, orthogonal
    /// recurrent kernels, zero biases.
    static func weights(_ names: [String], unitForgetBias: Bool = false) -> [Option] {
        let initial: [String: JSON] = ["kernel": "glorot_uniform", "recurrent": "orthogonal", "bias": "zeros"]
        let what = ["kernel": "the kernel", "recurrent": "the recurrent kernel", "bias": "the bias"]
        return names.map {
            Option("\($0)_initializer", .initializer, default: initial[$0]!, doc: "how \(what[$0]!) starts")
        }
            + (unitForgetBias
                ? [Option("unit_forget_bias", .bool, default: true, doc: "add 1 to the forget gate's bias at start")]
                : [])
            + names.map {
                Option("\($0)_regularizer", .nullable(.regularizer), default: nil, doc: "L1/L2 penalty on \(what[$0]!)")
            }
            + [
                Option(
                    "activity_regularizer", .nullable(.regularizer), default: nil, doc: "L1/L2 penalty on the output")
            ]
            + names.map {
                Option(
                    "\($0)_constraint", .nullable(.constraint), default: nil,
                    doc: "projection of \(what[$0]!) after each step")
            }
    }

    /// batch_normalization and layer_normalization: Keras's center/scale and the
    /// initializers, regularizers and constraints of beta and gamma.
    static let normalization = [
        Option("center", .bool, default: true, doc: "learn an offset beta"),
        Option("scale", .bool, default: true, doc: "learn a scale gamma"),
        Option("beta_initializer", .initializer, default: "zeros", doc: "how beta starts"),
        Option("gamma_initializer", .initializer, default: "ones", doc: "how gamma starts"),
        Option("beta_regularizer", .nullable(.regularizer), default: nil, doc: "L1/L2 penalty on beta"),
        Option("gamma_regularizer", .nullable(.regularizer), default: nil, doc: "L1/L2 penalty on gamma"),
        Option("beta_constraint", .nullable(.constraint), default: nil, doc: "projection of beta after each step"),
        Option("gamma_constraint", .nullable(.constraint), default: nil, doc: "projection of gamma after each step"),
    ]

    static func activation(
        default value: JSON? = nil, key: String = "activation", doc: String = "applied to the output"
    ) -> Option {
        value.map { Option(key, .activation, default: $0, doc: doc) } ?? Option(key, .activation, doc: doc)
    }

    /// conv2d and conv1d: Keras's arguments for a convolution whose sizes follow `size`
    /// (n or [height, width], canonical [h, w]; n or [n], canonical n), `one` being a size
    /// of 1 in canonical form, and whose padding is one of `paddings`. Keras: "`strides > 1`
    /// not supported in conjunction with `dilation_rate > 1`".
    static func convolution(_ type: String, size: Rule, one: JSON, paddings: [String], doc: String) -> Schema {
        Schema(
            type,
            [
                Option("filters", .positiveInt, doc: "output channels"),
                Option("kernel_size", size, doc: "the kernel's size"),
                Option("strides", size, default: 1, doc: "step between windows; > 1 only with dilation_rate 1"),
                Option(
                    "padding", .choice(noun: "padding", paddings), default: "valid",
                    doc: paddings.map { "\"\($0)\"" }.joined(separator: ", ")
                        + ": none, so that out = ceil(in / strides), or before only (causal)"),
                Option("dilation_rate", size, default: 1, doc: "spacing between kernel taps; > 1 only with strides 1"),
                activation(default: "linear"),
                useBias,
            ] + weights(["kernel", "bias"]),
            doc: doc,
            check: { options, path in
                if options["strides"] != one && options["dilation_rate"] != one {
                    throw SpecError(
                        path: specPath(path, "dilation_rate"), message: "must be 1 when strides > 1 (as in Keras)")
                }
            })
    }

    /// batch_normalization and layer_normalization: axis (`axisDoc`), then `options`,
    /// epsilon, and the options of beta and gamma.
    static func normalization(_ type: String, axisDoc: String, _ options: [Option] = [], doc: String) -> Schema {
        Schema(
            type,
            [Option("axis", .anyInt, default: -1, doc: axisDoc)] + options
                + [Option("epsilon", .number(.positive), default: 0.001, doc: "added to the variance")] + normalization,
            doc: doc)
    }

    /// batch_normalization and layer_normalization: the shape kept, `perChannel` parameters
    /// (gamma, beta and the moving statistics) per index of the normalized axis.
    static func normalizationSize(_ s: LayerSpec, input: [Int], perChannel: Double) -> LayerSize {
        let axis = s.int("axis") < 0 ? input.count + s.int("axis") : s.int("axis")
        let channels = axis >= 0 && axis < input.count ? Double(input[axis]) : 0
        return .make(input, parameters: perChannel * channels)
    }

    static let useBias = Option("use_bias", .bool, default: true, doc: "add a learned bias")
}
