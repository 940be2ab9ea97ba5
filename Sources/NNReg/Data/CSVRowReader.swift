/// The data rows: numbers into the matrix, text columns and missing cells noted.
struct CSVRowReader {
    var cursor: CSVCursor
    let names: [String]
    let textColumns: [Int]
    let missing: CSV.MissingPolicy
    let layout: CSVLayout
    /// Rows kept, and rows dropped for a missing value.
    var count = 0
    var dropped = 0
    /// The file line of each kept row (1-based, the header is line 1), for later messages.
    var lines: [Int32] = []
    /// Where each kept row's text lies, when asked for (a streamed CSV's index).
    var spans: CSVRowSpans?
    /// Per text column: every kept row's cell, and whether any was not a number.
    var cells: [[TextCell]]
    var isText: [Bool]
    /// Columns with NaN cells to interpolate.
    var holes: [Bool]

    struct TextCell {
        var field: CSVField
        var missing: Bool
        var line: Int
    }

    init(cursor: CSVCursor, names: [String], textColumns: [Int], missing: CSV.MissingPolicy, layout: CSVLayout) {
        self.cursor = cursor
        self.names = names
        self.textColumns = textColumns
        self.missing = missing
        self.layout = layout
        cells = Array(repeating: [], count: textColumns.count)
        isText = Array(repeating: false, count: textColumns.count)
        holes = Array(repeating: false, count: names.count)
    }

    /// pandas' default `na_values` (pandas/_libs/parsers.pyx, STR_NA_VALUES); "" is handled first.
    static let missingMarkers: Set<[UInt8]> = Set(
        [
            "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
            "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
        ].map { Array($0.utf8) })

    /// Reads the remaining rows, or the next `limit` kept rows: the split-off column into
    /// `split`, one value per kept row (indexed by `count`); the others into `matrix`,
    /// `layout.matrixWidth` values per kept row, row `count - firstRow` (so a block of
    /// rows at a time can be read into one small buffer).
    mutating func read(
        into matrix: UnsafeMutablePointer<Float>, split: UnsafeMutablePointer<Float>?, firstRow: Int = 0,
        limit: Int = .max
    ) throws {
        let width = names.count
        let matrixWidth = layout.matrixWidth
        let splitColumn = layout.split
        // -1, or the column's index in textColumns.
        var textSlot = [Int](repeating: -1, count: width)
        for (slot, j) in textColumns.enumerated() { textSlot[j] = slot }
        let firstText = textColumns.min() ?? width
        while cursor.p < cursor.end && count - firstRow < limit {
            if cursor.atBlankLine {
                cursor.skipBlankLines()
                continue
            }
            let rowLine = cursor.line
            let rowStart = cursor.p
            let row = matrix + (count - firstRow) * matrixWidth
            var column = 0
            var dropRow = false
            repeat {
                if column < width {
                    let cell =
                        column == splitColumn ? split! + count : row + (column > splitColumn ? column - 1 : column)
                    let start = cursor.p
                    let line = cursor.line
                    // Fast paths: an integer, then any plain decimal, up to the field's terminator.
                    var stop = start
                    var isNumber = false
                    if let v = DecimalFloat.scanInteger(start, &stop), cursor.isTerminator(stop) {
                        cell.pointee = v
                        isNumber = true
                    } else {
                        let (outcome, decimalStop) = DecimalFloat.scan(start, cursor.end)
                        if case .value(let v) = outcome, cursor.isTerminator(decimalStop) {
                            cell.pointee = v
                            stop = decimalStop
                            isNumber = true
                        }
                    }
                    var field = CSVField(start: start, end: stop, escaped: false)
                    var isMissing = false
                    if isNumber {
                        cursor.p = stop
                    } else {
                        field = try cursor.scanField(column + 1)
                        isMissing = try readCell(
                            field, into: cell, column: column, line: line, textSlot: textSlot[column])
                        if isMissing && missing == .drop { dropRow = true }
                    }
                    if column >= firstText && textSlot[column] >= 0 {
                        cells[textSlot[column]].append(TextCell(field: field, missing: isMissing, line: line))
                    }
                } else {
                    _ = try cursor.scanField(column + 1)
                }
                column += 1
            } while !cursor.endOfField()
            if column != width {
                throw CSVError(source: cursor.source, line: rowLine, .raggedRow(expected: width, got: column))
            }
            if dropRow {
                dropped += 1
                for slot in cells.indices { cells[slot].removeLast() }
            } else {
                count += 1
                // Rows past line 2^31 - 1 are named at that line: a message, never a trap.
                lines.append(Int32(clamping: rowLine))
                if spans != nil {
                    spans!.starts.append(rowStart - cursor.base)
                    spans!.ends.append(cursor.p - cursor.base)
                }
            }
        }
    }

    /// The general path for one cell: a number, a missing value, a class name in a text
    /// column, or an error. Returns true when the cell is missing.
    private mutating func readCell(
        _ field: CSVField, into cell: UnsafeMutablePointer<Float>, column: Int, line: Int, textSlot: Int
    ) throws -> Bool {
        let value = field.escaped ? nil : DecimalFloat.parse(field.start, field.end)
        if let value, value.isFinite {
            cell.pointee = value
            return false
        }
        let bytes = Array(UnsafeBufferPointer(start: field.start, count: field.end - field.start))
        if bytes.isEmpty || value?.isNaN == true || (!field.escaped && Self.missingMarkers.contains(bytes)) {
            switch missing {
            case .error:
                throw CSVError(
                    source: cursor.source, line: line, field: column + 1, .missingValue(column: names[column]))
            case .drop:
                break
            case .interpolate:
                cell.pointee = .nan
                holes[column] = true
            }
            return true
        }
        if textSlot >= 0 {
            isText[textSlot] = true
            cell.pointee = 0  // the class id is written once the whole column is known
            return false
        }
        let text = cursor.text(field)
        if value != nil {
            throw CSVError(
                source: cursor.source, line: line, field: column + 1, .notFinite(text, column: names[column]))
        }
        throw CSVError(source: cursor.source, line: line, field: column + 1, .notANumber(text, column: names[column]))
    }
}
