import XCTest

@testable import NNReg

/// Keyed randomness (`SampleKeys`): a sample's draws do not depend on which rows it shares
/// a forward pass with, so a batch split over mpirun ranks draws what one process draws.
/// Oracle: the whole batch in one call; exact equality (the same generator per sample).
final class SampleKeysTests: XCTestCase {
    let variants: [NoiseLayer.Noise] = [
        .dropout(rate: 0.3, noiseShape: nil), .spatialDropout2D(rate: 0.4), .gaussianNoise(stddev: 0.5),
        .gaussianDropout(rate: 0.3), .alphaDropout(rate: 0.2, noiseShape: nil),
    ]

    /// The output of `layer` for rows `rows` of x (samples `samples`), keyed by (seed 7, epoch 2, batch 0).
    private func forward(_ layer: Layer, _ x: Tensor, rows: Range<Int>, samples: [Int32]) -> [Float] {
        let per = x.sampleSize
        let part = Tensor(shape: [rows.count] + Array(x.shape.dropFirst()))
        for i in 0..<(rows.count * per) { part[i] = x[rows.lowerBound * per + i] }
        return samples.withUnsafeBufferPointer { ids in
            var rng = RNG(seed: 1)
            rng.keys = SampleKeys(seed: 7, epoch: 2, batch: 0, samples: ids.baseAddress! + rows.lowerBound)
            return layer.forward(part, training: true, rng: &rng).array
        }
    }

    func testNoiseLayersDrawTheSameWhateverTheSplit() throws {
        let samples: [Int32] = [5, 2, 9, 7, 0]
        for noise in variants {
            var rng = RNG(seed: 3)
            let layer = NoiseLayer(noise)
            let shape = noise == .spatialDropout2D(rate: 0.4) ? [2, 2, 3] : [6]
            _ = try layer.build(inputShape: shape, maxBatch: 5, rng: &rng)
            let x = Tensor(shape: [5] + shape)
            for i in 0..<x.count { x[i] = rng.normal() }
            let whole = forward(layer, x, rows: 0..<5, samples: samples)
            let split =
                forward(layer, x, rows: 0..<2, samples: samples) + forward(layer, x, rows: 2..<5, samples: samples)
            XCTAssertEqual(whole, split, "\(noise)")
        }
    }

    func testDifferentSamplesAndEpochsDrawDifferently() {
        let samples: [Int32] = [0, 1]
        func mask(epoch: Int) -> [Float] {
            samples.withUnsafeBufferPointer { ids in
                var rng = RNG(seed: 1)
                rng.keys = SampleKeys(seed: 7, epoch: epoch, batch: 0, samples: ids.baseAddress!)
                let m = Tensor(shape: [2, 64])
                rng.dropoutMask(m.data, rows: 2, width: 64, rate: 0.5)
                return m.array
            }
        }
        let first = mask(epoch: 0)
        XCTAssertNotEqual(Array(first[0..<64]), Array(first[64..<128]))
        XCTAssertNotEqual(first, mask(epoch: 1))
        XCTAssertEqual(first, mask(epoch: 0))
    }
}
