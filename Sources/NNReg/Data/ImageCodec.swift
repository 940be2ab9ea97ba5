import CJPEG
import CPNG

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A decoded image: pixels row-major (H, W, C), values 0...255 (not rescaled).
///
/// `channels` is 1 (gray) or 3 (RGB). Values are whole numbers after decoding an 8-bit
/// file; 16-bit files, resizing and color conversion give fractions.
public struct Image: Equatable, Sendable {
    public var height: Int
    public var width: Int
    public var channels: Int
    /// height * width * channels values; pixel (y, x) channel c is at (y * width + x) * channels + c.
    public var pixels: [Float]

    public init(height: Int, width: Int, channels: Int, pixels: [Float]) {
        precondition(
            height >= 0 && width >= 0 && (channels == 1 || channels == 3),
            "image of \(height)x\(width)x\(channels): channels must be 1 or 3")
        precondition(
            pixels.count == height * width * channels,
            "\(pixels.count) values for an image of \(height)x\(width)x\(channels)")
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
    }

    /// A zero-filled (black) image.
    public init(height: Int, width: Int, channels: Int) {
        self.init(
            height: height, width: width, channels: channels,
            pixels: [Float](repeating: 0, count: height * width * channels))
    }
}

/// A file that is not an image nnreg can read: `path: reason`.
public struct ImageError: FileError, Equatable {
    /// The file (or the name given to `ImageCodec.decode`).
    public let path: String
    /// What is wrong, e.g. "not a valid PNG (IDAT: CRC error)".
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// JPEG and PNG files to and from `Image`, through libjpeg(-turbo) and libpng.
///
/// The format is told by the file's first bytes, not its name. Decoding follows
/// `tf.io.decode_image(channels: 1 or 3)`, which Keras' `image_dataset_from_directory`
/// uses, except where noted:
/// - PNG: every kind (bit depths 1 to 16; gray, gray+alpha, RGB, RGBA, palette with or
///   without tRNS; interlaced). Alpha is dropped, not composited (as TensorFlow does);
///   palette files decode to RGB. 16-bit samples are scaled exactly, v * 255 / 65535
///   (TensorFlow truncates to v >> 8: at most 1 level lower).
/// - JPEG: baseline, progressive, arithmetic-coded, grayscale; CMYK and YCCK become RGB
///   with TensorFlow's formula. Decoded with TensorFlow's defaults (the fast integer
///   IDCT, fancy upsampling), so values equal Keras' exactly. A truncated file is an
///   error (libjpeg would fill the rest with gray). EXIF orientation is ignored, as in Keras.
/// Every failure is an `ImageError` naming the file; libjpeg and libpng errors are
/// caught in C (`Sources/CJPEG/shim.h`, `Sources/CPNG/shim.h`) and never exit.
public enum ImageCodec {
    /// The format of an encoded image, from its first bytes.
    public enum Format: String, Sendable {
        case png = "PNG"
        case jpeg = "JPEG"
    }

    /// The format `bytes` start with, or nil.
    public static func format(of bytes: UnsafeRawBufferPointer) -> Format? {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= png.count && zip(bytes, png).allSatisfy({ $0 == $1 }) { return .png }
        if bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF { return .jpeg }
        return nil
    }

    /// Decodes a JPEG or PNG file's bytes; `name` is used in errors.
    public static func decode(_ bytes: [UInt8], name: String, maxPixels: Int = defaultMaxPixels) throws -> Image {
        try bytes.withUnsafeBytes { try decode($0, name: name, maxPixels: maxPixels) }
    }

    /// Decodes a JPEG or PNG file's bytes; `name` is used in errors. An image whose header
    /// declares more than `maxPixels` pixels is refused before decoding.
    public static func decode(_ bytes: UnsafeRawBufferPointer, name: String, maxPixels: Int = defaultMaxPixels)
        throws -> Image
    {
        guard !bytes.isEmpty else { throw ImageError(path: name, reason: "empty file, not an image") }
        try checkSize(bytes, name: name, maxPixels: maxPixels)
        switch format(of: bytes) {
        case .png?: return try decodePNG(bytes, name: name)
        case .jpeg?: return try decodeJPEG(bytes, name: name)
        case nil: throw ImageError(path: name, reason: unknownFormat(bytes, name: name))
        }
    }

    /// Reads and decodes a JPEG or PNG file.
    public static func read(_ path: String, maxPixels: Int = defaultMaxPixels) throws -> Image {
        let bytes = try readFile(path)
        return try decode(bytes, name: path, maxPixels: maxPixels)
    }

    /// A PNG of `image`: 8-bit gray or RGB, values rounded to whole numbers and clamped
    /// to 0...255; zlib `level` 0 (fastest) to 9 (smallest).
    public static func encodePNG(_ image: Image, level: Int = 6) throws -> [UInt8] {
        precondition((0...9).contains(level), "PNG compression level must be in 0...9, got \(level)")
        try checkEncodable(image, format: .png)
        return try encode(image, format: .png) { samples, bytes, count, message, capacity in
            var size = 0
            let ok = nnreg_png_encode(
                samples, Int32(image.width), Int32(image.height), Int32(image.channels),
                Int32(level), bytes, &size, message, capacity)
            count = size
            return ok
        }
    }

    /// A baseline JPEG of `image` (4:2:0 for RGB) at `quality` 1...100; values rounded
    /// and clamped to 0...255.
    public static func encodeJPEG(_ image: Image, quality: Int = 95) throws -> [UInt8] {
        precondition((1...100).contains(quality), "JPEG quality must be in 1...100, got \(quality)")
        try checkEncodable(image, format: .jpeg)
        return try encode(image, format: .jpeg) { samples, bytes, count, message, capacity in
            var size: UInt = 0
            let ok = nnreg_jpeg_encode(
                samples, Int32(image.width), Int32(image.height), Int32(image.channels),
                Int32(quality), bytes, &size, message, capacity)
            count = Int(size)
            return ok
        }
    }

    /// Writes a JPEG or PNG file (by `path`'s extension: .jpg/.jpeg, else PNG) atomically.
    public static func write(_ image: Image, to path: String, quality: Int = 95) throws {
        let lower = path.lowercased()
        let bytes =
            lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg")
            ? try encodeJPEG(image, quality: quality) : try encodePNG(image)
        try writeAtomically(bytes, to: path)
    }

    // MARK: - Encoding

    private typealias Encoder = (
        UnsafePointer<UInt8>, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, inout Int,
        UnsafeMutablePointer<CChar>, Int
    ) -> Int32

    private static func checkEncodable(_ image: Image, format: Format) throws {
        guard image.width > 0, image.height > 0 else {
            throw ImageError(
                path: "<\(format.rawValue) encoder>",
                reason: "cannot encode an empty \(image.height)x\(image.width) image")
        }
        let limit = format == .jpeg ? 65_500 : 1 << 24
        guard image.width <= limit, image.height <= limit else {
            throw ImageError(
                path: "<\(format.rawValue) encoder>",
                reason: "\(image.height)x\(image.width) is larger than \(format.rawValue) allows (\(limit) a side)")
        }
    }

    private static func encode(_ image: Image, format: Format, _ body: Encoder) throws -> [UInt8] {
        let samples = image.pixels.map { UInt8(max(0, min(255, $0.rounded()))) }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var count = 0
        var message = [CChar](repeating: 0, count: 256)
        let ok = samples.withUnsafeBufferPointer { s in
            message.withUnsafeMutableBufferPointer { m in body(s.baseAddress!, &out, &count, m.baseAddress!, m.count) }
        }
        guard ok == 1, let out else {
            throw ImageError(path: "<\(format.rawValue) encoder>", reason: String(cString: message))
        }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: count))
    }

    // MARK: - Errors

    /// "not a valid PNG (no PNG signature; the file starts with "hello wo")", or the
    /// same for JPEG, or "not a JPEG or PNG image (...)" when the name says neither.
    private static func unknownFormat(_ bytes: UnsafeRawBufferPointer, name: String) -> String {
        let head = bytes.prefix(8)
        let start: String
        if head.allSatisfy({ (0x20..<0x7F).contains($0) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            let text = String(decoding: head, as: UTF8.self)
                .replacingAll("\n", with: "\\n").replacingAll("\r", with: "\\r").replacingAll("\t", with: "\\t")
            start = "the file starts with \"\(text)\""
        } else {
            start = "the file starts with bytes " + head.map { hex($0) }.joined(separator: " ")
        }
        switch fileExtension(name) {
        case "png": return "not a valid PNG (no PNG signature; \(start))"
        case "jpg", "jpeg": return "not a valid JPEG (no JPEG signature; \(start))"
        default: return "not a JPEG or PNG image (\(start))"
        }
    }

    private static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    /// The lowercased extension of a file name, without the dot ("" if none).
    static func fileExtension(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), !name[dot...].contains("/") else { return "" }
        return name[name.index(after: dot)...].lowercased()
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
