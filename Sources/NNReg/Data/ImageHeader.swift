/// An image file's declared size, read from its header before anything is decoded, so a
/// small file that declares a huge image (a decompression bomb) is refused up front.
extension ImageCodec {
    /// data.max_image_pixels's default: 100,000,000 pixels.
    public static let defaultMaxPixels = 100_000_000

    /// (width, height) from a PNG's IHDR or a JPEG's SOF marker; nil when the header is
    /// not there (the decoder then says what is wrong).
    static func declaredSize(_ bytes: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
        func u16(_ i: Int) -> Int { Int(bytes[i]) << 8 | Int(bytes[i + 1]) }
        func u32(_ i: Int) -> Int { u16(i) << 16 | u16(i + 2) }
        switch format(of: bytes) {
        case .png?:
            // signature (8), IHDR length (4), "IHDR" (4), width (4), height (4)
            guard bytes.count >= 24 else { return nil }
            return (u32(16), u32(20))
        case .jpeg?:
            var i = 2
            while i + 4 <= bytes.count {
                guard bytes[i] == 0xFF else { return nil }
                let marker = bytes[i + 1]
                if marker == 0xFF {
                    i += 1
                    continue
                }  // fill byte
                if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 {
                    i += 2
                    continue
                }
                let length = u16(i + 2)
                // SOF0-SOF15 but DHT (C4), JPG (C8) and DAC (CC): [length][precision][height][width]
                if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                    guard i + 9 <= bytes.count else { return nil }
                    return (u16(i + 7), u16(i + 5))
                }
                guard length >= 2 else { return nil }
                i += 2 + length
            }
            return nil
        case nil:
            return nil
        }
    }

    /// Refuses an image whose header declares more than `maxPixels` pixels.
    static func checkSize(_ bytes: UnsafeRawBufferPointer, name: String, maxPixels: Int) throws {
        guard let (width, height) = declaredSize(bytes) else { return }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxPixels {
            throw ImageError(
                path: name,
                reason: "declares \(width) x \(height) pixels, more than the limit of \(maxPixels) "
                    + "(data.max_image_pixels)")
        }
    }
}
