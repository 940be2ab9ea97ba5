import Foundation

/// The safetensors weight format (https://github.com/huggingface/safetensors), written
/// byte for byte as the reference implementation writes it:
///
///     [8 bytes: header length n, little-endian u64]
///     [n bytes: JSON header, padded with spaces to a multiple of 8]
///     [data: the tensors' little-endian elements, back to back]
///
/// The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
/// (offsets relative to the data section) and the optional "__metadata__" to a
/// string-to-string map. Tensors are laid out in name order (byte-wise), the order the
/// reference uses for tensors of one dtype; nnreg writes only F32.
public enum SafeTensors {
    /// Headers larger than this are rejected, as the reference does.
    public static let maxHeaderBytes = 100_000_000

    /// Encodes `tensors` (name to tensor) and `metadata` as a safetensors file image.
    /// Empty `metadata` writes no "__metadata__" entry. Metadata keys are written in
    /// sorted order (the reference writes them in hash order).
    public static func encode(tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        let names = tensors.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var header = "{"
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            header += "\"__metadata__\":{"
            header += keys.map { JSON.quote($0) + ":" + JSON.quote(metadata[$0]!) }.joined(separator: ",")
            header += "}"
        }
        var offset = 0
        for (i, name) in names.enumerated() {
            guard !name.isEmpty, name != "__metadata__" else {
                throw SafeTensorsError(path: "<encode>", problem: "invalid tensor name \"\(name)\"")
            }
            let t = tensors[name]!
            let end = offset + 4 * t.count
            if i > 0 || !metadata.isEmpty { header += "," }
            header += JSON.quote(name) + ":{\"dtype\":\"F32\",\"shape\":["
            header += t.shape.map(String.init).joined(separator: ",")
            header += "],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        header += "}"

        var headerBytes = Array(header.utf8)
        headerBytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8))
        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        let dataStart = out.count
        out.append(contentsOf: repeatElement(0, count: offset))
        out.withUnsafeMutableBytes { raw in
            var at = dataStart
            for name in names {
                let t = tensors[name]!
                for i in 0..<t.count {
                    raw.storeBytes(of: t.data[i].bitPattern.littleEndian, toByteOffset: at, as: UInt32.self)
                    at += 4
                }
            }
        }
        return out
    }

    /// Encodes named tensors; names must be unique. The file order is the name order
    /// whatever the order given here.
    public static func encode(tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) throws
        -> [UInt8]
    {
        var map: [String: Tensor] = [:]
        for (name, t) in tensors {
            if map.updateValue(t, forKey: name) != nil {
                throw SafeTensorsError(path: "<encode>", problem: "tensor name \"\(name)\" given twice")
            }
        }
        return try encode(tensors: map, metadata: metadata)
    }

    /// Writes `tensors` and `metadata` to `path` atomically (see `writeAtomically`).
    public static func write(tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        do {
            try writeAtomically(try encode(tensors: tensors, metadata: metadata), to: path)
        } catch let e as SafeTensorsError {
            throw SafeTensorsError(path: path, problem: e.problem)
        }
    }

    /// Writes named tensors (unique names) and `metadata` to `path` atomically.
    public static func write(
        tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String
    ) throws {
        do {
            try writeAtomically(try encode(tensors: tensors, metadata: metadata), to: path)
        } catch let e as SafeTensorsError {
            throw SafeTensorsError(path: path, problem: e.problem)
        }
    }

    /// Reads and validates the safetensors file at `path`. F32, F64, F16 and BF16
    /// tensors are returned as Float32 tensors.
    public static func read(_ path: String) throws -> SafeTensorsFile {
        let bytes: [UInt8]
        do {
            bytes = try readFileBytes(path)
        } catch let error as FileIOError {
            throw SafeTensorsError(path: path, problem: error.reason)  // the user's file to fix: exit status 2
        }
        return try decode(bytes, path: path)
    }

    /// Parses and validates a safetensors file image; `path` names it in errors.
    ///
    /// Rejected, with a message naming the file and the problem: a file too short for
    /// its header, a header that is not a JSON object of well-formed entries, an
    /// unsupported dtype, a byte range that disagrees with the shape, and offsets that
    /// fall outside the data, overlap, leave gaps or leave trailing bytes (the data
    /// section must be tiled exactly, as the reference requires).
    public static func decode(_ bytes: [UInt8], path: String) throws -> SafeTensorsFile {
        func fail(_ problem: String) -> SafeTensorsError {
            SafeTensorsError(path: path, problem: "not a valid safetensors file: " + problem)
        }

        guard bytes.count >= 8 else {
            throw fail("file is \(bytes.count) bytes, too short for the 8-byte header length (truncated file?)")
        }
        let n = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard n <= UInt64(maxHeaderBytes) else {
            throw fail("header length \(n) exceeds the \(maxHeaderBytes)-byte limit (not a safetensors file?)")
        }
        guard n <= UInt64(bytes.count - 8) else {
            throw fail("header length \(n) exceeds the \(bytes.count - 8) bytes after it (truncated file?)")
        }
        let headerEnd = 8 + Int(n)
        guard n >= 2, bytes[8] == UInt8(ascii: "{") else { throw fail("header is not a JSON object") }
        let json: JSON
        do {
            json = try JSON.parse(bytes: bytes[8..<headerEnd])
        } catch let e as JSONSyntaxError {
            throw fail("header is not valid JSON: \(e.description)")
        }
        guard case .object(let members) = json else { throw fail("header is not a JSON object") }

        var metadata: [String: String] = [:]
        var entries: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
        for (key, value) in members {  // the parser rejects duplicate names
            if key == "__metadata__" {
                guard case .object(let pairs) = value else {
                    throw fail("__metadata__ is \(value.kind), expected an object of strings")
                }
                for (k, v) in pairs {
                    guard case .string(let s) = v else {
                        throw fail("__metadata__ entry \"\(k)\" is \(v.kind), expected a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            entries.append(try parseEntry(name: key, value, fail: fail))
        }

        let dataCount = bytes.count - headerEnd
        for e in entries where e.end > dataCount {
            throw fail(
                "tensor \"\(e.name)\" data_offsets [\(e.begin), \(e.end)] run past the end of the "
                    + "\(dataCount)-byte data section (truncated file?)")
        }
        let byOffset = entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var end = 0
        var previous = ""
        for e in byOffset {
            if e.begin < end {
                throw fail("tensor \"\(e.name)\" at bytes [\(e.begin), \(e.end)] overlaps tensor \"\(previous)\"")
            }
            if e.begin > end {
                throw fail("bytes [\(end), \(e.begin)] of the data section belong to no tensor")
            }
            end = e.end
            previous = e.name
        }
        if end != dataCount { throw fail("\(dataCount - end) bytes after the last tensor belong to no tensor") }

        var tensors: [String: Tensor] = [:]
        var dtypes: [String: String] = [:]
        bytes.withUnsafeBytes { raw in
            let data = UnsafeRawBufferPointer(rebasing: raw[headerEnd...])
            for e in byOffset {
                let t = Tensor(shape: e.shape)
                e.dtype.convert(data, from: e.begin, count: t.count, into: t.data)
                tensors[e.name] = t
                dtypes[e.name] = e.dtype.rawValue
            }
        }
        return SafeTensorsFile(names: byOffset.map(\.name), tensors: tensors, dtypes: dtypes, metadata: metadata)
    }

    private static func parseEntry(
        name: String, _ value: JSON, fail: (String) -> SafeTensorsError
    ) throws -> (name: String, dtype: DType, shape: [Int], begin: Int, end: Int) {
        guard case .object(let fields) = value else {
            throw fail("tensor \"\(name)\" is \(value.kind), expected an object")
        }
        var dtypeText: String?
        var shape: [Int]?
        var offsets: [Int]?
        for (k, v) in fields {
            switch k {
            case "dtype":
                guard case .string(let s) = v else { throw fail("tensor \"\(name)\" dtype is \(v.kind)") }
                dtypeText = s
            case "shape":
                guard case .array(let dims) = v, let ints = intArray(dims) else {
                    throw fail("tensor \"\(name)\" shape is not an array of non-negative integers")
                }
                shape = ints
            case "data_offsets":
                guard case .array(let pair) = v, pair.count == 2, let ints = intArray(pair) else {
                    throw fail("tensor \"\(name)\" data_offsets is not two non-negative integers")
                }
                offsets = ints
            default: continue  // the reference ignores unknown fields
            }
        }
        guard let dtypeText else { throw fail("tensor \"\(name)\" has no dtype") }
        guard let shape else { throw fail("tensor \"\(name)\" has no shape") }
        guard let offsets else { throw fail("tensor \"\(name)\" has no data_offsets") }
        guard let dtype = DType(rawValue: dtypeText) else {
            let known = DType.unsupported.contains(dtypeText)
            throw fail(
                "tensor \"\(name)\" has \(known ? "" : "unknown ")dtype \(dtypeText); nnreg reads F32, F64, F16 and BF16"
            )
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else {
            throw fail("tensor \"\(name)\" data_offsets [\(begin), \(end)] end before they begin")
        }
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("tensor \"\(name)\" shape \(shape) is too large") }
            count = p
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, needed == end - begin else {
            throw fail(
                "tensor \"\(name)\" data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(shape) "
                    + "of \(dtypeText) needs \(overflow ? "more" : String(needed))")
        }
        return (name, dtype, shape, begin, end)
    }

    private static func intArray(_ values: [JSON]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let i = v.intValue, i >= 0 else { return nil }
            out.append(i)
        }
        return out
    }

    /// The element types nnreg reads, all converted to Float32.
    private enum DType: String {
        case f32 = "F32"
        case f64 = "F64"
        case f16 = "F16"
        case bf16 = "BF16"

        static let unsupported: Set<String> = [
            "BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64", "F8_E5M2", "F8_E4M3", "F8_E8M0",
            "F4", "F6_E2M3", "F6_E3M2", "C64",
        ]

        var size: Int {
            switch self {
            case .f32: return 4
            case .f64: return 8
            case .f16, .bf16: return 2
            }
        }

        /// Converts `count` little-endian elements at byte `offset` of `data` to Float.
        func convert(
            _ data: UnsafeRawBufferPointer, from offset: Int, count: Int, into out: UnsafeMutablePointer<Float>
        ) {
            switch self {
            case .f32:
                for i in 0..<count {
                    let bits = UInt32(littleEndian: data.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self))
                    out[i] = Float(bitPattern: bits)
                }
            case .f64:
                for i in 0..<count {
                    let bits = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: offset + 8 * i, as: UInt64.self))
                    out[i] = Float(Double(bitPattern: bits))
                }
            case .bf16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: data.loadUnaligned(fromByteOffset: offset + 2 * i, as: UInt16.self))
                    out[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            case .f16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: data.loadUnaligned(fromByteOffset: offset + 2 * i, as: UInt16.self))
                    out[i] = halfToFloat(bits)
                }
            }
        }
    }

    /// IEEE 754 binary16 to binary32, exact (every half value is a float value).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F)
        let fraction = UInt32(h & 0x3FF)
        switch exponent {
        case 0: return sign * Float(fraction) * 0x1p-24  // zero and subnormals
        case 31:
            if fraction == 0 { return sign * .infinity }
            return Float(bitPattern: (UInt32(h & 0x8000) << 16) | 0x7FC0_0000 | (fraction << 13))
        default:
            return Float(bitPattern: (UInt32(h & 0x8000) << 16) | (UInt32(exponent + 112) << 23) | (fraction << 13))
        }
    }
}

/// The contents of a safetensors file.
public struct SafeTensorsFile {
    /// Tensor names in the order their data appears in the file.
    public let names: [String]
    /// Every tensor, as Float32, by name.
    public let tensors: [String: Tensor]
    /// Each tensor's dtype as stored in the file ("F32", "F64", "F16", "BF16").
    public let dtypes: [String: String]
    /// The "__metadata__" map; empty when the file has none.
    public let metadata: [String: String]

    /// The tensor called `name`, if the file has one.
    public subscript(name: String) -> Tensor? { tensors[name] }
}

/// A safetensors file that cannot be written or is not valid, with the reason.
public struct SafeTensorsError: FileError, LocalizedError {
    /// The file concerned.
    public let path: String
    /// What is wrong with it.
    public let problem: String
    public var reason: String { problem }

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
}
