import Foundation
import XCTest

/// `nnreg export --format onnx` of time-series models (data.sequence): the graph takes a
/// window of raw feature rows and gives the forecast in target units, as predict does.
final class ExportSequenceTests: ExportTestCase {
    /// series.csv (date, f1, y) of `rows` rows and x.csv: every window of `window` rows
    /// (f1, y per row, flattened), in order.
    func writeSeries(rows: Int, window: Int) throws {
        var csv = "date,f1,y\n"
        var values: [[Double]] = []
        for i in 0..<rows {
            let t = Double(i)
            let row = [(sin(t / 3) * 20).rounded() / 10 + 5, 300 + t * 0.5 + (cos(t / 2) * 30).rounded() / 10]
            values.append(row)
            csv += String(format: "2020-01-%02d,%.1f,%.1f\n", i + 1, row[0], row[1])
        }
        try write("series.csv", csv)
        let x = (0...(rows - window)).map { start in
            values[start..<(start + window)].flatMap { $0 }.map { String(format: "%.1f", $0) }.joined(separator: ",")
        }
        try write("x.csv", x.joined(separator: "\n") + "\n")
    }

    func testForecastsInTargetUnits() throws {
        try writeSeries(rows: 30, window: 5)
        for normalization in ["featurewise", "samplewise"] {
            try exportSpec(
                [["type": "lstm", "units": 4], ["type": "dense", "units": 1]], regression: true
            ) { spec in
                spec["data"] = [
                    "train": self.path("series.csv"), "normalization": normalization, "rescale": 0.5,
                    "sequence": ["window": 5, "target": "y", "features": ["f1", "y"]],
                ]
            }
            try train()
            assertSuccess(try nnreg("export", "run", "--format", "onnx", "--output", "model.onnx"))
            let onnx = try XCTUnwrap(try onnxCheck("model.onnx")["values"] as? [[Double]])
            let o = try nnreg("predict", "--model", "run", "--data", path("series.csv"))
            assertSuccess(o)
            let forecasts = o.lines.dropFirst().map { Double($0.split(separator: ",")[1])! }
            XCTAssertEqual(onnx.count, forecasts.count, normalization)
            // Forecasts are in target units (about 300, where float32's spacing is 3e-5): the
            // tolerance is relative.
            for (a, b) in zip(onnx, forecasts) {
                XCTAssertEqual(a[0], b, accuracy: 1e-6 * max(1, abs(b)), normalization)
            }
        }
    }

    /// A model that forecasts changes (target_transform) is refused, naming the option.
    func testATransformIsRefusedNotExportedWrong() throws {
        try writeSeries(rows: 30, window: 5)
        try exportSpec([["type": "lstm", "units": 4], ["type": "dense", "units": 1]], regression: true) { spec in
            spec["data"] = [
                "train": self.path("series.csv"),
                "sequence": ["window": 5, "target": "y", "features": ["f1", "y"], "target_transform": "difference"],
            ]
        }
        try train()
        let o = try nnreg("export", "run", "--format", "onnx", "--output", "model.onnx")
        XCTAssertEqual(o.status, 2)
        XCTAssertTrue(o.stderr.contains("data.sequence.target_transform \"difference\" is not supported"), o.stderr)
        XCTAssertFalse(exists("model.onnx"))
    }
}
