import Foundation
import XCTest

/// `nnreg augment`: N copies per image in class subfolders, a manifest, never the input.
final class AugmentTests: CLITestCase {
    var images: String { Paths.repo.appendingPathComponent("Tests/NNRegTests/Fixtures/images/folder").path }

    func testWritesCopiesPerClassWithAManifestAndIsSeeded() throws {
        let o = try nnreg(
            "augment", images, "--output", "aug", "--count", "2", "--rotation-range", "30", "--horizontal-flip",
            "--format", "png")
        assertSuccess(o)
        XCTAssertEqual(o.stdout, "")
        for cls in ["a_circle", "b_square"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: path("aug/\(cls)")).sorted()
            XCTAssertEqual(files.count, 6, "\(cls): 3 images x 2 copies")
            XCTAssert(files.allSatisfy { $0.hasSuffix(".png") && $0.contains("_aug") }, "\(files)")
        }
        let manifest = try read("aug/manifest.csv").split(separator: "\n")
        XCTAssertEqual(manifest.count, 13)
        XCTAssert(manifest[0].hasPrefix("file,source,theta,"))
        let again = try nnreg(
            "augment", images, "--output", "aug2", "--count", "2", "--rotation-range", "30",
            "--horizontal-flip", "--format", "png")
        assertSuccess(again)
        XCTAssertEqual(try read("aug/manifest.csv"), try read("aug2/manifest.csv"), "same seed, same draws")
    }

    func testRefusesAnOutputInsideTheInput() throws {
        let o = try nnreg("augment", images, "--output", images + "/x")
        XCTAssertEqual(o.status, 2, o.stderr)
        XCTAssert(o.stderr.hasPrefix("error: the output folder"), o.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: images + "/x"))
    }

    /// A source image that cannot be decoded is bad input data: exit 2, naming the file.
    func testAnUnreadableSourceImageIsBadInput() throws {
        try FileManager.default.createDirectory(atPath: path("in/a"), withIntermediateDirectories: true)
        try write("in/a/empty.png", "")
        let o = try nnreg("augment", path("in"), "--output", "out", "--rotation-range", "5")
        XCTAssertEqual(o.status, 2, o.stderr)
        XCTAssert(o.stderr.contains("in/a/empty.png: cannot read image"), o.stderr)
    }
}
