import Foundation
import XCTest

/// `nnreg train`: the run folder, its progress output, seeds and --resume.
final class TrainTests: CLITestCase {
    static let runFiles = [
        "spec.json", "history.csv", "history.json", "model.safetensors", "last.safetensors", "metrics.json",
        "loss.svg", "classes.json", ".nnreg-files", ".nnreg.lock",
    ]

    func testQuietTrainingWritesTheRunFolderAndPrintsNothing() throws {
        try tinySpec()
        let o = try nnreg("train", "tiny.json", "--epochs", "3", "--quiet")
        assertSuccess(o)
        XCTAssertEqual(o.stdout, "")
        XCTAssertEqual(o.stderr, "")
        let files = try FileManager.default.contentsOfDirectory(atPath: path("run"))
        XCTAssertEqual(Set(files), Set(Self.runFiles), "no temporary files left behind")

        let history = try read("run/history.csv").split(separator: "\n")
        XCTAssertEqual(history.first, "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds")
        XCTAssertEqual(history.dropFirst().map { $0.split(separator: ",").first }, ["1", "2", "3"])
        let historyJSON = try XCTUnwrap(json(read("run/history.json")) as? [[String: Any]])
        XCTAssertEqual(historyJSON.map { $0["epoch"] as? Int }, [1, 2, 3])

        let metrics = try jsonFile("run/metrics.json")
        XCTAssertEqual(metrics["epochs_run"] as? Int, 3)
        XCTAssertNotNil((metrics["test"] as? [String: Any])?["accuracy"] as? Double)
        XCTAssertNotNil((metrics["validation"] as? [String: Any])?["loss"] as? Double)
        XCTAssertEqual(metrics["stop_reason"] as? String, "completed 3 epochs")

        let resolved = try jsonFile("run/spec.json")
        XCTAssertEqual(
            (resolved["training"] as? [String: Any])?["epochs"] as? Int, 3, "--epochs is in the resolved spec")
        XCTAssertEqual(try json(read("run/classes.json")) as? [String], ["0", "1", "2"])
        XCTAssertTrue(try read("run/loss.svg").hasPrefix("<svg") || read("run/loss.svg").hasPrefix("<?xml"))
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("run/model.safetensors")).count > 8, true)
    }

    /// On a pipe: one line per epoch whose numbers are history.csv's, then the result lines.
    /// (output.dir is relative to the spec's folder, so the folder shows as an absolute path.)
    func testProgressLinesMatchTheHistory() throws {
        try tinySpec()
        let o = try nnreg("train", "tiny.json", "--epochs", "3")
        assertSuccess(o)
        XCTAssertEqual(o.stderr, "")
        let rows = try read("run/history.csv").split(separator: "\n").dropFirst().map {
            $0.split(separator: ",").map { Double($0)! }
        }
        let lines = o.lines
        XCTAssertFalse(o.stdout.contains("\r") || o.stdout.contains("\u{1B}"), "no live bar on a pipe")
        for (i, row) in rows.enumerated() {
            let prefix =
                "epoch \(i + 1)/3 - loss: \(fmt4(row[1])) - accuracy: \(fmt4(row[2])) - val_loss: \(fmt4(row[3]))"
                + " - val_accuracy: \(fmt4(row[4])) - learning_rate: \(fmt4(row[5])) - "
            XCTAssertTrue(lines[i].hasPrefix(prefix), "line \(i): \(lines[i])\nexpected: \(prefix)")
            let rest = String(lines[i].dropFirst(prefix.count))
            XCTAssertNotNil(rest.range(of: #"^\d+\.\ds( \| .+)?$"#, options: .regularExpression), rest)
        }
        let metrics = try jsonFile("run/metrics.json")
        func part(_ name: String) -> String {
            let values = metrics[name] as! [String: Double]
            return
                "\(name): loss: \(String(format: "%.4f", values["loss"]!)) - accuracy: \(String(format: "%.4f", values["accuracy"]!))"
        }
        let best = try XCTUnwrap(metrics["best_epoch"] as? Int)
        XCTAssertEqual(
            Array(lines.dropFirst(3)),
            [
                "restored the weights of epoch \(best) (restore_best_weights)", part("validation"), part("test"),
                "stopped: completed 3 epochs", "run folder: \(path("run"))",
            ])
    }

    /// --json: stdout is metrics.json, byte for byte; progress goes to stderr.
    func testJSONPrintsOnlyMetrics() throws {
        try tinySpec()
        let o = try nnreg("train", "tiny.json", "--epochs", "2", "--json")
        assertSuccess(o)
        let doc = try XCTUnwrap(json(o.stdout) as? [String: Any])
        XCTAssertEqual(doc["epochs_run"] as? Int, 2)
        XCTAssertEqual(o.stdout, try read("run/metrics.json"))
        XCTAssertTrue(o.stderr.contains("epoch 1/2 - loss: "), o.stderr)
        XCTAssertTrue(o.stderr.contains("epoch 2/2 - loss: "), o.stderr)

        let quiet = try nnreg("train", "tiny.json", "--epochs", "2", "--json", "--quiet", "--output", "run2")
        assertSuccess(quiet)
        XCTAssertEqual(quiet.stderr, "")
        XCTAssertEqual(quiet.stdout, try read("run2/metrics.json"))
        XCTAssertEqual(try historyWithoutSeconds("run"), try historyWithoutSeconds("run2"))
    }

    func testSameSeedSameHistoryOtherSeedOtherHistory() throws {
        try tinySpec()
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "3", "--quiet", "--output", "a"))
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "3", "--quiet", "--output", "b"))
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "3", "--quiet", "--output", "c", "--seed", "8"))
        XCTAssertEqual(try historyWithoutSeconds("a"), try historyWithoutSeconds("b"))
        XCTAssertEqual(try read("a/metrics.json"), try read("b/metrics.json"))
        XCTAssertNotEqual(try historyWithoutSeconds("a"), try historyWithoutSeconds("c"))
        XCTAssertEqual((try jsonFile("c/spec.json"))["seed"] as? Int, 8)
    }

    /// 6 epochs straight = 3 epochs, then --resume --epochs 6 (history minus seconds, metrics).
    func testResumeEqualsStraightRun() throws {
        try tinySpec()
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "6", "--quiet", "--output", "straight"))
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "3", "--quiet", "--output", "split"))
        let o = try nnreg("train", "tiny.json", "--epochs", "6", "--resume", "--output", "split")
        assertSuccess(o)
        XCTAssertEqual(o.lines.first, "resuming split after epoch 3")
        XCTAssertTrue(o.lines[1].hasPrefix("epoch 4/6 - "), o.stdout)
        XCTAssertEqual(try historyWithoutSeconds("straight"), try historyWithoutSeconds("split"))
        XCTAssertEqual(try read("straight/metrics.json"), try read("split/metrics.json"))
    }

    func testResumeWithoutARunIsAUsageError() throws {
        try tinySpec()
        let o = try nnreg("train", "tiny.json", "--resume", "--output", "fresh")
        XCTAssertEqual(o.status, 2)
        XCTAssertEqual(o.stdout, "")
        XCTAssertEqual(
            o.stderr, "error: fresh: nothing to resume (no last.safetensors); run without --resume to start\n")
        XCTAssertFalse(exists("fresh"))
    }

    /// A second train into a finished run is refused and loses nothing; --overwrite replaces it.
    func testExistingRunIsNotClobbered() throws {
        try tinySpec()
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "2", "--quiet"))
        let before = try snapshot("run")
        let o = try nnreg("train", "tiny.json", "--epochs", "3")
        XCTAssertEqual(o.status, 2)
        XCTAssertEqual(o.stdout, "")
        XCTAssertEqual(
            o.stderr,
            "error: \(path("run")) already holds a run; pass --resume to continue it, --overwrite to replace it, or --output DIR\n"
        )
        XCTAssertEqual(try snapshot("run"), before)

        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "3", "--quiet", "--overwrite"))
        XCTAssertEqual((try jsonFile("run/metrics.json"))["epochs_run"] as? Int, 3)
    }

    /// --set overrides spec values before validation; the run folder's spec.json records them.
    func testSetOverridesAreValidatedAndRecorded() throws {
        try tinySpec()
        let o = try nnreg(
            "train", "tiny.json", "--quiet", "--set", "training.epochs=2", "--set", "model.layers[1].rate=0.4")
        assertSuccess(o)
        let resolved = try jsonFile("run/spec.json")
        XCTAssertEqual((resolved["training"] as? [String: Any])?["epochs"] as? Int, 2)
        let layers = (resolved["model"] as? [String: Any])?["layers"] as? [[String: Any]]
        XCTAssertEqual(layers?[1]["rate"] as? Double, 0.4)
        XCTAssertEqual((try jsonFile("run/metrics.json"))["epochs_run"] as? Int, 2)
        let bad = try nnreg("validate", "tiny.json", "--set", "model.layers[1].rate=1.5")
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(
            bad.stderr,
            "error: model.layers[1].rate: must be in [0, 1), got 1.5 (from --set model.layers[1].rate=1.5)\n")
    }
}
