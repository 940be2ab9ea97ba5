/// Global pooling over channels-last images (Keras GlobalAveragePooling2D,
/// GlobalMaxPooling2D): one value per channel over all positions. The loops are the direct
/// definitions, so they are their own naive reference; the tests check them by hand,
/// against Keras and by finite differences.

/// What a global pooling layer keeps from build: the positions (H * W) and channels of its
/// non-empty (H, W, C) input, and its y: (N, C) and dx: (N, H, W, C) buffers.
struct GlobalPoolBuffers {
    let positions: Int
    let channels: Int
    let y: Tensor, dx: Tensor

    init(_ inputShape: [Int], kind: String, maxBatch: Int) throws {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ShapeError("\(kind) needs non-empty (height, width, channels) inputs, got shape \(inputShape)")
        }
        (positions, channels) = (inputShape[0] * inputShape[1], inputShape[2])
        y = Tensor(shape: [maxBatch, channels])
        dx = Tensor(shape: [maxBatch] + inputShape)
    }

    /// Checks x's values per sample.
    func check(_ x: Tensor, _ kind: String) {
        precondition(
            x.sampleSize == positions * channels,
            "\(kind) expects \(positions * channels) values per sample, got \(x.shape)")
    }
}

/// Global average pooling (Keras GlobalAveragePooling2D).
///
/// x: (N, H, W, C) -> y: (N, C), the mean over H * W; dx = dy / (H * W) everywhere.
public final class GlobalAveragePooling2D: Layer {
    public let kind = "global_average_pooling2d"
    public var needsInputGradient = true
    public var parameters: [Parameter] { [] }

    private var buffers: GlobalPoolBuffers!

    public init() {}

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        buffers = try GlobalPoolBuffers(inputShape, kind: kind, maxBatch: maxBatch)
        return [buffers.channels]
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        buffers.check(x, kind)
        let y = buffers.y, positions = buffers.positions
        let n = x.shape[0], c = buffers.channels, scale = 1 / Float(positions)
        y.setBatch(n)
        for s in 0..<n {
            let yo = y.data + s * c, image = x.data + s * positions * c
            for ch in 0..<c { yo[ch] = 0 }
            for p in 0..<positions {
                let src = image + p * c
                for ch in 0..<c { yo[ch] += src[ch] }
            }
            for ch in 0..<c { yo[ch] *= scale }
        }
        return y
    }

    /// Takes x: (N, W, C) for (N, 1, W, C) and presents dx: (N, W, C), the same bytes:
    /// GlobalAveragePooling1D's shapes. Call after `build` on (1, W, C).
    public func viewAs1D() { dropUnitHeight(buffers.dx) }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let dx = buffers.dx, positions = buffers.positions
        let n = dy.shape[0], c = buffers.channels, scale = 1 / Float(positions)
        dx.setBatch(n)
        for s in 0..<n {
            let d = dy.data + s * c, image = dx.data + s * positions * c
            for p in 0..<positions {
                let dst = image + p * c
                for ch in 0..<c { dst[ch] = d[ch] * scale }
            }
        }
        return dx
    }
}

/// Global max pooling (Keras GlobalMaxPooling2D).
///
/// x: (N, H, W, C) -> y: (N, C), the max over H * W. Keras computes it with reduce_max,
/// whose gradient splits dy evenly between tied maxima (checked against TF 2.21: x = [1, 3,
/// 3, 2] gives dx = [0, 0.5, 0.5, 0]); backward does the same, recounting ties from x and y.
public final class GlobalMaxPooling2D: Layer {
    public let kind = "global_max_pooling2d"
    public var needsInputGradient = true
    public var parameters: [Parameter] { [] }

    private var buffers: GlobalPoolBuffers!
    private var x: Tensor!  // last input (owned by the previous layer)
    private var ties: Tensor!  // (C): how many inputs equal the max, for one sample

    public init() {}

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        buffers = try GlobalPoolBuffers(inputShape, kind: kind, maxBatch: maxBatch)
        ties = Tensor(shape: [buffers.channels])
        return [buffers.channels]
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        buffers.check(x, kind)
        self.x = x
        let y = buffers.y, positions = buffers.positions
        let n = x.shape[0], c = buffers.channels
        y.setBatch(n)
        for s in 0..<n {
            let yo = y.data + s * c, image = x.data + s * positions * c
            for ch in 0..<c { yo[ch] = -.infinity }
            for p in 0..<positions {
                let src = image + p * c
                for ch in 0..<c { yo[ch] = max(yo[ch], src[ch]) }
            }
        }
        return y
    }

    /// Takes x: (N, W, C) for (N, 1, W, C) and presents dx: (N, W, C), the same bytes:
    /// GlobalMaxPooling1D's shapes. Call after `build` on (1, W, C).
    public func viewAs1D() { dropUnitHeight(buffers.dx) }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let y = buffers.y, dx = buffers.dx, positions = buffers.positions
        let n = dy.shape[0], c = buffers.channels, t = ties.data
        dx.setBatch(n)
        for s in 0..<n {
            let yo = y.data + s * c, d = dy.data + s * c
            let image = x.data + s * positions * c, dimage = dx.data + s * positions * c
            for ch in 0..<c { t[ch] = 0 }
            for p in 0..<positions {
                let src = image + p * c
                for ch in 0..<c where src[ch] == yo[ch] { t[ch] += 1 }
            }
            for p in 0..<positions {
                let src = image + p * c, dst = dimage + p * c
                for ch in 0..<c { dst[ch] = src[ch] == yo[ch] ? d[ch] / t[ch] : 0 }
            }
        }
        return dx
    }
}

extension GlobalAveragePooling2D {
    static let registration = LayerType(
        Schema("global_average_pooling2d", [], doc: "the mean over height and width, per channel"),
        make: { _ in GlobalAveragePooling2D() },
        size: { _, input in .make(input.last.map { [$0] } ?? [], parameters: 0) })
}

extension GlobalMaxPooling2D {
    static let registration = LayerType(
        Schema("global_max_pooling2d", [], doc: "the largest value over height and width, per channel"),
        make: { _ in GlobalMaxPooling2D() }, size: { _, input in .make(input.last.map { [$0] } ?? [], parameters: 0) })
}
