/// Pooling over channels-last images: max and average windows (global forms: GlobalPooling.swift).
///
/// Windows, output sizes and "same" padding follow TF (see `Window2D` in Window2D.swift);
/// padded positions never take part: max pooling ignores them (TF pads with -inf) and
/// average pooling divides by the count of real inputs in the window (TF's AvgPool; checked
/// against TF 2.21: a 2x2 "same" window at the corner of a 3x3 input averages 1 value).
/// The loops below are the direct definitions, so they are their own naive reference;
/// the tests check them by hand, against Keras and by finite differences.

/// What a windowed pooling layer keeps from build: its window on the (H, W, C) input, x's
/// per-sample shape, and its y: (N, OH, OW, C) and dx: (N, H, W, C) buffers.
struct PoolBuffers {
    let window: Window2D
    let channels: Int
    private(set) var sampleShape: [Int]  // x's shape without the batch: (H, W, C), or (W, C) in 1-D
    let y: Tensor, dx: Tensor

    init(
        _ inputShape: [Int], poolSize: (h: Int, w: Int), strides: (h: Int, w: Int), padding: Padding, kind: String,
        maxBatch: Int
    ) throws {
        guard inputShape.count == 3 else {
            throw ShapeError("\(kind) needs (height, width, channels) inputs, got shape \(inputShape)")
        }
        window = try Window2D(
            input: (inputShape[0], inputShape[1]), window: poolSize, strides: strides, padding: padding,
            layer: "\(kind) pool")
        sampleShape = inputShape
        channels = inputShape[2]
        y = Tensor(shape: [maxBatch, window.outH, window.outW, channels])
        dx = Tensor(shape: [maxBatch] + inputShape)
    }

    /// Values per sample of x and of y.
    var inSize: Int { window.inH * window.inW * channels }
    var outSize: Int { window.outH * window.outW * channels }

    /// Checks x's per-sample shape.
    func check(_ x: Tensor, _ kind: String) {
        precondition(
            x.shape.dropFirst().elementsEqual(sampleShape), "\(kind) expects \(sampleShape) per sample, got \(x.shape)")
    }

    /// Takes x: (N, W, C) for (N, 1, W, C) and presents y: (N, OW, C), dx: (N, W, C), the
    /// same bytes: the 1-D layer's shapes. Call after `build` on (1, W, C).
    mutating func viewAs1D(_ kind: String) {
        precondition(window.inH == 1 && window.kh == 1, "\(kind) on \(sampleShape) has no unit height to drop")
        sampleShape = [window.inW, channels]
        dropUnitHeight(y)
        dropUnitHeight(dx)
    }
}

/// A pooling layer's validated pool size and strides (nil strides: the pool size, Keras
/// strides=None).
private func poolSizes(
    _ poolSize: (h: Int, w: Int), _ strides: (h: Int, w: Int)?, _ kind: String
) -> (poolSize: (h: Int, w: Int), strides: (h: Int, w: Int)) {
    checkPositive(poolSize, "\(kind) pool_size")
    checkPositive(strides ?? poolSize, "\(kind) strides")
    return (poolSize, strides ?? poolSize)
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

    private var buffers: PoolBuffers!
    private var argmax: UnsafeMutableBufferPointer<Int32> = .init(start: nil, count: 0)

    /// `strides` nil means the pool size (Keras strides=None).
    public init(poolSize: (h: Int, w: Int) = (2, 2), strides: (h: Int, w: Int)? = nil, padding: Padding = .valid) {
        (self.poolSize, self.strides) = poolSizes(poolSize, strides, kind)
        self.padding = padding
    }

    deinit { argmax.deallocate() }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        buffers = try PoolBuffers(
            inputShape, poolSize: poolSize, strides: strides, padding: padding, kind: kind, maxBatch: maxBatch)
        argmax.deallocate()
        argmax = .allocate(capacity: maxBatch * buffers.outSize)
        argmax.initialize(repeating: 0)
        return Array(buffers.y.shape.dropFirst())
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        buffers.check(x, kind)
        let g = buffers.window, c = buffers.channels, y = buffers.y
        let n = x.shape[0], inSize = buffers.inSize, outSize = buffers.outSize
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

    /// Presents y: (N, OW, C), dx: (N, W, C): MaxPooling1D's shapes (`PoolBuffers.viewAs1D`).
    public func viewAs1D() { buffers.viewAs1D(kind) }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let dx = buffers.dx, n = dy.shape[0], inSize = buffers.inSize, outSize = buffers.outSize
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

    private var buffers: PoolBuffers!

    /// `strides` nil means the pool size (Keras strides=None).
    public init(poolSize: (h: Int, w: Int) = (2, 2), strides: (h: Int, w: Int)? = nil, padding: Padding = .valid) {
        (self.poolSize, self.strides) = poolSizes(poolSize, strides, kind)
        self.padding = padding
    }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        buffers = try PoolBuffers(
            inputShape, poolSize: poolSize, strides: strides, padding: padding, kind: kind, maxBatch: maxBatch)
        return Array(buffers.y.shape.dropFirst())
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        buffers.check(x, kind)
        let g = buffers.window, c = buffers.channels, y = buffers.y
        let n = x.shape[0], inSize = buffers.inSize, outSize = buffers.outSize
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

    /// Presents y: (N, OW, C), dx: (N, W, C): AveragePooling1D's shapes (`PoolBuffers.viewAs1D`).
    public func viewAs1D() { buffers.viewAs1D(kind) }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        let g = buffers.window, c = buffers.channels, dx = buffers.dx
        let n = dy.shape[0], inSize = buffers.inSize, outSize = buffers.outSize
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

extension WindowedPooling {
    /// max/average pooling; strides default to pool_size (Keras strides=None), filled in.
    static func windowedRegistration(_ type: String, doc: String) -> LayerType {
        LayerType(
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
                }),
            make: { s in
                let p = s.ints("pool_size"), st = s.ints("strides")
                return Self(poolSize: (p[0], p[1]), strides: (st[0], st[1]), padding: s.choice("padding"))
            },
            size: { s, input in
                guard input.count == 3 else { return .same(input) }  // build says what is wrong
                let p = s.ints("pool_size"), st = s.ints("strides")
                let w = try Window2D(
                    input: (input[0], input[1]), window: (p[0], p[1]), strides: (st[0], st[1]),
                    padding: s.choice("padding"), layer: "\(type) pool")
                return .make([w.outH, w.outW, input[2]], parameters: 0)
            })
    }
}

extension MaxPooling2D {
    static let registration = windowedRegistration("max_pooling2d", doc: "the largest value of each window")
}

extension AveragePooling2D {
    static let registration = windowedRegistration(
        "average_pooling2d", doc: "the mean of each window (padding excluded)")
}
