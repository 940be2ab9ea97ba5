import ArgumentParser
import Foundation
import NNReg

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs side by side: their results and the spec keys that differ between them.",
        discussion: """
            Give run folders nnreg train wrote, or sweep folders (a folder holding trials/ \
            and no metrics.json), each standing for its trial folders sorted by id. Per run: the last epoch's loss and \
            metrics, metrics.json's validation and test results, the gap (val - training), \
            epochs, best epoch, best val_loss and seconds; then the spec keys that differ.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, md
    }

    @Argument(help: ArgumentHelp("Run folders, or sweep folders.", valueName: "run-or-sweep"))
    var runs: [String]

    @OptionGroup var out: OutputOptions

    @Option(help: "text: aligned columns (the default); md: GitHub markdown tables.")
    var format: Format?

    @Option(
        help: ArgumentHelp(
            "Also write every run's loss and metric curves to this SVG file (atomically).", valueName: "file.svg"))
    var plot: String?

    func validate() throws {
        for run in runs { try requireValue(run, "a run folder") }
        if let plot { try requireValue(plot, "--plot") }
        if out.json && format != nil { throw ValidationError("--json and --format are alternatives; give one") }
    }

    func run() throws {
        try runReporting {
            let comparison = Comparison(try RunRecord.load(runs))
            let shown =
                out.json
                ? comparison.json().pretty() + "\n"
                : comparison.render(Comparison.Format(rawValue: (format ?? .text).rawValue)!)
            if let plot {
                let count = comparison.runs.count
                try comparison.writePlot(
                    to: plot, title: "\(count) run\(count == 1 ? "" : "s") compared", given: runs)
                printErr("wrote the curves of \(count) run\(count == 1 ? "" : "s") to \(plot)")
            }
            FileHandle.standardOutput.write(Data(shown.utf8))
        }
    }
}
