import Foundation
import XCTest
@testable import NNReg

/// Colour (channel shift, brightness, contrast, saturation, hue), blur and noise against
/// Keras / TF / scipy and by statistics; oracles and tolerances: see AugmentationTests.swift.
extension AugmentationTests {
    // MARK: - Colour against Keras / TF / scipy

    func testChannelShiftMatchesKeras() {
        for c in Self.fixture.channel_shift {
            var p = AugmentParameters()
            p.channelShift = c.intensity
            assertClose(applied(augmenter(), p, c.x, c.shape), c.output, c.name)
        }
        // Raw pixel units: with rescale 1/255 the same draw shifts by intensity / 255.
        var p = AugmentParameters()
        p.channelShift = 51
        let y = applied(augmenter(rescale: 1 / 255), p, [0.2, 0.5, 0.9], [1, 3, 1])
        assertClose(y, [0.4, 0.7, 0.9], atol: 1e-6, rtol: 0, "rescaled channel shift")
    }

    /// PIL truncates to uint8 inside Keras: in range (integer pixels), nnreg's
    /// clip(x * b, 0, 255) is within 1 of Keras; outside [0, 255], Keras maps the image to
    /// uint8 (truncating), multiplies, truncates again and maps back, so the two agree
    /// within (b + 1) steps of (max - min) / 255.
    func testBrightnessMatchesKerasUpToUint8() {
        for c in Self.fixture.brightness {
            var p = AugmentParameters()
            p.brightness = c.factor
            let y = applied(augmenter(), p, c.x, c.shape)
            let span = c.x.max()! - c.x.min()!
            let inRange = c.x.min()! >= 0 && c.x.max()! <= 255
            let tolerance: Float = inRange ? 1 : (Float(c.factor!) + 1) * span / 255
            for i in 0..<y.count {
                XCTAssertEqual(y[i], c.output[i], accuracy: tolerance + 1e-3, "\(c.name)[\(i)]")
                if inRange { XCTAssertEqual(y[i], min(c.x[i] * Float(c.factor!), 255), "\(c.name)[\(i)]") }
            }
        }
        // Rescaled images clip at 255 * rescale.
        var p = AugmentParameters()
        p.brightness = 2
        XCTAssertEqual(applied(augmenter(rescale: 1 / 255), p, [0.25, 0.75], [1, 2, 1]), [0.5, 1])
    }

    func testContrastSaturationHueMatchTF() {
        let f = Self.fixture
        for c in f.contrast {
            var p = AugmentParameters()
            p.contrast = c.factor
            assertClose(applied(augmenter(), p, c.x, c.shape), c.output, "contrast \(c.name)")
        }
        for c in f.saturation {
            var p = AugmentParameters()
            p.saturation = c.factor
            let atol: Float = c.x.max()! <= 1 ? 1e-6 : 1e-4
            assertClose(applied(augmenter(), p, c.x, c.shape), c.output, atol: atol, "saturation \(c.name)")
        }
        for c in f.hue {
            var p = AugmentParameters()
            p.hue = c.delta
            assertClose(applied(augmenter(), p, c.x, c.shape), c.output, "hue \(c.name)")
        }
        // Grayscale images draw and apply neither.
        var rng = RNG(seed: 3)
        let a = augmenter(["saturation_range": 0.5, "hue_shift_range": 0.2])
        let p = a.drawParameters(height: 2, width: 2, channels: 1, rng: &rng)
        XCTAssertNil(p.saturation)
        XCTAssertNil(p.hue)
    }

    func testGaussianBlurMatchesScipy() {
        for c in Self.fixture.blur {
            var p = AugmentParameters()
            p.blurSigma = c.sigma
            assertClose(applied(augmenter(["gaussian_blur": 5]), p, c.x, c.shape), c.output, "blur \(c.name)")
        }
    }

    /// Statistical: noise of stddev 2 over 40k values has mean within 0.05 of 0 and
    /// stddev within 0.05 of 2; the noise depends only on the recorded seed.
    func testGaussianNoiseStatistics() {
        let a = augmenter(["gaussian_noise": 2])
        var rng = RNG(seed: 8)
        let p = a.drawParameters(height: 200, width: 200, channels: 1, rng: &rng)
        XCTAssertNotNil(p.noiseSeed)
        let x = [Float](repeating: 10, count: 40_000)
        let y = applied(a, p, x, [200, 200, 1])
        let d = y.map { Double($0 - 10) }
        let mean = d.reduce(0, +) / Double(d.count)
        let sd = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.05)
        XCTAssertEqual(sd, 2, accuracy: 0.05)
        XCTAssertEqual(applied(a, p, x, [200, 200, 1]), y)
    }
}
