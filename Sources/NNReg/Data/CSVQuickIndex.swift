#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension CSVParser {
    /// A streamed CSV's index found without parsing the cells: each row's bytes by a scan
    /// for line breaks (memchr), and its label from the label field alone. It reads text
    /// at about the speed of memory, so training starts soon on any size; the other cells
    /// are checked as each row's batch is parsed (an error then names file:line:field as
    /// the full parse would).
    ///
    /// Only text the scan reads the same way as the full parse: no quote anywhere (a
    /// quoted field may hold line breaks and commas), and every label a finite number.
    /// Otherwise nil, and the caller parses every row (`parse(_:split:compact:index:)`),
    /// which also names any problem the scan met (a missing label, a short row).
    func quickIndex(
        _ bytes: UnsafeBufferPointer<UInt8>, label: CSV.Column, release: (UnsafePointer<UInt8>) -> Void
    ) throws -> Output? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        precondition(base[bytes.count - 1] == CSVCursor.Byte.newline, "CSV buffer must end with a newline")
        let end = base + bytes.count
        let chunk = 8 << 20
        var newlines = 0
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            let n = min(chunk, bytes.count - start)
            if memchr(base + start, 0, n) != nil { try CSVParser.rejectNUL(bytes, source: source) }
            if memchr(base + start, Int32(CSVCursor.Byte.quote), n) != nil { return nil }
            newlines += CSVParser.countNewlines(base + start, n)
            release(base + start + n)
        }
        var cursor = CSVCursor(base: base, end: end, source: source)
        let names = try cursor.header()
        let j = try CSV.resolve(label, in: names, source: source)
        // At most one row a line break: the index is allocated once, never grown by doubling.
        var spans = CSVRowSpans(capacity: newlines), labels: [Float] = [], lines: [Int32] = []
        labels.reserveCapacity(newlines)
        lines.reserveCapacity(newlines)
        var p = cursor.p, line = cursor.line, released = p
        while p < end {
            let rowEnd =
                UnsafePointer(memchr(p, Int32(CSVCursor.Byte.newline), end - p)!.assumingMemoryBound(to: UInt8.self))
                + 1
            var fieldsEnd = rowEnd - 1
            if fieldsEnd > p && fieldsEnd[-1] == CSVCursor.Byte.carriageReturn { fieldsEnd -= 1 }
            if fieldsEnd > p {  // not a blank line
                guard let field = Self.field(j, of: names.count, in: p, fieldsEnd),
                    let value = DecimalFloat.parse(field.start, field.end), value.isFinite
                else { return nil }
                labels.append(value)
                spans.starts.append(p - base)
                spans.ends.append(rowEnd - base)
                lines.append(Int32(clamping: line))
            }
            (p, line) = (rowEnd, line + 1)
            if p - released >= chunk {
                release(p)
                released = p
            }
        }
        guard !labels.isEmpty else { return nil }
        return Output(
            names: names, rows: labels.count, matrix: [], split: (j, labels), classNames: [:], lines: lines,
            spans: spans)
    }

    /// Field j (0-based) of a row of `width` fields in [p, end), spaces and tabs trimmed:
    /// the last by a search back for its comma, any other by counting commas; nil when
    /// the row has too few fields.
    private static func field(_ j: Int, of width: Int, in p: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>)
        -> CSVField?
    {
        let comma = Int32(CSVCursor.Byte.comma)
        func after(_ hit: UnsafeMutableRawPointer) -> UnsafePointer<UInt8> {
            UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) + 1
        }
        var a = p, b = end
        if j == width - 1 && j > 0 {
            a = end
            while a > p && a[-1] != CSVCursor.Byte.comma { a -= 1 }
            guard a > p else { return nil }
        } else {
            for _ in 0..<j {
                guard let hit = memchr(a, comma, end - a) else { return nil }
                a = after(hit)
            }
            if let hit = memchr(a, comma, end - a) { b = after(hit) - 1 }
        }
        while a < b && (a.pointee == CSVCursor.Byte.space || a.pointee == CSVCursor.Byte.tab) { a += 1 }
        while b > a && (b[-1] == CSVCursor.Byte.space || b[-1] == CSVCursor.Byte.tab) { b -= 1 }
        return CSVField(start: a, end: b, escaped: false)
    }
}
