/// 2-D convolution (Keras Conv2D), channels last, lowered to sgemm by im2col; the
/// naive loop reference is in ConvolutionReference.swift; windows and padding in Window2D.swift.

/// 2-D convolution over channels-last images, with a fused bias and activation.
///
/// x: (N, H, W, C) -> y: (N, OH, OW, F); kernel: (KH, KW, C, F) as Keras stores it,
/// bias: (F). Output sizes and padding follow TF (see `Window2D`).
///
/// Fast path (im2col): the batch is split into one contiguous shard per worker thread
/// (`Parallel`), and each shard is lowered in chunks of `samplesPerChunk` samples: their
/// receptive fields are copied into the shard's col: (rows, K) with rows = n * OH * OW and
/// K = KH * KW * C, ordered (i, j, c) like the kernel's leading axes, so z = col @ kernel
/// is one single-threaded sgemm per chunk; bias and activation follow while the chunk's
/// rows are in cache. Backward, per chunk: dz = dy * f'(z), dbias += column sums of dz,
/// dkernel += col^T dz, dcol = dz kernel^T, then col2im adds dcol into dx. Each shard sums
/// dkernel and dbias on its own; the shards' sums are then added in shard order. When one
/// chunk holds a whole shard, backward reuses the forward's col; otherwise it rebuilds each
/// chunk's col. dcol overwrites col (dkernel is done with it).
/// The naive reference (`referenceForward`, `referenceBackward`) is in ConvolutionReference.swift.
public final class Conv2D: AffineLayer {
    public let kind = "conv2d"
    public let filters: Int
    public let kernelSize: (h: Int, w: Int)
    public let strides: (h: Int, w: Int)
    public let padding: Padding
    public let dilationRate: (h: Int, w: Int)
    public var activation: Activation
    public var activityRegularizer: Regularizer?
    public var needsInputGradient = true

    public let weights: KernelAndBias

    /// A whole shard whose col fits in 1M floats (4 MB) is lowered at once, and backward
    /// reuses that col. (the benchmark CNN conv1: 128 x 676 x 9 = 779k floats.)
    static let wholeBatchColumns = 1 << 20
    /// Otherwise chunks of at most 256k floats (1 MB, about one core's L2) keep col and dcol
    /// in cache between im2col, sgemm and col2im; backward rebuilds each chunk's col.
    /// (conv2, 121 x 288 floats per sample: 7 samples per chunk.) Measured on the
    /// The benchmark CNN conv2 at batch 128, one thread: forward + backward 28.5 ms of CPU in
    /// chunks of 7 samples, 35.4 ms as one chunk of 128.
    static let chunkColumns = 1 << 18
    /// Samples lowered per sgemm, chosen in build (tests may lower it).
    var samplesPerChunk = 1

    private(set) var window: Window2D!
    private var sampleShape: [Int] = []  // x's shape without the batch: (H, W, C), or (W, C) for Conv1D
    private var channels = 0
    private var patch = 0  // K = KH * KW * C
    /// Output rows per bias/activation block: 32 KB of z (tests may lower it).
    var blockRows = 1
    private var x: Tensor!  // last input (owned by the previous layer)
    /// Per shard: its col, and (shards 1...) its dkernel and dbias sums.
    private var cols: [Tensor] = []
    private var shardKernelGrads: [Tensor] = []
    private var shardBiasGrads: [Tensor] = []
    private var shards = 1  // of the last forward
    private var colHoldsInput = false  // each shard's col is the im2col of its samples
    private var z: Tensor?  // pre-activation, kept only when the activation needs it
    private var y: Tensor!
    private var dz: Tensor!
    private var dx: Tensor!

    public init(
        filters: Int, kernelSize: (h: Int, w: Int), strides: (h: Int, w: Int) = (1, 1), padding: Padding = .valid,
        dilationRate: (h: Int, w: Int) = (1, 1), activation: Activation = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros
    ) {
        precondition(filters > 0, "conv2d filters must be positive, got \(filters)")
        checkPositive(kernelSize, "conv2d kernel_size")
        checkPositive(strides, "conv2d strides")
        checkPositive(dilationRate, "conv2d dilation_rate")
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.dilationRate = dilationRate
        self.activation = activation
        weights = KernelAndBias(
            useBias: useBias, kernelInitializer: kernelInitializer, biasInitializer: biasInitializer)
    }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        guard inputShape.count == 3, inputShape[2] > 0 else {
            throw ShapeError("conv2d needs (height, width, channels) inputs, got shape \(inputShape)")
        }
        if (strides.h > 1 || strides.w > 1) && (dilationRate.h > 1 || dilationRate.w > 1) {
            throw ShapeError(
                "conv2d strides (\(strides.h), \(strides.w)) with dilation_rate (\(dilationRate.h), \(dilationRate.w)): "
                    + "strides > 1 is not supported together with dilation_rate > 1 (as in Keras)")
        }
        let g = try Window2D(
            input: (inputShape[0], inputShape[1]), window: kernelSize, strides: strides, dilation: dilationRate,
            padding: padding, layer: "conv2d kernel")
        window = g
        sampleShape = inputShape
        channels = inputShape[2]
        patch = g.kh * g.kw * channels
        blockRows = max(1, 8192 / filters)
        weights.build(kernel: [g.kh, g.kw, channels, filters], bias: filters, rng: &rng)
        let outShape = [g.outH, g.outW, filters]
        let positions = g.outH * g.outW
        let perSample = positions * patch
        let maxShards = Parallel.shards(maxBatch)
        let shardBatch = (maxBatch + maxShards - 1) / maxShards
        samplesPerChunk =
            shardBatch * perSample <= Conv2D.wholeBatchColumns ? shardBatch : max(1, Conv2D.chunkColumns / perSample)
        cols = (0..<maxShards).map { _ in Tensor(shape: [samplesPerChunk * positions, patch]) }
        shardKernelGrads = (1..<maxShards).map { _ in Tensor(shape: kernel.value.shape) }
        shardBiasGrads = useBias ? (1..<maxShards).map { _ in Tensor(shape: [filters]) } : []
        y = Tensor(shape: [maxBatch] + outShape)
        dz = Tensor(shape: [maxBatch] + outShape)
        dx = Tensor(shape: [maxBatch] + inputShape)
        if activation.needsPreActivation { z = Tensor(shape: [maxBatch] + outShape) }
        return outShape
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        precondition(
            x.shape.dropFirst().elementsEqual(sampleShape), "\(kind) expects \(sampleShape) per sample, got \(x.shape)")
        self.x = x
        let n = x.shape[0]
        y.setBatch(n)
        (z ?? y!).setBatch(n)
        shards = min(Parallel.shards(n), cols.count)
        Parallel.run(shards: shards) { s in
            forward(samples: Parallel.shard(s, of: shards, count: n), col: cols[s].data)
        }
        colHoldsInput = (n + shards - 1) / shards <= samplesPerChunk
        return y
    }

    /// One shard's forward, chunk by chunk: col = im2col(x), z = col @ kernel, then + b and
    /// the activation while the chunk is in cache.
    private func forward(samples: Range<Int>, col c: UnsafeMutablePointer<Float>) {
        let positions = window.outH * window.outW, w = UnsafePointer(kernel.value.data)
        let out = (z ?? y!).data
        var first = samples.lowerBound
        while first < samples.upperBound {
            let count = min(samplesPerChunk, samples.upperBound - first), rows = count * positions
            Conv2D.im2col(x.data, c, window: window, channels: channels, samples: first..<(first + count))
            BLAS.sgemm(
                m: rows, n: filters, k: patch, a: c, lda: patch, b: w, ldb: filters,
                c: out + first * positions * filters, ldc: filters)
            addBiasAndActivate(rows: (first * positions)..<(first * positions + rows))
            first += count
        }
    }

    /// Takes x: (N, W, C) for (N, 1, W, C) and presents y: (N, OW, F), dx: (N, W, C) and the
    /// kernel as (KW, C, F), the same bytes: Conv1D's shapes. Call after `build` on (1, W, C).
    func viewAs1D() {
        precondition(window.inH == 1 && window.kh == 1, "conv2d on \(sampleShape) has no unit height to drop")
        sampleShape = [window.inW, channels]
        dropUnitHeight(y)
        dropUnitHeight(dx)
        for t in [kernel.value, kernel.grad] + shardKernelGrads { t.reshape(Array(t.shape.dropFirst())) }
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        let n = x.shape[0]
        dz.setBatch(n)
        if needsInputGradient { dx.setBatch(n) }
        Parallel.run(shards: shards) { s in
            backward(
                dy, samples: Parallel.shard(s, of: shards, count: n), col: cols[s].data,
                dkernel: s == 0 ? kernel.grad.data : shardKernelGrads[s - 1].data,
                dbias: s == 0 ? bias?.grad.data : shardBiasGrads.isEmpty ? nil : shardBiasGrads[s - 1].data)
        }
        colHoldsInput = false
        // The shards' sums, added in shard order.
        for s in 1..<shards {
            add(shardKernelGrads[s - 1], into: kernel.grad)
            if let bias { add(shardBiasGrads[s - 1], into: bias.grad) }
        }
        return needsInputGradient ? dx : nil
    }

    /// One shard's backward: sets `dkernel` and `dbias` to its samples' sums and writes
    /// their dx, chunk by chunk.
    private func backward(
        _ dy: Tensor, samples: Range<Int>, col c: UnsafeMutablePointer<Float>,
        dkernel: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>?
    ) {
        let positions = window.outH * window.outW, w = UnsafePointer(kernel.value.data)
        dbias?.update(repeating: 0, count: filters)
        var first = samples.lowerBound
        while first < samples.upperBound {
            let count = min(samplesPerChunk, samples.upperBound - first), rows = count * positions
            let chunk = first..<(first + count)
            let d = UnsafePointer(dz.data + first * positions * filters)
            accumulateActivationGradient(dy, rows: (first * positions)..<(first * positions + rows), dbias: dbias)
            if !colHoldsInput { Conv2D.im2col(x.data, c, window: window, channels: channels, samples: chunk) }
            // dkernel (+)= col^T dz ; dcol = dz kernel^T ; dx = col2im(dcol)
            BLAS.sgemm(
                transA: true, m: patch, n: filters, k: rows, a: c, lda: patch, b: d, ldb: filters,
                beta: first == samples.lowerBound ? 0 : 1, c: dkernel, ldc: filters)
            if needsInputGradient {
                BLAS.sgemm(
                    transB: true, m: rows, n: patch, k: filters, a: d, lda: filters, b: w, ldb: filters, c: c,
                    ldc: patch)
                Conv2D.col2im(c, dx.data, window: window, channels: channels, samples: chunk)
            }
            first += count
        }
    }

    /// total += part, elementwise.
    private func add(_ part: Tensor, into total: Tensor) {
        for i in 0..<total.count { total.data[i] += part.data[i] }
    }

    /// Output rows `rows` (of N * OH * OW): z += bias, y = activation(z), in blocks of
    /// `blockRows` so each block is still in cache for the second pass.
    private func addBiasAndActivate(rows: Range<Int>) {
        let out = (z ?? y!).data
        for start in stride(from: rows.lowerBound, to: rows.upperBound, by: blockRows) {
            let block = min(blockRows, rows.upperBound - start), zb = out + start * filters
            if let bias { addBias(bias.value.data, to: zb, rows: block, width: filters) }
            activation.forward(zb, y.data + start * filters, rows: block, width: filters)
        }
    }

    /// Output rows `rows`: dz = dy * activation'(z), and dbias += column sums of dz, in blocks.
    private func accumulateActivationGradient(_ dy: Tensor, rows: Range<Int>, dbias db: UnsafeMutablePointer<Float>?) {
        for start in stride(from: rows.lowerBound, to: rows.upperBound, by: blockRows) {
            let block = min(blockRows, rows.upperBound - start), offset = start * filters
            activation.backward(
                dy: dy.data + offset, y: y.data + offset, z: z.map { UnsafePointer($0.data + offset) },
                dz: dz.data + offset, rows: block, width: filters)
            if let db { sumColumns(dz.data + offset, rows: block, width: filters, into: db, accumulate: true) }
        }
    }

    /// col[r, (i * KW + j) * C + ch] = x[s, ih, iw, ch] with ih = oh * SH - padTop + i * DH,
    /// iw = ow * SW - padLeft + j * DW, zero where (ih, iw) is padding; rows
    /// r = ((s - samples.first) * OH + oh) * OW + ow.
    static func im2col(
        _ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, window g: Window2D, channels: Int,
        samples: Range<Int>
    ) {
        let rowWidth = g.kw * channels, imageSize = g.inH * g.inW * channels
        var dst = col
        forEachKernelRow(g, samples: samples) { s, ih, left, contiguous in
            let image = x + s * imageSize
            if ih < 0 || ih >= g.inH {
                for t in 0..<rowWidth { dst[t] = 0 }
            } else if contiguous {  // copied whole
                let src = image + (ih * g.inW + left) * channels
                for t in 0..<rowWidth { dst[t] = src[t] }
            } else {
                for j in 0..<g.kw {
                    let iw = left + j * g.dw, d = dst + j * channels
                    if iw < 0 || iw >= g.inW {
                        for ch in 0..<channels { d[ch] = 0 }
                    } else {
                        let src = image + (ih * g.inW + iw) * channels
                        for ch in 0..<channels { d[ch] = src[ch] }
                    }
                }
            }
            dst += rowWidth
        }
    }

    /// The adjoint of `im2col`: dx[s] = 0, then every dcol entry is added to the input
    /// element it was copied from (padding entries are dropped).
    static func col2im(
        _ dcol: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, window g: Window2D, channels: Int,
        samples: Range<Int>
    ) {
        let rowWidth = g.kw * channels, imageSize = g.inH * g.inW * channels
        (dx + samples.lowerBound * imageSize).update(repeating: 0, count: samples.count * imageSize)
        var src = dcol
        forEachKernelRow(g, samples: samples) { s, ih, left, contiguous in
            let image = dx + s * imageSize
            if ih < 0 || ih >= g.inH {
                // padding: nothing to add
            } else if contiguous {
                let d = image + (ih * g.inW + left) * channels
                for t in 0..<rowWidth { d[t] += src[t] }
            } else {
                for j in 0..<g.kw {
                    let iw = left + j * g.dw
                    if iw >= 0 && iw < g.inW {
                        let d = image + (ih * g.inW + iw) * channels, sj = src + j * channels
                        for ch in 0..<channels { d[ch] += sj[ch] }
                    }
                }
            }
            src += rowWidth
        }
    }

    /// The walk of im2col and col2im, in col's row order: for each sample s, output (oh, ow)
    /// and kernel row i, body(s, ih, left, contiguous) with ih = oh * SH - padTop + i * DH
    /// (outside 0..<H where it is padding), left = ow * SW - padLeft, and whether the
    /// undilated kernel row fits in the input, so it lies contiguously in x. Each call
    /// owns the next KW * C floats of col.
    @inline(__always)
    static func forEachKernelRow(
        _ g: Window2D, samples: Range<Int>, _ body: (_ s: Int, _ ih: Int, _ left: Int, _ contiguous: Bool) -> Void
    ) {
        for s in samples {
            for oh in 0..<g.outH {
                let top = oh * g.sh - g.padTop
                for ow in 0..<g.outW {
                    let left = ow * g.sw - g.padLeft
                    let contiguous = g.dw == 1 && left >= 0 && left + g.kw <= g.inW
                    for i in 0..<g.kh { body(s, top + i * g.dh, left, contiguous) }
                }
            }
        }
    }
}

extension Conv2D: ActivationOwner {
    static let registration = LayerType(
        LayerOptions.convolution(
            "conv2d", size: .size, one: [1, 1], paddings: ["valid", "same"],
            doc: "2D convolution over (height, width, channels) inputs"),
        make: { s in
            let k = s.ints("kernel_size"), st = s.ints("strides"), d = s.ints("dilation_rate")
            let c = Conv2D(
                filters: s.int("filters"), kernelSize: (k[0], k[1]), strides: (st[0], st[1]),
                padding: s.choice("padding"),
                dilationRate: (d[0], d[1]), activation: s.activation(), useBias: s.bool("use_bias"),
                kernelInitializer: s.initializer("kernel_initializer"),
                biasInitializer: s.initializer("bias_initializer"))
            c.activityRegularizer = s.regularizer("activity_regularizer")
            return c
        },
        size: { s, input in
            guard input.count == 3 else { return .same(input) }  // build says what is wrong
            let k = s.ints("kernel_size"), st = s.ints("strides"), d = s.ints("dilation_rate"), f = s.int("filters")
            let w = try Window2D(
                input: (input[0], input[1]), window: (k[0], k[1]), strides: (st[0], st[1]), dilation: (d[0], d[1]),
                padding: s.choice("padding"), layer: "conv2d kernel")
            let weights = Double(k[0]) * Double(k[1]) * Double(input[2]) * Double(f) + Double(f)
            // im2col holds (outH * outW, kh * kw * cin) per sample besides the output
            let columns = Double(w.outH) * Double(w.outW) * Double(k[0] * k[1]) * Double(input[2])
            var size = LayerSize.make([w.outH, w.outW, f], parameters: weights, key: "filters")
            size.activations += columns
            return size
        })
}
