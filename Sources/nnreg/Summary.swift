import ArgumentParser
import Foundation
import NNReg

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The layer table of a spec's model: output shapes and parameter counts (like Keras model.summary()).",
        discussion: "Reads only what the input shape needs: the CSV header, or the first image.")

    @Argument(help: "The JSON spec file.")
    var spec: String

    @OptionGroup var overrides: SpecOverrides

    @OptionGroup var memory: MemoryOption

    func run() throws {
        try runReporting {
            let spec = try overrides.load(self.spec)
            var rng = RNG(seed: spec.seed)
            let network = try ModelBuilder.build(
                spec.model.layers, inputShape: try DataShape.inputShape(of: spec), maxBatch: 1, rng: &rng)
            printOut(network.summary(name: spec.name))
        }
    }
}
