import XCTest
@testable import NNReg

/// Image folders through the spec: a CNN trains from class subfolders; the split is
/// written as a file list; bad files are skipped and listed when on_bad_file is "skip".
final class ImageTrainingTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures/images/folder"

    func makeFolder() throws -> String {
        let dir = NSTemporaryDirectory() + "nnreg-imgtrain-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.copyItem(atPath: Self.fixtures, toPath: dir + "/train")
        return dir
    }

    func spec(_ dir: String, onBadFile: String = "error", augmentation: String = "null") throws -> Spec {
        try Spec.parse(
            """
            {"name": "img", "seed": 3,
             "data": {"train": "\(dir)/train", "image_size": [8, 8], "color_mode": "grayscale", "rescale": 0.00392156862745098,
                      "validation_split": 0.34, "on_bad_file": "\(onBadFile)"},
             "model": {"layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3, "activation": "relu"},
                                  {"type": "global_average_pooling2d"}, {"type": "dense", "units": 2, "activation": "softmax"}]},
             "training": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "epochs": 1, "batch_size": 2},
             "augmentation": \(augmentation),
             "output": {"dir": "\(dir)/run"}}
            """, baseDirectory: "/")
    }

    func train(_ s: Spec) throws {
        var options = TrainOptions()
        options.overwrite = true
        _ = try TrainingRun(spec: s, options: options, reporter: Reporter(quiet: true, json: true)).run()
    }

    func testCNNTrainsFromFoldersAndWritesTheSplitAsAFileList() throws {
        let dir = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try train(try spec(dir))
        let rows = try String(contentsOfFile: dir + "/run/split.csv", encoding: .utf8).split(separator: "\n")
            .dropFirst()
        XCTAssertEqual(rows.count, 6)
        let files = rows.map { $0.split(separator: ",")[1] }
        XCTAssertEqual(Set(files).count, 6, "train and validation never share a file")
        XCTAssertEqual(rows.filter { $0.hasPrefix("validation,") }.count, 2, "stratified: one of each class")
        XCTAssertEqual(
            try String(contentsOfFile: dir + "/run/classes.json", encoding: .utf8), "[\"a_circle\", \"b_square\"]\n")
        let saved = try SavedModel(location: dir + "/run")
        XCTAssertEqual(saved.inputShape, [8, 8, 1])
        XCTAssertEqual(try saved.load(dir + "/train").count, 6)
    }

    func testBadFileIsAnErrorNamingItOrSkippedAndListed() throws {
        let dir = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = dir + "/train/a_circle/broken.png"
        try "not a png".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Experiment(spec: try spec(dir))) { XCTAssert("\($0)".contains(bad), "\($0)") }
        try train(try spec(dir, onBadFile: "skip"))
        let skipped = try String(contentsOfFile: dir + "/run/skipped_files.csv", encoding: .utf8)
        XCTAssert(skipped.contains("train,\(bad),"), skipped)
        XCTAssertEqual(
            skipped.components(separatedBy: bad).count, 2, "listed once, not again for the validation split: \(skipped)"
        )
    }

    /// On-the-fly augmentation: seeded (two runs give the same history), standardization
    /// statistics saved with the model and applied again by evaluate.
    func testAugmentedTrainingIsReproducibleAndSavesItsStandardization() throws {
        let dir = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let aug = """
            {"rotation_range": 20, "width_shift_range": 0.1, "horizontal_flip": true, "featurewise_center": true,
             "featurewise_std_normalization": true, "random_erasing": {"probability": 0.5}}
            """
        var histories: [String] = []
        for _ in 0..<2 {
            var s = try spec(dir, augmentation: aug)
            s.training.epochs = 3
            try train(s)
            let csv = try String(contentsOfFile: dir + "/run/history.csv", encoding: .utf8)
            histories.append(
                csv.split(separator: "\n").map { $0.split(separator: ",").dropLast().joined(separator: ",") }.joined(
                    separator: "\n"))
        }
        XCTAssertEqual(histories[0], histories[1])
        let file = try SafeTensors.read(dir + "/run/model.safetensors")
        XCTAssertEqual(file["augmentation.mean"]?.count, 1, "one mean per channel")
        let saved = try SavedModel(location: dir + "/run")
        let values = try saved.evaluate(try saved.load(dir + "/train"))
        XCTAssertEqual(values.first?.0, "loss")
    }

    func testMixupNeedsSoftLabels() throws {
        let dir = try makeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertThrowsError(try Experiment(spec: try spec(dir, augmentation: "{\"mixup\": 0.2}"))) {
            XCTAssert("\($0)".hasPrefix("augmentation: mixup and cutmix mix the labels"), "\($0)")
        }
    }
}
