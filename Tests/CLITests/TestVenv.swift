import Foundation
import XCTest

/// The tests' Python tools (tools/onnx_check.py, tools/tensorboard_check.py) and the
/// virtual environment they run in, .venv-test (`make test-env`; `make test` makes it).
enum TestVenv {
    static let python = Paths.repo.appendingPathComponent(".venv-test/bin/python").path

    /// Skips the test when the environment is missing, saying what it would have checked.
    static func require(for purpose: String) throws {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw XCTSkip("no \(python): run `make test-env` (make test does) to \(purpose)")
        }
    }

    /// Runs tools/`script` with `arguments`: the JSON object it prints (it must succeed).
    static func json(
        _ script: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line
    ) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Paths.repo.appendingPathComponent("tools/" + script).path] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try Launch.run(process)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(script) failed:\n\(stderr)", file: file, line: line)
        return try XCTUnwrap(
            JSONSerialization.jsonObject(with: stdout) as? [String: Any], "\(script) printed no JSON: \(stderr)",
            file: file, line: line)
    }
}
