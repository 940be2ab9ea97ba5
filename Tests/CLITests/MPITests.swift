import Foundation
import XCTest

/// `mpirun -np 2 nnreg train` against one process with the same spec and seed (README,
/// "On a cluster"). Oracle: the single-process run; tolerance 1e-5 relative (per weight
/// tensor ‖a - b‖ / ‖a‖, and per epoch for the history's losses): the ranks add up the
/// same sums in a different order, so only float rounding differs.
/// Needs Open MPI's mpirun (`make deps` installs openmpi-bin); the tests run as root in
/// containers, hence OMPI_ALLOW_RUN_AS_ROOT, and --oversubscribe on small machines.
final class MPITests: CLITestCase {
    static let mpirun = URL(fileURLWithPath: "/usr/bin/mpirun")
    static let environment = ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard FileManager.default.isExecutableFile(atPath: Self.mpirun.path) else {
            throw XCTSkip("no /usr/bin/mpirun: make deps installs openmpi-bin and libopenmpi-dev")
        }
    }

    /// Starts `mpirun -np ranks nnreg arguments...` in the test folder.
    func startRanks(_ ranks: Int, _ arguments: [String]) throws -> Child {
        try Child(
            ["-np", String(ranks), "--oversubscribe", Paths.binary.path] + arguments, in: dir,
            executable: Self.mpirun, environment: Self.environment)
    }

    func mpirun(_ ranks: Int, _ arguments: String..., timeout: TimeInterval = 60) throws -> Outcome {
        try startRanks(ranks, arguments).finish(timeout: timeout)
    }

    /// Trains `spec` in one process and on 2 ranks; checks the weights and history agree.
    func assertTwoRanksMatchOneProcess(_ spec: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try write("spec.json", spec)
        let one = try nnreg("train", "spec.json", "--output", "one", "--quiet")
        XCTAssertEqual(one.status, 0, one.stderr, file: file, line: line)
        let two = try mpirun(2, "train", "spec.json", "--output", "two", "--quiet")
        XCTAssertEqual(two.status, 0, two.stdout + two.stderr, file: file, line: line)
        let a = try readSafeTensors(path("one/model.safetensors"))
        let b = try readSafeTensors(path("two/model.safetensors"))
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted(), file: file, line: line)
        for (name, x) in a {
            let y = b[name] ?? []
            XCTAssertLessThanOrEqual(relativeDistance(x, y), 1e-5, name, file: file, line: line)
        }
        let h1 = try history(path("one/history.json")), h2 = try history(path("two/history.json"))
        XCTAssertEqual(h1.count, 2, file: file, line: line)
        XCTAssertEqual(h1.count, h2.count, file: file, line: line)
        for (r1, r2) in zip(h1, h2) {
            XCTAssertEqual(r1["ranks"] as? Int, 1, file: file, line: line)
            XCTAssertEqual(r2["ranks"] as? Int, 2, file: file, line: line)
            for key in ["loss", "val_loss"] {
                let x = r1[key] as? Double ?? .nan, y = r2[key] as? Double ?? .nan
                XCTAssertLessThanOrEqual(
                    abs(x - y) / abs(x), 1e-5, "\(key) of epoch \(r1["epoch"]!)", file: file, line: line)
            }
        }
        let metrics = try JSONSerialization.jsonObject(
            with: Data(contentsOf: dir.appendingPathComponent("two/metrics.json")))
        XCTAssertEqual((metrics as? [String: Any])?["ranks"] as? Int, 2, file: file, line: line)
    }

    func testMLPWithDropoutsAndBatchNormalizationMatchesOneProcess() throws {
        try assertTwoRanksMatchOneProcess(
            """
            {"name": "mlp", "seed": 11,
             "data": {"train": "\(Paths.tiny("train.csv"))", "label": "label", "normalization": "featurewise",
                      "validation_split": 0.2},
             "model": {"layers": [
               {"type": "dense", "units": 16, "activation": "relu", "kernel_regularizer": {"l2": 0.001}},
               {"type": "batch_normalization"},
               {"type": "dropout", "rate": 0.3},
               {"type": "dense", "units": 8, "activation": "relu"},
               {"type": "dropout", "rate": 0.2, "seed": 123},
               {"type": "dense", "units": 3, "activation": "softmax"}]},
             "training": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"],
                          "optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": 2, "batch_size": 17,
                          "threads": 1}}
            """)
    }

    /// A convolution without bias before batch normalization (its bias would get no
    /// gradient but rounding, which Adam scales up to full steps).
    func testCNNWithAugmentationMatchesOneProcess() throws {
        try write("images.csv", Self.imageCSV(rows: 96, side: 8))
        try assertTwoRanksMatchOneProcess(
            """
            {"name": "cnn", "seed": 5,
             "data": {"train": "images.csv", "label": "label", "rescale": 0.00392156862745098, "validation_split": 0.25},
             "model": {"input_shape": [8, 8, 1], "layers": [
               {"type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu", "use_bias": false},
               {"type": "batch_normalization"},
               {"type": "max_pooling2d", "pool_size": 2},
               {"type": "spatial_dropout2d", "rate": 0.2},
               {"type": "flatten"},
               {"type": "dropout", "rate": 0.25},
               {"type": "dense", "units": 3, "activation": "softmax"}]},
             "augmentation": {"rotation_range": 10, "width_shift_range": 0.1, "horizontal_flip": true,
                              "gaussian_noise": 0.05},
             "training": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"],
                          "optimizer": {"type": "adam", "learning_rate": 0.01}, "epochs": 2, "batch_size": 12,
                          "threads": 1}}
            """)
    }

    func testLSTMWithDropoutMatchesOneProcess() throws {
        let co2 = Paths.repo.appendingPathComponent("data/co2/co2_weekly.csv").path
        try assertTwoRanksMatchOneProcess(
            """
            {"name": "lstm", "seed": 9,
             "data": {"train": "\(co2)", "missing": "interpolate", "normalization": "featurewise",
                      "sequence": {"window": 12, "horizon": 1, "target": "co2"}, "validation_split": 0.1},
             "model": {"layers": [
               {"type": "lstm", "units": 8, "return_sequences": true, "dropout": 0.2, "recurrent_dropout": 0.2},
               {"type": "lstm", "units": 8, "dropout": 0.1},
               {"type": "dense", "units": 1}]},
             "training": {"loss": "mse", "metrics": ["mae"], "optimizer": {"type": "adam", "learning_rate": 0.005},
                          "epochs": 2, "batch_size": 64, "threads": 1}}
            """)
    }

    /// Ending one rank (SIGTERM, as `kill` sends) ends the job: exit status 1 and one
    /// message pointing to --resume, not a hang. The run then resumes in one process (a
    /// different N) and completes, its history recording the ranks of each epoch.
    func testKilledRankEndsTheJobAndTheRunResumesOnOneProcess() throws {
        try write(
            "spec.json",
            """
            {"name": "long", "seed": 3,
             "data": {"train": "\(Paths.tiny("train.csv"))", "label": "label", "validation_split": 0.2},
             "model": {"layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dropout", "rate": 0.2},
                                  {"type": "dense", "units": 3, "activation": "softmax"}]},
             "training": {"loss": "sparse_categorical_crossentropy", "epochs": 1000, "batch_size": 16, "threads": 1}}
            """)
        let job = try startRanks(2, ["train", "spec.json", "--output", "run", "--quiet"])
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, (try? history(path("run/history.json")).count) ?? 0 < 2 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let rank1 = try XCTUnwrap(rankProcess(1, of: job.process.processIdentifier), "rank 1 not found")
        kill(rank1, SIGTERM)
        let ended = job.finish(timeout: 30)
        XCTAssertEqual(ended.status, 1, ended.stderr)
        XCTAssertFalse(ended.signalled)
        XCTAssertEqual(ended.stderr.components(separatedBy: "error:").count - 1, 1, ended.stderr)
        XCTAssertTrue(ended.stderr.contains("--resume"), ended.stderr)
        let done = try history(path("run/history.json")).count
        XCTAssertGreaterThanOrEqual(done, 2)
        let resumed = try nnreg(
            "train", "spec.json", "--output", "run", "--resume", "--epochs", String(done + 2), "--quiet")
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let records = try history(path("run/history.json"))
        XCTAssertEqual(records.count, done + 2)
        XCTAssertEqual(records.map { $0["ranks"] as? Int ?? 0 }, Array(repeating: 2, count: done) + [1, 1])
    }

    /// An ensemble under mpirun spreads its members over the ranks (member k on rank k mod N,
    /// in one process): the same weights as one process, bit for bit, and rank 0's folder
    /// holds every member's files.
    func testEnsembleMembersSpreadOverTheRanks() throws {
        try write(
            "spec.json",
            """
            {"name": "ensemble", "seed": 4,
             "data": {"train": "\(Paths.tiny("train.csv"))", "label": "label", "validation_split": 0.2},
             "model": {"layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dropout", "rate": 0.2},
                                  {"type": "dense", "units": 3, "activation": "softmax"}]},
             "training": {"loss": "sparse_categorical_crossentropy", "epochs": 2, "batch_size": 32, "threads": 1,
                          "ensemble": {"members": 3}}}
            """)
        let one = try nnreg("train", "spec.json", "--output", "one", "--quiet")
        XCTAssertEqual(one.status, 0, one.stderr)
        let two = try mpirun(2, "train", "spec.json", "--output", "two", "--quiet")
        XCTAssertEqual(two.status, 0, two.stdout + two.stderr)
        XCTAssertEqual(
            try readSafeTensors(path("two/model.safetensors")), try readSafeTensors(path("one/model.safetensors")))
        for k in 0..<3 {
            XCTAssertEqual(
                try readSafeTensors(path("two/members/\(k)/last.safetensors")),
                try readSafeTensors(path("one/members/\(k)/last.safetensors")), "member \(k)")
        }
    }

    /// `mpirun -np 2 nnreg sweep` spreads the trials over both ranks (halving rungs too)
    /// and gives the trials.csv of one process, but for seconds and the rank column; a
    /// `--resume` of the finished sweep on 2 ranks trains nothing and keeps it.
    func testSweepOnTwoRanksGivesTheTrialsOfOneProcess() throws {
        _ = try tinySpec { spec in
            var training = spec["training"] as! [String: Any]
            training["threads"] = 1
            spec["training"] = training
            spec["early_stopping"] = NSNull()
        }
        _ = try writeSpec(
            "sweep.json",
            [
                "spec": "tiny.json",
                "parameters": [
                    "model.layers[1].rate": [0.0, 0.3, 0.6],
                    "model.layers[0].kernel_regularizer": [NSNull(), ["l2": 0.001]],
                ],
                "seeds": [1, 2], "objective": ["monitor": "val_loss"], "halving": ["min_epochs": 2, "eta": 3],
            ] as [String: Any])
        let one = try nnreg("sweep", "sweep.json", "--output", "one", "--quiet")
        XCTAssertEqual(one.status, 0, one.stderr)
        let two = try mpirun(2, "sweep", "sweep.json", "--output", "two", "--quiet")
        XCTAssertEqual(two.status, 0, two.stdout + two.stderr)
        XCTAssertEqual(try trialRows("two"), try trialRows("one"))
        let ranks = Set(try trialRows("two", keepRank: true).map { $0["rank"] ?? "" })
        XCTAssertEqual(ranks, ["0", "1"], "both ranks trained trials")
        let again = try mpirun(2, "sweep", "sweep.json", "--output", "two", "--resume", "--quiet")
        XCTAssertEqual(again.status, 0, again.stdout + again.stderr)
        XCTAssertEqual(try trialRows("two"), try trialRows("one"))
    }

    /// trials.csv's rows as named fields, without seconds (and the rank unless `keepRank`).
    func trialRows(_ folder: String, keepRank: Bool = false) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path(folder + "/trials.csv"), encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return lines.dropFirst().map { line in
            var row = Dictionary(
                uniqueKeysWithValues: zip(
                    header, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
            row["seconds"] = nil
            if !keepRank { row["rank"] = nil }
            return row
        }
    }

    /// The process of rank `rank` that mpirun (`parent`) started (OMPI_COMM_WORLD_RANK in its environment).
    func rankProcess(_ rank: Int, of parent: Int32) -> Int32? {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for name in processes {
            guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[1]) == parent,
                let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return pid }
        }
        return nil
    }

    /// 8x8 grey images of 3 classes (a diagonal stripe pattern per class), as CSV pixels.
    static func imageCSV(rows: Int, side: Int) -> String {
        var lines = [(0..<(side * side)).map { "p\($0)" }.joined(separator: ",") + ",label"]
        var state: UInt32 = 12345
        func noise() -> Int {
            state = state &* 1_103_515_245 &+ 12345
            return Int(state >> 16) % 61 - 30
        }
        for r in 0..<rows {
            let label = r % 3
            let pixels = (0..<(side * side)).map { i -> String in
                let on = (i / side + i % side) % 3 == label
                return String(max(0, min(255, (on ? 80 + 60 * label : 60) + noise())))
            }
            lines.append(pixels.joined(separator: ",") + ",\(label)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// ‖a - b‖ / ‖a‖ (‖a - b‖ when a is 0); infinity when the sizes differ.
func relativeDistance(_ a: [Float], _ b: [Float]) -> Double {
    guard a.count == b.count else { return .infinity }
    var difference = 0.0, norm = 0.0
    for (x, y) in zip(a, b) {
        difference += Double(x - y) * Double(x - y)
        norm += Double(x) * Double(x)
    }
    return norm == 0 ? difference.squareRoot() : (difference / norm).squareRoot()
}

/// The F32 tensors of a .safetensors file (an 8-byte header size, a JSON header, the data).
func readSafeTensors(_ path: String) throws -> [String: [Float]] {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    let size = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + size))) as? [String: Any] ?? [:]
    var tensors: [String: [Float]] = [:]
    for (name, entry) in header where name != "__metadata__" {
        guard let entry = entry as? [String: Any], entry["dtype"] as? String == "F32",
            let offsets = entry["data_offsets"] as? [Int]
        else { continue }
        let raw = bytes.subdata(in: (8 + size + offsets[0])..<(8 + size + offsets[1]))
        tensors[name] = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
    return tensors
}

/// history.json's records.
func history(_ path: String) throws -> [[String: Any]] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]] ?? []
}
