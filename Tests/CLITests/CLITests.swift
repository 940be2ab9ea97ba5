import Foundation
import XCTest

/// What one run of the nnreg binary left behind.
struct Outcome {
    var status: Int32
    var stdout: String
    var stderr: String
    /// True when the process ended by a signal (`status` is then the signal number).
    var signalled: Bool

    /// stdout's lines, without the final newline's empty line.
    var lines: [String] {
        let all = stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return stdout.hasSuffix("\n") || stdout.isEmpty ? Array(all.dropLast()) : all
    }
}

/// Where the binary under test and the repository's fixtures are.
enum Paths {
    /// The repository root: this file is Tests/CLITests/CLITests.swift.
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The debug `nnreg` built next to the test bundle (.build/<triple>/debug/), else <repo>/.build/debug/nnreg.
    static let binary: URL = {
        var folders = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        folders += Bundle.allBundles.map(\.bundleURL).filter { $0.pathExtension == "xctest" }.map {
            $0.deletingLastPathComponent()
        }
        folders.append(repo.appendingPathComponent(".build/debug"))
        for folder in folders {
            let candidate = folder.appendingPathComponent("nnreg")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return repo.appendingPathComponent(".build/debug/nnreg")
    }()

    static func tiny(_ name: String) -> String { repo.appendingPathComponent("data/tiny/\(name)").path }
}

/// A running nnreg process whose stdout and stderr are collected as they arrive.
final class Child {
    let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private let readers = DispatchGroup()
    private let exited = DispatchSemaphore(value: 0)

    /// Runs `executable` (nnreg by default) with `arguments` in `folder`, with `extra`
    /// environment variables.
    init(
        _ arguments: [String], in folder: URL, stdin: Data? = nil, executable: URL = Paths.binary,
        environment extra: [String: String] = [:]
    ) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["COLUMNS"] = "80"  // help text wraps as on an 80-column terminal
        environment["LINES"] = "25"
        process.environment = environment
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        let inPipe = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
        process.terminationHandler = { [exited] _ in exited.signal() }
        try Launch.run(process)
        collect(outPipe.fileHandleForReading) { $0.out.append($1) }
        collect(errPipe.fileHandleForReading) { $0.err.append($1) }
        if let stdin {
            DispatchQueue.global().async {
                inPipe.fileHandleForWriting.write(stdin)
                try? inPipe.fileHandleForWriting.close()
            }
        }
    }

    private func collect(_ handle: FileHandle, _ append: @escaping (Child, Data) -> Void) {
        readers.enter()
        DispatchQueue.global().async { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.lock()
                append(self, chunk)
                lock.unlock()
            }
            readers.leave()
        }
    }

    var stdoutSoFar: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: out, as: UTF8.self)
    }

    var stderrSoFar: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: err, as: UTF8.self)
    }

    /// Waits until stdout satisfies `condition`; false on timeout or when the process ended first.
    func waitForStdout(timeout: TimeInterval, _ condition: (String) -> Bool) -> Bool {
        wait(timeout: timeout) { condition(stdoutSoFar) }
    }

    /// Waits until stderr satisfies `condition`; false on timeout or when the process ended first.
    func waitForStderr(timeout: TimeInterval, _ condition: (String) -> Bool) -> Bool {
        wait(timeout: timeout) { condition(stderrSoFar) }
    }

    private func wait(timeout: TimeInterval, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            if !process.isRunning { return condition() }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return false
    }

    /// Waits for the process to end; kills it (and fails the test) after `timeout` seconds.
    func finish(timeout: TimeInterval, file: StaticString = #filePath, line: UInt = #line) -> Outcome {
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            XCTFail("nnreg \(process.arguments ?? []) still running after \(timeout) s; killed", file: file, line: line)
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
        }
        _ = readers.wait(timeout: .now() + 10)
        lock.lock()
        defer { lock.unlock() }
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self), signalled: process.terminationReason == .uncaughtSignal)
    }
}

/// Starts child processes one at a time. Foundation's `Process.run()` on Linux is not safe
/// to call from two threads at once: the Trust suite's concurrent workers crashed inside it
/// (a memmove past a buffer in `Process.run()`, and once a corrupted string on the other
/// worker). Only the start is serialized; the children run and are waited for concurrently.
enum Launch {
    private static let lock = NSLock()

    static func run(_ process: Process) throws {
        lock.lock()
        defer { lock.unlock() }
        try process.run()
    }
}

/// Each test gets a fresh temporary folder, the working directory of every nnreg it runs.
class CLITestCase: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        XCTAssertTrue(
            FileManager.default.isExecutableFile(atPath: Paths.binary.path),
            "no nnreg binary at \(Paths.binary.path); run swift build --build-tests first")
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nnreg-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
        try super.tearDownWithError()
    }

    /// Runs `nnreg arguments...` in the test folder and waits for it.
    @discardableResult
    func nnreg(
        _ arguments: String..., stdin: Data? = nil, timeout: TimeInterval = 60, file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> Outcome {
        try Child(arguments, in: dir, stdin: stdin).finish(timeout: timeout, file: file, line: line)
    }

    func start(_ arguments: String...) throws -> Child { try Child(arguments, in: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func read(_ name: String) throws -> String {
        try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: path(name)) }

    /// specs/tiny.json with absolute data paths and output.dir "run", changed by `edit`,
    /// written to the test folder as `name`; returns its absolute path.
    @discardableResult
    func tinySpec(_ name: String = "tiny.json", _ edit: (inout [String: Any]) -> Void = { _ in }) throws -> String {
        let url = Paths.repo.appendingPathComponent("specs/tiny.json")
        var spec = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var data = try XCTUnwrap(spec["data"] as? [String: Any])
        data["train"] = Paths.tiny("train.csv")
        data["test"] = Paths.tiny("test.csv")
        spec["data"] = data
        spec["output"] = ["dir": "run"]
        edit(&spec)
        return try writeSpec(name, spec)
    }

    /// A regression spec on data/tiny/regression.csv: dense 16 relu, dense 1, mse with mae.
    @discardableResult
    func regressionSpec(_ name: String = "regression.json", _ edit: (inout [String: Any]) -> Void = { _ in }) throws
        -> String
    {
        var spec: [String: Any] = [
            "name": "regression", "seed": 3,
            "data": ["train": Paths.tiny("regression.csv"), "label": "y", "validation_split": 0.2],
            "model": [
                "layers": [
                    ["type": "dense", "units": 16, "activation": "relu"], ["type": "dense", "units": 1],
                ]
            ],
            "training": [
                "loss": "mse", "metrics": ["mae"], "optimizer": ["type": "adam", "learning_rate": 0.01],
                "epochs": 4, "batch_size": 32,
            ],
            "output": ["dir": "run"],
        ]
        edit(&spec)
        return try writeSpec(name, spec)
    }

    func writeSpec(_ name: String, _ spec: [String: Any]) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: spec, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: dir.appendingPathComponent(name))
        return path(name)
    }

    /// Parses `text` as exactly one JSON document.
    func json(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            XCTFail("not one JSON document: \(error)\n\(text)", file: file, line: line)
            throw error
        }
    }

    func jsonFile(_ name: String) throws -> [String: Any] {
        try XCTUnwrap(json(read(name)) as? [String: Any])
    }

    /// history.csv without its last column (seconds, the only one that may differ between identical runs).
    func historyWithoutSeconds(_ run: String) throws -> String {
        let lines = try read(run + "/history.csv").split(separator: "\n")
        XCTAssertEqual(lines.first?.split(separator: ",").last, "seconds")
        return lines.map {
            $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",")
        }
        .joined(separator: "\n")
    }

    /// Every file under a folder with its contents, to show that a command changed nothing.
    func snapshot(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let root = dir.appendingPathComponent(folder)
        let walker = try XCTUnwrap(FileManager.default.enumerator(atPath: root.path))
        for case let name as String in walker {
            var isDir: ObjCBool = false
            let url = root.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue {
                files[name] = try Data(contentsOf: url)
            }
        }
        return files
    }

    /// Asserts a clean success: exit 0 and nothing on stderr.
    func assertSuccess(_ o: Outcome, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(o.status, 0, "stderr: \(o.stderr)", file: file, line: line)
        XCTAssertFalse(o.signalled, file: file, line: line)
    }
}

/// The `%.4f` / `%.3e` numbers of nnreg's text output.
func fmt4(_ v: Double) -> String {
    abs(v) >= 1e-3 || v == 0 ? String(format: "%.4f", v) : String(format: "%.3e", v)
}
