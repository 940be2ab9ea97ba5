import Foundation
import XCTest
@testable import NNReg

/// fit and standardize (featurewise, samplewise, ZCA) against Keras; the symmetric eigensolver.
extension AugmentationTests {
    // MARK: - Fit and standardize

    func testFitAndStandardizeMatchKeras() {
        let f = Self.fixture
        let x = Tensor(shape: f.fit_shape, values: f.fit_x)
        for c in f.fit {
            var json = JSON.Object()
            for (key, value) in c.options {
                switch value {
                case .bool(let b): json[key] = .bool(b)
                case .number(let d): json[key] = .number(d)
                case .null: json[key] = .null
                }
            }
            var a = augmenter(.object(json))
            a.fit(x)
            let isZCA = c.zca != nil
            if let mean = c.mean { assertClose(a.statistics.mean, mean, atol: 1e-4, rtol: 1e-5, "\(c.name) mean") }
            if let std = c.std { assertClose(a.statistics.std, std, atol: 1e-4, rtol: 1e-5, "\(c.name) std") }
            if let zca = c.zca { assertClose(a.statistics.zca, zca, atol: 1e-4, rtol: 1e-4, "\(c.name) zca") }
            let batch = Tensor(
                shape: [4] + Array(f.fit_shape.dropFirst()), values: Array(f.fit_x[0..<(4 * x.sampleSize)]))
            a.standardize(batch, workspace: AugmentationWorkspace())
            assertClose(batch.array, c.standardized, atol: 1e-4, rtol: isZCA ? 1e-4 : 1e-5, c.name)
            // The one-image form agrees with the batch form.
            var one = Array(f.fit_x[0..<x.sampleSize])
            one.withUnsafeMutableBufferPointer {
                a.standardize(
                    $0.baseAddress!, height: f.fit_shape[1], width: f.fit_shape[2], channels: f.fit_shape[3],
                    workspace: AugmentationWorkspace())
            }
            assertClose(one, Array(batch.array[0..<x.sampleSize]), atol: 1e-5, rtol: 1e-5, "\(c.name) one image")
        }
    }

    func testKerasOverridesAreReported() {
        let a = augmenter([
            "zca_whitening": true, "featurewise_std_normalization": true, "samplewise_std_normalization": true,
        ])
        XCTAssertTrue(a.featurewiseCenter && !a.featurewiseStdNormalization && a.samplewiseCenter)
        XCTAssertEqual(a.adjustments.count, 3)
    }

    /// The tridiagonal-QL eigensolver against cyclic Jacobi on random symmetric matrices:
    /// eigenvalues within 1e-10 |lambda|max, A v = lambda v to 1e-10, V orthonormal.
    func testSymmetricEigenMatchesJacobi() {
        var rng = RNG(seed: 40)
        for n in [1, 2, 5, 13] {
            var a = [Double](repeating: 0, count: n * n)
            for i in 0..<n {
                for j in 0...i {
                    let v = Double(rng.normal())
                    a[i * n + j] = v
                    a[j * n + i] = v
                }
            }
            if n == 13 {
                for j in 0..<n {
                    a[3 * n + j] = 0
                    a[j * n + 3] = 0
                }
            }  // a zero eigenvalue
            let (values, vectors) = SymmetricEigen.decompose(a, n: n)
            let (reference, _) = SymmetricEigen.jacobi(a, n: n)
            let scale = values.map(abs).max()! + 1
            for k in 0..<n {
                XCTAssertEqual(values[k], reference[k], accuracy: 1e-10 * scale, "n \(n) lambda \(k)")
                for i in 0..<n {
                    var av = 0.0
                    for j in 0..<n { av += a[i * n + j] * vectors[j * n + k] }
                    XCTAssertEqual(av, values[k] * vectors[i * n + k], accuracy: 1e-10 * scale)
                }
                for l in 0..<n {
                    var dot = 0.0
                    for i in 0..<n { dot += vectors[i * n + k] * vectors[i * n + l] }
                    XCTAssertEqual(dot, k == l ? 1 : 0, accuracy: 1e-10)
                }
            }
        }
    }
}
