import Foundation

extension Comparison {
    /// Ten distinct colours (matplotlib's tab10), one per run; the 11th run reuses the first.
    static let runColors = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]

    /// `nnreg compare --plot`: every run's training (solid) and validation (dashed) loss
    /// curves in one panel, and its `mainMetric`'s in a second, one colour per run, drawn
    /// by the routine that draws loss.svg (`RunFiles.chartSVG`). The legend beside the
    /// panels names each run (long paths keep their last 40 characters); polylines carry
    /// `data-series` (the history name) and `data-run` (the run's path).
    public func plotSVG(title: String) -> String {
        let names = ["loss"] + (mainMetric.map { [$0] } ?? [])
        let panels = names.map { name in
            PlotPanel(
                metric: name,
                curves: runs.enumerated().flatMap { i, run in
                    let color = Comparison.runColors[i % Comparison.runColors.count]
                    return [
                        PlotCurve(run.history, key: name, run: run.path, color: color),
                        PlotCurve(run.history, key: "val_" + name, run: run.path, color: color, dashed: true),
                    ]
                    .filter { !$0.points.isEmpty }
                })
        }
        var legend = runs.enumerated().map { i, run in
            PlotLegendEntry(
                label: run.path.count > 40 ? "…" + run.path.suffix(39) : run.path,
                color: Comparison.runColors[i % Comparison.runColors.count])
        }
        legend += [
            PlotLegendEntry(label: "training", color: "#555555"),
            PlotLegendEntry(label: "validation", color: "#555555", dashed: true),
        ]
        let epochs = Array(Set(runs.flatMap { $0.history.map(\.epoch) })).sorted()
        return RunFiles.chartSVG(title: title, panels: panels, epochs: epochs, sideLegend: legend)
    }

    /// Checks the `--plot` file before anything is written: a name ending in .svg
    /// (`checkOutputFile`'s rules: not a folder, not an input, in a folder that can exist),
    /// outside every run folder compared and every folder in `given` (the paths the user
    /// gave, sweep folders among them). So no run's or sweep's own file (loss.svg,
    /// sweep.svg, spec.json, ...) is replaced and no such folder gains a file nnreg did not
    /// write. Refusals are `DataError`s (exit status 2).
    public func checkPlotFile(_ path: String, given: [String] = []) throws {
        let inputs = runs.flatMap { run in [run.path] + RunRecord.fileNames.map { RunRecord.file(run.path, $0) } }
        try checkOutputFile(path, inputs: inputs + given, flag: "--plot")
        guard path.lowercased().hasSuffix(".svg") else {
            throw DataError("\(path): --plot writes an SVG file; give a name ending in .svg")
        }
        let target = resolvedPath(path)
        for folder in runs.map(\.path) + given where target.hasPrefix(resolvedPath(folder) + "/") {
            throw DataError("\(path): is inside \(folder), which is compared; write the plot outside it")
        }
    }

    /// Writes `plotSVG` to `path` atomically, after `checkPlotFile(path, given:)`.
    public func writePlot(to path: String, title: String, given: [String] = []) throws {
        try checkPlotFile(path, given: given)
        try writeAtomically(plotSVG(title: title), to: path)
    }
}
