/// Backpropagation through time for `RecurrentCore`: per shard of samples (one thread
/// each, the split of the forward call), t = T-1 down to 0, then the shard's weight
/// gradients and dx as sgemms over all its steps; last the shards' weight gradients are
/// added in shard order.
///
/// dy: (N, T, units) or (N, units) -> dx: (N, T, F); kernel.grad: (F, G*units),
/// recurrent_kernel.grad: (units, G*units), bias.grad: (G*units) or (2, G*units).
extension RecurrentCore {
    /// The whole backward pass. Per step, dh(t) gets the output's gradient, the cell's
    /// `step(t, shard)` writes dpre[t] (and drec[t], and with `accumulate` its direct path
    /// into dhPrev(t)), then the recurrent gradient flows to h_{t-1}.
    @inline(__always)
    func backward(
        _ dy: Tensor, accumulate: Bool, needsInputGradient: Bool, step: (_ t: Int, _ shard: RecurrentShard) -> Void
    ) -> Tensor? {
        beginBackward(dy, needsInputGradient: needsInputGradient)
        let shards = shardCount
        Parallel.run(shards: shards) { k in
            let shard = makeShard(k, of: shards)
            (dh(steps - 1) + shard.first * units).update(repeating: 0, count: shard.count * units)
            for t in stride(from: steps - 1, through: 0, by: -1) {
                addOutputGradient(t, shard)
                step(t, shard)
                recurrentBackward(t, shard, accumulate: accumulate)
            }
            if k == 0 {
                weightGradients(
                    shard, dkernel: kernel.grad.data, drecurrent: recurrentKernel.grad.data, dbias: bias?.grad.data)
            } else {
                let g = shardGradients[k - 1]
                weightGradients(shard, dkernel: g.kernel.data, drecurrent: g.recurrent.data, dbias: g.bias?.data)
            }
            if needsInputGradient { inputGradient(shard) }
        }
        for k in 1..<max(1, shards) {
            let g = shardGradients[k - 1]
            add(g.kernel, into: kernel.grad)
            add(g.recurrent, into: recurrentKernel.grad)
            if let b = g.bias, let bias { add(b, into: bias.grad) }
        }
        return needsInputGradient ? dx : nil
    }

    /// Checks dy: (N, T, units) or (N, units) for the forward call's N.
    func beginBackward(_ dy: Tensor, needsInputGradient: Bool) {
        precondition(
            dy.shape[0] == n && dy.count == n * (returnSequences ? steps : 1) * units,
            "\(kind) backward expects dy for \(n) samples, got \(dy.shape)")
        self.dy = dy
        if needsInputGradient { dx.setBatch(n) }
    }

    /// The shard's dh(t) += dLoss/dy_t, the gradient reaching h_t from the layer's output.
    func addOutputGradient(_ t: Int, _ shard: RecurrentShard) {
        let u = units, d = dh(t) + shard.first * u
        if returnSequences {
            for s in shard.samples {
                let src = dy.data + (s * steps + t) * u, dst = d + (s - shard.first) * u
                for j in 0..<u { dst[j] += src[j] }
            }
        } else if t == steps - 1 {
            let src = dy.data + shard.first * u
            for i in 0..<(shard.count * u) { d[i] += src[i] }
        }
    }

    /// The shard's dhPrev(t) (+)= drec[t] recurrent_kernel^T, masked per gate. `accumulate`
    /// keeps what the cell wrote to dhPrev (its direct path, e.g. GRU's z*dh).
    func recurrentBackward(_ t: Int, _ shard: RecurrentShard, accumulate: Bool) {
        guard t > 0 else { return }  // dLoss/d(initial state) is not needed
        let u = units, gu = gateWidth, bu = recurrentBlocks * units, rows = shard.count
        let d = (drec ?? dpre).data + shard.row(t) * gu, r = recurrentKernel.value.data
        let dp = dhPrev(t) + shard.first * u
        if recurrentMasked, let recurrentMask {
            if !accumulate { dp.update(repeating: 0, count: rows * u) }
            let sc = scratch.data + shard.first * u
            for g in 0..<recurrentBlocks {
                BLAS.sgemm(
                    transB: true, m: rows, n: u, k: u, a: d + g * u, lda: gu, b: r + g * u, ldb: gu, c: sc, ldc: u)
                let rm = recurrentMask.data + (g * n + shard.first) * u
                for i in 0..<(rows * u) { dp[i] += sc[i] * rm[i] }
            }
        } else {
            BLAS.sgemm(
                transB: true, m: rows, n: u, k: bu, a: d, lda: gu, b: r, ldb: gu,
                beta: accumulate ? 1 : 0, c: dp, ldc: u)
        }
    }

    /// The shard's weight gradients over all its steps at once (set, not added):
    /// dkernel = xs^T dpre: (F, T*count) x (T*count, G*units), per gate if masked per gate;
    /// drecurrent_kernel = hprev^T drec: (units, T*count) x (T*count, B*units), the cell
    /// does the rest; dbias = column sums of dpre (and of drec, GRU's second row).
    func weightGradients(
        _ shard: RecurrentShard, dkernel: UnsafeMutablePointer<Float>, drecurrent: UnsafeMutablePointer<Float>,
        dbias: UnsafeMutablePointer<Float>?
    ) {
        let t = steps, f = features, u = units, gu = gateWidth, bu = recurrentBlocks * units
        let rows = t * shard.count, block = shard.row(0)
        let dIn = dpre.data + block * gu, dRec = (drec ?? dpre).data + block * gu
        let inGroups = inputMasked ? maskGroups : 1, inCols = inGroups == 1 ? gu : u
        for g in 0..<inGroups {
            BLAS.sgemm(
                transA: true, m: f, n: inCols, k: rows, a: xs.data + (g * t * n + block) * f, lda: f,
                b: dIn + g * inCols, ldb: gu, c: dkernel + g * inCols, ldc: gu)
        }
        if recurrentMasked, let maskedStates {
            for g in 0..<recurrentBlocks {
                BLAS.sgemm(
                    transA: true, m: u, n: u, k: rows, a: maskedStates.data + (g * t * n + block) * u, lda: u,
                    b: dRec + g * u, ldb: gu, c: drecurrent + g * u, ldc: gu)
            }
        } else {
            // Slots 0..<T of the shard's states are h_{-1} ... h_{T-2}, contiguous.
            BLAS.sgemm(
                transA: true, m: u, n: bu, k: rows, a: states.data + shard.stateRow(0) * u, lda: u, b: dRec,
                ldb: gu, c: drecurrent, ldc: gu)
        }
        if let dbias {
            sumColumns(dIn, rows: rows, width: gu, into: dbias)
            if separateRecurrent { sumColumns(dRec, rows: rows, width: gu, into: dbias + gu) }
        }
    }

    /// The shard's dx = sum over mask groups of (dpre_g kernel_g^T) * mask_g, back to (N, T, F).
    func inputGradient(_ shard: RecurrentShard) {
        let t = steps, f = features, u = units, gu = gateWidth, rows = t * shard.count, block = shard.row(0)
        let inGroups = inputMasked ? maskGroups : 1, inCols = inGroups == 1 ? gu : u
        let out = dx.data, dt = dxs.data + block * f, dIn = dpre.data + block * gu
        for g in 0..<inGroups {
            BLAS.sgemm(
                transB: true, m: rows, n: f, k: inCols, a: dIn + g * inCols, lda: gu,
                b: kernel.value.data + g * inCols, ldb: gu, c: dt, ldc: f)
            let mask = inputMasked ? inputMask!.data + g * n * f : nil
            for s in shard.samples {
                for step in 0..<t {
                    let src = dt + (step * shard.count + s - shard.first) * f, dst = out + (s * t + step) * f
                    switch (mask, g) {
                    case (nil, _): dst.update(from: src, count: f)
                    case (let m?, 0): for k in 0..<f { dst[k] = src[k] * m[s * f + k] }
                    case (let m?, _): for k in 0..<f { dst[k] += src[k] * m[s * f + k] }
                    }
                }
            }
        }
    }
}

/// total += part, elementwise (a shard's weight gradient into the parameter's).
private func add(_ part: Tensor, into total: Tensor) {
    let p = part.data, t = total.data
    for i in 0..<total.count { t[i] += p[i] }
}
