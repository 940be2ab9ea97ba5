import ArgumentParser
import Foundation
import NNReg

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predictions of a trained model as CSV: the class and each class's probability, or the values.")

    @OptionGroup var input: ModelAndData

    @Option(help: "Write the CSV here (atomically) instead of standard output.")
    var output: String?

    func run() throws {
        try runReporting {
            if let output {
                try checkOutputFile(output, inputs: [input.data, input.model, input.model + "/model.safetensors"])
            }
            let saved = try SavedModel(location: input.model)
            let (csv, count) = try saved.predictions(input.data)
            if let output {
                try writeAtomically(csv, to: output)
                printErr("wrote \(count) predictions to \(output)")
            } else {
                FileHandle.standardOutput.write(Data(csv.utf8))
            }
        }
    }
}
