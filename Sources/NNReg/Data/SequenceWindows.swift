/// Windowed samples of one chronological part of a series: what a recurrent model trains on.
///
/// The part's rows are held once, (R, F); sample i is rows i..<i+window, cut out as batches
/// are filled, so memory grows with the rows and not with rows x window.
public final class SequenceSplit: DataSource {
    /// rows: (R, F), scaled (rescale, featurewise statistics) when the split was scaled.
    public let rows: Tensor
    public let window: Int
    /// y: (N, horizon): the target at the `horizon` rows after each window. NaN where
    /// those rows lie past the end of the data (forecast windows only).
    public let y: Tensor
    /// One per sample: the timestamp of its first predicted row (row i + window).
    public let timestamps: [String]
    /// The target's level at every row of the part, raw (`SequenceSeries.levels`): sample
    /// i's last observed level is `lastLevel(i)`, its targets' levels `level(i, k)`.
    public let levels: [Float]
    /// Where the rows came from, for messages.
    public let source: String
    /// The header of the file's timestamp column, nil when rows are numbered.
    public let timestampColumn: String?
    /// "samplewise" normalization standardizes each window as a whole, so it is applied
    /// as windows are filled (`SequenceScaler.apply` sets it).
    var standardizesWindows = false

    /// The windows of `series` (`SequenceWindows.make` says which).
    init(_ series: SequenceSeries, window: Int, horizon: Int, forecast: Bool) {
        precondition(window > 0 && horizon > 0, "window \(window) and horizon \(horizon) must be positive")
        let total = series.count, f = series.featureCount
        let n =
            forecast
            ? max(total - window + 1, 0) : SequenceWindows.sampleCount(rows: total, window: window, horizon: horizon)
        let used = n == 0 ? 0 : n + window - 1  // the rows the windows read
        rows = Tensor(shape: [used, f], values: Array(series.features.prefix(used * f)))
        y = Tensor(shape: [n, horizon])
        var timestamps: [String] = []
        timestamps.reserveCapacity(n)
        for i in 0..<n {
            for k in 0..<horizon {
                let row = i + window + k
                y[i * horizon + k] = row < total ? series.target[row] : .nan
            }
            let first = i + window
            timestamps.append(
                first < total
                    ? series.timestamps[first]
                    : SequenceTimestamps.after(series.timestamps, steps: first - total + 1))
        }
        self.window = window
        self.timestamps = timestamps
        levels = series.levels
        source = series.source
        timestampColumn = series.timestampColumn
    }

    public var count: Int { y.shape[0] }
    public var featureCount: Int { rows.shape[1] }
    public var horizon: Int { y.shape[1] }
    public var sampleShape: [Int] { [window, featureCount] }
    public var rowNames: [String]? { timestamps }

    /// The target's level at sample i's last window row, raw: what the persistence forecast predicts.
    public func lastLevel(_ i: Int) -> Float { levels[i + window - 1] }

    /// The level of sample i's k-th target (k in 0..<horizon), raw; NaN past the end of the data.
    public func level(_ i: Int, _ k: Int) -> Float {
        let row = i + window + k
        return row < levels.count ? levels[row] : .nan
    }

    // x: (n, window, F) <- rows i..<i+window for each index i
    public func fill(x: Tensor, y out: Tensor, indices: UnsafeBufferPointer<Int32>) {
        x.setBatch(indices.count)
        let size = window * featureCount
        for (k, i) in indices.enumerated() {
            (x.data + k * size).update(from: rows.data + Int(i) * featureCount, count: size)
        }
        if standardizesWindows { Normalizer(mode: .samplewise).apply(x) }
        fillTargets(out, indices: indices)
    }

    /// Every window, (N, window, F): what the batches are cut from, for inspection and tests.
    public var x: Tensor {
        let x = Tensor(shape: [count] + sampleShape)
        let order = (0..<count).map(Int32.init)
        order.withUnsafeBufferPointer { fill(x: x, y: Tensor(shape: y.shape), indices: $0) }
        return x
    }
}

/// Sliding windows over a series, and the chronological split of a series into parts.
public enum SequenceWindows {
    /// Complete samples a part of `rows` rows gives: rows - window - horizon + 1 (or 0).
    public static func sampleCount(rows: Int, window: Int, horizon: Int) -> Int {
        max(rows - window - horizon + 1, 0)
    }

    /// Windows over every row of `series`, raw (not scaled).
    ///
    /// Sample i: x[i] = features of rows i..<i+window; y[i][k] = target of row i+window+k
    /// for k in 0..<horizon; timestamps[i] = timestamp of row i+window. Without
    /// `forecast` only complete samples are made (every target row exists). With it,
    /// every window of `window` rows is made, up to the one ending at the last row: the
    /// targets past the end are NaN and their timestamps extrapolated
    /// (`SequenceTimestamps.after`), so the forecasts beyond the data have a date.
    public static func make(_ series: SequenceSeries, window: Int, horizon: Int, forecast: Bool = false)
        -> SequenceSplit
    {
        SequenceSplit(series, window: window, horizon: horizon, forecast: forecast)
    }

    /// Row ranges of a series of `rows` rows: [train | validation | test], in time order.
    ///
    /// The test part is the last round(testSplit * rows) rows; the validation part the last
    /// round(validationSplit * r) rows before it, r being the rows left after the test
    /// part (the same counts as `DataLoader`'s shuffled split, taken from the end; Keras's
    /// validation_split also holds out the last samples). A part is nil when its fraction
    /// is 0. Windows are made within each part, so none straddles a boundary: every row
    /// a training sample reads (inputs and targets) precedes every row a validation
    /// sample reads, and those precede every row of a test sample.
    public static func chronologicalSplit(rows: Int, validationSplit: Double, testSplit: Double)
        -> (train: Range<Int>, validation: Range<Int>?, test: Range<Int>?)
    {
        let testRows = Int((testSplit * Double(rows)).rounded())
        let rest = rows - testRows
        let validationRows = Int((validationSplit * Double(rest)).rounded())
        let trainEnd = rest - validationRows
        return (
            0..<trainEnd,
            validationSplit > 0 ? trainEnd..<rest : nil,
            testSplit > 0 ? rest..<rows : nil
        )
    }
}

/// Labels for time steps past the end of a series.
public enum SequenceTimestamps {
    /// The label of the row `steps` (>= 1) rows after the last of `timestamps`: the last
    /// date plus `steps` times the last interval when the last two are ISO dates
    /// (YYYY-MM-DD), or integers (row numbers, years); otherwise "<last>+<steps>".
    public static func after(_ timestamps: [String], steps: Int) -> String {
        guard let last = timestamps.last else { return "+\(steps)" }
        if timestamps.count >= 2 {
            let previous = timestamps[timestamps.count - 2]
            if let a = Int(previous), let b = Int(last) { return String(b + steps * (b - a)) }
            if let a = isoDay(previous), let b = isoDay(last) { return isoDate(b + steps * (b - a)) }
        }
        return "\(last)+\(steps)"
    }

    /// Days since 1970-01-01 of an ISO date "YYYY-MM-DD" (proleptic Gregorian), nil for
    /// anything else. Howard Hinnant's days_from_civil.
    static func isoDay(_ text: String) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The ISO date "YYYY-MM-DD" of a day count since 1970-01-01 (civil_from_days).
    static func isoDate(_ days: Int) -> String {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(width - s.count, 0)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}
