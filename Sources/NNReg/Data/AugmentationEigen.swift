import Foundation

/// Eigendecomposition of a symmetric matrix in Double, for ZCA whitening.
///
/// `decompose`: Householder reduction to tridiagonal form and the implicit QL algorithm
/// (EISPACK tred2 + tql2, as in the public-domain JAMA EigenvalueDecomposition), O(n^3).
/// `jacobi`: the cyclic Jacobi method, the slow naive reference the tests compare with.
/// (LAPACK's dsyevd in OpenBLAS would be faster for large n; see the report.)
enum SymmetricEigen {
    /// Eigenvalues ascending and eigenvectors as the columns of a row-major (n, n) matrix:
    /// vectors[i * n + k] is component i of the k-th eigenvector. `a` is (n, n) row-major.
    static func decompose(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        precondition(a.count == n * n, "\(a.count) values for a \(n) x \(n) matrix")
        if n == 0 { return ([], []) }
        var v = a  // V, row-major; becomes the eigenvectors
        var d = [Double](repeating: 0, count: n)
        var e = [Double](repeating: 0, count: n)
        v.withUnsafeMutableBufferPointer { vp in
            d.withUnsafeMutableBufferPointer { dp in
                e.withUnsafeMutableBufferPointer { ep in
                    tred2(vp.baseAddress!, dp.baseAddress!, ep.baseAddress!, n)
                }
            }
        }
        // tql2 rotates pairs of columns of V; work on V^T so they are contiguous rows.
        var vt = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { vt[j * n + i] = v[i * n + j] } }
        vt.withUnsafeMutableBufferPointer { vp in
            d.withUnsafeMutableBufferPointer { dp in
                e.withUnsafeMutableBufferPointer { ep in
                    tql2(vp.baseAddress!, dp.baseAddress!, ep.baseAddress!, n)
                }
            }
        }
        for i in 0..<n { for j in 0..<n { v[i * n + j] = vt[j * n + i] } }
        return (d, v)
    }

    /// Householder tridiagonalization; V (row-major) holds the accumulated transform.
    private static func tred2(
        _ V: UnsafeMutablePointer<Double>, _ d: UnsafeMutablePointer<Double>,
        _ e: UnsafeMutablePointer<Double>, _ n: Int
    ) {
        @inline(__always) func at(_ i: Int, _ j: Int) -> UnsafeMutablePointer<Double> { V + i * n + j }
        for j in 0..<n { d[j] = at(n - 1, j).pointee }
        var i = n - 1
        while i > 0 {
            var scale = 0.0, h = 0.0
            for k in 0..<i { scale += abs(d[k]) }
            if scale == 0 {
                e[i] = d[i - 1]
                for j in 0..<i {
                    d[j] = at(i - 1, j).pointee
                    at(i, j).pointee = 0
                    at(j, i).pointee = 0
                }
            } else {
                for k in 0..<i {
                    d[k] /= scale
                    h += d[k] * d[k]
                }
                var f = d[i - 1]
                var g = h.squareRoot()
                if f > 0 { g = -g }
                e[i] = scale * g
                h -= f * g
                d[i - 1] = f - g
                for j in 0..<i { e[j] = 0 }
                for j in 0..<i {
                    f = d[j]
                    at(j, i).pointee = f
                    g = e[j] + at(j, j).pointee * f
                    if j + 1 <= i - 1 {
                        for k in (j + 1)...(i - 1) {
                            g += at(k, j).pointee * d[k]
                            e[k] += at(k, j).pointee * f
                        }
                    }
                    e[j] = g
                }
                f = 0
                for j in 0..<i {
                    e[j] /= h
                    f += e[j] * d[j]
                }
                let hh = f / (h + h)
                for j in 0..<i { e[j] -= hh * d[j] }
                for j in 0..<i {
                    f = d[j]
                    g = e[j]
                    for k in j...(i - 1) { at(k, j).pointee -= f * e[k] + g * d[k] }
                    d[j] = at(i - 1, j).pointee
                    at(i, j).pointee = 0
                }
            }
            d[i] = h
            i -= 1
        }
        // Accumulate the transformations.
        for i in 0..<(n - 1) {
            at(n - 1, i).pointee = at(i, i).pointee
            at(i, i).pointee = 1
            let h = d[i + 1]
            if h != 0 {
                for k in 0...i { d[k] = at(k, i + 1).pointee / h }
                for j in 0...i {
                    var g = 0.0
                    for k in 0...i { g += at(k, i + 1).pointee * at(k, j).pointee }
                    for k in 0...i { at(k, j).pointee -= g * d[k] }
                }
            }
            for k in 0...i { at(k, i + 1).pointee = 0 }
        }
        for j in 0..<n {
            d[j] = at(n - 1, j).pointee
            at(n - 1, j).pointee = 0
        }
        at(n - 1, n - 1).pointee = 1
        e[0] = 0
    }

    /// Implicit QL on the tridiagonal (d, e); VT holds V transposed (row k = column k of V).
    /// Eigenvalues end ascending with their vectors.
    private static func tql2(
        _ VT: UnsafeMutablePointer<Double>, _ d: UnsafeMutablePointer<Double>,
        _ e: UnsafeMutablePointer<Double>, _ n: Int
    ) {
        for i in 1..<max(n, 1) { e[i - 1] = e[i] }
        e[n - 1] = 0
        var f = 0.0, tst1 = 0.0
        let eps = 0x1p-52
        for l in 0..<n {
            tst1 = max(tst1, abs(d[l]) + abs(e[l]))
            var m = l
            while m < n {
                if abs(e[m]) <= eps * tst1 { break }
                m += 1
            }
            if m > l {
                repeat {
                    var g = d[l]
                    var p = (d[l + 1] - g) / (2 * e[l])
                    var r = hypot(p, 1)
                    if p < 0 { r = -r }
                    d[l] = e[l] / (p + r)
                    d[l + 1] = e[l] * (p + r)
                    let dl1 = d[l + 1]
                    var h = g - d[l]
                    if l + 2 < n { for i in (l + 2)..<n { d[i] -= h } }
                    f += h
                    p = d[m]
                    var c = 1.0, c2 = 1.0, c3 = 1.0
                    let el1 = e[l + 1]
                    var s = 0.0, s2 = 0.0
                    var i = m - 1
                    while i >= l {
                        c3 = c2
                        c2 = c
                        s2 = s
                        g = c * e[i]
                        h = c * p
                        r = hypot(p, e[i])
                        e[i + 1] = s * r
                        s = e[i] / r
                        c = p / r
                        p = c * d[i] - s * g
                        d[i + 1] = h + s * (c * g + s * d[i])
                        let a = VT + i * n, b = VT + (i + 1) * n
                        for k in 0..<n {
                            let t = b[k]
                            b[k] = s * a[k] + c * t
                            a[k] = c * a[k] - s * t
                        }
                        i -= 1
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1
                    e[l] = s * p
                    d[l] = c * p
                } while abs(e[l]) > eps * tst1
            }
            d[l] += f
            e[l] = 0
        }
        // Sort ascending (selection sort, as JAMA).
        for i in 0..<(n - 1) {
            var k = i
            var p = d[i]
            for j in (i + 1)..<n where d[j] < p {
                k = j
                p = d[j]
            }
            if k != i {
                d[k] = d[i]
                d[i] = p
                for j in 0..<n { swap(&VT[i * n + j], &VT[k * n + j]) }
            }
        }
    }

    /// Cyclic Jacobi rotations until the off-diagonal mass is negligible; same output
    /// convention as `decompose`. O(n^3) per sweep: the reference for small matrices.
    static func jacobi(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        var m = a
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in 0..<n where i != j { off += m[i * n + j] * m[i * n + j] } }
            if off < 1e-30 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where m[p * n + q] != 0 {
                    let theta = (m[q * n + q] - m[p * n + p]) / (2 * m[p * n + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {  // columns p, q
                        let mkp = m[k * n + p], mkq = m[k * n + q]
                        m[k * n + p] = c * mkp - s * mkq
                        m[k * n + q] = s * mkp + c * mkq
                    }
                    for k in 0..<n {  // rows p, q
                        let mpk = m[p * n + k], mqk = m[q * n + k]
                        m[p * n + k] = c * mpk - s * mqk
                        m[q * n + k] = s * mpk + c * mqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { m[$0 * n + $0] < m[$1 * n + $1] }
        let values = order.map { m[$0 * n + $0] }
        var vectors = [Double](repeating: 0, count: n * n)
        for (k, col) in order.enumerated() { for i in 0..<n { vectors[i * n + k] = v[i * n + col] } }
        return (values, vectors)
    }
}
