import Foundation

/// A validated spec file (docs/spec-reference.md): every key checked for type and range,
/// every default filled in, every path absolute.
///
///     let spec = try Spec.load(path: "specs/fashion-mlp.json")
///     for layer in spec.model.layers where layer.type == "dense" {
///         print(layer.path, layer.int("units"), layer.activation())
///     }
///     let optimizer = spec.training.optimizer  // OptimizerConfig
///
/// Defaults Keras has no counterpart for: seed 42; name: the spec file's name without extension
/// ("model" for text parsed without a file); output.dir "runs/<name>" beside the spec file.
public struct Spec: SpecOptions, Equatable, Sendable {
    public var path: String { "" }
    public var options: [String: JSON]

    public var name: String { string("name") }

    /// The seed all randomness derives from (exact up to 2^53).
    public var seed: UInt64 {
        get { UInt64(int("seed")) }
        set { options["seed"] = .number(Double(newValue)) }
    }

    public var data: DataSpec {
        get { section("data") }
        set { options["data"] = newValue.json }
    }

    public var model: ModelSpec {
        get { section("model") }
        set { options["model"] = newValue.json }
    }

    public var training: TrainingSpec {
        get { section("training") }
        set { options["training"] = newValue.json }
    }

    /// nil: no early stopping.
    public var earlyStopping: EarlyStoppingSpec? {
        get { isNull("early_stopping") ? nil : section("early_stopping") }
        set { options["early_stopping"] = newValue?.json ?? .null }
    }

    /// nil: no checkpoints beyond the run folder's model and last weights.
    public var checkpoint: CheckpointSpec? {
        get { isNull("checkpoint") ? nil : section("checkpoint") }
        set { options["checkpoint"] = newValue?.json ?? .null }
    }

    /// nil: training images are used as they are.
    public var augmentation: AugmentationSpec? {
        get { isNull("augmentation") ? nil : section("augmentation") }
        set { options["augmentation"] = newValue?.json ?? .null }
    }

    public var output: OutputSpec {
        get { section("output") }
        set { options["output"] = newValue.json }
    }

    /// Reads and validates a spec file; relative paths in it start at its folder.
    /// Read and syntax errors name the file: "specs/a.json: line 3, column 5: expected ...".
    public static func load(path file: String, overrides: [SpecOverride] = []) throws -> Spec {
        let (bytes, context) = try SpecContext.read(file, noun: "spec")
        return try parse(bytes, context, file: file, overrides: overrides)
    }

    /// Validates spec text; relative paths in it start at `baseDirectory` (itself relative
    /// to the current directory unless absolute). A missing name defaults to "model".
    public static func parse(_ text: String, baseDirectory: String) throws -> Spec {
        try parse(Array(text.utf8), SpecContext(baseDirectory: absolute(baseDirectory), defaultName: "model"), file: "")
    }

    private static func parse(
        _ bytes: [UInt8], _ context: SpecContext, file: String, overrides: [SpecOverride] = []
    ) throws -> Spec {
        var json: JSON
        do {
            json = try JSON.parse(bytes: bytes)
        } catch let error as JSONSyntaxError {
            throw SpecError(path: file, message: error.description)
        }
        for override in overrides { json = try override.apply(to: json) }
        do {
            return try Spec(json: json, context)
        } catch let error as SpecError where error.path.isEmpty {
            throw SpecError(path: file, message: error.message)  // the document itself is wrong
        } catch let error as SpecError {
            // An error about a value a --set wrote (at, under or around its path) says so.
            func related(_ a: String, _ b: String) -> Bool {
                a == b || a.hasPrefix(b + ".") || a.hasPrefix(b + "[")
            }
            guard let override = overrides.last(where: { related(error.path, $0.path) || related($0.path, error.path) })
            else { throw error }
            throw SpecError(path: error.path, message: error.message + " (from --set \(override.text))")
        }
    }

    init(json: JSON, _ context: SpecContext) throws {
        var spec = try Spec.schema.validate(json, at: "", context)
        if spec["name"] == .null { spec["name"] = .string(context.defaultName) }
        options = spec.dictionary
        if output.isNull("dir") {
            output.dir = Spec.resolvePath("runs/" + name, from: context.baseDirectory)
        }
        try checkMonitors()
    }

    /// The spec with every default filled in, as the run folder's spec.json holds it;
    /// `Spec.parse` of its text gives back an equal Spec, from any folder.
    public func resolvedJSON() -> JSON {
        .object(object(order: Spec.schema.keys))
    }

    static let schema = Schema(
        "the spec",
        [
            Option(
                "name", .nullable(Spec.nameRule), default: nil,
                doc: "the run's name (a folder name); null: the spec file's name without extension"),
            Option(
                "seed", .count, default: 42,
                doc: "the seed every random stream derives from (weights, shuffles, splits, masks)"),
            Option("data", .object(DataSpec.schema), doc: "the data files and how they are read"),
            Option("model", .object(ModelSpec.schema), doc: "the network: its input shape and layers"),
            Option(
                "training", .object(TrainingSpec.schema),
                doc: "loss, metrics, optimizer and the arguments of Keras's fit"),
            Option(
                "early_stopping", .nullable(.object(EarlyStoppingSpec.schema)), default: nil,
                doc: "stop when a monitored quantity stops improving (Keras EarlyStopping); null: off"),
            Option(
                "checkpoint", .nullable(.object(CheckpointSpec.schema)), default: nil,
                doc: "save weights during training (Keras ModelCheckpoint); null: the final weights only"),
            Option(
                "augmentation", .nullable(.object(AugmentationSpec.schema)), default: nil,
                doc: "random transforms of training images (Keras ImageDataGenerator); null: none"),
            Option("output", .object(OutputSpec.schema), default: [:], doc: "where the run folder goes"),
        ],
        doc: "one run: the data, the model, how to train it, and where the results go")

    /// A monitor is "loss", a metric of training.metrics, or either with "val_"; a "val_"
    /// monitor that will be read needs validation data.
    private func checkMonitors() throws {
        var monitors: [(monitor: String, path: String, isRead: Bool)] = []
        if let earlyStopping { monitors.append((earlyStopping.monitor, "early_stopping.monitor", true)) }
        if let checkpoint { monitors.append((checkpoint.monitor, "checkpoint.monitor", checkpoint.saveBestOnly)) }
        if case .reduceOnPlateau(let plateau)? = training.lrSchedule {
            monitors.append((plateau.monitor, "training.lr_schedule.monitor", true))
        }
        for (monitor, path, isRead) in monitors { try checkMonitor(monitor, at: path, isRead: isRead) }
    }

    /// `monitor` names a quantity this spec's history records (loss or a metric, or their
    /// "val_" twins), and one that is read needs validation data; errors name `path`.
    /// `final`: the monitor is read from metrics.json's validation results (a sweep's
    /// objective), which for a time series also hold val_naive_loss and val_skill.
    public func checkMonitor(_ monitor: String, at path: String, isRead: Bool = true, final: Bool = false) throws {
        var valid = (["loss"] + training.metrics).flatMap { [$0, "val_" + $0] }
        if final && data.sequence != nil { valid += ["val_naive_loss", "val_skill"] }
        guard valid.contains(monitor) else {
            throw SpecError.unknown("monitor", monitor, validNames: valid, at: path)
        }
        if isRead && monitor.hasPrefix("val_") && !data.hasValidation {
            throw SpecError(
                path: path,
                message: "\(JSON.quote(monitor)) needs validation data; set data.validation or data.validation_split")
        }
    }

    private func section<S: SpecSection>(_ key: String) -> S { S(options: value(key).objectValue!.dictionary) }
}

extension Spec {
    /// The run's name, used as a folder name: no "/", not "." or "..".
    fileprivate static let nameRule = Rule.custom(what: "a name", jsonSchema: ["type": "string", "minLength": 1]) {
        value, path, _ in
        guard let name = value.stringValue, !name.isEmpty else {
            throw SpecError.expected("a non-empty string", got: value, at: path)
        }
        guard !name.contains("/"), name != ".", name != "..", !name.unicodeScalars.contains(where: { $0.value < 0x20 })
        else {
            throw SpecError(path: path, message: "must be usable as a folder name (no \"/\"), got \(JSON.quote(name))")
        }
        return value
    }

    /// `path` made absolute against the current directory.
    static func absolute(_ path: String) -> String {
        resolvePath(path, from: FileManager.default.currentDirectoryPath)
    }

    /// `path` made absolute against `base` and normalised ("a/./b/../c" -> "a/c").
    /// "-" (standard input) is kept as is.
    static func resolvePath(_ path: String, from base: String) -> String {
        if path == "-" { return path }
        let full = path.hasPrefix("/") ? path : base + "/" + path
        var parts: [Substring] = []
        for part in full.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}

extension SpecContext {
    /// Reads a JSON file the user names (a spec, a sweep): its bytes, and the context its
    /// relative paths start from (its folder) with its name without extension as the default
    /// name. Errors name the file.
    static func read(_ file: String, noun: String) throws -> ([UInt8], SpecContext) {
        guard !file.isEmpty else {
            throw SpecError(path: noun.uppercased(), message: "is empty; give the \(noun) file's path")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) else {
            throw SpecError(path: file, message: "no such file")
        }
        guard !isFolder.boolValue else { throw SpecError(path: file, message: "is a folder, not a \(noun) file") }
        guard let bytes = FileManager.default.contents(atPath: file) else {
            throw SpecError(path: file, message: "cannot be read")
        }
        let slash = file.lastIndex(of: "/")
        let folder = slash.map { $0 == file.startIndex ? "/" : String(file[..<$0]) } ?? "."
        let fileName = slash.map { String(file[file.index(after: $0)...]) } ?? file
        let stem = fileName.lastIndex(of: ".").map { String(fileName[..<$0]) } ?? fileName
        return (
            Array(bytes),
            SpecContext(baseDirectory: Spec.absolute(folder), defaultName: stem.isEmpty ? "model" : stem)
        )
    }
}
