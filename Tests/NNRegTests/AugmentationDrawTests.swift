import Foundation
import XCTest
@testable import NNReg

/// How the random parameters are drawn (Keras's order, units, distributions).
extension AugmentationTests {
    // MARK: - Drawing

    /// The draws are Keras get_random_transform's, in its order, then the additions: the
    /// same RNG state replayed by hand gives the same parameters.
    func testDrawOrderFollowsKeras() {
        let a = augmenter([
            "rotation_range": 20, "width_shift_range": 0.1, "height_shift_range": 3.5, "shear_range": 5,
            "zoom_range": [0.8, 1.1], "horizontal_flip": true, "vertical_flip": false, "channel_shift_range": 10,
            "brightness_range": [0.5, 1.5], "contrast_range": 0.2, "saturation_range": [0.5, 2], "hue_shift_range": 0.1,
            "random_crop": 2, "gaussian_blur": 1, "gaussian_noise": 0.1,
        ])
        var rng = RNG(seed: 77), replay = RNG(seed: 77)
        let p = a.drawParameters(height: 10, width: 20, channels: 3, rng: &rng)
        func u(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * replay.uniformDouble() }
        XCTAssertEqual(p.theta, u(-20, 20))
        XCTAssertEqual(p.ty, u(-3.5, 3.5))  // pixels: the range is >= 1 and not whole
        XCTAssertEqual(p.tx, u(-0.1, 0.1) * 20)  // a fraction of the width
        XCTAssertEqual(p.shear, u(-5, 5))
        XCTAssertEqual(p.zx, u(0.8, 1.1))
        XCTAssertEqual(p.zy, u(0.8, 1.1))
        XCTAssertEqual(p.flipHorizontal, replay.uniformDouble() < 0.5)
        _ = replay.uniformDouble()  // the vertical coin is drawn even when off
        XCTAssertFalse(p.flipVertical)
        XCTAssertEqual(p.channelShift, u(-10, 10))
        XCTAssertEqual(p.brightness, u(0.5, 1.5))
        XCTAssertEqual(p.contrast, u(0.8, 1.2))
        XCTAssertEqual(p.saturation, u(0.5, 2))
        XCTAssertEqual(p.hue, u(-0.1, 0.1))
        let cy = replay.int(below: 5), cx = replay.int(below: 5)
        XCTAssertEqual(p.crop?.y, cy)
        XCTAssertEqual(p.crop?.x, cx)
        XCTAssertEqual(p.blurSigma, u(0, 1))
        XCTAssertEqual(p.noiseSeed, replay.next())
        XCTAssertEqual(rng.next(), replay.next())
    }

    /// Keras shift units: r < 1 is a fraction of the size (uniform); a whole r >= 1 is
    /// Keras's int form, integer pixels in (-r, r); any other r >= 1 is uniform pixels.
    func testShiftUnitsFollowKeras() {
        var rng = RNG(seed: 4)
        var seen = Set<Double>()
        for _ in 0..<2000 {
            let fraction = Augmenter.shift(0.25, size: 40, &rng)
            XCTAssertTrue(abs(fraction) <= 10)
            let whole = Augmenter.shift(3, size: 40, &rng)
            XCTAssertEqual(whole, whole.rounded())
            XCTAssertTrue(abs(whole) <= 2)
            seen.insert(whole)
            XCTAssertTrue(abs(Augmenter.shift(2.5, size: 40, &rng)) <= 2.5)
        }
        XCTAssertEqual(seen, [-2, -1, 0, 1, 2])
    }

    /// Statistical: over 4000 draws, rotation and zoom stay in range with means near the
    /// centre (within 0.3 degrees and 0.003), zx and zy are uncorrelated (|r| < 0.05),
    /// each flip happens 50 +- 2.5 % of the time.
    func testDrawDistributions() {
        let a = augmenter(["rotation_range": 15, "zoom_range": 0.1, "horizontal_flip": true])
        var rng = RNG(seed: 12)
        var theta = 0.0, zx = [Double](), zy = [Double](), flips = 0
        let n = 4000
        for _ in 0..<n {
            let p = a.drawParameters(height: 8, width: 8, channels: 1, rng: &rng)
            XCTAssertTrue(abs(p.theta) <= 15 && (0.9...1.1).contains(p.zx) && (0.9...1.1).contains(p.zy))
            theta += p.theta
            zx.append(p.zx)
            zy.append(p.zy)
            if p.flipHorizontal { flips += 1 }
        }
        XCTAssertEqual(theta / Double(n), 0, accuracy: 0.3)
        let mx = zx.reduce(0, +) / Double(n), my = zy.reduce(0, +) / Double(n)
        XCTAssertEqual(mx, 1, accuracy: 0.003)
        var cov = 0.0, vx = 0.0, vy = 0.0
        for i in 0..<n {
            cov += (zx[i] - mx) * (zy[i] - my)
            vx += (zx[i] - mx) * (zx[i] - mx)
            vy += (zy[i] - my) * (zy[i] - my)
        }
        XCTAssertLessThan(abs(cov / (vx * vy).squareRoot()), 0.05)
        XCTAssertEqual(Double(flips) / Double(n), 0.5, accuracy: 0.025)
    }

    /// torchvision defaults: p 0.5, area fraction in [0.02, 0.33], ratio in [0.3, 3.3]:
    /// over 4000 images 50 +- 2.5 % are erased, every box fits and has an area in range.
    func testRandomErasingDraws() {
        let a = augmenter(["random_erasing": [:]])
        var rng = RNG(seed: 21)
        var erased = 0
        for _ in 0..<4000 {
            guard let b = a.drawParameters(height: 32, width: 32, channels: 3, rng: &rng).erase else { continue }
            erased += 1
            XCTAssertTrue(b.x >= 0 && b.y >= 0 && b.x + b.width <= 32 && b.y + b.height <= 32)
            let area = Double(b.width * b.height) / 1024
            XCTAssertTrue(area > 0.005 && area < 0.4, "area \(area)")
        }
        XCTAssertEqual(Double(erased) / 4000, 0.5, accuracy: 0.025)
    }
}
