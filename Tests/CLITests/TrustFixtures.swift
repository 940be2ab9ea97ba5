import Foundation
import XCTest

/// A case's folder and the files cases put in it.
final class Bench {
    let root: URL
    init(_ root: URL) { self.root = root }

    func path(_ rel: String) -> String { root.appendingPathComponent(rel).path }

    func mkdir(_ rel: String) throws {
        try FileManager.default.createDirectory(atPath: path(rel), withIntermediateDirectories: true)
    }

    func write(_ rel: String, _ text: String) throws { try write(rel, Data(text.utf8)) }

    func write(_ rel: String, _ data: Data) throws {
        try mkdir((rel as NSString).deletingLastPathComponent)
        try data.write(to: URL(fileURLWithPath: path(rel)))
    }

    func read(_ rel: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path(rel))) }

    func text(_ rel: String) throws -> String { String(decoding: try read(rel), as: UTF8.self) }

    func exists(_ rel: String) -> Bool { FileManager.default.fileExists(atPath: path(rel)) }

    /// Copies a file or folder (absolute `source`) to `rel`, replacing what is there.
    func copy(_ source: String, to rel: String) throws {
        try mkdir((rel as NSString).deletingLastPathComponent)
        if exists(rel) { try FileManager.default.removeItem(atPath: path(rel)) }
        try FileManager.default.copyItem(atPath: source, toPath: path(rel))
    }

    func link(_ rel: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path(rel), withDestinationPath: destination)
    }

    /// data/tiny's train.csv and test.csv, copied in.
    func tinyData() throws {
        try copy(Paths.tiny("train.csv"), to: "train.csv")
        try copy(Paths.tiny("test.csv"), to: "test.csv")
    }

    /// A spec on copied data, with `edits` applied (JSON path: value; `nil` deletes), written as `name`.
    @discardableResult
    func spec(_ base: SpecBase, _ edits: [(String, Any?)] = [], name: String = "spec.json") throws -> String {
        var spec = try base.make(self)
        for (path, value) in edits { try JSONPath.set(&spec, path, value) }
        try write(name, try JSONPath.text(spec))
        return name
    }

    /// Lines of a copied CSV (`data/tiny/<source>`), edited, written as `name`.
    func csv(_ name: String, from source: String = "train.csv", _ edit: (inout [String]) -> Void) throws {
        var lines = try String(contentsOfFile: Paths.tiny(source), encoding: .utf8).split(separator: "\n")
            .map(String.init)
        edit(&lines)
        try write(name, lines.joined(separator: "\n") + "\n")
    }

    /// The shared trained tiny run, copied to `rel`.
    func tinyRun(_ rel: String = "run") throws { try copy(try TrustFixtures.tinyRun(), to: rel) }

    /// Runs nnreg in the case folder while setting it up; throws unless it exits 0.
    @discardableResult
    func nnreg(_ args: String...) throws -> Ran { try nnreg(args) }

    @discardableResult
    func nnreg(_ args: [String]) throws -> Ran {
        let o = Capped.run(args, in: root, timeout: 120)
        guard o.status == 0, !o.signalled else {
            throw TrustFixtures.Failure("setup: nnreg \(args.joined(separator: " ")): \(o.stderr)")
        }
        return o
    }

    /// spec.json (tiny) trained for 2 epochs into `folder`.
    func trainedTiny(_ folder: String = "run", _ edits: [(String, Any?)] = []) throws {
        try spec(.tiny, edits)
        try nnreg("train", "spec.json", "--epochs", "2", "--quiet", "--output", folder)
    }

    /// Every file under `rel` (relative to the case folder); folders are left out, since
    /// a folder in `Plan.mayChange` would cover whatever the user puts in it.
    func listing(_ rel: String) -> [String] {
        let all = Snapshot(root).entries.filter { if case .file = $0.value { return true } else { return false } }
        return all.keys.filter { Snapshot.covers([rel], $0) }.sorted()
    }
}

/// The spec a case starts from.
enum SpecBase {
    /// specs/tiny.json on train.csv / test.csv in the case folder, output.dir "run".
    case tiny
    /// data/tiny/regression.csv: dense 16 relu, dense 1, mse.
    case regression
    /// The fixture image folder (two classes, six small PNG/JPEG files) as images/, 8x8, a conv2d.
    case images
    /// data/co2's weekly series, windows of 8 rows, an LSTM.
    case series

    func make(_ bench: Bench) throws -> [String: Any] {
        switch self {
        case .tiny:
            try bench.tinyData()
            let url = Paths.repo.appendingPathComponent("specs/tiny.json")
            var spec = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            try JSONPath.set(&spec, "data.train", "train.csv")
            try JSONPath.set(&spec, "data.test", "test.csv")
            spec["output"] = ["dir": "run"]
            return spec
        case .regression:
            try bench.copy(Paths.tiny("regression.csv"), to: "regression.csv")
            return [
                "name": "regression", "seed": 3,
                "data": ["train": "regression.csv", "label": "y", "validation_split": 0.2],
                "model": [
                    "layers": [["type": "dense", "units": 16, "activation": "relu"], ["type": "dense", "units": 1]]
                ],
                "training": [
                    "loss": "mse", "metrics": ["mae"], "optimizer": ["type": "adam", "learning_rate": 0.01],
                    "epochs": 2, "batch_size": 32,
                ],
                "output": ["dir": "run"],
            ]
        case .images:
            if !bench.exists("images") { try bench.copy(TrustFixtures.imageFolder, to: "images") }
            return [
                "name": "img", "seed": 1,
                "data": ["train": "images", "image_size": [8, 8]],
                "model": [
                    "layers": [
                        ["type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu"], ["type": "flatten"],
                        ["type": "dense", "units": 2, "activation": "softmax"],
                    ]
                ],
                "training": [
                    "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "optimizer": "adam",
                    "epochs": 1, "batch_size": 4,
                ],
                "augmentation": ["rotation_range": 10],
                "output": ["dir": "run"],
            ]
        case .series:
            let rows = try String(
                contentsOf: Paths.repo.appendingPathComponent("data/co2/co2_weekly.csv"), encoding: .utf8
            ).split(separator: "\n").prefix(200)
            try bench.write("co2.csv", rows.joined(separator: "\n") + "\n")
            return [
                "name": "co2", "seed": 1,
                "data": [
                    "train": "co2.csv", "missing": "interpolate", "normalization": "featurewise",
                    "sequence": ["window": 8, "target": "co2", "features": ["co2"]], "validation_split": 0.1,
                ],
                "model": ["layers": [["type": "lstm", "units": 4], ["type": "dense", "units": 1]]],
                "training": ["loss": "mse", "optimizer": "adam", "epochs": 1, "batch_size": 16],
                "output": ["dir": "run"],
            ]
        }
    }
}

/// A number or other JSON text written as is (1e999, 2^64, NaN), where JSONSerialization cannot.
struct RawJSON {
    let text: String
    init(_ text: String) { self.text = text }
}

/// Reads and edits [String: Any] trees by paths like `model.layers[0].units`.
enum JSONPath {
    enum Step {
        case key(String)
        case index(Int)
    }

    static func steps(_ path: String) -> [Step] {
        var steps: [Step] = []
        for part in path.split(separator: ".") {
            var rest = Substring(part)
            if let open = rest.firstIndex(of: "[") {
                if open > rest.startIndex { steps.append(.key(String(rest[..<open]))) }
                rest = rest[open...]
                while let o = rest.firstIndex(of: "["), let c = rest.firstIndex(of: "]") {
                    steps.append(.index(Int(rest[rest.index(after: o)..<c])!))
                    rest = rest[rest.index(after: c)...]
                }
            } else {
                steps.append(.key(String(rest)))
            }
        }
        return steps
    }

    struct Missing: Error { let path: String }

    static func set(_ root: inout [String: Any], _ path: String, _ value: Any?) throws {
        var any: Any = root
        try set(&any, steps(path)[...], value, path)
        root = any as! [String: Any]
    }

    private static func set(_ node: inout Any, _ steps: ArraySlice<Step>, _ value: Any?, _ path: String) throws {
        guard let step = steps.first else { return }
        let last = steps.count == 1
        switch step {
        case .key(let k):
            var object = node as? [String: Any] ?? [:]
            if last {
                object[k] = value
            } else {
                var child: Any = object[k] ?? [String: Any]()
                try set(&child, steps.dropFirst(), value, path)
                object[k] = child
            }
            node = object
        case .index(let i):
            guard var array = node as? [Any] else { throw Missing(path: path) }
            if last {
                if let value {
                    if i < array.count { array[i] = value } else { array.append(value) }
                } else {
                    array.remove(at: i)
                }
            } else {
                guard i < array.count else { throw Missing(path: path) }
                var child = array[i]
                try set(&child, steps.dropFirst(), value, path)
                array[i] = child
            }
            node = array
        }
    }

    /// Pretty JSON text, with RawJSON values spliced in.
    static func text(_ spec: [String: Any]) throws -> String {
        var raws: [String] = []
        func replace(_ node: Any) -> Any {
            if let raw = node as? RawJSON {
                raws.append(raw.text)
                return "@@RAW\(raws.count - 1)@@"
            }
            if let object = node as? [String: Any] { return object.mapValues(replace) }
            if let array = node as? [Any] { return array.map(replace) }
            return node
        }
        let data = try JSONSerialization.data(withJSONObject: replace(spec), options: [.prettyPrinted, .sortedKeys])
        var text = String(decoding: data, as: UTF8.self)
        for (i, raw) in raws.enumerated() { text = text.replacingOccurrences(of: "\"@@RAW\(i)@@\"", with: raw) }
        return text + "\n"
    }
}

/// Files cases share: trained runs (made once per test process), image bytes.
enum TrustFixtures {
    static let lock = NSLock()
    nonisolated(unsafe) static var folder: URL?
    nonisolated(unsafe) static var made: [String: String] = [:]

    static let imageFolder = Paths.repo.appendingPathComponent("Tests/NNRegTests/Fixtures/images/folder").path
    static var png: String { imageFolder + "/a_circle/01.png" }
    static var jpeg: String { imageFolder + "/a_circle/02.jpg" }

    /// A run of specs/tiny.json (2 epochs) on copied data; returns its run folder.
    static func tinyRun() throws -> String {
        try once("tiny") { bench in
            try bench.spec(.tiny)
            let o = train(["train", "spec.json", "--epochs", "2", "--quiet"], bench)
            guard o.status == 0 else { throw Failure("training the shared tiny run: \(o.stderr)") }
            return bench.path("run")
        }
    }

    /// A run of the regression spec.
    static func regressionRun() throws -> String {
        try once("regression") { bench in
            try bench.spec(.regression)
            let o = train(["train", "spec.json", "--quiet"], bench)
            guard o.status == 0 else { throw Failure("training the shared regression run: \(o.stderr)") }
            return bench.path("run")
        }
    }

    private static func train(_ args: [String], _ bench: Bench) -> Ran {
        Capped.run(args, in: bench.root, timeout: 120)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    private static func once(_ key: String, _ make: (Bench) throws -> String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let done = made[key] { return done }
        let base =
            folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("nnreg-trust-fixtures-\(UUID())")
        folder = base
        let bench = Bench(base.appendingPathComponent(key))
        try bench.mkdir("")
        let result = try make(bench)
        made[key] = result
        return result
    }

    static func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        if let folder { try? FileManager.default.removeItem(at: folder) }
        folder = nil
        made = [:]
    }

    /// A PNG whose IHDR declares `width` x `height` RGB pixels, followed by a tiny IDAT.
    static func pngHeader(width: UInt32, height: UInt32) -> Data {
        var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func chunk(_ type: String, _ body: [UInt8]) {
            let typed = Array(type.utf8) + body
            data += bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
        }
        chunk("IHDR", bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0])
        // zlib: one stored block of four zero bytes, then its Adler-32.
        chunk("IDAT", [0x78, 0x01, 0x01, 0x04, 0x00, 0xFB, 0xFF, 0, 0, 0, 0, 0x00, 0x04, 0x00, 0x01])
        chunk("IEND", [])
        return data
    }

    /// The fixture JPEG with its frame header (SOF0) declaring `width` x `height`.
    static func jpegHeader(width: UInt16, height: UInt16) throws -> Data {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: jpeg)))
        guard let sof = bytes.indices.dropLast(9).first(where: { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 }) else {
            throw Failure("no SOF0 in \(jpeg)")
        }
        bytes.replaceSubrange(
            (sof + 5)...(sof + 8),
            with: [UInt8(height >> 8), UInt8(height & 0xFF)] + [UInt8(width >> 8), UInt8(width & 0xFF)])
        return Data(bytes)
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// A safetensors file with its header JSON edited (`edit` gets the parsed header).
    static func editSafeTensors(_ data: Data, _ edit: (inout [String: Any]) -> Void) throws -> Data {
        let bytes = [UInt8](data)
        let length = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        var header = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any])
        edit(&header)
        let text = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var out = Data((0..<8).map { UInt8(truncatingIfNeeded: text.count >> (8 * $0)) })
        out += text
        out += Data(bytes[(8 + length)...])
        return out
    }

    /// The same file with its first 8 bytes (the header length) replaced.
    static func headerLength(_ data: Data, _ length: UInt64) -> Data {
        Data((0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) }) + data.dropFirst(8)
    }
}
