/// The spec's "model" section: the layers, and optionally the input shape.
public struct ModelSpec: SpecSection, Equatable, Sendable {
    public var path: String { "model" }
    public var options: [String: JSON]

    /// Input shape without the batch axis; nil: inferred from the data.
    public var inputShape: [Int]? { isNull("input_shape") ? nil : ints("input_shape") }
    public var layers: [LayerSpec] { layers("layers") }
    /// "model.layers[N]" of the output layer, for messages about the model's output.
    public var lastLayerPath: String { "model.layers[\(value("layers").arrayValue!.count - 1)]" }

    init(options: [String: JSON]) { self.options = options }

    static let schema = Schema(
        "model",
        [
            Option(
                "input_shape", .nullable(.list(.positiveInt, what: "a list of positive integers", unique: false)),
                default: nil, doc: "input shape without the batch axis; null: inferred from the data"),
            Option("layers", .layers, doc: "the layers, first to last (a Keras Sequential model)"),
        ],
        doc: "the network",
        check: { model, path in
            if model["input_shape"] == [] {
                throw SpecError(path: specPath(path, "input_shape"), message: "expected at least one dimension, got []")
            }
        })
}

/// "early_stopping" (Keras EarlyStopping, Keras 3 defaults).
public struct EarlyStoppingSpec: SpecSection, Equatable, Sendable {
    public var path: String { "early_stopping" }
    public var options: [String: JSON]

    /// "loss", "val_loss", a metric of training.metrics, or "val_" and that metric.
    public var monitor: String { string("monitor") }
    public var minDelta: Double { double("min_delta") }
    public var patience: Int { int("patience") }
    public var mode: MonitorMode { choice("mode") }
    public var baseline: Double? { optionalDouble("baseline") }
    public var restoreBestWeights: Bool { bool("restore_best_weights") }
    public var startFromEpoch: Int { int("start_from_epoch") }

    init(options: [String: JSON]) { self.options = options }

    static let schema = Schema(
        "early_stopping",
        [
            Option("monitor", .string, default: "val_loss", doc: monitorDoc),
            Option(
                "min_delta", .number(.nonNegative), default: 0, doc: "smallest change that counts as an improvement"),
            Option("patience", .count, default: 0, doc: "epochs without improvement before training stops"),
            Option("mode", .mode, default: "auto", doc: modeDoc),
            Option(
                "baseline", .nullable(.number(.any)), default: nil,
                doc: "stop unless the monitor beats this value within patience epochs; null: no baseline"),
            Option(
                "restore_best_weights", .bool, default: false,
                doc: "restore the best epoch's weights when training ends"),
            Option(
                "start_from_epoch", .count, default: 0, doc: "epochs to train before watching for improvement"),
        ],
        doc: "stops training when the monitored quantity has stopped improving (Keras EarlyStopping)")

    /// Doc lines shared by the sections that watch a monitor.
    static let monitorDoc = "what to watch: \"loss\", a metric of training.metrics, or either with \"val_\""
    static let modeDoc = "whether the monitor improves down (\"min\") or up (\"max\"); \"auto\": from its name"
}

/// "checkpoint": weights saved during training (Keras ModelCheckpoint's arguments, with
/// save_freq counted in epochs).
public struct CheckpointSpec: SpecSection, Equatable, Sendable {
    public var path: String { "checkpoint" }
    public var options: [String: JSON]

    public var monitor: String { string("monitor") }
    public var mode: MonitorMode { choice("mode") }
    public var saveBestOnly: Bool { bool("save_best_only") }
    /// Save every this many epochs ("epoch" in the spec is 1).
    public var saveEveryEpochs: Int { value("save_freq") == "epoch" ? 1 : int("save_freq") }
    /// How many checkpoint files to keep (older ones are deleted); nil: all.
    public var keep: Int? { optionalInt("keep") }

    init(options: [String: JSON]) { self.options = options }

    static let schema = Schema(
        "checkpoint",
        [
            Option("monitor", .string, default: "val_loss", doc: EarlyStoppingSpec.monitorDoc),
            Option("mode", .mode, default: "auto", doc: EarlyStoppingSpec.modeDoc),
            Option(
                "save_best_only", .bool, default: false,
                doc: "save only improvements of the monitor; model.safetensors then holds the best weights"),
            Option(
                "save_freq",
                .custom(
                    what: "\"epoch\" or a positive number of epochs",
                    jsonSchema: ["anyOf": [["const": "epoch"], ["type": "integer", "minimum": 1]]]
                ) { value, path, _ in
                    guard value == "epoch" || (value.intValue ?? 0) >= 1 else {
                        throw SpecError.expected("\"epoch\" or a positive number of epochs", got: value, at: path)
                    }
                    return value
                }, default: "epoch", doc: "save every epoch, or every this many epochs, into checkpoints/"),
            Option(
                "keep", .nullable(.positiveInt), default: nil,
                doc: "how many checkpoint files to keep (the newest); null: all"),
        ],
        doc: "saves weights during training (Keras ModelCheckpoint; save_freq counts epochs)")
}

/// "output": where the run folder goes.
public struct OutputSpec: SpecSection, Equatable, Sendable {
    public var path: String { "output" }
    public var options: [String: JSON]

    /// The run folder, absolute; default "runs/<name>" beside the spec file.
    public var dir: String {
        get { string("dir") }
        set { options["dir"] = .string(newValue) }
    }

    /// Whether training writes TensorBoard event files under tensorboard/ (`TensorBoardCallback`).
    public var tensorboard: Bool {
        get { bool("tensorboard") }
        set { options["tensorboard"] = .bool(newValue) }
    }

    init(options: [String: JSON]) { self.options = options }

    /// dir null is filled in by `Spec.parse`, which knows the name.
    static let schema = Schema(
        "output",
        [
            Option(
                "dir", .nullable(.path), default: nil, doc: "the run folder; null: runs/<name> beside the spec file"),
            Option(
                "tensorboard", .bool, default: false,
                doc: "write TensorBoard event files (scalars and weight histograms per epoch) under tensorboard/"),
        ],
        doc: "where the run folder goes, and what it holds besides the standard files")
}
