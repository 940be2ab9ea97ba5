import ArgumentParser
import Foundation
import NNReg

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the model a spec describes and write its run folder.",
        discussion: """
            The run folder (output.dir, or --output) receives spec.json, history.csv/json, \
            model.safetensors, last.safetensors, metrics.json and loss.svg, each written \
            atomically after every epoch. Ctrl-C stops after the current batch and keeps the \
            finished epochs: continue with --resume (exit status 130).
            """)

    @Argument(help: "The JSON spec file.")
    var spec: String

    @Option(help: "Run folder (default: the spec's output.dir).")
    var output: String?

    @Option(help: "Override training.epochs.")
    var epochs: Int?

    @Option(help: "Override the spec's seed.")
    var seed: UInt64?

    @Flag(help: "Continue the run in the output folder from its last.safetensors.")
    var resume = false

    @Flag(help: "Replace an earlier run in the output folder.")
    var overwrite = false

    @Flag(help: "Write TensorBoard event files under RUN/tensorboard/ (output.tensorboard).")
    var tensorboard = false

    @OptionGroup var out: OutputOptions

    @Flag(help: "Print no progress.")
    var quiet = false

    @OptionGroup var overrides: SpecOverrides

    @OptionGroup var memory: MemoryOption

    func run() throws {
        try runReporting {
            let communicator = try currentCommunicator()
            try onRanks(communicator) { try train(communicator) }
        }
    }

    func train(_ communicator: Communicator) throws {
        let root = communicator.isRoot
        do {
            let spec = try overrides.load(self.spec)
            var options = TrainOptions()
            options.output = output
            options.epochs = epochs
            options.seed = seed
            options.resume = resume
            options.overwrite = overwrite
            options.tensorboard = tensorboard
            options.sweepParent = ProcessInfo.processInfo.environment["NNREG_SWEEP_PARENT"].flatMap { Int32($0) }
            options.communicator = communicator
            let reporter = Reporter(quiet: quiet || !root, json: out.json)
            let run = try TrainingRun(spec: spec, options: options, reporter: reporter)
            let document: JSON
            do {
                document = try run.run()
            } catch TrainingError.interrupted(let epoch) {
                if root { printErr("error: interrupted during epoch \(epoch + 1); " + resumeHint(folder: run.folder)) }
                throw ExitCode(130)  // 128 + SIGINT, as shells report it
            } catch let error as TrainingError where !root {
                _ = error  // every rank stops at the same step; rank 0 reports it
                throw ExitCode(1)
            } catch let error as TrainingError {
                let kept =
                    FileManager.default.fileExists(atPath: run.folder + "/last.safetensors")
                    ? "\(run.folder)/last.safetensors keeps the last good epoch"
                    : "no epoch finished, so no weights were kept"
                printErr("error: \(error); \(kept)")
                throw ExitCode(1)
            }
            if !root {
                return
            } else if out.json {
                printOut(document.pretty())
            } else if !quiet {
                printOut(resultSummary(document, folder: run.folder))
            }
            let transform = spec.data.sequence?.targetTransform ?? .none
            for part in ["validation", "test"] {
                guard let section = document.objectValue?[part] else { continue }
                if let warning = ForecastEvaluation.skillWarning(part, section: section, transform: transform) {
                    printErr("warning: " + warning)
                }
            }
        }
    }
}

extension Train {
    /// How to continue an interrupted run: the same command with --resume, or starting
    /// over when no epoch finished (there is no last.safetensors to resume from).
    func resumeHint(folder: String) -> String {
        guard FileManager.default.fileExists(atPath: folder + "/last.safetensors") else {
            return "no epoch finished, so there is nothing to resume: run the same command again to start over"
        }
        var words = ["nnreg", "train", spec] + overrides.sets.flatMap { ["--set", $0] }
        if let output { words += ["--output", output] }
        if let epochs { words += ["--epochs", String(epochs)] }
        if let seed { words += ["--seed", String(seed)] }
        if tensorboard { words.append("--tensorboard") }
        words.append("--resume")
        return "continue with: " + words.map(shellWord).joined(separator: " ")
    }
}

/// The lines `train` ends with: test and validation metrics, stop reason, the folder.
func resultSummary(_ doc: JSON, folder: String) -> String {
    var lines: [String] = []
    for part in ["validation", "test"] {
        guard let values = doc.objectValue?[part]?.objectValue else { continue }
        let text = values.map { "\($0.key): \($0.value.doubleValue.map { String(format: "%.4f", $0) } ?? "nan")" }
        lines.append("\(part): " + text.joined(separator: " - "))
    }
    if let reason = doc.objectValue?["stop_reason"]?.stringValue { lines.append("stopped: \(reason)") }
    lines.append("run folder: \(folder)")
    return lines.joined(separator: "\n")
}
