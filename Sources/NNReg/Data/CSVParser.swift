#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The byte-level pass over a whole CSV file in memory: header names, then every row
/// parsed straight into a row-major Float matrix. No String is made for a numeric cell.
///
/// Grammar (RFC 4180, plus what real files do): fields separated by ",", rows by "\n" or
/// "\r\n"; a field may be quoted ("..." with "" for a quote) and may then span lines;
/// spaces and tabs around a field are ignored; blank lines are skipped; a UTF-8 byte
/// order mark is skipped. A cell is missing when it is empty, or one of pandas' default
/// missing-value markers (NA, N/A, NaN, null, None, ...).
struct CSVParser {
    let source: String
    let options: CSV.Options

    /// What a parse gives: the columns other than the split-off one as a row-major
    /// matrix, and the split-off column, if any, as its own array.
    struct Output {
        var names: [String]
        var rows: Int
        /// Empty when `samples` holds the matrix instead.
        var matrix: [Float]
        /// The matrix as compact samples (a compact parse), else nil.
        var samples: SampleStore? = nil
        var split: (column: Int, values: [Float])?
        var classNames: [Int: [String]]
        /// File line of each row.
        var lines: [Int32]
        /// Each row's bytes in the buffer (an index parse), else nil.
        var spans: CSVRowSpans? = nil
    }

    /// A NUL byte is no CSV text (a binary file, or a C string cut short): an error at its
    /// line and field, found with one memchr over the file.
    static func rejectNUL(_ bytes: UnsafeBufferPointer<UInt8>, source: String) throws {
        guard let base = bytes.baseAddress, let hit = memchr(base, 0, bytes.count) else { return }
        let at = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - base
        var line = 1, field = 1
        for byte in bytes[..<at] {
            if byte == CSVCursor.Byte.newline {
                (line, field) = (line + 1, 1)
            } else if byte == UInt8(ascii: ",") {
                field += 1
            }
        }
        throw CSVError(source: source, line: line, field: field, .nulByte)
    }

    /// The "\n" bytes among the `count` at p.
    static func countNewlines(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int {
        var n = 0, q = UnsafeRawPointer(p)
        let end = q + count
        while let hit = memchr(q, Int32(CSVCursor.Byte.newline), end - q) {
            n += 1
            q = UnsafeRawPointer(hit) + 1
        }
        return n
    }

    /// Parses `bytes`, which must end with "\n" (the loaders append one). `split`, if
    /// given, is the column (a label) to return apart from the matrix.
    ///
    /// `compact`: the matrix comes back as `samples` (`SampleStore`: one byte a value when
    /// all are whole numbers 0...255), read a block of rows at a time, so no Float32 copy of
    /// the whole file is made; that takes a split column, no other text column and no
    /// interpolation (otherwise `matrix` is filled as usual). `index` (with `compact`): every
    /// row is parsed and checked the same way, but the matrix is not kept; `spans` says
    /// where each row lies instead (a streamed CSV reads its rows again from there).
    /// `release(p)` is told that the bytes before p are done with (a mapped file gives
    /// their pages back).
    func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, split: CSV.Column? = nil, compact: Bool = false, index: Bool = false,
        release: (UnsafePointer<UInt8>) -> Void = { _ in }
    ) throws -> Output {
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw CSVError(source: source, .emptyFile) }
        precondition(base[bytes.count - 1] == CSVCursor.Byte.newline, "CSV buffer must end with a newline")
        // The NUL check and the newline count go over the file in chunks, each given back
        // once counted, so a large mapped file is never resident as a whole.
        let chunk = 8 << 20
        var newlines = 0
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            let piece = UnsafeBufferPointer(rebasing: bytes[start..<min(start + chunk, bytes.count)])
            if memchr(piece.baseAddress!, 0, piece.count) != nil { try CSVParser.rejectNUL(bytes, source: source) }
            newlines += CSVParser.countNewlines(piece.baseAddress!, piece.count)
            release(piece.baseAddress! + piece.count)
        }
        var cursor = CSVCursor(base: base, end: base + bytes.count, source: source)
        let names = try cursor.header()
        let width = names.count
        var textColumns: [Int] = []
        for column in options.textColumns {
            let j = try CSV.resolve(column, in: names, source: source)
            if !textColumns.contains(j) { textColumns.append(j) }
        }
        let splitColumn = try split.map { try CSV.resolve($0, in: names, source: source) }
        let layout = CSVLayout(width: width, split: splitColumn)

        // Every data row ends in "\n", so the newlines after the header bound the row count.
        let maxRows =
            newlines - UnsafeBufferPointer(start: base, count: cursor.p - base).count { $0 == CSVCursor.Byte.newline }
        guard maxRows > 0 else { throw CSVError(source: source, .noDataRows) }

        var reader = CSVRowReader(
            cursor: cursor, names: names, textColumns: textColumns, missing: options.missing, layout: layout)
        var splitValues = [Float](repeating: 0, count: splitColumn == nil ? 0 : maxRows)
        let compacts =
            compact && splitColumn != nil && textColumns.allSatisfy { $0 == splitColumn }
            && options.missing != .interpolate
        var samples: SampleStore? = nil
        // At least one element, so the buffer has an address even when every column is split off.
        var matrix = try [Float](unsafeUninitializedCapacity: compacts ? 0 : max(maxRows * layout.matrixWidth, 1)) {
            buffer, initialized in
            initialized = 0
            guard !compacts else { return }
            try splitValues.withUnsafeMutableBufferPointer { splitBuffer in
                try reader.read(into: buffer.baseAddress!, split: splitBuffer.baseAddress)
            }
            initialized = reader.count * layout.matrixWidth
        }
        precondition(compacts || !index, "an index parse takes what a compact parse takes")
        if compacts {
            if index { reader.spans = CSVRowSpans(capacity: maxRows) }
            samples = try splitValues.withUnsafeMutableBufferPointer {
                try CSVCompactRows.read(
                    &reader, maxRows: maxRows, width: layout.matrixWidth, split: $0.baseAddress!, keep: !index,
                    release: release)
            }
        }
        let rows = reader.count
        if rows == 0 { throw CSVError(source: source, reader.dropped > 0 ? .everyRowDropped : .noDataRows) }
        splitValues.removeLast(splitValues.count - (splitColumn == nil ? 0 : rows))

        // Column j: `stride` apart from its first cell, in the matrix or the split array.
        func withColumn<R>(_ j: Int, _ body: (UnsafeMutablePointer<Float>, _ stride: Int) throws -> R) rethrows -> R {
            if j == splitColumn {
                return try splitValues.withUnsafeMutableBufferPointer { try body($0.baseAddress!, 1) }
            }
            let offset = layout.matrixColumn(j)
            return try matrix.withUnsafeMutableBufferPointer { try body($0.baseAddress! + offset, layout.matrixWidth) }
        }
        var classNames: [Int: [String]] = [:]
        for (slot, j) in textColumns.enumerated() where reader.isText[slot] {
            let cells = reader.cells[slot]
            let strings = try cells.map { cell -> String in
                if cell.missing {
                    throw CSVError(source: source, line: cell.line, field: j + 1, .missingClassName(column: names[j]))
                }
                return cursor.text(cell.field)
            }
            classNames[j] = try withColumn(j) { cellPointer, stride in
                try CSVColumns.assignClassIDs(
                    strings, lines: cells.map(\.line), to: cellPointer, stride: stride,
                    given: options.classNames, source: source, column: j, columnName: names[j])
            }
            reader.holes[j] = false
        }
        for j in 0..<width where reader.holes[j] {
            try withColumn(j) { cellPointer, stride in
                try CSVColumns.interpolate(
                    cellPointer, stride: stride, rows: rows, source: source, columnName: names[j])
            }
        }
        return Output(
            names: names, rows: rows, matrix: matrix, samples: samples, split: splitColumn.map { ($0, splitValues) },
            classNames: classNames, lines: reader.lines, spans: reader.spans)
    }
}

/// Where each column goes: the matrix holds every column but `split`, in order.
struct CSVLayout {
    let width: Int
    /// The split-off column, or `width` when none is.
    let split: Int
    var matrixWidth: Int { split < width ? width - 1 : width }

    init(width: Int, split: Int?) {
        self.width = width
        self.split = split ?? width
    }

    @inline(__always)
    func matrixColumn(_ j: Int) -> Int { j > split ? j - 1 : j }
}
