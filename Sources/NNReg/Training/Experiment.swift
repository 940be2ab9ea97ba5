import Foundation

/// A spec with its data read and prepared: what train, evaluate, summary and validate share.
///
/// Building it reads every data file, fits the normalizer on the training split, builds
/// the model (the first ensemble member's, kept for training) and encodes the targets for
/// the loss; any problem is a `SpecError` or `DataError` before a single step runs.
public final class Experiment {
    public let spec: Spec
    /// Tabular or image data (nil for a time series).
    public let data: PreparedData?
    /// A windowed time series (data.sequence), else nil.
    public let sequence: SequenceData?
    /// Input scaling fitted on the training split, saved with the model.
    public let normalizer: Normalizer
    public let inputShape: [Int]
    /// The model of ensemble member 0, built from the spec's seed.
    public let model: Model
    public var outputShape: [Int] { model.outputShape }
    public let train: DataSource
    public let validation: DataSource?
    public let test: DataSource?
    public let classWeights: [Float]?
    /// On-the-fly augmentation (spec.augmentation), with its standardization fitted on the
    /// training split; validation and test inputs are standardized with it already.
    public private(set) var augmenter: Augmenter?
    /// The training images the augmenter draws batches from.
    private var augmentedImages: DataSource?
    public var classNames: [String]? { data?.classNames }
    public var isClassifier: Bool { spec.training.loss.isCrossentropy }
    /// What reading the spec's data changed or noticed, for the user (printed once).
    public private(set) var notes: [String] = []

    /// Keras trains one batch of every sample when batch_size exceeds them: the spec's
    /// batch_size becomes the sample count (so no buffer is sized by the larger number).
    private static func clampBatch(_ spec: Spec, samples: Int, notes: inout [String]) -> Spec {
        guard spec.training.batchSize > samples, samples > 0 else { return spec }
        var spec = spec
        notes.append(
            "training.batch_size \(spec.training.batchSize) is more than the \(samples) training samples; "
                + "using \(samples)")
        spec.training.batchSize = samples
        return spec
    }

    /// Reads the spec's data: a time series (data.sequence) or labelled samples.
    public convenience init(spec: Spec) throws {
        if spec.data.sequence != nil {
            try self.init(sequenceSpec: spec)
        } else {
            try self.init(labelledSpec: spec)
        }
    }

    /// Labelled samples: CSV rows or images, one label each.
    private init(labelledSpec given: Spec) throws {
        let data = try DataLoader.load(given, classification: given.training.loss.isCrossentropy)
        let spec = Experiment.clampBatch(given, samples: data.train.count, notes: &notes)
        self.spec = spec
        let skipped = Set([data.train, data.validation, data.test].compactMap { $0 }.flatMap(\.skipped).map(\.path))
        if !skipped.isEmpty {
            let shown = skipped.sorted().prefix(3).joined(separator: ", ")
            notes.append(
                "data.on_bad_file \"skip\" left out \(skipped.count) image\(skipped.count == 1 ? "" : "s"): \(shown)"
                    + (skipped.count > 3 ? ", ..." : "") + " (the run folder's skipped_files.csv lists them)")
        }
        self.data = data
        sequence = nil
        normalizer = data.normalizer
        var shape = data.train.sampleShape
        if let declared = spec.model.inputShape, declared != shape {
            // Flat rows (a CSV of 784 pixels) take the declared shape (28, 28, 1) when the sizes agree.
            guard declared.reduce(1, *) == shape.reduce(1, *) else {
                throw SpecError(
                    path: "model.input_shape",
                    message:
                        "is \(declared) (\(declared.reduce(1, *)) values) but the training data has samples of shape \(shape)"
                )
            }
            // Streamed samples are read as they are and given the declared shape by their stream.
            for part in [data.train, data.validation, data.test] { part?.x?.reshape(sampleShape: declared) }
            shape = declared
        }
        inputShape = shape
        let model = try Model(
            spec: spec, inputShape: shape, seed: spec.seed, normalizer: normalizer, classNames: data.classNames)
        self.model = model
        let loss = spec.training.loss, units = model.outputWidth, normalizer = data.normalizer
        func encode(_ raw: RawData) throws -> DataSource {
            let y = try DataLoader.targets(raw, loss: loss, outputs: units, lastLayer: spec.model.lastLayerPath)
            guard let x = raw.x else {
                return DataLoader.stream(raw, spec: spec.data, y: y, sampleShape: shape, normalizer: normalizer)
            }
            return Dataset(samples: x, y: y, normalizer: normalizer)
        }
        let train = try encode(data.train)
        let augmenter = try Experiment.makeAugmenter(spec, inputShape: shape, train: train)
        func standardized(_ part: DataSource) -> DataSource {
            guard let augmenter, augmenter.standardizes else { return part }
            return Experiment.standardized(part, augmenter, imageShape: shape)
        }
        (self.train, self.validation, self.test) = (
            train, try data.validation.map(encode).map(standardized), try data.test.map(encode).map(standardized)
        )
        self.augmenter = augmenter
        augmentedImages = augmenter == nil ? nil : train
        let classes = loss.isCrossentropy ? max(units, 2) : 0
        classWeights = try DataLoader.classWeights(spec.training.classWeight, train: data.train, classes: classes)
    }

    /// `part` as inference sees it under spec.augmentation's standardization: standardized
    /// as each batch is gathered, or for ZCA (whose batched product would round apart from
    /// the whole set's) a Float32 copy standardized at once, as before.
    static func standardized(_ part: DataSource, _ augmenter: Augmenter, imageShape: [Int]) -> DataSource {
        // A stream is never ZCA-whitened: see makeAugmenter.
        if let stream = part as? SampleStream { return stream.standardized(by: augmenter) }
        let part = part as! Dataset
        guard augmenter.zcaWhitening else {
            return Dataset(samples: part.samples, y: part.y, normalizer: part.normalizer, standardizer: augmenter)
        }
        let x = part.gatherAll()
        augmenter.standardize(x, imageShape: imageShape, workspace: AugmentationWorkspace())
        return Dataset(x: x, y: part.y)
    }

    /// The spec's augmenter, its statistics fitted on the (normalized) training images.
    private static func makeAugmenter(_ spec: Spec, inputShape: [Int], train: DataSource) throws -> Augmenter? {
        guard let a = spec.augmentation else { return nil }
        guard inputShape.count == 3 else {
            throw SpecError(
                path: "augmentation",
                message:
                    "needs image inputs (height, width, channels): an image folder, or model.input_shape such as [28, 28, 1] for CSV pixels; the inputs are \(inputShape)"
            )
        }
        var augmenter = Augmenter(a, rescale: Float(spec.data.rescale))
        if augmenter.mixes && spec.training.loss.name == "sparse_categorical_crossentropy" {
            throw SpecError(
                path: "augmentation",
                message:
                    "mixup and cutmix mix the labels: use categorical_crossentropy (labels are one-hot encoded for it)")
        }
        if augmenter.zcaWhitening && train is SampleStream {
            throw SpecError(
                path: "augmentation.zca_whitening",
                message:
                    "fits on every training image in memory, but data.cache streams the training data; "
                    + "use data.cache \"memory\"")
        }
        // Keras's datagen.fit(x_train) on the normalized images, read a block at a time.
        if augmenter.needsFit { try augmenter.fit(train, imageShape: inputShape) }
        return augmenter
    }

    /// The training split as inference sees it (for measuring the training error): when
    /// spec.augmentation standardizes, a standardized copy, as validation is (training
    /// batches are standardized as they are drawn).
    public func inferenceTrainingData() -> DataSource {
        guard let augmenter, augmenter.standardizes else { return train }
        return Experiment.standardized(train, augmenter, imageShape: inputShape)
    }

    /// The training batches of member `member`, augmented on a worker thread.
    func augmentedBatches(member: Int) -> AugmentedBatches? {
        guard let images = augmentedImages else { return nil }
        return augmenter.map {
            AugmentedBatches(
                source: images, batchSize: spec.training.batchSize, augmenter: $0,
                seed: spec.seed &+ UInt64(member), imageShape: inputShape)
        }
    }

    /// A time series: windows (N, window, features) -> the next `horizon` targets.
    private init(sequenceSpec given: Spec) throws {
        let s = try SequenceLoader.load(given.data)
        let spec = Experiment.clampBatch(given, samples: s.train.count, notes: &notes)
        self.spec = spec
        sequence = s
        data = nil
        normalizer = s.scaler.normalizer(window: s.train.window)
        inputShape = s.inputShape
        if let declared = spec.model.inputShape, declared != inputShape {
            throw SpecError(
                path: "model.input_shape", message: "is \(declared) but the windows have shape \(inputShape)")
        }
        if spec.training.loss.isCrossentropy {
            throw SpecError(
                path: "training.loss",
                message:
                    "a time series forecast needs a regression loss (mse, mae, huber), got \(spec.training.loss.name)")
        }
        if spec.training.classWeight != nil {
            throw SpecError(
                path: "training.class_weight",
                message: "class weights need class labels; data.sequence forecasts values")
        }
        let model = try Model(
            spec: spec, inputShape: inputShape, seed: spec.seed, normalizer: normalizer, classNames: nil)
        self.model = model
        guard model.outputShape == [s.train.horizon] else {
            throw SpecError(
                path: spec.model.lastLayerPath,
                message:
                    "data.sequence.horizon is \(s.train.horizon), so the model must output (None, \(s.train.horizon)); it outputs (None, \(model.outputShape.map(String.init).joined(separator: ", ")))"
            )
        }
        train = s.train
        validation = s.validation
        test = s.test
        classWeights = nil
    }

    /// The model of ensemble member `member`: `model` for the first, else one freshly
    /// initialised from seed + member.
    public func makeModel(member: Int) throws -> Model {
        if member == 0 { return model }
        return try Model(
            spec: spec, inputShape: inputShape, seed: spec.seed &+ UInt64(member), normalizer: normalizer,
            classNames: classNames)
    }

    /// A time series' final evaluation on levels, with its naive baselines; nil for other data.
    public var forecastEvaluation: ForecastEvaluation? {
        sequence.map {
            ForecastEvaluation(scaler: $0.scaler, loss: spec.training.loss, season: spec.data.sequence?.season)
        }
    }

    /// The metrics the spec asks for, fresh.
    public func makeMetrics() -> [Metric] { spec.training.metrics.map(makeMetric) }

    /// Metadata every weights file of this run carries, so a file is usable on its own.
    public func weightsMetadata() -> [String: String] {
        var m: [String: String] = [
            ModelFile.Key.format: ModelFile.format,
            ModelFile.Key.spec: spec.resolvedJSON().compact(),
            ModelFile.Key.inputShape: JSON.array(inputShape.map { JSON($0) }).compact(),
            ModelFile.Key.rescale: "\(normalizer.rescale)",
            ModelFile.Key.normalization: normalizer.mode.rawValue,
        ]
        if let names = classNames { m[ModelFile.Key.classes] = JSON.array(names.map(JSON.string)).compact() }
        if let s = sequence { m[ModelFile.Key.sequence] = s.scaler.metadataJSON }
        if let columns = data?.train.columns { m[ModelFile.Key.columns] = columns.json.compact() }
        return m
    }
}
