import Foundation
import XCTest

/// `nnreg summary` and `nnreg validate`: they read a spec (and its data) and write nothing.
final class InspectTests: CLITestCase {
    /// Oracle: Keras model.summary() of Dense(32) -> Dropout -> Dense(3) on 6 inputs:
    /// 6*32+32 = 224 and 32*3+3 = 99 parameters, float32 (4 bytes each).
    func testSummaryOfTinySpec() throws {
        let o = try nnreg("summary", Paths.repo.appendingPathComponent("specs/tiny.json").path)
        assertSuccess(o)
        XCTAssertEqual(o.stderr, "")
        XCTAssertEqual(
            o.stdout,
            """
            Model: "tiny"
            -------------------------------------
            Layer (type)   Output Shape   Param #
            -------------------------------------
            0 dense        (None, 32)         224
            1 dropout      (None, 32)           0
            2 dense        (None, 3)           99
            -------------------------------------
            Input shape: (None, 6)
            Total params: 323 (1.26 KB)
            Trainable params: 323 (1.26 KB)
            Non-trainable params: 0 (0 B)

            """)
        XCTAssertFalse(exists("run"))
    }

    func testValidatePrintsOneLine() throws {
        try tinySpec()
        let o = try nnreg("validate", "tiny.json")
        assertSuccess(o)
        XCTAssertEqual(o.stderr, "")
        XCTAssertEqual(
            o.stdout,
            "tiny.json: valid; train 240, validation 60, test 100 samples of shape (None, 6); 323 parameters\n")
        XCTAssertFalse(exists("run"), "validate must not create the run folder")
    }

    func testValidateJSONIsOneDocument() throws {
        try tinySpec()
        let o = try nnreg("validate", "tiny.json", "--json")
        assertSuccess(o)
        XCTAssertEqual(o.stderr, "")
        let doc = try XCTUnwrap(json(o.stdout) as? [String: Any])
        XCTAssertEqual(doc["valid"] as? Bool, true)
        XCTAssertEqual(doc["name"] as? String, "tiny")
        XCTAssertEqual(doc["parameters"] as? Int, 323)
        XCTAssertEqual(doc["train"] as? Int, 240)
        XCTAssertEqual(doc["validation"] as? Int, 60)
        XCTAssertEqual(doc["test"] as? Int, 100)
    }

    func testValidateRegressionSpecWithoutTestSet() throws {
        try regressionSpec()
        let o = try nnreg("validate", "regression.json", "--json")
        assertSuccess(o)
        let doc = try XCTUnwrap(json(o.stdout) as? [String: Any])
        XCTAssertEqual(doc["train"] as? Int, 240)
        XCTAssertEqual(doc["validation"] as? Int, 60)
        XCTAssertTrue(doc["test"] is NSNull, "\(doc)")
        XCTAssertEqual(doc["parameters"] as? Int, 4 * 16 + 16 + 16 + 1)
    }

    /// summary reads only what the input shape needs (the first image of the first class
    /// folder), so a broken image further on does not stop it; validate reads it and does.
    func testSummaryReadsOnlyTheFirstImage() throws {
        let folder = Paths.repo.appendingPathComponent("Tests/NNRegTests/Fixtures/images/folder").path
        let images = path("images")
        try FileManager.default.copyItem(atPath: folder, toPath: images)
        try write("images/b_square/broken.png", "not a png")
        try writeSpec(
            "images.json",
            [
                "data": ["train": "images", "color_mode": "grayscale"],
                "model": ["layers": [["type": "flatten"], ["type": "dense", "units": 2, "activation": "softmax"]]],
                "training": ["loss": "sparse_categorical_crossentropy"],
            ])
        let summary = try nnreg("summary", "images.json")
        assertSuccess(summary)
        XCTAssert(summary.stdout.contains("Input shape: (None, 6, 8, 1)"), summary.stdout)  // a_circle/01.png is 8 x 6
        let validate = try nnreg("validate", "images.json")
        XCTAssertEqual(validate.status, 2)
        XCTAssert(validate.stderr.contains("broken.png"), validate.stderr)
    }

    /// summary of a series: (window, features), the timestamp column found from the first row.
    func testSummaryOfASeriesFindsTheFeaturesFromTheHeader() throws {
        let o = try nnreg("summary", Paths.repo.appendingPathComponent("specs/co2-lstm.json").path)
        assertSuccess(o)
        XCTAssert(o.stdout.contains("Input shape: (None, 52, 1)"), o.stdout)
    }
}
