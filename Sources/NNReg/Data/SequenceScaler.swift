/// Scaling of a series' features and target, fitted on the training part only and stored
/// with the model, with the inverse that turns predictions back into target units.
///
/// Inputs, x: (N, window, F): x *= rescale; then "featurewise" (x - mean_f) / (std_f + 1e-6)
/// with one mean and std per feature over every row of the training part (each row
/// counted once, however many windows hold it); or "samplewise" per sample, as `Normalizer`.
///
/// Target, y: (N, horizon): scaled like its column: y *= rescale, then under "featurewise"
/// (y - targetMean) / (targetStd + 1e-6) with the target column's statistics over the
/// training rows (the same numbers as its feature statistics when the target is a
/// feature). Samplewise has no statistics for rows not yet seen, so it leaves the target
/// rescaled only. `unscaleTarget` inverts this for predictions.
///
/// The generic `Normalizer` cannot be fitted on windows (it would keep one statistic per
/// (step, feature) element, over overlapping windows); but with the per-feature statistics
/// tiled over the window (`normalizer(window:)`) it applies exactly this input transform,
/// so the model file's "normalization.mean/std" tensors and `SavedModel` work unchanged.
public struct SequenceScaler: Equatable, Sendable {
    public var rescale: Float
    public var mode: Normalizer.Mode
    public var featureNames: [String]
    public var targetName: String
    /// Per feature, featurewise only (empty otherwise).
    public var mean: [Float] = []
    public var std: [Float] = []
    /// The target column's training statistics, featurewise only (0 and 1 otherwise).
    public var targetMean: Float = 0
    public var targetStd: Float = 1

    public init(rescale: Float = 1, mode: Normalizer.Mode = .none, featureNames: [String], targetName: String) {
        self.rescale = rescale
        self.mode = mode
        self.featureNames = featureNames
        self.targetName = targetName
    }

    /// Fits on the rows of the training part (raw values; `rescale` applied while
    /// accumulating, in Double; population std, as `Normalizer` and Keras).
    public static func fit(_ train: SequenceSeries, rescale: Float, mode: Normalizer.Mode) -> SequenceScaler {
        var s = SequenceScaler(
            rescale: rescale, mode: mode, featureNames: train.featureNames, targetName: train.targetName)
        guard mode == .featurewise else { return s }
        let n = train.count, f = train.featureCount
        func moments(_ value: (Int) -> Float) -> (mean: Float, std: Float) {
            var sum = 0.0, sum2 = 0.0
            for r in 0..<n {
                let v = Double(value(r) * rescale)
                sum += v
                sum2 += v * v
            }
            let m = sum / Double(max(n, 1))
            return (Float(m), Float(max(sum2 / Double(max(n, 1)) - m * m, 0).squareRoot()))
        }
        for j in 0..<f {
            let (m, sd) = moments { train.features[$0 * f + j] }
            s.mean.append(m)
            s.std.append(sd)
        }
        if let t = train.targetFeature {
            (s.targetMean, s.targetStd) = (s.mean[t], s.std[t])
        } else {
            (s.targetMean, s.targetStd) = moments { train.target[$0] }
        }
        return s
    }

    /// The input transform as a generic `Normalizer` for samples of `window` steps: the
    /// featurewise statistics repeated for every step (index t * F + f).
    public func normalizer(window: Int) -> Normalizer {
        var n = Normalizer(rescale: rescale, mode: mode)
        if mode == .featurewise {
            n.mean = Array((0..<window).map { _ in mean }.joined())
            n.std = Array((0..<window).map { _ in std }.joined())
        }
        return n
    }

    /// Scales inputs x: (N, window, F) in place.
    public func apply(_ x: Tensor) {
        precondition(
            x.shape.count == 3 && x.shape[2] == featureNames.count,
            "sequence inputs must be (N, window, \(featureNames.count)), got \(x.shape)")
        normalizer(window: x.shape[1]).apply(x)
    }

    /// Scales a split's rows and targets in place: the rows elementwise (rescale, then the
    /// featurewise statistics), exactly as `apply` scales each window; "samplewise" is per
    /// window, so the split applies it as it fills batches.
    public func scale(_ split: SequenceSplit) {
        if mode == .samplewise {
            Normalizer(rescale: rescale, mode: .none).apply(split.rows)
            split.standardizesWindows = true
        } else {
            normalizer(window: 1).apply(split.rows)
        }
        scaleTarget(split.y)
    }

    /// Scales targets y: (N, horizon) in place (NaN stays NaN).
    public func scaleTarget(_ y: Tensor) {
        let p = y.data
        let featurewise = mode == .featurewise
        for i in 0..<y.count {
            let v = p[i] * rescale
            p[i] = featurewise ? (v - targetMean) / (targetStd + Normalizer.epsilon) : v
        }
    }

    /// Maps scaled values (predictions, (N, horizon)) back to target units, in place.
    public func unscaleTarget(_ y: Tensor) {
        for i in 0..<y.count { y.data[i] = unscaleTarget(y.data[i]) }
    }

    /// One scaled value back in target units: the inverse of `scaleTarget`.
    public func unscaleTarget(_ v: Float) -> Float {
        let u = mode == .featurewise ? v * (targetStd + Normalizer.epsilon) + targetMean : v
        return u / rescale
    }

    /// A level of the target (raw) in the scaled units final metrics use: `scaleTarget`'s map.
    public func scaleLevel(_ v: Float) -> Float {
        let u = v * rescale
        return mode == .featurewise ? (u - targetMean) / (targetStd + Normalizer.epsilon) : u
    }

    /// Everything but the input statistics (which go in the model file as the tiled
    /// `normalizer(window:)` tensors), as compact JSON for the model file's metadata.
    public var metadataJSON: String {
        let doc: JSON = [
            "features": .array(featureNames.map(JSON.string)),
            "target": .string(targetName),
            "target_mean": JSON(targetMean),
            "target_std": JSON(targetStd),
        ]
        return doc.compact()
    }

    /// Rebuilds a scaler from `metadataJSON` and the model's `Normalizer` (rescale, mode,
    /// tiled statistics); nil when the metadata is not such a document.
    public init?(metadataJSON: String, normalizer: Normalizer) {
        guard let doc = try? JSON.parse(metadataJSON).objectValue,
            let features = doc["features"]?.arrayValue?.compactMap(\.stringValue),
            let target = doc["target"]?.stringValue,
            let targetMean = doc["target_mean"]?.doubleValue, let targetStd = doc["target_std"]?.doubleValue
        else { return nil }
        self.init(rescale: normalizer.rescale, mode: normalizer.mode, featureNames: features, targetName: target)
        self.targetMean = Float(targetMean)
        self.targetStd = Float(targetStd)
        if mode == .featurewise {
            guard !features.isEmpty, normalizer.mean.count >= features.count,
                normalizer.mean.count % features.count == 0, normalizer.std.count == normalizer.mean.count
            else { return nil }
            mean = Array(normalizer.mean.prefix(features.count))
            std = Array(normalizer.std.prefix(features.count))
        }
    }
}
