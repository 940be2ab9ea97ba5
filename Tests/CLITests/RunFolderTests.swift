import Foundation
import XCTest

/// The run folder is nnreg's only where nnreg can prove it wrote the files (its manifest):
/// a user's files are never deleted or replaced, and one run writes a folder at a time.
final class RunFolderTests: CLITestCase {
    func testFolderWithForeignFilesIsRefusedAndLeftAsItWas() throws {
        try tinySpec()
        try FileManager.default.createDirectory(atPath: path("run/checkpoints"), withIntermediateDirectories: true)
        try write("run/checkpoints/mine.txt", "keep")
        try write("run/notes.txt", "keep too")
        let before = try snapshot("run")
        let o = try nnreg("train", "tiny.json", "--quiet")
        XCTAssertEqual(o.status, 2, o.stderr)
        XCTAssert(o.stderr.contains("\(path("run")) holds files nnreg did not write"), o.stderr)
        XCTAssert(o.stderr.contains("checkpoints/mine.txt"), o.stderr)
        XCTAssertEqual(try snapshot("run"), before)
    }

    /// With --overwrite nnreg writes beside the user's files and keeps them; a second
    /// --overwrite deletes only what the first run wrote.
    func testOverwriteKeepsTheUsersFiles() throws {
        try tinySpec { $0["checkpoint"] = ["save_freq": 1] }
        try FileManager.default.createDirectory(atPath: path("run"), withIntermediateDirectories: true)
        try write("run/notes.txt", "keep")
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "2", "--quiet", "--overwrite"))
        XCTAssertEqual(try read("run/notes.txt"), "keep")
        XCTAssertTrue(exists("run/checkpoints/epoch-0002.safetensors"))
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "1", "--quiet", "--overwrite"))
        XCTAssertEqual(try read("run/notes.txt"), "keep")
        XCTAssertTrue(exists("run/checkpoints/epoch-0001.safetensors"))
        XCTAssertFalse(exists("run/checkpoints/epoch-0002.safetensors"), "the earlier run's checkpoint goes")
    }

    /// A file of the user's with a name nnreg writes is never replaced, even with --overwrite.
    func testUsersFileWithARunFileNameIsRefused() throws {
        try tinySpec()
        try FileManager.default.createDirectory(atPath: path("run"), withIntermediateDirectories: true)
        try write("run/history.csv", "my own history")
        for extra in [[], ["--overwrite"]] {
            let o = try Child(["train", "tiny.json", "--quiet"] + extra, in: dir).finish(timeout: 60)
            XCTAssertEqual(o.status, 2, o.stderr)
            XCTAssert(o.stderr.contains("history.csv, which nnreg did not write but would replace"), o.stderr)
        }
        XCTAssertEqual(try read("run/history.csv"), "my own history")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("run")), ["history.csv"])
    }

    /// output.dir "." beside the spec: the user's spec.json is never replaced.
    func testOutputBesideTheSpecNeverReplacesIt() throws {
        try tinySpec("spec.json") { $0["output"] = ["dir": "."] }
        let spec = try read("spec.json")
        for extra in [[], ["--overwrite"]] {
            let o = try Child(["train", "spec.json", "--quiet"] + extra, in: dir).finish(timeout: 60)
            XCTAssertEqual(o.status, 2, o.stderr)
        }
        XCTAssertEqual(try read("spec.json"), spec)
        XCTAssertFalse(exists(".nnreg-files"))
    }

    func testOutputThatIsAFileIsAUsageError() throws {
        try tinySpec()
        try write("taken", "a file")
        let o = try nnreg("train", "tiny.json", "--output", "taken")
        XCTAssertEqual(o.status, 2)
        XCTAssertEqual(o.stderr, "error: taken: is a file, not a run folder; choose another --output\n")
        XCTAssertEqual(try read("taken"), "a file")
    }

    /// A second process on a folder in use is refused; the lock dies with its process, so a
    /// SIGKILLed run's folder resumes.
    func testLockRefusesASecondRunAndDiesWithItsProcess() throws {
        try tinySpec { $0.removeValue(forKey: "early_stopping") }
        let first = try start("train", "tiny.json", "--epochs", "100000")
        XCTAssertTrue(first.waitForStdout(timeout: 60) { $0.contains("epoch 2/") }, first.stdoutSoFar)
        let second = try nnreg("train", "tiny.json", "--epochs", "3", "--resume")
        XCTAssertEqual(second.status, 2, second.stderr)
        XCTAssert(second.stderr.contains("\(path("run")) is in use by another nnreg process"), second.stderr)
        kill(first.process.processIdentifier, SIGKILL)
        _ = first.finish(timeout: 30)
        let resumed = try nnreg("train", "tiny.json", "--epochs", "3", "--resume", "--quiet")
        assertSuccess(resumed)
    }

    func testDamagedManifestIsAnErrorNamingIt() throws {
        try tinySpec()
        assertSuccess(try nnreg("train", "tiny.json", "--epochs", "1", "--quiet"))
        try write("run/.nnreg-files", "spec.json\n../../etc/passwd\n")
        let o = try nnreg("train", "tiny.json", "--overwrite", "--quiet")
        XCTAssertEqual(o.status, 2)
        XCTAssert(o.stderr.contains("run/.nnreg-files: lists \"../../etc/passwd\""), o.stderr)
    }
}
