import Foundation
import XCTest

@testable import NNReg

final class SafeTensorsTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "nnreg-safetensors-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + name).path
    }

    private func bits(_ t: Tensor) -> [UInt32] { t.array.map(\.bitPattern) }

    /// The metadata value tools/reference/safetensors_ref.py stores under "spec".
    private let referenceSpec =
        "{\"name\": \"ref \\\"quoted\\\"\", \"path\": \"a/b\\\\c\", \"note\": \"tab\\there\\nnewline \u{e9} \u{2014} \u{01}\"}"

    // MARK: Round trip and interop

    /// Oracle: bit patterns must survive a write and read unchanged (tolerance 0).
    func testRoundTripKeepsShapesBitsAndMetadata() throws {
        let kernel = Tensor(shape: [3, 2], values: [1, -2, .pi, -0.0, .nan, .infinity])
        let scalar = Tensor(shape: [], values: [42])
        let empty = Tensor(shape: [0, 5])
        let metadata = ["spec": "{\"a\": [1, 2]}\n\t\"é—\u{01}", "normalization": "", "z": "1"]
        let path = dir + "/nested/model.safetensors"
        try SafeTensors.write(
            tensors: [("layers.1.dense.kernel", kernel), ("a.scalar", scalar), ("empty", empty)], metadata: metadata,
            to: path)

        let file = try SafeTensors.read(path)
        XCTAssertEqual(file.names, ["a.scalar", "empty", "layers.1.dense.kernel"])
        XCTAssertEqual(file.metadata, metadata)
        XCTAssertEqual(file["layers.1.dense.kernel"]?.shape, [3, 2])
        XCTAssertEqual(file["layers.1.dense.kernel"].map(bits), bits(kernel))
        XCTAssertEqual(file["a.scalar"]?.shape, [])
        XCTAssertEqual(file["a.scalar"]?.array, [42])
        XCTAssertEqual(file["empty"]?.shape, [0, 5])
        XCTAssertEqual(file["empty"]?.count, 0)
        XCTAssertEqual(file.dtypes["empty"], "F32")

        let bytes = try readFileBytes(path)
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0, "header padded to 8 bytes")
        XCTAssertEqual(bytes.count, 8 + headerLength + 4 * 7)
    }

    func testEmptyMetadataWritesNoMetadataEntry() throws {
        let bytes = try SafeTensors.encode(tensors: ["w": Tensor(shape: [1], values: [1])])
        let header = String(decoding: bytes[8...], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"), header)
    }

    /// Oracle: values written by Python safetensors 0.8.0 (tools/reference/safetensors_ref.py); exact.
    func testReadsPythonReferenceExactly() throws {
        let file = try SafeTensors.read(fixture("reference.safetensors"))
        XCTAssertEqual(file.metadata, ["spec": referenceSpec])
        XCTAssertEqual(
            file.names,
            [
                "empty", "layers.0.dense.bias", "layers.0.dense.kernel", "layers.2.batch_normalization.moving_variance",
                "scalar", "specials",
            ])
        XCTAssertEqual(file["layers.0.dense.kernel"]?.shape, [3, 4])
        XCTAssertEqual(file["layers.0.dense.kernel"]?.array, (0..<12).map { (Float($0) - 5) / 8 })
        XCTAssertEqual(file["layers.0.dense.bias"]?.array, [0.5, -1, 2, 0])
        XCTAssertEqual(file["layers.2.batch_normalization.moving_variance"]?.array, [1, 1, 1, 1])
        XCTAssertEqual(file["scalar"]?.shape, [])
        XCTAssertEqual(file["scalar"]?.array, [3.25])
        XCTAssertEqual(file["empty"]?.shape, [0, 3])
        let specials: [Float] = [.nan, .infinity, -.infinity, -0.0, 1e-45, .greatestFiniteMagnitude, 1 / 3, -2.5]
        XCTAssertEqual(file["specials"].map(bits), specials.map(\.bitPattern))
    }

    /// Oracle: the Python file's bytes. With one metadata key the reference layout is
    /// deterministic, so nnreg must reproduce it byte for byte.
    func testWritesTheSameBytesAsPython() throws {
        let path = fixture("reference.safetensors")
        let file = try SafeTensors.read(path)
        let ours = try SafeTensors.encode(tensors: file.tensors, metadata: file.metadata)
        XCTAssertEqual(ours, try readFileBytes(path))
    }

    /// Oracle: the F64/F16/BF16 values in safetensors_ref.py, all exact in Float32.
    func testReadsOtherFloatDtypesAsFloat32() throws {
        let file = try SafeTensors.read(fixture("reference_dtypes.safetensors"))
        XCTAssertEqual(file.names, ["f64", "f32", "bf16", "f16"])
        XCTAssertEqual(file.dtypes, ["f64": "F64", "f32": "F32", "bf16": "BF16", "f16": "F16"])
        XCTAssertEqual(file["f64"]?.shape, [2, 2])
        XCTAssertEqual(file["f64"]?.array, [0.5, -1.25, Float(1e-3 as Double), 3])
        XCTAssertEqual(file["f32"]?.array, [7])
        XCTAssertEqual(file["bf16"]?.array, [1, -3.140625, 0x1p100, 0x1p-130])
        XCTAssertEqual(
            file["f16"].map(bits), ([1, -0.5, 65504, 0x1p-24, -0.0, .infinity] as [Float]).map(\.bitPattern))
        XCTAssertEqual(file.metadata["format"], "nnreg-test")
        XCTAssertEqual(file.metadata.count, 3)
    }

    func testHalfConversionCoversEveryClass() {
        XCTAssertEqual(SafeTensors.halfToFloat(0x3C00), 1)
        XCTAssertEqual(SafeTensors.halfToFloat(0xC000), -2)
        XCTAssertEqual(SafeTensors.halfToFloat(0x0001), 0x1p-24)
        XCTAssertEqual(SafeTensors.halfToFloat(0x03FF), 0x1.ff8p-15)
        XCTAssertEqual(SafeTensors.halfToFloat(0x7BFF), 65504)
        XCTAssertEqual(SafeTensors.halfToFloat(0xFC00), -.infinity)
        XCTAssertTrue(SafeTensors.halfToFloat(0x7E00).isNaN)
        XCTAssertEqual(SafeTensors.halfToFloat(0x8000).bitPattern, (-0.0 as Float).bitPattern)
    }

    // MARK: Corrupt files: every error names the file and the problem

    /// A file image: 8-byte length, `header` padded with spaces, `data`.
    private func image(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        var h = Array(header.utf8)
        h += repeatElement(UInt8(ascii: " "), count: (8 - h.count % 8) % 8)
        var out: [UInt8] = []
        withUnsafeBytes(of: (length ?? UInt64(h.count)).littleEndian) { out += $0 }
        return out + h + data
    }

    private func entry(_ name: String, _ dtype: String = "F32", shape: [Int], _ begin: Int, _ end: Int) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
    }

    private func assertRejected(
        _ bytes: [UInt8], _ expected: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let path = dir + "/corrupt-\(UUID().uuidString).safetensors"
        try writeAtomically(bytes, to: path)
        do {
            _ = try SafeTensors.read(path)
            XCTFail("accepted a corrupt file; expected: \(expected)", file: file, line: line)
        } catch let error as SafeTensorsError {
            XCTAssertTrue(error.description.hasPrefix(path + ": "), error.description, file: file, line: line)
            XCTAssertTrue(error.description.contains(expected), error.description, file: file, line: line)
        }
    }

    func testRejectsFilesTooShortForTheHeaderLength() throws {
        try assertRejected([], "0 bytes, too short")
        try assertRejected([8, 0, 0], "3 bytes, too short")
    }

    func testRejectsTruncatedHeader() throws {
        let full = image("{" + entry("w", shape: [1], 0, 4) + "}", data: [0, 0, 128, 63])
        try assertRejected(Array(full.prefix(20)), "exceeds the 12 bytes after it")
        try assertRejected(image("{}", length: 1 << 40), "exceeds the 100000000-byte limit")
    }

    func testRejectsBadJSON() throws {
        try assertRejected(image("{\"w\": {\"dtype\": "), "header is not valid JSON")
        try assertRejected(image("{\"w\": nul}"), "header is not valid JSON")
        try assertRejected(image("[1, 2]"), "header is not a JSON object")
        try assertRejected(image("{}\u{0}"), "header is not valid JSON")
        try assertRejected(image(String(repeating: "[", count: 100_000)), "header is not a JSON object")
        try assertRejected(image("{\"a\":" + String(repeating: "[", count: 100_000)), "levels of nesting")
        try assertRejected(image("{\"w\": 1}"), "tensor \"w\" is a number, expected an object")
        try assertRejected(image("{\"__metadata__\": {\"k\": 1}}"), "__metadata__ entry \"k\" is a number")
        try assertRejected(image("{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}"), "tensor \"w\" has no data_offsets")
        try assertRejected(
            image("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}"), "shape is not an array")
        try assertRejected(
            image("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.5]}}", data: [0, 0, 0, 0]),
            "data_offsets is not two non-negative integers")
        try assertRejected(
            image(
                "{" + entry("w", shape: [1], 0, 4) + "," + entry("w", shape: [1], 4, 8) + "}",
                data: .init(repeating: 0, count: 8)),
            "duplicate key \"w\"")
    }

    func testRejectsOffsetsOutOfBounds() throws {
        try assertRejected(image("{" + entry("w", shape: [4], 0, 16) + "}", data: [0, 0, 0, 0]), "run past the end")
        // A valid file cut short in its data section.
        let full = try SafeTensors.encode(tensors: ["w": Tensor(shape: [4])])
        try assertRejected(Array(full.dropLast(3)), "run past the end of the 13-byte data section")
    }

    func testRejectsOverlappingGapsAndTrailingBytes() throws {
        let data = [UInt8](repeating: 0, count: 12)
        try assertRejected(
            image("{" + entry("a", shape: [2], 0, 8) + "," + entry("b", shape: [2], 4, 12) + "}", data: data),
            "tensor \"b\" at bytes [4, 12] overlaps tensor \"a\"")
        try assertRejected(
            image("{" + entry("a", shape: [1], 0, 4) + "," + entry("b", shape: [1], 8, 12) + "}", data: data),
            "bytes [4, 8] of the data section belong to no tensor")
        try assertRejected(image("{" + entry("a", shape: [2], 0, 8) + "}", data: data), "4 bytes after the last tensor")
        try assertRejected(image("{" + entry("a", shape: [2], 8, 4) + "}", data: data), "end before they begin")
    }

    func testRejectsShapeThatDisagreesWithOffsets() throws {
        try assertRejected(
            image("{" + entry("a", shape: [3], 0, 8) + "}", data: .init(repeating: 0, count: 8)),
            "hold 8 bytes but shape [3] of F32 needs 12")
        try assertRejected(
            image("{" + entry("a", shape: [1 << 40, 1 << 40], 0, 8) + "}", data: .init(repeating: 0, count: 8)),
            "is too large")
        try assertRejected(  // beyond 2^53, where a JSON number stops being an exact integer
            image("{" + entry("a", shape: [1 << 62, 4], 0, 8) + "}", data: .init(repeating: 0, count: 8)),
            "shape is not an array of non-negative integers")
    }

    func testRejectsUnsupportedDtypes() throws {
        let data = [UInt8](repeating: 0, count: 8)
        try assertRejected(
            image("{" + entry("step", "I64", shape: [1], 0, 8) + "}", data: data), "has dtype I64; nnreg reads")
        try assertRejected(image("{" + entry("x", "Q8", shape: [1], 0, 8) + "}", data: data), "has unknown dtype Q8")
    }

    func testMissingFileNamesThePath() {
        let path = dir + "/absent.safetensors"
        XCTAssertThrowsError(try SafeTensors.read(path)) { error in
            XCTAssertEqual("\(error)", path + ": cannot open: No such file or directory")
        }
    }

    func testWriteErrorsNameThePath() throws {
        let t = Tensor(shape: [1])
        XCTAssertThrowsError(try SafeTensors.write(tensors: [("w", t), ("w", t)], to: dir + "/dup.safetensors")) {
            XCTAssertEqual("\($0)", dir + "/dup.safetensors: tensor name \"w\" given twice")
        }
        try writeAtomically("x", to: dir + "/file")
        XCTAssertThrowsError(try SafeTensors.write(tensors: ["w": t], to: dir + "/file/m.safetensors")) {
            XCTAssertTrue("\($0)".hasPrefix(dir + "/file/m.safetensors: "), "\($0)")
        }
    }

    /// Oracle: no crash. Every mutation or truncation of a valid file is either read
    /// or rejected with a SafeTensorsError (2,000 seeded cases).
    func testCorruptedBytesNeverCrash() throws {
        let original = try readFileBytes(fixture("reference.safetensors"))
        var rng = RNG(seed: 7)
        for i in 0..<2000 {
            var bytes = original
            if i % 4 == 0 {
                bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
            } else {
                for _ in 0...(i % 3) {
                    let at = Int(rng.next() % UInt64(min(bytes.count, 8 + 600)))
                    bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            do {
                _ = try SafeTensors.decode(bytes, path: "fuzz")
            } catch let error as SafeTensorsError {
                XCTAssertTrue(error.description.hasPrefix("fuzz: not a valid safetensors file: "))
            }
        }
    }
}
