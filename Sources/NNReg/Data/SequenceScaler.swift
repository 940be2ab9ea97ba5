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
///
/// Under a `TargetTransform` the model's target (and the target's input column) are the
/// target's changes, scaled by the changes' statistics over the training part; the level
/// statistics (`levelMean`, `levelStd`: those of the target's column without a
/// transform) scale the levels final metrics are reported in, so runs with and without a
/// transform report in the same units.
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
    /// What the model forecasts: levels, or changes.
    public var transform: TargetTransform = .none
    /// The target's level statistics over the training rows, featurewise only (0 and 1
    /// otherwise); equal to `targetMean` and `targetStd` without a transform.
    public var levelMean: Float = 0
    public var levelStd: Float = 1

    public init(rescale: Float = 1, mode: Normalizer.Mode = .none, featureNames: [String], targetName: String) {
        self.rescale = rescale
        self.mode = mode
        self.featureNames = featureNames
        self.targetName = targetName
    }

    /// Fits on the rows of the training part (raw values; `rescale` applied while
    /// accumulating, in Double; population std, as `Normalizer` and Keras): `train` as the
    /// model sees it, and under a transform the level statistics on `levels`, the same part
    /// untransformed (one row longer: `TargetTransform.apply`), so they equal the target
    /// statistics of the same spec without a transform.
    public static func fit(
        _ train: SequenceSeries, rescale: Float, mode: Normalizer.Mode, transform: TargetTransform = .none,
        levels: SequenceSeries? = nil
    ) -> SequenceScaler {
        var s = fitInputs(train, rescale: rescale, mode: mode)
        s.transform = transform
        (s.levelMean, s.levelStd) = (s.targetMean, s.targetStd)
        if transform != .none, let levels {
            let untransformed = fitInputs(levels, rescale: rescale, mode: mode)
            (s.levelMean, s.levelStd) = (untransformed.targetMean, untransformed.targetStd)
        }
        return s
    }

    private static func fitInputs(_ train: SequenceSeries, rescale: Float, mode: Normalizer.Mode) -> SequenceScaler {
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
        for i in 0..<y.count { p[i] = scale(p[i], targetMean, targetStd) }
    }

    /// Maps scaled values (predictions, (N, horizon)) back to target units, in place.
    public func unscaleTarget(_ y: Tensor) {
        for i in 0..<y.count { y.data[i] = unscaleTarget(y.data[i]) }
    }

    /// One scaled value back in target units (a change under a transform): the inverse of `scaleTarget`.
    public func unscaleTarget(_ v: Float) -> Float { unscale(v, targetMean, targetStd) }

    /// A level of the target (raw) in the scaled units final metrics use: `scaleTarget`'s
    /// map without a transform.
    public func scaleLevel(_ v: Float) -> Float { scale(v, levelMean, levelStd) }

    /// A scaled level back in target units: the inverse of `scaleLevel`.
    public func unscaleLevel(_ v: Float) -> Float { unscale(v, levelMean, levelStd) }

    /// The levels (raw) that a forecast of `horizon` scaled outputs leads to from the last
    /// observed level `last` (raw), written to `levels`: each output unscaled, then, under a
    /// transform, the changes accumulated from `last` (`TargetTransform.level(after:change:)`).
    public func forecastLevels(
        _ outputs: UnsafePointer<Float>, horizon: Int, last: Float, into levels: UnsafeMutablePointer<Float>
    ) {
        var level = last
        for k in 0..<horizon {
            level = transform.level(after: level, change: unscaleTarget(outputs[k]))
            levels[k] = level
        }
    }

    private func scale(_ v: Float, _ mean: Float, _ std: Float) -> Float {
        let u = v * rescale
        return mode == .featurewise ? (u - mean) / (std + Normalizer.epsilon) : u
    }

    private func unscale(_ v: Float, _ mean: Float, _ std: Float) -> Float {
        let u = mode == .featurewise ? v * (std + Normalizer.epsilon) + mean : v
        return u / rescale
    }

    /// Everything but the input statistics (which go in the model file as the tiled
    /// `normalizer(window:)` tensors), as compact JSON for the model file's metadata.
    /// The transform and level statistics are written only under a transform (a file
    /// without them has none).
    public var metadataJSON: String {
        var doc: [(String, JSON)] = [
            ("features", .array(featureNames.map(JSON.string))),
            ("target", .string(targetName)),
            ("target_mean", JSON(targetMean)),
            ("target_std", JSON(targetStd)),
        ]
        if transform != .none {
            doc += [
                ("target_transform", .string(transform.rawValue)), ("level_mean", JSON(levelMean)),
                ("level_std", JSON(levelStd)),
            ]
        }
        return JSON.object(.init(doc)).compact()
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
        levelMean = self.targetMean
        levelStd = self.targetStd
        if let name = doc["target_transform"]?.stringValue {
            guard let transform = TargetTransform(rawValue: name), let mean = doc["level_mean"]?.doubleValue,
                let std = doc["level_std"]?.doubleValue
            else { return nil }
            self.transform = transform
            (levelMean, levelStd) = (Float(mean), Float(std))
        }
        if mode == .featurewise {
            guard !features.isEmpty, normalizer.mean.count >= features.count,
                normalizer.mean.count % features.count == 0, normalizer.std.count == normalizer.mean.count
            else { return nil }
            mean = Array(normalizer.mean.prefix(features.count))
            std = Array(normalizer.std.prefix(features.count))
        }
    }
}
