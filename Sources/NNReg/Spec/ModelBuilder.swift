/// Spec -> model. Each layer comes from its registry entry (`LayerRegistry`); weight penalties and constraints
/// are attached after the model is built (parameters exist only then). A shape a layer
/// cannot take becomes a `SpecError` at the layer's path.
public enum ModelBuilder {
    /// Builds the model for inputs of `inputShape` (no batch dimension).
    public static func build(_ specs: [LayerSpec], inputShape: [Int], maxBatch: Int, rng: inout RNG) throws
        -> Sequential
    {
        try MemoryLimit.check(specs, input: inputShape, batch: maxBatch)
        let layers = try specs.map(LayerRegistry.make)
        let model: Sequential
        do {
            model = try Sequential(layers: layers, inputShape: inputShape, maxBatch: maxBatch, rng: &rng)
        } catch let e as LayerBuildError {
            throw SpecError(path: specs[e.index].path, message: e.message)
        }
        for (spec, layer) in zip(specs, layers) { attachWeightOptions(spec, layer) }
        return model
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

    /// Keras's TensorFlow backend computes a crossentropy on a softmax (sigmoid) output
    /// from the logits. Do the same: move the last layer's softmax/sigmoid into
    /// `outputActivation` and return the loss config taking logits.
    public static func fuseOutputActivation(_ model: Sequential, loss: LossConfig) -> LossConfig {
        guard !loss.fromLogits, let owner = model.layers.last as? ActivationOwner else { return loss }
        let fusable =
            (owner.activation == .softmax && loss.name.hasSuffix("categorical_crossentropy"))
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
