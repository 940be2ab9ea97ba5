import Foundation
import XCTest
@testable import NNReg

/// The background augmentation pipeline against the synchronous one.
extension AugmentationTests {
    // MARK: - Background pipeline

    func pipelineData() -> (Tensor, Tensor) {
        let x = randomBatch([23, 6, 5, 3], seed: 50)
        let y = Tensor(shape: [23, 4])
        for i in 0..<23 { y[i * 4 + i % 4] = 1 }
        return (x, y)
    }

    /// The background path yields exactly the synchronous batches (every option on, ragged
    /// last batch), and a second run of the same epoch repeats them.
    func testBackgroundBatchesMatchSynchronous() {
        let (x, y) = pipelineData()
        var spec = Self.everything.objectValue!
        spec["featurewise_center"] = true
        let a = augmenter(.object(spec))
        let pipeline = AugmentedBatches(x: x, y: y, batchSize: 5, augmenter: a, seed: 7)
        XCTAssertEqual(pipeline.augmenter.statistics.mean.count, 3, "fitted on x")
        var order = (0..<23).map(Int32.init)
        var shuffler = RNG(seed: 1)
        shuffler.shuffle(&order)
        func collect(background: Bool) -> [[UInt32]] {
            var out: [[UInt32]] = []
            pipeline.forEachBatch(epoch: 3, order: order, background: background) { b, bx, by in
                XCTAssertEqual(b, out.count)
                XCTAssertEqual(bx.shape[0], b == 4 ? 3 : 5)
                out.append((bx.array + by.array).map(\.bitPattern))
            }
            return out
        }
        let sync = collect(background: false)
        XCTAssertEqual(sync.count, 5)
        XCTAssertEqual(collect(background: true), sync)
        XCTAssertEqual(collect(background: true), sync)
        // Batch 2 alone, prepared directly, is the same too: no batch depends on another.
        let bx = Tensor(shape: [5, 6, 5, 3]), by = Tensor(shape: [5, 4])
        order.withUnsafeBufferPointer { pipeline.prepare(epoch: 3, batch: 2, order: $0, x: bx, y: by) }
        XCTAssertEqual((bx.array + by.array).map(\.bitPattern), sync[2])
        // Another epoch differs.
        var other: [Float] = []
        pipeline.forEachBatch(epoch: 4, order: order) { b, bx, _ in if b == 0 { other = bx.array } }
        XCTAssertNotEqual(other.map(\.bitPattern), Array(sync[0][0..<other.count]))
    }

    /// Flat rows (N, H*W*C), as a CSV of pixels loads, with imageShape give the same
    /// batches as the (N, H, W, C) tensor, in the flat shape.
    func testFlatRowsWithImageShapeMatchImages() {
        let (x, y) = pipelineData()
        let flat = Tensor(shape: [23, 90], values: x.array)
        var spec = Self.everything.objectValue!
        spec["zca_whitening"] = true
        let a = augmenter(.object(spec))
        let images = AugmentedBatches(x: x, y: y, batchSize: 4, augmenter: a, seed: 2)
        let rows = AugmentedBatches(x: flat, y: y, batchSize: 4, augmenter: a, seed: 2, imageShape: [6, 5, 3])
        XCTAssertEqual(rows.augmenter.statistics, images.augmenter.statistics)
        let order = (0..<23).map(Int32.init)
        var expected: [[Float]] = []
        images.forEachBatch(epoch: 0, order: order) { _, bx, by in expected.append(bx.array + by.array) }
        var got: [[Float]] = []
        rows.forEachBatch(epoch: 0, order: order) { _, bx, by in
            XCTAssertEqual(Array(bx.shape.dropFirst()), [90])
            got.append(bx.array + by.array)
        }
        XCTAssertEqual(got, expected)
    }

    /// A body that throws stops the epoch; the worker is joined and the next epoch runs.
    func testBackgroundEpochStopsWhenBodyThrows() {
        struct Stop: Error {}
        let (x, y) = pipelineData()
        let pipeline = AugmentedBatches(x: x, y: y, batchSize: 2, augmenter: augmenter(["rotation_range": 5]), seed: 1)
        let order = (0..<23).map(Int32.init)
        for stopAt in [0, 1, 5] {
            var seen = 0
            XCTAssertThrowsError(
                try pipeline.forEachBatch(epoch: 0, order: order) { b, _, _ in
                    seen += 1
                    if b == stopAt { throw Stop() }
                })
            XCTAssertEqual(seen, stopAt + 1)
        }
        var count = 0
        pipeline.forEachBatch(epoch: 1, order: order) { _, _, _ in count += 1 }
        XCTAssertEqual(count, 12)
    }
}
