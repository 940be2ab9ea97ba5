import Foundation

/// The sweep folder's tables: trials.csv, summary.csv, best.json, report.md, sweep.svg.
extension SweepRun {
    /// One row of summary.csv: a configuration's objective over its seeds and where it ranks.
    public struct Row {
        public let config: SweepConfig
        /// "completed", "pruned" (halving stopped it) or "failed" (no seed has a value).
        public let status: String
        /// The epochs its objective covers: the spec's, or the rung halving stopped it at.
        public let epochs: Int
        public let objective: (mean: Double, std: Double, count: Int)?
        /// 1 = the best.
        public let rank: Int
    }

    /// The configurations best first: finished ones by their objective, then those halving
    /// stopped (later rungs first), then those without a value.
    public func ranking() -> [Row] {
        let full = base.training.epochs
        let scored = configs.enumerated().map {
            i, c -> (Int, SweepConfig, Int, (mean: Double, std: Double, count: Int)?) in
            let epochs = pruned[c.id] ?? full
            return (i, c, epochs, objective(c))
        }
        let sorted = scored.sorted { a, b in
            if (a.3 == nil) != (b.3 == nil) { return a.3 != nil }
            if a.2 != b.2 { return a.2 > b.2 }
            if let x = a.3?.mean, let y = b.3?.mean, x != y { return mode == .max ? x > y : x < y }
            return a.0 < b.0
        }
        return sorted.enumerated().map { rank, item in
            let status = item.3 == nil ? "failed" : pruned[item.1.id] != nil ? "pruned" : "completed"
            return Row(config: item.1, status: status, epochs: item.2, objective: item.3, rank: rank + 1)
        }
    }

    /// The final-metric columns: loss and each metric, each for training (last epoch),
    /// validation and test (metrics.json); for a series also the naive baseline and the
    /// skill of validation and test (`ForecastEvaluation`).
    var metricColumns: [String] {
        let baseline =
            base.data.sequence == nil ? [] : ["val_naive_loss", "val_skill", "test_naive_loss", "test_skill"]
        return (["loss"] + base.training.metrics).flatMap { [$0, "val_" + $0, "test_" + $0] } + baseline
    }

    /// A trial's value in a column of `metricColumns`.
    func metric(_ column: String, _ outcome: RunRecord) -> Double? {
        if column.hasPrefix("test_") { return outcome.test?.first { "test_" + $0.name == column }?.value }
        if column.hasPrefix("val_") { return outcome.validation?.first { "val_" + $0.name == column }?.value }
        return outcome.history.last?[column]
    }

    /// Writes the tables (atomically, each claimed in the manifest first) and returns the
    /// `--json` document.
    @discardableResult
    func writeTables(_ files: RunFolder) throws -> JSON {
        let rows = ranking()
        try files.write(trialsCSV(), to: "trials.csv")
        try files.write(summaryCSV(rows), to: "summary.csv")
        var winner: (config: SweepConfig, spec: Spec)?
        if let config = rows.first.flatMap({ $0.status == "completed" ? $0.config : nil }) {
            winner = (config, try Spec.load(path: sweep.spec, overrides: options.sets + config.overrides))
            try files.write(winner!.spec.resolvedJSON().pretty() + "\n", to: "best.json")
        }
        try files.write(report(rows, winner: winner), to: "report.md")
        try files.write(plotSVG(rows), to: "sweep.svg")
        return document(rows)
    }

    func trialsCSV() -> String {
        let parameters = sweep.parameters.map(\.path)
        let header =
            ["id", "config", "seed"] + parameters + ["status", "epochs_run", "best_epoch"] + metricColumns
            + ["gap", "objective", "seconds", "rank"]
        var out = header.map(csvField).joined(separator: ",") + "\n"
        for trial in trials {
            let outcome = outcomes[trial.id]
            let status =
                failures[trial.id] != nil
                ? "failed" : outcome == nil ? "pending" : pruned[trial.config.id] != nil ? "pruned" : "completed"
            var fields =
                [trial.id, trial.config.id, String(trial.seed)]
                + trial.config.values.map { Comparison.specCell($0.value) }
            fields += [status, outcome.map { String($0.epochsRun) } ?? "", outcome?.bestEpoch.map(String.init) ?? ""]
            if let o = outcome {
                let last = o.history.last
                let gap = last.flatMap { r in r["val_loss"].flatMap { v in r["loss"].map { v - $0 } } }
                fields += metricColumns.map { number(metric($0, o)) }
                fields += [
                    number(gap), number(o.objective(sweep.monitor)), number(o.seconds),
                ]
            } else {
                fields += Array(repeating: "", count: metricColumns.count + 3)
            }
            fields.append(trialRanks[trial.id].map(String.init) ?? "")
            out += fields.map(csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    func summaryCSV(_ rows: [Row]) -> String {
        let means = metricColumns.filter { $0.hasPrefix("val_") || $0.hasPrefix("test_") }
        let header =
            ["rank", "config"] + sweep.parameters.map(\.path)
            + ["status", "epochs", "seeds", "objective_mean", "objective_std"] + means.map { $0 + "_mean" }
        var out = header.map(csvField).joined(separator: ",") + "\n"
        for row in rows {
            var fields = [String(row.rank), row.config.id] + row.config.values.map { Comparison.specCell($0.value) }
            fields += [row.status, String(row.epochs), String(row.objective?.count ?? 0)]
            fields += [number(row.objective?.mean), number(row.objective?.std)]
            fields += means.map { number(mean(of: $0, row.config)) }
            out += fields.map(csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    /// The mean over the configuration's seeds of the epochs they trained.
    func epochsRun(_ config: SweepConfig) -> Double? {
        let runs = seeds.compactMap { outcomes[Trial(config: config, seed: $0).id]?.epochsRun }
        return runs.isEmpty ? nil : Double(runs.reduce(0, +)) / Double(runs.count)
    }

    /// The mean over the configuration's seeds of a final-metric column.
    func mean(of column: String, _ config: SweepConfig) -> Double? {
        let values = seeds.compactMap { outcomes[Trial(config: config, seed: $0).id].flatMap { metric(column, $0) } }
            .filter(\.isFinite)
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// Epochs every trial trained (the sweep's compute), and what training every
    /// configuration to the spec's epochs would take at most.
    var epochsTrained: (done: Int, full: Int) {
        (outcomes.values.map(\.epochsRun).reduce(0, +), configs.count * seeds.count * base.training.epochs)
    }

    func document(_ rows: [Row]) -> JSON {
        func parameters(_ c: SweepConfig) -> JSON { .object(.init(c.values.map { ($0.path, $0.value) })) }
        let configs = rows.map { row -> JSON in
            .object(
                .init([
                    ("config", .string(row.config.id)), ("rank", JSON(row.rank)), ("status", .string(row.status)),
                    ("parameters", parameters(row.config)), ("epochs", JSON(row.epochs)),
                    ("objective_mean", row.objective.map { .number($0.mean) } ?? .null),
                    ("objective_std", row.objective.map { .number($0.std) } ?? .null),
                    ("seeds", JSON(row.objective?.count ?? 0)),
                ]))
        }
        let best: JSON =
            rows.first.flatMap { row in
                row.status == "completed"
                    ? .object(
                        .init([
                            ("config", .string(row.config.id)), ("parameters", parameters(row.config)),
                            ("objective", row.objective.map { .number($0.mean) } ?? .null),
                        ])) : nil
            } ?? .null
        return .object(
            .init([
                ("best", best), ("objective", .string(sweep.monitor)), ("mode", .string(mode.rawValue)),
                ("trials", JSON(trials.count)), ("failed_trials", JSON(failures.count)),
                ("epochs_trained", JSON(epochsTrained.done)),
                ("configs", .array(configs)),
            ]))
    }

    /// report.md: the settings, the ranked table, and the winner's `--set` line and its
    /// differences from the base spec.
    func report(_ rows: [Row], winner: (config: SweepConfig, spec: Spec)?) -> String {
        let compute = epochsTrained
        var out = "# Sweep: \(configs.count) configurations x \(seeds.count) seed\(seeds.count == 1 ? "" : "s")\n\n"
        out += "- Base spec: `\(sweep.spec)`\n"
        out += "- Method: \(sweep.method.rawValue)"
        if let h = sweep.halving { out += ", successive halving (min_epochs \(h.minEpochs), eta \(h.eta))" }
        out += "\n- Objective: \(sweep.monitor) (\(mode.rawValue)) of the weights each trial keeps (metrics.json), "
        out += "mean over seeds \(seeds.map(String.init).joined(separator: ", ")); "
        out += "selection uses validation data only\n"
        out +=
            "- Epochs trained: \(compute.done) (every configuration to \(base.training.epochs) epochs: \(compute.full))\n\n"
        let tests = metricColumns.filter { $0.hasPrefix("test_") }
        let header =
            ["rank", "config"] + sweep.parameters.map(\.path) + [
                "\(sweep.monitor) (mean ± std)", "epochs run", "status",
            ]
            + tests
        out += "| " + header.joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: header.count) + "\n"
        for row in rows {
            let objective = row.objective.map { String(format: "%.4f ± %.4f", $0.mean, $0.std) } ?? "n/a"
            var cells =
                [String(row.rank), row.config.id] + row.config.values.map { "`\(Comparison.specCell($0.value))`" }
            cells += [objective, epochsRun(row.config).map { String(format: "%.1f", $0) } ?? "", row.status]
            cells += tests.map { column in mean(of: column, row.config).map { String(format: "%.4f", $0) } ?? "" }
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        guard let (config, best) = winner else {
            return out + "\nNo configuration finished with a value of the objective.\n"
        }
        out += "\n## Winner: \(config.id)\n\n```\nnnreg train \(sweep.spec)"
        for set in options.sets + config.overrides { out += " --set " + shellWord(set.text) }
        out += "\n```\n\nbest.json holds its resolved spec. What it changes in the base spec:\n\n"
        let diff = SpecDiff.differences([base.resolvedJSON(), best.resolvedJSON()])
        if diff.isEmpty { return out + "nothing: the base spec won.\n" }
        out += "| key | base | winner |\n|---|---|---|\n"
        for (path, values) in diff {
            out +=
                "| \(path) | " + values.map { $0.map { "`\($0.compact())`" } ?? "(absent)" }.joined(separator: " | ")
                + " |\n"
        }
        return out
    }
}

extension SweepRun {
    /// sweep.svg: the objective of every configuration, best first, as the mean over seeds
    /// (solid) with each seed's value (dashed); beside it every trial's validation curve of
    /// the monitor, one colour per configuration (the legend names the first ten by rank).
    func plotSVG(_ rows: [Row]) -> String {
        let colors = Comparison.runColors
        func color(_ config: SweepConfig) -> String { colors[(configs.firstIndex(of: config) ?? 0) % colors.count] }
        var spread = [
            PlotCurve(
                points: rows.compactMap { r in r.objective.map { (r.rank, $0.mean) } }, key: "mean",
                color: "#222222")
        ]
        for seed in seeds {
            let points = rows.compactMap { r in
                outcomes[Trial(config: r.config, seed: seed).id]?.objective(sweep.monitor).map { (r.rank, $0) }
            }
            spread.append(PlotCurve(points: points, key: "seed \(seed)", color: "#9a9a9a", dashed: true))
        }
        let objective = PlotPanel(
            metric: sweep.monitor, curves: spread,
            legend: [
                PlotLegendEntry(label: "mean over seeds", color: "#222222"),
                PlotLegendEntry(label: "each seed", color: "#9a9a9a", dashed: true),
            ],
            xLabel: "configuration, best first", xValues: rows.map(\.rank))
        let curves = trials.compactMap { t in
            outcomes[t.id].map { PlotCurve($0.history, key: sweep.monitor, run: t.id, color: color(t.config)) }
        }
        let legend = rows.prefix(colors.count).map {
            PlotLegendEntry(label: "\($0.rank). \($0.config.id)", color: color($0.config))
        }
        let epochs = Array(Set(curves.flatMap { $0.points.map(\.epoch) })).sorted()
        return RunFiles.chartSVG(
            title: "Sweep: \(sweep.monitor) by configuration",
            panels: [objective, PlotPanel(metric: sweep.monitor, curves: curves)],
            epochs: epochs, sideLegend: legend)
    }
}

/// A number as the tables write it: shortest round-trip text, empty when missing or not finite.
func number(_ value: Double?) -> String {
    guard let value, value.isFinite else { return "" }
    return JSON.format(value)
}

/// A word as a POSIX shell reads it back: unchanged when plain, else in single quotes.
public func shellWord(_ word: String) -> String {
    let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:+,@%")
    if !word.isEmpty, word.allSatisfy(plain.contains) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
