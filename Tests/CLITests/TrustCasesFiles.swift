import Foundation

/// Files nnreg did not write, and run folders that are corrupt.
extension TrustCase {
    /// `train` into my-results/ holding a user's file; refused naming the folder.
    static func foreignFile(_ name: String, _ file: String, viaSpec: Bool = false) -> TrustCase {
        TrustCase(.files, name) { b in
            try b.spec(.tiny, viaSpec ? [("output.dir", "my-results")] : [])
            try b.write("my-results/" + file, "the user's own file\n")
            let args = ["train", "spec.json", "--quiet"] + (viaSpec ? [] : ["--output", "my-results"])
            return Plan(args, 2, ["my-results"])
        }
    }

    /// `train --overwrite` over an earlier nnreg run to which the user added `files`: exit 0,
    /// nnreg's own files replaced, the user's byte-identical.
    static func overwriteKeeps(_ name: String, _ files: [String]) -> TrustCase {
        TrustCase(.files, name) { b in
            try b.trainedTiny("my-results")
            let own = b.listing("my-results").filter { $0 != "my-results" }
            for f in files { try b.write("my-results/" + f, "the user's own file: \(f)\n") }
            var plan = Plan(
                ["train", "spec.json", "--quiet", "--overwrite", "--output", "my-results"], 0, creates: ["my-results"],
                changes: own)
            plan.check = madeModel("my-results")
            return plan
        }
    }

    /// `predict --model my-model --data x.csv --output <output>`; refused with `fragments`.
    static func predictOutput(
        _ name: String, _ output: String, _ fragments: [String], setup: @escaping (Bench) throws -> Void = { _ in }
    ) -> TrustCase {
        TrustCase(.files, name) { b in
            try b.tinyRun("my-model")
            try b.copy(Paths.tiny("test.csv"), to: "x.csv")
            try setup(b)
            return Plan(["predict", "--model", "my-model", "--data", "x.csv", "--output", output], 2, fragments)
        }
    }

    /// `train --resume` on a run whose last.safetensors metadata `epochs_completed` is `value` (nil: absent).
    static func resumeEpochs(_ value: String?) -> TrustCase {
        TrustCase(.files, "resume with epochs_completed \(value.map { "\"\($0)\"" } ?? "missing")") { b in
            try b.trainedTiny()
            let data = try TrustFixtures.editSafeTensors(try b.read("run/last.safetensors")) { header in
                var meta = header["__metadata__"] as? [String: String] ?? [:]
                meta["epochs_completed"] = value
                header["__metadata__"] = meta
            }
            try b.write("run/last.safetensors", data)
            return Plan(
                ["train", "spec.json", "--resume", "--epochs", "4", "--quiet"], 2,
                ["last.safetensors", value == "99" ? "history.json OR epochs_completed" : "epochs_completed"])
        }
    }

    /// A big CSV, so that an epoch takes a moment and a run with many epochs keeps going.
    static func slowSpec(_ b: Bench) throws {
        var text = "f1,f2,f3,f4,f5,f6,label\n"
        var state: UInt64 = 12345
        for i in 0..<6000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let cells = (0..<6).map { j in String(format: "%.3f", Double((state >> (8 * UInt64(j))) & 0xFF) / 64) }
            text += cells.joined(separator: ",") + ",\(i % 3)\n"
        }
        try b.spec(.tiny, [("data.train", "big.csv"), ("early_stopping", nil)])
        try b.write("big.csv", text)
    }

    /// A second `train` (with `extra` flags) while a first trains into my-results/: refused.
    static func runInUse(_ name: String, _ extra: [String]) -> TrustCase {
        TrustCase(.files, name, serial: true) { b in
            try slowSpec(b)
            let first = try Child(
                ["train", "spec.json", "--epochs", "1000", "--output", "my-results"], in: b.root)
            guard first.waitForStdout(timeout: 60, { $0.contains("epoch 1/1000") }) else {
                kill(first.process.processIdentifier, SIGKILL)
                throw TrustFixtures.Failure("the first run did not finish an epoch: \(first.stdoutSoFar)")
            }
            var plan = Plan(
                ["train", "spec.json", "--epochs", "2", "--quiet", "--output", "my-results"] + extra, 2,
                ["my-results"], creates: ["my-results"], changes: ["my-results"])
            plan.cleanup = {
                kill(first.process.processIdentifier, SIGKILL)
                _ = first.finish(timeout: 30)
            }
            return plan
        }
    }

    static var files: [TrustCase] {
        [
            foreignFile("train into a folder holding the user's checkpoints/", "checkpoints/mine.safetensors"),
            foreignFile("train into a folder holding the user's history.csv", "history.csv"),
            foreignFile("train into a folder holding the user's notes.txt", "notes.txt"),
            foreignFile("output.dir holding the user's notes.txt", "notes.txt", viaSpec: true),
            foreignFile("train into a folder holding the user's model.safetensors", "model.safetensors"),
            overwriteKeeps(
                "--overwrite keeps the user's notes.txt and checkpoints/", ["notes.txt", "checkpoints/keep.txt"]),
            overwriteKeeps("--overwrite keeps the user's members/ folder", ["members/0/notes.txt"]),
            TrustCase(.files, "--overwrite with a checkpoint section keeps the user's file in checkpoints/") { b in
                try b.trainedTiny("my-results", [("checkpoint", ["save_freq": "epoch"])])
                let own = b.listing("my-results").filter { $0 != "my-results" }
                try b.write("my-results/checkpoints/keep.txt", "mine\n")
                var plan = Plan(
                    ["train", "spec.json", "--quiet", "--overwrite", "--output", "my-results"], 0,
                    creates: ["my-results"], changes: own)
                plan.check = madeModel("my-results")
                return plan
            },
            TrustCase(.files, "--overwrite into a folder of only the user's files keeps them") { b in
                try b.spec(.tiny)
                try b.write("my-results/notes.txt", "mine\n")
                try b.write("my-results/data/raw.csv", "a,b\n1,2\n")
                var plan = Plan(
                    ["train", "spec.json", "--quiet", "--overwrite", "--output", "my-results"], 0,
                    creates: ["my-results"])
                plan.check = madeModel("my-results")
                return plan
            },
            TrustCase(.files, "--overwrite never replaces the user's own history.csv") { b in
                try b.spec(.tiny)
                try b.write("my-results/history.csv", "my,own,history\n")
                return Plan(
                    ["train", "spec.json", "--quiet", "--overwrite", "--output", "my-results"], 2,
                    ["history.csv"])
            },
            TrustCase(.files, "output.dir \".\" next to the spec never replaces spec.json") { b in
                try b.spec(.tiny, [("output.dir", ".")])
                return Plan(["train", "spec.json", "--quiet"], 2, ["spec.json"])
            },
            TrustCase(.files, "output.dir \".\" next to the spec, with --overwrite") { b in
                try b.spec(.tiny, [("output.dir", ".")])
                return Plan(["train", "spec.json", "--quiet", "--overwrite"], 2, ["spec.json"])
            },
            TrustCase(.files, "--output naming the spec's own folder from inside it") { b in
                try b.spec(.tiny)
                return Plan(["train", "spec.json", "--quiet", "--output", "."], 2, ["spec.json OR ."])
            },
            predictOutput("predict --output is the --data file", "x.csv", ["x.csv"]),
            predictOutput("predict --output is the model file", "my-model/model.safetensors", ["model.safetensors"]),
            predictOutput("predict --output is the model folder", "my-model", ["my-model"]),
            predictOutput("predict --output is an existing folder", "preds", ["preds"]) { try $0.mkdir("preds") },
            predictOutput("predict --output \"\" is a plain sentence", "", ["--output"]),
            predictOutput("predict --output under a regular file", "notes.txt/p.csv", ["notes.txt"]) {
                try $0.write("notes.txt", "mine\n")
            },
            predictOutput("predict --output a symlink to the input", "link.csv", ["link.csv"]) {
                try $0.link("link.csv", to: "x.csv")
            },
            predictOutput("predict --output a symlink to the model file", "m.csv", ["m.csv"]) {
                try $0.link("m.csv", to: "my-model/model.safetensors")
            },
            predictOutput("predict --output the same file by another path", "./sub/../x.csv", ["x.csv"]) {
                try $0.mkdir("sub")
            },
            resumeEpochs("many"),
            resumeEpochs("-1"),
            resumeEpochs("1e400"),
            resumeEpochs(nil),
            resumeEpochs("99"),
            runInUse("a second train on a run folder in use", []),
            runInUse("a second train --overwrite on a run folder in use", ["--overwrite"]),
            runInUse("a second train --resume on a run folder in use", ["--resume"]),
            TrustCase(.files, "a stale lock of a SIGKILLed run does not block --resume", serial: true) { b in
                try slowSpec(b)
                let first = try Child(["train", "spec.json", "--epochs", "1000", "--output", "my-results"], in: b.root)
                _ = first.waitForStdout(timeout: 60) { $0.contains("epoch 2/1000") }
                kill(first.process.processIdentifier, SIGKILL)
                _ = first.finish(timeout: 30)
                let done = try b.text("my-results/history.csv").split(separator: "\n").count - 1
                var plan = Plan(
                    ["train", "spec.json", "--resume", "--quiet", "--epochs", "\(done + 1)", "--output", "my-results"],
                    0, creates: ["my-results"], changes: ["my-results"])
                plan.timeout = 120
                plan.check = { b, _ in
                    let epochs = (try? b.text("my-results/history.csv").split(separator: "\n").count - 1) ?? 0
                    return epochs == done + 1 ? [] : ["history.csv has \(epochs) epochs, expected \(done + 1)"]
                }
                return plan
            },
            TrustCase(.files, "augment hitting a bad image partway leaves no output folder") { b in
                try b.copy(TrustFixtures.imageFolder, to: "in")
                try b.write("in/b_square/zz.png", try b.read("in/a_circle/01.png").prefix(60))
                return Plan(["augment", "in", "--output", "aug-out", "--count", "3", "--format", "png"], 2, ["zz.png"])
            },
            TrustCase(.files, "augment hitting a non-image partway leaves an existing empty output folder empty") { b in
                try b.copy(TrustFixtures.imageFolder, to: "in")
                try b.write("in/b_square/zz.png", "not an image\n")
                try b.mkdir("aug-out")
                return Plan(["augment", "in", "--output", "aug-out"], 2, ["zz.png"])
            },
            TrustCase(.files, "augment into a folder holding the user's manifest.csv") { b in
                try b.copy(TrustFixtures.imageFolder, to: "in")
                try b.write("aug-out/manifest.csv", "mine\n")
                return Plan(["augment", "in", "--output", "aug-out"], 2, ["aug-out"])
            },
        ]
    }

    /// A case on a run trained in the case folder, with `damage` done to it afterwards.
    static func corruptRun(
        _ name: String, _ args: [String], _ fragments: [String], _ damage: @escaping (Bench) throws -> Void
    ) -> TrustCase {
        TrustCase(.runs, name) { b in
            try b.trainedTiny()
            try damage(b)
            return Plan(args, 2, fragments)
        }
    }

    static func corruptModel(_ name: String, _ damage: @escaping (Data) throws -> Data) -> [TrustCase] {
        ["evaluate", "predict"].map { command in
            corruptRun(
                "\(command) with model.safetensors \(name)", [command, "--model", "run", "--data", "test.csv"],
                ["model.safetensors"]
            ) { b in try b.write("run/model.safetensors", try damage(try b.read("run/model.safetensors"))) }
        }
    }

    static func resumeDamaged(_ name: String, _ fragment: String, _ damage: @escaping (Bench) throws -> Void)
        -> TrustCase
    {
        corruptRun("--resume with \(name)", ["train", "spec.json", "--resume", "--epochs", "4", "--quiet"], [fragment])
        { b in try damage(b) }
    }

    static func firstTensor(_ header: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        guard let key = header.keys.filter({ $0 != "__metadata__" }).sorted().first,
            var tensor = header[key] as? [String: Any]
        else { return }
        edit(&tensor)
        header[key] = tensor
    }

    static var runs: [TrustCase] {
        corruptModel("truncated to half") { $0.prefix($0.count / 2) }
            + corruptModel("empty") { _ in Data() }
            + corruptModel("declaring a 2^64-1 byte header") { TrustFixtures.headerLength($0, UInt64.max) }
            + corruptModel("declaring a header longer than the file") { TrustFixtures.headerLength($0, 1 << 40) }
            + corruptModel("whose header is not JSON") { TrustFixtures.headerLength($0, 16) }
            + corruptModel("with a tensor's offsets past the end") { data in
                try TrustFixtures.editSafeTensors(data) { h in firstTensor(&h) { $0["data_offsets"] = [0, 1 << 40] } }
            }
            + corruptModel("with a tensor of shape [2^40, 2^40]") { data in
                try TrustFixtures.editSafeTensors(data) { h in firstTensor(&h) { $0["shape"] = [1 << 40, 1 << 40] } }
            }
            + corruptModel("with an unknown dtype") { data in
                try TrustFixtures.editSafeTensors(data) { h in firstTensor(&h) { $0["dtype"] = "F99" } }
            }
            + [
                resumeDamaged("a truncated last.safetensors", "last.safetensors") { b in
                    try b.write("run/last.safetensors", try b.read("run/last.safetensors").prefix(100))
                },
                resumeDamaged("history.json that is not JSON", "history.json") { b in
                    try b.write("run/history.json", "{ this is not json\n")
                },
                resumeDamaged("history.json missing", "history.json") { b in
                    try FileManager.default.removeItem(atPath: b.path("run/history.json"))
                },
                resumeDamaged("history.json holding no epochs", "history.json") { b in
                    try b.write("run/history.json", "[]\n")
                },
                resumeDamaged("last.safetensors whose spec metadata is not JSON", "last.safetensors") { b in
                    let data = try TrustFixtures.editSafeTensors(try b.read("run/last.safetensors")) { header in
                        var meta = header["__metadata__"] as? [String: String] ?? [:]
                        meta["spec"] = "{not json"
                        header["__metadata__"] = meta
                    }
                    try b.write("run/last.safetensors", data)
                },
                resumeDamaged("last.safetensors that is a folder", "last.safetensors") { b in
                    try FileManager.default.removeItem(atPath: b.path("run/last.safetensors"))
                    try b.mkdir("run/last.safetensors")
                },
                corruptRun(
                    "evaluate a run folder whose model.safetensors is missing",
                    ["evaluate", "--model", "run", "--data", "test.csv"], ["run"]
                ) { b in try FileManager.default.removeItem(atPath: b.path("run/model.safetensors")) },
            ]
    }
}
