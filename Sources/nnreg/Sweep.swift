import ArgumentParser
import Foundation
import NNReg

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train many variants of a spec and rank them on validation data.",
        discussion: """
            The sweep file names a base spec and the values to vary (docs/sweeps.md). Every \
            configuration trains once per seed, each trial a run folder trials/<id>/ in the sweep \
            folder, which also receives sweep.json, trials.csv, summary.csv, best.json, sweep.svg \
            and report.md. Ctrl-C stops after the running trials' current batch: continue with \
            --resume (exit status 130).
            """)

    @Argument(help: "The JSON sweep file.")
    var sweep: String

    @Option(help: "Trials to train at once, each in its own process; the cores are split among them.")
    var jobs = 1

    @Option(help: "Sweep folder (default: the sweep file's output.dir).")
    var output: String?

    @Flag(help: "Continue the sweep in the output folder: finished trials are kept, interrupted ones resume.")
    var resume = false

    @Flag(help: "Replace an earlier sweep in the output folder.")
    var overwrite = false

    @OptionGroup var out: OutputOptions

    @Flag(help: "Print no progress.")
    var quiet = false

    @OptionGroup var overrides: SpecOverrides

    func validate() throws {
        try requireValue(sweep, "SWEEP")
        guard (1...256).contains(jobs) else { throw ValidationError("--jobs must be in [1, 256], got \(jobs)") }
        if resume && overwrite { throw ValidationError("--resume and --overwrite exclude each other") }
    }

    func run() throws {
        try runReporting {
            let communicator = try currentCommunicator()
            try onRanks(communicator) { try runSweep(communicator) }
        }
    }

    /// Rank 0 (or the one process) runs the sweep; under mpirun the other ranks train the
    /// trials it sends them (`serveSweepTrials`).
    func runSweep(_ communicator: Communicator) throws {
        let executable = Bundle.main.executablePath ?? CommandLine.arguments[0]
        guard communicator.isRoot else {
            serveSweepTrials(communicator, executable: executable)
            return
        }
        do {
            var options = SweepOptions(executable: executable)
            options.communicator = communicator
            options.output = output
            options.jobs = jobs
            options.resume = resume
            options.overwrite = overwrite
            options.sets = try overrides.sets.map(SpecOverride.init)
            let run = try SweepRun(sweepFile: sweep, options: options, reporter: Reporter(quiet: quiet, json: out.json))
            let document: JSON
            do {
                document = try run.run()
            } catch TrainingError.interrupted {
                var words = ["nnreg", "sweep", sweep] + overrides.sets.flatMap { ["--set", $0] }
                if let output { words += ["--output", output] }
                printErr(
                    "error: interrupted; continue with: " + (words + ["--resume"]).map(shellWord).joined(separator: " ")
                )
                throw ExitCode(130)
            }
            if out.json {
                printOut(document.pretty())
            } else if !quiet {
                printOut(sweepSummary(document, folder: run.folder))
            }
        }
    }
}

/// The lines `sweep` ends with: the best configuration, the compute, the folder.
func sweepSummary(_ doc: JSON, folder: String) -> String {
    let o = doc.objectValue
    var lines: [String] = []
    if let best = o?["best"]?.objectValue, let id = best["config"]?.stringValue {
        let values = best["parameters"]?.objectValue.map { $0.map { "\($0.key)=\($0.value.compact())" } } ?? []
        let objective = best["objective"]?.doubleValue.map { String(format: "%.4f", $0) } ?? "n/a"
        lines.append(
            "best: \(id) (\(values.joined(separator: ", "))): \(o?["objective"]?.stringValue ?? "") \(objective)")
    } else {
        lines.append("best: none (no configuration finished)")
    }
    lines.append("epochs trained: \(o?["epochs_trained"]?.intValue ?? 0)")
    if let failed = o?["failed_trials"]?.intValue, failed > 0 {
        lines.append("failed trials: \(failed) (status \"failed\" in trials.csv; the ranking leaves them out)")
    }
    lines.append("sweep folder: \(folder) (report.md, summary.csv, best.json)")
    return lines.joined(separator: "\n")
}
