import Foundation

/// A trained model read back from a run folder or a .safetensors file, for evaluate and predict.
///
/// The file is self-contained: its metadata carries the resolved spec (to rebuild the
/// layers), the input shape, class names and the normalization; featurewise statistics
/// are tensors beside the weights. An ensemble file holds every member ("members.k.").
public final class SavedModel {
    public let path: String
    public let spec: Spec
    public let normalizer: Normalizer
    public let classNames: [String]?
    public let inputShape: [Int]
    /// The CSV columns it was trained on, matched by name in the data it reads; nil for
    /// images (and models saved before nnreg recorded them: columns by position).
    public let columns: ModelColumns?
    /// The scaling of a time-series model's columns and target, else nil.
    public let sequenceScaler: SequenceScaler?
    /// The training standardization of spec.augmentation (featurewise, samplewise, ZCA).
    let augmenter: Augmenter?
    /// The network, or an ensemble's members.
    public let ensemble: Ensemble

    /// `location`: a run folder (its model.safetensors) or a weights file.
    public init(location: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: location, isDirectory: &isDir) else {
            throw DataError("\(location): no such run folder or model file")
        }
        let path = isDir.boolValue ? location + "/model.safetensors" : location
        self.path = path
        let file = try SafeTensors.read(path)
        let meta = file.metadata
        func field(_ key: String) throws -> String {
            guard let v = meta[key] else {
                throw DataError("\(path): not an nnreg model (no \"\(key)\" in its metadata)")
            }
            return v
        }
        let spec = try Spec.parse(try field(ModelFile.Key.spec), baseDirectory: "/")
        guard let shape = try JSON.parse(try field(ModelFile.Key.inputShape)).arrayValue?.compactMap(\.intValue) else {
            throw DataError("\(path): bad input_shape metadata")
        }
        self.spec = spec
        inputShape = shape
        classNames = meta[ModelFile.Key.classes].flatMap { try? JSON.parse($0).arrayValue?.compactMap(\.stringValue) }
        var normalizer = Normalizer(
            rescale: Float(try field(ModelFile.Key.rescale)) ?? 1,
            mode: Normalizer.Mode(rawValue: try field(ModelFile.Key.normalization)) ?? .none)
        if normalizer.mode == .featurewise {
            guard let mean = file["normalization.mean"], let std = file["normalization.std"] else {
                throw DataError("\(path): featurewise normalization without its statistics")
            }
            normalizer.mean = mean.array
            normalizer.std = std.array
        }
        self.normalizer = normalizer
        columns = meta[ModelFile.Key.columns].flatMap { try? JSON.parse($0) }.flatMap(ModelColumns.init(json:))
        if spec.data.sequence != nil {
            guard let json = meta[ModelFile.Key.sequence],
                let scaler = SequenceScaler(metadataJSON: json, normalizer: normalizer)
            else {
                throw DataError("\(path): a time-series model without its sequence scaling metadata")
            }
            sequenceScaler = scaler
        } else {
            sequenceScaler = nil
        }
        if let a = spec.augmentation {
            var augmenter = Augmenter(a, rescale: Float(spec.data.rescale))
            augmenter.statistics.mean = file["augmentation.mean"]?.array ?? []
            augmenter.statistics.std = file["augmentation.std"]?.array ?? []
            augmenter.statistics.zca = file["augmentation.zca"]?.array ?? []
            augmenter.statistics.sampleShape = shape
            if augmenter.needsFit && augmenter.statistics.mean.isEmpty && augmenter.statistics.zca.isEmpty {
                throw DataError("\(path): the spec standardizes images but the file has no augmentation statistics")
            }
            self.augmenter = augmenter
        } else {
            augmenter = nil
        }
        let members = Int(meta[ModelFile.Key.members] ?? "1") ?? 1
        let classNames = self.classNames
        ensemble = Ensemble(
            try (0..<members).map { k in
                let model = try Model(
                    spec: spec, inputShape: shape, seed: 0, normalizer: normalizer, classNames: classNames)
                try ModelFile.loadWeights(
                    file, into: model.network, path: path, prefix: members > 1 ? "members.\(k)." : "")
                return model
            })
    }

    public var outputWidth: Int { ensemble.members[0].outputWidth }
    public var isClassifier: Bool { spec.training.loss.isCrossentropy }

    /// Reads labelled data the way the model was trained on (label column, class names,
    /// normalization) and encodes its targets. For a time series, the windows of the file
    /// (`forecast`: also those whose targets lie past its end, for predict).
    /// `unlabelled`: a CSV without the label column is read too (predict needs no labels).
    /// The data is streamed as the spec's data.cache says (a ZCA-whitened model's is held
    /// in memory): the caller checks `checkRead()` after its passes.
    public func load(_ dataPath: String, forecast: Bool = false, unlabelled: Bool = false) throws -> DataSource {
        if let scaler = sequenceScaler {
            let split = try windows(dataPath, scaler: scaler, forecast: forecast)
            return split
        }
        let raw = try DataLoader.read(
            dataPath, spec: spec.data, classNames: classNames,
            imageSize: inputShape.count == 3 ? Array(inputShape.prefix(2)) : nil, columns: columns,
            unlabelled: unlabelled, cache: augmenter?.zcaWhitening == true ? .memory : spec.data.cache)
        // Samples take the model's input shape, as training did (model.input_shape).
        let reshapes = raw.sampleShape.reduce(1, *) == inputShape.reduce(1, *)
        guard raw.sampleShape == inputShape || reshapes else {
            throw DataError("\(raw.source): samples have shape \(raw.sampleShape), the model takes \(inputShape)")
        }
        let y = try DataLoader.targets(
            raw, loss: spec.training.loss, outputs: outputWidth, lastLayer: spec.model.lastLayerPath)
        let data: DataSource
        if let x = raw.x {
            if x.sampleShape != inputShape { x.reshape(sampleShape: inputShape) }
            data = Dataset(samples: x, y: y, normalizer: normalizer)
        } else {
            data = DataLoader.stream(raw, spec: spec.data, y: y, sampleShape: inputShape, normalizer: normalizer)
        }
        guard let augmenter, augmenter.standardizes else { return data }
        return Experiment.standardized(data, augmenter, imageShape: inputShape)
    }

    func windows(_ dataPath: String, scaler: SequenceScaler, forecast: Bool) throws -> SequenceSplit {
        let split = try SequenceLoader.windows(
            .path(dataPath), options: SequenceOptions(spec.data), scaler: scaler, forecast: forecast)
        guard Array(split.x.shape.dropFirst()) == inputShape else {
            throw DataError(
                "\(split.source): windows of shape \(Array(split.x.shape.dropFirst())), the model takes \(inputShape)")
        }
        return split
    }

    /// predict's CSV for `dataPath`: classes and probabilities, values, or for a time
    /// series the forecasts in target units beside their timestamps.
    public func predictions(_ dataPath: String) throws -> (csv: String, count: Int) {
        if let scaler = sequenceScaler {
            let split = try windows(dataPath, scaler: scaler, forecast: true)
            return (SequenceLoader.predictionsCSV(split, predictions: predict(split), scaler: scaler), split.count)
        }
        let data = try load(dataPath, unlabelled: true)
        let outputs = predict(data)
        try data.checkRead()
        return (predictionsCSV(data, predictions: outputs), data.count)
    }

    /// Outputs for every row (probabilities for classifiers; the members' mean for an ensemble).
    public func predict(_ data: DataSource) -> Tensor { ensemble.predict(data) }

    /// Loss and the spec's metrics on `data`; for a time series on levels, with the naive
    /// baselines (`ForecastEvaluation`).
    public func evaluate(_ data: DataSource) -> [(String, Double)] {
        ensemble.evaluate(data, metrics: spec.training.metrics.map(makeMetric), forecast: forecastEvaluation)
    }

    /// A time-series model's final evaluation; nil for other models.
    public var forecastEvaluation: ForecastEvaluation? {
        sequenceScaler.map {
            ForecastEvaluation(scaler: $0, loss: spec.training.loss, season: spec.data.sequence?.season)
        }
    }

    /// Counts of (true class, predicted class = argmax) for a classifier.
    public func confusionMatrix(_ data: DataSource, predictions p: Tensor) -> [[Int]] {
        let k = max(outputWidth, 2)
        var m = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        let w = outputWidth
        for i in 0..<data.count {
            let row = p.data + i * w
            var pred = 0
            if w == 1 {
                pred = row[0] > 0.5 ? 1 : 0
            } else {
                pred = argmax(row, w)
            }
            var truth = 0
            if data.targetWidth == 1 {
                truth = Int(data.y[i])
            } else {
                truth = argmax(data.y.data + i * data.targetWidth, data.targetWidth)
            }
            m[truth][pred] += 1
        }
        return m
    }

    /// predictions.csv: per row the predicted class and each class's probability, or the values.
    public func predictionsCSV(_ data: DataSource, predictions p: Tensor) -> String {
        let w = outputWidth
        var out = ""
        let names = classNames ?? (0..<max(w, 2)).map(String.init)
        if isClassifier {
            let probs = w == 1 ? ["p_" + names[1]] : names.map { "p_" + $0 }
            out = (["row", "class"] + probs).map(csvField).joined(separator: ",") + "\n"
        } else {
            out = (["row"] + (w == 1 ? ["value"] : (0..<w).map { "value_\($0)" })).joined(separator: ",") + "\n"
        }
        for i in 0..<data.count {
            let row = p.data + i * w
            var fields = [csvField(data.rowNames?[i] ?? String(i + 1))]
            if isClassifier {
                var best = 0
                if w == 1 { best = row[0] > 0.5 ? 1 : 0 } else { best = argmax(row, w) }
                fields.append(csvField(names[best]))
            }
            for j in 0..<w { fields.append("\(row[j])") }
            out += fields.joined(separator: ",") + "\n"
        }
        return out
    }
}
