import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A seeded folder of synthetic JPEG images in class subfolders, for the streaming
/// benchmark and tests: data as large as wanted without shipping any.
///
/// ```
/// root/class_0/000/000000.jpg ... root/class_1/000/000001.jpg ...   (1,000 files a folder)
/// ```
/// Image i belongs to class i % classes. Each is a stripe pattern whose orientation is
/// its class (angle = class * 180° / classes, ±10° jitter), with a random frequency,
/// phase and colour and a little noise, so a small CNN can learn it. Image i depends only
/// on (seed, i): any count is a prefix of a larger one, whatever the thread count.
///
/// The folder must not exist: it is created, and `root/.nnreg-synthetic` is written
/// first (so a folder left by an interrupted run is recognisably this command's) and
/// `root/.complete` last.
public enum SyntheticImages {
    public static let markerName = ".nnreg-synthetic"
    public static let completeName = ".complete"

    /// Writes `count` images of `height` x `width` x 3; returns the bytes written.
    @discardableResult
    public static func write(
        to root: String, count: Int, height: Int, width: Int, classes: Int = 2, seed: UInt64 = 1, quality: Int = 90,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> Int {
        precondition(count > 0 && height > 0 && width > 0 && classes > 0, "synthetic images need positive sizes")
        guard mkdir(root, 0o777) == 0 else {
            throw FileIOError(path: root, reason: "cannot create the folder: \(String(cString: strerror(errno)))")
        }
        try writeAtomically(
            "count \(count) size \(height)x\(width) classes \(classes) seed \(seed)\n",
            to: root + "/" + markerName)
        for c in 0..<classes {
            for part in 0...((count - 1) / 1000) where part * 1000 + c < count {
                try FileManager.default.createDirectory(
                    atPath: folder(root, c, part), withIntermediateDirectories: true)
            }
        }
        let workers = max(1, min(threads, count))
        let lock = NSLock()
        var failure: Error?
        var bytes = 0
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var written = 0
            do {
                for i in stride(from: w, to: count, by: workers) {
                    let jpeg = try ImageCodec.encodeJPEG(
                        image(i, height: height, width: width, classes: classes, seed: seed), quality: quality)
                    try writeFile(jpeg, to: folder(root, i % classes, i / 1000) + "/" + pad(i, 6) + ".jpg")
                    written += jpeg.count
                }
            } catch {
                lock.withLock { failure = failure ?? error }
            }
            lock.withLock { bytes += written }
        }
        if let failure { throw failure }
        try writeAtomically("\(count)\n", to: root + "/" + completeName)
        return bytes
    }

    /// Image `i`: (height, width, 3), values 0...255.
    public static func image(_ i: Int, height: Int, width: Int, classes: Int, seed: UInt64) -> Image {
        var rng = RNG(seed: seed, stream: UInt64(i))
        let angle = (Float(i % classes) / Float(classes) + rng.uniform(-1, 1) / 18) * Float.pi
        let (dx, dy) = (cos(angle), sin(angle))
        let frequency = rng.uniform(2, 6) * 2 * Float.pi / Float(max(height, width))
        let phase = rng.uniform(0, 2 * Float.pi)
        let color = (0..<3).map { _ in rng.uniform(0.3, 1) }
        var pixels = [Float](repeating: 0, count: height * width * 3)
        for y in 0..<height {
            for x in 0..<width {
                let wave = sin(frequency * (Float(x) * dx + Float(y) * dy) + phase)
                for c in 0..<3 {
                    let v = 128 + 100 * wave * color[c] + rng.uniform(-8, 8)
                    pixels[(y * width + x) * 3 + c] = min(255, max(0, v))
                }
            }
        }
        return Image(height: height, width: width, channels: 3, pixels: pixels)
    }

    private static func folder(_ root: String, _ label: Int, _ part: Int) -> String {
        root + "/class_\(label)/" + pad(part, 3)
    }

    private static func pad(_ n: Int, _ digits: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }

    /// A plain write: the folder is marked complete only after every file is in place.
    private static func writeFile(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FileIOError(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let status = bytes.withUnsafeBytes { writeFully(fd, from: $0) }
        guard status == 0 else {
            throw FileIOError(path: path, reason: "cannot write: \(String(cString: strerror(errno)))")
        }
    }
}
