/// Row and column loops that the layers with a kernel and bias share (dense, maxout,
/// conv2d, the recurrent core), over row-major (rows, width) buffers.

/// c[r, j] += b[j] for every row r: (rows, width) += (width).
@inline(__always)
func addBias(_ b: UnsafePointer<Float>, to c: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    for r in 0..<rows {
        let row = c + r * width
        for j in 0..<width { row[j] += b[j] }
    }
}

/// out[j] = sum over r of a[r * stride + j], rows in order: (rows, width) -> (width); with
/// `accumulate`, added to what out holds. `stride` (the row length of a) defaults to width.
@inline(__always)
func sumColumns(
    _ a: UnsafePointer<Float>, rows: Int, width: Int, stride: Int? = nil, into out: UnsafeMutablePointer<Float>,
    accumulate: Bool = false
) {
    let ld = stride ?? width
    if !accumulate { out.update(repeating: 0, count: width) }
    for r in 0..<rows {
        let row = a + r * ld
        for j in 0..<width { out[j] += row[j] }
    }
}

/// The affine step of dense and maxout: z (rows, width) = x (rows, inputs) @ kernel
/// (inputs, width), then + bias on every row.
@inline(__always)
func affine(
    _ x: UnsafePointer<Float>, rows: Int, inputs: Int, kernel: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    width: Int, into z: UnsafeMutablePointer<Float>
) {
    BLAS.sgemm(m: rows, n: width, k: inputs, a: x, lda: inputs, b: kernel, ldb: width, c: z, ldc: width)
    if let bias { addBias(bias, to: z, rows: rows, width: width) }
}
