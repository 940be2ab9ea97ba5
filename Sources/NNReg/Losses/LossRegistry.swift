/// A loss as specs name it: its schema (Keras's arguments), other names it answers to, and
/// its constructor, declared in the loss's own file.
struct LossType: Sendable {
    let schema: Schema
    /// Other accepted names ("mse" for mean_squared_error).
    var aliases: [String] = []
    let make: @Sendable (LossConfig) -> Loss

    var name: String { schema.name }
}

/// Every loss a spec may name. Adding one: its own file, and one line here.
enum LossRegistry {
    static let all: [LossType] = [
        MeanSquaredError.registration, MeanAbsoluteError.registration, Huber.registration,
        BinaryCrossentropy.registration, CategoricalCrossentropy.registration,
        SparseCategoricalCrossentropy.registration,
    ]

    static let variants = Variants(
        noun: "loss", all.map(\.schema),
        aliases: Dictionary(uniqueKeysWithValues: all.flatMap { type in type.aliases.map { ($0, type.name) } }))

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    static func make(_ config: LossConfig) -> Loss {
        guard let type = byName[variants.aliases[config.name] ?? config.name] else {
            preconditionFailure("unregistered loss \"\(config.name)\"")
        }
        return type.make(config)
    }

    /// The crossentropies' arguments.
    static let crossentropyOptions = [
        Option("from_logits", .bool, default: false, doc: "the model outputs logits, not probabilities"),
        Option(
            "label_smoothing", .number(.unit), default: 0,
            doc: "targets move this far towards uniform: y * (1 - s) + s / classes (0.5 for binary)"),
    ]
}

/// The loss a resolved `LossConfig` names.
public func makeLoss(_ config: LossConfig) -> Loss { LossRegistry.make(config) }
