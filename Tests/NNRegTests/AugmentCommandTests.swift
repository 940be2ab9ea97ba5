import Foundation
import XCTest
@testable import NNReg

/// `nnreg augment`'s library side: copies, manifest, refusals.
extension AugmentationTests {
    // MARK: - nnreg augment

    struct TestImage: AugmentableImage, Equatable {
        var height: Int, width: Int, channels: Int, pixels: [Float]
    }

    /// A stand-in codec: a text header and the pixels as bytes.
    static func encode(_ image: TestImage, _ format: String) throws -> [UInt8] {
        Array("\(format) \(image.height) \(image.width) \(image.channels)\n".utf8)
            + image.pixels.map { UInt8(min(max($0.rounded(), 0), 255)) }
    }

    static func decode(_ path: String) throws -> TestImage {
        let bytes = try readFileBytes(path)
        let newline = bytes.firstIndex(of: 10)!
        let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ").dropFirst().map {
            Int($0)!
        }
        return TestImage(
            height: header[0], width: header[1], channels: header[2],
            pixels: bytes[(newline + 1)...].map(Float.init))
    }

    func makeImages(_ root: String) throws {
        var rng = RNG(seed: 60)
        for (rel, h) in [("cats/a.png", 4), ("cats/b.jpg", 5), ("dogs/c.jpeg", 6), ("dogs/.hidden.png", 4)] {
            let image = TestImage(
                height: h, width: 5, channels: 3, pixels: (0..<(h * 15)).map { _ in Float(rng.int(below: 256)) })
            try writeAtomically(try Self.encode(image, "png"), to: root + "/" + rel)
        }
        try writeAtomically("not an image", to: root + "/cats/notes.txt")
    }

    func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "nnreg-augment-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testAugmentCommandWritesCopiesAndManifest() throws {
        let base = temporaryFolder()
        try makeImages(base + "/in")
        let a = augmenter(["rotation_range": 20, "horizontal_flip": true, "mixup": 0.2, "random_erasing": [:]])
        let manifest = try AugmentCommand.run(
            inputRoot: base + "/in", outputRoot: base + "/out", count: 2, seed: 5, format: "png", augmenter: a,
            decode: Self.decode, encode: Self.encode)
        XCTAssertEqual(manifest.ignored, ["mixup"])
        XCTAssertEqual(
            manifest.rows.map { $0[0] },
            [
                "cats/a_aug0.png", "cats/a_aug1.png", "cats/b_aug0.png", "cats/b_aug1.png", "dogs/c_aug0.png",
                "dogs/c_aug1.png",
            ])
        XCTAssertEqual(
            manifest.rows.map { $0[1] },
            ["cats/a.png", "cats/a.png", "cats/b.jpg", "cats/b.jpg", "dogs/c.jpeg", "dogs/c.jpeg"])
        let csv = try String(contentsOfFile: base + "/out/manifest.csv", encoding: .utf8)
        XCTAssertEqual(csv, manifest.csv)
        XCTAssertTrue(csv.hasPrefix("file,source,theta,tx,ty,shear,zx,zy,flip_horizontal,flip_vertical,"))
        // Each written copy is the source with the recorded parameters applied.
        let thetaColumn = manifest.columns.firstIndex(of: "theta")!
        for row in manifest.rows {
            let source = try Self.decode(base + "/in/" + row[1])
            let written = try Self.decode(base + "/out/" + row[0])
            XCTAssertEqual([written.height, written.width, written.channels], [source.height, source.width, 3])
            XCTAssertTrue(abs(Double(row[thetaColumn])!) <= 20)
            XCTAssertNotEqual(written.pixels, source.pixels.map { min(max($0.rounded(), 0), 255) }, row[0])
        }
        // Reproducible: the same seed writes the same bytes; copies don't depend on other files.
        let first = try readFileBytes(base + "/out/dogs/c_aug1.png")
        try FileManager.default.removeItem(atPath: base + "/in/cats")
        try AugmentCommand.run(
            inputRoot: base + "/in", outputRoot: base + "/out2", count: 2, seed: 5, format: "png", augmenter: a,
            decode: Self.decode, encode: Self.encode)
        XCTAssertEqual(try readFileBytes(base + "/out2/dogs/c_aug1.png"), first)
        // Without --format each copy keeps its source's format.
        let kept = try AugmentCommand.run(
            inputRoot: base + "/in", outputRoot: base + "/out3", count: 1, seed: 5, format: nil, augmenter: a,
            decode: Self.decode, encode: Self.encode)
        XCTAssertEqual(kept.rows.map { $0[0] }, ["dogs/c_aug0.jpeg"])
        XCTAssertTrue(try readFileBytes(base + "/out3/dogs/c_aug0.jpeg").starts(with: Array("jpeg ".utf8)))
    }

    func testAugmentCommandRefusesOutputInsideInput() throws {
        let base = temporaryFolder()
        try makeImages(base + "/in")
        for output in [base + "/in", base + "/in/", base + "/in/cats/out", base + "/in/../in/new"] {
            XCTAssertThrowsError(
                try AugmentCommand.run(
                    inputRoot: base + "/in", outputRoot: output, count: 1, seed: 1, format: nil, augmenter: augmenter(),
                    decode: Self.decode, encode: Self.encode), output
            ) { error in XCTAssertTrue((error as? AugmentCommandError)?.isUsage ?? false, "\(error)") }
        }
        // The input inside the output: copies of in/cats/a.png would go to out/cats, inside
        // "out/cats" only if the input were out/cats itself.
        try makeImages(base + "/out/cats")
        XCTAssertThrowsError(
            try AugmentCommand.run(
                inputRoot: base + "/out/cats", outputRoot: base + "/out", count: 1, seed: 1, format: nil,
                augmenter: augmenter(), decode: Self.decode, encode: Self.encode))
        XCTAssertThrowsError(
            try AugmentCommand.run(
                inputRoot: base + "/in", outputRoot: base + "/o", count: 0, seed: 1, format: nil,
                augmenter: augmenter(),
                decode: Self.decode, encode: Self.encode))
        XCTAssertThrowsError(
            try AugmentCommand.run(
                inputRoot: base + "/in", outputRoot: base + "/o", count: 1, seed: 1, format: "gif",
                augmenter: augmenter(),
                decode: Self.decode, encode: Self.encode))
        XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/o"))
    }
}
