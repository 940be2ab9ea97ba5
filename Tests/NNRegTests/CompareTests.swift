import Foundation
import XCTest

@testable import NNReg

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// RunRecord (reading run and sweep folders) and Comparison (tables, JSON, the plot) on
/// run folders written by hand.
final class CompareTests: XCTestCase {
    private var dir = ""
    private var startFolder = ""

    /// A fresh folder per test, also the working directory, so tables can show short names.
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "nnreg-compare-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        startFolder = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(dir))
    }

    override func tearDownWithError() throws {
        _ = FileManager.default.changeCurrentDirectoryPath(startFolder)
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Writes a run folder `name` under the test folder: spec.json with dropout `rate`
    /// and dense `units`, history.json of `epochs` (name, value) lists, and `metrics` as metrics.json (nil: none).
    @discardableResult
    private func run(
        _ name: String, rate: Double = 0.2, units: Int = 4, epochs: [[(String, Double)]], metrics: String?
    ) throws -> String {
        let folder = dir + "/" + name
        let spec = """
            {"name": "t", "seed": 1, "model": {"layers": [{"type": "dense", "units": \(units)},
             {"type": "dropout", "rate": \(rate)}]}, "output": {"dir": "\(folder)"}}
            """
        try writeAtomically(spec, to: folder + "/spec.json")
        let records = epochs.enumerated().map { HistoryRecord(epoch: $0.offset + 1, values: $0.element) }
        try writeAtomically(RunFiles.historyJSON(records), to: folder + "/history.json")
        if let metrics { try writeAtomically(metrics, to: folder + "/metrics.json") }
        return folder
    }

    /// Run a: two epochs with accuracy, test and validation results, best epoch 2.
    @discardableResult
    private func runA(_ name: String = "a") throws -> String {
        try run(
            name,
            epochs: [
                [("loss", 1), ("accuracy", 0.5), ("val_loss", 1.25), ("val_accuracy", 0.5), ("seconds", 1.5)],
                [("loss", 0.5), ("accuracy", 0.75), ("val_loss", 0.75), ("val_accuracy", 0.625), ("seconds", 2)],
            ],
            metrics: """
                {"test": {"loss": 0.875, "accuracy": 0.625}, "validation": {"loss": 0.75, "accuracy": 0.625},
                 "epochs_run": 2, "best_epoch": 2, "stop_reason": "completed 2 epochs"}
                """)
    }

    /// Run b: dropout 0.5, mae instead of accuracy, no test data, val_loss best at epoch 1.
    @discardableResult
    private func runB(_ name: String = "b") throws -> String {
        try run(
            name, rate: 0.5,
            epochs: [
                [("loss", 2), ("mae", 1), ("val_loss", 0.5), ("val_mae", 0.25), ("seconds", 1)],
                [("loss", 1), ("mae", 0.5), ("val_loss", 1.5), ("val_mae", 0.75), ("seconds", 1)],
            ],
            metrics: """
                {"test": null, "validation": {"loss": 1.5, "mae": 0.75}, "epochs_run": 2, "best_epoch": null,
                 "stop_reason": "completed 2 epochs"}
                """)
    }

    // MARK: RunRecord

    func testRunRecordReadsSpecHistoryAndMetrics() throws {
        let record = try RunRecord(folder: try runA())
        XCTAssertTrue(record.finished)
        XCTAssertEqual(record.spec.objectValue?["seed"], 1)
        XCTAssertEqual(record.history.count, 2)
        XCTAssertEqual(record.metricNames, ["loss", "accuracy"])
        XCTAssertEqual(record.final("loss"), 0.5)
        XCTAssertEqual(record.gap("loss"), 0.25, "val_loss − loss at the last epoch")
        XCTAssertEqual(record.gap("accuracy"), -0.125)
        XCTAssertNil(record.gap("mae"))
        XCTAssertEqual(record.bestValidationLoss, 0.75)
        XCTAssertEqual(record.seconds, 3.5)
        XCTAssertEqual(record.epochsRun, 2)
        XCTAssertEqual(record.bestEpoch, 2)
        XCTAssertEqual(record.stopReason, "completed 2 epochs")
        XCTAssertEqual(record.test?.map(\.name), ["loss", "accuracy"])
        XCTAssertEqual(record.test?.map(\.value), [0.875, 0.625])

        let unfinished = try RunRecord(folder: try run("c", epochs: [[("loss", 3)]], metrics: nil))
        XCTAssertFalse(unfinished.finished)
        XCTAssertNil(unfinished.validation)
        XCTAssertEqual(unfinished.epochsRun, 1, "the history's length without metrics.json")
    }

    func testErrorsNameTheFolderOrFileAndAreTheUsersToFix() throws {
        func message(_ folder: String) -> String? {
            do {
                _ = try RunRecord(folder: folder)
                return nil
            } catch {
                XCTAssertEqual(exitStatus(for: error), 2, "\(error)")
                return "\(error)"
            }
        }
        XCTAssertEqual(message(dir + "/missing"), dir + "/missing: no such run folder")
        try writeAtomically("x", to: dir + "/file")
        XCTAssertEqual(message(dir + "/file"), dir + "/file: is a file; give a run folder that nnreg train wrote")
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        XCTAssertEqual(
            message(dir + "/empty"),
            dir + "/empty: not a run folder (no spec.json); give a folder that nnreg train wrote")

        let a = try runA()
        try writeAtomically("{\"test\": null,\n \"epochs_run\": 2,,}", to: a + "/metrics.json")
        XCTAssertEqual(
            message(a),
            a + "/metrics.json: not valid JSON: line 2, column 18: expected a string key, got ','")
        try writeAtomically(#"{"test": null, "epochs_run": "two"}"#, to: a + "/metrics.json")
        XCTAssertEqual(message(a), a + #"/metrics.json: "epochs_run" is "two", expected a whole number or null"#)
        try writeAtomically(#"{"validation": {"loss": "low"}}"#, to: a + "/metrics.json")
        XCTAssertEqual(
            message(a), a + #"/metrics.json: "validation"."loss" is a string, expected a number or null"#)

        let b = try runB()
        try writeAtomically("[\n  {\"epoch\": 1, \"loss\": tru}\n]\n", to: b + "/history.json")
        XCTAssertEqual(message(b), b + "/history.json: not valid JSON: line 2, column 24: expected a value, got 'tru'")
        try writeAtomically("[1, 2]", to: b + "/spec.json")
        XCTAssertEqual(message(b), b + "/spec.json: is an array, expected the resolved spec (an object)")
    }

    func testSweepFolderExpandsIntoItsTrialsSortedById() throws {
        let sweep = dir + "/sweep"
        for id in ["0010-s1", "0002-s1", "0001-s2", "10", "9"] { try runA("sweep/trials/" + id) }
        try FileManager.default.createDirectory(atPath: sweep + "/trials/.staging", withIntermediateDirectories: true)
        try writeAtomically("id,loss\n", to: sweep + "/trials.csv")
        try writeAtomically("not a trial", to: sweep + "/trials/notes.txt")
        let a = try runA()
        XCTAssertTrue(RunRecord.isSweep(sweep))
        XCTAssertFalse(RunRecord.isSweep(a))
        let trials = ["0001-s2", "0002-s1", "9", "10", "0010-s1"].map { sweep + "/trials/" + $0 }
        XCTAssertEqual(try RunRecord.runFolders([a, sweep]), [a] + trials)
        XCTAssertEqual(try RunRecord.load([sweep]).map(\.path), trials)

        // A run folder that holds a trials folder of its own stays a run.
        try FileManager.default.createDirectory(atPath: a + "/trials/x", withIntermediateDirectories: true)
        XCTAssertEqual(try RunRecord.runFolders([a]), [a])

        let empty = dir + "/fresh-sweep"
        try FileManager.default.createDirectory(atPath: empty + "/trials", withIntermediateDirectories: true)
        XCTAssertThrowsError(try RunRecord.load([empty])) { error in
            XCTAssertEqual(
                "\(error)", empty + "/trials: no trial folders yet; compare the sweep once a trial ran")
        }
    }

    // MARK: Comparison

    func testTextTableShowsEachRunsValuesBlanksAndTheSpecKeysThatDiffer() throws {
        try runA()
        try runB()
        let comparison = Comparison(try RunRecord.load(["a", "b"]))
        XCTAssertEqual(comparison.metrics, ["loss", "accuracy", "mae"])
        XCTAssertEqual(comparison.mainMetric, "accuracy")
        XCTAssertEqual(comparison.differences.map(\.path), ["model.layers[1].rate"], "output.dir is ignored")
        // Each value under its column (checked by hand): b has no accuracy, a no mae, b no
        // test data; the test_mae column, blank for both, is left out.
        let lines = [
            "run    loss  accuracy     mae  val_loss  val_accuracy  val_mae  test_loss  test_accuracy  gap_loss  "
                + "gap_accuracy  epochs  best_epoch  best_val_loss  seconds",
            "a    0.5000    0.7500            0.7500        0.6250              0.8750         0.6250    0.2500  "
                + "     -0.1250       2           2         0.7500      3.5",
            "b    1.0000            0.5000    1.5000                 0.7500                              0.5000  "
                + "                   2                     0.5000      2.0",
            "",
            "Spec keys that differ:",
            "run  model.layers[1].rate",
            "a                     0.2",
            "b                     0.5",
        ]
        XCTAssertEqual(comparison.render(.text), lines.joined(separator: "\n") + "\n")
    }

    func testSpecTableHasARowPerRunWhenThatIsNarrower() throws {
        for (i, rate) in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6].enumerated() {
            try run("r\(i)", rate: rate, epochs: [[("loss", 1)]], metrics: nil)
        }
        let comparison = Comparison(try RunRecord.load((0..<6).map { "r\($0)" }))
        XCTAssertEqual(
            Comparison.aligned(comparison.specTable()),
            """
            run   model.layers[1].rate
            r0 *                   0.1
            r1 *                   0.2
            r2 *                   0.3
            r3 *                   0.4
            r4 *                   0.5
            r5 *                   0.6

            """)
        XCTAssertTrue(
            comparison.render(.text).hasSuffix("\n* no metrics.json: the run was interrupted or is still training.\n"))
        // Two runs differing in two keys: a row per key is narrower.
        try run("p", rate: 0.1, units: 8, epochs: [[("loss", 1)]], metrics: nil)
        try run("q", rate: 0.2, units: 16, epochs: [[("loss", 1)]], metrics: nil)
        XCTAssertEqual(
            Comparison.aligned(Comparison(try RunRecord.load(["p", "q"])).specTable()),
            """
            key                    p *  q *
            model.layers[0].units    8   16
            model.layers[1].rate   0.1  0.2

            """)
        let one = Comparison(Array(comparison.runs.prefix(1)))
        XCTAssertFalse(one.render(.text).contains("Spec"), "one run: nothing to compare specs with")
        let same = Comparison([comparison.runs[0], comparison.runs[0]])
        XCTAssertTrue(same.render(.text).contains("The specs do not differ (output.dir aside)."))
    }

    func testMarkdownTables() throws {
        try runA("x|y")
        try runB()
        XCTAssertEqual(
            Comparison(try RunRecord.load(["x|y", "b"])).render(.md),
            """
            | run | loss | accuracy | mae | val_loss | val_accuracy | val_mae | test_loss | test_accuracy | gap_loss \
            | gap_accuracy | epochs | best_epoch | best_val_loss | seconds |
            | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
            | x\\|y | 0.5000 | 0.7500 |  | 0.7500 | 0.6250 |  | 0.8750 | 0.6250 | 0.2500 | -0.1250 | 2 | 2 | 0.7500 | 3.5 |
            | b | 1.0000 |  | 0.5000 | 1.5000 |  | 0.7500 |  |  | 0.5000 |  | 2 |  | 0.5000 | 2.0 |

            Spec keys that differ:

            | run | model.layers[1].rate |
            | --- | ---: |
            | x\\|y | 0.2 |
            | b | 0.5 |

            """)
    }

    func testJSONDocument() throws {
        let a = try runA(), b = try runB()
        let text = Comparison(try RunRecord.load([a, b])).json().pretty()
        let doc = try XCTUnwrap(try JSON.parse(text).objectValue)
        XCTAssertEqual(doc["differences"], ["model.layers[1].rate"])
        let runs = try XCTUnwrap(doc["runs"]?.arrayValue?.compactMap(\.objectValue))
        XCTAssertEqual(runs.count, 2)
        XCTAssertEqual(runs[0]["run"], .string(a))
        XCTAssertEqual(runs[0]["finished"], true)
        XCTAssertEqual(runs[0]["train"], ["loss": 0.5, "accuracy": 0.75])
        XCTAssertEqual(runs[0]["validation"], ["loss": 0.75, "accuracy": 0.625])
        XCTAssertEqual(runs[0]["test"], ["loss": 0.875, "accuracy": 0.625])
        XCTAssertEqual(runs[0]["gap"], ["loss": 0.25, "accuracy": -0.125])
        XCTAssertEqual(runs[0]["epochs_run"], 2)
        XCTAssertEqual(runs[0]["best_epoch"], 2)
        XCTAssertEqual(runs[0]["best_val_loss"], 0.75)
        XCTAssertEqual(runs[0]["seconds"], 3.5)
        XCTAssertEqual(runs[0]["stop_reason"], "completed 2 epochs")
        XCTAssertEqual(runs[0]["spec"], ["model.layers[1].rate": 0.2])
        XCTAssertEqual(runs[1]["test"], .null)
        XCTAssertEqual(runs[1]["best_epoch"], .null)
        XCTAssertEqual(runs[1]["gap"], ["loss": 0.5, "mae": 0.25])
        XCTAssertEqual(runs[1]["spec"], ["model.layers[1].rate": 0.5])
    }

    func testPlotOverlaysEveryRunsCurvesAndIsWrittenOnlyOutsideTheRuns() throws {
        let a = try runA(), b = try runB()
        let comparison = Comparison(try RunRecord.load([a, b]))
        let plot = dir + "/plots/compare.svg"
        try comparison.writePlot(to: plot, title: "two runs")
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        var polylines: [[String: String]] = []
        final class Collector: NSObject, XMLParserDelegate {
            var found: [[String: String]] = []
            func parser(
                _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]
            ) {
                if name == "polyline" { found.append(attributes) }
            }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "well-formed XML")
        polylines = collector.found
        func series(_ run: String) -> [String] {
            polylines.filter { $0["data-run"] == run }.compactMap { $0["data-series"] }
        }
        XCTAssertEqual(series(a), ["loss", "val_loss", "accuracy", "val_accuracy"])
        XCTAssertEqual(series(b), ["loss", "val_loss"], "b has no accuracy")
        XCTAssertEqual(
            polylines.filter { $0["stroke-dasharray"] != nil }.compactMap { $0["data-series"] },
            ["val_loss", "val_loss", "val_accuracy"], "validation curves are dashed")
        XCTAssertTrue(svg.contains(">two runs</text>") && svg.contains(">validation</text>"))

        func refusal(_ path: String) -> String? {
            do {
                try comparison.writePlot(to: path, title: "t")
                return nil
            } catch {
                XCTAssertEqual(exitStatus(for: error), 2)
                return "\(error)"
            }
        }
        let before = try String(contentsOfFile: a + "/spec.json", encoding: .utf8)
        XCTAssertEqual(
            refusal(a + "/spec.json"),
            a + "/spec.json: is an input of this command (\(a)/spec.json); write the output elsewhere")
        XCTAssertEqual(
            refusal(a + "/loss.svg"), a + "/loss.svg: is inside \(a), which is compared; write the plot outside it")
        XCTAssertEqual(
            refusal(dir + "/plot.png"), dir + "/plot.png: --plot writes an SVG file; give a name ending in .svg")
        XCTAssertEqual(refusal(b), b + ": is a folder; --plot names the file to write")
        XCTAssertThrowsError(
            try comparison.writePlot(to: dir + "/sweep/overlay.svg", title: "t", given: [dir + "/sweep"])
        ) {
            XCTAssertEqual(
                "\($0)",
                dir + "/sweep/overlay.svg: is inside \(dir)/sweep, which is compared; write the plot outside it")
        }
        XCTAssertEqual(try String(contentsOfFile: a + "/spec.json", encoding: .utf8), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: a + "/loss.svg"))
    }
}
