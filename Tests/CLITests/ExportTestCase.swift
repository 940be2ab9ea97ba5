import Foundation
import XCTest

/// What the export tests share: tiny data made in the test, a 2-epoch run of a spec on it,
/// its ONNX export checked and run by tools/onnx_check.py (onnx.checker full check, then
/// onnxruntime) in .venv-test (`TestVenv`), and predict's outputs on the same rows to
/// compare with.
class ExportTestCase: CLITestCase {
    /// ONNX Runtime's outputs must be predict's within this (absolute).
    static let tolerance = 1e-5

    override func setUpWithError() throws {
        try super.setUpWithError()
        try TestVenv.require(for: "check ONNX exports with onnxruntime")
    }

    /// train.csv (features f1..., then label) and x.csv (the features alone, no header):
    /// `rows` samples of `features` values, from a fixed generator. `pixels`: integers in
    /// 0...255 (for rescale); otherwise values around 0. The label is a class 0..<classes
    /// of the first features' sum, or (`regression`) a value of it.
    func writeData(features: Int, rows: Int = 48, classes: Int = 3, pixels: Bool = false, regression: Bool = false)
        throws
    {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var train = (1...features).map { "f\($0)" }.joined(separator: ",") + ",label\n"
        var x = ""
        for _ in 0..<rows {
            let values = (0..<features).map { _ in pixels ? (next() * 255).rounded() : next() * 4 - 2 }
            let cells = values.map { pixels ? String(Int($0)) : String(format: "%.4f", $0) }.joined(separator: ",")
            let s = values.prefix(3).reduce(0, +) / (pixels ? 255 : 1)
            let label = regression ? String(format: "%.4f", s) : String(Int(abs(s * 7)) % classes)
            train += cells + "," + label + "\n"
            x += cells + "\n"
        }
        try write("train.csv", train)
        try write("x.csv", x)
    }

    /// A spec on train.csv with `layers`, edited by `edit`; a classifier with a softmax
    /// output unless `regression` (mse).
    @discardableResult
    func exportSpec(
        _ layers: [[String: Any]], inputShape: [Int]? = nil, regression: Bool = false,
        _ edit: (inout [String: Any]) -> Void = { _ in }
    ) throws -> String {
        var model: [String: Any] = ["layers": layers]
        if let inputShape { model["input_shape"] = inputShape }
        var spec: [String: Any] = [
            "name": "export-test", "seed": 5,
            "data": ["train": path("train.csv"), "label": "label"],
            "model": model,
            "training": [
                "loss": regression ? "mse" : "sparse_categorical_crossentropy",
                "metrics": regression ? ["mae"] : ["accuracy"],
                "optimizer": ["type": "adam", "learning_rate": 0.01], "epochs": 2, "batch_size": 16,
            ],
            "output": ["dir": "run"],
        ]
        edit(&spec)
        return try writeSpec("spec.json", spec)
    }

    /// Trains spec.json into "run" (replacing it).
    func train(file: StaticString = #filePath, line: UInt = #line) throws {
        assertSuccess(try nnreg("train", "spec.json", "--quiet", "--overwrite", timeout: 120), file: file, line: line)
    }

    /// Runs tools/onnx_check.py on `model` and x.csv: the parsed JSON it prints.
    func onnxCheck(_ model: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        try TestVenv.json("onnx_check.py", [path(model), path("x.csv")], file: file, line: line)
    }

    /// predict's outputs on train.csv: per row its probabilities or values.
    func predictions(file: StaticString = #filePath, line: UInt = #line) throws -> [[Double]] {
        let o = try nnreg("predict", "--model", "run", "--data", path("train.csv"))
        assertSuccess(o, file: file, line: line)
        let header = o.lines[0].split(separator: ",")
        let first = header.firstIndex { $0.hasPrefix("p_") || $0.hasPrefix("value") }!
        return o.lines.dropFirst().map { $0.split(separator: ",").dropFirst(first).map { Double($0)! } }
    }

    /// Trains spec.json, exports the run (`arguments` added) to model.onnx, and checks that
    /// ONNX Runtime gives predict's outputs; returns onnx_check.py's JSON.
    @discardableResult
    func assertExportMatchesPredict(
        _ arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line
    ) throws -> [String: Any] {
        try train(file: file, line: line)
        let o = try Child(["export", "run", "--format", "onnx", "--output", "model.onnx"] + arguments, in: dir)
            .finish(timeout: 60)
        assertSuccess(o, file: file, line: line)
        let check = try onnxCheck("model.onnx", file: file, line: line)
        let onnx = try XCTUnwrap(check["values"] as? [[Double]], file: file, line: line)
        let expected = try predictions(file: file, line: line)
        XCTAssertEqual(onnx.count, expected.count, file: file, line: line)
        var worst = 0.0
        for (a, b) in zip(onnx, expected) {
            XCTAssertEqual(a.count, b.count, file: file, line: line)
            for (u, v) in zip(a, b) { worst = max(worst, abs(u - v)) }
        }
        XCTAssertLessThanOrEqual(
            worst, Self.tolerance, "ONNX Runtime vs predict, largest difference", file: file, line: line)
        return check
    }
}
