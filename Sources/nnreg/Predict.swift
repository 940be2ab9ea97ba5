import ArgumentParser
import Foundation
import NNReg

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predictions of a trained model as CSV: the class and each class's probability, or the values.")

    @OptionGroup var model: ModelOption

    @Option(help: "Data: a CSV file with the training columns, or - for standard input.")
    var data: String

    @Option(help: "Write the CSV here (atomically) instead of standard output.")
    var output: String?

    func validate() throws { try requireValue(data, "--data") }

    func run() throws {
        try runReporting {
            if let output {
                try checkOutputFile(output, inputs: [data, model.model, model.model + "/model.safetensors"])
            }
            let saved = try SavedModel(location: model.model)
            let (csv, count) = try saved.predictions(data)
            if let output {
                try writeAtomically(csv, to: output)
                printErr("wrote \(count) predictions to \(output)")
            } else {
                FileHandle.standardOutput.write(Data(csv.utf8))
            }
        }
    }
}
