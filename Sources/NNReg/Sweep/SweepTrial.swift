import Foundation

/// One configuration trained with one seed: a run folder trials/<id>/ in the sweep folder.
public struct Trial: Sendable {
    public let config: SweepConfig
    public let seed: UInt64
    /// "c03-s2": the configuration's id and the seed.
    public var id: String { "\(config.id)-s\(seed)" }
}

extension RunRecord {
    /// The run in `folder` once it finished a stage (metrics.json is there), else nil.
    static func finished(_ folder: String) throws -> RunRecord? {
        guard FileManager.default.fileExists(atPath: file(folder, "metrics.json")) else { return nil }
        return try RunRecord(folder: folder)
    }

    /// Whether training ended on its own (early stopping, a non-finite loss) rather than at
    /// the epochs it was asked for: such a trial cannot go on.
    var endedEarly: Bool { stopReason?.hasPrefix("completed") == false }

    /// The trial's value of `monitor` ("val_accuracy"): metrics.json's validation result of
    /// the weights the run keeps (its last epoch's, the best epoch's with
    /// restore_best_weights, an ensemble's averaged prediction), as of the stage it last
    /// finished. Nil when there is none or it is not finite.
    func objective(_ monitor: String) -> Double? {
        guard let value = validation?.first(where: { "val_" + $0.name == monitor })?.value, value.isFinite else {
            return nil
        }
        return value
    }
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
    /// The base spec's name: a trial's run is named "<name>-<trial id>" (in its spec.json and
    /// plot titles), unless a parameter sets the name itself.
    let name: String

    /// The child's exit status and the end of what it printed on stderr.
    struct Result {
        var status: Int32
        var message: String
    }

    /// The arguments that train `trial` in `folder` up to `epochs` (nil: the spec's),
    /// continuing the run there when `resume`.
    func arguments(_ trial: Trial, folder: String, epochs: Int?, resume: Bool) -> [String] {
        var words = ["train", spec]
        for set in sets { words += ["--set", set.text] }
        words += ["--set", "name=\(name)-\(trial.id)"]
        for set in trial.config.overrides { words += ["--set", set.text] }
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
        // A trial is one process, also when the sweep runs under mpirun: without Open MPI's
        // variables it does not join the job.
        var environment = ProcessInfo.processInfo.environment.filter { key, _ in
            !["OMPI_", "PMIX_", "OPAL_", "PRTE_"].contains { key.hasPrefix($0) }
        }
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
