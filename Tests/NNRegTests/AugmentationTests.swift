import Foundation
import XCTest
@testable import NNReg

/// Oracles:
/// - Keras 3.15.1 / TF 2.21 / scipy 1.17.1 (Fixtures/augmentation.json, made by
///   tools/reference/augmentation.py): apply_affine_transform and apply_transform (scipy
///   order 1, every fill mode), apply_channel_shift, apply_brightness_shift (PIL),
///   tf.image.adjust_contrast / adjust_saturation / adjust_hue, scipy gaussian_filter,
///   ImageDataGenerator.fit + standardize (featurewise, samplewise, ZCA).
///   Tolerance 1e-4 + 1e-5 |v| on 0...255 images (Float32 results of Double or Float
///   arithmetic done in a different order; the largest differences seen are 3e-5, in the
///   featurewise means); ZCA 1e-4 + 1e-4 |v| (Keras: float32 SVD; seen: 2e-6).
/// - Hand-computed pixels: rotation by 90 degrees, one-pixel shifts per fill mode, flips,
///   crops, erasing, mixing.
/// - Exact bit equality: identity settings, same seed, background vs synchronous batches.
/// - Statistics (Beta moments, noise stddev, erasing rate) over many draws.
final class AugmentationTests: XCTestCase {
    // MARK: - Fixture

    struct Case: Decodable {
        let name: String
        let shape: [Int]
        let x: [Float]
        let output: [Float]
        let fill_mode: String?
        let cval: Double?
        let params: [String: Param]?
        let factor: Double?
        let delta: Double?
        let intensity: Double?
        let sigma: Double?
    }

    /// A JSON number, bool or null.
    enum Param: Decodable {
        case number(Double)
        case bool(Bool)
        case null
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else {
                self = .number(try c.decode(Double.self))
            }
        }
        var double: Double? { if case .number(let d) = self { return d } else { return nil } }
        var bool: Bool { if case .bool(let b) = self { return b } else { return false } }
    }

    struct FitCase: Decodable {
        let name: String
        let options: [String: Param]
        let mean: [Float]?
        let std: [Float]?
        let zca: [Float]?
        let standardized: [Float]
    }

    struct Fixture: Decodable {
        let keras: String
        let affine: [Case]
        let affine_centered: [Case]
        let apply_transform: [Case]
        let brightness: [Case]
        let channel_shift: [Case]
        let contrast: [Case]
        let saturation: [Case]
        let hue: [Case]
        let blur: [Case]
        let fit_shape: [Int]
        let fit_x: [Float]
        let fit: [FitCase]
    }

    static let fixture: Fixture = {
        let url = Bundle.module.url(forResource: "augmentation", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    func assertClose(
        _ a: [Float], _ b: [Float], atol: Float = 1e-4, rtol: Float = 1e-5, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        var bad = 0
        for i in 0..<min(a.count, b.count) where !(abs(a[i] - b[i]) <= atol + rtol * abs(b[i])) {
            if bad < 5 { XCTFail("\(what)[\(i)]: \(a[i]) vs \(b[i])", file: file, line: line) }
            bad += 1
        }
    }

    func augmenter(_ json: JSON = [:], rescale: Float = 1) -> Augmenter {
        try! Augmenter(json: json, rescale: rescale)
    }

    /// Applies `p` to a copy of `x` ((H, W, C) values).
    func applied(_ a: Augmenter, _ p: AugmentParameters, _ x: [Float], _ shape: [Int]) -> [Float] {
        var y = x
        y.withUnsafeMutableBufferPointer {
            a.apply(
                p, to: $0.baseAddress!, height: shape[0], width: shape[1], channels: shape[2],
                workspace: AugmentationWorkspace())
        }
        return y
    }

    func affineParameters(_ params: [String: Param]) -> AugmentParameters {
        var p = AugmentParameters()
        p.theta = params["theta"]?.double ?? 0
        p.tx = params["tx"]?.double ?? 0
        p.ty = params["ty"]?.double ?? 0
        p.shear = params["shear"]?.double ?? 0
        p.zx = params["zx"]?.double ?? 1
        p.zy = params["zy"]?.double ?? 1
        p.flipHorizontal = params["flip_horizontal"]?.bool ?? false
        p.flipVertical = params["flip_vertical"]?.bool ?? false
        p.channelShift = params["channel_shift_intensity"]?.double
        return p
    }

    func fillAugmenter(_ c: Case) -> Augmenter {
        augmenter(["fill_mode": .string(c.fill_mode ?? "nearest"), "cval": .number(c.cval ?? 0)])
    }

    // MARK: - Identity and seeding

    func randomBatch(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RNG(seed: seed)
        let t = Tensor(shape: shape)
        for i in 0..<t.count { t[i] = rng.uniform(0, 255) }
        return t
    }

    func testIdentitySettingsLeaveImagesBitIdentical() {
        let explicit: JSON = [
            "rotation_range": 0, "width_shift_range": 0, "height_shift_range": 0, "shear_range": 0, "zoom_range": 0,
            "channel_shift_range": 0, "horizontal_flip": false, "vertical_flip": false, "contrast_range": nil,
            "hue_shift_range": 0, "gaussian_noise": 0, "gaussian_blur": 0, "random_crop": 0, "mixup": 0, "cutmix": 0,
        ]
        for json in [JSON.object(.init()), explicit] {
            let a = augmenter(json)
            let x = randomBatch([5, 7, 6, 3], seed: 1)
            let before = x.array.map(\.bitPattern)
            let y = Tensor(shape: [5, 4], values: (0..<20).map { Float($0 % 4 == 0 ? 1 : 0) })
            var rng = RNG(seed: 9)
            let workspace = AugmentationWorkspace()
            a.augment(x, rng: &rng, workspace: workspace)
            XCTAssertNil(a.mix(x: x, y: y, rng: &rng, workspace: workspace))
            XCTAssertEqual(x.array.map(\.bitPattern), before)
        }
    }

    static let everything: JSON = [
        "rotation_range": 25, "width_shift_range": 0.2, "height_shift_range": 0.1, "shear_range": 10, "zoom_range": 0.2,
        "brightness_range": [0.7, 1.3], "channel_shift_range": 20, "fill_mode": "reflect", "horizontal_flip": true,
        "vertical_flip": true, "contrast_range": 0.3, "saturation_range": 0.4, "hue_shift_range": 0.1,
        "gaussian_noise": 2, "gaussian_blur": 1, "random_crop": 2, "random_erasing": ["probability": 0.7],
        "mixup": 0.4, "cutmix": 1, "samplewise_center": true,
    ]

    func testSameSeedSameBatch() {
        let a = augmenter(Self.everything)
        func run(_ seed: UInt64) -> [UInt32] {
            let x = randomBatch([6, 9, 8, 3], seed: 2)
            let y = Tensor(shape: [6, 3], values: (0..<18).map { Float($0 % 3 == 0 ? 1 : 0) })
            var rng = RNG(seed: seed)
            let workspace = AugmentationWorkspace()
            a.augment(x, rng: &rng, workspace: workspace)
            a.mix(x: x, y: y, rng: &rng, workspace: workspace)
            return (x.array + y.array).map(\.bitPattern)
        }
        XCTAssertEqual(run(5), run(5))
        XCTAssertNotEqual(run(5), run(6))
    }

    // MARK: - Throughput

    /// Not a pass/fail figure: prints images/s of the options on 28 x 28 x 1 (run
    /// in release mode for the real number; `make bench` calls `Augmenter.benchmark`).
    func testThroughputRuns() {
        let result = Augmenter.experiment(rescale: 1 / 255).benchmark(images: 2048)
        XCTAssertGreaterThan(result.imagesPerSecond, 0)
        print("augmentation: \(Int(result.imagesPerSecond)) images/s (28x28x1, this build's optimization level)")
    }
}
