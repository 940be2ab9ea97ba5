import Foundation
import XCTest

@testable import NNReg

#if canImport(FoundationXML)
    import FoundationXML
#endif

final class RunFilesTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "nnreg-runfiles-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func listing(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    // MARK: Atomic writes

    func testAtomicWriteCreatesParentsReplacesContentAndLeavesNoTempFiles() throws {
        let path = dir + "/run/a/b/history.csv"
        try writeAtomically("first\n", to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "first\n")
        try writeAtomically(Data("second".utf8), to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "second")
        try writeAtomically([UInt8](), to: path)
        XCTAssertEqual(try readFileBytes(path), [])
        XCTAssertEqual(try listing(dir + "/run/a/b"), ["history.csv"])
    }

    func testAtomicWriteToARelativePath() throws {
        let saved = FileManager.default.currentDirectoryPath
        defer { FileManager.default.changeCurrentDirectoryPath(saved) }
        FileManager.default.changeCurrentDirectoryPath(dir)
        try writeAtomically("x", to: "plain.txt")
        XCTAssertEqual(try readFileBytes(dir + "/plain.txt"), [UInt8(ascii: "x")])
        XCTAssertEqual(try listing(dir), ["plain.txt"])
    }

    func testAtomicWriteFailureNamesPathAndReasonAndCleansUp() throws {
        try writeAtomically("not a folder", to: dir + "/blocker")
        XCTAssertThrowsError(try writeAtomically("x", to: dir + "/blocker/out.json")) { error in
            XCTAssertEqual("\(error)", dir + "/blocker/out.json: \(dir)/blocker exists and is not a directory")
        }
        try FileManager.default.createDirectory(atPath: dir + "/target.json", withIntermediateDirectories: false)
        XCTAssertThrowsError(try writeAtomically("x", to: dir + "/target.json")) { error in
            XCTAssertEqual("\(error)", dir + "/target.json: cannot rename temporary file over it: Is a directory")
        }
        XCTAssertEqual(try listing(dir), ["blocker", "target.json"], "temporary file removed")
        XCTAssertThrowsError(try writeAtomically("x", to: dir + "/")) { error in
            XCTAssertEqual("\(error)", dir + "/: not a file path")
        }
    }

    // MARK: History

    private let records: [HistoryRecord] = [
        HistoryRecord(
            epoch: 1,
            values: [
                ("val_accuracy", 0.5), ("loss", 0.75), ("seconds", 1.5), ("accuracy", 0.25), ("val_loss", 0.875),
                ("learning_rate", 0.001),
            ]),
        HistoryRecord(
            epoch: 2,
            values: [
                ("loss", .nan), ("accuracy", 0.5), ("val_loss", .infinity), ("val_accuracy", 0.625),
                ("learning_rate", 1e-05), ("seconds", 2),
            ],
            notes: ["event": "lr \"reduced\"", "a": "b"]),
        HistoryRecord(epoch: 3, values: [("loss", 0.5), ("accuracy", 0.75), ("seconds", 0.25)]),
    ]

    func testHistoryColumnsFollowKerasOrder() {
        XCTAssertEqual(
            RunFiles.historyColumns(records),
            ["loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds"])
        let odd = HistoryRecord(
            epoch: 1, values: [("val_auc", 1), ("seconds", 1), ("mae", 2), ("val_mae", 3), ("loss", 4)])
        XCTAssertEqual(RunFiles.historyColumns([odd]), ["loss", "mae", "val_mae", "val_auc", "seconds"])
    }

    func testHistoryCSV() {
        XCTAssertEqual(
            RunFiles.historyCSV(records),
            """
            epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds
            1,0.75,0.25,0.875,0.5,0.001,1.5
            2,nan,0.5,inf,0.625,1e-05,2.0
            3,0.5,0.75,,,,0.25

            """)
        XCTAssertEqual(RunFiles.historyCSV([]), "epoch\n")
    }

    func testHistoryJSONWritesNullForNonFiniteAndKeepsOrder() {
        XCTAssertEqual(
            RunFiles.historyJSON(records),
            """
            [
              {"epoch": 1, "ranks": 1, "val_accuracy": 0.5, "loss": 0.75, "seconds": 1.5, "accuracy": 0.25, "val_loss": 0.875, "learning_rate": 0.001},
              {"epoch": 2, "ranks": 1, "loss": null, "accuracy": 0.5, "val_loss": null, "val_accuracy": 0.625, "learning_rate": 1e-05, "seconds": 2, "notes": {"a": "b", "event": "lr \\"reduced\\""}},
              {"epoch": 3, "ranks": 1, "loss": 0.5, "accuracy": 0.75, "seconds": 0.25}
            ]

            """)
        XCTAssertEqual(RunFiles.historyJSON([]), "[]\n")
    }

    func testHistoryFilesRoundTripThroughTheFolder() throws {
        try RunFiles.writeHistory(records, toFolder: dir + "/run")
        XCTAssertEqual(try listing(dir + "/run"), ["history.csv", "history.json"])
        let back = try RunFiles.readHistory(dir + "/run/history.json")
        var expected = records
        expected[1]["val_loss"] = .nan  // infinity is stored as null, which reads back as NaN
        XCTAssertEqual(back, expected)
        XCTAssertEqual(back[0].values.map(\.name), records[0].values.map(\.name))
        // Python's json module reads the same file (jq-free check of the format).
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: dir + "/run/history.json")))
        XCTAssertEqual((json as? [[String: Any]])?.count, 3)
    }

    func testReadHistoryErrorsNameTheFileAndRecord() throws {
        let path = dir + "/history.json"
        let cases = [
            ("[{\"epoch\": 1,", "not valid JSON: line 1, column 14: expected a string key, got end of input"),
            ("{}", "expected an array of epoch records, found an object"),
            ("[{\"loss\": 1}]", "record 0 has no \"epoch\""),
            ("[{\"epoch\": 1}, {\"epoch\": 1.5}]", "record 1: \"epoch\" is a number, expected an integer"),
            ("[{\"epoch\": 1, \"loss\": \"low\"}]", "record 0: \"loss\" is a string, expected a number or null"),
            ("[{\"epoch\": 1, \"notes\": {\"a\": 2}}]", "record 0: note \"a\" is a number, expected a string"),
        ]
        for (text, expected) in cases {
            try writeAtomically(text, to: path)
            XCTAssertThrowsError(try RunFiles.readHistory(path)) { error in
                XCTAssertEqual("\(error)", path + ": " + expected)
            }
        }
    }

    // MARK: loss.svg

    /// Parses `svg` as XML and returns every element with its attributes.
    private func elements(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> [(
        String, [String: String]
    )] {
        final class Collector: NSObject, XMLParserDelegate {
            var elements: [(String, [String: String])] = []
            func parser(
                _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]
            ) {
                elements.append((name, attributes))
            }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        XCTAssertTrue(
            parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))", file: file, line: line)
        return collector.elements
    }

    private func polylines(_ elements: [(String, [String: String])], _ series: String) -> [String] {
        elements.filter { $0.0 == "polyline" && $0.1["data-series"] == series }.compactMap { $0.1["points"] }
    }

    func testLossSVGIsWellFormedWithBothSeriesAndAnAccuracyPanel() throws {
        var history: [HistoryRecord] = []
        for e in 1...20 {
            let t = Double(e)
            history.append(
                HistoryRecord(
                    epoch: e,
                    values: [
                        ("loss", 1 / t), ("accuracy", 1 - 0.5 / t), ("val_loss", 1.2 / t + 0.01 * t),
                        ("val_accuracy", 0.9 - 0.5 / t),
                    ]))
        }
        let path = dir + "/run/loss.svg"
        try RunFiles.writeLossSVG(history, title: "fashion <mlp> & co", bestEpoch: 9, to: path)
        let svg = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(svg.contains("fashion &lt;mlp&gt; &amp; co"))
        let els = elements(svg)
        XCTAssertEqual(els.first?.0, "svg")
        XCTAssertEqual(
            els.filter { $0.0 == "g" && $0.1["class"] == "panel" }.map { $0.1["data-metric"] }, ["loss", "accuracy"])
        for series in ["loss", "val_loss", "accuracy", "val_accuracy"] {
            let lines = polylines(els, series)
            XCTAssertEqual(lines.count, 1, series)
            XCTAssertEqual(lines.first?.split(separator: " ").count, 20, series)
        }
        XCTAssertEqual(els.filter { $0.0 == "line" && $0.1["class"] == "best" }.count, 2)
        XCTAssertTrue(svg.contains(">training</text>") && svg.contains(">validation</text>"), "legend")
        XCTAssertTrue(svg.contains(">epoch</text>"), "x axis label")
    }

    func testLossSVGHandlesOneEpochNaNConstantAndEmptyHistories() {
        let one = [HistoryRecord(epoch: 1, values: [("loss", 0.7), ("val_loss", 0.8)])]
        let els = elements(RunFiles.lossSVG(one, title: "one"))
        XCTAssertEqual(polylines(els, "loss").count, 1)
        XCTAssertEqual(polylines(els, "val_loss").count, 1)
        XCTAssertEqual(els.filter { $0.0 == "circle" }.count, 2 + 2, "one marker per series plus two legend markers")

        let gappy = (1...6).map { e in
            HistoryRecord(
                epoch: e, values: [("loss", e == 3 ? .nan : Double(e)), ("val_loss", e == 6 ? .infinity : 2)])
        }
        let svg = RunFiles.lossSVG(gappy, title: "gaps")
        let gels = elements(svg)
        XCTAssertEqual(polylines(gels, "loss").count, 2, "the NaN splits the line")
        XCTAssertEqual(polylines(gels, "val_loss").count, 1)
        XCTAssertTrue(svg.contains("at epoch 3, 6"), svg)
        XCTAssertFalse(svg.contains("nan") || svg.contains("inf,"), "no non-finite coordinates")

        let constant = (1...4).map { HistoryRecord(epoch: $0, values: [("loss", 0), ("val_loss", 0)]) }
        XCTAssertEqual(polylines(elements(RunFiles.lossSVG(constant, title: "flat")), "loss").count, 1)

        let extreme = [-Double.greatestFiniteMagnitude, .greatestFiniteMagnitude, 1e-320, 0].enumerated().map {
            HistoryRecord(
                epoch: $0.offset, values: [("loss", $0.element), ("mae", $0.element), ("val_mae", -$0.element)])
        }
        XCTAssertEqual(polylines(elements(RunFiles.lossSVG(extreme, title: "extreme")), "mae").count, 1)
        let tiny = (1...3).map {
            HistoryRecord(epoch: $0, values: [("loss", 1e-300 * Double($0)), ("val_loss", 1e300)])
        }
        XCTAssertEqual(polylines(elements(RunFiles.lossSVG(tiny, title: "tiny")), "loss").count, 1)

        let empty = elements(RunFiles.lossSVG([], title: "nothing"))
        XCTAssertTrue(empty.contains { $0.0 == "text" })
        XCTAssertEqual(polylines(empty, "loss").count, 0)
    }

    func testLossSVGUsesALogScaleForLossesSpanningDecades() {
        let history = (1...30).map { e in HistoryRecord(epoch: e, values: [("loss", 1000 / pow(Double(e), 3))]) }
        let svg = RunFiles.lossSVG(history, title: "regression")
        XCTAssertTrue(svg.contains("loss (log scale)"))
        XCTAssertEqual(polylines(elements(svg), "loss").count, 1)
    }

    /// Oracle: no crash and well-formed XML for 200 seeded histories mixing ordinary,
    /// huge, tiny, zero, negative and non-finite values.
    func testLossSVGSurvivesArbitraryValues() {
        var rng = RNG(seed: 11)
        let specials: [Double] = [.nan, .infinity, -.infinity, 0, -0.0, 1e-310, 1e308, -1e308, 1, 1]
        for _ in 0..<200 {
            let n = rng.int(below: 8)
            let history = (0..<n).map { e in
                HistoryRecord(
                    epoch: e + rng.int(below: 3),
                    values: ["loss", "val_loss", "accuracy", "val_accuracy"].map { name in
                        let x = rng.int(below: 2) == 0 ? specials[rng.int(below: specials.count)] : rng.uniformDouble()
                        return (name, x * pow(10, Double(rng.int(below: 9) - 4)))
                    })
            }
            let els = elements(RunFiles.lossSVG(history, title: "fuzz", bestEpoch: rng.int(below: 4)))
            XCTAssertEqual(els.first?.0, "svg")
            for (_, attributes) in els {
                for key in ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "points"] {
                    for number in (attributes[key] ?? "").split(whereSeparator: { $0 == " " || $0 == "," }) {
                        XCTAssertTrue(Double(number)?.isFinite == true, "\(key)=\(attributes[key]!)")
                    }
                }
            }
        }
    }

    /// Oracle: hand-checked Heckbert ticks.
    func testNiceTicks() {
        let axis = LossPlotAxis(values: [0.12, 0.93], allowLog: false)  // step 0.2, padded to [0.0795, 0.9705]
        XCTAssertEqual(axis.ticks.map(axis.label), ["0.2", "0.4", "0.6", "0.8"])
        let flat = LossPlotAxis(values: [0, 0], allowLog: true)  // constant: a window of +-1
        XCTAssertEqual(flat.ticks.map(flat.label), ["-1.0", "-0.5", "0.0", "0.5", "1.0"])
        XCTAssertEqual(LossPlotAxis(epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).ticks, [1, 2, 4, 6, 8, 10])
        XCTAssertEqual(LossPlotAxis(epochs: [5]).ticks, [5])
        let log = LossPlotAxis(values: [0.004, 12], allowLog: true)
        XCTAssertTrue(log.isLog)
        XCTAssertEqual(log.ticks.map(log.label), ["0.01", "0.1", "1", "10"])
    }
}

final class HistoryDiagnosticsTests: XCTestCase {
    func testDiagnosticsGoToHistoryJSONOnlyAndReadBack() throws {
        var r = HistoryRecord(epoch: 1, values: [("loss", 0.5), ("val_loss", 0.7)])
        r.diagnostics = [("gap_loss", 0.2), ("norm.layers.0.dense.kernel", 3.25)]
        XCTAssertFalse(RunFiles.historyCSV([r]).contains("norm"))
        let json = RunFiles.historyJSON([r])
        XCTAssertTrue(json.contains("\"diagnostics\": {\"gap_loss\": 0.2, \"norm.layers.0.dense.kernel\": 3.25}"), json)
        let dir = NSTemporaryDirectory() + "nnreg-diag-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try RunFiles.writeHistory([r], toFolder: dir)
        XCTAssertEqual(try RunFiles.readHistory(dir + "/history.json"), [r])
    }
}
