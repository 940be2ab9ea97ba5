/// An optimizer as a spec describes it (training.optimizer), every field resolved.
///
/// Each type's options and defaults are its registry entry's schema; fields a type does
/// not take are ignored by it.
public struct OptimizerConfig: Equatable, Sendable {
    /// The registry name: sgd, rmsprop, adagrad, adam, adamw, nadam.
    public var type: String
    public var learningRate: Float
    public var momentum: Float = 0  // sgd, rmsprop
    public var nesterov = false  // sgd
    public var rho: Float = 0.9  // rmsprop
    public var centered = false  // rmsprop
    public var beta1: Float = 0.9  // adam, adamw, nadam
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-7
    public var amsgrad = false  // adam, adamw
    public var initialAccumulatorValue: Float = 0.1  // adagrad
    public var weightDecay: Float? = nil  // decoupled; adamw defaults to 0.004
    public var clipnorm: Float? = nil
    public var clipvalue: Float? = nil
    public var globalClipnorm: Float? = nil

    /// Every optimizer type, in the registry's order.
    public static var types: [String] { OptimizerRegistry.variants.names }

    /// Keras 3's defaults for `type`: what a spec naming only the type gets.
    public static func defaults(for type: String) -> OptimizerConfig {
        guard let schema = OptimizerRegistry.variants.schema(for: type),
            let options = try? schema.validate(
                .object(JSON.Object()), at: "", SpecContext(baseDirectory: "/", defaultName: ""))
        else { preconditionFailure("unregistered optimizer \"\(type)\"") }
        var object = options
        object["type"] = .string(type)
        return OptimizerConfig(OptionsView(.object(object), at: "training.optimizer"))
    }

    /// From a validated optimizer object; fields its type does not take keep the struct's defaults.
    init(_ view: OptionsView) {
        type = view.string("type")
        learningRate = view.float("learning_rate")
        let has = { (key: String) in view.options[key] != nil }
        if has("momentum") { momentum = view.float("momentum") }
        if has("nesterov") { nesterov = view.bool("nesterov") }
        if has("rho") { rho = view.float("rho") }
        if has("centered") { centered = view.bool("centered") }
        if has("beta_1") { beta1 = view.float("beta_1") }
        if has("beta_2") { beta2 = view.float("beta_2") }
        if has("epsilon") { epsilon = view.float("epsilon") }
        if has("amsgrad") { amsgrad = view.bool("amsgrad") }
        if has("initial_accumulator_value") { initialAccumulatorValue = view.float("initial_accumulator_value") }
        weightDecay = view.optionalDouble("weight_decay").map(Float.init)
        clipnorm = view.optionalDouble("clipnorm").map(Float.init)
        clipvalue = view.optionalDouble("clipvalue").map(Float.init)
        globalClipnorm = view.optionalDouble("global_clipnorm").map(Float.init)
    }
}

/// The optimizer `config` describes (a validated config: `Spec` checks every value).
public func makeOptimizer(_ config: OptimizerConfig) -> Optimizer { OptimizerRegistry.make(config) }
