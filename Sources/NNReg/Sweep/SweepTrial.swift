import Foundation

/// One configuration trained with one seed: a run folder trials/<id>/ in the sweep folder.
public struct Trial: Sendable {
    public let config: SweepConfig
    public let seed: UInt64
    /// "c03-s2": the configuration's id and the seed.
    public var id: String { "\(config.id)-s\(seed)" }
}

/// What a trial's run folder holds: its history and final metrics (metrics.json).
public struct TrialOutcome {
    public var history: [HistoryRecord]
    /// metrics.json's "validation" and "test" sections, as (name, value) in file order.
    public var validation: [(name: String, value: Double)]
    public var test: [(name: String, value: Double)]
    public var epochsRun: Int
    /// 1-based, as metrics.json counts.
    public var bestEpoch: Int?
    public var stopReason: String

    /// The run in `folder`, or nil when it has not finished a stage (no metrics.json).
    /// A damaged file is an error naming it.
    static func read(_ folder: String) throws -> TrialOutcome? {
        let file = folder + "/metrics.json"
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        let json: JSON
        do {
            json = try JSON.parse(bytes: try readFileBytes(file))
        } catch let error as JSONSyntaxError {
            throw DataError("\(file): \(error)")
        }
        guard let doc = json.objectValue, let epochs = doc["epochs_run"]?.intValue else {
            throw DataError("\(file): expected a metrics document with \"epochs_run\"")
        }
        func section(_ key: String) -> [(name: String, value: Double)] {
            (doc[key]?.objectValue).map { $0.map { ($0.key, $0.value.doubleValue ?? .nan) } } ?? []
        }
        let history = try RunFiles.readHistory(folder + "/history.json")
        return TrialOutcome(
            history: Array(history.prefix(epochs)), validation: section("validation"), test: section("test"),
            epochsRun: epochs, bestEpoch: doc["best_epoch"]?.intValue,
            stopReason: doc["stop_reason"]?.stringValue ?? "")
    }

    /// Whether training ended on its own (early stopping, a non-finite loss) rather than at
    /// the epochs it was asked for: such a trial cannot go on.
    public var endedEarly: Bool { !stopReason.hasPrefix("completed") }

    /// The best value of `monitor` over the first `epochs` epochs, in `mode`'s direction;
    /// nil when no epoch recorded a finite value.
    public func objective(_ monitor: String, mode: MonitorMode, epochs: Int) -> Double? {
        let values = history.prefix(epochs).compactMap { $0[monitor] }.filter(\.isFinite)
        return mode == .max ? values.max() : values.min()
    }

    /// Wall time of the epochs trained.
    public var seconds: Double { history.compactMap { $0["seconds"] }.reduce(0, +) }
}

/// Runs `nnreg train` in a child process.
struct TrainProcess {
    /// The nnreg executable.
    let executable: String
    /// The base spec and the `--set`s every trial starts from.
    let spec: String
    let sets: [SpecOverride]
    /// Worker threads each trial trains with, when the spec leaves them open.
    let threads: Int?

    /// The child's exit status and the end of what it printed on stderr.
    struct Result {
        var status: Int32
        var message: String
    }

    /// The arguments that train `trial` in `folder` up to `epochs` (nil: the spec's),
    /// continuing the run there when `resume`.
    func arguments(_ trial: Trial, folder: String, epochs: Int?, resume: Bool) -> [String] {
        var words = ["train", spec]
        for set in sets + trial.config.overrides { words += ["--set", set.text] }
        if let threads { words += ["--set", "training.threads=\(threads)"] }
        words += ["--seed", String(trial.seed), "--output", folder, "--quiet"]
        if resume { words.append("--resume") }
        if let epochs { words += ["--epochs", String(epochs)] }
        return words
    }

    /// Runs it and waits; `started` receives the process so an interrupt can reach it.
    func run(_ arguments: [String], started: (Process) -> Void) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NNREG_SWEEP_PARENT"] = String(getpid())  // the child stops if the sweep dies
        process.environment = environment
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        do {
            try process.run()
        } catch {
            return Result(status: 1, message: "cannot start \(executable): \(error)")
        }
        started(process)
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let lines = text.split(separator: "\n").suffix(3).joined(separator: "\n")
        return Result(status: process.terminationStatus, message: lines)
    }
}
