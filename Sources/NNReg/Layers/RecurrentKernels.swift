/// The recurrent cells' fast gate math: sigmoid and tanh on 8 lanes for the common
/// lstm/gru configuration (recurrent_activation sigmoid, activation tanh), and a row's
/// shard geometry. lstm and gru run the same arithmetic from C (Sources/CKernels, built
/// for baseline x86-64 and for AVX2, chosen at run time); the Swift kernels here and in
/// `LSTM`/`GRU` are its references, bit for bit (GateKernelTests); simple_rnn's tanh runs
/// here. `RecurrentTests.testGateMathMatchesFoundation` holds the approximations to
/// Double's exp, sigmoid and tanh (absolute error < 5e-7).
enum GateMath {
    /// e^x on 8 lanes, Cephes's expf (cephes/single/expf.c): x = k ln 2 + r with
    /// |r| <= ln 2 / 2 (ln 2 split in two constants), e^r by its degree-6 polynomial,
    /// then 2^k from the exponent bits. x is clamped to [-87, 88], so the result is
    /// finite and normal; relative error ~1e-7.
    @inline(__always)
    static func exp(_ v: F8) -> F8 {
        var x = v.replacing(with: 88, where: v .> 88)
        x.replace(with: -87, where: x .< -87)
        let magic = F8(repeating: 12_582_912)  // 1.5 * 2^23: adding it rounds to an integer
        let shifted = x * 1.442_695_04 + magic
        let k = shifted - magic
        let r = x - k * 0.693_359_375 + k * 2.121_944_4e-4
        var p = F8(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * (r * r) + r + 1
        let exponent = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        return p * unsafeBitCast((exponent &+ 127) &<< 23, to: F8.self)
    }

    /// σ(x) = 1 / (1 + e^-x).
    @inline(__always)
    static func sigmoid(_ x: F8) -> F8 { 1 / (1 + exp(-x)) }

    /// tanh(x) = 1 - 2 / (e^2x + 1); absolute error ~2e-7.
    @inline(__always)
    static func tanh(_ x: F8) -> F8 { 1 - 2 / (exp(x + x) + 1) }

    /// The first `count` (< 8) elements of p in lanes 0..<count, zeros after.
    @inline(__always)
    static func loadPartial(_ p: UnsafePointer<Float>, _ count: Int) -> F8 {
        var v = F8()
        for k in 0..<count { v[k] = p[k] }
        return v
    }

    /// Lanes 0..<count of v into p[0..<count].
    @inline(__always)
    static func storePartial(_ v: F8, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        for k in 0..<count { p[k] = v[k] }
    }

    /// Calls `body(j, lanes)` for j = 0, 8, 16, ... over 0..<width: lanes 8, then the
    /// remainder. Kernels load with `load(p + j, lanes)`, so each element gets the same
    /// IEEE operations wherever it falls.
    @inline(__always)
    static func forEachBlock(_ width: Int, _ body: (_ j: Int, _ lanes: Int) -> Void) {
        var j = 0
        while j + 8 <= width {
            body(j, 8)
            j += 8
        }
        if j < width { body(j, width - j) }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ lanes: Int) -> F8 {
        lanes == 8 ? load8(p) : loadPartial(p, lanes)
    }

    @inline(__always)
    static func store(_ v: F8, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
        if lanes == 8 { store8(v, p) } else { storePartial(v, p, lanes) }
    }
}

/// One thread's part of a recurrent layer's batch: samples `samples` of the call's batch.
///
/// Every per-step buffer of the core is shard-major: a shard's rows of all steps form one
/// contiguous block, time-major inside it, so the shard's input projection and its weight
/// gradients are one sgemm each over (T * count) rows, and step t is `count` contiguous
/// rows. For a (T, N, width) buffer the shard's step t starts at row `row(t)`; for a
/// (T+1, N, width) one (states, cells) at `stateRow(t)`; an (N, width) one (masks, dh) at
/// `samples.lowerBound`.
struct RecurrentShard {
    let samples: Range<Int>
    let steps: Int

    var count: Int { samples.count }
    var first: Int { samples.lowerBound }

    /// First row of step t in a (T, N, width) buffer.
    @inline(__always)
    func row(_ t: Int) -> Int { samples.lowerBound * steps + t * samples.count }

    /// First row of slot t in a (T+1, N, width) buffer.
    @inline(__always)
    func stateRow(_ t: Int) -> Int { samples.lowerBound * (steps + 1) + t * samples.count }
}
