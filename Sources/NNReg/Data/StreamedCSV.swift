#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
import Dispatch
import Foundation

/// Where each kept row of a CSV lies in its text: byte offsets from the text's start, of
/// the row's first byte and of the byte after its line break.
struct CSVRowSpans {
    var starts: [Int] = []
    var ends: [Int] = []

    init(starts: [Int], ends: [Int]) {
        (self.starts, self.ends) = (starts, ends)
    }

    /// Empty, with room for `capacity` rows.
    init(capacity: Int) {
        starts.reserveCapacity(capacity)
        ends.reserveCapacity(capacity)
    }
}

/// The rows of a labelled CSV file, read again from the file as their batches are read
/// (`SampleStream`, data.cache "none"): memory is set by the batch and the index, not by
/// the file.
///
/// `index` goes over the whole file once and keeps only where each row lies, its line and
/// its label: 24 bytes a row, whatever its width. A file without quotes whose labels are
/// numbers (and data.missing "error") is indexed by a scan for line breaks at about the
/// speed of memory (`CSVParser.quickIndex`), its cells checked as their batches are
/// read; any other is parsed whole with the checks of the in-memory load (every cell,
/// every row's width, missing values, class names) before training. `read` then reads
/// each row of a batch from its byte offset and parses it again with the same row
/// parser, on the worker threads, so a batch holds the same raw values as a load would.
/// A file that changes after it was indexed is an error naming it (`checkRead`).
public final class StreamedCSV: SampleReader {
    public let path: String
    /// The header's column names, and the label's position among them.
    let names: [String]
    let label: Int
    let missing: CSV.MissingPolicy
    /// Per row: its bytes in the file (start, end) and its line (1-based).
    let starts: [Int]
    let ends: [Int]
    let lines: [Int32]
    /// Rows are parsed on this many threads.
    public let threads: Int
    /// Whether every cell was parsed and checked by `index` (else as its batch is read).
    public let checked: Bool
    private let identity: FileIdentity
    /// The longest row, in bytes: the size of a thread's row buffer.
    private let longest: Int
    private let lock = NSLock()
    private var failure: Error?

    public var count: Int { starts.count }
    /// Feature values per row.
    public var width: Int { names.count - 1 }

    init(
        path: String, names: [String], label: Int, missing: CSV.MissingPolicy, spans: CSVRowSpans, lines: [Int32],
        identity: FileIdentity, checked: Bool, threads: Int
    ) {
        precondition(spans.starts.count == lines.count && spans.ends.count == lines.count, "one span and line a row")
        self.path = path
        self.names = names
        self.label = label
        self.missing = missing
        starts = spans.starts
        ends = spans.ends
        self.lines = lines
        self.identity = identity
        self.checked = checked
        self.threads = max(threads, 1)
        longest = zip(spans.starts, spans.ends).reduce(0) { max($0, $1.1 - $1.0) }
    }

    /// Parses the labelled CSV file `path` once (as `CSV.readLabeledSamples` does, with
    /// the same errors) into its table without features, and the index to read its rows
    /// from. `missing` "interpolate" needs whole columns, so it cannot be streamed.
    public static func index(
        _ path: String, label: CSV.Column, missing: CSV.MissingPolicy, classNames: [String]?, threads: Int
    ) throws -> (table: LabeledCSV, rows: StreamedCSV) {
        precondition(missing != .interpolate, "interpolation needs the whole file")
        let identity = try FileIdentity(path: path)
        let options = CSV.Options(missing: missing, textColumns: [label], classNames: classNames)
        var checked = false
        let output = try FileBytes.withContents(
            of: .path(path),
            releasing: { bytes, release in
                let parser = CSVParser(source: path, options: options)
                if missing == .error, let quick = try parser.quickIndex(bytes, label: label, release: release) {
                    return quick
                }
                checked = true
                return try parser.parse(bytes, split: label, compact: true, index: true, release: release)
            })
        let table = LabeledCSV(output, source: path, features: [])
        let rows = StreamedCSV(
            path: path, names: output.names, label: output.split!.column, missing: missing, spans: output.spans!,
            lines: output.lines, identity: identity, checked: checked, threads: threads)
        return (table, rows)
    }

    /// The rows at `indices` (a split), reading the same file.
    func subset(_ indices: [Int]) -> StreamedCSV {
        StreamedCSV(
            path: path, names: names, label: label, missing: missing,
            spans: CSVRowSpans(starts: indices.map { starts[$0] }, ends: indices.map { ends[$0] }),
            lines: indices.map { lines[$0] }, identity: identity, checked: checked, threads: threads)
    }

    public func checkRead() throws {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
    }

    /// Reads and parses the rows `indices` into dst (n, width), split over `threads`
    /// threads (a few rows stay on one); rows that cannot be read are zeros.
    public func read(_ indices: UnsafeBufferPointer<Int32>, into dst: UnsafeMutablePointer<Float>) {
        let n = indices.count
        let workers = max(1, min(threads, n / 8))
        let work = { (w: Int) in
            let rows = (n * w / workers)..<(n * (w + 1) / workers)
            do {
                try self.parse(indices, rows, into: dst)
            } catch {
                (dst + rows.lowerBound * self.width).update(repeating: 0, count: rows.count * self.width)
                self.record(error)
            }
        }
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
    }

    /// Rows `indices[rows]` into dst's rows `rows`: each read from its offset into one
    /// buffer (with a line break after, as the parser needs) and parsed at its file line.
    private func parse(_ indices: UnsafeBufferPointer<Int32>, _ rows: Range<Int>, into dst: UnsafeMutablePointer<Float>)
        throws
    {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CSVError(source: path, .cannotRead(String(cString: strerror(errno)))) }
        defer { close(fd) }
        guard FileIdentity(fd) == identity else { throw changed() }
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: longest + 1)
        defer { buffer.deallocate() }
        var labelValue: Float = 0
        var reader = CSVRowReader(
            cursor: CSVCursor(base: buffer, end: buffer, source: path), names: names, textColumns: [label],
            missing: missing, layout: CSVLayout(width: names.count, split: label))
        for row in rows {
            let i = Int(indices[row])
            precondition(i >= 0 && i < count, "row \(i) outside \(count) rows")
            let length = ends[i] - starts[i]
            guard lseek(fd, off_t(starts[i]), SEEK_SET) == off_t(starts[i]) else { throw changed() }
            let (got, failure) = readFully(fd, into: UnsafeMutableRawBufferPointer(start: buffer, count: length))
            // The last row of a file without a final line break is one byte short.
            guard failure == 0 && got >= length - 1 else { throw changed() }
            buffer[got] = CSVCursor.Byte.newline
            reader.cursor = CSVCursor(base: buffer, end: buffer + got + 1, source: path)
            reader.cursor.line = Int(lines[i])
            reader.count = 0
            reader.lines.removeAll(keepingCapacity: true)
            for slot in reader.cells.indices { reader.cells[slot].removeAll(keepingCapacity: true) }
            try reader.read(into: dst + row * width, split: &labelValue, limit: 1)
            guard reader.count == 1 else { throw changed() }
        }
    }

    private func changed() -> DataError {
        DataError("\(path): changed while training (its rows were indexed when training started); train again")
    }

    private func record(_ error: Error) {
        lock.lock()
        defer { lock.unlock() }
        if failure == nil { failure = error }
    }
}

/// What tells a file apart from a changed or replaced one: device, inode, size and
/// modification time.
struct FileIdentity: Equatable {
    let device: UInt64, inode: UInt64, size: Int64, modified: Int64, modifiedNanoseconds: Int64

    /// The identity of the open file `fd`; all zeros when it cannot be read.
    init(_ fd: Int32) {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            (device, inode, size, modified, modifiedNanoseconds) = (0, 0, -1, 0, 0)
            return
        }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
            (modified, modifiedNanoseconds) = (Int64(info.st_mtimespec.tv_sec), Int64(info.st_mtimespec.tv_nsec))
        #else
            (modified, modifiedNanoseconds) = (Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec))
        #endif
    }

    /// The identity of the file at `path`; an error naming it when it cannot be opened.
    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CSVError(source: path, .cannotRead(String(cString: strerror(errno)))) }
        defer { close(fd) }
        try FileBytes.refuseNonFile(fd, path: path)
        self.init(fd)
    }
}
