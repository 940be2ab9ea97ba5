/// A JSON value. Objects keep their keys in file (insertion) order, so a printed spec
/// reads in the order it was written; equality ignores that order.
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object(Object)

    /// A JSON object: unique keys in insertion order.
    public struct Object: Equatable, Sendable, Sequence {
        public private(set) var keys: [String] = []
        private var values: [String: JSON] = [:]

        public init() {}

        /// Members in order; a repeated key keeps its first position and its last value.
        public init(_ members: [(String, JSON)]) {
            for (key, value) in members { self[key] = value }
        }

        public var count: Int { keys.count }

        /// Assigning nil removes the key.
        public subscript(key: String) -> JSON? {
            get { values[key] }
            set {
                if newValue == nil {
                    keys.removeAll { $0 == key }
                } else if values[key] == nil {
                    keys.append(key)
                }
                values[key] = newValue
            }
        }

        /// Members in key order.
        public func makeIterator() -> AnyIterator<(key: String, value: JSON)> {
            var index = 0
            return AnyIterator {
                guard index < keys.count else { return nil }
                defer { index += 1 }
                return (keys[index], values[keys[index]]!)
            }
        }

        /// The members as an unordered dictionary.
        public var dictionary: [String: JSON] { values }

        public static func == (a: Object, b: Object) -> Bool { a.values == b.values }
    }
}

// MARK: - Reading

extension JSON {
    public var isNull: Bool { self == .null }

    /// A short name of the value's kind, for messages: "a number", "an object".
    public var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var doubleValue: Double? { if case .number(let d) = self { return d } else { return nil } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: Object? { if case .object(let o) = self { return o } else { return nil } }

    /// The number as an Int when it is integral and exactly representable (|n| <= 2^53).
    public var intValue: Int? {
        guard let d = doubleValue, d.rounded() == d, abs(d) <= 9_007_199_254_740_992 else { return nil }
        return Int(d)
    }

    /// A number written from a Float by its shortest decimal form, so 0.001 stays 0.001
    /// rather than becoming 0.0010000000474974513.
    public init(_ value: Float) {
        self = .number(Double(value.description) ?? Double(value))
    }

    public init(_ value: Int) { self = .number(Double(value)) }
}

extension JSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(Object(elements)) }
}

// MARK: - Printing

extension JSON {
    /// Multi-line JSON with 2-space indentation, keys in object order. Arrays of scalars
    /// and containers whose one-line form is short stay on one line:
    /// `"kernel_size": [3, 3]`, `"kernel_regularizer": {"l1": 0, "l2": 0.0001}`.
    public func pretty() -> String {
        var out = ""
        write(to: &out, indent: "")
        return out
    }

    /// One-line JSON, as used in error messages: `{"l2": 0.0001}`.
    public func compact() -> String {
        switch self {
        case .array(let items):
            return "[" + items.map { $0.compact() }.joined(separator: ", ") + "]"
        case .object(let object):
            let members = object.map { JSON.quote($0.key) + ": " + $0.value.compact() }
            return "{" + members.joined(separator: ", ") + "}"
        default:
            return scalarText
        }
    }

    private func write(to out: inout String, indent: String) {
        if !isScalar && (fitsOnOneLine || arrayValue?.allSatisfy(\.isScalar) == true) {
            out += compact()
            return
        }
        switch self {
        case .array(let items):
            let inner = indent + "  "
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += inner
                item.write(to: &out, indent: inner)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let object):
            let inner = indent + "  "
            out += "{\n"
            for (i, member) in object.enumerated() {
                out += inner + JSON.quote(member.key) + ": "
                member.value.write(to: &out, indent: inner)
                out += i + 1 < object.count ? ",\n" : "\n"
            }
            out += indent + "}"
        default:
            out += scalarText
        }
    }

    /// Short enough to print inline: 60 characters of compact JSON.
    private var fitsOnOneLine: Bool { compact().count <= 60 }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    private var scalarText: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return JSON.quote(s)
        case .number(let d): return JSON.format(d)
        case .array, .object: return compact()
        }
    }

    /// Integral values print without a fraction (50, not 50.0); others by Swift's
    /// shortest round-tripping form (0.001, 1e-07). JSON has no NaN or infinity.
    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) }
        return d.description
    }

    /// `s` as a JSON string literal, escaped as serde_json does (the writer the safetensors
    /// reference uses): `\"`, `\\`, `\b \f \n \r \t`, other control characters as `\u00xx`,
    /// everything else (`/` and non-ASCII included) verbatim.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
