/// Why a CSV file cannot be used, and where: `train.csv:17:5: "abc" is not a number (column "pixel4")`.
///
/// `line` is the 1-based line of the file (the header is line 1); `field` is the 1-based
/// position of the cell in its row. Both are nil where the problem is the whole file.
public struct CSVError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The file could not be opened or read; the system's reason.
        case cannotRead(String)
        case emptyFile
        case noDataRows
        case raggedRow(expected: Int, got: Int)
        case notANumber(String, column: String)
        case notFinite(String, column: String)
        case missingValue(column: String)
        case unterminatedQuote
        case textAfterQuote
        case unknownColumn(String, suggestion: String?, columns: [String])
        case columnOutOfRange(Int, columnCount: Int)
        /// A missing cell in a column of class names, under the "interpolate" policy.
        case missingClassName(column: String)
        /// A class name that `class_names` does not list.
        case unknownClass(String, column: String, suggestion: String?)
        case nothingToInterpolate(column: String)
        case everyRowDropped
        case duplicateColumn(String)
        case nulByte
    }

    /// The file as the caller named it; "<stdin>" for standard input.
    public var source: String
    public var line: Int?
    public var field: Int?
    public var reason: Reason

    public init(source: String, line: Int? = nil, field: Int? = nil, _ reason: Reason) {
        self.source = source
        self.line = line
        self.field = field
        self.reason = reason
    }

    public var description: String {
        var place = source
        if let line { place += ":\(line)" }
        if let field { place += ":\(field)" }
        return place + ": " + message
    }

    private var message: String {
        switch reason {
        case .cannotRead(let why):
            return "cannot read: \(why)"
        case .emptyFile:
            return "empty file; expected a header row of column names, then one row per sample"
        case .noDataRows:
            return "no data rows after the header"
        case .raggedRow(let expected, let got):
            return "expected \(expected) fields, got \(got)"
        case .notANumber(let text, let column):
            return "\(quoted(text)) is not a number (column \(quoted(column)))"
        case .notFinite(let text, let column):
            return "\(quoted(text)) is not a finite Float (column \(quoted(column)))"
        case .missingValue(let column):
            return "missing value (column \(quoted(column))); "
                + "fill it in, or set data.missing to \"drop\" or \"interpolate\""
        case .unterminatedQuote:
            return "quoted field has no closing quote"
        case .textAfterQuote:
            return "unexpected text after the closing quote"
        case .unknownColumn(let name, let suggestion, let columns):
            if let suggestion { return "no column \(quoted(name)); did you mean \(quoted(suggestion))?" }
            let shown = columns.prefix(8).map(quoted).joined(separator: ", ")
            return "no column \(quoted(name)); the columns are \(shown)"
                + (columns.count > 8 ? ", ... (\(columns.count) in all)" : "")
        case .columnOutOfRange(let index, let count):
            return "column index \(index) is out of range; the file has \(count) columns (indices 0-\(count - 1))"
        case .missingClassName(let column):
            return "missing value in column \(quoted(column)) of class names cannot be interpolated; "
                + "fill it in, or set data.missing to \"drop\""
        case .unknownClass(let name, let column, let suggestion):
            return "\(quoted(name)) is not in class_names (column \(quoted(column)))"
                + (suggestion.map { "; did you mean \(quoted($0))?" } ?? "")
        case .nothingToInterpolate(let column):
            return "column \(quoted(column)) has no values to interpolate from"
        case .everyRowDropped:
            return "every row has a missing value; data.missing \"drop\" left no rows"
        case .duplicateColumn(let name):
            return "column name \(quoted(name)) appears twice in the header; columns are matched by name"
        case .nulByte:
            return "a NUL byte (0x00): this is not CSV text"
        }
    }

    /// Text from the file as a message shows it: quoted, control characters escaped, and
    /// cut to 40 characters (a 20 MB cell is named, not echoed).
    private func quoted(_ s: String) -> String {
        var shown = ""
        for scalar in s.unicodeScalars.prefix(40) {
            shown += scalar.value < 0x20 ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }
        let count = s.unicodeScalars.count
        return "\"" + shown + "\"" + (count > 40 ? "... (\(count) characters)" : "")
    }

    /// The closest of `candidates` to a misspelt `name`, if one is close enough to be a
    /// likely typo: at most max(1, length / 3) edits (adjacent swaps count once), case ignored.
    static func suggestion(for name: String, among candidates: [String]) -> String? {
        guard name.count <= 64 else { return nil }  // too long to be a typo of a column name
        let target = Array(name.lowercased())
        var best: (distance: Int, name: String)?
        for candidate in candidates {
            let d = editDistance(target, Array(candidate.lowercased()))
            if d < (best?.distance ?? .max) { best = (d, candidate) }
        }
        guard let best, best.distance <= max(1, target.count / 3), best.distance < target.count else { return nil }
        return best.name
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
