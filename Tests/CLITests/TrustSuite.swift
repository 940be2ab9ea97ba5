import Foundation
import XCTest

/// The acceptance suite for "nnreg never loses a user's files, and every bad input is a clear
/// error": tables of cases (TrustCases*.swift), each run in a folder of its own under a
/// virtual-memory cap, each checked for
/// - the exit status (2 bad usage, spec or data; 1 failure while running; 0 must work),
/// - fragments of stderr that locate the problem (a JSON path, file:line:column, a file, a flag),
/// - no crash: not signalled, no backtrace or allocation failure on stderr, no Foundation error dump,
/// - every file that was in the case folder before is byte-identical after, and nothing new is
///   left (no run folder, output file or temporary file) unless the case says nnreg may create it.
/// A failing case prints `TRUST FAIL <kind>/<name>: <problems>` so the list of what the
/// implementation still lacks can be read off one run.
final class TrustSuite: XCTestCase {
    func testFiles() throws { try TrustRunner.run(TrustCase.files) }
    func testRunFolders() throws { try TrustRunner.run(TrustCase.runs) }
    func testPaths() throws { try TrustRunner.run(TrustCase.paths) }
    func testAllocations() throws { try TrustRunner.run(TrustCase.allocations) }
    func testNumbers() throws { try TrustRunner.run(TrustCase.numbers) }
    func testResults() throws { try TrustRunner.run(TrustCase.results) }
    func testCSV() throws { try TrustRunner.run(TrustCase.csv) }
    func testImages() throws { try TrustRunner.run(TrustCase.images) }
    func testMessages() throws { try TrustRunner.run(TrustCase.messages) }
    func testJSONSyntax() throws { try TrustRunner.run(TrustCase.json) }
    func testSchemaValues() throws { try TrustRunner.run(TrustCase.schema) }
    func testFlags() throws { try TrustRunner.run(TrustCase.flags) }

    /// The tables hold at least 120 cases, with unique names.
    func testTheTablesAreBigEnough() {
        let all = TrustCase.all
        XCTAssertGreaterThanOrEqual(all.count, 120)
        let names = all.map { "\($0.kind)/\($0.name)" }
        XCTAssertEqual(Set(names).count, names.count, "duplicate case names")
        print(
            "trust suite: \(all.count) cases; "
                + TrustKind.allCases.map { k in "\(k): \(all.filter { $0.kind == k }.count)" }.joined(separator: ", "))
    }

    override class func tearDown() {
        TrustFixtures.removeAll()
        super.tearDown()
    }
}

enum TrustKind: String, CaseIterable {
    case files, runs, paths, allocations, numbers, results, csv, images, messages, json, schema, flags
}

/// What a case runs and what must hold afterwards.
struct Plan {
    var args: [String]
    var status: Int32
    /// Each must appear in stderr; "a OR b" accepts either.
    var fragments: [String] = []
    var stdoutFragments: [String] = []
    var stdin: Data? = nil
    /// The working directory, relative to the case folder.
    var cwd: String? = nil
    /// Paths (relative to the case folder; a folder covers what is inside) nnreg may create.
    var mayCreate: [String] = []
    /// Pre-existing paths nnreg may change or remove (its own files).
    var mayChange: [String] = []
    /// Largest stderr allowed, in bytes.
    var maxStderr = 64 * 1024
    var timeout: TimeInterval = 30
    /// Further checks; returns problems.
    var check: ((Bench, Ran) -> [String])? = nil
    /// Runs after the case (stops background processes).
    var cleanup: (() -> Void)? = nil

    init(
        _ args: [String], _ status: Int32, _ fragments: [String] = [], creates: [String] = [],
        changes: [String] = []
    ) {
        self.args = args
        self.status = status
        self.fragments = fragments
        mayCreate = creates
        mayChange = changes
    }
}

struct TrustCase {
    let kind: TrustKind
    let name: String
    /// Runs alone (it starts background processes or is timing-sensitive).
    var serial = false
    let make: (Bench) throws -> Plan

    init(_ kind: TrustKind, _ name: String, serial: Bool = false, _ make: @escaping (Bench) throws -> Plan) {
        self.kind = kind
        self.name = name
        self.serial = serial
        self.make = make
    }

    static var all: [TrustCase] {
        files + runs + paths + allocations + numbers + results + csv + images + messages + json + schema + flags
    }
}

/// One nnreg run's result.
struct Ran {
    var status: Int32
    var signalled: Bool
    var timedOut: Bool
    var stdout: String
    var stderr: String
}

/// The binary, wrapped by prlimit with a virtual-memory cap.
enum Capped {
    /// 4 GiB of address space: the normal binary fits; an allocation sized by the user does not.
    static let addressSpace = 4 << 30
    static let prlimit: String = {
        for p in ["/usr/bin/prlimit", "/bin/prlimit", "/usr/local/bin/prlimit"]
        where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        return "/usr/bin/prlimit"
    }()

    /// Runs `nnreg arguments` in `folder`; kills it after `timeout` seconds.
    static func run(_ arguments: [String], in folder: URL, stdin: Data? = nil, timeout: TimeInterval = 30) -> Ran {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: prlimit)
        process.arguments = ["--as=\(addressSpace)", "--", Paths.binary.path] + arguments
        process.currentDirectoryURL = folder
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do {
            try Launch.run(process)
        } catch {
            return Ran(status: -1, signalled: false, timedOut: false, stdout: "", stderr: "cannot start: \(error)")
        }
        let group = DispatchGroup()
        let out = Collected()
        let err = Collected()
        for (handle, into) in [(outPipe.fileHandleForReading, out), (errPipe.fileHandleForReading, err)] {
            DispatchQueue.global().async(group: group) { into.set(handle.readDataToEndOfFile()) }
        }
        if let stdin {
            DispatchQueue.global().async {
                inPipe.fileHandleForWriting.write(stdin)
                try? inPipe.fileHandleForWriting.close()
            }
        }
        var timedOut = false
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
        }
        _ = group.wait(timeout: .now() + 10)
        return Ran(
            status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
            timedOut: timedOut, stdout: out.text, stderr: err.text)
    }

    /// Bytes one reader thread hands to another.
    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func set(_ d: Data) {
            lock.lock()
            data = d
            lock.unlock()
        }
        var text: String {
            lock.lock()
            defer { lock.unlock() }
            return String(decoding: data, as: UTF8.self)
        }
    }
}

/// Signs of a crash or of an error object dumped instead of a sentence.
let crashSigns = [
    "Backtrace", "Fatal error", "failed to allocate", "Stack dump", "Segmentation fault", "NSCocoaErrorDomain",
    "Error Domain=", "Illegal instruction",
]

/// Runs tables of cases, two at a time (serial ones alone), and reports every failing case.
enum TrustRunner {
    static func run(_ cases: [TrustCase], file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(
            FileManager.default.isExecutableFile(atPath: Paths.binary.path),
            "no nnreg binary at \(Paths.binary.path); run swift build --build-tests first", file: file, line: line)
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Capped.prlimit), "prlimit (util-linux) is missing")
        let parallel = cases.filter { !$0.serial }
        var problems = [[String]](repeating: [], count: cases.count)
        let lock = NSLock()
        let indices = cases.indices.filter { !cases[$0].serial }
        DispatchQueue.concurrentPerform(iterations: min(2, max(parallel.count, 1))) { worker in
            for (n, i) in indices.enumerated() where n % 2 == worker {
                let found = runOne(cases[i])
                lock.lock()
                problems[i] = found
                lock.unlock()
            }
        }
        for i in cases.indices where cases[i].serial { problems[i] = runOne(cases[i]) }
        var failed = 0
        for (c, found) in zip(cases, problems) where !found.isEmpty {
            failed += 1
            let text = "\(c.kind)/\(c.name): " + found.joined(separator: "; ")
            print("TRUST FAIL " + text)
            XCTFail(text, file: file, line: line)
        }
        print("trust \(cases.first.map { "\($0.kind)" } ?? ""): \(cases.count - failed) passed, \(failed) failed")
    }

    /// Sets the case up in a fresh folder, runs it, returns what went wrong.
    static func runOne(_ c: TrustCase) -> [String] {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nnreg-trust-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let bench = Bench(root)
        let plan: Plan
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            plan = try c.make(bench)
        } catch {
            return ["setup failed: \(error)"]
        }
        defer { plan.cleanup?() }
        let before = Snapshot(root)
        let cwd = plan.cwd.map { root.appendingPathComponent($0) } ?? root
        let ran = Capped.run(plan.args, in: cwd, stdin: plan.stdin, timeout: plan.timeout)
        let after = Snapshot(root)
        var found: [String] = []
        let shown =
            "nnreg \(plan.args.map { $0.count > 60 ? String($0.prefix(60)) + "..." : $0 }.joined(separator: " "))"
        if ran.timedOut { found.append("hung (killed after \(Int(plan.timeout)) s)") }
        if ran.signalled {
            found.append("killed by signal \(ran.status)")
        } else if ran.status != plan.status {
            found.append("exit \(ran.status), expected \(plan.status)")
        }
        for sign in crashSigns where ran.stderr.contains(sign) || ran.stdout.contains(sign) {
            found.append("output holds \"\(sign)\"")
        }
        if plan.status != 0 && ran.stderr.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            found.append("nothing on stderr")
        }
        if ran.stderr.utf8.count > plan.maxStderr { found.append("stderr is \(ran.stderr.utf8.count) bytes") }
        for fragment in plan.fragments where !matches(ran.stderr, fragment) {
            found.append("stderr lacks \"\(fragment)\"")
        }
        for fragment in plan.stdoutFragments where !matches(ran.stdout, fragment) {
            found.append("stdout lacks \"\(fragment)\"")
        }
        found += before.changes(to: after, mayCreate: plan.mayCreate, mayChange: plan.mayChange)
        if let check = plan.check { found += check(bench, ran) }
        if !found.isEmpty {
            let excerpt = ran.stderr.count > 300 ? String(ran.stderr.prefix(300)) + "..." : ran.stderr
            found.append("[\(shown) -> stderr: \(excerpt.trimmingCharacters(in: .whitespacesAndNewlines))]")
        }
        return found
    }

    static func matches(_ text: String, _ fragment: String) -> Bool {
        fragment.components(separatedBy: " OR ").contains { text.contains($0) }
    }
}

/// Every entry under a folder: files by content, symbolic links by target, folders.
struct Snapshot {
    enum Entry: Equatable {
        case file(Data)
        case link(String)
        case folder
    }
    var entries: [String: Entry] = [:]

    init(_ root: URL) { walk(root, "") }

    private mutating func walk(_ folder: URL, _ prefix: String) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names {
            let url = folder.appendingPathComponent(name)
            let rel = prefix + name
            let type = (try? fm.attributesOfItem(atPath: url.path))?[.type] as? FileAttributeType
            if type == .typeSymbolicLink {
                entries[rel] = .link((try? fm.destinationOfSymbolicLink(atPath: url.path)) ?? "?")
            } else if type == .typeDirectory {
                entries[rel] = .folder
                walk(url, rel + "/")
            } else {
                entries[rel] = .file((try? Data(contentsOf: url)) ?? Data("<unreadable>".utf8))
            }
        }
    }

    static func covers(_ prefixes: [String], _ path: String) -> Bool {
        prefixes.contains { path == $0 || path.hasPrefix($0 + "/") }
    }

    /// Pre-existing entries changed or gone, and new entries nnreg was not allowed to create.
    func changes(to after: Snapshot, mayCreate: [String], mayChange: [String]) -> [String] {
        var found: [String] = []
        for (path, entry) in entries.sorted(by: { $0.key < $1.key }) where !Snapshot.covers(mayChange, path) {
            guard let now = after.entries[path] else {
                found.append("removed \(path)")
                continue
            }
            if now != entry { found.append("changed \(path)") }
        }
        let left = after.entries.keys.filter { entries[$0] == nil && !Snapshot.covers(mayCreate, $0) }.sorted()
        if !left.isEmpty {
            found.append(
                "left \(left.prefix(4).joined(separator: ", "))\(left.count > 4 ? " (\(left.count) new)" : "")")
        }
        return found
    }
}

/// Helpers the tables share.
extension TrustCase {
    /// One case per command on a spec made from `base` with `edits`: exit `status`, `fragments` on stderr.
    static func specCase(
        _ kind: TrustKind, _ name: String, _ base: SpecBase = .tiny, _ edits: [(String, Any?)], _ fragments: [String],
        commands: [String] = ["validate", "train"], status: Int32 = 2, setup: ((Bench) throws -> Void)? = nil
    ) -> [TrustCase] {
        commands.map { command in
            TrustCase(kind, "\(name) (\(command))") { b in
                try b.spec(base, edits)
                try setup?(b)
                let args = [command, "spec.json"] + (command == "train" ? ["--quiet"] : [])
                var plan = Plan(args, status, fragments, creates: status == 0 && command == "train" ? ["run"] : [])
                if status == 0 && command == "train" { plan.check = madeModel("run") }
                return plan
            }
        }
    }

    /// A check that a run that must work wrote its model.
    static func madeModel(_ folder: String) -> (Bench, Ran) -> [String] {
        { b, _ in b.exists(folder + "/model.safetensors") ? [] : ["no \(folder)/model.safetensors"] }
    }
}
