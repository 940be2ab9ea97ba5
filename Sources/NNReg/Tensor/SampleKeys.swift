/// What a training batch's random draws are keyed by: the run's seed, the epoch, the batch
/// and each row's sample (its index in the training data).
///
/// Under mpirun each rank computes a share of every batch; keying each sample's draws
/// (dropout masks, noise, stochastic depth, augmentation) by (seed, epoch, sample, draw site)
/// makes them the same whichever rank computes the sample and however many ranks there are,
/// so N ranks reproduce one process up to float rounding. Draws shared by the whole batch
/// (DropConnect's weight mask) are keyed by (seed, epoch, batch, draw site).
public struct SampleKeys {
    public var seed: UInt64
    public var epoch: Int
    public var batch: Int
    /// The sample index of each row this rank computes (valid during the step).
    public var samples: UnsafePointer<Int32>
    /// Counts the draw sites of the forward pass (one per layer mask), so layers draw apart.
    var site: UInt64 = 0

    public init(seed: UInt64, epoch: Int, batch: Int, samples: UnsafePointer<Int32>) {
        self.seed = seed
        self.epoch = epoch
        self.batch = batch
        self.samples = samples
    }

    /// The next draw site's base seed.
    mutating func nextSite() -> UInt64 {
        site += 1
        var g = RNG(seed: seed ^ 0x7361_6D70_6C65, stream: UInt64(truncatingIfNeeded: epoch) << 24 | site)
        return g.next()
    }
}

/// One draw site's generators, one per row of the batch: `self[r]` is row r's.
public struct SampleGenerators {
    let base: UInt64
    let samples: UnsafePointer<Int32>?

    /// Row `row`'s generator: keyed by its sample under the trainer, else by the row.
    @inline(__always)
    public subscript(row: Int) -> RNG {
        let key = samples.map { UInt64(UInt32(bitPattern: $0[row])) } ?? UInt64(row)
        return RNG(seed: base, stream: key)
    }
}

extension RNG {
    /// Generators for one draw site (a layer's mask), one per row: keyed by (seed, epoch,
    /// sample, site) when `keys` is set (training under the trainer), else derived from this
    /// generator and the row (layer tests, `nnreg augment`).
    public mutating func perSample() -> SampleGenerators {
        guard var k = keys else { return SampleGenerators(base: next(), samples: nil) }
        let base = k.nextSite()
        keys = k
        return SampleGenerators(base: base, samples: k.samples)
    }

    /// One generator for a draw shared by the whole batch (DropConnect's mask, a dropout
    /// noise_shape whose batch entry is 1): keyed by (seed, epoch, batch, site) when `keys`
    /// is set, else derived from this generator.
    public mutating func perBatch() -> RNG {
        guard var k = keys else { return RNG(seed: next()) }
        let base = k.nextSite()
        keys = k
        return RNG(seed: base, stream: UInt64(truncatingIfNeeded: k.batch))
    }

    /// Fills an inverted dropout mask of `rows` rows of `width` values, `groups` times over
    /// ((groups, rows, width), kept entries 1 / (1 - rate)), each row from its own generator.
    public mutating func dropoutMask(
        _ m: UnsafeMutablePointer<Float>, groups: Int = 1, rows: Int, width: Int, rate: Float
    ) {
        let keep = 1 - rate, scale = 1 / keep, generators = perSample()
        for r in 0..<rows {
            var g = generators[r]
            for k in 0..<groups {
                let row = m + (k * rows + r) * width
                for i in 0..<width { row[i] = g.uniform() < keep ? scale : 0 }
            }
        }
    }
}
