import Foundation
import XCTest

@testable import NNReg

/// Oracles: folder trees built here with known files, labels and pixels; for `load`,
/// Keras 3.15.1 `image_dataset_from_directory(image_size=(7, 9), shuffle=False)` on
/// Fixtures/images/folder (tf_reference.json, tools/reference/images.py): within 1e-3 in
/// rgb mode (float32 bilinear of the same decoded bytes), within 1 level in grayscale
/// mode (Keras converts to gray while decoding, with uint8 rounding).
final class ImageFolderTests: XCTestCase {
    var root = ""

    override func setUp() {
        root = NSTemporaryDirectory() + "nnreg-images-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    /// Writes `bytes` to root/relative, creating folders.
    func put(_ relative: String, _ bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: root + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    /// A PNG whose every value is `value`.
    func png(_ value: Float, height: Int = 4, width: Int = 5, channels: Int = 1) throws -> [UInt8] {
        try ImageCodec.encodePNG(
            Image(
                height: height, width: width, channels: channels,
                pixels: [Float](repeating: value, count: height * width * channels)))
    }

    func relative(_ files: [(path: String, label: Int)]) -> [String] {
        files.map { String($0.path.dropFirst(root.count + 1)) + ":\($0.label)" }
    }

    // MARK: - scan

    func testScanSortsClassesAndFilesAndSkipsTheRest() throws {
        for name in [
            "b/2.png", "b/10.png", "a/z.JPG", "a/y.Jpeg", "a/deep/x.png", "a/deep/er/w.png", "a2/v.png",
            "C/u.PNG",
        ] {
            try put(name, try png(1))
        }
        for name in ["a/.hidden.png", "a/notes.txt", "a/image.gif", "a/.git/q.png", "root.png", ".hiddenclass/p.png"] {
            try put(name, try png(1))
        }
        try FileManager.default.createDirectory(atPath: root + "/a/emptysub", withIntermediateDirectories: true)
        let (files, names) = try ImageFolder.scan(root, classNames: nil)
        // Code-point order: uppercase first, "a" < "a2" < "b"; files by name ("10" < "2"),
        // nested folders after their parent's files, as Keras' os.walk order.
        XCTAssertEqual(names, ["C", "a", "a2", "b"])
        XCTAssertEqual(
            relative(files),
            [
                "C/u.PNG:0", "a/y.Jpeg:1", "a/z.JPG:1", "a/deep/x.png:1",
                "a/deep/er/w.png:1", "a2/v.png:2", "b/10.png:3", "b/2.png:3",
            ])
    }

    func testClassNamesFixTheOrder() throws {
        for name in ["cat/1.png", "dog/1.png", "dog/2.png", "owl/1.png"] { try put(name, try png(1)) }
        let (files, names) = try ImageFolder.scan(root, classNames: ["dog", "cat"])
        XCTAssertEqual(names, ["dog", "cat"])
        XCTAssertEqual(relative(files), ["dog/1.png:0", "dog/2.png:0", "cat/1.png:1"], "owl is not listed: left out")

        XCTAssertThrowsError(try ImageFolder.scan(root, classNames: ["dog", "cow"])) {
            XCTAssertEqual(
                "\($0)",
                "\(self.root): class \"cow\" of class_names has no folder \(self.root)/cow "
                    + "(class folders: cat, dog, owl)")
        }
        XCTAssertThrowsError(try ImageFolder.scan(root, classNames: ["dog", "dog"])) {
            XCTAssert("\($0)".contains("lists \"dog\" twice"), "\($0)")
        }
    }

    func testEmptyClassFolderIsAnError() throws {
        try put("a/1.png", try png(1))
        try put("b/readme.txt", Array("no images".utf8))
        try FileManager.default.createDirectory(atPath: root + "/c", withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageFolder.scan(root, classNames: nil)) {
            XCTAssert($0 is DataError)
            XCTAssertEqual(
                "\($0)", "\(self.root): class folders \(self.root)/b, \(self.root)/c have no .jpg, .jpeg or .png images"
            )
        }
    }

    func testFolderWithNoImagesIsAnError() throws {
        try put("a/readme.txt", Array("text".utf8))
        try put("b/.hidden.png", try png(1))
        XCTAssertThrowsError(try ImageFolder.scan(root, classNames: nil)) {
            XCTAssertEqual("\($0)", "\(self.root): no .jpg, .jpeg or .png images in its class folders (a, b)")
        }
        let flat = root + "/flat"
        try put("flat/1.png", try png(1))
        XCTAssertThrowsError(try ImageFolder.scan(flat, classNames: nil)) {
            XCTAssert("\($0)".hasPrefix("\(flat): no class subfolders"), "\($0)")
        }
        XCTAssertThrowsError(try ImageFolder.scan(root + "/missing", classNames: nil)) {
            XCTAssertEqual("\($0)", "\(self.root)/missing: no such folder")
        }
        XCTAssertThrowsError(try ImageFolder.scan(flat + "/1.png", classNames: nil)) {
            XCTAssertEqual("\($0)", "\(flat)/1.png: not a folder of class subfolders")
        }
    }

    // MARK: - load

    func testLoadMatchesKeras() throws {
        let reference = try ImageCodecTests.reference()
        let folder = ImageCodecTests.fixtures + "/folder"
        // rgb: the same decoded bytes and the same float32 bilinear, so within rounding.
        // grayscale: Keras converts while decoding (libjpeg luma, libpng gray truncated to
        // uint8), nnreg with rgb_to_grayscale's weights after decoding: within 1 level.
        for (expected, channels, tolerance) in [(reference.folder, 3, Float(1e-3)), (reference.folder_grayscale, 1, 1)]
        {
            let loaded = try ImageFolder.load(
                folder, imageSize: expected.image_size,
                colorMode: channels == 1 ? .grayscale : .rgb, classNames: nil,
                onBadFile: .error, threads: 2)
            XCTAssertEqual(loaded.classNames, expected.class_names)
            XCTAssertEqual(loaded.labels, expected.labels.map(Float.init))
            XCTAssertEqual(loaded.x.shape, [expected.images.count, 7, 9, channels])
            XCTAssert(loaded.skipped.isEmpty)
            let per = 7 * 9 * channels
            for (i, image) in expected.images.enumerated() {
                for (j, v) in image.enumerated() {
                    XCTAssertEqual(loaded.x[i * per + j], v, accuracy: tolerance, "\(expected.file_paths[i]) [\(j)]")
                }
            }
        }
    }

    func testLoadSizesAndColorModes() throws {
        // The first image (a/1.png, 4x5 gray) fixes the size; b/1.png (RGB, 2x2) is resized.
        try put("a/1.png", try png(10))
        let rgb = Image(
            height: 2, width: 2, channels: 3,
            pixels: [Float](repeating: 0, count: 12).enumerated().map {
                [100, 50, 200][$0.offset % 3]
            })
        try put("b/1.png", try ImageCodec.encodePNG(rgb))

        let asRGB = try ImageFolder.load(
            root, imageSize: nil, colorMode: .rgb, classNames: nil, onBadFile: .error,
            threads: 1)
        XCTAssertEqual(asRGB.x.shape, [2, 4, 5, 3])
        XCTAssertEqual(asRGB.labels, [0, 1])
        XCTAssertEqual(Array(asRGB.x.array[0..<60]), [Float](repeating: 10, count: 60), "gray repeated")
        XCTAssertEqual(Array(asRGB.x.array[60..<63]), [100, 50, 200], "a constant image stays constant")
        XCTAssertEqual(asRGB.x.element, .uint8, "whole numbers 0...255 are held as bytes")

        let asGray = try ImageFolder.load(
            root, imageSize: [3, 2], colorMode: .grayscale, classNames: nil,
            onBadFile: .error, threads: 1)
        XCTAssertEqual(asGray.x.shape, [2, 3, 2, 1])
        XCTAssertEqual(asGray.x[0], 10)
        XCTAssertEqual(asGray.x[6], 0.2989 * 100 + 0.5870 * 50 + 0.1140 * 200, accuracy: 1e-4)
        XCTAssertEqual(asGray.x.element, .float32, "gray conversion makes fractions: kept as Float32")

        XCTAssertThrowsError(
            try ImageFolder.load(
                root, imageSize: [3], colorMode: .rgb, classNames: nil,
                onBadFile: .error, threads: 1))
    }

    func testParallelLoadEqualsSerial() throws {
        for i in 0..<23 {
            let image = ImageCodecTests.gradient(height: 6 + i % 3, width: 7, channels: i % 2 == 0 ? 3 : 1)
            try put("c\(i % 3)/\(i).png", try ImageCodec.encodePNG(image))
        }
        try put("c1/j.jpg", try ImageCodec.encodeJPEG(ImageCodecTests.gradient(height: 9, width: 9, channels: 3)))
        let one = try ImageFolder.load(
            root, imageSize: [5, 6], colorMode: .rgb, classNames: nil, onBadFile: .error,
            threads: 1)
        let three = try ImageFolder.load(
            root, imageSize: [5, 6], colorMode: .rgb, classNames: nil, onBadFile: .error,
            threads: 3)
        XCTAssertEqual(one.x.shape, [24, 5, 6, 3])
        XCTAssertEqual(one.x.array, three.x.array)
        XCTAssertEqual(one.labels, three.labels)
    }

    func testBadFilesStopOrAreSkipped() throws {
        let codec = { (name: String) in
            Array(try Data(contentsOf: URL(fileURLWithPath: ImageCodecTests.codecFile(name))))
        }
        try put("a/1.png", try png(1))
        try put("a/2.jpg", try codec("truncated.jpg"))
        try put("a/3.png", try png(3))
        try put("b/1.png", try codec("bad_crc.png"))
        try put("b/2.png", try codec("text.png"))
        try put("b/3.png", [])
        try put("b/4.png", try png(4))

        XCTAssertThrowsError(
            try ImageFolder.load(
                root, imageSize: nil, colorMode: .grayscale, classNames: nil,
                onBadFile: .error, threads: 2)
        ) {
            XCTAssert($0 is DataError)
            XCTAssertEqual(
                "\($0)",
                "\(self.root)/a/2.jpg: not a valid JPEG (Premature end of JPEG file); "
                    + "3 more files cannot be read either (data.on_bad_file: \"skip\" leaves such files out)")
        }

        let loaded = try ImageFolder.load(
            root, imageSize: nil, colorMode: .grayscale, classNames: nil,
            onBadFile: .skip, threads: 2)
        XCTAssertEqual(loaded.x.shape, [3, 4, 5, 1])
        XCTAssertEqual(loaded.labels, [0, 0, 1])
        XCTAssertEqual([loaded.x[0], loaded.x[20], loaded.x[40]], [1, 3, 4])
        XCTAssertEqual(
            loaded.skipped.map { String($0.path.dropFirst(root.count + 1)) },
            ["a/2.jpg", "b/1.png", "b/2.png", "b/3.png"])
        XCTAssertEqual(
            loaded.skipped.map(\.reason),
            [
                "not a valid JPEG (Premature end of JPEG file)",
                "not a valid PNG (IDAT: CRC error)",
                "not a valid PNG (no PNG signature; the file starts with \"This is \")",
                "empty file, not an image",
            ])
    }

    func testFirstFileBadTakesTheSizeFromTheNext() throws {
        try put("a/0.png", Array("oops".utf8))
        try put("a/1.png", try png(7, height: 3, width: 2))
        try put("b/1.png", try png(9, height: 6, width: 4))
        let loaded = try ImageFolder.load(
            root, imageSize: nil, colorMode: .grayscale, classNames: nil,
            onBadFile: .skip, threads: 2)
        XCTAssertEqual(loaded.x.shape, [2, 3, 2, 1])
        XCTAssertEqual(loaded.x.array, [7, 7, 7, 7, 7, 7, 9, 9, 9, 9, 9, 9])
        XCTAssertEqual(loaded.skipped.count, 1)

        try put("a/1.png", Array("oops too".utf8))
        try put("b/1.png", [])
        XCTAssertThrowsError(
            try ImageFolder.load(
                root, imageSize: nil, colorMode: .grayscale, classNames: nil,
                onBadFile: .skip, threads: 2)
        ) {
            XCTAssertEqual("\($0)", "\(self.root): none of its 3 image files could be read")
        }
    }

    /// Decode throughput on a real folder (release build): set NNREG_IMAGE_BENCH to a
    /// class-folder tree, e.g. data/fashion-mnist-png/train from tools/fashion_mnist_png.py.
    func testThroughput() throws {
        guard let folder = ProcessInfo.processInfo.environment["NNREG_IMAGE_BENCH"] else {
            throw XCTSkip("set NNREG_IMAGE_BENCH to a folder of class subfolders")
        }
        let threads = Int(ProcessInfo.processInfo.environment["NNREG_IMAGE_BENCH_THREADS"] ?? "") ?? 2
        let start = Date()
        let loaded = try ImageFolder.load(
            folder, imageSize: nil, colorMode: .grayscale, classNames: nil,
            onBadFile: .error, threads: threads)
        let seconds = Date().timeIntervalSince(start)
        print(
            "ImageFolder.load \(folder): \(loaded.x.shape) in \(String(format: "%.2f", seconds)) s, "
                + "\(Int(Double(loaded.x.shape[0]) / seconds)) images/s on \(threads) threads")
    }
}
