import XCTest
@testable import NNReg

final class TensorTests: XCTestCase {
    /// Oracle: the naive Double-accumulating loop; tolerance 1e-4 relative.
    func testSgemmMatchesNaiveForEveryTransposeCombination() {
        var rng = RNG(seed: 1)
        let m = 7, n = 5, k = 9
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = Tensor(shape: ta ? [k, m] : [m, k])
            let b = Tensor(shape: tb ? [n, k] : [k, n])
            for i in 0..<a.count { a[i] = rng.normal() }
            for i in 0..<b.count { b[i] = rng.normal() }
            let fast = Tensor(shape: [m, n]), slow = Tensor(shape: [m, n])
            for i in 0..<fast.count {
                fast[i] = 1
                slow[i] = 1
            }
            BLAS.sgemm(
                transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a.data, lda: ta ? m : k,
                b: b.data, ldb: tb ? k : n, beta: 2, c: fast.data, ldc: n)
            BLAS.sgemmNaive(
                transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a.data, lda: ta ? m : k,
                b: b.data, ldb: tb ? k : n, beta: 2, c: slow.data, ldc: n)
            for i in 0..<fast.count { XCTAssertEqual(fast[i], slow[i], accuracy: 1e-4 * max(1, abs(slow[i]))) }
        }
    }

    func testSetBatchKeepsStorageAndChangesCount() {
        let t = Tensor(shape: [4, 3])
        let p = t.data
        t.setBatch(2)
        XCTAssertEqual(t.shape, [2, 3])
        XCTAssertEqual(t.count, 6)
        XCTAssertEqual(t.data, p)
    }

    func testRNGIsReproducibleAndStreamsDiffer() {
        var a = RNG(seed: 42), b = RNG(seed: 42), c = RNG(seed: 42, stream: 1)
        let xa = (0..<5).map { _ in a.next() }, xb = (0..<5).map { _ in b.next() }, xc = (0..<5).map { _ in c.next() }
        XCTAssertEqual(xa, xb)
        XCTAssertNotEqual(xa, xc)
    }

    /// Statistical check: mean ~0 and variance ~1 within 5 standard errors over 100k draws.
    func testNormalHasUnitVarianceAndUniformIsInRange() {
        var rng = RNG(seed: 7)
        let n = 100_000
        var s = 0.0, s2 = 0.0
        for _ in 0..<n {
            let z = Double(rng.normal())
            s += z
            s2 += z * z
        }
        XCTAssertEqual(s / Double(n), 0, accuracy: 5 / Double(n).squareRoot())
        XCTAssertEqual(s2 / Double(n), 1, accuracy: 0.02)
        for _ in 0..<10_000 {
            let u = rng.uniform()
            XCTAssert(u >= 0 && u < 1)
        }
        for _ in 0..<10_000 {
            let i = rng.int(below: 7)
            XCTAssert(i >= 0 && i < 7)
        }
    }
}

final class CPUFeaturesTests: XCTestCase {
    func testSkylakeXOnlyWhenEveryCoreHasTheAVX512Subsets() {
        let avx2 = "processor\t: 0\nflags\t\t: fpu sse avx avx2 fma\n"
        let avx512 = "flags\t\t: avx avx2 avx512f avx512dq avx512bw avx512vl avx512cd\n"
        XCTAssertNil(CPUFeatures.openBLASCoreType(cpuinfo: avx2))
        XCTAssertNil(CPUFeatures.openBLASCoreType(cpuinfo: "flags : avx512f avx2\n"), "avx512f alone is not enough")
        XCTAssertEqual(CPUFeatures.openBLASCoreType(cpuinfo: avx512 + avx512), "SkylakeX")
        XCTAssertNil(CPUFeatures.openBLASCoreType(cpuinfo: avx512 + avx2), "one core without AVX-512")
        XCTAssertNil(CPUFeatures.openBLASCoreType(cpuinfo: ""))
    }
}
