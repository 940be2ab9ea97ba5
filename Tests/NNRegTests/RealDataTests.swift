import XCTest
@testable import NNReg

/// Real data: Fashion-MNIST as `make data` writes it (make test runs make data first).
final class RealDataTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The benchmark MLP (bench/README.md), 2 epochs, reaches >= 84% test accuracy (issue: foundation).
    func testTwoEpochMLPOnFashionMNIST() throws {
        let train = Self.root + "/data/fashion-mnist/train.csv"
        guard FileManager.default.fileExists(atPath: train) else {
            return XCTFail("\(train) is missing: run `make data` (make test does)")
        }
        var spec = try Spec.load(path: Self.root + "/specs/fashion-mlp.json")
        spec.training.epochs = 2
        spec.output.dir = NSTemporaryDirectory() + "nnreg-realdata-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: spec.output.dir) }
        var options = TrainOptions()
        options.overwrite = true
        let doc = try TrainingRun(spec: spec, options: options, reporter: Reporter(quiet: true, json: true)).run()
        let accuracy = try XCTUnwrap(doc.objectValue?["test"]?.objectValue?["accuracy"]?.doubleValue)
        XCTAssertGreaterThanOrEqual(accuracy, 0.84)
    }
}
