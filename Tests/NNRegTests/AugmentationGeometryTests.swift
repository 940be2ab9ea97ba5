import Foundation
import XCTest
@testable import NNReg

/// Geometry (rotation, shifts per fill mode, flips, crops, erasing, affine maps) by hand and
/// against Keras / scipy; oracles and tolerances: see AugmentationTests.swift.
extension AugmentationTests {
    // MARK: - Geometry against hand-computed pixels

    /// A 4 x 4 ramp x[r][c] = 4r + c turned 90 degrees counterclockwise: out[i][j] = x[j][3 - i].
    func testRotation90ByHand() {
        let x = (0..<16).map(Float.init)
        var p = AugmentParameters()
        p.theta = 90
        let y = applied(augmenter(), p, x, [4, 4, 1])
        let expected: [Float] = (0..<16).map { (k: Int) -> Float in
            let i = k / 4, j = k % 4
            return Float(4 * j + 3 - i)
        }
        assertClose(y, expected, atol: 1e-5, rtol: 0, "rotation 90")
    }

    /// One-pixel horizontal shift (tx = 1: out[., j] samples x[., j + 1]) of a 3 x 4 ramp,
    /// per fill mode, by scipy's rules: nearest repeats the edge, constant writes cval,
    /// reflect (half-sample) repeats the edge, wrap (period n - 1) brings column 1.
    func testOnePixelShiftPerFillModeByHand() {
        let x = (0..<12).map(Float.init)
        var p = AugmentParameters()
        p.tx = 1
        let rows: [String: [Float]] = [
            "nearest": [1, 2, 3, 3], "constant": [1, 2, 3, -5], "reflect": [1, 2, 3, 3], "wrap": [1, 2, 3, 1],
        ]
        for (mode, row) in rows {
            let a = augmenter(["fill_mode": .string(mode), "cval": -5])
            let expected = (0..<3).flatMap { r in row.map { $0 == -5 ? -5 : $0 + Float(4 * r) } }
            XCTAssertEqual(applied(a, p, x, [3, 4, 1]), expected, mode)
        }
        // The other way (tx = -1): wrap brings column n - 2 into column 0.
        p.tx = -1
        let back: [String: [Float]] = [
            "nearest": [0, 0, 1, 2], "constant": [-5, 0, 1, 2], "reflect": [0, 0, 1, 2], "wrap": [2, 0, 1, 2],
        ]
        for (mode, row) in back {
            let a = augmenter(["fill_mode": .string(mode), "cval": -5])
            let expected = (0..<3).flatMap { r in row.map { $0 == -5 ? -5 : $0 + Float(4 * r) } }
            XCTAssertEqual(applied(a, p, x, [3, 4, 1]), expected, "\(mode) tx -1")
        }
    }

    func testFlipsByHand() {
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]  // (2, 3, 2)
        var p = AugmentParameters()
        p.flipHorizontal = true
        XCTAssertEqual(applied(augmenter(), p, x, [2, 3, 2]), [5, 6, 3, 4, 1, 2, 11, 12, 9, 10, 7, 8])
        p = AugmentParameters()
        p.flipVertical = true
        XCTAssertEqual(applied(augmenter(), p, x, [2, 3, 2]), [7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6])
    }

    /// random_crop 1 on a 3 x 3 ramp: window corner (0, 0) of the padded image is the image
    /// moved down-right by one, the new row/column filled per mode (numpy.pad semantics).
    func testRandomCropByHand() {
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        var p = AugmentParameters()
        p.crop = (x: 0, y: 0)
        let expected: [String: [Float]] = [
            "constant": [-1, -1, -1, -1, 1, 2, -1, 4, 5], "nearest": [1, 1, 2, 1, 1, 2, 4, 4, 5],
            "reflect": [1, 1, 2, 1, 1, 2, 4, 4, 5], "wrap": [9, 7, 8, 3, 1, 2, 6, 4, 5],
        ]
        for (mode, e) in expected {
            let a = augmenter(["random_crop": 1, "fill_mode": .string(mode), "cval": -1])
            XCTAssertEqual(applied(a, p, x, [3, 3, 1]), e, mode)
        }
        p.crop = (x: 1, y: 1)  // the centre window: unchanged
        XCTAssertEqual(applied(augmenter(["random_crop": 1]), p, x, [3, 3, 1]), x)
        p.crop = (x: 2, y: 0)
        let a = augmenter(["random_crop": 1, "fill_mode": "reflect"])
        XCTAssertEqual(applied(a, p, x, [3, 3, 1]), [2, 3, 3, 2, 3, 3, 5, 6, 6])
    }

    func testRandomErasingByHand() {
        let x = [Float](repeating: 1, count: 4 * 5 * 2)
        var p = AugmentParameters()
        p.erase = .init(x: 1, y: 2, width: 3, height: 2)
        let y = applied(augmenter(["random_erasing": ["value": 7]]), p, x, [4, 5, 2])
        for r in 0..<4 {
            for c in 0..<5 {
                let inside = r >= 2 && c >= 1 && c < 4
                XCTAssertEqual(y[(r * 5 + c) * 2], inside ? 7 : 1, "(\(r), \(c))")
                XCTAssertEqual(y[(r * 5 + c) * 2 + 1], inside ? 7 : 1)
            }
        }
    }

    // MARK: - Geometry and colour against Keras / TF / scipy

    func testAffineMatchesKeras() {
        let f = Self.fixture
        XCTAssertEqual(f.keras, "3.15.1")
        for c in f.affine {
            assertClose(applied(fillAugmenter(c), affineParameters(c.params!), c.x, c.shape), c.output, c.name)
        }
    }

    /// Non-square images with rotation, shear and zoom about ((W-1)/2, (H-1)/2), resampled by
    /// scipy.ndimage.affine_transform (Keras would centre these at the transposed point).
    func testNonSquareAffineMatchesScipy() {
        for c in Self.fixture.affine_centered {
            assertClose(applied(fillAugmenter(c), affineParameters(c.params!), c.x, c.shape), c.output, c.name)
        }
    }

    /// Keras apply_transform: affine, channel shift, horizontal flip, vertical flip, in that order.
    func testApplyTransformOrderMatchesKeras() {
        for c in Self.fixture.apply_transform {
            assertClose(applied(fillAugmenter(c), affineParameters(c.params!), c.x, c.shape), c.output, c.name)
        }
    }
}
