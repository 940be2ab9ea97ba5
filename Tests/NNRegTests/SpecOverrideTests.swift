import XCTest

@testable import NNReg

/// `--set PATH=VALUE`: paths with list indices, JSON or bare-word values, the result
/// validated like the file, and errors that name the --set.
final class SpecOverrideTests: XCTestCase {
    private func spec(_ sets: [String]) throws -> Spec {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nnreg-set-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("spec.json").path
        try minimalSpec(layers: #"{"type": "dense", "units": 4}, {"type": "dropout", "rate": 0.2}"#)
            .write(toFile: file, atomically: true, encoding: .utf8)
        return try Spec.load(path: file, overrides: try sets.map(SpecOverride.init))
    }

    private func error(_ sets: [String]) -> String {
        do {
            _ = try spec(sets)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testValuesAreJSONAndBareWordsAreStrings() throws {
        let s = try spec([
            "training.epochs=5", "model.layers[1].rate=0.4", #"model.layers[0].kernel_regularizer={"l2":1e-4}"#,
            "training.optimizer=adam", "early_stopping.patience=2", "early_stopping.monitor=loss",
        ])
        XCTAssertEqual(s.training.epochs, 5)
        XCTAssertEqual(s.model.layers[1].float("rate"), 0.4)
        XCTAssertEqual(s.model.layers[0].regularizer("kernel_regularizer"), Regularizer(l1: 0, l2: 1e-4))
        XCTAssertEqual(s.training.optimizer.type, "adam")
        XCTAssertEqual(s.earlyStopping?.patience, 2, "an absent section is created")
        XCTAssertEqual(s.resolvedJSON().objectValue?["training"]?.objectValue?["epochs"], 5, "recorded in the spec")
    }

    func testErrorsNameTheSet() {
        XCTAssertEqual(
            error(["model.layers[1].rate=1.5"]),
            "model.layers[1].rate: must be in [0, 1), got 1.5 (from --set model.layers[1].rate=1.5)")
        XCTAssertEqual(
            error(["model.layers[5].rate=0.1"]), "--set model.layers[5].rate=0.1: model.layers has 2 items; no [5]")
        XCTAssertEqual(error(["training.epochs"]), "--set training.epochs: expected PATH=VALUE")
        XCTAssertEqual(
            error(["model.layers[x].rate=1"]),
            "--set model.layers[x].rate=1: expected [index] with a non-negative integer in model.layers[x].rate")
        XCTAssertEqual(
            error(["training.epochs.max=1"]),
            #"training.epochs: expected a positive integer, got {"max": 1} (from --set training.epochs.max=1)"#)
        XCTAssertEqual(
            error(["training.epochs=3", "training.epochs.max=1"]),
            "--set training.epochs.max=1: training.epochs is a number, not an object")
        XCTAssertEqual(
            error(["training.epoch=3"]),
            #"training.epoch: unknown key; did you mean "epochs"? (from --set training.epoch=3)"#)
    }
}
