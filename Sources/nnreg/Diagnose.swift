import ArgumentParser
import Foundation
import NNReg

struct Diagnose: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Diagnose a trained run (high bias or variance) and suggest changes as --set lines.",
        discussion: """
            Measures the training and validation error of the run's model.safetensors in \
            inference mode (1 - accuracy for classifiers, the loss without penalties for \
            regression), compares them with the baseline, reads the history for evidence and \
            ranks changes to try, each with its `nnreg train` command. docs/spec.md gives the \
            thresholds.
            """)

    @Argument(help: ArgumentHelp("A run folder written by nnreg train.", valueName: "run"))
    var folder: String

    @Option(help: "The error a human or the best known model reaches (default 0).")
    var baselineError: Double?

    @OptionGroup var out: OutputOptions

    func validate() throws {
        try requireValue(folder, "RUN")
        if let e = baselineError, !(e.isFinite && e >= 0) {
            throw ValidationError("--baseline-error must be a number >= 0, such as 0.02; got \(e)")
        }
    }

    func run() throws {
        try runReporting {
            let diagnosis = Diagnosis(try DiagnosisFacts(run: folder, baselineError: baselineError))
            printOut(out.json ? diagnosis.json.pretty() : report(diagnosis))
        }
    }

    /// The readable report: verdict, errors, evidence, suggestions with their train commands.
    func report(_ d: Diagnosis) -> String {
        let folder = folder.hasSuffix("/") && folder.count > 1 ? String(folder.dropLast()) : folder
        var lines = [
            "verdict: \(d.verdict.rawValue)",
            "training error:   \(Diagnosis.format(d.trainError)) (inference mode)",
            "validation error: \(Diagnosis.format(d.validationError))",
            "baseline error:   \(d.baselineError.map(Diagnosis.format) ?? "not given (0)")",
            "avoidable bias:   \(Diagnosis.format(d.avoidableBias))",
            "variance:         \(Diagnosis.format(d.variance))",
            "threshold:        \(Diagnosis.format(d.threshold))",
            "",
            "evidence:",
        ]
        lines += d.evidence.map { "  - " + $0 }
        lines.append("")
        if d.suggestions.isEmpty {
            lines.append("suggestions: none; the model fits as well as the thresholds ask")
        } else {
            lines.append("suggestions (best first):")
            for (k, s) in d.suggestions.enumerated() {
                lines.append("  \(k + 1). \(s.technique): \(s.reason)")
                if s.sets.isEmpty {
                    lines.append("     (no spec change)")
                    continue
                }
                var words = ["nnreg", "train", folder + "/spec.json", "--output", folder + "-" + s.technique]
                for set in s.sets { words += ["--set", set] }
                lines.append("     " + words.map(shellWord).joined(separator: " "))
            }
        }
        return lines.joined(separator: "\n")
    }
}
