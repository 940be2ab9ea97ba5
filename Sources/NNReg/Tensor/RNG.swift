import Foundation

/// The one source of randomness: xoshiro256** seeded through SplitMix64.
///
/// Passed explicitly (`inout`) to everything random; there is no global generator.
/// Streams derived with `RNG(seed:stream:)` are independent, so each epoch, ensemble
/// member or layer can have its own reproducible sequence.
/// Reference: Blackman & Vigna, "Scrambled linear pseudorandom number generators" (2021).
public struct RNG {
    public var state: (UInt64, UInt64, UInt64, UInt64)
    /// Set by the trainer for a training batch: what `perSample` and `perBatch` key their
    /// generators by, so a sample's draws do not depend on the batch's split over ranks.
    public var keys: SampleKeys? = nil

    public init(seed: UInt64) {
        var sm = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitmix(&sm), splitmix(&sm), splitmix(&sm), splitmix(&sm))
    }

    /// An independent stream for (seed, stream), e.g. one per epoch.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03) &+ stream)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniformDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * uniform() }

    /// Standard normal (Box-Muller in Double).
    public mutating func normal() -> Float {
        var u1 = uniformDouble()
        while u1 <= 0 { u1 = uniformDouble() }
        let u2 = uniformDouble()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Normal with mean and stddev, redrawn while outside 2 stddevs (Keras truncated_normal).
    public mutating func truncatedNormal(mean: Float = 0, stddev: Float) -> Float {
        while true {
            let z = normal()
            if abs(z) <= 2 { return mean + stddev * z }
        }
    }

    /// Uniform integer in [0, n) (Lemire's nearly divisionless method).
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Fisher-Yates shuffle in place.
    public mutating func shuffle<T>(_ a: UnsafeMutableBufferPointer<T>) {
        var i = a.count - 1
        while i > 0 {
            let j = int(below: i + 1)
            a.swapAt(i, j)
            i -= 1
        }
    }

    public mutating func shuffle<T>(_ a: inout [T]) { a.withUnsafeMutableBufferPointer { shuffle($0) } }

    /// The state as four words, for checkpoints.
    public var words: [UInt64] { [state.0, state.1, state.2, state.3] }
    public init(words w: [UInt64]) {
        precondition(w.count == 4)
        state = (w[0], w[1], w[2], w[3])
    }
}
