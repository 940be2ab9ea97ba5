import Foundation
import XCTest

/// Seeded random mutations of valid specs (run through `validate` and `summary`) and of
/// command-line flag values: none may crash, hang, or exit with anything but 0 or 2.
///
/// The seed is printed; `NNREG_FUZZ_SEED=<seed> swift test --skip-build --filter FuzzTests`
/// replays a run (every mutant depends only on the seed and its index). A developer's run
/// draws a new seed each time, to explore; CI (CI set) uses a fixed one, so its result depends
/// on the change alone. `NNREG_FUZZ_SPECS` and
/// `NNREG_FUZZ_FLAGS` set the counts; the run stops starting mutants after `budget` seconds.
final class FuzzTests: XCTestCase {
    let budget: TimeInterval = 100

    func testMutatedSpecsAndFlagsNeverCrash() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed =
            environment["NNREG_FUZZ_SEED"].flatMap { UInt64($0) }
            ?? (environment["CI"] == nil ? UInt64.random(in: 0..<1_000_000_000) : 419_374_866)
        let specCount = environment["NNREG_FUZZ_SPECS"].flatMap { Int($0) } ?? 2000
        let flagCount = environment["NNREG_FUZZ_FLAGS"].flatMap { Int($0) } ?? 600
        print("fuzz seed: \(seed) (replay with NNREG_FUZZ_SEED=\(seed))")

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nnreg-fuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let bench = Bench(root)
        try bench.mkdir("")
        var bases: [J] = []
        for (i, base) in [SpecBase.tiny, .regression, .images, .series].enumerated() {
            try bench.spec(
                base, [("early_stopping", ["monitor": "val_loss", "patience": 1]), ("checkpoint", ["keep": 2])],
                name: "base\(i).json")
            bases.append(try J.parse(try bench.text("base\(i).json")))
        }
        try bench.copy(TrustFixtures.png, to: "one/a/01.png")
        try bench.spec(.tiny, [("data.train", "missing.csv")], name: "nodata.json")

        let start = Date()
        let total = specCount + flagCount
        var failures = [String?](repeating: nil, count: total)
        var ran = [Bool](repeating: false, count: total)
        var statuses: [Int32: Int] = [:]
        var slowest: [(TimeInterval, String)] = []
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for i in stride(from: worker, to: total, by: 2) {
                if Date().timeIntervalSince(start) > budget { break }
                var rng = SplitMix(seed: seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
                let (args, shown) =
                    i < specCount
                    ? specMutant(i, &rng, bases, bench) : flagMutant(i, &rng, bench)
                let began = Date()
                let o = Capped.run(args, in: root, timeout: 30)
                let took = Date().timeIntervalSince(began)
                var problem: String?
                if o.timedOut {
                    problem = "hung"
                } else if o.signalled {
                    problem = "killed by signal \(o.status)"
                } else if o.status != 0 && o.status != 2 {
                    problem = "exit \(o.status)"
                } else if let sign = crashSigns.first(where: { o.stderr.contains($0) }) {
                    problem = "stderr holds \(sign)"
                }
                if let problem {
                    let excerpt = o.stderr.prefix(200).trimmingCharacters(in: .whitespacesAndNewlines)
                    let text = "seed \(seed), mutant \(i): \(problem): \(shown) -> \(excerpt)"
                    lock.lock()
                    failures[i] = text
                    lock.unlock()
                }
                if i < specCount { try? FileManager.default.removeItem(atPath: bench.path("m\(i).json")) }
                try? FileManager.default.removeItem(atPath: bench.path("out\(i)"))
                lock.lock()
                ran[i] = true
                statuses[o.signalled ? -o.status : o.status, default: 0] += 1
                slowest = Array((slowest + [(took, shown)]).sorted { $0.0 > $1.0 }.prefix(3))
                lock.unlock()
            }
        }
        let found = failures.compactMap { $0 }
        let seconds = Date().timeIntervalSince(start)
        print(
            "fuzz: \(ran.filter { $0 }.count) of \(total) mutants in \(String(format: "%.1f", seconds)) s, "
                + "\(found.count) failed (seed \(seed))")
        print("fuzz exit statuses (negative: signal): \(statuses.sorted { $0.key < $1.key })")
        for (t, shown) in slowest { print("fuzz slowest: \(String(format: "%.2f", t)) s: \(shown.prefix(200))") }
        for f in found.prefix(25) { print("FUZZ FAIL " + f) }
        XCTAssertTrue(found.isEmpty, "\(found.count) mutants failed; first: \(found.first ?? "")")
    }

    /// Mutant `i` of a base spec, written as m<i>.json; the command runs validate or summary on it.
    func specMutant(_ i: Int, _ rng: inout SplitMix, _ bases: [J], _ bench: Bench) -> ([String], String) {
        var spec = bases[rng.below(bases.count)]
        var done: [String] = []
        let count = [1, 1, 1, 1, 1, 1, 2, 2, 2, 3][rng.below(10)]  // mostly one, so that many mutants are valid
        for _ in 0..<count { done.append(spec.mutate(&rng)) }
        let text = spec.text()
        try? bench.write("m\(i).json", text)
        let command = rng.below(2) == 0 ? "validate" : "summary"
        return ([command, "m\(i).json"], "\(command) m\(i).json [\(done.joined(separator: "; "))]")
    }

    static let values = [
        "nan", "inf", "-inf", "1e308", "-1", "0", "1", "3", "abc", "", "1,2", "0x10", "99999999999999999999",
        "1e-320", " 3", "3 ", "-", "--", "0.5", "2,1", "nan,nan", "reflect", "png", "jpeg",
        String(repeating: "9", count: 5000),
    ]
    static let augmentFlags = [
        "--count", "--seed", "--rotation-range", "--width-shift-range", "--height-shift-range", "--shear-range",
        "--zoom-range", "--brightness-range", "--channel-shift-range", "--fill-mode", "--cval", "--format", "--bogus",
    ]

    /// Mutant `i` of a command line: random flags and values on commands that must end quickly.
    func flagMutant(_ i: Int, _ rng: inout SplitMix, _ bench: Bench) -> ([String], String) {
        func value() -> String { FuzzTests.values[rng.below(FuzzTests.values.count)] }
        var args: [String]
        switch rng.below(4) {
        case 0:
            args = ["augment", "one", "--output", "out\(i)"]
            for _ in 0..<(1 + rng.below(2)) {
                let flag = FuzzTests.augmentFlags[rng.below(FuzzTests.augmentFlags.count)]
                var v = value()
                if flag == "--count", let n = Int(v), n > 3 { v = "3" }  // a big count is slow, not wrong
                args += rng.below(2) == 0 ? [flag, v] : ["\(flag)=\(v)"]
            }
        case 1:
            args = ["train", "nodata.json", "--quiet"]
            for _ in 0..<(1 + rng.below(2)) {
                let flag = ["--epochs", "--seed", "--output", "--bogus", "--resume", "--overwrite"][rng.below(6)]
                args += flag == "--resume" || flag == "--overwrite" ? [flag] : ["\(flag)=\(value())"]
            }
        case 2:
            args = [["evaluate", "predict"][rng.below(2)], "--model", value(), "--data", value()]
            if rng.below(2) == 0 { args += ["--output", value()] }
        default:
            args = [["validate", "summary", "schema"][rng.below(3)], "base\(rng.below(4)).json"]
            if rng.below(2) == 0 { args.append(["--json", "--bogus", "--epochs=\(value())", value()][rng.below(4)]) }
        }
        return (args, "nnreg " + args.map { $0.count > 40 ? String($0.prefix(40)) + "..." : $0 }.joined(separator: " "))
    }
}

/// A small seeded generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}

/// JSON that keeps what JSONSerialization cannot: duplicate keys, numbers as written, deep nesting.
indirect enum J {
    case object([(String, J)])
    case array([J])
    case string(String)
    case number(String)
    case bool(Bool)
    case null
    /// `depth` arrays around a value, written without recursion.
    case nested(Int, J)

    static let numbers = [
        "0", "-1", "1e308", "9007199254740992", "18446744073709551616", "1e999", "-0", "1e-320", "0.5",
        "123456789012345678901234567890", "2147483648", "-9223372036854775809", "1000000000000", "3",
    ]
    static let words = [
        "dense", "dropout", "conv2d", "lstm", "flatten", "relu", "softmax", "mse", "binary_crossentropy",
        "sparse_categorical_crossentropy", "adam", "sgd", "val_loss", "grayscale", "featurewise", "", ".", "..",
        "/dev/zero", "train.csv", "images", "epoch",
    ]

    /// Applies one random mutation somewhere in the tree; returns what it did.
    mutating func mutate(_ rng: inout SplitMix) -> String {
        var paths: [[Int]] = []
        collect([], &paths)
        let path = paths[rng.below(paths.count)]
        var what = ""
        update(path[...]) { node in
            switch rng.below(10) {
            case 0:
                if case .object(var members) = node, !members.isEmpty {
                    what = "delete \(members.remove(at: rng.below(members.count)).0)"
                    node = .object(members)
                } else {
                    what = "null"
                    node = .null
                }
            case 1:
                if case .object(var members) = node, !members.isEmpty {
                    let m = members[rng.below(members.count)]
                    members.append((m.0, .number(J.numbers[rng.below(J.numbers.count)])))
                    what = "duplicate \(m.0)"
                    node = .object(members)
                } else {
                    what = "array"
                    node = .array([node])
                }
            case 2:
                let choices: [J] = [.string("x"), .bool(true), .null, .array([]), .object([]), .number("1")]
                node = choices[rng.below(choices.count)]
                what = "type \(node.text().prefix(10))"
            case 3, 4:
                node = .number(J.numbers[rng.below(J.numbers.count)])
                what = "number \(node.text())"
            case 5:
                node = .string(String(repeating: "a", count: 5000))  // the suite's 20 MB cases test more
                what = "long string"
            case 6:
                let depth = [10, 1000, 50_000][rng.below(3)]
                node = .nested(depth, node)
                what = "nest \(depth)"
            case 7:
                if case .object(var members) = node {
                    members.append(("zzz", .number("1")))
                    node = .object(members)
                }
                what = "unknown key"
            case 8:
                if case .array(var items) = node, !items.isEmpty {
                    items.append(items[rng.below(items.count)])
                    items.swapAt(0, rng.below(items.count))
                    node = .array(items)
                }
                what = "duplicate item"
            default:
                node = .string(J.words[rng.below(J.words.count)])
                what = "word \(node.text())"
            }
        }
        return "\(path): \(what)"
    }

    private func collect(_ prefix: [Int], _ out: inout [[Int]]) {
        out.append(prefix)
        switch self {
        case .object(let members): for (k, m) in members.enumerated() { m.1.collect(prefix + [k], &out) }
        case .array(let items): for (k, m) in items.enumerated() { m.collect(prefix + [k], &out) }
        default: break
        }
    }

    private mutating func update(_ path: ArraySlice<Int>, _ change: (inout J) -> Void) {
        guard let first = path.first else { return change(&self) }
        switch self {
        case .object(var members):
            members[first].1.update(path.dropFirst(), change)
            self = .object(members)
        case .array(var items):
            items[first].update(path.dropFirst(), change)
            self = .array(items)
        default: change(&self)
        }
    }

    func text() -> String {
        var out = ""
        write(&out)
        return out
    }

    private func write(_ out: inout String) {
        switch self {
        case .object(let members):
            out += "{"
            for (i, m) in members.enumerated() {
                if i > 0 { out += ",\n" }
                J.string(m.0).write(&out)
                out += ": "
                m.1.write(&out)
            }
            out += "}"
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                item.write(&out)
            }
            out += "]"
        case .string(let s):
            let data = try! JSONSerialization.data(withJSONObject: [s])
            out += String(decoding: data, as: UTF8.self).dropFirst().dropLast()
        case .number(let n): out += n
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .nested(let depth, let inner):
            out += String(repeating: "[", count: depth)
            inner.write(&out)
            out += String(repeating: "]", count: depth)
        }
    }

    /// Parses valid JSON text (the base specs).
    static func parse(_ text: String) throws -> J {
        var p = Substring(text).unicodeScalars[...]
        return try value(&p)
    }

    struct Bad: Error {}

    private static func skip(_ p: inout Substring.UnicodeScalarView.SubSequence) {
        while let c = p.first, c == " " || c == "\n" || c == "\t" || c == "\r" { p.removeFirst() }
    }

    private static func value(_ p: inout Substring.UnicodeScalarView.SubSequence) throws -> J {
        skip(&p)
        guard let c = p.first else { throw Bad() }
        switch c {
        case "{":
            p.removeFirst()
            var members: [(String, J)] = []
            skip(&p)
            if p.first == "}" {
                p.removeFirst()
                return .object(members)
            }
            while true {
                guard case .string(let key) = try value(&p) else { throw Bad() }
                skip(&p)
                guard p.popFirst() == ":" else { throw Bad() }
                members.append((key, try value(&p)))
                skip(&p)
                let next = p.popFirst()
                if next == "}" { return .object(members) }
                guard next == "," else { throw Bad() }
            }
        case "[":
            p.removeFirst()
            var items: [J] = []
            skip(&p)
            if p.first == "]" {
                p.removeFirst()
                return .array(items)
            }
            while true {
                items.append(try value(&p))
                skip(&p)
                let next = p.popFirst()
                if next == "]" { return .array(items) }
                guard next == "," else { throw Bad() }
            }
        case "\"":
            var raw = "\""
            p.removeFirst()
            while let c = p.popFirst() {
                raw.unicodeScalars.append(c)
                if c == "\\", let e = p.popFirst() {
                    raw.unicodeScalars.append(e)
                } else if c == "\"" {
                    break
                }
            }
            let decoded = try JSONSerialization.jsonObject(with: Data(("[" + raw + "]").utf8)) as? [String]
            guard let s = decoded?.first else { throw Bad() }
            return .string(s)
        default:
            var word = ""
            while let c = p.first, !",]} \n\t\r".unicodeScalars.contains(c) {
                word.unicodeScalars.append(c)
                p.removeFirst()
            }
            switch word {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default: return .number(word)
            }
        }
    }
}
