import Foundation
import XCTest

@testable import NNReg

/// Oracle: the bytes of files written here.
final class DataShapeTests: XCTestCase {
    func testFirstLinesStopsAfterTheLinesAsked() throws {
        let path = NSTemporaryDirectory() + "nnreg-first-lines-\(getpid()).csv"
        defer { unlink(path) }
        try writeAtomically("a,b\n1,2\n3,4\n", to: path)
        XCTAssertEqual(String(decoding: try DataShape.firstLines(path, count: 1), as: UTF8.self), "a,b\n")
        XCTAssertEqual(String(decoding: try DataShape.firstLines(path, count: 2), as: UTF8.self), "a,b\n1,2\n")
        XCTAssertEqual(String(decoding: try DataShape.firstLines(path, count: 9), as: UTF8.self), "a,b\n1,2\n3,4\n")
        try writeAtomically("a,b", to: path)
        XCTAssertEqual(String(decoding: try DataShape.firstLines(path, count: 1), as: UTF8.self), "a,b\n")
    }

    /// A file without line ends is read up to the limit only, and refused; a device
    /// (/dev/zero, which never ends) is refused before reading, as the CSV reader does.
    func testFirstLinesRefusesEndlessLinesAndDevices() throws {
        let path = NSTemporaryDirectory() + "nnreg-one-line-\(getpid()).csv"
        defer { unlink(path) }
        try writeAtomically([UInt8](repeating: UInt8(ascii: "0"), count: (3 << 20) + 10), to: path)
        XCTAssertThrowsError(try DataShape.firstLines(path, count: 1, limit: 3 << 20)) { error in
            XCTAssertEqual("\(error)", "\(path): its first line is longer than 3 MiB; is it a CSV file?")
        }
        XCTAssertThrowsError(try DataShape.firstLines("/dev/zero", count: 1)) { error in
            XCTAssertEqual("\(error)", "/dev/zero: cannot read: a device, not a CSV file")
        }
    }
}
