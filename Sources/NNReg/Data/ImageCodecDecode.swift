import CJPEG
import CPNG

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The decoders behind `ImageCodec.decode`: the C side (shim.h) decodes to 8- or 16-bit
/// samples inside its own setjmp; this side turns them into Float pixels.
extension ImageCodec {
    /// bytes: a PNG file -> (H, W, 1 or 3), alpha dropped, 16-bit scaled by 255/65535.
    static func decodePNG(_ bytes: UnsafeRawBufferPointer, name: String) throws -> Image {
        var d = Decoded()
        var message = [CChar](repeating: 0, count: 256)
        d.ok = message.withUnsafeMutableBufferPointer { m in
            nnreg_png_decode(
                bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count, &d.samples,
                &d.width, &d.height, &d.channels, &d.bytesPerSample, m.baseAddress!, m.count)
        }
        return try d.image(format: "PNG", message: message, name: name)
    }

    /// bytes: a JPEG file -> (H, W, 1 or 3); CMYK/YCCK converted to RGB.
    static func decodeJPEG(_ bytes: UnsafeRawBufferPointer, name: String) throws -> Image {
        var d = Decoded()
        var message = [CChar](repeating: 0, count: Int(JMSG_LENGTH_MAX))
        d.ok = message.withUnsafeMutableBufferPointer { m in
            nnreg_jpeg_decode(
                bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt(bytes.count), &d.samples,
                &d.width, &d.height, &d.channels, m.baseAddress!, m.count)
        }
        return try d.image(format: "JPEG", message: message, name: name)
    }

    /// What a C decoder hands back: 8-bit samples, or big-endian 16-bit ones.
    private struct Decoded {
        var ok: Int32 = 0
        var samples: UnsafeMutablePointer<UInt8>? = nil
        var width: Int32 = 0
        var height: Int32 = 0
        var channels: Int32 = 0
        var bytesPerSample: Int32 = 1

        /// The samples as Float pixels (16-bit: v / 257 == v * 255 / 65535, exact for
        /// v = 257 * k); frees them. Throws, naming `format`, when decoding failed or gave
        /// other than 1 or 3 channels.
        func image(format: String, message: [CChar], name: String) throws -> Image {
            guard ok == 1, let samples else {
                throw ImageError(path: name, reason: "not a valid \(format) (\(String(cString: message)))")
            }
            defer { free(samples) }
            guard channels == 1 || channels == 3 else {
                throw ImageError(path: name, reason: "\(format) decoded to \(channels) channels, expected 1 or 3")
            }
            let count = Int(width) * Int(height) * Int(channels)
            let pixels = [Float](unsafeUninitializedCapacity: count) { out, initialized in
                if bytesPerSample == 1 {
                    for i in 0..<count { out[i] = Float(samples[i]) }
                } else {
                    for i in 0..<count {
                        out[i] = Float(UInt16(samples[2 * i]) << 8 | UInt16(samples[2 * i + 1])) / 257
                    }
                }
                initialized = count
            }
            return Image(height: Int(height), width: Int(width), channels: Int(channels), pixels: pixels)
        }
    }

    /// The whole file at `path`; errors name it with the system's reason.
    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ImageError(path: path, reason: "cannot read (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ImageError(path: path, reason: "cannot read (\(String(cString: strerror(errno))))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ImageError(path: path, reason: "not a regular file") }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let (filled, failure) = bytes.withUnsafeMutableBytes { readFully(fd, into: $0) }
        guard failure == 0 else {
            throw ImageError(path: path, reason: "cannot read (\(String(cString: strerror(failure))))")
        }
        if filled < bytes.count { bytes.removeLast(bytes.count - filled) }
        return bytes
    }
}
