/// What the recurrent layers (lstm, gru, simple_rnn) share: parameters, dropout masks,
/// the input projection of every step in one sgemm, the per-step recurrent sgemm, and
/// the weight and input gradients of backpropagation through time as sgemms over all
/// steps at once. The cells (RecurrentLSTM.swift, ...) do only their gate math.
///
/// x: (N, T, F) -> h_t: (N, units) for t in 0..<T; gate pre-activations (N, G*units),
/// gates in Keras order, so kernel: (F, G*units), recurrent_kernel: (units, G*units).
///
/// Buffers are time-major: step t of a (T, N, width) buffer is the contiguous block
/// at t*N*width, so each step's sgemm reads and writes contiguous rows and "all steps"
/// is one (T*N, width) matrix:
///   dkernel = xs^T dpre,  drecurrent_kernel = hprev^T drec,  dx = dpre kernel^T.
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
    private var xs: Tensor!  // (groups, T, N, F): the input, time-major, masked per group
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

    // Backward.
    /// (T, N, G*units): dLoss/dpre, the input side of every gate.
    private(set) var dpre: Tensor!
    /// (T, N, G*units) with `separateRecurrent`: dLoss/drec; otherwise `dpre` is used.
    private(set) var drec: Tensor?
    /// (N, units): dLoss/dh_t for the step being processed.
    private(set) var dh: Tensor!
    /// (N, units): dLoss/dh_{t-1}; the cell writes its direct path, `recurrentBackward` adds the rest.
    private(set) var dhPrev: Tensor!
    private var scratch: Tensor!  // (N, units)
    private var dxs: Tensor!  // (T, N, F)
    private var dx: Tensor!
    private var dy: Tensor!

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
        dh = Tensor(shape: [m * u])
        dhPrev = Tensor(shape: [m * u])
        scratch = Tensor(shape: [m * u])
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

    /// The whole forward pass: the input projection, then per step t the recurrent product
    /// and the cell's `step(t)`, which computes h_t into states[t+1] from pre[t].
    @inline(__always)
    func forward(_ x: Tensor, training: Bool, rng: inout RNG, step: (_ t: Int) -> Void) -> Tensor {
        beginForward(x, training: training, rng: &rng)
        for t in 0..<steps {
            recurrentStep(t)
            step(t)
        }
        return finishForward()
    }

    /// Draws this call's masks (training only), copies x time-major (masked), and
    /// projects every step at once: pre = xs kernel + input bias, (T*N, F) x (F, G*units).
    func beginForward(_ x: Tensor, training: Bool, rng: inout RNG) {
        precondition(
            x.shape.count == 3 && x.shape[1] == steps && x.shape[2] == features,
            "\(kind) expects (N, \(steps), \(features)), got \(x.shape)")
        n = x.shape[0]
        inputMasked = training && dropout > 0
        recurrentMasked = training && recurrentDropout > 0
        let t = steps, f = features, u = units, gu = gateWidth, rows = t * n
        if var own = ownRNG, let seed = options.seed {
            // The layer's own seed replaces the run's in the sample keys (the same on every rank).
            own.keys = rng.keys.map { SampleKeys(seed: seed, epoch: $0.epoch, batch: $0.batch, samples: $0.samples) }
            drawMasks(rng: &own)
            ownRNG = own
        } else {
            drawMasks(rng: &rng)
        }

        let groups = inputMasked ? maskGroups : 1
        let xp = x.data
        for g in 0..<groups {
            let dst = xs.data + g * rows * f
            let mask = inputMasked ? inputMask!.data + g * n * f : nil
            for s in 0..<n {
                for step in 0..<t {
                    let src = xp + (s * t + step) * f, d = dst + (step * n + s) * f
                    if let mask {
                        let ms = mask + s * f
                        for k in 0..<f { d[k] = src[k] * ms[k] }
                    } else {
                        d.update(from: src, count: f)
                    }
                }
            }
        }
        // One sgemm for all gates, or one per gate when each gate has its own input mask.
        let cols = groups == 1 ? gu : u
        for g in 0..<groups {
            BLAS.sgemm(
                m: rows, n: cols, k: f, a: xs.data + g * rows * f, lda: f,
                b: kernel.value.data + g * cols, ldb: gu, c: pre.data + g * cols, ldc: gu)
        }
        if let bias { addBias(bias.value.data, to: pre.data, rows: rows, width: gu) }
        states.data.update(repeating: 0, count: n * u)
    }

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

    /// Adds step t's recurrent product h_{t-1} recurrent_kernel (masked per gate in
    /// training) into pre[t], or with `separateRecurrent` writes it plus the recurrent
    /// bias to rec[t]. (N, units) x (units, B*units), B = `recurrentBlocks`.
    func recurrentStep(_ t: Int) {
        let u = units, gu = gateWidth, bu = recurrentBlocks * units
        let hPrev = states.data + t * n * u
        let target = separateRecurrent ? rec!.data + t * n * gu : pre.data + t * n * gu
        let beta: Float = separateRecurrent ? 0 : 1
        let r = recurrentKernel.value.data
        if recurrentMasked, let recurrentMask, let maskedStates {
            for g in 0..<gates {
                let hm = maskedStates.data + (g * steps + t) * n * u, rm = recurrentMask.data + g * n * u
                for i in 0..<(n * u) { hm[i] = hPrev[i] * rm[i] }
                guard g < recurrentBlocks else { continue }
                BLAS.sgemm(
                    m: n, n: u, k: u, a: hm, lda: u, b: r + g * u, ldb: gu,
                    beta: beta, c: target + g * u, ldc: gu)
            }
        } else {
            BLAS.sgemm(m: n, n: bu, k: u, a: hPrev, lda: u, b: r, ldb: gu, beta: beta, c: target, ldc: gu)
        }
        if separateRecurrent, let bias { addBias(bias.value.data + gu, to: target, rows: n, width: gu) }
    }

    /// y: (N, T, units) from states[1...T], or (N, units) = h_{T-1}.
    func finishForward() -> Tensor {
        let u = units, t = steps
        y.setBatch(n)
        if returnSequences {
            for s in 0..<n {
                for step in 0..<t {
                    (y.data + (s * t + step) * u).update(from: states.data + ((step + 1) * n + s) * u, count: u)
                }
            }
        } else {
            y.data.update(from: states.data + t * n * u, count: n * u)
        }
        return y
    }

    // MARK: Backward

    /// The whole backward pass, t = T-1 down to 0: dh gets the output's gradient, the cell's
    /// `step(t)` writes dpre[t] (and drec[t], and with `accumulate` its direct path into
    /// dhPrev), then the recurrent gradient flows to h_{t-1}; last the weight gradients and dx.
    @inline(__always)
    func backward(_ dy: Tensor, accumulate: Bool, needsInputGradient: Bool, step: (_ t: Int) -> Void) -> Tensor? {
        beginBackward(dy)
        for t in stride(from: steps - 1, through: 0, by: -1) {
            addOutputGradient(t)
            step(t)
            recurrentBackward(t, accumulate: accumulate)
        }
        return finishBackward(needsInputGradient: needsInputGradient)
    }

    /// Starts BPTT from dy: (N, T, units) or (N, units); dh = 0.
    func beginBackward(_ dy: Tensor) {
        precondition(
            dy.shape[0] == n && dy.count == n * (returnSequences ? steps : 1) * units,
            "\(kind) backward expects dy for \(n) samples, got \(dy.shape)")
        self.dy = dy
        dh.data.update(repeating: 0, count: n * units)
    }

    /// dh += dLoss/dy_t, the gradient reaching h_t from the layer's output.
    func addOutputGradient(_ t: Int) {
        let u = units, d = dh.data
        if returnSequences {
            for s in 0..<n {
                let src = dy.data + (s * steps + t) * u, dst = d + s * u
                for j in 0..<u { dst[j] += src[j] }
            }
        } else if t == steps - 1 {
            for i in 0..<(n * u) { d[i] += dy.data[i] }
        }
    }

    /// dhPrev (+)= drec[t] recurrent_kernel^T, masked per gate; then dhPrev becomes dh.
    /// `accumulate` keeps what the cell wrote to dhPrev (its direct path, e.g. GRU's z*dh).
    func recurrentBackward(_ t: Int, accumulate: Bool) {
        defer { (dh, dhPrev) = (dhPrev, dh) }
        guard t > 0 else { return }  // dLoss/d(initial state) is not needed
        let u = units, gu = gateWidth, bu = recurrentBlocks * units
        let d = (drec ?? dpre).data + t * n * gu, r = recurrentKernel.value.data, dp = dhPrev.data
        if recurrentMasked, let recurrentMask {
            if !accumulate { dp.update(repeating: 0, count: n * u) }
            for g in 0..<recurrentBlocks {
                BLAS.sgemm(
                    transB: true, m: n, n: u, k: u, a: d + g * u, lda: gu, b: r + g * u, ldb: gu,
                    c: scratch.data, ldc: u)
                let rm = recurrentMask.data + g * n * u, sc = scratch.data
                for i in 0..<(n * u) { dp[i] += sc[i] * rm[i] }
            }
        } else {
            BLAS.sgemm(
                transB: true, m: n, n: u, k: bu, a: d, lda: gu, b: r, ldb: gu,
                beta: accumulate ? 1 : 0, c: dp, ldc: u)
        }
    }

    /// Parameter gradients over all steps at once, then dx (nil unless `needsInputGradient`).
    func finishBackward(needsInputGradient: Bool) -> Tensor? {
        let t = steps, f = features, u = units, gu = gateWidth, bu = recurrentBlocks * units, rows = t * n
        let dIn = dpre.data, dRec = (drec ?? dpre).data
        let inGroups = inputMasked ? maskGroups : 1, inCols = inGroups == 1 ? gu : u
        // dkernel = xs^T dpre: (F, T*N) x (T*N, G*units), per gate if masked per gate.
        for g in 0..<inGroups {
            BLAS.sgemm(
                transA: true, m: f, n: inCols, k: rows, a: xs.data + g * rows * f, lda: f,
                b: dIn + g * inCols, ldb: gu, c: kernel.grad.data + g * inCols, ldc: gu)
        }
        // drecurrent_kernel = hprev^T drec: (units, T*N) x (T*N, B*units); the cell does the rest.
        if recurrentMasked, let maskedStates {
            for g in 0..<recurrentBlocks {
                BLAS.sgemm(
                    transA: true, m: u, n: u, k: rows, a: maskedStates.data + g * rows * u, lda: u,
                    b: dRec + g * u, ldb: gu, c: recurrentKernel.grad.data + g * u, ldc: gu)
            }
        } else {
            BLAS.sgemm(
                transA: true, m: u, n: bu, k: rows, a: states.data, lda: u, b: dRec, ldb: gu,
                c: recurrentKernel.grad.data, ldc: gu)
        }
        if let bias {
            sumColumns(dIn, rows: rows, width: gu, into: bias.grad.data)
            if separateRecurrent { sumColumns(dRec, rows: rows, width: gu, into: bias.grad.data + gu) }
        }
        guard needsInputGradient else { return nil }
        // dx = sum over mask groups of (dpre_g kernel_g^T) * mask_g, back to (N, T, F).
        dx.setBatch(n)
        let out = dx.data, dt = dxs.data
        for g in 0..<inGroups {
            BLAS.sgemm(
                transB: true, m: rows, n: f, k: inCols, a: dIn + g * inCols, lda: gu,
                b: kernel.value.data + g * inCols, ldb: gu, c: dt, ldc: f)
            let mask = inputMasked ? inputMask!.data + g * n * f : nil
            for s in 0..<n {
                for step in 0..<t {
                    let src = dt + (step * n + s) * f, dst = out + (s * t + step) * f
                    switch (mask, g) {
                    case (nil, _): dst.update(from: src, count: f)
                    case (let m?, 0): for k in 0..<f { dst[k] = src[k] * m[s * f + k] }
                    case (let m?, _): for k in 0..<f { dst[k] += src[k] * m[s * f + k] }
                    }
                }
            }
        }
        return dx
    }
}
