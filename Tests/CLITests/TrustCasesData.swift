import Foundation

/// Silently wrong results, CSV files, images.
extension TrustCase {
    /// Columns of a CSV line, reordered by `order` (indices of the original columns).
    static func reorder(_ line: String, _ order: [Int]) -> String {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false)
        return order.map { String(cells[$0]) }.joined(separator: ",")
    }

    /// `command` on a CSV whose columns are in `order` gives the same stdout as on the original.
    static func sameResult(_ command: String, _ name: String, regression: Bool = false, _ order: [Int]) -> TrustCase {
        TrustCase(.results, "\(command) with the columns \(name) matches by header") { b in
            let source = regression ? "regression.csv" : "test.csv"
            try b.copy(regression ? try TrustFixtures.regressionRun() : try TrustFixtures.tinyRun(), to: "my-model")
            try b.copy(Paths.tiny(source), to: "original.csv")
            try b.csv("reordered.csv", from: source) { $0 = $0.map { reorder($0, order) } }
            let extra = command == "evaluate" ? ["--json"] : []
            let reference = try b.nnreg([command, "--model", "my-model", "--data", "original.csv"] + extra)
            var plan = Plan([command, "--model", "my-model", "--data", "reordered.csv"] + extra, 0)
            plan.check = { _, ran in ran.stdout == reference.stdout ? [] : ["stdout differs from the original order's"]
            }
            return plan
        }
    }

    /// `command` on test.csv changed by `edit`: refused with `fragments`.
    static func badTestCSV(
        _ command: String, _ name: String, _ fragments: [String], kind: TrustKind = .results,
        status: Int32 = 2, _ edit: @escaping (inout [String]) -> Void
    ) -> TrustCase {
        TrustCase(kind, "\(command) \(name)") { b in
            try b.tinyRun("my-model")
            try b.csv("test.csv", from: "test.csv", edit)
            return Plan([command, "--model", "my-model", "--data", "test.csv"], status, fragments)
        }
    }

    /// validate and train on a train.csv changed by `edit`.
    static func badTrainCSV(
        _ kind: TrustKind, _ name: String, _ fragments: [String], commands: [String] = ["validate", "train"],
        status: Int32 = 2, _ edit: @escaping (inout [String]) -> Void
    ) -> [TrustCase] {
        specCase(kind, name, .tiny, [], fragments, commands: commands, status: status) { b in
            try b.csv("train.csv", edit)
        }
    }

    /// train.csv replaced by raw bytes.
    static func trainBytes(_ name: String, _ fragments: [String], _ data: Data) -> [TrustCase] {
        specCase(.csv, name, .tiny, [], fragments, commands: ["validate"]) { b in try b.write("train.csv", data) }
    }

    static var results: [TrustCase] {
        let reversed = Array((0..<7).reversed())
        return [
            sameResult("evaluate", "reversed", reversed),
            sameResult("predict", "reversed", reversed),
            sameResult("evaluate", "shuffled", [2, 6, 0, 5, 1, 4, 3]),
            sameResult("predict", "shuffled, label first", [6, 3, 1, 0, 5, 4, 2]),
            sameResult("evaluate", "of a regression reversed", regression: true, [4, 3, 2, 1, 0]),
            badTestCSV("evaluate", "without feature column f3", ["f3"]) {
                $0 = $0.map { reorder($0, [0, 1, 3, 4, 5, 6]) }
            },
            badTestCSV("predict", "without feature column f3", ["f3"]) {
                $0 = $0.map { reorder($0, [0, 1, 3, 4, 5, 6]) }
            },
            badTestCSV("evaluate", "with an unknown column f7", ["f7"]) { lines in
                lines = lines.enumerated().map { $0.offset == 0 ? $0.element + ",f7" : $0.element + ",1.0" }
            },
            badTestCSV("predict", "with an unknown column f7", ["f7"]) { lines in
                lines = lines.enumerated().map { $0.offset == 0 ? $0.element + ",f7" : $0.element + ",1.0" }
            },
            badTestCSV("predict", "without the label column works", [], status: 0) {
                $0 = $0.map { reorder($0, [0, 1, 2, 3, 4, 5]) }
            },
            badTestCSV("evaluate", "with a duplicate column name", ["f2", "test.csv:1"]) {
                $0[0] = "f1,f2,f2,f4,f5,f6,label"
            },
            badTestCSV("predict", "with a duplicate column name", ["f2", "test.csv:1"]) {
                $0[0] = "f1,f2,f2,f4,f5,f6,label"
            },
            badTestCSV("evaluate", "with a NUL byte in a cell", ["test.csv:6:3"]) { $0[5] = "1,2,3\u{0}4,4,5,6,0" },
            badTestCSV("evaluate", "with a label outside the classes", ["test.csv:6"]) { $0[5] = "1,2,3,4,5,6,7" },
        ]
            + badTrainCSV(.results, "train.csv with a duplicate column name", ["f2", "train.csv:1"]) {
                $0[0] = "f1,f2,f2,f4,f5,f6,label"
            }
            + badTrainCSV(.results, "train.csv with a NUL byte in a cell", ["train.csv:6:3"]) {
                $0[5] = "1,2,3\u{0}4,4,5,6,0"
            }
            + specCase(
                .results, "validation_split 0.001 of 300 rows leaves no validation rows", .tiny,
                [("data.validation_split", 0.001)], ["data.validation_split"])
            + specCase(
                .results, "test_split 0.001 of 300 rows leaves no test rows", .tiny,
                [("data.test_split", 0.001), ("data.test", nil)], ["data.test_split"], commands: ["validate"])
    }

    static var csv: [TrustCase] {
        badTrainCSV(.csv, "a short row", ["train.csv:6"]) { $0[5] = "1,2,3" }
            + badTrainCSV(.csv, "a long row", ["train.csv:6"], commands: ["validate"]) { $0[5] = "1,2,3,4,5,6,0,9,9" }
            + badTrainCSV(.csv, "text in a numeric column", ["train.csv:6:3"]) { $0[5] = "1,2,abc,4,5,6,0" }
            + badTrainCSV(.csv, "an empty cell", ["train.csv:6:3"], commands: ["validate"]) { $0[5] = "1,2,,4,5,6,0" }
            + badTrainCSV(.csv, "a nan cell", ["train.csv:6:3"], commands: ["validate"]) { $0[5] = "1,2,nan,4,5,6,0" }
            + badTrainCSV(.csv, "an inf cell", ["train.csv:6:3"], commands: ["validate"]) { $0[5] = "1,2,inf,4,5,6,0" }
            + badTrainCSV(.csv, "a cell of 1e39 (past Float)", ["train.csv:6:3"], commands: ["validate"]) {
                $0[5] = "1,2,1e39,4,5,6,0"
            }
            + badTrainCSV(.csv, "an unterminated quote", ["train.csv:6"], commands: ["validate"]) {
                $0[5] = "1,2,\"3,4,5,6,0"
            }
            + badTrainCSV(.csv, "a label of 1.5", ["train.csv:6"], commands: ["validate"]) { $0[5] = "1,2,3,4,5,6,1.5" }
            + badTrainCSV(.csv, "a label of -1", ["train.csv:6"], commands: ["validate"]) { $0[5] = "1,2,3,4,5,6,-1" }
            + badTrainCSV(.csv, "the header only", ["train.csv"]) { $0 = [$0[0]] }
            + badTrainCSV(.csv, "only the label column", ["train.csv"], commands: ["validate"]) {
                $0 = $0.map { reorder($0, [6]) }
            }
            + badTrainCSV(.csv, "CRLF line ends work", [], commands: ["validate"], status: 0) {
                $0 = $0.map { $0 + "\r" }
            }
            + badTrainCSV(.csv, "a byte-order mark works", [], commands: ["validate"], status: 0) {
                $0[0] = "\u{FEFF}" + $0[0]
            }
            + trainBytes("an empty file", ["train.csv"], Data())
            + trainBytes(
                "binary bytes", ["train.csv"], Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }))
            + trainBytes(
                "invalid UTF-8 in the header", ["train.csv"],
                Data([0xFF, 0xFE, 0x2C, 0x61, 0x0A, 0x31, 0x2C, 0x32, 0x0A]))
            + specCase(.csv, "a ragged data.test", .tiny, [], ["test.csv:6"]) { b in
                try b.csv("test.csv", from: "test.csv") { $0[5] = "1,2" }
            }
            + [
                badTestCSV("evaluate", "with a short row", ["test.csv:6"], kind: .csv) { $0[5] = "1,2,3" },
                badTestCSV("predict", "with text in a numeric column", ["test.csv:6:3"], kind: .csv) {
                    $0[5] = "1,2,abc,4,5,6,0"
                },
                TrustCase(.csv, "evaluate an empty standard input") { b in
                    try b.tinyRun("my-model")
                    var plan = Plan(
                        ["evaluate", "--model", "my-model", "--data", "-"], 2, ["standard input OR stdin OR <stdin>"])
                    plan.stdin = Data()
                    return plan
                },
            ]
    }

    /// A case on the image spec with the image folder changed by `edit`.
    static func badImages(
        _ name: String, _ fragments: [String], commands: [String] = ["validate"], status: Int32 = 2,
        edits: [(String, Any?)] = [], _ edit: @escaping (Bench) throws -> Void
    ) -> [TrustCase] {
        specCase(.images, name, .images, edits, fragments, commands: commands, status: status) { b in try edit(b) }
    }

    static var images: [TrustCase] {
        let png = "images/a_circle/01.png"
        let jpeg = "images/a_circle/02.jpg"
        return badImages("a truncated PNG", ["01.png"], commands: ["validate", "train"]) { b in
            try b.write(png, try b.read(png).prefix(60))
        }
            + badImages("a truncated JPEG", ["02.jpg"], commands: ["validate", "train"]) { b in
                let data = try b.read(jpeg)
                try b.write(jpeg, data.prefix(data.count / 2))
            }
            + badImages("a text file named .png", ["z.png"]) { b in try b.write("images/b_square/z.png", "hello\n") }
            + badImages("an empty .png", ["z.png"]) { b in try b.write("images/b_square/z.png", Data()) }
            + badImages("a PNG with a bad CRC", ["01.png"]) { b in
                var bytes = [UInt8](try b.read(png))
                bytes[20] ^= 0xFF
                try b.write(png, Data(bytes))
            }
            + badImages("a JPEG of garbage after its SOI marker", ["02.jpg"]) { b in
                try b.write(jpeg, Data([0xFF, 0xD8, 0xFF]) + Data(repeating: 0x41, count: 500))
            }
            + badImages("a PNG declaring 0x0 pixels", ["00.png"]) { b in
                try b.write("images/a_circle/00.png", TrustFixtures.pngHeader(width: 0, height: 0))
            }
            + badImages("a folder without class folders or images", ["images"]) { b in
                try FileManager.default.removeItem(atPath: b.path("images"))
                try b.mkdir("images")
            }
            + badImages("a class folder with no images", ["b_square"]) { b in
                for f in ["x.PNG", "y.jpeg", "z.png"] {
                    try FileManager.default.removeItem(atPath: b.path("images/b_square/" + f))
                }
            }
            + badImages(
                "on_bad_file skip warns and works", ["z.png"], commands: ["validate", "train"], status: 0,
                edits: [("data.on_bad_file", "skip")]
            ) { b in
                try b.write("images/b_square/z.png", "hello\n")
            }
            + [
                TrustCase(.images, "summary with a truncated first image") { b in
                    try b.spec(.images, [("data.image_size", nil)])
                    try b.write(png, try b.read(png).prefix(60))
                    return Plan(["summary", "spec.json"], 2, ["01.png"])
                },
                TrustCase(.images, "augment a truncated JPEG") { b in
                    try b.copy(TrustFixtures.imageFolder, to: "images")
                    let data = try b.read(jpeg)
                    try b.write(jpeg, data.prefix(data.count / 2))
                    return Plan(["augment", "images", "--output", "aug-out"], 2, ["02.jpg"])
                },
                TrustCase(.images, "augment an empty .png") { b in
                    try b.copy(TrustFixtures.imageFolder, to: "images")
                    try b.write("images/b_square/z.png", Data())
                    return Plan(["augment", "images", "--output", "aug-out", "--count", "2"], 2, ["z.png"])
                },
            ]
    }
}
