import Foundation

/// Runs side by side, as `nnreg compare` shows them.
///
/// The results table has one row per run and these columns (blank where a run has no
/// value; a column blank for every run is left out of the text and markdown tables):
/// - `run`: the folder as given, marked `*` when it has no metrics.json (unfinished);
/// - each quantity of `metrics` at the last epoch (`loss`, `accuracy`, ...), then the same
///   from metrics.json's validation results (`val_loss`, ...) and test results (`test_loss`, ...);
/// - `gap_loss` and `gap_<mainMetric>`: val − training at the last epoch;
/// - `epochs` run, `best_epoch`, `best_val_loss` (the lowest over the history) and
///   `seconds` (the sum over the history).
///
/// The spec table shows each spec key that differs between the runs (`differences`) with
/// every run's value (strings bare, other values as JSON, blank where a spec lacks the
/// key): a row per run like the results table, or a row per key when that is narrower
/// (many keys, few runs).
public struct Comparison {
    public let runs: [RunRecord]
    /// Every quantity any run recorded (`RunRecord.metricNames`): "loss" first, then the
    /// metrics in the order the runs recorded them.
    public let metrics: [String]
    /// The metric whose gap the table shows beside the loss's and whose curves are plotted:
    /// accuracy when a run recorded it, else the first metric (as loss.svg chooses).
    public let mainMetric: String?
    /// The spec keys whose values differ between runs (`SpecDiff.differences` over their
    /// spec.json, output.dir aside), with each run's value (nil where its spec lacks the key).
    public let differences: [(path: String, values: [JSON?])]

    public init(_ runs: [RunRecord]) {
        self.runs = runs
        var names = ["loss"]
        for run in runs {
            for name in run.metricNames where !names.contains(name) { names.append(name) }
        }
        metrics = names
        mainMetric = RunFiles.plottedMetric(runs.flatMap(\.history)) ?? names.dropFirst().first
        differences = SpecDiff.differences(runs.map(\.spec))
    }

    /// How the tables are written: aligned columns for a terminal, or GitHub markdown.
    public enum Format: String, CaseIterable, Sendable {
        case text, md
    }

    /// The results table, then the spec table (or a line saying the specs agree, for two or
    /// more runs), then a note on unfinished runs; ends with a newline.
    public func render(_ format: Format) -> String {
        var out = Comparison.render(resultsTable(), format)
        if runs.count > 1 {
            if differences.isEmpty {
                out += "\nThe specs do not differ (output.dir aside).\n"
            } else {
                out += "\nSpec keys that differ:\n" + (format == .md ? "\n" : "")
                out += Comparison.render(specTable(), format)
            }
        }
        if runs.contains(where: { !$0.finished }) {
            out += "\n* no metrics.json: the run was interrupted or is still training.\n"
        }
        return out
    }

    // MARK: - Tables

    /// A table of text cells; the first column is left-aligned, the others right-aligned.
    struct Table {
        var header: [String]
        var rows: [[String]]

        /// The width of the aligned text.
        var width: Int {
            header.indices.map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }.reduce(0, +)
                + 2 * (header.count - 1)
        }
    }

    /// One results column: its name and each run's cell.
    private struct Column {
        var name: String
        var cell: (RunRecord) -> String
    }

    private var resultColumns: [Column] {
        func value(_ v: Double?) -> String { v.map(Reporter.format) ?? "" }
        func result(_ list: [(name: String, value: Double)]?, _ name: String) -> Double? {
            list?.first { $0.name == name }?.value
        }
        var columns = [Column(name: "run", cell: Comparison.label)]
        columns += metrics.map { m in Column(name: m) { value($0.final(m)) } }
        columns += metrics.map { m in Column(name: "val_" + m) { value(result($0.validation, m)) } }
        columns += metrics.map { m in Column(name: "test_" + m) { value(result($0.test, m)) } }
        columns += (["loss"] + (mainMetric.map { [$0] } ?? [])).map { m in
            Column(name: "gap_" + m) { value($0.gap(m)) }
        }
        columns += [
            Column(name: "epochs") { String($0.epochsRun) },
            Column(name: "best_epoch") { $0.bestEpoch.map(String.init) ?? "" },
            Column(name: "best_val_loss") { value($0.bestValidationLoss) },
            Column(name: "seconds") { String(format: "%.1f", $0.seconds) },
        ]
        return columns
    }

    /// The results table without the columns blank for every run.
    func resultsTable() -> Table {
        let columns = resultColumns.map { c in (name: c.name, cells: runs.map(c.cell)) }
            .filter { c in c.name == "run" || c.cells.contains { !$0.isEmpty } }
        return Table(
            header: columns.map(\.name), rows: runs.indices.map { i in columns.map { $0.cells[i] } })
    }

    /// The spec keys that differ, in whichever layout is narrower: a row per run (the
    /// results table's rows, keys across) or a row per key (runs across).
    func specTable() -> Table {
        let byRun = Table(
            header: ["run"] + differences.map(\.path),
            rows: runs.indices.map { i in
                [Comparison.label(runs[i])] + differences.map { Comparison.specCell($0.values[i]) }
            })
        let byKey = Table(
            header: ["key"] + runs.map(Comparison.label),
            rows: differences.map { [$0.path] + $0.values.map(Comparison.specCell) })
        return byKey.width < byRun.width ? byKey : byRun
    }

    /// A run's name in the tables: its path, marked `*` when unfinished.
    static func label(_ run: RunRecord) -> String { run.path + (run.finished ? "" : " *") }

    /// A spec value as the table shows it: strings bare, other values as compact JSON,
    /// nothing where the spec lacks the key.
    static func specCell(_ value: JSON?) -> String {
        guard let value else { return "" }
        return value.stringValue ?? value.compact()
    }

    static func render(_ table: Table, _ format: Format) -> String {
        switch format {
        case .text: return aligned(table)
        case .md: return markdown(table)
        }
    }

    /// Columns padded to their widest cell, two spaces apart; control characters in cells
    /// become spaces so that every row stays one line.
    static func aligned(_ table: Table) -> String {
        let lines = ([table.header] + table.rows).map { $0.map(oneLine) }
        let widths = table.header.indices.map { c in lines.map { $0[c].count }.max() ?? 0 }
        return lines.map { cells in
            cells.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 ? cell + pad : pad + cell
            }
            .joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }
        .joined()
    }

    /// A GitHub markdown table: `|` in cells escaped, numbers right-aligned.
    static func markdown(_ table: Table) -> String {
        func row(_ cells: [String]) -> String {
            "| " + cells.map { oneLine($0).replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ")
                + " |\n"
        }
        let rule = "|" + table.header.indices.map { $0 == 0 ? " --- |" : " ---: |" }.joined() + "\n"
        return row(table.header) + rule + table.rows.map(row).joined()
    }

    private static func oneLine(_ s: String) -> String {
        String(s.map { $0.isNewline || $0 == "\t" || ($0.asciiValue.map { $0 < 0x20 } ?? false) ? " " : $0 })
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

// MARK: - JSON

extension Comparison {
    /// `nnreg compare --json`: `{"runs": [...], "differences": [paths]}`. Each run is
    /// `{"run": path, "finished": bool, "train": {name: last epoch's value},
    /// "validation": {...} or null, "test": {...} or null (metrics.json's),
    /// "gap": {name: val − training at the last epoch, for every quantity with both},
    /// "epochs_run": N, "best_epoch": N or null, "best_val_loss": x or null,
    /// "seconds": x, "stop_reason": "..." or null, "spec": {path: value for each key in
    /// "differences" that the run's spec has}}`. Non-finite numbers are null.
    public func json() -> JSON {
        func object(_ pairs: [(name: String, value: Double)]) -> JSON {
            .object(.init(pairs.map { ($0.name, $0.value.isFinite ? .number($0.value) : .null) }))
        }
        func number(_ x: Double?) -> JSON { x.map { $0.isFinite ? .number($0) : .null } ?? .null }
        let documents = runs.enumerated().map { i, run -> JSON in
            let names = run.metricNames
            let spec = differences.compactMap { d in d.values[i].map { (d.path, $0) } }
            return .object(
                .init([
                    ("run", .string(run.path)),
                    ("finished", .bool(run.finished)),
                    ("train", object(names.compactMap { m in run.final(m).map { (m, $0) } })),
                    ("validation", run.validation.map(object) ?? .null),
                    ("test", run.test.map(object) ?? .null),
                    ("gap", object(names.compactMap { m in run.gap(m).map { (m, $0) } })),
                    ("epochs_run", JSON(run.epochsRun)),
                    ("best_epoch", run.bestEpoch.map { JSON($0) } ?? .null),
                    ("best_val_loss", number(run.bestValidationLoss)),
                    ("seconds", number(run.seconds)),
                    ("stop_reason", run.stopReason.map(JSON.string) ?? .null),
                    ("spec", .object(.init(spec))),
                ]))
        }
        return .object(
            .init([("runs", .array(documents)), ("differences", .array(differences.map { .string($0.path) }))]))
    }
}
