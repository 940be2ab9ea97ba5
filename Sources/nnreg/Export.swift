import ArgumentParser
import Foundation
import NNReg

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a trained model's inference graph as an ONNX file.",
        discussion: """
            The graph takes raw inputs (CSV columns, pixels as (height, width, channels), or \
            a series' window of rows) \
            and applies the model's rescale, normalization and standardization itself; its output is \
            "probabilities" for classifiers, "values" otherwise. A layer the export cannot \
            write is an error naming it (exit status 2).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case onnx }

    @Argument(help: ArgumentHelp("A run folder or a .safetensors model file.", valueName: "run-or-model"))
    var model: String

    @Option(help: "The format to write.")
    var format: Format

    @Option(help: "The file to write (default: <run folder>.onnx beside the run folder).")
    var output: String?

    @Option(help: "The ONNX opset (17...21).")
    var opset = ONNXExport.defaultOpset

    func validate() throws {
        try requireValue(model, "<run-or-model>")
    }

    func run() throws {
        try runReporting {
            let path = output ?? ExportOutput.defaultPath(for: model)
            try checkOutputFile(path, inputs: [model, model + "/model.safetensors"])
            try ExportOutput.check(path)
            let saved = try SavedModel(location: model)
            let data = try ONNXExport.export(saved, opset: opset)
            try writeAtomically(data, to: path)
            printErr("wrote \(path) (\(data.count) bytes, opset \(opset))")
        }
    }
}
