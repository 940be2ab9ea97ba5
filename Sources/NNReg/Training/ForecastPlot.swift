import Foundation

/// forecast.svg: a time-series run's forecasts one step ahead on its test part (the
/// validation part when it has none), in target units: the actual value of each window's
/// first target, the model's forecast of it and the persistence forecast (the window's
/// last value), against the target's date. With a longer horizon only step t+1 is drawn.
public enum ForecastPlot {
    /// One point per window, in target units (levels, a transform undone).
    public struct Series: Equatable {
        public var timestamps: [String] = []
        public var actual: [Double] = []
        public var model: [Double] = []
        public var naive: [Double] = []

        /// Mean squared error in target units² of `forecast` against `actual`, over finite points.
        public func mse(_ forecast: [Double]) -> Double {
            let errors = zip(forecast, actual).map { $0 - $1 }.filter(\.isFinite)
            return errors.map { $0 * $0 }.reduce(0, +) / Double(max(errors.count, 1))
        }
    }

    /// The points of `split` (complete windows) from the model's outputs `predictions`
    /// (N, horizon), scaled as the model outputs them.
    public static func series(_ split: SequenceSplit, predictions: Tensor, scaler: SequenceScaler) -> Series {
        let h = split.horizon
        var s = Series()
        var levels = [Float](repeating: 0, count: h)
        for i in 0..<split.count {
            scaler.forecastLevels(predictions.data + i * h, horizon: h, last: split.lastLevel(i), into: &levels)
            s.timestamps.append(split.timestamps[i])
            s.actual.append(Double(split.level(i, 0)))
            s.model.append(Double(levels[0]))
            s.naive.append(Double(split.lastLevel(i)))
        }
        return s
    }

    /// The SVG, drawn by the run folder's chart routine (`RunFiles.chartSVG`): one panel
    /// of the three lines against the window's number (1 = the first target date, named
    /// under the axis with the last), the legend giving each forecast's mean squared error
    /// in target units².
    public static func svg(_ s: Series, title: String, part: String, target: String) -> String {
        let n = s.actual.count
        func curve(_ key: String, _ values: [Double], _ color: String, dashed: Bool = false) -> PlotCurve {
            PlotCurve(
                points: values.enumerated().map { (epoch: $0.offset + 1, value: $0.element) }, key: key, color: color,
                dashed: dashed)
        }
        let curves = [
            curve("actual", s.actual, "#222222"), curve("model", s.model, "#1f77b4"),
            curve("persistence", s.naive, "#ff7f0e", dashed: true),
        ]
        let legend = [
            PlotLegendEntry(label: "actual", color: "#222222"),
            PlotLegendEntry(label: String(format: "model, MSE %.4g", s.mse(s.model)), color: "#1f77b4"),
            PlotLegendEntry(
                label: String(format: "persistence, MSE %.4g", s.mse(s.naive)), color: "#ff7f0e", dashed: true),
        ]
        let dates = n == 0 ? "" : " (1: \(s.timestamps[0]), \(n): \(s.timestamps[n - 1]))"
        let panel = PlotPanel(
            metric: target, curves: curves, legend: legend, xLabel: "\(part) window, forecast t+1" + dates,
            xValues: n == 0 ? [] : Array(1...n))
        return RunFiles.chartSVG(title: "\(title): \(part) forecasts", panels: [panel], epochs: [])
    }
}
