import Foundation
import XCTest

/// data.cache through the binary: a streamed image folder trains, a file that cannot be
/// decoded is found when its batch is read and stops training with exit status 2 naming
/// it, and an unknown cache mode is a spec error.
final class StreamingTests: CLITestCase {
    /// The fixture folder (2 classes of small images) copied to imgs/, and a spec on it.
    func imageSpec(cache: String) throws -> String {
        if !exists("imgs") {
            try FileManager.default.copyItem(
                atPath: Paths.repo.appendingPathComponent("Tests/NNRegTests/Fixtures/images/folder").path,
                toPath: path("imgs"))
        }
        return try writeSpec(
            "img-\(cache).json",
            [
                "seed": 1,
                "data": ["train": path("imgs"), "image_size": [8, 8], "color_mode": "grayscale", "cache": cache],
                "model": [
                    "layers": [
                        ["type": "conv2d", "filters": 2, "kernel_size": 3], ["type": "global_average_pooling2d"],
                        ["type": "dense", "units": 2, "activation": "softmax"],
                    ]
                ],
                "training": ["loss": "sparse_categorical_crossentropy", "epochs": 2, "batch_size": 2],
                "output": ["dir": "run-\(cache)"],
            ])
    }

    func testStreamedFolderTrainsAndABadFileStopsItNamingTheFile() throws {
        assertSuccess(try nnreg("train", try imageSpec(cache: "none"), "--quiet"))
        XCTAssertTrue(exists("run-none/model.safetensors"))
        // Sorted last in its class: the listing and the first image are fine, its batch is not.
        try write("imgs/b_square/zz.png", "not a png\n")
        for cache in ["none", "memory"] {
            let o = try nnreg("train", try imageSpec(cache: cache), "--quiet", "--overwrite")
            XCTAssertEqual(o.status, 2, "\(cache): \(o.stderr)")
            XCTAssertTrue(o.stderr.contains(path("imgs/b_square/zz.png")), "\(cache): \(o.stderr)")
            XCTAssertTrue(o.stderr.hasPrefix("error: "), "\(cache): \(o.stderr)")
        }
    }

    func testUnknownCacheModeIsASpecError() throws {
        let o = try nnreg("validate", try imageSpec(cache: "disk"))
        XCTAssertEqual(o.status, 2, o.stderr)
        XCTAssertTrue(o.stderr.contains("data.cache"), o.stderr)
        XCTAssertTrue(o.stderr.contains("\"none\""), o.stderr)
    }
}
