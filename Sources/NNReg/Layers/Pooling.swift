/// Pooling over channels-last images: max and average windows, and their global forms.
///
/// Windows, output sizes and "same" padding follow TF (see `Window2D` in Window2D.swift);
/// padded positions never take part: max pooling ignores them (TF pads with -inf) and
/// average pooling divides by the count of real inputs in the window (TF's AvgPool; checked
/// against TF 2.21: a 2x2 "same" window at the corner of a 3x3 input averages 1 value).
/// The loops below are the direct definitions, so they are their own naive reference;
/// the tests check them by hand, against Keras and by finite differences.

/// The window of a pooling layer on an (H, W, C) input; strides default to the pool size.
private func poolWindow(
    _ inputShape: [Int], poolSize: (h: Int, w: Int), strides: (h: Int, w: Int), padding: Padding, kind: String
) throws -> Window2D {
    guard inputShape.count == 3 else {
        throw ShapeError("\(kind) needs (height, width, channels) inputs, got shape \(inputShape)")
    }
    return try Window2D(
        input: (inputShape[0], inputShape[1]), window: poolSize, strides: strides, padding: padding,
        layer: "\(kind) pool")
}

/// Calls body(p, rows, cols) for each output position p = oh * OW + ow, in order, with the
/// input rows and columns its window covers (padding excluded; never empty).
@inline(__always)
private func forEachWindow(_ g: Window2D, _ body: (_ p: Int, _ rows: Range<Int>, _ cols: Range<Int>) -> Void) {
    for oh in 0..<g.outH {
        let top = oh * g.sh - g.padTop
        let rows = max(top, 0)..<min(top + g.kh, g.inH)
        for ow in 0..<g.outW {
            let left = ow * g.sw - g.padLeft
            body(oh * g.outW + ow, rows, max(left, 0)..<min(left + g.kw, g.inW))
        }
    }
}

/// The (positions = H * W, channels) of a global pooling layer's non-empty (H, W, C) input.
private func globalPoolInput(_ inputShape: [Int], kind: String) throws -> (positions: Int, channels: Int) {
    guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
        throw ShapeError("\(kind) needs non-empty (height, width, channels) inputs, got shape \(inputShape)")
    }
    return (inputShape[0] * inputShape[1], inputShape[2])
}

private typealias I8 = SIMD8<Int32>
private let lanes = I8(0, 1, 2, 3, 4, 5, 6, 7)

/// Max pooling (Keras MaxPooling2D).
///
/// x: (N, H, W, C) -> y: (N, OH, OW, C), y = max over the window's real inputs.
/// Backward routes each dy to its window's argmax, kept per output in an Int32 buffer as
/// an offset inside the sample. Ties go to the first maximum in row-major (row, column)
/// order, as TF's CPU MaxPoolGrad does (checked against TF 2.21: an all-ones 3x3 input,
/// 2x2 windows, stride 1, sends every gradient to each window's top-left element).
/// NaN inputs are skipped.
public final class MaxPooling2D: Layer {
    public let kind = "max_pooling2d"
    public let poolSize: (h: Int, w: Int)
    public let strides: (h: Int, w: Int)
    public let padding: Padding
    public var needsInputGradient = true
    public var parameters: [Parameter] { [] }

    private(set) var window: Window2D!
    private var sampleShape: [Int] = []  // x's shape without the batch: (H, W, C), or (W, C) in 1-D
    private var channels = 0
    private var y: Tensor!
    private var dx: Tensor!
    private var argmax: UnsafeMutableBufferPointer<Int32> = .init(start: nil, count: 0)

    /// `strides` nil means the pool size (Keras strides=None).
    public init(poolSize: (h: Int, w: Int) = (2, 2), strides: (h: Int, w: Int)? = nil, padding: Padding = .valid) {
        checkPositive(poolSize, "max_pooling2d pool_size")
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
        checkPositive(self.strides, "max_pooling2d strides")
    }

    deinit { argmax.deallocate() }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        let g = try poolWindow(inputShape, poolSize: poolSize, strides: strides, padding: padding, kind: kind)
        window = g
        sampleShape = inputShape
        channels = inputShape[2]
        let outShape = [g.outH, g.outW, channels]
        y = Tensor(shape: [maxBatch] + outShape)
        dx = Tensor(shape: [maxBatch] + inputShape)
        argmax.deallocate()
        argmax = .allocate(capacity: maxBatch * outShape.reduce(1, *))
        argmax.initialize(repeating: 0)
        return outShape
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        let g = window!, c = channels
        precondition(
            x.shape.dropFirst().elementsEqual(sampleShape), "\(kind) expects \(sampleShape) per sample, got \(x.shape)")
        let n = x.shape[0], inSize = g.inH * g.inW * c, outSize = g.outH * g.outW * c
        y.setBatch(n)
        let arg = argmax.baseAddress!
        Parallel.forEachSample(n) { s in
            let image = x.data + s * inSize
            forEachWindow(g) { p, rows, cols in
                let o = s * outSize + p * c
                let yo = y.data + o, ao = arg + o
                let firstOffset = (rows.lowerBound * g.inW + cols.lowerBound) * c
                // 8 channels at a time in registers: branch-free selects, ties keep the
                // first maximum; then the scalar tail, the same operations per channel.
                var ch = 0
                while ch + 8 <= c {
                    var best = F8(repeating: -.infinity)
                    var at = I8(repeating: Int32(firstOffset + ch)) &+ lanes
                    for ih in rows {
                        for iw in cols {
                            let offset = (ih * g.inW + iw) * c + ch
                            let v = load8(image + offset), take = v .> best
                            best.replace(with: v, where: take)
                            at.replace(with: I8(repeating: Int32(offset)) &+ lanes, where: take)
                        }
                    }
                    store8(best, yo + ch)
                    UnsafeMutableRawPointer(ao + ch).storeBytes(of: at, as: I8.self)
                    ch += 8
                }
                for ch in ch..<c {
                    var best = -Float.infinity, at = Int32(firstOffset + ch)
                    for ih in rows {
                        for iw in cols {
                            let offset = (ih * g.inW + iw) * c + ch, v = image[offset]
                            if v > best { (best, at) = (v, Int32(offset)) }
                        }
                    }
                    yo[ch] = best
                    ao[ch] = at
                }
            }
        }
        return y
    }

    /// Takes x: (N, W, C) for (N, 1, W, C) and presents y: (N, OW, C), dx: (N, W, C), the same
    /// bytes: MaxPooling1D's shapes. Call after `build` on (1, W, C).
    func viewAs1D() {
        precondition(window.inH == 1 && window.kh == 1, "\(kind) on \(sampleShape) has no unit height to drop")
        sampleShape = [window.inW, channels]
        dropUnitHeight(y)
        dropUnitHeight(dx)
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let g = window!
        let n = dy.shape[0], inSize = g.inH * g.inW * channels, outSize = g.outH * g.outW * channels
        dx.setBatch(n)
        let arg = argmax.baseAddress!, d = dy.data
        Parallel.forEachSample(n) { s in
            let image = dx.data + s * inSize
            image.update(repeating: 0, count: inSize)
            for o in (s * outSize)..<((s + 1) * outSize) { image[Int(arg[o])] += d[o] }
        }
        return dx
    }
}

/// Average pooling (Keras AveragePooling2D).
///
/// x: (N, H, W, C) -> y: (N, OH, OW, C), y = mean of the window's real inputs (padding
/// is not counted). Backward spreads dy / count evenly over the same inputs.
public final class AveragePooling2D: Layer {
    public let kind = "average_pooling2d"
    public let poolSize: (h: Int, w: Int)
    public let strides: (h: Int, w: Int)
    public let padding: Padding
    public var needsInputGradient = true
    public var parameters: [Parameter] { [] }

    private(set) var window: Window2D!
    private var sampleShape: [Int] = []  // x's shape without the batch: (H, W, C), or (W, C) in 1-D
    private var channels = 0
    private var y: Tensor!
    private var dx: Tensor!

    /// `strides` nil means the pool size (Keras strides=None).
    public init(poolSize: (h: Int, w: Int) = (2, 2), strides: (h: Int, w: Int)? = nil, padding: Padding = .valid) {
        checkPositive(poolSize, "average_pooling2d pool_size")
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
        checkPositive(self.strides, "average_pooling2d strides")
    }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        let g = try poolWindow(inputShape, poolSize: poolSize, strides: strides, padding: padding, kind: kind)
        window = g
        sampleShape = inputShape
        channels = inputShape[2]
        let outShape = [g.outH, g.outW, channels]
        y = Tensor(shape: [maxBatch] + outShape)
        dx = Tensor(shape: [maxBatch] + inputShape)
        return outShape
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        let g = window!, c = channels
        precondition(
            x.shape.dropFirst().elementsEqual(sampleShape), "\(kind) expects \(sampleShape) per sample, got \(x.shape)")
        let n = x.shape[0], inSize = g.inH * g.inW * c, outSize = g.outH * g.outW * c
        y.setBatch(n)
        Parallel.forEachSample(n) { s in
            let image = x.data + s * inSize
            forEachWindow(g) { p, rows, cols in
                let yo = y.data + s * outSize + p * c
                for ch in 0..<c { yo[ch] = 0 }
                for ih in rows {
                    for iw in cols {
                        let src = image + (ih * g.inW + iw) * c
                        for ch in 0..<c { yo[ch] += src[ch] }
                    }
                }
                let scale = 1 / Float(rows.count * cols.count)
                for ch in 0..<c { yo[ch] *= scale }
            }
        }
        return y
    }

    /// Takes x: (N, W, C) for (N, 1, W, C) and presents y: (N, OW, C), dx: (N, W, C), the same
    /// bytes: AveragePooling1D's shapes. Call after `build` on (1, W, C).
    func viewAs1D() {
        precondition(window.inH == 1 && window.kh == 1, "\(kind) on \(sampleShape) has no unit height to drop")
        sampleShape = [window.inW, channels]
        dropUnitHeight(y)
        dropUnitHeight(dx)
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let g = window!, c = channels
        let n = dy.shape[0], inSize = g.inH * g.inW * c, outSize = g.outH * g.outW * c
        dx.setBatch(n)
        Parallel.forEachSample(n) { s in
            let image = dx.data + s * inSize
            image.update(repeating: 0, count: inSize)
            forEachWindow(g) { p, rows, cols in
                let d = dy.data + s * outSize + p * c
                let scale = 1 / Float(rows.count * cols.count)
                for ih in rows {
                    for iw in cols {
                        let dst = image + (ih * g.inW + iw) * c
                        for ch in 0..<c { dst[ch] += d[ch] * scale }
                    }
                }
            }
        }
        return dx
    }
}

/// Global average pooling (Keras GlobalAveragePooling2D).
///
/// x: (N, H, W, C) -> y: (N, C), the mean over H * W; dx = dy / (H * W) everywhere.
public final class GlobalAveragePooling2D: Layer {
    public let kind = "global_average_pooling2d"
    public var needsInputGradient = true
    public var parameters: [Parameter] { [] }

    private var positions = 0  // H * W
    private var channels = 0
    private var y: Tensor!
    private var dx: Tensor!

    public init() {}

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        (positions, channels) = try globalPoolInput(inputShape, kind: kind)
        y = Tensor(shape: [maxBatch, channels])
        dx = Tensor(shape: [maxBatch] + inputShape)
        return [channels]
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        precondition(
            x.sampleSize == positions * channels,
            "\(kind) expects \(positions * channels) values per sample, got \(x.shape)")
        let n = x.shape[0], c = channels, scale = 1 / Float(positions)
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
    func viewAs1D() { dropUnitHeight(dx) }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let n = dy.shape[0], c = channels, scale = 1 / Float(positions)
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

    private var positions = 0  // H * W
    private var channels = 0
    private var x: Tensor!  // last input (owned by the previous layer)
    private var y: Tensor!
    private var ties: Tensor!  // (C): how many inputs equal the max, for one sample
    private var dx: Tensor!

    public init() {}

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        (positions, channels) = try globalPoolInput(inputShape, kind: kind)
        y = Tensor(shape: [maxBatch, channels])
        ties = Tensor(shape: [channels])
        dx = Tensor(shape: [maxBatch] + inputShape)
        return [channels]
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        precondition(
            x.sampleSize == positions * channels,
            "\(kind) expects \(positions * channels) values per sample, got \(x.shape)")
        self.x = x
        let n = x.shape[0], c = channels
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
    func viewAs1D() { dropUnitHeight(dx) }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let n = dy.shape[0], c = channels, t = ties.data
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

/// max/average pooling; strides default to pool_size (Keras strides=None), filled in.
private func poolingSchema(_ type: String, doc: String) -> Schema {
    Schema(
        type,
        [
            Option("pool_size", .size, default: 2, doc: "n or [height, width]"),
            Option("strides", .nullable(.size), default: nil, doc: "n or [height, width]; null: pool_size"),
            Option("padding", LayerOptions.padding, default: "valid", doc: "\"valid\" or \"same\""),
        ],
        doc: doc,
        check: { options, _ in
            if options["strides"] == .null { options["strides"] = options["pool_size"] }
        })
}

extension MaxPooling2D {
    static let registration = LayerType(
        poolingSchema("max_pooling2d", doc: "the largest value of each window"),
        make: { s in
            let p = s.ints("pool_size"), st = s.ints("strides")
            return MaxPooling2D(poolSize: (p[0], p[1]), strides: (st[0], st[1]), padding: s.choice("padding"))
        })
}

extension AveragePooling2D {
    static let registration = LayerType(
        poolingSchema("average_pooling2d", doc: "the mean of each window (padding excluded)"),
        make: { s in
            let p = s.ints("pool_size"), st = s.ints("strides")
            return AveragePooling2D(poolSize: (p[0], p[1]), strides: (st[0], st[1]), padding: s.choice("padding"))
        })
}

extension GlobalAveragePooling2D {
    static let registration = LayerType(
        Schema("global_average_pooling2d", [], doc: "the mean over height and width, per channel"),
        make: { _ in GlobalAveragePooling2D() })
}

extension GlobalMaxPooling2D {
    static let registration = LayerType(
        Schema("global_max_pooling2d", [], doc: "the largest value over height and width, per channel"),
        make: { _ in GlobalMaxPooling2D() })
}
