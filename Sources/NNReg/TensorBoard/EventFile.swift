import Foundation
import SwiftProtobuf

/// A TensorBoard event file: TFRecord framing around serialized `Event` protos.
///
/// Each record is
///
///     uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes |
///     length bytes of data          | uint32 masked CRC-32C of the data
///
/// (TensorFlow's core/lib/io/record_writer.cc). The first event of a file holds
/// `file_version` "brain.Event:2".
///
/// TensorBoard reads an event file while it grows, so unlike the run folder's other files
/// it is appended to, one epoch's records in one write, rather than replaced: a file
/// replaced by rename would leave TensorBoard reading the old one. A record a crash cut
/// short is what TensorBoard skips as incomplete, and `resume` drops it.
final class EventFile {
    /// The file name: TensorBoard reads files whose name contains "tfevents".
    static let name = "events.out.tfevents.nnreg"
    static let fileVersion = "brain.Event:2"

    let path: String
    private var descriptor: Int32

    /// Opens `path` to append to, as a new file (its first record the file version) or,
    /// when `resumingAfter` is an epoch count and the file exists, as the continuation of
    /// one it wrote: the records of later epochs and a cut-short tail are dropped first.
    init(path: String, resumingAfter done: Int?) throws {
        self.path = path
        var records: [[UInt8]] = []
        if let done, FileManager.default.fileExists(atPath: path) {
            let (kept, _) = EventFile.records(in: try readFileBytes(path))
            records = kept.filter { (try? Tensorboard_Event(serializedBytes: $0))?.step ?? Int64.max <= Int64(done) }
        }
        if records.isEmpty {
            var first = Tensorboard_Event()
            first.wallTime = Date().timeIntervalSince1970
            first.fileVersion = EventFile.fileVersion
            records = [try first.serializedBytes()]
        }
        // The kept records, rewritten whole: the file then ends at a record boundary.
        try writeAtomically(records.flatMap(EventFile.framed), to: path)
        descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FileIOError(path: path, reason: "cannot open to append: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    /// Appends `events` in one write.
    func append(_ events: [Tensorboard_Event]) throws {
        let bytes = try events.flatMap { EventFile.framed(try $0.serializedBytes()) }
        if bytes.withUnsafeBytes({ writeFully(descriptor, from: $0) }) != 0 {
            throw FileIOError(path: path, reason: "cannot append: \(String(cString: strerror(errno)))")
        }
    }

    /// `data` as one TFRecord.
    static func framed(_ data: [UInt8]) -> [UInt8] {
        let length = littleEndianBytes(UInt64(data.count))
        return length + littleEndianBytes(CRC32C.masked(length)) + data + littleEndianBytes(CRC32C.masked(data))
    }

    /// The records of `bytes` up to the first one that is cut short or fails its CRCs, and
    /// the length of that valid prefix.
    static func records(in bytes: [UInt8]) -> (records: [[UInt8]], validLength: Int) {
        var out: [[UInt8]] = []
        var at = 0
        func word<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int) -> T {
            bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        while bytes.count - at >= 12 {
            let length = word(UInt64.self, at)
            guard word(UInt32.self, at + 8) == CRC32C.masked(bytes[at..<at + 8]),
                length <= UInt64(bytes.count - at - 16)
            else { break }
            let data = Array(bytes[at + 12..<at + 12 + Int(length)])
            guard word(UInt32.self, at + 12 + Int(length)) == CRC32C.masked(data) else { break }
            out.append(data)
            at += 16 + Int(length)
        }
        return (out, at)
    }

    private static func littleEndianBytes<T: FixedWidthInteger>(_ x: T) -> [UInt8] {
        withUnsafeBytes(of: x.littleEndian, Array.init)
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord checksums use it.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
    }

    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        ~bytes.reduce(~UInt32(0)) { crc, b in table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    }

    /// The checksum rotated and offset, as TFRecord stores it (a CRC of data holding CRCs
    /// is then not trivially related to them).
    static func masked<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        let c = checksum(bytes)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }
}
