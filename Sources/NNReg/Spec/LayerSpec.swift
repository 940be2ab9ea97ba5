/// One validated layer of `model.layers`: its type, where it sits in the spec, and every
/// option of that type with defaults filled in (Keras 3 defaults unless SPEC.md says
/// otherwise). Read options with the `SpecOptions` accessors:
///
///     let units = layer.int("units")                         // dense
///     let kernel = layer.ints("kernel_size")                 // conv2d: [h, w]
///     let penalty = layer.regularizer("kernel_regularizer")  // Regularizer?
public struct LayerSpec: SpecOptions, Equatable, Sendable {
    /// The SPEC.md "type": "dense", "conv2d", ...
    public var type: String
    /// "model.layers[2]", "model.layers[3].layers[0]"; errors about this layer name it.
    public var path: String
    /// Every option of the type except "type", in canonical form.
    public var options: [String: JSON]

    public init(type: String, path: String, options: [String: JSON]) {
        self.type = type
        self.path = path
        self.options = options
    }

    /// Activations a layer may name (SPEC.md).
    public static let activations = [
        "linear", "relu", "leaky_relu", "elu", "selu", "gelu", "swish", "sigmoid", "tanh", "softplus", "softmax",
    ]

    /// Every layer type, in SPEC.md's order.
    public static let types = variants.names

    /// The option names a type takes, in the order the resolved spec prints them.
    public static func optionNames(of type: String) -> [String]? { variants.schema(for: type)?.keys }

    /// The layer as the resolved spec prints it: "type" first, then options in table order.
    public var json: JSON {
        let order = LayerSpec.optionNames(of: type) ?? []
        return .object(JSON.Object([("type", .string(type))] + object(order: order).map { ($0.key, $0.value) }))
    }

    /// Layers from their canonical JSON (as validation leaves it), at `path`[i].
    static func list(_ items: [JSON], at path: String) -> [LayerSpec] {
        items.enumerated().map { i, item in
            var options = item.objectValue!.dictionary
            let type = options.removeValue(forKey: "type")!.stringValue!
            return LayerSpec(type: type, path: "\(path)[\(i)]", options: options)
        }
    }

    /// The table: each layer type, the options it takes, their rules and defaults.
    static let variants = Variants(noun: "layer type", LayerTable.all, allowsName: false)
}

/// The layer table's entries: one schema per layer type, and the option groups they share.
enum LayerTable {
    static let all = [
        dense, dropout, spatialDropout2D, gaussianNoise, gaussianDropout, alphaDropout, batchNormalization,
        layerNormalization, activation, conv2D, pooling("max_pooling2d"), pooling("average_pooling2d"),
        Schema("global_average_pooling2d", []), Schema("global_max_pooling2d", []), Conv1D.schema,
        MaxPooling1D.schema, AveragePooling1D.schema, GlobalAveragePooling1D.schema, GlobalMaxPooling1D.schema,
        Schema("flatten", []), recurrent("lstm"), recurrent("gru"), recurrent("simple_rnn"), residual, maxout,
    ]

    static let dense = Schema(
        "dense",
        [
            Option("units", .positiveInt),
            Option("activation", .activation, default: "linear"),
            Option("use_bias", .bool, default: true),
        ] + weightOptions(["kernel", "bias"]) + [Option("drop_connect", .number(.fraction), default: 0)])

    static let dropout = Schema(
        "dropout",
        [
            Option("rate", .number(.fraction)),
            Option("noise_shape", .nullable(noiseShape), default: nil),
            seedOption,
        ])

    static let spatialDropout2D = Schema("spatial_dropout2d", [Option("rate", .number(.fraction)), seedOption])

    static let gaussianNoise = Schema("gaussian_noise", [Option("stddev", .number(.nonNegative)), seedOption])

    static let gaussianDropout = Schema("gaussian_dropout", [Option("rate", .number(.fraction)), seedOption])

    static let alphaDropout = Schema(
        "alpha_dropout",
        [
            Option("rate", .number(.fraction)),
            Option("noise_shape", .nullable(noiseShape), default: nil),
            seedOption,
        ])

    static let batchNormalization = Schema(
        "batch_normalization",
        [
            Option("axis", .anyInt, default: -1),
            Option("momentum", .number(.unit), default: 0.99),
            Option("epsilon", .number(.positive), default: 0.001),
        ] + normalizationOptions)

    static let layerNormalization = Schema(
        "layer_normalization",
        [
            Option("axis", .anyInt, default: -1),
            Option("epsilon", .number(.positive), default: 0.001),
        ] + normalizationOptions)

    static let activation = Schema("activation", [Option("activation", .activation)])

    static let conv2D = Schema(
        "conv2d",
        [
            Option("filters", .positiveInt),
            Option("kernel_size", .size),
            Option("strides", .size, default: 1),
            Option("padding", padding, default: "valid"),
            Option("dilation_rate", .size, default: 1),
            Option("activation", .activation, default: "linear"),
            Option("use_bias", .bool, default: true),
        ] + weightOptions(["kernel", "bias"]),
        check: { options, path in
            // Keras: "`strides > 1` not supported in conjunction with `dilation_rate > 1`".
            let strided = options["strides"] != [1, 1]
            if strided && options["dilation_rate"] != [1, 1] {
                throw SpecError(
                    path: specPath(path, "dilation_rate"), message: "must be 1 when strides > 1 (as in Keras)")
            }
        })

    static let residual = Schema(
        "residual",
        [
            Option("layers", .layers),
            Option("survival_probability", .number(Interval(lower: 0, lowerClosed: false, upper: 1)), default: 1),
        ])

    static let maxout = Schema(
        "maxout",
        [
            Option("units", .positiveInt),
            Option("pieces", .positiveInt),
            Option("use_bias", .bool, default: true),
        ] + weightOptions(["kernel", "bias"]))

    // MARK: Option groups shared by several layer types

    static let padding = Rule.choice(noun: "padding", ["valid", "same"])

    /// Keras: seed for the layer's own random stream; null: derived from the spec's seed.
    static let seedOption = Option("seed", .nullable(.count), default: nil)

    /// Keras noise_shape: one entry per input axis, batch included; null takes the input's size.
    static let noiseShape = Rule.list(
        .nullable(.positiveInt), what: "a list of positive integers or nulls", unique: false)

    /// <name>_initializer, <name>_regularizer (and activity_regularizer), <name>_constraint for
    /// each weight, with Keras's initializer defaults: glorot_uniform kernels, orthogonal
    /// recurrent kernels, zero biases.
    static func weightOptions(_ weights: [String], unitForgetBias: Bool = false) -> [Option] {
        let initial: [String: JSON] = ["kernel": "glorot_uniform", "recurrent": "orthogonal", "bias": "zeros"]
        return weights.map { Option("\($0)_initializer", .initializer, default: initial[$0]!) }
            + (unitForgetBias ? [Option("unit_forget_bias", .bool, default: true)] : [])
            + weights.map { Option("\($0)_regularizer", .nullable(.regularizer), default: nil) }
            + [Option("activity_regularizer", .nullable(.regularizer), default: nil)]
            + weights.map { Option("\($0)_constraint", .nullable(.constraint), default: nil) }
    }

    /// batch_normalization and layer_normalization: Keras's center/scale and the
    /// initializers, regularizers and constraints of beta and gamma.
    static let normalizationOptions = [
        Option("center", .bool, default: true),
        Option("scale", .bool, default: true),
        Option("beta_initializer", .initializer, default: "zeros"),
        Option("gamma_initializer", .initializer, default: "ones"),
        Option("beta_regularizer", .nullable(.regularizer), default: nil),
        Option("gamma_regularizer", .nullable(.regularizer), default: nil),
        Option("beta_constraint", .nullable(.constraint), default: nil),
        Option("gamma_constraint", .nullable(.constraint), default: nil),
    ]

    /// max/average pooling; strides default to pool_size (Keras strides=None), filled in.
    static func pooling(_ type: String) -> Schema {
        Schema(
            type,
            [
                Option("pool_size", .size, default: 2),
                Option("strides", .nullable(.size), default: nil),
                Option("padding", padding, default: "valid"),
            ],
            check: { options, _ in
                if options["strides"] == .null { options["strides"] = options["pool_size"] }
            })
    }

    /// lstm, gru, simple_rnn with Keras 3's arguments and defaults. Keras's SimpleRNN has no
    /// recurrent_activation; only LSTM has unit_forget_bias, only GRU reset_after.
    static func recurrent(_ type: String) -> Schema {
        var options = [
            Option("units", .positiveInt),
            Option("activation", .activation, default: "tanh"),
        ]
        if type != "simple_rnn" { options.append(Option("recurrent_activation", .activation, default: "sigmoid")) }
        options.append(Option("use_bias", .bool, default: true))
        options += weightOptions(["kernel", "recurrent", "bias"], unitForgetBias: type == "lstm")
        options += [
            Option("dropout", .number(.fraction), default: 0),
            Option("recurrent_dropout", .number(.fraction), default: 0),
            Option("return_sequences", .bool, default: false),
        ]
        if type == "gru" { options.append(Option("reset_after", .bool, default: true)) }
        options.append(seedOption)
        return Schema(type, options)
    }
}
