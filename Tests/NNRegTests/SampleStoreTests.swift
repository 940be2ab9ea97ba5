import XCTest

@testable import NNReg

/// Compact samples: one byte a value when that loses nothing, Float32 batches with the
/// same bits as the Float32 data set gave, normalized as they are gathered.
final class SampleStoreTests: XCTestCase {
    func store(_ values: [Float], _ shape: [Int]) -> SampleStore {
        values.withUnsafeBufferPointer { SampleStore.compacting($0.baseAddress!, shape: shape) }
    }

    func testBytesOnlyWhenEveryValueIsAWholeNumberFrom0To255() {
        XCTAssertEqual(store([0, 1, 254, 255], [2, 2]).element, .uint8)
        for odd: Float in [256, -1, 0.5, -0.0, .nan, .infinity] {
            XCTAssertEqual(store([0, 1, 2, odd], [2, 2]).element, .float32, "\(odd)")
        }
        let s = store([3, 0, 255, 7, 9, 12], [3, 2])
        XCTAssertEqual(s.byteCount, 6)
        XCTAssertEqual(s.array, [3, 0, 255, 7, 9, 12])
        XCTAssertEqual(s.subset([2, 0]).array, [9, 12, 3, 0])
    }

    /// Oracle: Normalizer.apply on the whole Float32 set, as loading did before; the
    /// batches gathered from the compact store must hold exactly those bits.
    func testGatheredBatchesEqualTheWholeSetNormalizedAtOnce() {
        var rng = RNG(seed: 4)
        let n = 37, d = 6
        let values = (0..<(n * d)).map { _ in Float(rng.int(below: 256)) }
        for mode in Normalizer.Mode.allCases {
            var normalizer = Normalizer(rescale: 1 / 255, mode: mode)
            let whole = Tensor(shape: [n, d], values: values)
            normalizer.fit(whole)
            var fromStore = Normalizer(rescale: 1 / 255, mode: mode)
            let samples = store(values, [n, d])
            XCTAssertEqual(samples.element, .uint8)
            fromStore.fit(samples)
            XCTAssertEqual(fromStore, normalizer, "\(mode) statistics")
            normalizer.apply(whole)
            let data = Dataset(samples: samples, y: Tensor(shape: [n, 1]), normalizer: fromStore)
            let order: [Int32] = (0..<Int32(n)).reversed()
            let x = Tensor(shape: [8, d]), y = Tensor(shape: [8, 1])
            order.withUnsafeBufferPointer { order in
                for start in stride(from: 0, to: n, by: 8) {
                    let rows = UnsafeBufferPointer(rebasing: order[start..<min(start + 8, n)])
                    data.fill(x: x, y: y, indices: rows)
                    for (r, i) in rows.enumerated() {
                        XCTAssertEqual(
                            Array(x.array[(r * d)..<(r * d + d)]), Array(whole.array[(Int(i) * d)..<(Int(i) * d + d)]),
                            "\(mode) row \(i)")
                    }
                }
            }
        }
    }

    func csv(_ rows: [[String]]) -> CSV.Source {
        let text =
            (["label"] + (1..<rows[0].count).map { "f\($0)" }).joined(separator: ",") + "\n"
            + rows.map { $0.joined(separator: ",") + "\n" }.joined()
        return .bytes(Array(text.utf8), name: "mem.csv")
    }

    /// Oracle: CSV.readLabeled (the Float32 parse); the compact parse gives the same
    /// values, lines and labels, as bytes while they are bytes and as Float32 from the
    /// first block that is not, even when that comes after the first block.
    func testCompactCSVParseEqualsTheFloatParse() throws {
        let width = 700
        let block = CSVCompactRows.blockRows(width: width)
        var rng = RNG(seed: 9)
        var rows = (0..<(block + 5)).map { r in [String(r % 3)] + (0..<width).map { _ in String(rng.int(below: 256)) } }
        let bytes = try CSV.readLabeledSamples(csv(rows), label: .name("label"))
        XCTAssertEqual(bytes.samples.element, .uint8)
        XCTAssertEqual(bytes.samples.shape, [block + 5, width])
        let reference = try CSV.readLabeled(csv(rows), label: .name("label"))
        XCTAssertEqual(bytes.samples.array, reference.features)
        XCTAssertEqual(bytes.table.labels, reference.labels)
        XCTAssertEqual(bytes.table.lines, reference.lines)
        rows[block + 2][3] = "0.25"  // past the first block
        let floats = try CSV.readLabeledSamples(csv(rows), label: .name("label"))
        XCTAssertEqual(floats.samples.element, .float32)
        XCTAssertEqual(floats.samples.array, try CSV.readLabeled(csv(rows), label: .name("label")).features)
    }

    func testCompactCSVParseDropsRowsAndNamesBadCells() throws {
        let rows = [["0", "1", "2"], ["1", "", "4"], ["0", "5", "6"]]
        let dropped = try CSV.readLabeledSamples(csv(rows), label: .name("label"), missing: .drop)
        XCTAssertEqual(dropped.samples.array, [1, 2, 5, 6])
        XCTAssertEqual(dropped.table.lines, [2, 4])
        XCTAssertThrowsError(try CSV.readLabeledSamples(csv(rows), label: .name("label"))) {
            XCTAssert("\($0)".hasPrefix("mem.csv:3:2"), "\($0)")
        }
    }

    /// A large mapped file is parsed with its pages given back behind the parser: the
    /// result equals the Float32 parse of the same file.
    func testLargeMappedFileParsesCompactly() throws {
        let path = NSTemporaryDirectory() + "nnreg-compact-\(getpid()).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var text = "label," + (0..<100).map { "p\($0)" }.joined(separator: ",") + "\n"
        var rng = RNG(seed: 2)
        while text.utf8.count < (34 << 20) {
            text +=
                String(rng.int(below: 10)) + ","
                + (0..<100).map { _ in String(rng.int(below: 256)) }.joined(separator: ",") + "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let compact = try CSV.readLabeledSamples(.path(path), label: .name("label"))
        let reference = try CSV.readLabeled(path, label: .name("label"))
        XCTAssertEqual(compact.samples.element, .uint8)
        XCTAssertEqual(compact.samples.array, reference.features)
        XCTAssertEqual(compact.table.labels, reference.labels)
    }
}
