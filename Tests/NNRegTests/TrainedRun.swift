import XCTest

@testable import NNReg

/// What a training run leaves that must not depend on where its data lives (data.cache):
/// history.csv without its seconds column, metrics.json and every weight tensor.
struct TrainedRun: Equatable {
    var history: [[Substring]]
    var metrics: String
    var weights: [String: [Float]]

    /// Trains `spec` into its output folder (overwritten) and reads back what it wrote.
    init(_ spec: Spec) throws {
        var options = TrainOptions()
        options.overwrite = true
        _ = try TrainingRun(spec: spec, options: options, reporter: Reporter(quiet: true, json: true)).run()
        let dir = spec.output.dir
        history = try String(contentsOfFile: dir + "/history.csv", encoding: .utf8).split(separator: "\n")
            .map { Array($0.split(separator: ",").dropLast()) }
        metrics = try String(contentsOfFile: dir + "/metrics.json", encoding: .utf8)
        weights = try SafeTensors.read(dir + "/model.safetensors").tensors.mapValues(\.array)
    }
}
