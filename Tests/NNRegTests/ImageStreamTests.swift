import XCTest

@testable import NNReg

/// data.cache "none": image folders decoded batch by batch (`SampleStream` of `StreamedImages`) train to the
/// very bits the folder held in memory gives, read ahead in the trainer's order, and a
/// file that cannot be decoded mid-epoch is an error naming it.
final class ImageStreamTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "nnreg-stream-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        // 2 classes x 20 noisy 12x10 RGB images, PNG and JPEG (the class tells the brightness).
        var rng = RNG(seed: 11)
        for (label, name) in ["a_dark", "b_light"].enumerated() {
            try FileManager.default.createDirectory(atPath: "\(root)/train/\(name)", withIntermediateDirectories: true)
            for i in 0..<20 {
                let pixels = (0..<(12 * 10 * 3)).map { _ in Float(label * 100 + rng.int(below: 150)) }
                let image = Image(height: 12, width: 10, channels: 3, pixels: pixels)
                try ImageCodec.write(image, to: "\(root)/train/\(name)/\(i).\(i % 2 == 0 ? "png" : "jpg")")
            }
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func spec(cache: String, data: String = "", augmentation: String = "null", inputShape: String = "null") throws
        -> Spec
    {
        try Spec.parse(
            """
            {"name": "stream", "seed": 5,
             "data": {"train": "\(root)/train", "rescale": 0.00392156862745098, "validation_split": 0.25,
                      "normalization": "featurewise", "cache": "\(cache)" \(data)},
             "model": {"input_shape": \(inputShape), "layers": [{"type": "conv2d", "filters": 3, "kernel_size": 3, "activation": "relu"},
                                  {"type": "global_average_pooling2d"}, {"type": "dense", "units": 2, "activation": "softmax"}]},
             "training": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], "epochs": 2, "batch_size": 4},
             "augmentation": \(augmentation),
             "output": {"dir": "\(root)/run-\(cache)"}}
            """, baseDirectory: "/")
    }

    func train(_ s: Spec) throws -> TrainedRun { try TrainedRun(s) }

    func testStreamingTrainsToTheSameBitsAsMemory() throws {
        let memory = try train(try spec(cache: "memory"))
        let streamed = try train(try spec(cache: "none"))
        XCTAssertEqual(streamed.history, memory.history)
        XCTAssertEqual(streamed.metrics, memory.metrics)
        XCTAssertEqual(streamed.weights, memory.weights)
        XCTAssertEqual(memory.history.count, 3, "header and two epochs")
    }

    func testStreamingWithAugmentationTrainsToTheSameBitsAsMemory() throws {
        let aug = #"{"rotation_range": 15, "horizontal_flip": true, "samplewise_center": true}"#
        let memory = try train(try spec(cache: "memory", augmentation: aug))
        let streamed = try train(try spec(cache: "none", augmentation: aug))
        XCTAssertEqual(streamed.history, memory.history)
        XCTAssertEqual(streamed.weights, memory.weights)
    }

    /// A model trained on a streamed folder evaluates it streamed (its spec's data.cache),
    /// to the values the images in memory give.
    func testASavedModelEvaluatesAStreamedFolderAsImagesInMemory() throws {
        let s = try spec(cache: "none")
        _ = try train(s)
        let saved = try SavedModel(location: s.output.dir)
        let streamed = try saved.load("\(root)/train")
        XCTAssert((streamed as? SampleStream)?.reader is StreamedImages, "\(type(of: streamed))")
        let raw = try DataLoader.read("\(root)/train", spec: s.data, classNames: saved.classNames, cache: .memory)
        let y = try DataLoader.targets(raw, loss: s.training.loss, outputs: 2, lastLayer: "")
        let memory = Dataset(samples: try XCTUnwrap(raw.x), y: y, normalizer: saved.normalizer)
        XCTAssertEqual(saved.evaluate(streamed).map(\.1), saved.evaluate(memory).map(\.1))
        try streamed.checkRead()
    }

    /// model.input_shape gives streamed images another shape of their size, as it does
    /// images in memory: the same bits.
    func testStreamedImagesTakeTheModelsInputShape() throws {
        let memory = try train(try spec(cache: "memory", inputShape: "[10, 12, 3]"))
        let streamed = try train(try spec(cache: "none", inputShape: "[10, 12, 3]"))
        XCTAssertEqual(streamed.history, memory.history)
        XCTAssertEqual(streamed.weights, memory.weights)
    }

    func testExperimentStreamsOnlyWhenAsked() throws {
        XCTAssert(try Experiment(spec: try spec(cache: "none")).train is SampleStream)
        XCTAssert(try Experiment(spec: try spec(cache: "memory")).train is Dataset)
        // 40 small images are far below a quarter of any machine's memory.
        XCTAssert(try Experiment(spec: try spec(cache: "auto")).train is Dataset)
        XCTAssertFalse(DataCache.autoStreams(bytes: 1 << 30, physical: 8 << 30))
        XCTAssertTrue(DataCache.autoStreams(bytes: (2 << 30) + 1, physical: 8 << 30))
    }

    /// featurewise_center and featurewise_std_normalization are fitted a block of images at a
    /// time, so a streamed folder fits them to the same bits; ZCA needs every image in memory.
    func testFeaturewiseAugmentationFitsWhileStreamingAndZCANeedsMemory() throws {
        let aug = #"{"featurewise_center": true, "featurewise_std_normalization": true, "rotation_range": 10}"#
        let memory = try train(try spec(cache: "memory", augmentation: aug))
        let streamed = try train(try spec(cache: "none", augmentation: aug))
        XCTAssertEqual(streamed.history, memory.history)
        XCTAssertEqual(streamed.weights, memory.weights)
        // The block-wise fit (blocks of 7 of the 30 images) against the fit on every image at
        // once (the reference).
        let experiment = try Experiment(spec: try spec(cache: "none", augmentation: aug))
        var fitted = try XCTUnwrap(experiment.augmenter), reference = fitted
        try fitted.fit(experiment.train, imageShape: experiment.inputShape, block: 7)
        reference.fit(experiment.train.gatherAll(), imageShape: experiment.inputShape)
        XCTAssertEqual(fitted.statistics, reference.statistics)
        XCTAssertEqual(fitted.statistics.std.count, 3)
        XCTAssertThrowsError(
            try Experiment(spec: try spec(cache: "none", augmentation: #"{"zca_whitening": true}"#))
        ) {
            XCTAssertEqual(($0 as? SpecError)?.path, "augmentation.zca_whitening", "\($0)")
            XCTAssert("\($0)".contains("data.cache"), "\($0)")
        }
    }

    /// A file that turns bad after the list was made is found when its batch is read.
    func testBadFileMidEpochIsAnErrorNamingIt() throws {
        let s = try spec(cache: "none")
        let experiment = try Experiment(spec: s)
        let bad = try XCTUnwrap((experiment.train as? SampleStream)?.reader as? StreamedImages).files[17]
        try "not an image".write(toFile: bad, atomically: true, encoding: .utf8)
        let trainer = Trainer(
            model: experiment.model, optimizer: makeOptimizer(s.training.optimizer), metrics: [], seed: s.seed)
        XCTAssertThrowsError(try trainer.trainEpoch(experiment.train, epoch: 0)) {
            XCTAssert("\($0)".contains(bad), "\($0)")
            XCTAssert($0 is DataError, "\(type(of: $0))")
        }
    }

    func testSkipPolicyTrainsABadFileAsZerosAndListsIt() throws {
        let s = try spec(cache: "none", data: #", "on_bad_file": "skip""#)
        let experiment = try Experiment(spec: s)
        let images = try XCTUnwrap((experiment.train as? SampleStream)?.reader as? StreamedImages)
        let bad = images.files[4]
        try "not an image".write(toFile: bad, atomically: true, encoding: .utf8)
        let trainer = Trainer(
            model: experiment.model, optimizer: makeOptimizer(s.training.optimizer), metrics: [], seed: s.seed)
        _ = try trainer.trainEpoch(experiment.train, epoch: 0)
        XCTAssertEqual(images.substituted.map(\.path), [bad])
    }

    /// The read-ahead gives the announced batches in order, and a fill of other rows
    /// (not announced) is decoded on the spot: the same bits either way.
    func testReadAheadFollowsThePassAndOtherFillsStillWork() throws {
        let experiment = try Experiment(spec: try spec(cache: "none"))
        let stream = try XCTUnwrap(experiment.train as? SampleStream)
        let n = stream.count
        var order = (0..<n).map(Int32.init)
        var rng = RNG(seed: 3)
        rng.shuffle(&order)
        let shape = [4] + stream.sampleShape
        let (ax, ay, bx, by) = (
            Tensor(shape: shape), Tensor(shape: [4, 1]), Tensor(shape: shape), Tensor(shape: [4, 1])
        )
        try order.withUnsafeBufferPointer { order in
            let pass = DataPass(order: order, batches: (n + 3) / 4) { b in b * 4..<min(b * 4 + 4, n) }
            stream.beginPass(pass)
            defer { stream.endPass() }
            for b in 0..<pass.batches {
                stream.fill(x: ax, y: ay, indices: pass.indices(b))
                let copy = Array(pass.indices(b))  // not the announced buffer: decoded on the spot
                copy.withUnsafeBufferPointer { stream.fill(x: bx, y: by, indices: $0) }
                XCTAssertEqual(ax.array, bx.array, "batch \(b)")
                XCTAssertEqual(ay.array, by.array, "batch \(b)")
            }
            try stream.checkRead()
        }
    }
}
