import Dispatch
import Foundation

/// data.cache: where the samples of an image folder live while training.
public enum DataCache: String, CaseIterable, Sendable {
    /// `memory` when the compact data set takes at most `memoryShare` of physical memory
    /// (estimated from the file count and the decoded size of one image), else `none`.
    case auto
    /// Decoded once into memory, compact (`SampleStore`).
    case memory
    /// "none": decoded from disk batch by batch, every epoch (`ImageStream`).
    case stream = "none"

    /// The share of physical memory `auto` lets a data set take.
    public static let memoryShare = 0.25

    /// Whether `auto` streams a data set of `bytes` on a machine of `physical` bytes.
    public static func autoStreams(bytes: Int, physical: Int) -> Bool {
        Double(bytes) > memoryShare * Double(physical)
    }

    /// The machine's physical memory in bytes.
    public static var physicalMemory: Int { sysconf(Int32(_SC_PHYS_PAGES)) * sysconf(Int32(_SC_PAGESIZE)) }
}

/// The images of a folder decoded as their batches are filled, never all held: memory is
/// set by the batch, not the data set (data.cache "none").
///
/// A batch is decoded on the worker threads, converted and resized as `ImageFolder.load`
/// does (the same function, so the same bits), then normalized and standardized as
/// `Dataset.fill` does. During a pass (`beginPass`) a reader thread decodes the announced
/// batches `ImageStream.ahead` ahead of the one being filled (`ReadAhead`); any other
/// `fill` decodes its rows on the spot. A file that cannot be decoded is, under
/// data.on_bad_file "error", an error naming it (`checkRead`); under "skip" its sample is
/// zeros (raw pixels 0) and the file is listed in `substituted`: a streamed set cannot
/// leave a file out once batches are drawn, as the order is fixed by the sample count.
public final class ImageStream: DataSource {
    public let files: [String]
    public let y: Tensor
    /// [H, W, C] of every sample.
    public let sampleShape: [Int]
    /// Applied to each batch, as `Dataset` does.
    public let normalizer: Normalizer
    /// spec.augmentation's elementwise standardization, after `normalizer` (validation, test).
    public let standardizer: Augmenter?
    public let onBadFile: ImageFolder.BadFilePolicy
    public let maxPixels: Int
    /// Files are decoded on this many threads.
    public let threads: Int
    public var rowNames: [String]? { nil }
    public var count: Int { files.count }

    /// Batches decoded ahead of the one being filled.
    public static let ahead = 2

    private let workspace = AugmentationWorkspace()
    private var reader: ReadAhead?
    private let lock = NSLock()
    private var failure: Error?
    private var substitutedFiles: [String: String] = [:]

    public init(
        files: [String], y: Tensor, sampleShape: [Int], normalizer: Normalizer = Normalizer(),
        standardizer: Augmenter? = nil, onBadFile: ImageFolder.BadFilePolicy, maxPixels: Int, threads: Int
    ) {
        precondition(files.count == y.shape[0], "\(files.count) files but \(y.shape[0]) targets")
        precondition(sampleShape.count == 3, "image samples are (H, W, C), got \(sampleShape)")
        precondition(standardizer.map { !$0.zcaWhitening } ?? true, "ZCA needs the images in memory")
        self.files = files
        self.y = y
        self.sampleShape = sampleShape
        self.normalizer = normalizer
        self.standardizer = standardizer
        self.onBadFile = onBadFile
        self.maxPixels = maxPixels
        self.threads = max(threads, 1)
    }

    /// This stream with `augmenter`'s standardization applied after normalization.
    public func standardized(by augmenter: Augmenter) -> ImageStream {
        ImageStream(
            files: files, y: y, sampleShape: sampleShape, normalizer: normalizer, standardizer: augmenter,
            onBadFile: onBadFile, maxPixels: maxPixels, threads: threads)
    }

    /// Files decoded as zeros under on_bad_file "skip", with the reason, sorted by path.
    public var substituted: [(path: String, reason: String)] {
        lock.lock()
        defer { lock.unlock() }
        return substitutedFiles.keys.sorted().map { ($0, substitutedFiles[$0]!) }
    }

    public func fill(x: Tensor, y outY: Tensor, indices: UnsafeBufferPointer<Int32>) {
        x.setBatch(indices.count)
        precondition(x.sampleSize == sampleShape.reduce(1, *), "batch shape \(x.shape) for images \(sampleShape)")
        if reader?.take(indices, into: x.data) != true { decode(indices, into: x.data) }
        normalizer.apply(x)
        standardizer?.standardize(x, imageShape: sampleShape, workspace: workspace)
        fillTargets(outY, indices: indices)
    }

    public func beginPass(_ pass: DataPass) {
        endPass()
        guard pass.batches > 0 else { return }
        reader = ReadAhead(pass: pass, sampleSize: sampleShape.reduce(1, *), slots: ImageStream.ahead) {
            [unowned self] indices, dst in decode(indices, into: dst)
        }
    }

    public func endPass() {
        reader?.stop()
        reader = nil
    }

    public func checkRead() throws {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
    }

    /// Decodes the raw images of `indices` into dst (n, H, W, C) on `threads` threads.
    func decode(_ indices: UnsafeBufferPointer<Int32>, into dst: UnsafeMutablePointer<Float>) {
        let n = indices.count, d = sampleShape.reduce(1, *)
        let workers = max(1, min(threads, n))
        let work = { (w: Int) in
            for row in (n * w / workers)..<(n * (w + 1) / workers) {
                let i = Int(indices[row])
                precondition(i >= 0 && i < self.files.count, "row \(i) outside \(self.files.count) images")
                do {
                    try ImageFolder.decode(
                        self.files[i], into: dst + row * d, shape: self.sampleShape, maxPixels: self.maxPixels)
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

    /// Fits featurewise normalization statistics in one streaming pass over the files, in
    /// order (the same sums as over the images in memory), decoding `block` files at a time.
    public func fit(_ normalizer: inout Normalizer, block: Int = 256) throws {
        let d = sampleShape.reduce(1, *), n = files.count
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(block * d, 1))
        defer { buffer.deallocate() }
        var order = [Int32](repeating: 0, count: block)
        var loaded = 0..<0
        try normalizer.fit(count: n, width: d) { i, row in
            if !loaded.contains(i) {
                loaded = i..<min(i + block, n)
                for k in loaded { order[k - i] = Int32(k) }
                order.withUnsafeBufferPointer {
                    decode(UnsafeBufferPointer(rebasing: $0[0..<loaded.count]), into: buffer)
                }
                try checkRead()
            }
            row.update(from: buffer + (i - loaded.lowerBound) * d, count: d)
        }
    }
}
