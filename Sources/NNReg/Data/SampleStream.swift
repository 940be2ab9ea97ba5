import Foundation

/// data.cache: where the samples of an image folder or a CSV file live while training.
public enum DataCache: String, CaseIterable, Sendable {
    /// `memory` when the compact data set takes at most `memoryShare` of physical memory
    /// (an image folder: the file count x the decoded size of one image; a CSV file: its
    /// size in bytes), else `none`.
    case auto
    /// Read once into memory, compact (`SampleStore`).
    case memory
    /// "none": read from disk batch by batch, every epoch (`SampleStream`).
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

/// Raw samples kept on disk, read a batch at a time: the images of a folder
/// (`StreamedImages`) or the rows of a CSV file (`StreamedCSV`).
public protocol SampleReader: AnyObject {
    /// The number of samples.
    var count: Int { get }
    /// Writes the raw samples `indices` (not yet rescaled) into dst: (n, sampleSize).
    /// A sample that cannot be read is written as zeros and its error kept for
    /// `checkRead`. Called from one thread at a time; may use worker threads itself.
    func read(_ indices: UnsafeBufferPointer<Int32>, into dst: UnsafeMutablePointer<Float>)
    /// Throws the first error met by `read` since the start: a file named.
    func checkRead() throws
}

/// A data set read from disk as its batches are filled, never all held: memory is set
/// by the batch, not the data set (data.cache "none").
///
/// `fill` gets a batch's raw samples from the reader, then normalizes and standardizes
/// them as `Dataset.fill` does (the same float operations, so the same bits as the data
/// set in memory). During a pass (`beginPass`) a reader thread reads the announced
/// batches `SampleStream.ahead` ahead of the one being filled (`ReadAhead`); any other
/// `fill` reads its rows on the spot.
public final class SampleStream: DataSource {
    public let reader: SampleReader
    public let y: Tensor
    /// Every sample's shape.
    public let sampleShape: [Int]
    /// Applied to each batch, as `Dataset` does.
    public let normalizer: Normalizer
    /// spec.augmentation's elementwise standardization, after `normalizer` (validation, test).
    public let standardizer: Augmenter?
    public var rowNames: [String]? { nil }
    public var count: Int { reader.count }

    /// Batches read ahead of the one being filled.
    public static let ahead = 2

    private let workspace = AugmentationWorkspace()
    private var readAhead: ReadAhead?

    public init(
        reader: SampleReader, y: Tensor, sampleShape: [Int], normalizer: Normalizer = Normalizer(),
        standardizer: Augmenter? = nil
    ) {
        precondition(reader.count == y.shape[0], "\(reader.count) samples but \(y.shape[0]) targets")
        precondition(standardizer.map { !$0.zcaWhitening } ?? true, "ZCA needs the samples in memory")
        self.reader = reader
        self.y = y
        self.sampleShape = sampleShape
        self.normalizer = normalizer
        self.standardizer = standardizer
    }

    /// This stream with `augmenter`'s standardization applied after normalization.
    public func standardized(by augmenter: Augmenter) -> SampleStream {
        SampleStream(reader: reader, y: y, sampleShape: sampleShape, normalizer: normalizer, standardizer: augmenter)
    }

    public func fill(x: Tensor, y outY: Tensor, indices: UnsafeBufferPointer<Int32>) {
        x.setBatch(indices.count)
        precondition(x.sampleSize == sampleShape.reduce(1, *), "batch shape \(x.shape) for samples \(sampleShape)")
        if readAhead?.take(indices, into: x.data) != true { reader.read(indices, into: x.data) }
        normalizer.apply(x)
        standardizer?.standardize(x, imageShape: sampleShape, workspace: workspace)
        fillTargets(outY, indices: indices)
    }

    public func beginPass(_ pass: DataPass) {
        endPass()
        guard pass.batches > 0 else { return }
        readAhead = ReadAhead(pass: pass, sampleSize: sampleShape.reduce(1, *), slots: SampleStream.ahead) {
            [reader] indices, dst in reader.read(indices, into: dst)
        }
    }

    public func endPass() {
        readAhead?.stop()
        readAhead = nil
    }

    public func checkRead() throws { try reader.checkRead() }

    /// Fits featurewise normalization statistics in one streaming pass over the samples,
    /// in order (the same sums as over the samples in memory), reading `block` at a time.
    public func fit(_ normalizer: inout Normalizer, block: Int = 256) throws {
        let d = sampleShape.reduce(1, *), n = count
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(block * d, 1))
        defer { buffer.deallocate() }
        var order = [Int32](repeating: 0, count: block)
        var loaded = 0..<0
        try normalizer.fit(count: n, width: d) { i, row in
            if !loaded.contains(i) {
                loaded = i..<min(i + block, n)
                for k in loaded { order[k - i] = Int32(k) }
                order.withUnsafeBufferPointer {
                    reader.read(UnsafeBufferPointer(rebasing: $0[0..<loaded.count]), into: buffer)
                }
                try checkRead()
            }
            row.update(from: buffer + (i - loaded.lowerBound) * d, count: d)
        }
    }
}
