import Foundation

/// A run folder written by `nnreg train`, read back: what `nnreg compare` and a sweep's
/// report show of a run.
///
/// Files read, each with the project's strict JSON parser (a damaged file is an error
/// naming it, with the line and column for bad JSON):
/// - `spec.json` (required; `nnreg train` writes it first): the resolved spec, an object.
/// - `history.json`: one object per epoch, read by `RunFiles.readHistory`. Absent before
///   the first epoch ends: the history is empty.
/// - `metrics.json`: `{"test": {name: number or null} or null, "validation": ... or null,
///   "epochs_run": N, "best_epoch": N or null, "stop_reason": "..."}`; other keys (an
///   ensemble's "members") are ignored. Absent while a run trains or after it was
///   interrupted: `finished` is false, `test` and `validation` are nil, `epochsRun` counts
///   the history.
///
/// Values written as null (not finite) read as NaN.
public struct RunRecord {
    /// The folder as given (the name the table shows).
    public let path: String
    /// spec.json: the resolved spec.
    public let spec: JSON
    /// history.json, in epoch order.
    public let history: [HistoryRecord]
    /// Whether metrics.json is there, i.e. training ended.
    public let finished: Bool
    /// metrics.json's "test" and "validation" results (loss and metrics), nil when null or absent.
    public let test: [(name: String, value: Double)]?
    public let validation: [(name: String, value: Double)]?
    /// Epochs trained: metrics.json's "epochs_run", else the history's length.
    public let epochsRun: Int
    /// metrics.json's "best_epoch" (counted from 1): the epoch early stopping or
    /// checkpointing judged best; nil when null or absent.
    public let bestEpoch: Int?
    /// metrics.json's "stop_reason", e.g. "completed 10 epochs"; nil when absent.
    public let stopReason: String?

    /// The run folder's three files, in the order they are read.
    public static let fileNames = ["spec.json", "history.json", "metrics.json"]

    /// Reads the run folder at `folder`; `RunRecordError` (the user's to fix) when it is not
    /// one or a file in it is damaged.
    public init(folder: String) throws {
        path = folder
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: folder, isDirectory: &isFolder) else {
            throw RunRecordError(path: folder, reason: "no such run folder")
        }
        guard isFolder.boolValue else {
            throw RunRecordError(path: folder, reason: "is a file; give a run folder that nnreg train wrote")
        }
        let specFile = RunRecord.file(folder, "spec.json")
        guard fm.fileExists(atPath: specFile) else {
            throw RunRecordError(
                path: folder, reason: "not a run folder (no spec.json); give a folder that nnreg train wrote")
        }
        spec = try RunRecord.readJSON(specFile)
        guard case .object = spec else {
            throw RunRecordError(path: specFile, reason: "is \(spec.kind), expected the resolved spec (an object)")
        }

        let historyFile = RunRecord.file(folder, "history.json")
        do {
            history = fm.fileExists(atPath: historyFile) ? try RunFiles.readHistory(historyFile) : []
        } catch let e as FileIOError {
            throw RunRecordError(path: e.path, reason: e.reason)
        }

        let metricsFile = RunRecord.file(folder, "metrics.json")
        finished = fm.fileExists(atPath: metricsFile)
        let metrics = finished ? try Metrics(metricsFile) : Metrics()
        test = metrics.test
        validation = metrics.validation
        epochsRun = metrics.epochsRun ?? history.count
        bestEpoch = metrics.bestEpoch
        stopReason = metrics.stopReason
    }

    /// A record made of its parts (tests).
    init(
        path: String, spec: JSON = .object(.init()), history: [HistoryRecord], finished: Bool = true,
        test: [(name: String, value: Double)]? = nil, validation: [(name: String, value: Double)]? = nil,
        epochsRun: Int, bestEpoch: Int? = nil, stopReason: String? = nil
    ) {
        self.path = path
        self.spec = spec
        self.history = history
        self.finished = finished
        self.test = test
        self.validation = validation
        self.epochsRun = epochsRun
        self.bestEpoch = bestEpoch
        self.stopReason = stopReason
    }

    /// `name` in `folder`, without doubling a trailing slash.
    static func file(_ folder: String, _ name: String) -> String {
        (folder.hasSuffix("/") ? folder : folder + "/") + name
    }

    /// The JSON document in `file`; unreadable files and bad JSON are `RunRecordError`s.
    static func readJSON(_ file: String) throws -> JSON {
        do {
            return try JSON.parse(bytes: try readFileBytes(file))
        } catch let e as FileIOError {
            throw RunRecordError(path: e.path, reason: e.reason)
        } catch let e as JSONSyntaxError {
            throw RunRecordError(path: file, reason: "not valid JSON: \(e.description)")
        }
    }

    /// metrics.json's fields, each checked for its type.
    private struct Metrics {
        var test, validation: [(name: String, value: Double)]?
        var epochsRun, bestEpoch: Int?
        var stopReason: String?

        init() {}

        init(_ file: String) throws {
            func fail(_ reason: String) -> RunRecordError { RunRecordError(path: file, reason: reason) }
            guard case .object(let doc) = try RunRecord.readJSON(file) else {
                throw fail("expected an object with \"test\", \"validation\", \"epochs_run\", ...")
            }
            func results(_ key: String) throws -> [(name: String, value: Double)]? {
                switch doc[key] {
                case nil, .null?: return nil
                case .object(let values)?:
                    return try values.map { name, value in
                        switch value {
                        case .number(let x): return (name, x)
                        case .null: return (name, .nan)
                        default: throw fail("\"\(key)\".\"\(name)\" is \(value.kind), expected a number or null")
                        }
                    }
                case let value?: throw fail("\"\(key)\" is \(value.kind), expected an object or null")
                }
            }
            func count(_ key: String) throws -> Int? {
                guard let value = doc[key], value != .null else { return nil }
                guard let n = value.intValue, n >= 0 else {
                    throw fail("\"\(key)\" is \(value.compact()), expected a whole number or null")
                }
                return n
            }
            test = try results("test")
            validation = try results("validation")
            epochsRun = try count("epochs_run")
            bestEpoch = try count("best_epoch")
            switch doc["stop_reason"] {
            case nil, .null?: stopReason = nil
            case .string(let s)?: stopReason = s
            case let value?: throw fail("\"stop_reason\" is \(value.kind), expected a string")
            }
        }
    }
}

// MARK: - What the table shows of a run

extension RunRecord {
    /// The last epoch's record; nil before the first epoch ended.
    public var lastEpoch: HistoryRecord? { history.last }

    /// The quantities the run recorded, as training names: "loss" and the metrics, in
    /// history.csv's order, then any that only metrics.json holds.
    public var metricNames: [String] {
        var names = RunFiles.historyColumns(history).filter {
            !$0.hasPrefix("val_") && $0 != "learning_rate" && $0 != "seconds"
        }
        for (name, _) in (test ?? []) + (validation ?? []) where !names.contains(name) { names.append(name) }
        return names
    }

    /// The last epoch's training value of `name` ("loss", "accuracy").
    public func final(_ name: String) -> Double? { lastEpoch?[name] }

    /// The generalization gap of `name` at the last epoch: val_<name> − <name> (a positive
    /// loss gap is overfitting), as history.json's `gap_` diagnostics define it.
    public func gap(_ name: String) -> Double? {
        guard let train = lastEpoch?[name], let val = lastEpoch?["val_" + name] else { return nil }
        return val - train
    }

    /// The lowest finite val_loss over the history; nil without validation.
    public var bestValidationLoss: Double? {
        history.compactMap { $0["val_loss"] }.filter(\.isFinite).min()
    }

    /// The training time: the sum of every epoch's seconds.
    public var seconds: Double {
        history.compactMap { $0["seconds"] }.filter(\.isFinite).reduce(0, +)
    }
}

// MARK: - Run and sweep folders

extension RunRecord {
    /// Whether `path` is a sweep folder: it holds a `trials` folder and no metrics.json of its own.
    public static func isSweep(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: file(path, "trials"), isDirectory: &isFolder)
            && isFolder.boolValue && !FileManager.default.fileExists(atPath: file(path, "metrics.json"))
    }

    /// The run folders `paths` stand for, in order: a run folder as given; a sweep folder
    /// (`isSweep`) as its `trials/<id>` folders, sorted by id with digit runs compared as
    /// numbers (`0002-s1` before `0010-s1`, `2` before `10`). Hidden entries and files in
    /// `trials` are skipped; a sweep with no trial folder is an error.
    public static func runFolders(_ paths: [String]) throws -> [String] {
        try paths.flatMap { path -> [String] in
            guard isSweep(path) else { return [path] }
            let trials = file(path, "trials")
            let ids: [String]
            do {
                ids = try FileManager.default.contentsOfDirectory(atPath: trials).filter { id in
                    var isFolder: ObjCBool = false
                    return !id.hasPrefix(".")
                        && FileManager.default.fileExists(atPath: file(trials, id), isDirectory: &isFolder)
                        && isFolder.boolValue
                }
            } catch {
                throw RunRecordError(
                    path: trials, reason: "cannot list the trial folders: \(error.localizedDescription)")
            }
            guard !ids.isEmpty else {
                throw RunRecordError(path: trials, reason: "no trial folders yet; compare the sweep once a trial ran")
            }
            return ids.sorted { $0.compare($1, options: [.numeric]) == .orderedAscending }.map { file(trials, $0) }
        }
    }

    /// Reads every run folder `paths` stand for (`runFolders`), in that order.
    public static func load(_ paths: [String]) throws -> [RunRecord] {
        try runFolders(paths).map { try RunRecord(folder: $0) }
    }
}

/// A run folder (or one of its files) that cannot be read: "path: reason". Bad input
/// (exit status 2): the user gives another folder or repairs the file.
public struct RunRecordError: FileError, LocalizedError, Equatable {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}
