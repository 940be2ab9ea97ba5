import Foundation

/// `data.sequence.target_transform`: what the model forecasts instead of the target's level.
///
/// "difference": the change d[t] = x[t] - x[t-1]; "log_difference": d[t] = log x[t] -
/// log x[t-1] (every x > 0). Among the inputs the target column becomes d (the other
/// features stay as they are), and the targets become the next `horizon` changes. A
/// forecast turns back into levels from the last observed level L, the changes
/// accumulating over the horizon: L + d1, L + d1 + d2, ... ("difference") or L exp(d1),
/// L exp(d1) exp(d2), ... ("log_difference").
///
/// Round trips (`change` then `level(after:change:)` from the first level, row by row):
/// "difference" gives every level back exactly when each value is within a factor 2 of the
/// one before (x[t] - x[t-1] is then exact in Float, by Sterbenz's lemma, and so is the sum
/// that undoes it), else to float rounding; "log_difference" (log and exp in Double, the
/// results rounded to Float) gives them back to float rounding.
public enum TargetTransform: String, Sendable, CaseIterable {
    case none, difference
    case logDifference = "log_difference"

    /// The change from `previous` to `current` (`current` itself for "none").
    public func change(from previous: Float, to current: Float) -> Float {
        switch self {
        case .none: return current
        case .difference: return current - previous
        case .logDifference: return Float(log(Double(current)) - log(Double(previous)))
        }
    }

    /// The level `change` leads to from `level`: the inverse of `change(from:to:)`.
    public func level(after level: Float, change: Float) -> Float {
        switch self {
        case .none: return change
        case .difference: return level + change
        case .logDifference: return Float(Double(level) * exp(Double(change)))
        }
    }

    /// The series as the model sees it. For "none", `series` itself. Otherwise row 0, which
    /// has no previous row, is left out, and each row t >= 1 holds the target's change from
    /// row t-1 as its target and in the target's feature column (when the target is a
    /// feature); `levels` keeps the target's level of every row kept. Rows keep their
    /// timestamps and file lines. `series` must be untransformed.
    ///
    /// "log_difference" on a value that is not > 0 is an error naming the file and line.
    public func apply(_ series: SequenceSeries) throws -> SequenceSeries {
        guard self != .none else { return series }
        let x = series.target
        if self == .logDifference, let bad = x.firstIndex(where: { !($0 > 0) }) {
            throw DataError(
                "\(series.location(bad)): \(series.targetName) is \(x[bad]); data.sequence.target_transform "
                    + "\"log_difference\" takes logarithms, so every value must be > 0: use \"difference\", "
                    + "or shift the column to positive values")
        }
        let n = max(series.count - 1, 0), f = series.featureCount
        var features = Array(series.features.dropFirst(f))
        var changes = [Float](repeating: 0, count: n)
        for r in 0..<n {
            changes[r] = change(from: x[r], to: x[r + 1])
            if let t = series.targetFeature { features[r * f + t] = changes[r] }
        }
        return SequenceSeries(
            source: series.source, timestampColumn: series.timestampColumn,
            timestamps: Array(series.timestamps.dropFirst()), featureNames: series.featureNames,
            targetName: series.targetName, features: features, target: changes, levels: Array(x.dropFirst()),
            lines: Array(series.lines.dropFirst()))
    }

    /// The rows of the transformed series that hold the changes of level rows `rows`: the
    /// same rows for "none"; otherwise one earlier (the transformed series has no row 0),
    /// and a part that starts at row 0 loses that row. A later part's first change is from
    /// the row just before it, so its windows and targets are those without a transform.
    public func rows(of rows: Range<Int>) -> Range<Int> {
        self == .none ? rows : max(rows.lowerBound - 1, 0)..<max(rows.upperBound - 1, 0)
    }
}
