import Foundation

/// One epoch of training history: the numbers Keras' History and CSVLogger record.
///
/// `values` is an ordered list of named numbers: "loss", the metrics, "val_loss",
/// the "val_" metrics, "learning_rate", "seconds". The names "epoch" and "notes" are
/// reserved for the fields below and are skipped if they appear in `values`.
public struct HistoryRecord: Equatable {
    /// The epoch number, as the trainer counts it (nnreg counts from 1).
    public var epoch: Int
    /// Named values in the order they were recorded. NaN and infinities are allowed
    /// (history.json stores them as null, which reads back as NaN).
    public var values: [(name: String, value: Double)]
    /// Free-form annotations ("event": "lr reduced", ...), written to history.json only.
    public var notes: [String: String]
    /// Named numbers written to history.json only, under "diagnostics": the
    /// generalization gap, the training loss split into data loss and penalty, and each
    /// weight's L2 norm.
    public var diagnostics: [(name: String, value: Double)] = []
    /// The processes the epoch trained on (mpirun's N; 1 outside mpirun), in history.json only.
    public var ranks = 1

    public init(epoch: Int, values: [(name: String, value: Double)] = [], notes: [String: String] = [:]) {
        self.epoch = epoch
        self.values = values
        self.notes = notes
    }

    /// The value called `name`; setting a new name appends it, setting nil removes it.
    public subscript(name: String) -> Double? {
        get { values.first { $0.name == name }?.value }
        set {
            if let i = values.firstIndex(where: { $0.name == name }) {
                if let newValue { values[i].value = newValue } else { values.remove(at: i) }
            } else if let newValue {
                values.append((name, newValue))
            }
        }
    }

    /// Equal epochs, notes and values in the same order; NaN equals NaN here.
    public static func == (a: HistoryRecord, b: HistoryRecord) -> Bool {
        func same(_ x: [(name: String, value: Double)], _ y: [(name: String, value: Double)]) -> Bool {
            x.count == y.count
                && zip(x, y).allSatisfy {
                    $0.name == $1.name && ($0.value == $1.value || ($0.value.isNaN && $1.value.isNaN))
                }
        }
        return a.epoch == b.epoch && a.ranks == b.ranks && a.notes == b.notes && same(a.values, b.values)
            && same(a.diagnostics, b.diagnostics)
    }
}

/// The run folder's history files: history.csv, history.json and loss.svg (README, "The run folder").
public enum RunFiles {
    static let reserved: Set<String> = ["epoch", "ranks", "notes", "diagnostics"]

    /// The value columns of `records` (without "epoch"), in the order history.csv uses:
    /// loss, the other training values, val_loss, the val_ values (in the order of
    /// their training counterparts), then learning_rate and seconds. Names are
    /// otherwise kept in the order they first appear.
    public static func historyColumns(_ records: [HistoryRecord]) -> [String] {
        var seen = Set<String>()
        var names: [String] = []
        for r in records {
            for (name, _) in r.values where !reserved.contains(name) && seen.insert(name).inserted {
                names.append(name)
            }
        }
        let tail = ["learning_rate", "seconds"]
        let train = names.filter { !$0.hasPrefix("val_") && $0 != "loss" && !tail.contains($0) }
        var val = ["val_loss"] + train.map { "val_" + $0 }
        val += names.filter { $0.hasPrefix("val_") && !val.contains($0) }
        let ordered = ["loss"] + train + val + tail
        return ordered.filter(seen.contains)
    }

    /// history.csv: a header `epoch,<columns>` and one row per record. A value a
    /// record lacks is an empty cell; non-finite values are written nan, inf, -inf
    /// (as Python and pandas read them).
    public static func historyCSV(_ records: [HistoryRecord]) -> String {
        let columns = historyColumns(records)
        var out = (["epoch"] + columns).map(csvField).joined(separator: ",") + "\n"
        for r in records {
            var row = [String(r.epoch)]
            for c in columns {
                guard let x = r[c] else {
                    row.append("")
                    continue
                }
                row.append(x.isNaN ? "nan" : x.isInfinite ? (x > 0 ? "inf" : "-inf") : "\(x)")
            }
            out += row.joined(separator: ",") + "\n"
        }
        return out
    }

    /// history.json: an array with one object per epoch, one line each:
    /// `{"epoch": 1, "ranks": 1, "loss": 0.5, ..., "notes": {...}}`. Values keep the record's own
    /// order; NaN and infinities are written as null; "notes" appears only when non-empty.
    public static func historyJSON(_ records: [HistoryRecord]) -> String {
        if records.isEmpty { return "[]\n" }
        let lines = records.map { r -> String in
            var fields: [(String, JSON)] = [("epoch", JSON(r.epoch)), ("ranks", JSON(r.ranks))]
            for (name, x) in r.values where !reserved.contains(name) { fields.append((name, .number(x))) }
            if !r.diagnostics.isEmpty {
                fields.append(("diagnostics", .object(.init(r.diagnostics.map { ($0.name, .number($0.value)) }))))
            }
            if !r.notes.isEmpty {
                fields.append(("notes", .object(.init(r.notes.keys.sorted().map { ($0, .string(r.notes[$0]!)) }))))
            }
            return "  " + JSON.object(.init(fields)).compact()
        }
        return "[\n" + lines.joined(separator: ",\n") + "\n]\n"
    }

    /// Writes history.csv and history.json into `folder`, each atomically.
    public static func writeHistory(_ records: [HistoryRecord], toFolder folder: String) throws {
        try writeAtomically(historyCSV(records), to: folder + "/history.csv")
        try writeAtomically(historyJSON(records), to: folder + "/history.json")
    }

    /// Reads a history.json written by `historyJSON` (for `--resume`). Every record
    /// needs an integer "epoch"; other fields must be numbers or null (read as NaN),
    /// except "notes", an object of strings. Errors name the file and the record.
    public static func readHistory(_ path: String) throws -> [HistoryRecord] {
        let bytes = try readFileBytes(path)
        func fail(_ problem: String) -> HistoryFileError { HistoryFileError(path: path, problem: problem) }
        let json: JSON
        do {
            json = try JSON.parse(bytes: bytes)
        } catch let e as JSONSyntaxError {
            throw fail("not valid JSON: \(e.description)")
        }
        guard case .array(let items) = json else {
            throw fail("expected an array of epoch records, found \(json.kind)")
        }
        return try items.enumerated().map { index, item in
            guard case .object(let fields) = item else {
                throw fail("record \(index) is \(item.kind), expected an object")
            }
            var record = HistoryRecord(epoch: 0)
            var epoch: Int?
            for (key, value) in fields {
                switch (key, value) {
                case ("epoch", .number(let x)) where x == x.rounded() && abs(x) < 1e15:
                    epoch = Int(x)
                case ("epoch", _):
                    throw fail("record \(index): \"epoch\" is \(value.kind), expected an integer")
                case ("ranks", .number(let x)) where x == x.rounded() && x >= 1 && x < 1e9:
                    record.ranks = Int(x)
                case ("ranks", _):
                    throw fail("record \(index): \"ranks\" is \(value.kind), expected a positive integer")
                case ("notes", .object(let pairs)):
                    for (k, v) in pairs {
                        guard case .string(let s) = v else {
                            throw fail("record \(index): note \"\(k)\" is \(v.kind), expected a string")
                        }
                        record.notes[k] = s
                    }
                case ("notes", _):
                    throw fail("record \(index): \"notes\" is \(value.kind), expected an object")
                case ("diagnostics", .object(let pairs)):
                    for (k, v) in pairs {
                        switch v {
                        case .number(let x): record.diagnostics.append((k, x))
                        case .null: record.diagnostics.append((k, .nan))
                        default: throw fail("record \(index): diagnostic \"\(k)\" is \(v.kind), expected a number")
                        }
                    }
                case (_, .number(let x)):
                    record.values.append((key, x))
                case (_, .null):
                    record.values.append((key, .nan))
                default:
                    throw fail("record \(index): \"\(key)\" is \(value.kind), expected a number or null")
                }
            }
            guard let epoch else { throw fail("record \(index) has no \"epoch\"") }
            record.epoch = epoch
            return record
        }
    }
}

/// A history file that cannot be read, with the reason.
public struct HistoryFileError: Error, CustomStringConvertible, LocalizedError {
    /// The file concerned.
    public let path: String
    /// What is wrong with it.
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
    public var errorDescription: String? { description }
}

/// Rewrites history.csv, history.json and loss.svg after every epoch.
final class HistoryFilesCallback: TrainingCallback {
    func epochEnd(_ epoch: Int, _ run: TrainingContext) throws -> Bool {
        for name in ["history.csv", "history.json"] { _ = try run.claim(name) }
        try RunFiles.writeHistory(run.history, toFolder: run.folder)
        try RunFiles.writeLossSVG(
            run.history, title: run.spec.name, bestEpoch: run.bestEpoch.map { $0 + 1 }, to: try run.claim("loss.svg"))
        return false
    }
}
