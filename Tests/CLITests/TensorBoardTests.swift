import Foundation
import XCTest

/// `train --tensorboard`: the event files read back with the tensorboard package
/// (tools/tensorboard_check.py: every CRC checked, then TensorBoard's EventAccumulator)
/// hold history.json's values, a histogram of every weight, and one record per epoch after
/// a resume.
final class TensorBoardTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        try TestVenv.require(for: "read TensorBoard event files with the tensorboard package")
    }

    /// tools/tensorboard_check.py on the run folder "run".
    func events(file: StaticString = #filePath, line: UInt = #line) throws -> [String: [String: Any]] {
        let out = try TestVenv.json("tensorboard_check.py", [path("run")], file: file, line: line)
        return try XCTUnwrap(out as? [String: [String: Any]], file: file, line: line)
    }

    func scalars(_ part: [String: Any]?) throws -> [String: [[Double]]] {
        try XCTUnwrap(part?["scalars"] as? [String: [[Double]]])
    }

    func testEventFilesHoldTheHistoryAndEveryWeight() throws {
        try tinySpec()
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "3", "--tensorboard", "--quiet"))
        let history = try XCTUnwrap(json(try read("run/history.json")) as? [[String: Any]])
        let parts = try events()
        let train = try scalars(parts["train"]), validation = try scalars(parts["validation"])
        XCTAssertEqual(
            Set(train.keys),
            [
                "epoch_loss", "epoch_accuracy", "epoch_learning_rate", "epoch_gap_loss", "epoch_gap_accuracy",
                "epoch_data_loss", "epoch_penalty",
            ])
        XCTAssertEqual(Set(validation.keys), ["epoch_loss", "epoch_accuracy"])
        func expect(_ tags: [String: [[Double]]], _ tag: String, _ value: ([String: Any]) -> Double?) {
            XCTAssertEqual(tags[tag]?.map { $0[0] }, [1, 2, 3], tag)
            for (point, epoch) in zip(tags[tag] ?? [], history) {
                let v = value(epoch)!
                XCTAssertEqual(point[1], Double(Float(v)), accuracy: 1e-12, "\(tag) at step \(point[0])")
            }
        }
        for name in ["loss", "accuracy", "learning_rate"] { expect(train, "epoch_" + name) { $0[name] as? Double } }
        for name in ["loss", "accuracy"] { expect(validation, "epoch_" + name) { $0["val_" + name] as? Double } }
        for name in ["gap_loss", "gap_accuracy", "data_loss", "penalty"] {
            expect(train, "epoch_" + name) { ($0["diagnostics"] as? [String: Any])?[name] as? Double }
        }
        XCTAssertGreaterThan(train["epoch_penalty"]?.last?[1] ?? 0, 0, "the spec's l2 penalty")

        // One histogram per weight (dense 32 on the 6 features, dense 3), every value counted.
        let histograms = try XCTUnwrap(parts["train"]?["histograms"] as? [String: [[Double]]])
        let sizes = [
            "layers.0.dense.kernel/histogram": 6 * 32, "layers.0.dense.bias/histogram": 32,
            "layers.2.dense.kernel/histogram": 32 * 3, "layers.2.dense.bias/histogram": 3,
        ]
        XCTAssertEqual(Set(histograms.keys), Set(sizes.keys))
        for (tag, rows) in histograms {
            XCTAssertEqual(rows.map { $0[0] }, [1, 2, 3], tag)
            for row in rows {
                XCTAssertEqual(row[1], Double(sizes[tag]!), tag)  // num
                XCTAssertLessThanOrEqual(row[2], row[3], tag)  // min <= max
                XCTAssertEqual(row[4], row[1], tag)  // the buckets count every value
            }
        }
        XCTAssertEqual(parts["train"]?["records"] as? Int, 4)  // the file version, then one per epoch
        XCTAssertEqual(parts["validation"]?["records"] as? Int, 4)
    }

    func testResumeContinuesTheFilesWithOneRecordPerEpoch() throws {
        try tinySpec()
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "2", "--tensorboard", "--quiet"))
        // A crash mid-append leaves a record cut short.
        let file = try XCTUnwrap(FileHandle(forWritingAtPath: path("run/tensorboard/train/events.out.tfevents.nnreg")))
        file.seekToEndOfFile()
        file.write(Data([40, 0, 0, 0, 0, 0, 0, 0, 7, 7]))
        try file.close()
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "4", "--tensorboard", "--resume", "--quiet"))
        let parts = try events()
        for part in ["train", "validation"] {
            XCTAssertEqual(try scalars(parts[part])["epoch_loss"]?.map { $0[0] }, [1, 2, 3, 4], part)
            XCTAssertEqual(parts[part]?["records"] as? Int, 5, part)
        }
        let history = try XCTUnwrap(json(try read("run/history.json")) as? [[String: Any]])
        // Compared as float32, the events' type (JSON's decimal round trip may differ in a double's last digits).
        let losses = try scalars(parts["train"])["epoch_loss"]!.map { Float($0[1]) }
        XCTAssertEqual(losses, history.map { Float($0["loss"] as! Double) })
    }

    func testOverwriteRemovesTheEventFilesAndTheOptionMustBeABoolean() throws {
        try tinySpec()
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "1", "--tensorboard", "--quiet"))
        XCTAssertTrue(exists("run/tensorboard/validation/events.out.tfevents.nnreg"))
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "1", "--overwrite", "--quiet"))
        XCTAssertFalse(exists("run/tensorboard"))

        try tinySpec("bad.json") { $0["output"] = ["dir": "bad", "tensorboard": "yes"] }
        let o = try nnreg("train", "bad.json")
        XCTAssertEqual(o.status, 2)
        XCTAssertTrue(o.stderr.contains("output.tensorboard"), o.stderr)
        XCTAssertFalse(exists("bad"))
    }
}
