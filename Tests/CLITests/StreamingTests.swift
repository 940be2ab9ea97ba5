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

    /// A CSV streamed by its quick index (numbers, no quotes) trains, and a bad cell is
    /// found when its batch is parsed: exit status 2 naming file:line:field.
    func testStreamedCSVTrainsAndABadCellStopsItNamingThePlace() throws {
        let rows = (0..<40).map { r in "\(r % 2),\(Double(r % 7) / 7),\(Double(r % 5) / 5)" }
        func spec() throws -> String {
            try writeSpec(
                "csv-none.json",
                [
                    "seed": 1,
                    "data": ["train": path("rows.csv"), "label": "y", "cache": "none"],
                    "model": ["layers": [["type": "dense", "units": 2, "activation": "softmax"]]],
                    "training": ["loss": "sparse_categorical_crossentropy", "epochs": 2, "batch_size": 8],
                    "output": ["dir": "run-csv"],
                ])
        }
        try write("rows.csv", (["y,a,b"] + rows).joined(separator: "\n") + "\n")
        assertSuccess(try nnreg("train", try spec(), "--quiet"))
        // evaluate streams it too (the run's data.cache), and so finds the same bad cell.
        let evaluated = try nnreg("evaluate", "--model", "run-csv", "--data", path("rows.csv"), "--json")
        assertSuccess(evaluated)
        XCTAssertTrue(evaluated.stdout.contains("\"samples\": 40"), evaluated.stdout)
        try write("rows.csv", (["y,a,b"] + rows.dropLast() + ["1,0.5,x7"]).joined(separator: "\n") + "\n")
        let commands = [
            ["evaluate", "--model", "run-csv", "--data", path("rows.csv")],
            ["train", try spec(), "--quiet", "--overwrite"],
        ]
        for command in commands {
            let o = try Child(command, in: dir).finish(timeout: 60)
            XCTAssertEqual(o.status, 2, "\(command[0]): \(o.stderr)")
            XCTAssertTrue(o.stderr.hasPrefix("error: "), "\(command[0]): \(o.stderr)")
            XCTAssertTrue(o.stderr.contains(path("rows.csv") + ":41:3"), "\(command[0]): \(o.stderr)")
        }
    }

    /// Peak RSS in bytes of `nnreg arguments`, by /usr/bin/time.
    func peakBytes(_ arguments: [String]) throws -> Int {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/time") else { throw XCTSkip("no /usr/bin/time") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        p.arguments = ["-f", "maxrss_kb %M", Paths.binary.path] + arguments
        p.currentDirectoryURL = dir
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try Launch.run(p)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        let line = try XCTUnwrap(text.split(separator: "\n").last { $0.hasPrefix("maxrss_kb ") }, text)
        return try XCTUnwrap(Int(line.dropFirst("maxrss_kb ".count))) * 1024
    }

    /// A CSV of pixel-like values is held as one byte a value and its text is given back
    /// behind the parser: reading a 96 MB file raises the peak by less than its size (the
    /// whole text resident, as before, would add the file plus the samples: 1.5x). Streamed
    /// (data.cache "none"), only its index is held (24 bytes a row against 200): the peak
    /// rises by less than half as much. (Both hold a 16 MiB window of the mapped text.)
    func testLargeCSVIsNeverResidentAsAWhole() throws {
        let columns = 200, rows = 240_000
        let header = "label," + (0..<columns).map { "p\($0)" }.joined(separator: ",") + "\n"
        var text = Data(header.utf8)
        let lines = (0..<10).map { k in
            Data(((0...columns).map { String(($0 + k) % 10) }.joined(separator: ",") + "\n").utf8)
        }
        for r in 0..<rows { text.append(lines[r % 10]) }
        try text.write(to: dir.appendingPathComponent("big.csv"))
        func spec(_ name: String, _ data: String, cache: String = "memory") throws -> String {
            try writeSpec(
                name,
                [
                    "data": ["train": data, "label": "label", "cache": cache],
                    "model": ["layers": [["type": "dense", "units": 10, "activation": "softmax"]]],
                    "training": ["loss": "sparse_categorical_crossentropy"],
                ])
        }
        try write("small.csv", header + String(decoding: lines[0] + lines[1], as: UTF8.self))
        let small = try peakBytes(["validate", try spec("small.json", path("small.csv"))])
        let big = try peakBytes(["validate", try spec("big.json", path("big.csv"))])
        XCTAssertLessThan(big - small, text.count, "peak \(big >> 20) MiB reading \(text.count >> 20) MiB")
        let streamed = try peakBytes(["validate", try spec("streamed.json", path("big.csv"), cache: "none")])
        XCTAssertLessThan(
            streamed - small, (big - small) / 2,
            "peak \(streamed >> 20) MiB indexing \(text.count >> 20) MiB; \(big >> 20) MiB reading it")
    }

    func testUnknownCacheModeIsASpecError() throws {
        let o = try nnreg("validate", try imageSpec(cache: "disk"))
        XCTAssertEqual(o.status, 2, o.stderr)
        XCTAssertTrue(o.stderr.contains("data.cache"), o.stderr)
        XCTAssertTrue(o.stderr.contains("\"none\""), o.stderr)
    }
}
