/// Spec -> model: the one table from a layer "type" to a layer.
///
/// Layers are created from their validated `LayerSpec`; weight penalties and constraints
/// are attached after the model is built (parameters exist only then). A shape a layer
/// cannot take becomes a `SpecError` at the layer's path.
public enum ModelBuilder {
    /// Builds the model for inputs of `inputShape` (no batch dimension).
    public static func build(_ specs: [LayerSpec], inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> Sequential {
        let layers = try specs.map(makeLayer)
        let model: Sequential
        do {
            model = try Sequential(layers: layers, inputShape: inputShape, maxBatch: maxBatch, rng: &rng)
        } catch let e as LayerBuildError {
            throw SpecError(path: specs[e.index].path, message: e.message)
        }
        for (spec, layer) in zip(specs, layers) { attachWeightOptions(spec, layer) }
        return model
    }

    /// The table: one entry per SPEC.md layer type.
    static func makeLayer(_ s: LayerSpec) throws -> Layer {
        switch s.type {
        case "dense":
            let d = Dense(units: s.int("units"), activation: try activation(s), useBias: s.bool("use_bias"),
                          dropConnect: s.float("drop_connect"), kernelInitializer: initializer(s, "kernel_initializer"),
                          biasInitializer: initializer(s, "bias_initializer"))
            d.activityRegularizer = s.regularizer("activity_regularizer")
            return d
        case "dropout":
            let shape = s.isNull("noise_shape") ? nil : s.value("noise_shape").arrayValue!.map(\.intValue)
            return NoiseLayer(.dropout(rate: s.float("rate"), noiseShape: shape), seed: seed(s))
        case "spatial_dropout2d": return NoiseLayer(.spatialDropout2D(rate: s.float("rate")), seed: seed(s))
        case "gaussian_noise": return NoiseLayer(.gaussianNoise(stddev: s.float("stddev")), seed: seed(s))
        case "gaussian_dropout": return NoiseLayer(.gaussianDropout(rate: s.float("rate")), seed: seed(s))
        case "alpha_dropout":
            let shape = s.isNull("noise_shape") ? nil : s.value("noise_shape").arrayValue!.map(\.intValue)
            return NoiseLayer(.alphaDropout(rate: s.float("rate"), noiseShape: shape), seed: seed(s))
        case "batch_normalization":
            return BatchNormalization(axis: s.int("axis"), momentum: s.float("momentum"), epsilon: s.float("epsilon"),
                                      center: s.bool("center"), scale: s.bool("scale"),
                                      betaInitializer: initializer(s, "beta_initializer"),
                                      gammaInitializer: initializer(s, "gamma_initializer"))
        case "layer_normalization":
            return LayerNormalization(axis: s.int("axis"), epsilon: s.float("epsilon"), center: s.bool("center"),
                                      scale: s.bool("scale"), betaInitializer: initializer(s, "beta_initializer"),
                                      gammaInitializer: initializer(s, "gamma_initializer"))
        case "conv2d":
            let k = s.ints("kernel_size"), st = s.ints("strides"), d = s.ints("dilation_rate")
            let c = Conv2D(filters: s.int("filters"), kernelSize: (k[0], k[1]), strides: (st[0], st[1]),
                           padding: Padding(rawValue: s.string("padding"))!, dilationRate: (d[0], d[1]),
                           activation: try activation(s), useBias: s.bool("use_bias"),
                           kernelInitializer: initializer(s, "kernel_initializer"),
                           biasInitializer: initializer(s, "bias_initializer"))
            c.activityRegularizer = s.regularizer("activity_regularizer")
            return c
        case "max_pooling2d", "average_pooling2d":
            let p = s.ints("pool_size"), st = s.ints("strides")
            let padding = Padding(rawValue: s.string("padding"))!
            return s.type == "max_pooling2d"
                ? MaxPooling2D(poolSize: (p[0], p[1]), strides: (st[0], st[1]), padding: padding)
                : AveragePooling2D(poolSize: (p[0], p[1]), strides: (st[0], st[1]), padding: padding)
        case "global_average_pooling2d": return GlobalAveragePooling2D()
        case "global_max_pooling2d": return GlobalMaxPooling2D()
        case "conv1d": return try Conv1D.make(s)
        case "max_pooling1d": return try MaxPooling1D.make(s)
        case "average_pooling1d": return try AveragePooling1D.make(s)
        case "global_average_pooling1d": return try GlobalAveragePooling1D.make(s)
        case "global_max_pooling1d": return try GlobalMaxPooling1D.make(s)
        case "activation": return ActivationLayer(try activation(s))
        case "flatten": return Flatten()
        case "maxout":
            let m = Maxout(units: s.int("units"), pieces: s.int("pieces"), useBias: s.bool("use_bias"),
                           kernelInitializer: initializer(s, "kernel_initializer"),
                           biasInitializer: initializer(s, "bias_initializer"))
            m.activityRegularizer = s.regularizer("activity_regularizer")
            return m
        case "residual":
            return Residual(layers: try s.layers().map(makeLayer), survivalProbability: s.float("survival_probability"))
        case "lstm", "gru", "simple_rnn":
            return try recurrent(s)
        default:
            throw SpecError(path: s.path + ".type", message: "\"\(s.type)\" layers are not available in this build")
        }
    }

    static func recurrent(_ s: LayerSpec) throws -> Layer {
        if !s.isNull("seed") {
            throw SpecError(path: s.path + ".seed", message: "a per-layer seed is not supported for \(s.type); remove it (the spec's seed drives the dropout masks)")
        }
        let units = s.int("units"), act = try activation(s), bias = s.bool("use_bias")
        let seqs = s.bool("return_sequences"), drop = s.float("dropout"), rdrop = s.float("recurrent_dropout")
        let k = initializer(s, "kernel_initializer"), r = initializer(s, "recurrent_initializer"), b = initializer(s, "bias_initializer")
        switch s.type {
        case "lstm":
            return LSTM(units: units, activation: act, recurrentActivation: try activation(s, "recurrent_activation"),
                        useBias: bias, returnSequences: seqs, dropout: drop, recurrentDropout: rdrop,
                        unitForgetBias: s.bool("unit_forget_bias"), kernelInitializer: k, recurrentInitializer: r,
                        biasInitializer: b)
        case "gru":
            guard s.bool("reset_after") else {
                throw SpecError(path: s.path + ".reset_after", message: "only true (the Keras 3 default) is supported")
            }
            return GRU(units: units, activation: act, recurrentActivation: try activation(s, "recurrent_activation"),
                       useBias: bias, returnSequences: seqs, dropout: drop, recurrentDropout: rdrop,
                       kernelInitializer: k, recurrentInitializer: r, biasInitializer: b)
        default:
            return SimpleRNN(units: units, activation: act, useBias: bias, returnSequences: seqs, dropout: drop,
                             recurrentDropout: rdrop, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b)
        }
    }

    /// Spec weight-option prefix -> parameter name.
    static let weightNames = [
        ("kernel", "kernel"), ("bias", "bias"), ("recurrent", "recurrent_kernel"), ("beta", "beta"), ("gamma", "gamma"),
    ]

    /// Sets each parameter's regularizer and constraint from `<weight>_regularizer` and
    /// `<weight>_constraint`; recurses into residual blocks.
    static func attachWeightOptions(_ s: LayerSpec, _ layer: Layer) {
        if let residual = layer as? Residual {
            for (sub, subLayer) in zip(s.layers(), residual.layers) { attachWeightOptions(sub, subLayer) }
            return
        }
        for (prefix, name) in weightNames {
            guard let p = layer.parameters.first(where: { $0.name == name }) else { continue }
            if s.options["\(prefix)_regularizer"] != nil { p.regularizer = s.regularizer("\(prefix)_regularizer") }
            if s.options["\(prefix)_constraint"] != nil { p.constraint = s.constraint("\(prefix)_constraint") }
        }
    }

    static func activation(_ s: LayerSpec, _ key: String = "activation") throws -> Activation {
        guard let a = Activation(rawValue: s.string(key)) else {
            throw SpecError(path: s.path + "." + key, message: "unknown activation \"\(s.string(key))\"")
        }
        return a
    }

    static func seed(_ s: LayerSpec) -> UInt64? { s.optionalInt("seed").map { UInt64($0) } }

    static func initializer(_ s: LayerSpec, _ key: String) -> Initializer {
        switch s.initializer(key) {
        case .glorotUniform: return .glorotUniform
        case .glorotNormal: return .glorotNormal
        case .heNormal: return .heNormal
        case .heUniform: return .heUniform
        case .lecunNormal: return .lecunNormal
        case .lecunUniform: return .lecunUniform
        case .orthogonal: return .orthogonal(gain: 1)
        case .zeros: return .zeros
        case .ones: return .ones
        case let .randomNormal(mean, stddev): return .randomNormal(mean: mean, stddev: stddev)
        case let .randomUniform(minval, maxval): return .randomUniform(minval: minval, maxval: maxval)
        }
    }

    /// Keras's TensorFlow backend computes a crossentropy on a softmax (sigmoid) output
    /// from the logits. Do the same: move the last layer's softmax/sigmoid into
    /// `outputActivation` and return the loss config taking logits.
    public static func fuseOutputActivation(_ model: Sequential, loss: LossConfig) -> LossConfig {
        guard !loss.fromLogits, let owner = model.layers.last as? ActivationOwner else { return loss }
        let fusable = (owner.activation == .softmax && loss.name.hasSuffix("categorical_crossentropy"))
            || (owner.activation == .sigmoid && loss.name == "binary_crossentropy")
        guard fusable else { return loss }
        model.outputActivation = owner.activation
        owner.activation = .linear
        var fused = loss
        fused.fromLogits = true
        return fused
    }
}

/// A layer whose output passes through an activation the loss can take over.
public protocol ActivationOwner: AnyObject {
    var activation: Activation { get set }
}

extension Dense: ActivationOwner {}
extension ActivationLayer: ActivationOwner {}
extension Conv2D: ActivationOwner {}
extension Conv1D: ActivationOwner {}
