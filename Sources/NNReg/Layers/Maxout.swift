/// Maxout (Goodfellow, Warde-Farley, Mirza, Courville & Bengio 2013, "Maxout Networks"):
/// a dense projection to units * pieces, then the maximum over each unit's pieces.
///
/// x: (N, ..., in) -> y: (N, ..., units); rows R = N * (middle dims), as in Dense.
/// kernel: (in, units * pieces), bias: (units * pieces). Column j * pieces + k is piece k
/// of unit j (a unit's pieces are adjacent, as tfa.layers.Maxout groups channels):
///   z = x @ kernel + bias,   y[r, j] = max_k z[r, j * pieces + k].
/// Backward routes dy to the winning piece only (the first one on a tie):
///   dz[r, j * pieces + k*] = dy[r, j], 0 elsewhere; dkernel = x^T dz; dbias = sum_r dz;
///   dx = dz kernel^T.
public final class Maxout: AffineLayer {
    public let kind = "maxout"
    public let units: Int
    public let pieces: Int
    public var activityRegularizer: Regularizer?
    public var needsInputGradient = true

    public let weights: KernelAndBias

    private var inputs = 0
    private var x: Tensor!  // last input (owned by the previous layer)
    private var z: Tensor!  // (R, units * pieces) projections; reused as dz in backward
    private var winner: Scratch<Int32>!  // (R * units) the piece each output took
    private var y: Tensor!
    private var dx: Tensor!

    public init(
        units: Int, pieces: Int, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros
    ) {
        precondition(units > 0, "maxout units must be positive, got \(units)")
        precondition(pieces > 0, "maxout pieces must be positive, got \(pieces)")
        self.units = units
        self.pieces = pieces
        weights = KernelAndBias(
            useBias: useBias, kernelInitializer: kernelInitializer, biasInitializer: biasInitializer)
    }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        inputs = try featureWidth(inputShape, kind)
        let width = units * pieces
        weights.build(kernel: [inputs, width], bias: width, rng: &rng)
        let outShape = Array(inputShape.dropLast()) + [units]
        let rows = maxBatch * inputShape.dropLast().reduce(1, *)
        z = Tensor(shape: [rows, width])
        winner = Scratch(rows * units, 0)
        y = Tensor(shape: [maxBatch] + outShape)
        dx = Tensor(shape: [maxBatch] + inputShape)
        return outShape
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        precondition(x.shape.last == inputs, "maxout expects (..., \(inputs)), got \(x.shape)")
        self.x = x
        let rows = x.count / inputs, width = units * pieces
        y.setBatch(x.shape[0])
        z.setBatch(rows)
        affine(
            x.data, rows: rows, inputs: inputs, kernel: kernel.value.data, bias: bias?.value.data, width: width,
            into: z.data)
        let zp = z.data, yp = y.data, wp = winner.data
        for r in 0..<rows {
            for j in 0..<units {
                let group = zp + r * width + j * pieces
                let arg = argmax(group, pieces)
                yp[r * units + j] = group[arg]
                wp[r * units + j] = Int32(arg)
            }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        let rows = x.count / inputs, width = units * pieces
        // z's values are no longer needed: it becomes dz.
        let dz = z!
        dz.setBatch(rows)
        dz.fill(0)
        let dzp = dz.data, gp = dy.data, wp = winner.data
        for r in 0..<rows {
            for j in 0..<units { dzp[r * width + j * pieces + Int(wp[r * units + j])] = gp[r * units + j] }
        }
        BLAS.sgemm(
            transA: true, m: inputs, n: width, k: rows, a: x.data, lda: inputs, b: dzp, ldb: width,
            c: kernel.grad.data, ldc: width)
        if let bias { sumColumns(dzp, rows: rows, width: width, into: bias.grad.data) }
        guard needsInputGradient else { return nil }
        dx.setBatch(x.shape[0])
        BLAS.sgemm(
            transB: true, m: rows, n: inputs, k: width, a: dzp, lda: width, b: kernel.value.data, ldb: width,
            c: dx.data, ldc: inputs)
        return dx
    }
}

extension Maxout {
    static let registration = LayerType(
        Schema(
            "maxout",
            [
                Option("units", .positiveInt, doc: "output width"),
                Option("pieces", .positiveInt, doc: "linear pieces per unit; the unit outputs their maximum"),
                LayerOptions.useBias,
            ] + LayerOptions.weights(["kernel", "bias"]),
            doc: "maxout units (Goodfellow et al. 2013): the max of `pieces` affine maps"),
        make: { s in
            let m = Maxout(
                units: s.int("units"), pieces: s.int("pieces"), useBias: s.bool("use_bias"),
                kernelInitializer: s.initializer("kernel_initializer"),
                biasInitializer: s.initializer("bias_initializer"))
            m.activityRegularizer = s.regularizer("activity_regularizer")
            return m
        },
        size: { s, input in
            let width = Double(s.int("units")) * Double(s.int("pieces")), inputs = Double(input.last ?? 1)
            return .make(input.dropLast() + [s.int("units")], parameters: (inputs + 1) * width, key: "units")
        })
}
