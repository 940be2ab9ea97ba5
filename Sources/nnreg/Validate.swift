import ArgumentParser
import Foundation
import NNReg

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a spec and its data without training.",
        discussion:
            "Reads every data file, checks the layer shapes and the labels against the model; exit status 2 on any problem."
    )

    @Argument(help: "The JSON spec file.")
    var spec: String

    @OptionGroup var out: OutputOptions

    @OptionGroup var overrides: SpecOverrides

    @OptionGroup var memory: MemoryOption

    func run() throws {
        try runReporting {
            let spec = try overrides.load(self.spec)
            let experiment = try Experiment(spec: spec)
            for note in experiment.notes { Reporter(quiet: true, json: true).note(note) }
            let params = experiment.model.network.namedParameters.reduce(0) { $0 + $1.parameter.value.count }
            let parts: [(String, DataSource?)] = [
                ("train", experiment.train), ("validation", experiment.validation), ("test", experiment.test),
            ]
            if out.json {
                var doc: [(String, JSON)] = [
                    ("valid", true), ("name", .string(spec.name)), ("parameters", JSON(params)),
                ]
                for (name, d) in parts { doc.append((name, d.map { JSON($0.count) } ?? .null)) }
                printOut(JSON.object(.init(doc)).pretty())
            } else {
                let counts = parts.compactMap { name, d in d.map { "\(name) \($0.count)" } }.joined(separator: ", ")
                printOut(
                    "\(self.spec): valid; \(counts) samples of shape (None, \(experiment.inputShape.map(String.init).joined(separator: ", "))); \(params) parameters"
                )
            }
        }
    }
}
