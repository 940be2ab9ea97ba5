/// A JSON syntax error at a 1-based line and column (columns count characters).
public struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String { "line \(line), column \(column): \(message)" }
}

extension JSON {
    /// Parses strict JSON (RFC 8259): no comments, no trailing commas, no duplicate keys.
    public static func parse(_ text: String) throws -> JSON {
        var parser = JSONParser(bytes: Array(text.utf8))
        return try parser.parseDocument()
    }

    /// Parses strict JSON from UTF-8 bytes (a file's, or a safetensors header's);
    /// strings that are not valid UTF-8 are errors.
    public static func parse<Bytes: Collection<UInt8>>(bytes: Bytes) throws -> JSON {
        var parser = JSONParser(bytes: Array(bytes))
        return try parser.parseDocument()
    }
}

/// A recursive-descent parser over UTF-8 bytes.
struct JSONParser {
    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0
    private static let maxDepth = 512

    init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }  // UTF-8 byte order mark
    }

    mutating func parseDocument() throws -> JSON {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard position == bytes.count else { throw error("expected end of input after the value, got \(found)") }
        return value
    }

    private mutating func parseValue() throws -> JSON {
        guard let byte = peek else { throw error("expected a value, got end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try nested { try $0.parseObject() }
        case UInt8(ascii: "["): return try nested { try $0.parseArray() }
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        case UInt8(ascii: "/"): throw error("expected a value, got '/' (JSON has no comments)")
        default: throw error("expected a value, got \(found)")
        }
    }

    private mutating func nested(_ body: (inout JSONParser) throws -> JSON) throws -> JSON {
        depth += 1
        defer { depth -= 1 }
        guard depth <= JSONParser.maxDepth else {
            throw error("expected at most \(JSONParser.maxDepth) levels of nesting")
        }
        return try body(&self)
    }

    private mutating func parseObject() throws -> JSON {
        position += 1  // {
        var object = JSON.Object()
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            position += 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else {
                let hint = peek == UInt8(ascii: "}") ? " (JSON allows no trailing comma)" : ""
                throw error("expected a string key, got \(found)\(hint)")
            }
            let keyStart = position
            let key = try parseString()
            guard object[key] == nil else { throw error("duplicate key \(JSON.quote(key))", at: keyStart) }
            skipWhitespace()
            try expect(":", "after the key \(JSON.quote(key))")
            skipWhitespace()
            object[key] = try parseValue()
            skipWhitespace()
            if peek == UInt8(ascii: ",") {
                position += 1
            } else if peek == UInt8(ascii: "}") {
                position += 1
                return .object(object)
            } else {
                throw error("expected ',' or '}' after an object member, got \(found)")
            }
        }
    }

    private mutating func parseArray() throws -> JSON {
        position += 1  // [
        var items: [JSON] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            if peek == UInt8(ascii: "]") { throw error("expected a value, got ']' (JSON allows no trailing comma)") }
            items.append(try parseValue())
            skipWhitespace()
            if peek == UInt8(ascii: ",") {
                position += 1
            } else if peek == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            } else {
                throw error("expected ',' or ']' after an array element, got \(found)")
            }
        }
    }

    private mutating func parseString() throws -> String {
        position += 1  // opening quote
        var utf8: [UInt8] = []
        while true {
            guard let byte = peek else { throw error("expected '\"' to close the string, got end of input") }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let string = String(validating: utf8, as: UTF8.self) else {
                    throw error("expected a string of valid UTF-8")
                }
                return string
            case UInt8(ascii: "\\"):
                position += 1
                utf8.append(contentsOf: String(try parseEscape()).utf8)
            case 0..<0x20:
                let what = byte == UInt8(ascii: "\n") ? "a line break" : "a control character"
                throw error("expected '\"' to close the string, got \(what) (escape it)")
            default:
                utf8.append(byte)
                position += 1
            }
        }
    }

    /// After a backslash: one escape, including \uXXXX surrogate pairs.
    private mutating func parseEscape() throws -> Unicode.Scalar {
        guard let byte = peek else { throw error("expected an escape character, got end of input") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{8}"
        case UInt8(ascii: "f"): return "\u{C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try parseHex4()
            if (0xD800..<0xDC00).contains(high) {
                guard bytes[position...].starts(with: Array("\\u".utf8)) else {
                    throw error("expected a low surrogate \\uDC00-\\uDFFF after \\u\(String(high, radix: 16))")
                }
                position += 2
                let low = try parseHex4()
                guard (0xDC00..<0xE000).contains(low) else {
                    throw error("expected a low surrogate \\uDC00-\\uDFFF, got \\u\(String(low, radix: 16))")
                }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(high) else {
                throw error("expected a high surrogate before \\u\(String(high, radix: 16))")
            }
            return scalar
        default:
            position -= 1
            throw error("expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX), got \(found)")
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek, let digit = Character(Unicode.Scalar(byte)).hexDigitValue else {
                throw error("expected 4 hex digits after \\u, got \(found)")
            }
            value = value * 16 + UInt32(digit)
            position += 1
        }
        return value
    }

    private mutating func parseNumber() throws -> Double {
        let start = position
        if peek == UInt8(ascii: "-") { position += 1 }
        if peek == UInt8(ascii: "0") {
            position += 1
            if let byte = peek, isDigit(byte) { throw error("expected no leading zeros in a number") }
        } else {
            try digits("expected a digit")
        }
        if peek == UInt8(ascii: ".") {
            position += 1
            try digits("expected a digit after the decimal point")
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            try digits("expected a digit in the exponent")
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw error("expected a number within double range, got \(text)", at: start)
        }
        return value
    }

    private mutating func digits(_ message: String) throws {
        guard let byte = peek, isDigit(byte) else { throw error("\(message), got \(found)") }
        while let byte = peek, isDigit(byte) { position += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private mutating func parseLiteral(_ word: String, _ value: JSON) throws -> JSON {
        let utf8 = Array(word.utf8)
        guard bytes[position...].starts(with: utf8) else {
            throw error("expected a value, got \(found)")
        }
        position += utf8.count
        return value
    }

    private mutating func expect(_ char: Character, _ context: String) throws {
        guard peek == char.asciiValue else { throw error("expected '\(char)' \(context), got \(found)") }
        position += 1
    }

    private mutating func skipWhitespace() {
        while let byte = peek,
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t")
                || byte == UInt8(ascii: "\r")
        {
            position += 1
        }
    }

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    /// The text at the current position, for messages: 'x', a word, or "end of input".
    private var found: String {
        guard position < bytes.count else { return "end of input" }
        var end = position
        let isWordByte = { (b: UInt8) in
            b >= 0x80 || Character(Unicode.Scalar(b)).isLetter || Character(Unicode.Scalar(b)).isNumber
        }
        while end < bytes.count, end - position < 20, isWordByte(bytes[end]) { end += 1 }
        if end == position { end += 1 }
        return "'" + String(decoding: bytes[position..<end], as: UTF8.self) + "'"
    }

    /// An error at `offset` (default: the current position), with its line and column.
    private func error(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        let offset = min(offset ?? position, bytes.count)
        var line = 1
        var lineStart = 0
        for i in 0..<offset where bytes[i] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 1
        }
        let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
        return JSONSyntaxError(line: line, column: column, message: message)
    }
}
