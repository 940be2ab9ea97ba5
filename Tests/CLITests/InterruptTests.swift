import Foundation
import XCTest

/// Runs that stop early: Ctrl-C (then --resume) and a loss that becomes NaN or infinite.
final class InterruptTests: CLITestCase {
    /// A 3-class CSV of `rows` rows like data/tiny/train.csv, big enough that an epoch takes a
    /// moment; deterministic (a fixed LCG).
    func writeBigCSV(_ name: String, rows: Int) throws {
        var state: UInt64 = 12345
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        var text = "f1,f2,f3,f4,f5,f6,label\n"
        for _ in 0..<rows {
            let label = Int(uniform() * 3)
            let features = (0..<6).map { j -> String in
                let noise = (0..<4).map { _ in uniform() }.reduce(0, +) - 2
                return String(format: "%.3f", Double(label * (j % 2)) + noise)
            }
            text += features.joined(separator: ",") + ",\(label)\n"
        }
        try write(name, text)
    }

    /// specs/tiny.json on a 6,000-row big.csv (an epoch takes a moment), without early
    /// stopping, changed by `edit`.
    func bigSpec(_ edit: (inout [String: Any]) -> Void = { _ in }) throws -> String {
        try writeBigCSV("big.csv", rows: 6000)
        return try tinySpec("big.json") { s in
            var data = s["data"] as! [String: Any]
            data["train"] = "big.csv"
            s["data"] = data
            s.removeValue(forKey: "early_stopping")
            edit(&s)
        }
    }

    /// An ensemble interrupted during its first member: --resume continues that member and
    /// trains the second from the start, giving an uninterrupted run's results.
    func testInterruptedEnsembleResumesLikeAStraightRun() throws {
        let spec = try bigSpec { s in
            var training = s["training"] as! [String: Any]
            training["ensemble"] = ["members": 2]
            s["training"] = training
        }
        assertSuccess(try nnreg("train", spec, "--epochs", "4", "--quiet", "--output", "straight"))
        let child = try start("train", spec, "--epochs", "4", "--output", "cut")
        XCTAssertTrue(child.waitForStdout(timeout: 60) { $0.contains("epoch 1/4 - ") }, child.stdoutSoFar)
        kill(child.process.processIdentifier, SIGINT)
        XCTAssertEqual(child.finish(timeout: 60).status, 130)
        XCTAssertTrue(exists("cut/members/0/last.safetensors"))
        XCTAssertFalse(exists("cut/members/1/last.safetensors"), "interrupted during the first member")
        assertSuccess(try nnreg("train", spec, "--epochs", "4", "--quiet", "--output", "cut", "--resume"))
        XCTAssertEqual(try read("cut/metrics.json"), try read("straight/metrics.json"))
        // history.csv's last column is the epoch's seconds.
        func withoutSeconds(_ name: String) throws -> [[Substring]] {
            try read(name).split(separator: "\n").map { Array($0.split(separator: ",").dropLast()) }
        }
        for k in 0..<2 {
            XCTAssertEqual(
                try withoutSeconds("cut/members/\(k)/history.csv"),
                try withoutSeconds("straight/members/\(k)/history.csv"),
                "member \(k)'s history")
        }
    }

    /// SIGINT after the first epoch line: exit 130 with the resume command; running that
    /// command finishes the run with the history and metrics of an uninterrupted run.
    func testCtrlCThenResumeEqualsStraightRun() throws {
        let spec = try bigSpec()
        assertSuccess(try nnreg("train", spec, "--epochs", "5", "--quiet", "--output", "straight"))

        let child = try start("train", spec, "--epochs", "5", "--output", "cut")
        XCTAssertTrue(child.waitForStdout(timeout: 60) { $0.contains("epoch 1/5 - ") }, child.stdoutSoFar)
        kill(child.process.processIdentifier, SIGINT)
        let o = child.finish(timeout: 60)
        XCTAssertFalse(o.signalled, "the handler stops training; the process must not die of SIGINT")
        XCTAssertEqual(o.status, 130, o.stderr)

        let finished = try read("cut/history.csv").split(separator: "\n").count - 1
        XCTAssertGreaterThanOrEqual(finished, 1)
        XCTAssertLessThan(finished, 5, "stopped early")
        XCTAssertFalse(exists("cut/metrics.json"), "an interrupted run has no final metrics")
        XCTAssertTrue(exists("cut/last.safetensors"))
        XCTAssertEqual(o.lines.filter { $0.hasPrefix("epoch ") }.count, finished, o.stdout)
        XCTAssertEqual(
            o.stderr,
            "error: interrupted during epoch \(finished + 1); continue with: nnreg train \(spec) --output cut --epochs 5 --resume\n"
        )
        XCTAssertTrue(
            o.lines.last?.hasPrefix("epoch \(finished)/5 ") == true,
            "stdout ends with the last finished epoch: \(o.stdout)")

        // Run exactly the command the message gives.
        let hint = o.stderr.components(separatedBy: "continue with: nnreg ").last!.trimmingCharacters(in: .newlines)
        let resumed = try Child(hint.split(separator: " ").map(String.init), in: dir).finish(timeout: 60)
        assertSuccess(resumed)
        XCTAssertEqual(resumed.lines.first, "resuming cut after epoch \(finished)")
        XCTAssertEqual(try historyWithoutSeconds("cut"), try historyWithoutSeconds("straight"))
        XCTAssertEqual(try read("cut/metrics.json"), try read("straight/metrics.json"))
    }

    /// SGD with learning rate 1e6 overflows in the first epoch: exit 1, the epoch and batch
    /// named, and no weights or metrics written (nothing good to keep).
    func testLossOverflowInFirstEpoch() throws {
        try regressionSpec { s in
            var training = s["training"] as! [String: Any]
            training["optimizer"] = ["type": "sgd", "learning_rate": 1e6]
            s["training"] = training
        }
        let o = try nnreg("train", "regression.json")
        XCTAssertEqual(o.status, 1, o.stderr)
        XCTAssertNotNil(
            o.stderr.range(
                of:
                    #"^error: loss became (nan|inf|-inf) at epoch 1, batch \d+; lower the learning rate, .*; no epoch finished, so no weights were kept\n$"#,
                options: .regularExpression), o.stderr)
        XCTAssertFalse(o.stdout.contains("epoch 1/4 - "), "no epoch line for the failed epoch: \(o.stdout)")
        for name in ["last.safetensors", "model.safetensors", "metrics.json", "history.csv"] {
            XCTAssertFalse(exists("run/" + name), name)
        }
        // Nothing to protect: the same folder takes a new run without --overwrite.
        try regressionSpec()
        assertSuccess(try nnreg("train", "regression.json", "--quiet"))
    }

    /// The learning rate jumps from 0.01 to 1e6 after the first epoch's 8 batches
    /// (exponential_decay, staircase, rate 1e8): epoch 1 is kept, epoch 2 overflows.
    func testLossOverflowKeepsTheLastGoodEpoch() throws {
        try regressionSpec { s in
            var training = s["training"] as! [String: Any]
            training["optimizer"] = ["type": "sgd", "learning_rate": 0.01]
            training["lr_schedule"] = [
                "type": "exponential_decay", "decay_steps": 8, "decay_rate": 1e8, "staircase": true,
            ]
            s["training"] = training
        }
        let o = try nnreg("train", "regression.json")
        XCTAssertEqual(o.status, 1, o.stderr)
        XCTAssertNotNil(
            o.stderr.range(
                of:
                    #"^error: loss became (nan|inf|-inf) at epoch 2, batch \d+; .*; \#(path("run"))/last.safetensors keeps the last good epoch\n$"#,
                options: .regularExpression), o.stderr)
        XCTAssertEqual(o.lines.filter { $0.hasPrefix("epoch ") }.count, 1, o.stdout)
        XCTAssertFalse(o.stdout.contains("error"), "errors go to stderr only: \(o.stdout)")
        XCTAssertEqual(try read("run/history.csv").split(separator: "\n").count, 2)
        XCTAssertTrue(exists("run/last.safetensors"))
        XCTAssertTrue(exists("run/model.safetensors"))
        XCTAssertFalse(exists("run/metrics.json"))
        // The kept epoch is a usable model.
        let evaluate = try nnreg("evaluate", "--model", "run", "--data", Paths.tiny("regression.csv"), "--json")
        assertSuccess(evaluate)
    }
}
