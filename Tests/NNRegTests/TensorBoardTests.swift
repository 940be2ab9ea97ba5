import Foundation
import XCTest

@testable import NNReg

/// The event file's framing and checksums, its resume rule, and the weight histograms.
/// (Tests/CLITests/TensorBoardTests reads whole runs' files with the tensorboard package.)
final class TensorBoardTests: XCTestCase {
    func testCRC32CMatchesTheCheckValueAndTensorBoardsMask() {
        let digits = Array("123456789".utf8)
        XCTAssertEqual(CRC32C.checksum(digits), 0xE306_9283)  // the CRC-32C check value (RFC 3720)
        // tensorboard.compat.tensorflow_stub.pywrap_tensorflow.masked_crc32c of the same bytes, and of none
        XCTAssertEqual(CRC32C.masked(digits), 0xC78A_B0E5)
        XCTAssertEqual(CRC32C.masked([UInt8]()), 0xA282_EAD8)
    }

    func testRecordsStopAtACutShortOrDamagedRecord() {
        let a: [UInt8] = [1, 2, 3], b: [UInt8] = Array(repeating: 7, count: 300)
        let file = EventFile.framed(a) + EventFile.framed(b)
        XCTAssertEqual(EventFile.framed(a).count, 16 + 3)
        XCTAssertEqual(EventFile.records(in: file).records, [a, b])
        XCTAssertEqual(EventFile.records(in: file).validLength, file.count)
        let cut = Array(file.dropLast(5))
        XCTAssertEqual(EventFile.records(in: cut).records, [a])
        XCTAssertEqual(EventFile.records(in: cut).validLength, 19)
        var damaged = file
        damaged[19 + 12 + 100] ^= 1  // inside b's data
        XCTAssertEqual(EventFile.records(in: damaged).records, [a])
        var badLength = file
        badLength[19] = 0xFF  // b's length, which its header CRC guards
        XCTAssertEqual(EventFile.records(in: badLength).records, [a])
    }

    /// Steps in the file at `path`, the file-version event first (step 0).
    func steps(_ path: String) throws -> [Int64] {
        try EventFile.records(in: readFileBytes(path)).records.map { try Tensorboard_Event(serializedBytes: $0).step }
    }

    func testResumeKeepsTheEpochsDoneAndDropsLaterOnesAndACutShortTail() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try EventFile(path: path, resumingAfter: nil)
        for step in 1...3 {
            try file.append([TensorBoardCallback.event(step: step, scalars: [("loss", 1)], histograms: [])])
        }
        XCTAssertEqual(try steps(path), [0, 1, 2, 3])
        let first = try Tensorboard_Event(serializedBytes: EventFile.records(in: readFileBytes(path)).records[0])
        XCTAssertEqual(first.fileVersion, "brain.Event:2")
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data([9, 0, 0, 0, 0, 0, 0, 0, 1]))  // a record cut short
        try handle.close()

        let resumed = try EventFile(path: path, resumingAfter: 2)
        XCTAssertEqual(try steps(path), [0, 1, 2])
        try resumed.append([TensorBoardCallback.event(step: 3, scalars: [("loss", 0.5)], histograms: [])])
        XCTAssertEqual(try steps(path), [0, 1, 2, 3])
        XCTAssertEqual(EventFile.records(in: try readFileBytes(path)).validLength, try readFileBytes(path).count)

        _ = try EventFile(path: path, resumingAfter: nil)  // a fresh run starts over
        XCTAssertEqual(try steps(path), [0])
    }

    func testHistogramCountsEveryValueInEqualBuckets() throws {
        let h = try XCTUnwrap(TensorBoardCallback.histogram([Float]([0, 1, 2, 3, 4, 4])))
        XCTAssertEqual([h.min, h.max, h.num, h.sum, h.sumSquares], [0, 4, 6, 14, 46])
        XCTAssertEqual(h.bucketLimit.count, 30)
        XCTAssertEqual(h.bucketLimit.last, 4)
        XCTAssertEqual(h.bucketLimit[14], 2, accuracy: 1e-12)
        XCTAssertEqual(h.bucket.reduce(0, +), 6)
        XCTAssertEqual(h.bucket[0], 1)
        XCTAssertEqual(h.bucket[29], 2)  // the maximum goes in the last bucket
        XCTAssertEqual(h.bucket[15], 1)  // 2.0 starts the 16th bucket

        let same = try XCTUnwrap(TensorBoardCallback.histogram([Float](repeating: 0.5, count: 4)))
        XCTAssertEqual(same.bucketLimit, [0.5])
        XCTAssertEqual(same.bucket, [4])
        XCTAssertNil(TensorBoardCallback.histogram([Float]([1, .nan])))
        XCTAssertNil(TensorBoardCallback.histogram([Float]()))
    }
}
