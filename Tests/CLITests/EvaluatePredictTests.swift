import Foundation
import XCTest

/// `nnreg evaluate` and `nnreg predict` on a freshly trained run, classification and regression.
final class EvaluatePredictTests: CLITestCase {
    let testCSV = Paths.tiny("test.csv")

    /// Trains tiny.json for 3 epochs into "run".
    func trainTiny() throws {
        try tinySpec()
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "3", "--quiet"))
    }

    /// The label column of data/tiny/test.csv.
    func testLabels() throws -> [Int] {
        try String(contentsOfFile: testCSV, encoding: .utf8).split(separator: "\n").dropFirst().map {
            Int($0.split(separator: ",").last!)!
        }
    }

    func testEvaluateJSONAgreesWithTheRun() throws {
        try trainTiny()
        let o = try nnreg("evaluate", "--model", "run", "--data", testCSV, "--json")
        assertSuccess(o)
        XCTAssertEqual(o.stderr, "")
        let doc = try XCTUnwrap(json(o.stdout) as? [String: Any])
        XCTAssertEqual(doc["samples"] as? Int, 100)
        let matrix = try XCTUnwrap(doc["confusion_matrix"] as? [[Int]])
        let labels = try testLabels()
        XCTAssertEqual(matrix.count, 3)
        XCTAssertEqual(matrix.map { $0.reduce(0, +) }, (0..<3).map { c in labels.filter { $0 == c }.count })
        let accuracy = try XCTUnwrap(doc["accuracy"] as? Double)
        XCTAssertEqual(accuracy, Double((0..<3).map { matrix[$0][$0] }.reduce(0, +)) / 100, accuracy: 1e-12)

        // The run's own test evaluation: same accuracy; loss equal up to float32 summation order.
        let test = try XCTUnwrap((try jsonFile("run/metrics.json"))["test"] as? [String: Double])
        XCTAssertEqual(test["accuracy"], accuracy)
        XCTAssertEqual(test["loss"]!, try XCTUnwrap(doc["loss"] as? Double), accuracy: 1e-6)

        // A run folder and its model.safetensors are the same model.
        let file = try nnreg("evaluate", "--model", "run/model.safetensors", "--data", testCSV, "--json")
        assertSuccess(file)
        XCTAssertEqual(file.stdout, o.stdout)
    }

    func testEvaluateText() throws {
        try trainTiny()
        let doc = try XCTUnwrap(
            json(try nnreg("evaluate", "--model", "run", "--data", testCSV, "--json").stdout) as? [String: Any])
        let o = try nnreg("evaluate", "--model", "run", "--data", testCSV)
        assertSuccess(o)
        XCTAssertEqual(o.stderr, "")
        let matrix = doc["confusion_matrix"] as! [[Int]]
        let width = max(1, matrix.joined().map { String($0).count }.max()!)
        func pad(_ s: String) -> String { String(repeating: " ", count: width - s.count) + s }
        let table =
            [pad("") + " " + ["0", "1", "2"].map(pad).joined(separator: " ")]
            + matrix.enumerated().map { i, row in
                pad(String(i)) + " " + row.map { pad(String($0)) }.joined(separator: " ")
            }
        XCTAssertEqual(
            o.lines,
            [
                "loss: \(String(format: "%.4f", doc["loss"] as! Double))",
                "accuracy: \(String(format: "%.4f", doc["accuracy"] as! Double))",
                "confusion matrix (rows: true class, columns: predicted):",
            ] + table)
    }

    func testPredictCSV() throws {
        try trainTiny()
        let o = try nnreg("predict", "--model", "run", "--data", testCSV)
        assertSuccess(o)
        XCTAssertEqual(o.stderr, "")
        let lines = o.lines
        XCTAssertEqual(lines.first, "row,class,p_0,p_1,p_2")
        XCTAssertEqual(lines.count, 101)
        var correct = 0
        for (i, (line, label)) in zip(lines.dropFirst(), try testLabels()).enumerated() {
            let cells = line.split(separator: ",").map(String.init)
            XCTAssertEqual(cells.count, 5, line)
            XCTAssertEqual(cells[0], String(i + 1))
            let p = cells[2...].map { Double($0)! }
            XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-5, line)
            XCTAssertEqual(Int(cells[1]), p.indices.max { p[$0] < p[$1] }, "class is the most probable: \(line)")
            if Int(cells[1]) == label { correct += 1 }
        }
        let doc = try XCTUnwrap(
            json(try nnreg("evaluate", "--model", "run", "--data", testCSV, "--json").stdout) as? [String: Any])
        XCTAssertEqual(
            Double(correct) / 100, doc["accuracy"] as! Double, accuracy: 1e-12, "predict agrees with evaluate")
    }

    func testPredictOutputFile() throws {
        try trainTiny()
        let piped = try nnreg("predict", "--model", "run", "--data", testCSV)
        try FileManager.default.createDirectory(atPath: path("out"), withIntermediateDirectories: false)
        let o = try nnreg("predict", "--model", "run", "--data", testCSV, "--output", "out/p.csv")
        assertSuccess(o)
        XCTAssertEqual(o.stdout, "")
        XCTAssertEqual(o.stderr, "wrote 100 predictions to out/p.csv\n")
        XCTAssertEqual(try read("out/p.csv"), piped.stdout)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: path("out")), ["p.csv"], "no temporary file left")
    }

    /// `-` reads the CSV from a pipe.
    func testDashReadsStandardInput() throws {
        try trainTiny()
        let csv = try Data(contentsOf: URL(fileURLWithPath: testCSV))
        let fromFile = try nnreg("predict", "--model", "run", "--data", testCSV)
        let fromPipe = try nnreg("predict", "--model", "run", "--data", "-", stdin: csv)
        assertSuccess(fromPipe)
        XCTAssertEqual(fromPipe.stdout, fromFile.stdout)
        let evalFile = try nnreg("evaluate", "--model", "run", "--data", testCSV, "--json")
        let evalPipe = try nnreg("evaluate", "--model", "run", "--data", "-", "--json", stdin: csv)
        assertSuccess(evalPipe)
        XCTAssertEqual(evalPipe.stdout, evalFile.stdout)
    }

    func testRegression() throws {
        try regressionSpec()
        let train = try nnreg("train", "regression.json")
        assertSuccess(train)
        XCTAssertTrue(train.lines[0].hasPrefix("epoch 1/4 - loss: "), train.stdout)
        XCTAssertTrue(train.lines[0].contains(" - mae: ") && train.lines[0].contains(" - val_mae: "), train.stdout)
        XCTAssertEqual(
            try read("run/history.csv").split(separator: "\n").first,
            "epoch,loss,mae,val_loss,val_mae,learning_rate,seconds")
        XCTAssertFalse(exists("run/classes.json"), "a regression run has no classes")
        let metrics = try jsonFile("run/metrics.json")
        XCTAssertTrue(metrics["test"] is NSNull, "no test set: \(metrics)")
        XCTAssertNotNil((metrics["validation"] as? [String: Any])?["mae"] as? Double)

        let data = Paths.tiny("regression.csv")
        let text = try nnreg("evaluate", "--model", "run", "--data", data)
        assertSuccess(text)
        XCTAssertEqual(text.lines.count, 2, text.stdout)
        XCTAssertNotNil(text.lines[0].range(of: #"^loss: \d+\.\d{4}$"#, options: .regularExpression), text.stdout)
        XCTAssertNotNil(text.lines[1].range(of: #"^mae: \d+\.\d{4}$"#, options: .regularExpression), text.stdout)

        let doc = try XCTUnwrap(
            json(try nnreg("evaluate", "--model", "run", "--data", data, "--json").stdout) as? [String: Any])
        XCTAssertEqual(Set(doc.keys), ["loss", "mae", "samples"])
        XCTAssertEqual(doc["samples"] as? Int, 300)

        let predict = try nnreg("predict", "--model", "run", "--data", data)
        assertSuccess(predict)
        XCTAssertEqual(predict.lines.first, "row,value")
        XCTAssertEqual(predict.lines.count, 301)
        XCTAssertTrue(
            predict.lines.dropFirst().allSatisfy {
                $0.split(separator: ",").count == 2 && Double($0.split(separator: ",")[1]) != nil
            })
    }
}
