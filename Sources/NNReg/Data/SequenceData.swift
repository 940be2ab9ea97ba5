/// `data.sequence`: a CSV time series -> chronological parts -> windows -> scaled tensors.
///
/// ```swift
/// let data = try SequenceLoader.load(spec.data)   // spec.data.sequence != nil
/// // data.train.x: (N, window, F), data.train.y: (N, horizon), data.train.timestamps
/// ```
/// Order of work: read the series (missing values handled by the CSV reader, before
/// anything else), split it in time order (test, then validation, from the end), fit the
/// scaler on the training rows only, then window each part on its own and scale it.

/// What the sequence loader needs from the spec's data section.
public struct SequenceOptions: Sendable {
    public var window: Int
    public var horizon: Int
    /// nil: the last column that is not the timestamp column.
    public var target: CSV.Column?
    /// nil: every column but the timestamp column (the target included).
    public var features: [CSV.Column]?
    public var missing: CSV.MissingPolicy
    public var validationSplit: Double
    public var testSplit: Double
    public var rescale: Float
    public var normalization: Normalizer.Mode
    public var transform: TargetTransform

    public init(
        window: Int, horizon: Int = 1, target: CSV.Column? = nil, features: [CSV.Column]? = nil,
        missing: CSV.MissingPolicy = .error, validationSplit: Double = 0, testSplit: Double = 0,
        rescale: Float = 1, normalization: Normalizer.Mode = .none, transform: TargetTransform = .none
    ) {
        self.window = window
        self.horizon = horizon
        self.target = target
        self.features = features
        self.missing = missing
        self.validationSplit = validationSplit
        self.testSplit = testSplit
        self.rescale = rescale
        self.normalization = normalization
        self.transform = transform
    }

    /// The options of `data`, whose `sequence` must be set.
    public init(_ data: DataSpec) {
        guard let sequence = data.sequence else { preconditionFailure("data.sequence is not set") }
        self.init(
            window: sequence.window, horizon: sequence.horizon, target: sequence.target, features: sequence.features,
            missing: data.missing, validationSplit: data.validationSplit,
            testSplit: data.testSplit, rescale: Float(data.rescale),
            normalization: data.normalization, transform: sequence.targetTransform)
    }
}

/// A spec's sequence data, split, windowed and scaled.
public struct SequenceData {
    /// Scaled samples; x: (N, window, F), y: (N, horizon).
    public var train: SequenceSplit
    public var validation: SequenceSplit?
    public var test: SequenceSplit?
    /// Fitted on the training rows only; `scaler.forecastLevels` turns predictions back into target units.
    public var scaler: SequenceScaler
    /// The training file's series, raw, and the rows of each part cut from it (the
    /// validation and test ranges are nil when they came from their own files or not at all).
    public var series: SequenceSeries
    public var trainRows: Range<Int>
    public var validationRows: Range<Int>?
    public var testRows: Range<Int>?

    /// A model's sample shape: [window, F].
    public var inputShape: [Int] { [train.window, train.featureCount] }
}

public enum SequenceLoader {
    /// Loads the spec's train (and validation, test) files as sequences: see `load(train:validation:test:options:)`.
    public static func load(_ data: DataSpec) throws -> SequenceData {
        try load(
            train: .path(data.train), validation: data.validation.map(CSV.Source.path),
            test: data.test.map(CSV.Source.path), options: SequenceOptions(data))
    }

    /// Reads the training series, takes test_split then validation_split off its end when
    /// no such file is given (`SequenceWindows.chronologicalSplit`), fits the scaler on
    /// the training rows, then windows and scales each part. Validation and test files
    /// are windowed whole, with the same columns and scaler. Each part must be long enough
    /// for one window and its horizon; the error says which part and how many rows it has.
    ///
    /// Under `options.transform` the parts are the same rows, split before the transform;
    /// a part's first change is from the row before it, so the validation and test
    /// windows are those without a transform, while the training part and each file lose
    /// their first row (it has no previous row): one window fewer.
    public static func load(
        train: CSV.Source, validation: CSV.Source? = nil, test: CSV.Source? = nil, options: SequenceOptions
    ) throws -> SequenceData {
        let levels = try SequenceSeries.read(
            train, target: options.target, features: options.features, missing: options.missing)
        let transform = options.transform
        let series = try transform.apply(levels)
        let parts = SequenceWindows.chronologicalSplit(
            rows: levels.count, validationSplit: validation == nil ? options.validationSplit : 0,
            testSplit: test == nil ? options.testSplit : 0)
        let trainPart = series.rows(transform.rows(of: parts.train))
        let scaler = SequenceScaler.fit(
            trainPart, rescale: options.rescale, mode: options.normalization, transform: transform,
            levels: levels.rows(parts.train))

        func windows(_ part: SequenceSeries, _ what: String, firstRowLost: Bool) throws -> SequenceSplit {
            let needed = options.window + options.horizon
            guard part.count >= needed else {
                let count =
                    firstRowLost && transform != .none
                    ? "\(rows(part.count + 1)), \(part.count) after data.sequence.target_transform "
                        + "\"\(transform.rawValue)\" (the first row has no previous row)"
                    : rows(part.count)
                throw DataError(
                    "\(part.source): the \(what) has \(count); a window of \(options.window) "
                        + "and a horizon of \(options.horizon) need at least \(needed) rows")
            }
            let split = SequenceWindows.make(part, window: options.window, horizon: options.horizon)
            scaler.scale(split)
            return split
        }
        func file(_ source: CSV.Source, _ what: String) throws -> SequenceSplit {
            let s = try SequenceSeries.read(
                source, target: options.target, features: options.features, missing: options.missing)
            try check(s, against: scaler)
            return try windows(try transform.apply(s), what, firstRowLost: true)
        }
        func describe(_ name: String, _ fraction: Double, _ rows: Range<Int>) -> String {
            "\(name) part (data.\(name)_split \(fraction): rows \(rows.lowerBound + 1)-\(rows.upperBound) "
                + "of \(series.count))"
        }
        let trainWhat =
            parts.validation == nil && parts.test == nil
            ? "series" : "training part (rows 1-\(parts.train.upperBound) of \(series.count))"
        func part(_ name: String, _ fraction: Double, _ rows: Range<Int>) throws -> SequenceSplit {
            try windows(
                series.rows(transform.rows(of: rows)), describe(name, fraction, rows), firstRowLost: false)
        }
        return SequenceData(
            train: try windows(trainPart, trainWhat, firstRowLost: true),
            validation: try validation.map { try file($0, "validation file") }
                ?? parts.validation.map { try part("validation", options.validationSplit, $0) },
            test: try test.map { try file($0, "test file") }
                ?? parts.test.map { try part("test", options.testSplit, $0) },
            scaler: scaler, series: levels, trainRows: parts.train, validationRows: parts.validation,
            testRows: parts.test)
    }

    /// Windows of new data (`nnreg evaluate`, `nnreg predict`) for a model trained with
    /// `scaler`: the same columns, scaled the same way. `forecast` (predict) also makes
    /// the windows whose targets run past the end of the data, so the last sample is the
    /// forecast from the last `window` rows; their y are NaN.
    public static func windows(
        _ source: CSV.Source, options: SequenceOptions, scaler: SequenceScaler, forecast: Bool
    ) throws -> SequenceSplit {
        let levels = try SequenceSeries.read(
            source, target: options.target, features: options.features, missing: options.missing)
        try check(levels, against: scaler)
        let extra = scaler.transform == .none ? 0 : 1
        let needed = (forecast ? options.window : options.window + options.horizon) + extra
        guard levels.count >= needed else {
            throw DataError(
                "\(levels.source): \(rows(levels.count)); a window of \(options.window)"
                    + (forecast ? " needs" : " and a horizon of \(options.horizon) need") + " at least \(needed) rows"
                    + (extra == 0
                        ? "" : " (one more for data.sequence.target_transform \"\(scaler.transform.rawValue)\")"))
        }
        let series = try scaler.transform.apply(levels)
        let split = SequenceWindows.make(series, window: options.window, horizon: options.horizon, forecast: forecast)
        scaler.scale(split)
        return split
    }

    private static func rows(_ n: Int) -> String { n == 1 ? "1 row" : "\(n) rows" }

    /// Another file's series must have the training columns, in the same order.
    static func check(_ series: SequenceSeries, against scaler: SequenceScaler) throws {
        guard series.featureNames == scaler.featureNames, series.targetName == scaler.targetName else {
            throw DataError(
                "\(series.source): features \(series.featureNames) and target \"\(series.targetName)\"; "
                    + "the training data has features \(scaler.featureNames) and target \"\(scaler.targetName)\"")
        }
    }

    /// Predictions as CSV, in target units (levels, the transform undone:
    /// `SequenceScaler.forecastLevels`): the timestamp of each sample's first predicted
    /// row (the column is named after the file's timestamp column, or "row"), then the
    /// target's name for horizon 1, or "<target>_t+1" ... "<target>_t+H".
    /// `predictions`: (N, horizon), scaled as the model outputs them; left unchanged.
    public static func predictionsCSV(_ split: SequenceSplit, predictions: Tensor, scaler: SequenceScaler) -> String {
        let timestampColumn = split.timestampColumn
        let h = predictions.sampleSize
        precondition(
            predictions.shape[0] == split.count, "\(predictions.shape[0]) predictions for \(split.count) samples")
        let values = h == 1 ? [scaler.targetName] : (1...h).map { "\(scaler.targetName)_t+\($0)" }
        var out = ([timestampColumn ?? "row"] + values).map(csvField).joined(separator: ",") + "\n"
        var levels = [Float](repeating: 0, count: h)
        for i in 0..<split.count {
            var fields = [csvField(split.timestamps[i])]
            scaler.forecastLevels(predictions.data + i * h, horizon: h, last: split.lastLevel(i), into: &levels)
            for k in 0..<h { fields.append("\(levels[k])") }
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }
}
