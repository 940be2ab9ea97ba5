/// The spec's "training" section (docs/spec-reference.md, "training"): loss, metrics, optimizer and the
/// arguments of Keras's fit.
public struct TrainingSpec: SpecSection, Equatable, Sendable {
    public var path: String { "training" }
    public var options: [String: JSON]

    public var loss: LossConfig {
        let loss = OptionsView(value("loss"), at: specPath(path, "loss"))
        var config = LossConfig(name: loss.string("type"))
        if loss.options["from_logits"] != nil { config.fromLogits = loss.bool("from_logits") }
        if loss.options["label_smoothing"] != nil { config.labelSmoothing = loss.float("label_smoothing") }
        if loss.options["delta"] != nil { config.delta = loss.float("delta") }
        return config
    }

    public var metrics: [String] { strings("metrics") }

    public var optimizer: OptimizerConfig {
        OptimizerConfig(OptionsView(value("optimizer"), at: specPath(path, "optimizer")))
    }

    public var lrSchedule: LearningRateSchedule? {
        isNull("lr_schedule")
            ? nil : LearningRateSchedule(OptionsView(value("lr_schedule"), at: specPath(path, "lr_schedule")))
    }

    public var epochs: Int {
        get { int("epochs") }
        set { options["epochs"] = JSON(newValue) }
    }

    public var batchSize: Int {
        get { int("batch_size") }
        set { options["batch_size"] = JSON(newValue) }
    }
    /// training.shuffle for training data read from an image folder (`imageFolder`) or
    /// from arrays (CSV files, time series): true orders them as Keras does with a seed.
    public func shuffleOrder(imageFolder: Bool) -> ShuffleOrder {
        switch value("shuffle") {
        case false: return .none
        case "every_epoch": return .everyEpoch
        default: return imageFolder ? .everyEpoch : .fixed
        }
    }
    public var classWeight: ClassWeight? {
        isNull("class_weight") ? nil : ClassWeight(canonical: value("class_weight"))
    }
    /// training.ensemble.members: models trained with seeds seed, seed + 1, ... (1 = no ensemble).
    public var ensembleMembers: Int { OptionsView(value("ensemble"), at: specPath(path, "ensemble")).int("members") }
    /// Worker threads; nil: all cores.
    public var threads: Int? { optionalInt("threads") }
    /// The processes the run trains on: set by nnreg to mpirun's N (1 outside mpirun).
    public var ranks: Int {
        get { int("ranks") }
        set { options["ranks"] = JSON(newValue) }
    }

    init(options: [String: JSON]) { self.options = options }

    static let schema = Schema(
        "training",
        [
            Option("loss", .variants(LossRegistry.variants), doc: "a loss name, or {\"type\": name, options}"),
            Option(
                "from_logits", .nullable(.bool), default: nil,
                doc: "the crossentropy's from_logits, set here as in Keras's compile; null: the loss's own"),
            Option(
                "label_smoothing", .nullable(.number(.unit)), default: nil,
                doc: "the crossentropy's label_smoothing, set here; null: the loss's own"),
            Option(
                "metrics",
                .list(.choice(noun: "metric", MetricRegistry.names), what: "a list of metric names", unique: true),
                default: [], doc: "reported each epoch for training and validation data"),
            Option(
                "optimizer", .variants(OptimizerRegistry.variants), default: "rmsprop",  // Keras compile's default
                doc: "an optimizer name, or {\"type\": name, options}"),
            Option(
                "lr_schedule", .nullable(.variants(LearningRateSchedule.variants)), default: nil,
                doc: "how the learning rate changes; null: constant"),
            Option("epochs", .positiveInt, default: 1, doc: "passes over the training data"),
            Option(
                "batch_size", .positiveInt, default: 32,
                doc: "samples per step; more than the training samples means one batch of all of them"),
            Option(
                "shuffle",
                .custom(
                    what: "true, false or \"every_epoch\"",
                    jsonSchema: ["anyOf": [["type": "boolean"], ["const": "every_epoch"]]]
                ) { value, path, _ in
                    guard value.boolValue != nil || value == "every_epoch" else {
                        throw SpecError.expected("true, false or \"every_epoch\"", got: value, at: path)
                    }
                    return value
                }, default: true,
                doc: "true: as Keras with a seed (CSV and time series: one seeded order, repeated every epoch; "
                    + "image folders: a new order every epoch); \"every_epoch\": a new order every epoch; false: file order"
            ),
            Option(
                "class_weight", .nullable(ClassWeight.rule), default: nil,
                doc: "loss weight per class: {\"label\": weight} or \"balanced\"; null: 1 each"),
            Option(
                "ensemble",
                .object(
                    Schema(
                        "ensemble",
                        [
                            Option(
                                "members", .integer(min: 1, max: 100), default: 1,
                                doc: "models trained with seeds seed, seed + 1, ...; evaluate averages them")
                        ], doc: "several models of the spec, their predictions averaged")),
                default: [:], doc: "train an ensemble"),
            Option(
                "threads", .nullable(.integer(min: 1, max: 256)), default: nil,
                doc: "worker threads; null: all cores"),
            Option(
                "ranks", .positiveInt, default: 1,
                doc: "processes the run trained on (mpirun -np N), recorded by nnreg; a value given is replaced"),
        ],
        check: { training, path in
            // training.from_logits and training.label_smoothing move into the loss object,
            // where the resolved spec keeps them.
            var loss = training["loss"]!.objectValue!
            for (key, lossDefault) in [("from_logits", false), ("label_smoothing", 0)] as [(String, JSON)] {
                let value = training[key]!
                training[key] = nil
                if value == .null { continue }
                guard let current = loss[key] else {
                    throw SpecError(
                        path: specPath(path, key),
                        message: "applies only to the crossentropy losses, not \(loss["type"]!.compact())")
                }
                guard current == lossDefault || current == value else {
                    throw SpecError(
                        path: specPath(path, key), message: "also given in training.loss as \(current.compact())")
                }
                loss[key] = value
            }
            training["loss"] = .object(loss)
        })
}

// MARK: - Class weight

/// training.class_weight: "balanced" (n_samples / (n_classes * count), as scikit-learn),
/// or a weight per label (class name, or label value as written in the CSV).
public enum ClassWeight: Equatable, Sendable {
    case balanced
    case perClass([String: Double])

    init(canonical json: JSON) {
        if json == "balanced" {
            self = .balanced
        } else {
            self = .perClass(json.objectValue!.dictionary.mapValues { $0.doubleValue! })
        }
    }
}

extension ClassWeight {
    static let rule = Rule.custom(what: "\"balanced\" or {\"label\": weight}") { value, path, _ in
        if value == "balanced" { return value }
        guard let weights = value.objectValue, weights.count > 0 else {
            throw SpecError.expected(#""balanced" or {"label": weight, ...}"#, got: value, at: path)
        }
        for (label, weight) in weights {
            guard let w = weight.doubleValue, w >= 0 else {
                throw SpecError.expected("a weight >= 0", got: weight, at: specPath(path, label))
            }
        }
        return value
    }
}
