import Foundation

/// A time series read from a CSV for `data.sequence`: one row per time step, in file order.
///
/// ```
/// date,co2              timestamps  ["1958-03-29", "1958-04-05", ...]
/// 1958-03-29,316.1  ->  features    [316.1, 317.3, ...]   (rows x F, row-major)
/// 1958-04-05,317.3      target      [316.1, 317.3, ...]   (one per row)
/// ```
/// The timestamp column is the first column whose cells are all text that is not a
/// number (ISO dates, "1958-W13", ...): it labels the rows and is never a feature. A file
/// without one has its rows labelled 1, 2, ... (counting the rows kept). Every other
/// column used must be numeric; a stray word in it is the CSV reader's error naming
/// file:line:field. File order is time order: rows are not sorted.
public struct SequenceSeries: Sendable {
    /// The file as the caller named it; "<stdin>" for standard input.
    public var source: String
    /// The timestamp column's header, nil when the file has none.
    public var timestampColumn: String?
    /// One label per row: the timestamp cell, or the 1-based row number.
    public var timestamps: [String]
    public var featureNames: [String]
    public var targetName: String
    /// count x featureCount, row-major, raw (missing values already handled).
    public var features: [Float]
    /// One per row, raw: the target's values, or what `TargetTransform` made of them.
    public var target: [Float]
    /// The target's level at each row, raw: equal to `target` unless a transform replaced
    /// the target by its changes (then row t holds the level the change at t leads to).
    public var levels: [Float]
    /// The file line of each row (1-based; the header is line 1), for messages; empty
    /// when not known.
    public var lines: [Int32]

    public var count: Int { target.count }
    public var featureCount: Int { featureNames.count }
    /// Where the target is among the features; nil when it is not one of them.
    public var targetFeature: Int? { featureNames.firstIndex(of: targetName) }

    public init(
        source: String, timestampColumn: String?, timestamps: [String], featureNames: [String], targetName: String,
        features: [Float], target: [Float], levels: [Float]? = nil, lines: [Int32] = []
    ) {
        precondition(timestamps.count == target.count, "\(timestamps.count) timestamps for \(target.count) rows")
        precondition(
            features.count == target.count * featureNames.count,
            "\(features.count) feature values for \(target.count) rows x \(featureNames.count) features")
        self.source = source
        self.timestampColumn = timestampColumn
        self.timestamps = timestamps
        self.featureNames = featureNames
        self.targetName = targetName
        self.features = features
        self.target = target
        self.levels = levels ?? target
        self.lines = lines
        precondition(self.levels.count == target.count, "\(self.levels.count) levels for \(target.count) rows")
        precondition(lines.isEmpty || lines.count == target.count, "\(lines.count) lines for \(target.count) rows")
    }

    /// Where row `r` is, for messages: "file:line", or "file: row n" when lines are not known.
    public func location(_ r: Int) -> String { lines.isEmpty ? "\(source): row \(r + 1)" : "\(source):\(lines[r])" }

    /// Rows `range` (a chronological part), copied.
    public func rows(_ range: Range<Int>) -> SequenceSeries {
        let f = featureCount
        return SequenceSeries(
            source: source, timestampColumn: timestampColumn, timestamps: Array(timestamps[range]),
            featureNames: featureNames, targetName: targetName,
            features: Array(features[range.lowerBound * f..<range.upperBound * f]), target: Array(target[range]),
            levels: Array(levels[range]), lines: lines.isEmpty ? [] : Array(lines[range]))
    }

    /// Reads a series: `target` (default: the last column that is not the timestamp
    /// column) and `features` (default: every column but the timestamp column, the target
    /// included, in file order). `missing` is applied by the CSV reader to every column
    /// before anything else: "error" names file:line:field, "drop" leaves out each row
    /// with a missing cell in any column, "interpolate" fills numeric cells linearly
    /// along the rows (a missing timestamp cannot be interpolated: an error).
    public static func read(
        _ source: CSV.Source, target: CSV.Column?, features: [CSV.Column]?, missing: CSV.MissingPolicy
    ) throws -> SequenceSeries {
        let name = source.name
        let bytes = try SequenceBytes.contents(of: source)
        let names = try SequenceBytes.header(bytes, source: name)
        func resolve(_ column: CSV.Column) throws -> Int { try CSV.resolve(column, in: names, source: name) }
        let targetGiven = try target.map(resolve)
        let featuresGiven = try features.map { try $0.map(resolve) }
        if let featuresGiven, featuresGiven.isEmpty {
            throw DataError("\(name): data.sequence.features is empty; list at least one column, or leave it out")
        }
        // Columns the spec names must be numbers (the reader says where one is not);
        // any other column may hold text, so the timestamp column can be found.
        let named = Set((featuresGiven ?? []) + (targetGiven.map { [$0] } ?? []))
        let free = (0..<names.count).filter { !named.contains($0) }.map(CSV.Column.index)
        let table = try CSV.read(
            .bytes(bytes, name: name), options: CSV.Options(missing: missing, textColumns: free))
        // A text column with a number among its cells is a numeric column with a bad cell.
        let timestamp = table.classNames.keys.sorted().first { j in
            table.classNames[j]!.allSatisfy { Double($0) == nil }
        }
        let candidates = (0..<names.count).filter { $0 != timestamp }
        guard let lastColumn = candidates.last else {
            throw DataError(
                "\(name): the only column, \"\(names[timestamp!])\", holds timestamps; a series needs a numeric column")
        }
        let targetColumn = targetGiven ?? lastColumn
        let featureColumns = featuresGiven ?? candidates
        for j in featureColumns + [targetColumn] where table.classNames[j] != nil {
            // Read again with only the timestamp column allowed to hold text: the reader's
            // error names the first cell that is not a number.
            _ = try CSV.read(
                .bytes(bytes, name: name),
                options: CSV.Options(missing: missing, textColumns: timestamp.map { [.index($0)] } ?? []))
            throw DataError("\(name): column \"\(names[j])\" holds text; sequence features and targets are numbers")
        }
        let rows = table.rowCount
        let width = table.columnCount
        var x = [Float](repeating: 0, count: rows * featureColumns.count)
        var y = [Float](repeating: 0, count: rows)
        table.values.withUnsafeBufferPointer { v in
            for r in 0..<rows {
                let row = v.baseAddress! + r * width
                for (k, j) in featureColumns.enumerated() { x[r * featureColumns.count + k] = row[j] }
                y[r] = row[targetColumn]
            }
        }
        let labels: [String]
        if let timestamp {
            let ids = table.classNames[timestamp]!
            labels = (0..<rows).map { ids[Int(table[$0, timestamp])] }
        } else {
            labels = (1...rows).map(String.init)
        }
        return SequenceSeries(
            source: name, timestampColumn: timestamp.map { names[$0] }, timestamps: labels,
            featureNames: featureColumns.map { names[$0] }, targetName: names[targetColumn], features: x, target: y,
            lines: table.lines)
    }
}

/// Bytes of a CSV source and its header, for `SequenceSeries.read`, which needs the column
/// names before it can tell the reader which columns may hold text.
enum SequenceBytes {
    /// The whole source, ending with "\n" (standard input and descriptors are read once).
    static func contents(of source: CSV.Source) throws -> [UInt8] {
        var bytes: [UInt8]
        switch source {
        case .bytes(let b, _):
            bytes = b
        case .fileDescriptor(let fd, _):
            bytes = try readAll(FileHandle(fileDescriptor: fd, closeOnDealloc: false), source: source.name)
        case .path("-"):
            bytes = try readAll(FileHandle.standardInput, source: source.name)
        case .path(let path):
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw CSVError(source: path, .cannotRead(String(cString: strerror(errno)))) }
            bytes = try readAll(FileHandle(fileDescriptor: fd, closeOnDealloc: true), source: path)
        }
        if let last = bytes.last, last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        return bytes
    }

    private static func readAll(_ handle: FileHandle, source: String) throws -> [UInt8] {
        do {
            return [UInt8](try handle.readToEnd() ?? Data())
        } catch {
            throw CSVError(source: source, .cannotRead("\(error)"))
        }
    }

    /// The header row's column names (the same rules as `CSVParser`: byte order mark and
    /// blank lines skipped, quoted names unescaped). `bytes` ends with "\n".
    static func header(_ bytes: [UInt8], source: String) throws -> [String] {
        try bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { throw CSVError(source: source, .emptyFile) }
            var cursor = CSVCursor(base: base, end: base + buffer.count, source: source)
            return try cursor.header()
        }
    }
}
