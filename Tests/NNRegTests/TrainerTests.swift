import XCTest
@testable import NNReg

final class TrainerTests: XCTestCase {
    /// Three Gaussian blobs in 4-D, separable: a small MLP should reach > 95% accuracy.
    func blobs(_ n: Int, seed: UInt64) -> Dataset {
        var rng = RNG(seed: seed)
        let x = Tensor(shape: [n, 4]), y = Tensor(shape: [n, 1])
        for i in 0..<n {
            let c = i % 3
            y[i] = Float(c)
            for j in 0..<4 { x[i * 4 + j] = (j == c ? 3 : 0) + rng.normal() }
        }
        return Dataset(x: x, y: y)
    }

    func makeTrainer(seed: UInt64, optimizer: String = "adam", shuffle: ShuffleOrder = .everyEpoch) throws -> Trainer {
        var rng = RNG(seed: seed)
        let last = Dense(units: 3, activation: .softmax)
        let network = try Sequential(
            layers: [Dense(units: 16, activation: .relu), NoiseLayer(.dropout(rate: 0.2, noiseShape: nil)), last],
            inputShape: [4], maxBatch: 32, rng: &rng)
        let model = Model(network: network, loss: LossConfig(name: "sparse_categorical_crossentropy"), batchSize: 32)
        XCTAssertEqual(network.outputActivation, .softmax, "the softmax moves into the loss")
        var config = OptimizerConfig.defaults(for: optimizer)
        config.learningRate = 0.01
        return Trainer(
            model: model, optimizer: makeOptimizer(config), metrics: [makeMetric("accuracy")], shuffle: shuffle,
            seed: seed)
    }

    /// A source that records the order its samples are asked for.
    final class Recording: DataSource {
        let data: Dataset
        var order: [Int32] = []
        init(_ data: Dataset) { self.data = data }
        var count: Int { data.count }
        var sampleShape: [Int] { data.sampleShape }
        var y: Tensor { data.y }
        var rowNames: [String]? { nil }
        /// The pass announced (`beginPass`), the next batch of it expected, and fills that
        /// were not that batch (or came with no pass).
        var pass: DataPass?
        var next = 0, passes = 0, unannounced = 0
        func fill(x: Tensor, y: Tensor, indices: UnsafeBufferPointer<Int32>) {
            order += indices
            if let pass, next < pass.batches, pass.indices(next).baseAddress == indices.baseAddress,
                pass.indices(next).count == indices.count
            {
                next += 1
            } else {
                unannounced += 1
            }
            data.fill(x: x, y: y, indices: indices)
        }
        func beginPass(_ pass: DataPass) {
            self.pass = pass
            (next, passes) = (0, passes + 1)
        }
        func endPass() {
            XCTAssertEqual(next, pass?.batches, "every announced batch filled")
            pass = nil
        }
    }

    /// The seam a streaming source reads ahead through: training, augmented training and
    /// evaluation announce each pass, and fill exactly its batches in its order.
    func testEveryPassIsAnnouncedAndFilledInOrder() throws {
        let trainer = try makeTrainer(seed: 4)
        let source = Recording(blobs(70, seed: 2))
        for epoch in 0..<2 { _ = try trainer.trainEpoch(source, epoch: epoch) }
        _ = trainer.model.evaluate(source, metrics: [])
        XCTAssertEqual(source.passes, 3)
        XCTAssertEqual(source.unannounced, 0)
        let images = Recording(Dataset(x: Tensor(shape: [10, 4, 4, 1]), y: Tensor(shape: [10, 1])))
        let augmented = AugmentedBatches(
            source: images, batchSize: 4, augmenter: try Augmenter(json: ["horizontal_flip": true]), seed: 1)
        var batches = 0
        augmented.forEachBatch(epoch: 0, order: (0..<10).map(Int32.init).reversed()) { _, _, _ in batches += 1 }
        XCTAssertEqual(batches, 3)
        XCTAssertEqual(images.passes, 1)
        XCTAssertEqual(images.unannounced, 0)
    }

    /// The order of each of 3 epochs under `shuffle`.
    func epochOrders(_ shuffle: ShuffleOrder, seed: UInt64 = 4) throws -> [[Int32]] {
        let trainer = try makeTrainer(seed: seed, shuffle: shuffle)
        let source = Recording(blobs(70, seed: 2))
        return try (0..<3).map { epoch in
            source.order = []
            _ = try trainer.trainEpoch(source, epoch: epoch)
            return source.order
        }
    }

    func testShuffleOrders() throws {
        let identity = (0..<70).map(Int32.init)
        XCTAssertEqual(try epochOrders(.none), [identity, identity, identity])
        let fixed = try epochOrders(.fixed)  // Keras's seeded fit on arrays: one order, every epoch
        XCTAssertNotEqual(fixed[0], identity)
        XCTAssertEqual(Set(fixed[0]), Set(identity))
        XCTAssertEqual(fixed[1], fixed[0])
        XCTAssertEqual(fixed[2], fixed[0])
        XCTAssertNotEqual(try epochOrders(.fixed, seed: 5)[0], fixed[0], "the order follows the seed")
        let every = try epochOrders(.everyEpoch)
        XCTAssertEqual(Set(every[1]), Set(identity))
        XCTAssertNotEqual(every[0], every[1])
        XCTAssertNotEqual(every[1], every[2])
        XCTAssertEqual(try epochOrders(.everyEpoch), every, "the same for the same seed")
    }

    func testMLPLearnsBlobs() throws {
        let trainer = try makeTrainer(seed: 1)
        let train = blobs(600, seed: 2), test = blobs(300, seed: 3)
        var first = 0.0
        for epoch in 0..<15 {
            let log = try trainer.trainEpoch(train, epoch: epoch)
            if epoch == 0 { first = log[0].1 }
        }
        let result = trainer.model.evaluate(test, metrics: trainer.metrics)
        XCTAssertLessThan(result[0].1, first / 2, "loss should fall")
        XCTAssertGreaterThan(result[1].1, 0.95, "accuracy")
        let p = trainer.model.predict(test)
        XCTAssertEqual(p.shape, [300, 3])
        for r in 0..<300 { XCTAssertEqual(p[r * 3] + p[r * 3 + 1] + p[r * 3 + 2], 1, accuracy: 1e-5) }
    }

    func testSameSeedGivesBitIdenticalHistory() throws {
        func history() throws -> [Double] {
            let t = try makeTrainer(seed: 5)
            let data = blobs(200, seed: 6)
            return try (0..<3).flatMap { try t.trainEpoch(data, epoch: $0).map(\.1) }
        }
        XCTAssertEqual(try history(), try history())
    }

    func testNonFiniteLossStopsWithTheEpochAndBatch() throws {
        let t = try makeTrainer(seed: 1, optimizer: "sgd")
        let data = blobs(64, seed: 2)
        data.samples.floats![5] = .nan
        XCTAssertThrowsError(try t.trainEpoch(data, epoch: 0)) { error in
            guard case TrainingError.nonFinite(let epoch, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(epoch, 0)
            XCTAssert("\(error)".contains("epoch 1, batch"))
        }
    }
}
