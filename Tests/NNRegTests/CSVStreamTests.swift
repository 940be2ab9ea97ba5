import XCTest

@testable import NNReg

/// data.cache "none" on CSV files: rows indexed once and read again from their byte
/// offsets batch by batch (`SampleStream` of `StreamedCSV`) train to the very bits the
/// file held in memory gives, with the same errors; a file changed while training is an
/// error naming it.
final class CSVStreamTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "nnreg-csv-stream-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try write("train.csv", rows: 120, seed: 1)
        try write("test.csv", rows: 30, seed: 2)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// A CSV of 12 features and a label, written the ways real files are: CRLF line
    /// breaks, a blank line, and no line break after the last row. `quirks`: the label is
    /// a class name, one cell is quoted and some rows have a missing cell (dropped under
    /// data.missing "drop"); else the labels are numbers and nothing is quoted or missing,
    /// which the quick index reads.
    func write(_ name: String, rows: Int, seed: UInt64, quirks: Bool = true) throws {
        var rng = RNG(seed: seed)
        let classes = quirks ? ["cat", "dog", "eel"] : ["0", "1", "2"]
        var text = (0..<12).map { "f\($0)" }.joined(separator: ",") + ",animal\r\n"
        for r in 0..<rows {
            let label = rng.int(below: 3)
            var cells: [String] = []
            for j in 0..<12 {
                let value = Double(label) + Double(rng.normal()) * 0.8 + Double(j % 3)
                cells.append(String(format: "%.3f", value))
            }
            if quirks && r == 7 { cells[2] = "\"\(cells[2])\"" }
            if quirks && r % 29 == 5 { cells[4] = "" }
            text += (cells + [classes[label]]).joined(separator: ",") + (r == rows - 1 ? "" : "\r\n")
            if r == 40 { text += "\r\n" }
        }
        try text.write(toFile: "\(root)/\(name)", atomically: true, encoding: .utf8)
    }

    func spec(cache: String, model: String? = nil, missing: String = "drop", normalization: String = "featurewise")
        throws -> Spec
    {
        let layers =
            model
            ?? #"{"layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 3, "activation": "softmax"}]}"#
        return try Spec.parse(
            """
            {"name": "csv-stream", "seed": 3,
             "data": {"train": "\(root)/train.csv", "test": "\(root)/test.csv", "label": "animal", "missing": "\(missing)",
                      "validation_split": 0.25, "normalization": "\(normalization)", "cache": "\(cache)"},
             "model": \(layers),
             "training": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "epochs": 2, "batch_size": 16},
             "output": {"dir": "\(root)/run-\(cache)"}}
            """, baseDirectory: "/")
    }

    func train(_ s: Spec) throws -> TrainedRun { try TrainedRun(s) }

    func testStreamedRowsTrainToTheSameBitsAsMemory() throws {
        let streamed = try Experiment(spec: try spec(cache: "none"))
        let rows = try XCTUnwrap((streamed.train as? SampleStream)?.reader as? StreamedCSV)
        XCTAssertEqual(rows.count, 87, "116 kept rows (4 dropped), a quarter of them held out")
        XCTAssertTrue(rows.checked, "class names, quotes and missing cells: every row parsed by the index")
        XCTAssert(streamed.test is SampleStream, "the test file streams as the training file does")
        XCTAssert(try Experiment(spec: try spec(cache: "auto")).train is Dataset, "a small file is held in memory")
        let memory = try train(try spec(cache: "memory"))
        let none = try train(try spec(cache: "none"))
        XCTAssertEqual(none.history, memory.history)
        XCTAssertEqual(none.metrics, memory.metrics)
        XCTAssertEqual(none.weights, memory.weights)
        XCTAssertEqual(memory.history.count, 3, "header and two epochs")
    }

    /// Numbers only, no quotes: indexed by the scan for line breaks (CRLF, a blank line, no
    /// final line break), the cells parsed as their batches are read; the same bits.
    func testQuicklyIndexedRowsTrainToTheSameBitsAsMemory() throws {
        try write("train.csv", rows: 120, seed: 1, quirks: false)
        try write("test.csv", rows: 30, seed: 2, quirks: false)
        let streamed = try Experiment(spec: try spec(cache: "none", missing: "error"))
        let rows = try XCTUnwrap((streamed.train as? SampleStream)?.reader as? StreamedCSV)
        XCTAssertFalse(rows.checked)
        XCTAssertEqual(rows.count, 90, "120 rows, a quarter held out")
        let memory = try train(try spec(cache: "memory", missing: "error"))
        let none = try train(try spec(cache: "none", missing: "error"))
        XCTAssertEqual(none.history, memory.history)
        XCTAssertEqual(none.metrics, memory.metrics)
        XCTAssertEqual(none.weights, memory.weights)
    }

    /// A bad cell the quick index did not parse stops the epoch whose batch holds it (or
    /// the featurewise fit, which reads every row first), with the error a load gives
    /// (file:line:field).
    func testABadCellAfterTheQuickIndexStopsTheEpochNamingIt() throws {
        try write("train.csv", rows: 120, seed: 1, quirks: false)
        try write("test.csv", rows: 30, seed: 2, quirks: false)
        var text = try String(contentsOfFile: "\(root)/train.csv", encoding: .utf8)
        text = text.replacingOccurrences(of: "\r\n", with: "\r\nabc", options: [], range: text.range(of: "\r\n"))
        try text.write(toFile: "\(root)/train.csv", atomically: true, encoding: .utf8)
        func check(_ error: Error) {
            XCTAssert("\(error)".contains("train.csv:2:1") && "\(error)".contains("abc"), "\(error)")
            XCTAssert(error is CSVError, "\(type(of: error))")
        }
        XCTAssertThrowsError(try Experiment(spec: try spec(cache: "none", missing: "error")), "fit", check)
        let s = try spec(cache: "none", missing: "error", normalization: "none")
        let experiment = try Experiment(spec: s)
        let trainer = Trainer(
            model: experiment.model, optimizer: makeOptimizer(s.training.optimizer), metrics: [], seed: s.seed)
        XCTAssertThrowsError(try trainer.trainEpoch(experiment.train, epoch: 0), "epoch", check)
    }

    /// A model trained on streamed rows evaluates streamed rows (its spec's data.cache) to
    /// the values it gets from the same rows in memory.
    func testASavedModelEvaluatesStreamedRowsAsRowsInMemory() throws {
        let s = try spec(cache: "none")
        _ = try train(s)
        let saved = try SavedModel(location: s.output.dir)
        let streamed = try saved.load("\(root)/test.csv")
        XCTAssert((streamed as? SampleStream)?.reader is StreamedCSV, "\(type(of: streamed))")
        let raw = try DataLoader.read(
            "\(root)/test.csv", spec: s.data, classNames: saved.classNames, columns: saved.columns, cache: .memory)
        let y = try DataLoader.targets(raw, loss: s.training.loss, outputs: 3, lastLayer: "")
        let memory = Dataset(samples: try XCTUnwrap(raw.x), y: y, normalizer: saved.normalizer)
        let values = saved.evaluate(streamed)
        try streamed.checkRead()
        XCTAssertEqual(values.map(\.1), saved.evaluate(memory).map(\.1))
        XCTAssertEqual(saved.predict(streamed).array, saved.predict(memory).array)
    }

    /// model.input_shape gives streamed rows a shape of their size, as it does rows in memory.
    func testStreamedRowsTakeTheModelsInputShape() throws {
        let conv = """
            {"input_shape": [3, 4, 1], "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 2, "activation": "relu"},
             {"type": "flatten"}, {"type": "dense", "units": 3, "activation": "softmax"}]}
            """
        let memory = try train(try spec(cache: "memory", model: conv))
        let none = try train(try spec(cache: "none", model: conv))
        XCTAssertEqual(none.history, memory.history)
        XCTAssertEqual(none.weights, memory.weights)
    }

    /// A bad cell is found by the index, before training, with the error a load gives.
    func testABadCellIsTheSameErrorInBothModes() throws {
        var text = try String(contentsOfFile: "\(root)/train.csv", encoding: .utf8)
        text = text.replacingOccurrences(of: "\r\n", with: "\r\nabc", options: [], range: text.range(of: "\r\n"))
        try text.write(toFile: "\(root)/train.csv", atomically: true, encoding: .utf8)
        var messages: [String] = []
        for cache in ["memory", "none"] {
            XCTAssertThrowsError(try Experiment(spec: try spec(cache: cache))) { messages.append("\($0)") }
        }
        XCTAssertEqual(messages.count, 2)
        XCTAssertEqual(messages.first, messages.last)
        XCTAssert(messages[0].contains("train.csv:2:1"), messages[0])
    }

    /// Rows are read again while training: a file changed since it was indexed stops the
    /// epoch with an error naming it, never with rows of another file.
    func testAFileChangedWhileTrainingIsAnErrorNamingIt() throws {
        let s = try spec(cache: "none")
        let experiment = try Experiment(spec: s)
        try write("train.csv", rows: 120, seed: 9)
        let trainer = Trainer(
            model: experiment.model, optimizer: makeOptimizer(s.training.optimizer), metrics: [], seed: s.seed)
        XCTAssertThrowsError(try trainer.trainEpoch(experiment.train, epoch: 0)) {
            XCTAssert("\($0)".contains("\(root)/train.csv") && "\($0)".contains("changed"), "\($0)")
            XCTAssert($0 is DataError, "\(type(of: $0))")
        }
    }

    /// What cannot be read again from the file is refused at data.cache, saying what to use.
    func testWhatCannotStreamIsASpecError() throws {
        var d = try spec(cache: "none").data
        for (path, missing) in [("-", "drop"), ("\(root)/train.csv", "interpolate")] {
            d = try Spec.parse(
                #"{"data": {"train": "\#(path)", "label": "animal", "missing": "\#(missing)", "cache": "none"}, "model": {"layers": [{"type": "dense", "units": 3}]}, "training": {"loss": "mse"}}"#,
                baseDirectory: "/"
            ).data
            XCTAssertThrowsError(try DataLoader.read(path, spec: d, classNames: nil, cache: .stream)) {
                XCTAssertEqual(($0 as? SpecError)?.path, "data.cache", "\($0)")
                XCTAssert("\($0)".contains("\"memory\""), "\($0)")
            }
        }
    }

    /// A file without a line break after its last row is mapped one byte longer (never
    /// read whole into memory), and that byte survives the pages given back behind the
    /// parser: a 10 MB file reads to its last value, in memory and indexed. (Pages are
    /// 4 KiB here; elsewhere the case is not reached, and the test still holds.)
    func testALargeFileWithoutAFinalLineBreakReadsToItsLastRow() throws {
        let row = (0..<40).map { String($0 % 10) }.joined(separator: ",")
        let rows = 120_000
        var text = "label," + (0..<39).map { "p\($0)" }.joined(separator: ",") + "\n"
        text.reserveCapacity(rows * (row.count + 1) + text.count)
        for _ in 0..<(rows - 1) { text += row + "\n" }
        text += "7,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9"
        // Spaces (trimmed from the field) so that the added "\n" ends a page: the case where
        // a page given back behind the parser could be the one that holds it.
        text += String(repeating: " ", count: (4095 - text.utf8.count % 4096 + 4096) % 4096)
        let path = "\(root)/big.csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let (table, samples) = try CSV.readLabeledSamples(.path(path))
        XCTAssertEqual(table.rowCount, rows)
        XCTAssertEqual(table.labels.last, 9)
        let last = UnsafeMutablePointer<Float>.allocate(capacity: 39)
        defer { last.deallocate() }
        samples.copy(rows - 1, to: last)
        XCTAssertEqual(last[0], 7)
        let (indexed, streamed) = try StreamedCSV.index(
            path, label: .last, missing: .error, classNames: nil, threads: 2)
        XCTAssertEqual(indexed.labels, table.labels)
        let order = [Int32(rows - 1), 0]
        let values = UnsafeMutablePointer<Float>.allocate(capacity: 2 * 39)
        defer { values.deallocate() }
        order.withUnsafeBufferPointer { streamed.read($0, into: values) }
        try streamed.checkRead()
        XCTAssertEqual(
            Array(UnsafeBufferPointer(start: values, count: 39)), (0..<39).map { j in Float(j == 0 ? 7 : (j % 10)) })
    }
}
