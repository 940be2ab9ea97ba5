import Dispatch
import Foundation

/// The images of a folder, decoded as their batches are read (`SampleStream`), never all
/// held.
///
/// A batch is decoded on the worker threads, converted and resized as `ImageFolder.load`
/// does (the same function, so the same bits). A file that cannot be decoded is, under
/// data.on_bad_file "error", an error naming it (`checkRead`); under "skip" its sample is
/// zeros (raw pixels 0) and the file is listed in `substituted`: a streamed set cannot
/// leave a file out once batches are drawn, as the order is fixed by the sample count.
public final class StreamedImages: SampleReader {
    public let files: [String]
    /// [H, W, C] every image is decoded to.
    public let shape: [Int]
    public let onBadFile: ImageFolder.BadFilePolicy
    public let maxPixels: Int
    /// Files are decoded on this many threads.
    public let threads: Int
    public var count: Int { files.count }

    private let lock = NSLock()
    private var failure: Error?
    private var substitutedFiles: [String: String] = [:]

    public init(files: [String], shape: [Int], onBadFile: ImageFolder.BadFilePolicy, maxPixels: Int, threads: Int) {
        precondition(shape.count == 3, "image samples are (H, W, C), got \(shape)")
        self.files = files
        self.shape = shape
        self.onBadFile = onBadFile
        self.maxPixels = maxPixels
        self.threads = max(threads, 1)
    }

    /// Files decoded as zeros under on_bad_file "skip", with the reason, sorted by path.
    public var substituted: [(path: String, reason: String)] {
        lock.lock()
        defer { lock.unlock() }
        return substitutedFiles.keys.sorted().map { ($0, substitutedFiles[$0]!) }
    }

    public func checkRead() throws {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
    }

    /// Decodes the raw images of `indices` into dst (n, H, W, C) on `threads` threads.
    public func read(_ indices: UnsafeBufferPointer<Int32>, into dst: UnsafeMutablePointer<Float>) {
        let n = indices.count, d = shape.reduce(1, *)
        let workers = max(1, min(threads, n))
        let work = { (w: Int) in
            for row in (n * w / workers)..<(n * (w + 1) / workers) {
                let i = Int(indices[row])
                precondition(i >= 0 && i < self.files.count, "row \(i) outside \(self.files.count) images")
                do {
                    try ImageFolder.decode(
                        self.files[i], into: dst + row * d, shape: self.shape, maxPixels: self.maxPixels)
                } catch {
                    (dst + row * d).update(repeating: 0, count: d)
                    self.record(error as? ImageError ?? ImageError(path: self.files[i], reason: "\(error)"))
                }
            }
        }
        if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
    }

    private func record(_ error: ImageError) {
        lock.lock()
        defer { lock.unlock() }
        switch onBadFile {
        case .error: if failure == nil { failure = ImageFolder.badFile(error, others: 0) }
        case .skip: substitutedFiles[error.path] = error.reason
        }
    }
}
