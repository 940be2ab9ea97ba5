import Foundation
import XCTest

@testable import NNReg

/// Oracles: the layout SyntheticImages documents; decoding its files with ImageCodec;
/// the stripe orientation measured from the decoded pixels.
final class SyntheticImagesTests: XCTestCase {
    var root = ""

    override func setUp() {
        root = NSTemporaryDirectory() + "nnreg-synthetic-" + UUID().uuidString
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func testFolderIsScannedWithOneClassPerOrientationAndMarkedComplete() throws {
        let bytes = try SyntheticImages.write(
            to: root, count: 7, height: 12, width: 10, classes: 2, seed: 3, threads: 3)
        let (files, names) = try ImageFolder.scan(root, classNames: nil)
        XCTAssertEqual(names, ["class_0", "class_1"])
        XCTAssertEqual(
            files.map { String($0.path.dropFirst(root.count + 1)) },
            [
                "class_0/000/000000.jpg", "class_0/000/000002.jpg", "class_0/000/000004.jpg", "class_0/000/000006.jpg",
                "class_1/000/000001.jpg", "class_1/000/000003.jpg", "class_1/000/000005.jpg",
            ])
        XCTAssertEqual(files.map(\.label), [0, 0, 0, 0, 1, 1, 1])
        let sizes = try files.map { try readFileBytes($0.path).count }
        XCTAssertEqual(bytes, sizes.reduce(0, +))
        let image = try ImageCodec.read(files[0].path)
        XCTAssertEqual([image.height, image.width, image.channels], [12, 10, 3])
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/" + SyntheticImages.completeName))
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/" + SyntheticImages.markerName))
    }

    /// Image i depends on (seed, i) only: the same with any thread count, different seeds differ.
    func testImagesDependOnSeedAndIndexOnly() throws {
        try SyntheticImages.write(to: root, count: 4, height: 8, width: 8, seed: 9, threads: 1)
        let other = root + "-b"
        defer { try? FileManager.default.removeItem(atPath: other) }
        try SyntheticImages.write(to: other, count: 3, height: 8, width: 8, seed: 9, threads: 2)
        for i in 0..<3 {
            let name = "/class_\(i % 2)/000/00000\(i).jpg"
            XCTAssertEqual(try readFileBytes(root + name), try readFileBytes(other + name), name)
        }
        XCTAssertNotEqual(
            SyntheticImages.image(0, height: 8, width: 8, classes: 2, seed: 9).pixels,
            SyntheticImages.image(0, height: 8, width: 8, classes: 2, seed: 10).pixels)
    }

    /// Class 0's stripes run across the rows (values change along x), class 1's along them.
    func testClassSetsTheStripeOrientation() {
        func variation(_ image: Image, alongX: Bool) -> Float {
            var total: Float = 0
            for y in 0..<(image.height - 1) {
                for x in 0..<(image.width - 1) {
                    let here = image.pixels[(y * image.width + x) * 3]
                    let next =
                        alongX
                        ? image.pixels[(y * image.width + x + 1) * 3] : image.pixels[((y + 1) * image.width + x) * 3]
                    total += abs(next - here)
                }
            }
            return total
        }
        for i in 0..<6 {
            let image = SyntheticImages.image(i, height: 40, width: 40, classes: 2, seed: 1)
            let (x, y) = (variation(image, alongX: true), variation(image, alongX: false))
            XCTAssertTrue(i % 2 == 0 ? x > 1.2 * y : y > 1.2 * x, "image \(i): variation along x \(x), along y \(y)")
        }
    }

    func testAnExistingFolderIsRefusedAndLeftAlone() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
        try writeAtomically("mine", to: root + "/keep.txt")
        XCTAssertThrowsError(try SyntheticImages.write(to: root, count: 2, height: 4, width: 4)) { error in
            XCTAssertTrue("\(error)".contains("cannot create the folder"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), ["keep.txt"])
    }
}
