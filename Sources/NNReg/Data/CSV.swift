#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Numeric CSV files: a header row of column names, then one row per sample.
///
/// ```swift
/// let train = try CSV.readLabeled("data/fashion-mnist/train.csv", label: .name("label"))
/// // train.features: 60000 x 784 row-major, train.labels: 60000 class ids
/// ```
/// The whole file is read into memory and parsed byte by byte (see `CSVParser`); every
/// problem is a `CSVError` naming file:line:field.
public enum CSV {
    /// What a missing value (an empty cell, or NA, NaN, null, ...) does: spec `data.missing`.
    public enum MissingPolicy: String, Sendable, CaseIterable {
        /// Stop at the first one, naming file:line:field (the default).
        case error
        /// Leave out every row that has one.
        case drop
        /// Linear interpolation along the rows of the column; leading and trailing gaps
        /// take the nearest value.
        case interpolate
    }

    /// A column named by its header text, its 0-based position, or the last column.
    public enum Column: Hashable, Sendable, CustomStringConvertible {
        case name(String)
        case index(Int)
        case last

        public var description: String {
            switch self {
            case .name(let name): return "\"\(name)\""
            case .index(let i): return "\(i)"
            case .last: return "last"
            }
        }
    }

    /// How to read a file.
    public struct Options: Sendable {
        public var missing: MissingPolicy
        /// Columns that may hold text (class names such as "cat"); a column that does is
        /// turned into class ids, and its names are in `CSVTable.classNames`. Any other
        /// non-numeric cell is an error.
        public var textColumns: [Column]
        /// Fixes the class ids of text columns (spec `data.class_names`): the id of a name
        /// is its index here. Default: the sorted distinct names.
        public var classNames: [String]?

        public init(missing: MissingPolicy = .error, textColumns: [Column] = [], classNames: [String]? = nil) {
            self.missing = missing
            self.textColumns = textColumns
            self.classNames = classNames
        }
    }

    /// Where CSV text comes from.
    public enum Source: Sendable {
        /// A file; "-" is standard input.
        case path(String)
        /// An open descriptor (a pipe, standard input), read to its end and left open;
        /// `name` stands for it in errors.
        case fileDescriptor(Int32, name: String)
        /// Bytes in memory; `name` stands for them in errors.
        case bytes([UInt8], name: String)

        /// How errors name the source: the path as given, "<stdin>" for "-".
        public var name: String {
            switch self {
            case .path(let path): return path == "-" ? "<stdin>" : path
            case .fileDescriptor(_, let name), .bytes(_, let name): return name
            }
        }
    }

    /// Reads a CSV file, or standard input when `path` is "-", as a table of numbers.
    public static func read(_ path: String, options: Options = Options()) throws -> CSVTable {
        try read(.path(path), options: options)
    }

    /// The header's column names: of a file, from its first line alone.
    public static func header(_ source: Source) throws -> [String] {
        switch source {
        case .bytes(let bytes, let name):
            return try SequenceBytes.header(bytes.last == 10 ? bytes : bytes + [10], source: name)
        case .path(let path) where path != "-":
            return try SequenceBytes.header(try DataShape.firstLines(path, count: 1), source: path)
        default: preconditionFailure("read a stream into bytes before looking at its header")
        }
    }

    /// Everything from the descriptor `fd` (standard input: 0), bounded like every stream.
    public static func readAll(_ fd: Int32, name: String) throws -> [UInt8] { try FileBytes.read(fd, name: name) }

    /// Reads CSV text as a table of numbers.
    public static func read(_ source: Source, options: Options = Options()) throws -> CSVTable {
        let output = try FileBytes.withContents(of: source) {
            try CSVParser(source: source.name, options: options).parse($0)
        }
        return CSVTable(
            source: source.name, columnNames: output.names, rowCount: output.rows, values: output.matrix,
            classNames: output.classNames, lines: output.lines)
    }

    /// Reads a labelled data set from a file, or standard input when `path` is "-":
    /// `label` (default: the last column) may hold numbers or class names; every other
    /// column is a numeric feature, in file order.
    public static func readLabeled(
        _ path: String, label: Column = .last, missing: MissingPolicy = .error, classNames: [String]? = nil
    ) throws -> LabeledCSV {
        try readLabeled(.path(path), label: label, missing: missing, classNames: classNames)
    }

    /// Reads a labelled data set from CSV text; see `readLabeled(_:label:missing:classNames:)`.
    public static func readLabeled(
        _ source: Source, label: Column = .last, missing: MissingPolicy = .error, classNames: [String]? = nil
    ) throws -> LabeledCSV {
        let options = Options(missing: missing, textColumns: [label], classNames: classNames)
        let output = try FileBytes.withContents(of: source) {
            try CSVParser(source: source.name, options: options).parse($0, split: label)
        }
        return LabeledCSV(output, source: source.name, features: output.matrix)
    }

    /// `readLabeled` with the features as compact samples (`SampleStore`: UInt8 when every
    /// feature value is a whole number 0...255, else Float32), parsed a block of rows at a
    /// time: no Float32 copy of the whole file, and a mapped file's text given back behind
    /// the parser. The returned table's `features` is empty.
    public static func readLabeledSamples(
        _ source: Source, label: Column = .last, missing: MissingPolicy = .error, classNames: [String]? = nil
    ) throws -> (table: LabeledCSV, samples: SampleStore) {
        let options = Options(missing: missing, textColumns: [label], classNames: classNames)
        let output = try FileBytes.withContents(
            of: source,
            releasing: { bytes, release in
                try CSVParser(source: source.name, options: options).parse(
                    bytes, split: label, compact: true, release: release)
            })
        let table = LabeledCSV(output, source: source.name, features: [])
        let samples =
            output.samples
            ?? output.matrix.withUnsafeBufferPointer {
                SampleStore.compacting($0.baseAddress!, shape: [output.rows, table.featureCount])
            }
        return (table, samples)
    }

    /// The 0-based index of `column` among `names`; the error suggests a close name.
    static func resolve(_ column: Column, in names: [String], source: String) throws -> Int {
        switch column {
        case .last:
            return names.count - 1
        case .index(let i):
            guard i >= 0 && i < names.count else {
                throw CSVError(source: source, .columnOutOfRange(i, columnCount: names.count))
            }
            return i
        case .name(let name):
            if let i = names.firstIndex(of: name) { return i }
            throw CSVError(
                source: source,
                .unknownColumn(name, suggestion: CSVError.suggestion(for: name, among: names), columns: names))
        }
    }

    /// How long `readLabeled` takes on a file: for `make bench`.
    public struct LoadTiming: Sendable {
        /// Best wall-clock seconds of the timed loads.
        public var seconds: Double
        /// Process CPU seconds (user + system) of that same load: steadier than wall time
        /// on a busy machine.
        public var cpuSeconds: Double
        public var rows: Int
        public var columns: Int
    }

    /// Times `repeats` calls to `readLabeledSamples(path)` (what training reads a CSV with)
    /// after one untimed call that also brings the file into the page cache; reports the fastest.
    public static func timeLoad(_ path: String, repeats: Int = 3) throws -> LoadTiming {
        var table = try readLabeledSamples(.path(path)).table
        var best = LoadTiming(
            seconds: .infinity, cpuSeconds: .infinity, rows: table.rowCount, columns: table.featureCount + 1)
        func now(_ clock: clockid_t) -> Double {
            var t = timespec()
            clock_gettime(clock, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
        }
        for _ in 0..<max(repeats, 1) {
            let wall = now(CLOCK_MONOTONIC)
            let cpu = now(CLOCK_PROCESS_CPUTIME_ID)
            table = try readLabeledSamples(.path(path)).table
            let seconds = now(CLOCK_MONOTONIC) - wall
            let cpuSeconds = now(CLOCK_PROCESS_CPUTIME_ID) - cpu
            if seconds < best.seconds { (best.seconds, best.cpuSeconds) = (seconds, cpuSeconds) }
        }
        return best
    }
}

/// A CSV file as numbers: named columns over a row-major Float matrix.
public struct CSVTable: Sendable {
    /// The file as the caller named it; "<stdin>" for standard input.
    public var source: String
    public var columnNames: [String]
    public var rowCount: Int
    /// rowCount x columnCount, row-major. A text column holds class ids.
    public var values: [Float]
    /// For each column that held text: its class names, in id order.
    public var classNames: [Int: [String]]
    /// The file line of each row (1-based; the header is line 1); empty when not known.
    public var lines: [Int32]

    public var columnCount: Int { columnNames.count }

    public init(
        source: String, columnNames: [String], rowCount: Int, values: [Float], classNames: [Int: [String]] = [:],
        lines: [Int32] = []
    ) {
        precondition(
            values.count == rowCount * columnNames.count,
            "\(values.count) values for \(rowCount) x \(columnNames.count)")
        self.source = source
        self.columnNames = columnNames
        self.rowCount = rowCount
        self.values = values
        self.classNames = classNames
        self.lines = lines
    }

    public subscript(row: Int, column: Int) -> Float { values[row * columnCount + column] }

    /// The 0-based index of `column`; the error names the file and suggests a close name.
    public func index(of column: CSV.Column) throws -> Int {
        try CSV.resolve(column, in: columnNames, source: source)
    }

    /// The values of column `j`, top to bottom.
    public func column(_ j: Int) -> [Float] {
        (0..<rowCount).map { values[$0 * columnCount + j] }
    }

    /// Splits off `label` as the target; the other columns, in order, are the features.
    public func labeled(by label: CSV.Column = .last) throws -> LabeledCSV {
        let j = try index(of: label)
        let width = columnCount
        let featureCount = width - 1
        let rows = rowCount
        var labels = [Float](repeating: 0, count: rows)
        let features = [Float](unsafeUninitializedCapacity: rows * featureCount) { out, initialized in
            values.withUnsafeBufferPointer { v in
                for r in 0..<rows {
                    let row = v.baseAddress! + r * width
                    let to = out.baseAddress! + r * featureCount
                    to.initialize(from: row, count: j)
                    (to + j).initialize(from: row + j + 1, count: featureCount - j)
                    labels[r] = row[j]
                }
            }
            initialized = rows * featureCount
        }
        var names = columnNames
        let labelName = names.remove(at: j)
        return LabeledCSV(
            source: source, featureNames: names, labelName: labelName, rowCount: rows,
            features: features, labels: labels, classNames: classNames[j])
    }
}

/// A labelled data set from a CSV file: features and one target per row.
public struct LabeledCSV: Sendable {
    public var source: String
    public var featureNames: [String]
    public var labelName: String
    public var rowCount: Int
    /// rowCount x featureCount, row-major.
    public var features: [Float]
    /// One per row: the class id, or the regression target.
    public var labels: [Float]
    /// The class names when the label column held text, in id order; nil for numbers.
    public var classNames: [String]?
    /// The file line of each row (1-based; the header is line 1).
    public var lines: [Int32] = []

    public var featureCount: Int { featureNames.count }
}

extension LabeledCSV {
    /// A labelled parse (`CSVParser.parse(_:split:...)`): its split column as the label,
    /// every other column a feature, with `features` (the matrix, or empty when the
    /// caller holds the samples elsewhere).
    init(_ output: CSVParser.Output, source: String, features: [Float]) {
        var featureNames = output.names
        let (j, labels) = output.split!
        let labelName = featureNames.remove(at: j)
        self.init(
            source: source, featureNames: featureNames, labelName: labelName, rowCount: output.rows,
            features: features, labels: labels, classNames: output.classNames[j], lines: output.lines)
    }
}

/// A field as CSV writers here quote it (RFC 4180): in double quotes, with quotes
/// doubled, when it holds a comma, a quote or a line break; unchanged otherwise.
func csvField(_ s: String) -> String {
    guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
    return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
