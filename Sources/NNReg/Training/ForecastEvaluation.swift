import Foundation

/// The final metrics of a time-series model (metrics.json's "test" and "validation",
/// `nnreg evaluate`), beside the naive forecasts it has to beat.
///
/// Every number is in the scaled units of the target's level (`SequenceScaler.scaleLevel`,
/// the units `loss` has without a transform), on the same windows:
/// - `loss` and the metrics: the model's forecasts against the targets' levels. Under a
///   target transform the forecast is the predicted changes accumulated from the last
///   observed level (`SequenceScaler.forecastLevels`). `loss` holds the weight penalty of
///   the model's regularizers, as Keras reports it (none for an ensemble's average).
/// - `naive_loss`: the spec's loss of the persistence forecast: each of the `horizon`
///   targets forecast as the last observed level of the target in its window.
/// - `skill`: 1 - data loss / naive_loss, where the data loss is `loss` without the weight
///   penalty, so that both sides measure forecasts only; when there is a penalty it is
///   written too, as `data_loss`. Above 0 the model beats persistence; 0 ties it; below 0
///   it forecasts worse than repeating the last value.
/// - `seasonal_naive_loss` (only with data.sequence.season S): each target forecast as the
///   latest value a whole number of seasons before it that the window holds: target k
///   (0-based) takes the row S * ceil((k + 1) / S) rows before it.
public struct ForecastEvaluation {
    public let scaler: SequenceScaler
    public let loss: LossConfig
    public let season: Int?

    public init(scaler: SequenceScaler, loss: LossConfig, season: Int? = nil) {
        self.scaler = scaler
        self.loss = loss
        self.season = season
    }

    /// [("loss", ...), metrics..., ("naive_loss", ...), ("skill", ...)], then
    /// ("seasonal_naive_loss", ...) with a season and ("data_loss", ...) with a penalty.
    public func evaluate(_ ensemble: Ensemble, on split: SequenceSplit, metrics: [Metric]) -> [(String, Double)] {
        let judged: Model.Judged? =
            scaler.transform == .none
            ? nil : { first, output, target in levels(split, first: first, output: output, target: target) }
        var values = ensemble.evaluate(split, metrics: metrics, judged: judged)
        let penalty = ensemble.weightPenalty
        let data = values[0].1 - penalty
        let naive = naiveLoss(split)
        values += [("naive_loss", naive), ("skill", 1 - data / naive)]
        if let season { values.append(("seasonal_naive_loss", naiveLoss(split, season: season))) }
        if penalty > 0 { values.append(("data_loss", data)) }
        return values
    }

    /// Rows `first`..<`first` + n of `split`: the model's outputs become the scaled levels
    /// they forecast, and the targets the scaled levels of the target rows, in place.
    func levels(_ split: SequenceSplit, first: Int, output: Tensor, target: Tensor) {
        let h = split.horizon
        for r in 0..<output.shape[0] {
            let i = first + r, row = output.data + r * h
            scaler.forecastLevels(row, horizon: h, last: split.lastLevel(i), into: row)
            for k in 0..<h {
                row[k] = scaler.scaleLevel(row[k])
                target[r * h + k] = scaler.scaleLevel(split.level(i, k))
            }
        }
    }

    /// The spec's loss, in scaled level units, of the persistence forecast on `split`'s
    /// windows, or with `season` of the seasonal naive forecast (see the type's comment).
    public func naiveLoss(_ split: SequenceSplit, season: Int? = nil) -> Double {
        let n = split.count, h = split.horizon, w = split.window
        let forecast = Tensor(shape: [n, h]), target = Tensor(shape: [n, h])
        for i in 0..<n {
            for k in 0..<h {
                let row = season.map { s in i + w + k - s * ((k + s) / s) } ?? i + w - 1
                forecast[i * h + k] = scaler.scaleLevel(split.levels[row])
                target[i * h + k] = scaler.scaleLevel(split.level(i, k))
            }
        }
        return Double(makeLoss(loss).compute(output: forecast, target: target, weights: nil, gradient: nil))
    }

    /// The warning for a negative `skill` in a metrics section (`part`: "test",
    /// "validation", or the file evaluated), or nil when the skill is not negative.
    public static func skillWarning(_ part: String, section: JSON, transform: TargetTransform) -> String? {
        guard let values = section.objectValue, let skill = values["skill"]?.doubleValue, skill < 0,
            let naive = values["naive_loss"]?.doubleValue,
            let loss = (values["data_loss"] ?? values["loss"])?.doubleValue
        else { return nil }
        let hint =
            transform == .none
            ? "; for a series with a trend, try data.sequence.target_transform \"difference\" (docs/spec.md)"
            : ""
        return "\(part) skill \(format(skill)): the model forecasts worse than repeating the last value "
            + "(its loss \(format(loss)), the persistence forecast's naive_loss \(format(naive)))" + hint
    }

    private static func format(_ v: Double) -> String {
        abs(v) >= 1e-3 || v == 0 ? String(format: "%.4f", v) : String(format: "%.3e", v)
    }
}

extension Ensemble {
    /// `evaluate(_:metrics:)`, or `forecast.evaluate` when `forecast` is given and `data`
    /// is a time series' windows.
    public func evaluate(_ data: DataSource, metrics: [Metric], forecast: ForecastEvaluation?) -> [(String, Double)] {
        if let forecast, let split = data as? SequenceSplit {
            return forecast.evaluate(self, on: split, metrics: metrics)
        }
        return evaluate(data, metrics: metrics)
    }
}
