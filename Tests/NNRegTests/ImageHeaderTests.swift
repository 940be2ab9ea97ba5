import Foundation
import XCTest

@testable import NNReg

/// Image sizes read from headers before decoding (decompression bombs are refused).
final class ImageHeaderTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/images/codec").path

    /// Oracle: the decoder's own size, for every PNG and JPEG fixture.
    func testDeclaredSizeIsTheDecodedSize() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter {
            ["png", "jpg", "jpeg"].contains(($0 as NSString).pathExtension.lowercased())
        }
        XCTAssertGreaterThan(files.count, 3)
        for file in files {
            let bytes = try ImageCodec.readFile(Self.folder + "/" + file)
            guard let image = try? ImageCodec.decode(bytes, name: file) else { continue }  // fixtures of bad files
            let size = bytes.withUnsafeBytes { ImageCodec.declaredSize($0) }
            XCTAssertEqual(size?.width, image.width, file)
            XCTAssertEqual(size?.height, image.height, file)
        }
    }

    /// A 100-byte PNG that declares 30000 x 30000 pixels is refused before decoding.
    func testDecompressionBombIsRefusedByItsHeader() {
        let bomb = Self.png(width: 30_000, height: 30_000)
        XCTAssertLessThan(bomb.count, 200)
        XCTAssertThrowsError(try ImageCodec.decode(bomb, name: "bomb.png")) { error in
            XCTAssertEqual(
                "\(error)",
                "bomb.png: declares 30000 x 30000 pixels, more than the limit of 100000000 (data.max_image_pixels)")
        }
        XCTAssertThrowsError(try ImageCodec.decode(Self.png(width: 20, height: 20), name: "x.png", maxPixels: 399))
    }

    /// A PNG with an IHDR of the given size and an empty image stream.
    static func png(width: UInt32, height: UInt32) -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in body {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return be(UInt32(data.count)) + body + be(~crc)
        }
        func be(_ v: UInt32) -> [UInt8] {
            [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
        }
        let header = be(width) + be(height) + [8, 0, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", [])
            + chunk("IEND", [])
    }
}
