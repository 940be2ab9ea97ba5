/// An optimizer type as specs name it: its schema (Keras 3's arguments and defaults) and
/// its constructor, declared in the optimizer's own file.
struct OptimizerType: Sendable {
    let schema: Schema
    let make: @Sendable (OptimizerConfig) -> Optimizer

    var name: String { schema.name }
}

/// Every optimizer a spec may name. Adding one: its own file, and one line here.
enum OptimizerRegistry {
    static let all: [OptimizerType] = [
        SGD.registration, RMSprop.registration, Adagrad.registration, Adam.registration, Adam.adamw,
        Nadam.registration,
    ]

    static let variants = Variants(noun: "optimizer", all.map(\.schema))

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The optimizer a validated config describes.
    static func make(_ config: OptimizerConfig) -> Optimizer {
        guard let type = byName[config.type] else { preconditionFailure("unregistered optimizer \"\(config.type)\"") }
        return type.make(config)
    }

    private static let clips = ["clipnorm", "clipvalue", "global_clipnorm"]

    /// A schema with what every Keras optimizer takes around the type's own options:
    /// learning_rate first; weight_decay and the three clipping thresholds last.
    static func schema(
        _ type: String, learningRate: Double = 0.001, weightDecay: Double? = nil, _ options: [Option], doc: String
    ) -> Schema {
        Schema(
            type,
            [Option("learning_rate", .number(.positive), default: .number(learningRate), doc: "step size")] + options
                + [
                    Option(
                        "weight_decay", .nullable(.number(.nonNegative)), default: weightDecay.map(JSON.number) ?? nil,
                        doc: "decoupled weight decay: w -= learning_rate * weight_decay * w each step"),
                    Option(
                        "clipnorm", .nullable(.number(.positive)), default: nil,
                        doc: "clip each gradient's norm to this"),
                    Option(
                        "clipvalue", .nullable(.number(.positive)), default: nil,
                        doc: "clip each gradient element to ±this"),
                    Option(
                        "global_clipnorm", .nullable(.number(.positive)), default: nil,
                        doc: "clip the norm of all gradients together to this"),
                ],
            doc: doc,
            check: { optimizer, path in
                let set = clips.filter { optimizer[$0] != .null }
                if set.count > 1 {
                    throw SpecError(
                        path: specPath(path, set[1]),
                        message: "only one of clipnorm, clipvalue and global_clipnorm can be set (as in Keras)")
                }
            })
    }

    static let epsilon = Option(
        "epsilon", .number(.positive), default: 1e-7, doc: "added to denominators for stability")
    static let betas = [
        Option("beta_1", .number(.fraction), default: 0.9, doc: "decay of the first-moment estimate"),
        Option("beta_2", .number(.fraction), default: 0.999, doc: "decay of the second-moment estimate"),
    ]
}
