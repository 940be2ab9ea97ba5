import Foundation

/// What `Augmenter.fit` learns from the training images (Keras ImageDataGenerator.fit);
/// store it with the model: `standardize` needs it at evaluation and prediction too.
public struct AugmentationStatistics: Equatable, Sendable {
    /// Per-channel mean over (N, H, W) (featurewise_center); empty when off.
    public var mean: [Float] = []
    /// Per-channel standard deviation of the centred images (featurewise_std_normalization).
    public var std: [Float] = []
    /// The (D, D) ZCA whitening matrix, row-major, D = H * W * C; empty when off.
    public var zca: [Float] = []
    /// The (H, W, C) the statistics were fitted on.
    public var sampleShape: [Int] = []

    public init() {}
}

extension Augmenter {
    /// Fits the featurewise statistics on training images `x` (N, H, W, C), in the units of
    /// the batches to standardize, as Keras ImageDataGenerator.fit(x) (augment=False):
    /// mean per channel; x -= mean; std per channel of that; ZCA on the centred images:
    /// Keras 3.15.1 takes u, s = svd(flat_x.T) and W = (u * sqrt(n) / (s + zca_epsilon)) u.T;
    /// here u, s^2 are the eigenpairs of flat_x.T flat_x (the Gram matrix, summed in Double
    /// from Float products of 256-row chunks), keeping the top min(N, D) as Keras's reduced
    /// SVD does. Samplewise options are not applied first (Keras's fit ignores them too).
    /// Flat rows (N, D) are read as images of `imageShape` [H, W, C].
    public mutating func fit(_ x: Tensor, imageShape: [Int]? = nil) {
        let (h, w, c) = Augmenter.imageShape(x, imageShape)
        fit(count: x.shape[0], imageShape: [h, w, c], blocks: { $0(x.data, x.shape[0]) }, all: { x })
    }

    /// `fit` on the samples of `source` as its batches are filled (normalized), read `block`
    /// at a time in order: the same sums as on them all in memory, so the same bits, and no
    /// Float32 copy of the set, which may be streamed. Only ZCA gathers every sample.
    public mutating func fit(_ source: DataSource, imageShape: [Int], block: Int = 256) throws {
        let n = source.count
        let x = Tensor(shape: [block] + imageShape), y = Tensor(shape: [block] + Array(source.y.shape.dropFirst()))
        var order = [Int32](repeating: 0, count: block)
        try fit(
            count: n, imageShape: imageShape,
            blocks: { body in
                for start in stride(from: 0, to: n, by: block) {
                    let rows = min(block, n - start)
                    for r in 0..<rows { order[r] = Int32(start + r) }
                    order.withUnsafeBufferPointer {
                        source.fill(x: x, y: y, indices: UnsafeBufferPointer(rebasing: $0[0..<rows]))
                    }
                    try source.checkRead()
                    body(x.data, rows)
                }
            }, all: { source.gatherAll() })
    }

    /// The fit over n images of `imageShape` [H, W, C], visited in order by `blocks`, which
    /// calls its body with each block of rows (pointer, rows); `all` gives them at once (ZCA).
    private mutating func fit(
        count n: Int, imageShape: [Int],
        blocks: (_ body: (UnsafePointer<Float>, Int) -> Void) throws -> Void, all: () -> Tensor
    ) rethrows {
        let c = imageShape[2], d = imageShape.reduce(1, *)
        precondition(n > 0, "fit needs at least one image")
        var stats = AugmentationStatistics()
        stats.sampleShape = imageShape
        guard needsFit else {
            statistics = stats
            return
        }
        let pixels = n * d / c
        // A block starts at a sample, so element i of a block is in channel i % c.
        var mean = [Double](repeating: 0, count: c)
        try blocks { p, rows in for i in 0..<(rows * d) { mean[i % c] += Double(p[i]) } }
        for k in 0..<c { mean[k] /= Double(pixels) }
        let meanF = mean.map { Float($0) }
        if featurewiseCenter { stats.mean = meanF }
        if featurewiseStdNormalization {
            var v = [Double](repeating: 0, count: c)
            try blocks { p, rows in
                for i in 0..<(rows * d) {
                    let t = Double(p[i] - meanF[i % c])
                    v[i % c] += t * t
                }
            }
            stats.std = v.map { Float(($0 / Double(pixels)).squareRoot()) }
        }
        if zcaWhitening {
            stats.zca = Augmenter.zcaMatrix(all(), channels: c, channelMean: meanF, epsilon: zcaEpsilon)
        }
        statistics = stats
    }

    /// The ZCA matrix of `x` centred by `channelMean` (see `fit`).
    static func zcaMatrix(_ x: Tensor, channels c: Int, channelMean: [Float], epsilon: Double) -> [Float] {
        let n = x.shape[0], d = x.sampleSize
        // Gram matrix G = Xc^T Xc, in chunks of 256 centred rows.
        let chunkRows = 256
        var chunk = [Float](repeating: 0, count: chunkRows * d)
        var part = [Float](repeating: 0, count: d * d)
        var gram = [Double](repeating: 0, count: d * d)
        var start = 0
        while start < n {
            let rows = min(chunkRows, n - start)
            for r in 0..<rows {
                let src = x.data + (start + r) * d
                for j in 0..<d { chunk[r * d + j] = src[j] - channelMean[j % c] }
            }
            chunk.withUnsafeBufferPointer { a in
                part.withUnsafeMutableBufferPointer { g in
                    BLAS.sgemm(
                        transA: true, m: d, n: d, k: rows, a: a.baseAddress!, lda: d, b: a.baseAddress!, ldb: d,
                        c: g.baseAddress!, ldc: d)
                }
            }
            for i in 0..<(d * d) { gram[i] += Double(part[i]) }
            start += rows
        }
        let (values, vectors) = SymmetricEigen.decompose(gram, n: d)  // ascending
        // W = sum over the top min(n, d) components of u u^T * sqrt(n) / (s + eps), s = sqrt(lambda).
        let keep = min(n, d)
        var scaled = [Float](repeating: 0, count: d * keep)  // (d, keep): u_k * factor_k
        var basis = [Float](repeating: 0, count: d * keep)  // (d, keep): u_k
        for k in 0..<keep {
            let index = d - 1 - k
            let s = max(values[index], 0).squareRoot()
            let factor = Double(n).squareRoot() / (s + epsilon)
            for i in 0..<d {
                let u = vectors[i * d + index]
                basis[i * keep + k] = Float(u)
                scaled[i * keep + k] = Float(u * factor)
            }
        }
        var w = [Float](repeating: 0, count: d * d)
        scaled.withUnsafeBufferPointer { a in
            basis.withUnsafeBufferPointer { b in
                w.withUnsafeMutableBufferPointer { out in
                    BLAS.sgemm(
                        transB: true, m: d, n: d, k: keep, a: a.baseAddress!, lda: keep, b: b.baseAddress!, ldb: keep,
                        c: out.baseAddress!, ldc: d)
                }
            }
        }
        return w
    }

    /// Keras standardize (after augmenting, rescale already done at load), on a batch
    /// (N, H, W, C) in place: samplewise x -= mean(x), x /= std(x) + 1e-6 (over the whole
    /// image); featurewise x -= mean_c, x /= std_c + 1e-6; ZCA x_flat @ W. Flat rows (N, D)
    /// are read as images of `imageShape` [H, W, C]. Apply it to validation, test and
    /// prediction inputs too: the model is trained on standardized images.
    public func standardize(_ batch: Tensor, imageShape: [Int]? = nil, workspace: AugmentationWorkspace) {
        guard standardizes else { return }
        let (_, _, c) = Augmenter.imageShape(batch, imageShape)
        let n = batch.shape[0], d = batch.sampleSize
        for i in 0..<n { standardizeElementwise(batch.data + i * d, count: d, channels: c) }
        if zcaWhitening {
            precondition(statistics.zca.count == d * d, "zca_whitening needs fit on images of \(d) values first")
            workspace.reserve(batchX: n * d, batchY: 0)
            let out = workspace.batchX
            statistics.zca.withUnsafeBufferPointer { w in
                BLAS.sgemm(m: n, n: d, k: d, a: batch.data, lda: d, b: w.baseAddress!, ldb: d, c: out, ldc: d)
            }
            batch.data.update(from: out, count: n * d)
        }
    }

    /// `standardize` for one (H, W, C) image.
    public func standardize(
        _ image: UnsafeMutablePointer<Float>, height: Int, width: Int, channels: Int,
        workspace: AugmentationWorkspace
    ) {
        guard standardizes else { return }
        let d = height * width * channels
        standardizeElementwise(image, count: d, channels: channels)
        if zcaWhitening {
            precondition(statistics.zca.count == d * d, "zca_whitening needs fit on images of \(d) values first")
            workspace.reserve(pixels: d)
            let out = workspace.image
            statistics.zca.withUnsafeBufferPointer { w in
                BLAS.sgemm(m: 1, n: d, k: d, a: image, lda: d, b: w.baseAddress!, ldb: d, c: out, ldc: d)
            }
            image.update(from: out, count: d)
        }
    }

    private func standardizeElementwise(_ x: UnsafeMutablePointer<Float>, count d: Int, channels c: Int) {
        if samplewiseCenter {
            var s = 0.0
            for j in 0..<d { s += Double(x[j]) }
            let m = Float(s / Double(d))
            for j in 0..<d { x[j] -= m }
        }
        if samplewiseStdNormalization {
            let sd = meanAndStd(x, count: d).std
            for j in 0..<d { x[j] /= sd + Augmenter.stdEpsilon }
        }
        if featurewiseCenter {
            precondition(statistics.mean.count == c, "featurewise_center needs fit on images of \(c) channels first")
            statistics.mean.withUnsafeBufferPointer { m in
                for j in 0..<d { x[j] -= m[j % c] }
            }
        }
        if featurewiseStdNormalization {
            precondition(statistics.std.count == c, "featurewise_std_normalization needs fit first")
            statistics.std.withUnsafeBufferPointer { s in
                for j in 0..<d { x[j] /= s[j % c] + Augmenter.stdEpsilon }
            }
        }
    }
}
