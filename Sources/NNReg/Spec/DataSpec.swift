/// The spec's "data" section (docs/spec-reference.md, "data"). Paths are absolute, resolved against the
/// spec file's folder; "-" means standard input.
public struct DataSpec: SpecSection, Equatable, Sendable {
    public var path: String { "data" }
    public var options: [String: JSON]

    /// A CSV file, or a folder of class subfolders of images.
    public var train: String { string("train") }
    public var validation: String? { optionalString("validation") }
    public var test: String? { optionalString("test") }
    /// The label column; nil: the last column.
    public var label: CSV.Column? { isNull("label") ? nil : CSV.Column(canonical: value("label")) }
    /// Raw inputs are multiplied by this first (1 when not given).
    public var rescale: Double { double("rescale") }
    public var normalization: Normalizer.Mode { choice("normalization") }
    public var validationSplit: Double { double("validation_split") }
    /// [height, width]; nil: the size of the first image.
    public var imageSize: [Int]? { isNull("image_size") ? nil : ints("image_size") }
    public var colorMode: ImageFolder.ColorMode { choice("color_mode") }
    public var sequence: SequenceSpec? {
        isNull("sequence") ? nil : SequenceSpec(view: OptionsView(value("sequence"), at: specPath(path, "sequence")))
    }
    public var testSplit: Double { double("test_split") }
    public var missing: CSV.MissingPolicy { choice("missing") }
    public var onBadFile: ImageFolder.BadFilePolicy { choice("on_bad_file") }
    /// Fixed label order; nil: sorted class names (folders) or sorted label values (CSV).
    public var classNames: [String]? {
        isNull("class_names") ? nil : strings("class_names")
    }

    /// Image folders held in memory (compact), streamed from disk every epoch, or chosen by size.
    public var cache: DataCache { choice("cache") }

    /// Images declaring more pixels are refused before they are decoded.
    public var maxImagePixels: Int { int("max_image_pixels") }

    /// Whether training will have validation data (a file, or a split of train).
    public var hasValidation: Bool { validation != nil || validationSplit > 0 }

    init(options: [String: JSON]) { self.options = options }

    static let schema = Schema(
        "data",
        [
            Option(
                "train", .path,
                doc: "training data: a CSV file (\"-\": standard input) or a folder of class subfolders"),
            Option(
                "validation", .nullable(.path), default: nil,
                doc: "validation data in the same form; null: none, or validation_split"),
            Option(
                "test", .nullable(.path), default: nil,
                doc: "test data, evaluated after training; null: none, or test_split"),
            Option(
                "label", .nullable(.column), default: nil,
                doc: "the CSV label column, by name or 0-based index; null: the last column"),
            Option(
                "rescale", .number(.positive), default: 1,
                doc: "raw inputs are multiplied by this first (1/255 for pixels)"),
            Option(
                "normalization", .cases("normalization", Normalizer.Mode.self), default: "none",
                doc: "standardize by the training split's mean and std per feature, or each sample by its own"),
            Option(
                "validation_split", .number(.fraction), default: 0,
                doc: "fraction of the training data held out for validation (seeded, stratified)"),
            Option(
                "image_size", .nullable(.size), default: nil,
                doc: "images are resized to [height, width]; null: the size of the first image"),
            Option(
                "color_mode", .cases("color mode", ImageFolder.ColorMode.self), default: "rgb",
                doc: "images are read with 1 channel (grayscale) or 3 (rgb)"),
            Option(
                "sequence", .nullable(.object(SequenceSpec.schema)), default: nil,
                doc: "sliding windows over the CSV's rows, for recurrent layers; null: one sample per row"),
            Option(
                "test_split", .number(.fraction), default: 0,
                doc: "fraction of the training data held out as test data, before validation_split"),
            Option(
                "missing", .cases("missing-value policy", CSV.MissingPolicy.self), default: "error",
                doc: "empty or NaN CSV cells: an error, the row dropped, or interpolated linearly down the column"),
            Option(
                "on_bad_file", .cases("bad-file policy", ImageFolder.BadFilePolicy.self), default: "error",
                doc: "an image that cannot be read: an error, or skipped with a warning"),
            Option(
                "class_names", .nullable(.list(.string, what: "a list of class names", unique: true)), default: nil,
                doc: "label order; null: sorted class folder names or sorted label values"),
            Option(
                "cache", .cases("cache mode", DataCache.self), default: "auto",
                doc:
                    "image folders and CSV files: \"memory\" reads them once into memory (compact), \"none\" reads each "
                    + "batch from disk every epoch (memory set by the batch), \"auto\" memory when the set fits in a "
                    + "quarter of RAM"),
            Option(
                "max_image_pixels", .positiveInt, default: .number(Double(ImageCodec.defaultMaxPixels)),
                doc: "an image (or image_size) of more pixels is an error, checked before decoding"),
        ],
        doc: "where the data comes from: a CSV file or class folders of images, and its splits",
        check: { data, path in
            if data["validation_split"] != 0 && data["validation"] != .null {
                throw SpecError(
                    path: specPath(path, "validation_split"), message: "cannot be used with data.validation")
            }
            if data["test_split"] != 0 && data["test"] != .null {
                throw SpecError(path: specPath(path, "test_split"), message: "cannot be used with data.test")
            }
            if let size = data["image_size"]?.arrayValue?.compactMap(\.intValue), size.count == 2,
                let limit = data["max_image_pixels"]?.intValue,
                size[0].multipliedReportingOverflow(by: size[1]).overflow || size[0] * size[1] > limit
            {
                throw SpecError(
                    path: specPath(path, "image_size"),
                    message: "\(size[0]) x \(size[1]) pixels is more than data.max_image_pixels (\(limit))")
            }
            if data["label"] != .null && data["sequence"] != .null {
                throw SpecError(
                    path: specPath(path, "label"), message: "not used with data.sequence; set data.sequence.target")
            }
        })
}

/// data.sequence: sliding windows over a CSV's rows for recurrent layers. Input i is rows
/// i..<i+window of `features`; its target is `target` at row i+window-1+horizon.
public struct SequenceSpec: Equatable, Sendable {
    public var window: Int
    public var horizon: Int
    /// nil: the last column.
    public var target: CSV.Column?
    /// nil: every column (the target included).
    public var features: [CSV.Column]?
    /// What the model forecasts: the target's levels, or their changes (`TargetTransform`).
    public var targetTransform: TargetTransform = .none
    /// Rows in one season, for the seasonal naive baseline; nil: none.
    public var season: Int? = nil
}

extension SequenceSpec {
    init(view: OptionsView) {
        window = view.int("window")
        horizon = view.int("horizon")
        target = view.isNull("target") ? nil : CSV.Column(canonical: view.value("target"))
        features = view.isNull("features") ? nil : view.value("features").arrayValue!.map(CSV.Column.init(canonical:))
        targetTransform = view.choice("target_transform")
        season = view.optionalInt("season")
    }

    static let schema = Schema(
        "sequence",
        [
            Option("window", .positiveInt, doc: "rows in each input window"),
            Option(
                "horizon", .positiveInt, default: 1,
                doc: "the target is taken this many rows after the window's last row"),
            Option("target", .nullable(.column), default: nil, doc: "the column to predict; null: the last column"),
            Option(
                "features",
                .nullable(.list(.column, what: "a list of columns (names or 0-based indexes)", unique: true)),
                default: nil, doc: "the input columns; null: every column (the target included)"),
            Option(
                "target_transform", .cases("target transform", TargetTransform.self), default: "none",
                doc:
                    "the model forecasts the target's levels, or its changes x[t] - x[t-1] (\"difference\") or "
                    + "log x[t] - log x[t-1] (\"log_difference\", values > 0); metrics are reported on levels"),
            Option(
                "season", .nullable(.positiveInt), default: nil,
                doc:
                    "rows in one season (52 for weekly data with a yearly cycle), at most window: metrics.json "
                    + "also gives seasonal_naive_loss; null: no seasonal baseline"),
        ],
        doc: "windows of `window` rows predict `target` `horizon` rows after them",
        check: { sequence, path in
            if let season = sequence["season"]?.intValue, let window = sequence["window"]?.intValue, season > window {
                throw SpecError(
                    path: specPath(path, "season"),
                    message:
                        "\(season) is more than window \(window): the seasonal naive forecast takes the value one "
                        + "season before each target from the window")
            }
        })
}
