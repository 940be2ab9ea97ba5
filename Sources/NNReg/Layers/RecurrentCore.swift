/// What the recurrent layers (lstm, gru, simple_rnn) share: parameters, dropout masks,
/// the input projection of every step in one sgemm, the per-step recurrent sgemm, and
/// the weight and input gradients of backpropagation through time as sgemms over all
/// steps at once (RecurrentBackward.swift). The cells (RecurrentLSTM.swift, ...) do only
/// their gate math.
///
/// x: (N, T, F) -> h_t: (N, units) for t in 0..<T; gate pre-activations (N, G*units),
/// gates in Keras order, so kernel: (F, G*units), recurrent_kernel: (units, G*units).
///
/// The batch is split into one shard of samples per worker thread (`Parallel`), and each
/// thread runs its shard through every step on its own: the samples of a batch never
/// interact, so a forward or backward call is one parallel job, with OpenBLAS
/// single-threaded on blocks of (N/threads) rows. Buffers are shard-major
/// (`RecurrentShard`): a shard's rows of every step are one contiguous block, time-major
/// inside it, so its step t is contiguous rows and "all its steps" one (T*n, width)
/// matrix:
///   pre = xs kernel,  dkernel = xs^T dpre,  drecurrent_kernel = hprev^T drec,  dx = dpre kernel^T.
/// Each shard sums its own weight gradients; they are added in shard order, so a given
/// thread count gives bit-identical results.
///
/// Dropout as Keras 3 (keras/src/layers/rnn/dropout_rnn_cell.py, lstm.py, gru.py,
/// rnn.py `_maybe_config_dropout_masks`): the masks are drawn once per forward call in
/// training and shared by every time step; the input mask is (N, F) and the recurrent
/// mask (N, units), both inverted (kept entries scaled by 1/(1-rate)). With
/// recurrent_dropout == 0 the cell runs Keras's implementation 2, one input mask for
/// all gates; with recurrent_dropout > 0 Keras switches to implementation 1, which
/// draws an independent input mask and recurrent mask for each gate
/// (`dropout_mask_count` = G). Both are reproduced here (`maskGroups`).
public final class RecurrentCore {
    let kind: String
    /// G: 4 for lstm (i, f, c, o), 3 for gru (z, r, h), 1 for simple_rnn.
    let gates: Int
    let options: RecurrentOptions
    /// GRU reset_after: the recurrent product plus its own bias row is kept apart in
    /// `rec` (the reset gate multiplies it) instead of being added into `pre`.
    let separateRecurrent: Bool
    /// LSTM: the forget gate's bias starts at 1 (Keras unit_forget_bias).
    let unitForgetBias: Bool
    /// How many gate blocks, from the first, get their recurrent product here; the cell
    /// does the rest itself (GRU with reset_after=false: z and r here, h after the reset).
    let recurrentBlocks: Int
    var units: Int { options.units }
    var dropout: Float { options.dropout }
    var recurrentDropout: Float { options.recurrentDropout }
    var returnSequences: Bool { options.returnSequences }

    private(set) var steps = 0
    private(set) var features = 0
    var gateWidth: Int { gates * units }
    /// Masks per kind when masks are on: one per gate with recurrent dropout (Keras
    /// implementation 1), else one shared by all gates.
    var maskGroups: Int { recurrentDropout > 0 ? gates : 1 }
    /// The layer's own generator for its masks (Keras's per-layer `seed`), derived per
    /// epoch by `beginEpoch`; nil: the masks come from the run's generator.
    private var ownRNG: RNG?
    /// Tests only: masks used instead of drawing, as `inputMasks` / `recurrentMasks` return them.
    var injectedMasks: (input: [[Float]], recurrent: [[Float]])?

    private(set) var kernel: Parameter!
    private(set) var recurrentKernel: Parameter!
    /// (G*units), or (2, G*units) with `separateRecurrent`: row 0 input, row 1 recurrent.
    private(set) var bias: Parameter?

    // State of the last forward call. Offsets use the call's batch n, not maxBatch.
    private(set) var n = 0
    private(set) var inputMasked = false
    private(set) var recurrentMasked = false
    private(set) var xs: Tensor!  // (groups, T, N, F): the input, shard-major, masked per group
    private(set) var inputMask: Tensor?  // (groups, N, F)
    private(set) var recurrentMask: Tensor?  // (G, N, units)
    private(set) var maskedStates: Tensor?  // (G, T, N, units): h_{t-1} * recurrent mask of gate g
    /// (T, N, G*units): gate pre-activations; the cell may add to them.
    private(set) var pre: Tensor!
    /// (T, N, G*units): gate activations, for cells with more than one gate.
    private(set) var post: Tensor?
    /// (T, N, G*units) with `separateRecurrent`: h_{t-1} recurrent_kernel + recurrent bias.
    private(set) var rec: Tensor?
    /// (T+1, N, units): slot t holds h_{t-1}; slot 0 is the zero initial state.
    private(set) var states: Tensor!
    private var y: Tensor!
    private var x: Tensor!
    /// Shards of the last forward call; backward uses the same split.
    private(set) var shardCount = 1

    // Backward.
    /// (T, N, G*units): dLoss/dpre, the input side of every gate.
    private(set) var dpre: Tensor!
    /// (T, N, G*units) with `separateRecurrent`: dLoss/drec; otherwise `dpre` is used.
    private(set) var drec: Tensor?
    /// (N, units) each: dLoss/dh_t for even and odd t (`dh(t)`, `dhPrev(t)`).
    private var dhEven: Tensor!, dhOdd: Tensor!
    private(set) var scratch: Tensor!  // (N, units)
    private(set) var dxs: Tensor!  // (T, N, F)
    private(set) var dx: Tensor!
    var dy: Tensor!
    /// Weight gradients of shards 1...: kernel, recurrent kernel, bias (shard 0 writes the
    /// parameters' own), added in shard order after the parallel part.
    private(set) var shardGradients: [(kernel: Tensor, recurrent: Tensor, bias: Tensor?)] = []

    init(
        kind: String, gates: Int, options: RecurrentOptions, separateRecurrent: Bool = false,
        unitForgetBias: Bool = false, recurrentBlocks: Int? = nil
    ) {
        let units = options.units, dropout = options.dropout, recurrentDropout = options.recurrentDropout
        precondition(units > 0, "\(kind) units must be positive, got \(units)")
        precondition(dropout >= 0 && dropout < 1, "\(kind) dropout must be in [0, 1), got \(dropout)")
        precondition(
            recurrentDropout >= 0 && recurrentDropout < 1,
            "\(kind) recurrent_dropout must be in [0, 1), got \(recurrentDropout)")
        self.kind = kind
        self.gates = gates
        self.options = options
        self.separateRecurrent = separateRecurrent
        self.unitForgetBias = unitForgetBias
        self.recurrentBlocks = recurrentBlocks ?? gates
        self.ownRNG = options.seed.map { RNG(seed: $0) }
    }

    /// Re-derives the layer's own generator for 0-based `epoch`, as `NoiseLayer` does, so
    /// a resumed run draws the same masks.
    func beginEpoch(_ epoch: Int) {
        if let seed = options.seed { ownRNG = RNG(seed: seed, stream: UInt64(epoch)) }
    }

    /// Creates and fills the parameters (kernel, recurrent kernel, bias, in Keras's order)
    /// and every buffer. inputShape: (T, F).
    func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        guard inputShape.count == 2, inputShape[0] > 0, inputShape[1] > 0 else {
            throw ShapeError("\(kind) needs (timesteps, features) inputs, got shape \(inputShape)")
        }
        steps = inputShape[0]
        features = inputShape[1]
        let m = maxBatch, t = steps, f = features, gu = gateWidth, u = units
        kernel = Parameter(name: "kernel", shape: [f, gu], initializer: options.kernelInitializer, rng: &rng)
        recurrentKernel = Parameter(
            name: "recurrent_kernel", shape: [u, gu], initializer: options.recurrentInitializer, rng: &rng)
        bias = options.useBias ? makeBias(rng: &rng) : nil

        let inGroups = dropout > 0 ? maskGroups : 1
        xs = Tensor(shape: [inGroups * t * m * f])
        if dropout > 0 { inputMask = Tensor(shape: [inGroups * m * f]) }
        if recurrentDropout > 0 {
            recurrentMask = Tensor(shape: [gates * m * u])
            maskedStates = Tensor(shape: [gates * t * m * u])
        }
        pre = Tensor(shape: [t * m * gu])
        if gates > 1 { post = Tensor(shape: [t * m * gu]) }
        if separateRecurrent {
            rec = Tensor(shape: [t * m * gu])
            drec = Tensor(shape: [t * m * gu])
        }
        states = Tensor(shape: [(t + 1) * m * u])
        dpre = Tensor(shape: [t * m * gu])
        dhEven = Tensor(shape: [m * u])
        dhOdd = Tensor(shape: [m * u])
        scratch = Tensor(shape: [m * u])
        shardGradients = (1..<Parallel.shards(m)).map { _ in
            (Tensor(shape: [f * gu]), Tensor(shape: [u * gu]), bias.map { Tensor(shape: [$0.value.count]) })
        }
        dxs = Tensor(shape: [t * m * f])
        dx = Tensor(shape: [m, t, f])
        let outShape = returnSequences ? [t, u] : [u]
        y = Tensor(shape: [m] + outShape)
        return outShape
    }

    /// (G*units), or (2, G*units) with `separateRecurrent`, from the bias initializer; with
    /// `unitForgetBias` as Keras builds it: concat(init((units,)), ones((units,)), init((2*units,))).
    private func makeBias(rng: inout RNG) -> Parameter {
        let gu = gateWidth, u = units, initializer = options.biasInitializer
        guard unitForgetBias else {
            return Parameter(
                name: "bias", shape: separateRecurrent ? [2, gu] : [gu], initializer: initializer, rng: &rng)
        }
        let b = Parameter(name: "bias", shape: [gu])
        let first = Tensor(shape: [u]), rest = Tensor(shape: [gu - 2 * u])
        initializer.fill(first, rng: &rng)
        initializer.fill(rest, rng: &rng)
        b.value.data.update(from: first.data, count: u)
        (b.value.data + u).update(repeating: 1, count: u)
        (b.value.data + 2 * u).update(from: rest.data, count: gu - 2 * u)
        return b
    }

    // MARK: Forward

    /// The whole forward pass: the masks, then per shard of samples (one thread each) the
    /// input projection, per step t the recurrent product and the cell's `step(t, shard)`,
    /// which computes the shard's h_t into states slot t+1 from pre[t], and its part of y.
    @inline(__always)
    func forward(
        _ x: Tensor, training: Bool, rng: inout RNG, step: (_ t: Int, _ shard: RecurrentShard) -> Void
    ) -> Tensor {
        beginForward(x, training: training, rng: &rng)
        let shards = shardCount
        Parallel.run(shards: shards) { k in
            let shard = makeShard(k, of: shards)
            project(shard)
            for t in 0..<steps {
                recurrentStep(t, shard)
                step(t, shard)
            }
            writeOutput(shard)
        }
        self.x = nil
        return y
    }

    /// Shard k of `shards`: contiguous samples of the call's batch (`Parallel.shard`).
    func makeShard(_ k: Int, of shards: Int) -> RecurrentShard {
        RecurrentShard(samples: Parallel.shard(k, of: shards, count: n), steps: steps)
    }

    /// Checks x: (N, T, F), and draws this call's masks (training only).
    func beginForward(_ x: Tensor, training: Bool, rng: inout RNG) {
        precondition(
            x.shape.count == 3 && x.shape[1] == steps && x.shape[2] == features,
            "\(kind) expects (N, \(steps), \(features)), got \(x.shape)")
        n = x.shape[0]
        self.x = x
        shardCount = min(Parallel.shards(n), shardGradients.count + 1)
        inputMasked = training && dropout > 0
        recurrentMasked = training && recurrentDropout > 0
        if var own = ownRNG, let seed = options.seed {
            // The layer's own seed replaces the run's in the sample keys (the same on every rank).
            own.keys = rng.keys.map { SampleKeys(seed: seed, epoch: $0.epoch, batch: $0.batch, samples: $0.samples) }
            drawMasks(rng: &own)
            ownRNG = own
        } else {
            drawMasks(rng: &rng)
        }
        y.setBatch(n)
    }

    /// One shard's input, shard-major (masked per group), projected for every step at
    /// once: pre = xs kernel + input bias, (T*count, F) x (F, G*units); and h_{-1} = 0.
    func project(_ shard: RecurrentShard) {
        let t = steps, f = features, u = units, gu = gateWidth, rows = t * shard.count, first = shard.first
        let groups = inputMasked ? maskGroups : 1
        let xp = x.data, block = shard.row(0)
        for g in 0..<groups {
            let dst = xs.data + (g * t * n + block) * f
            let mask = inputMasked ? inputMask!.data + g * n * f : nil
            for s in shard.samples {
                for step in 0..<t {
                    let src = xp + (s * t + step) * f, d = dst + (step * shard.count + s - first) * f
                    if let mask {
                        let ms = mask + s * f
                        for k in 0..<f { d[k] = src[k] * ms[k] }
                    } else {
                        d.update(from: src, count: f)
                    }
                }
            }
        }
        // One product for all gates, or one per gate when each gate has its own input mask,
        // in blocks of `projectionRows` rows (each row of pre depends on its row of xs alone),
        // each added to the bias rows.
        let cols = groups == 1 ? gu : u, target = pre.data + block * gu
        for r in stride(from: 0, to: rows, by: RecurrentCore.projectionRows) {
            let m = min(RecurrentCore.projectionRows, rows - r), c = target + r * gu
            let beta = fillBias(bias?.value.data, c, rows: m)
            for g in 0..<groups {
                BLAS.sgemm(
                    m: m, n: cols, k: f, a: xs.data + (g * t * n + block + r) * f, lda: f,
                    b: kernel.value.data + g * cols, ldb: gu, beta: beta, c: c + g * cols, ldc: gu)
            }
        }
        (states.data + shard.stateRow(0) * u).update(repeating: 0, count: shard.count * u)
    }

    /// c (rows, G*units) = the bias b on every row, so that a product adds to it with
    /// beta 1 (b + sum is sum + b, bit for bit, and OpenBLAS then skips its pass that zeroes
    /// C for beta 0); without a bias, nothing. Returns the product's beta.
    func fillBias(_ b: UnsafePointer<Float>?, _ c: UnsafeMutablePointer<Float>, rows: Int) -> Float {
        guard let b else { return 0 }
        let gu = gateWidth
        for i in 0..<rows { (c + i * gu).update(from: b, count: gu) }
        return 1
    }

    /// Rows per sgemm of the input projection: OpenBLAS 0.3.21 runs (rows x 200 x 50) at
    /// ~58 GFLOP/s in blocks of 1024-3840 rows against ~50 for all 7680 of a shard at once.
    static let projectionRows = 1024

    /// This call's masks: the input masks first, then the recurrent ones (or the injected ones).
    private func drawMasks(rng: inout RNG) {
        let f = features, u = units
        if inputMasked, let inputMask {
            if let injected = injectedMasks?.input {
                for (g, m) in injected.enumerated() { (inputMask.data + g * n * f).update(from: m, count: n * f) }
            } else {
                rng.dropoutMask(inputMask.data, groups: maskGroups, rows: n, width: f, rate: dropout)
            }
        }
        if recurrentMasked, let recurrentMask {
            if let injected = injectedMasks?.recurrent {
                for (g, m) in injected.enumerated() { (recurrentMask.data + g * n * u).update(from: m, count: n * u) }
            } else {
                rng.dropoutMask(recurrentMask.data, groups: gates, rows: n, width: u, rate: recurrentDropout)
            }
        }
    }

    /// Adds the shard's step-t recurrent product h_{t-1} recurrent_kernel (masked per gate
    /// in training) into pre[t], or with `separateRecurrent` to the recurrent bias in rec[t].
    /// (count, units) x (units, B*units), B = `recurrentBlocks`.
    func recurrentStep(_ t: Int, _ shard: RecurrentShard) {
        let u = units, gu = gateWidth, bu = recurrentBlocks * units, rows = shard.count
        let hPrev = states.data + shard.stateRow(t) * u
        let target = (separateRecurrent ? rec! : pre).data + shard.row(t) * gu
        let beta = separateRecurrent ? fillBias(bias.map { $0.value.data + gu }, target, rows: rows) : 1
        let r = recurrentKernel.value.data
        if recurrentMasked, let recurrentMask, let maskedStates {
            for g in 0..<gates {
                let hm = maskedStates.data + (g * steps * n + shard.row(t)) * u
                let rm = recurrentMask.data + (g * n + shard.first) * u
                for i in 0..<(rows * u) { hm[i] = hPrev[i] * rm[i] }
                guard g < recurrentBlocks else { continue }
                BLAS.sgemm(
                    m: rows, n: u, k: u, a: hm, lda: u, b: r + g * u, ldb: gu,
                    beta: beta, c: target + g * u, ldc: gu)
            }
        } else {
            BLAS.sgemm(m: rows, n: bu, k: u, a: hPrev, lda: u, b: r, ldb: gu, beta: beta, c: target, ldc: gu)
        }
    }

    /// The shard's part of y: (N, T, units) from states[1...T], or (N, units) = h_{T-1}.
    func writeOutput(_ shard: RecurrentShard) {
        let u = units, t = steps
        if returnSequences {
            for s in shard.samples {
                for step in 0..<t {
                    (y.data + (s * t + step) * u).update(
                        from: states.data + (shard.stateRow(step + 1) + s - shard.first) * u, count: u)
                }
            }
        } else {
            (y.data + shard.first * u).update(from: states.data + shard.stateRow(t) * u, count: shard.count * u)
        }
    }

    /// dLoss/dh_t, (N, units), for the step being processed; even and odd steps alternate
    /// two buffers, so `dhPrev(t)` is `dh(t - 1)`.
    @inline(__always)
    func dh(_ t: Int) -> UnsafeMutablePointer<Float> { (t & 1 == 0 ? dhEven : dhOdd).data }

    /// dLoss/dh_{t-1}: the cell writes its direct path, `recurrentBackward` adds the rest.
    @inline(__always)
    func dhPrev(_ t: Int) -> UnsafeMutablePointer<Float> { (t & 1 == 0 ? dhOdd : dhEven).data }
}
