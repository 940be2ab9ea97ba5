/// Fully connected layer with a fused bias and activation; optional DropConnect.
///
/// x: (N, ..., in) -> y: (N, ..., units); rows R = N * (middle dims), so a dense head
/// after a sequence layer applies to every step, as in Keras.
/// kernel: (in, units), bias: (units). The rows are split into one shard per worker
/// thread (`Parallel`) for the forward pass and dx; dkernel and dbias are split by columns
/// (units), so no shard's sums need adding to another's. DropConnect (Wan et al. 2013, "Regularization
/// of Neural Networks using DropConnect") drops kernel entries per step with inverted
/// scaling 1/(1-rate), so inference uses the kernel unchanged.
public final class Dense: AffineLayer {
    public let kind = "dense"
    public let units: Int
    public var activation: Activation
    public let dropConnect: Float
    public var activityRegularizer: Regularizer?
    public var needsInputGradient = true

    public let weights: KernelAndBias

    private var inputs = 0
    private var x: Tensor!  // last input (owned by the previous layer)
    private var z: Tensor?  // pre-activation, kept only when the activation needs it
    private var y: Tensor!
    private var dz: Tensor!
    private var dx: Tensor!
    private var mask: Tensor?  // DropConnect: kept kernel entries, scaled (0 or 1/(1-rate))
    private var maskedKernel: Tensor?
    private var usedMask = false

    public init(
        units: Int, activation: Activation = .linear, useBias: Bool = true, dropConnect: Float = 0,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros
    ) {
        precondition(units > 0, "dense units must be positive, got \(units)")
        precondition(dropConnect >= 0 && dropConnect < 1, "drop_connect must be in [0, 1), got \(dropConnect)")
        self.units = units
        self.activation = activation
        self.dropConnect = dropConnect
        weights = KernelAndBias(
            useBias: useBias, kernelInitializer: kernelInitializer, biasInitializer: biasInitializer)
    }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        inputs = try featureWidth(inputShape, kind)
        weights.build(kernel: [inputs, units], bias: units, rng: &rng)
        let outShape = Array(inputShape.dropLast()) + [units]
        let rows = maxBatch * inputShape.dropLast().reduce(1, *)
        y = Tensor(shape: [maxBatch] + outShape)
        dz = Tensor(shape: [rows, units])
        dx = Tensor(shape: [maxBatch] + inputShape)
        if activation.needsPreActivation { z = Tensor(shape: [maxBatch] + outShape) }
        if dropConnect > 0 {
            mask = Tensor(shape: [inputs, units])
            maskedKernel = Tensor(shape: [inputs, units])
        }
        return outShape
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        precondition(
            x.sampleSize % inputs == 0 && x.shape.last == inputs, "dense expects (..., \(inputs)), got \(x.shape)")
        self.x = x
        let n = x.shape[0], rows = x.count / inputs
        y.setBatch(n)
        var w = UnsafePointer(kernel.value.data)
        usedMask = training && dropConnect > 0
        if usedMask, let mask, let maskedKernel {
            let keep = 1 - dropConnect, scale = 1 / keep, kv = kernel.value
            var g = rng.perBatch()  // one mask for the whole batch, the same on every rank
            for i in 0..<mask.count {
                let m: Float = g.uniform() < keep ? scale : 0
                mask[i] = m
                maskedKernel[i] = kv[i] * m
            }
            w = UnsafePointer(maskedKernel.data)
        }
        let out = z ?? y!
        out.setBatch(n)
        // Per shard of rows: out = x @ W, then + b and the activation.
        Parallel.forEachShard(of: rows) { r in
            let o = out.data + r.lowerBound * units
            affine(
                x.data + r.lowerBound * inputs, rows: r.count, inputs: inputs, kernel: w, bias: bias?.value.data,
                width: units, into: o)
            activation.forward(o, y.data + r.lowerBound * units, rows: r.count, width: units)
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        let n = x.shape[0], rows = x.count / inputs
        dz.setBatch(rows)
        if needsInputGradient { dx.setBatch(n) }
        let w = UnsafePointer(usedMask ? maskedKernel!.data : kernel.value.data)
        // Per shard of rows: dz = dy * f'(z) ; dx = dz W^T
        Parallel.forEachShard(of: rows) { r in
            let d = dz.data + r.lowerBound * units, offset = r.lowerBound * units
            activation.backward(
                dy: dy.data + offset, y: y.data + offset, z: z.map { UnsafePointer($0.data + offset) }, dz: d,
                rows: r.count, width: units)
            if needsInputGradient {
                BLAS.sgemm(
                    transB: true, m: r.count, n: inputs, k: units, a: d, lda: units, b: w, ldb: units,
                    c: dx.data + r.lowerBound * inputs, ldc: inputs)
            }
        }
        // Per shard of columns: dkernel = x^T dz (times the DropConnect mask) ; dbias = column sums of dz
        Parallel.forEachShard(of: units) { cols in
            let dw = kernel.grad.data + cols.lowerBound
            BLAS.sgemm(
                transA: true, m: inputs, n: cols.count, k: rows, a: x.data, lda: inputs, b: dz.data + cols.lowerBound,
                ldb: units, c: dw, ldc: units)
            if usedMask, let m = mask?.data {
                for i in 0..<inputs {
                    for j in cols { dw[i * units + j - cols.lowerBound] *= m[i * units + j] }
                }
            }
            if let db = bias?.grad.data {
                sumColumns(
                    dz.data + cols.lowerBound, rows: rows, width: cols.count, stride: units, into: db + cols.lowerBound)
            }
        }
        return needsInputGradient ? dx : nil
    }
}

extension Dense: ActivationOwner {
    static let registration = LayerType(
        Schema(
            "dense",
            [
                Option("units", .positiveInt, doc: "output width"),
                LayerOptions.activation(default: "linear"),
                LayerOptions.useBias,
            ] + LayerOptions.weights(["kernel", "bias"]) + [
                Option(
                    "drop_connect", .number(.fraction), default: 0,
                    doc: "fraction of kernel weights dropped each training step (DropConnect)")
            ],
            doc: "fully connected layer: activation(x · kernel + bias)"),
        make: { s in
            let d = Dense(
                units: s.int("units"), activation: s.activation(), useBias: s.bool("use_bias"),
                dropConnect: s.float("drop_connect"), kernelInitializer: s.initializer("kernel_initializer"),
                biasInitializer: s.initializer("bias_initializer"))
            d.activityRegularizer = s.regularizer("activity_regularizer")
            return d
        },
        size: { s, input in
            let units = s.int("units"), inputs = Double(input.last ?? 1)
            return .make(input.dropLast() + [units], parameters: (inputs + 1) * Double(units), key: "units")
        })
}
