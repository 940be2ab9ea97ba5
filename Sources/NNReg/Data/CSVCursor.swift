/// A field's bytes, inside the quotes if it had them, spaces and tabs trimmed.
struct CSVField {
    var start: UnsafePointer<UInt8>
    var end: UnsafePointer<UInt8>
    /// Quoted content holding "" pairs: text, never a number.
    var escaped: Bool
}

/// A position in the buffer, and the line it is on.
struct CSVCursor {
    enum Byte {
        static let comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        static let quote = UInt8(ascii: "\""), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
    }

    let base: UnsafePointer<UInt8>
    /// One past the last byte, which is "\n": every scan below stops in bounds, and a
    /// "\r" or a quote always has a next byte.
    let end: UnsafePointer<UInt8>
    let source: String
    var p: UnsafePointer<UInt8>
    var line = 1

    init(base: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>, source: String) {
        self.base = base
        self.end = end
        self.source = source
        self.p = base
    }

    /// Scans field number `field` (1-based, for errors), leaving `p` on its terminator:
    /// ",", "\n" or the "\r" of "\r\n".
    @inline(__always)
    mutating func scanField(_ field: Int) throws -> CSVField {
        var q = p
        while q.pointee == Byte.space || q.pointee == Byte.tab { q += 1 }
        if q.pointee != Byte.quote {
            let start = q
            while true {
                let c = q.pointee
                if c == Byte.comma || c == Byte.newline || (c == Byte.carriageReturn && q[1] == Byte.newline) { break }
                q += 1
            }
            var b = q
            while b > start && (b[-1] == Byte.space || b[-1] == Byte.tab) { b -= 1 }
            p = q
            return CSVField(start: start, end: b, escaped: false)
        }
        let startLine = line
        q += 1
        let start = q
        var escaped = false
        while true {
            let c = q.pointee
            if c == Byte.quote {
                if q[1] != Byte.quote { break }
                escaped = true
                q += 2
                continue
            }
            if c == Byte.newline {
                if q + 1 == end { throw CSVError(source: source, line: startLine, field: field, .unterminatedQuote) }
                line += 1
            }
            q += 1
        }
        let contentEnd = q
        q += 1
        while q.pointee == Byte.space || q.pointee == Byte.tab { q += 1 }
        let c = q.pointee
        guard c == Byte.comma || c == Byte.newline || (c == Byte.carriageReturn && q[1] == Byte.newline) else {
            throw CSVError(source: source, line: line, field: field, .textAfterQuote)
        }
        p = q
        var a = start
        var b = contentEnd
        while a < b && (a.pointee == Byte.space || a.pointee == Byte.tab) { a += 1 }
        while b > a && (b[-1] == Byte.space || b[-1] == Byte.tab) { b -= 1 }
        return CSVField(start: a, end: b, escaped: escaped)
    }

    /// Steps over the terminator at `p`; true when it ended the row.
    @inline(__always)
    mutating func endOfField() -> Bool {
        let c = p.pointee
        if c == Byte.comma {
            p += 1
            return false
        }
        p += c == Byte.carriageReturn ? 2 : 1
        line += 1
        return true
    }

    /// True when `q` is on a field terminator: ",", "\n" or "\r\n".
    @inline(__always)
    func isTerminator(_ q: UnsafePointer<UInt8>) -> Bool {
        let c = q.pointee
        return c == Byte.comma || c == Byte.newline || (c == Byte.carriageReturn && q[1] == Byte.newline)
    }

    /// True when `p` is at the start of an empty line.
    @inline(__always)
    var atBlankLine: Bool { p.pointee == Byte.newline || (p.pointee == Byte.carriageReturn && p[1] == Byte.newline) }

    /// The header row's column names, at the start of a buffer: a byte order mark and
    /// blank lines skipped, quoted names unescaped; the cursor is left on the first data row.
    mutating func header() throws -> [String] {
        if end - p >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF { p += 3 }
        skipBlankLines()
        guard p < end else { throw CSVError(source: source, .emptyFile) }
        var names: [String] = []
        repeat {
            let field = try scanField(names.count + 1)
            let name = text(field)
            if names.contains(name) {
                throw CSVError(source: source, line: line, field: names.count + 1, .duplicateColumn(name))
            }
            names.append(name)
        } while !endOfField()
        return names
    }

    mutating func skipBlankLines() {
        while p < end && atBlankLine {
            p += p.pointee == Byte.newline ? 1 : 2
            line += 1
        }
    }

    /// The field as a String; "" pairs in quoted content become ".
    func text(_ field: CSVField) -> String {
        let bytes = UnsafeBufferPointer(start: field.start, count: field.end - field.start)
        guard field.escaped else { return String(decoding: bytes, as: UTF8.self) }
        var unescaped: [UInt8] = []
        var previousWasQuote = false
        for c in bytes {
            if c == Byte.quote && previousWasQuote {
                previousWasQuote = false
                continue
            }
            previousWasQuote = c == Byte.quote
            unescaped.append(c)
        }
        return String(decoding: unescaped, as: UTF8.self)
    }
}
