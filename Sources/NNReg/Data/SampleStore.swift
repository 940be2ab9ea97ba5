/// Samples held compactly in memory: one byte per value when every value is a whole
/// number in 0...255 (8-bit image pixels, CSV pixel columns), else Float32.
///
/// Values are raw (not rescaled or normalized). Float32 is made only for the batch being
/// trained: `gather` converts the rows a batch needs (UInt8 -> Float is exact, so a
/// batch holds the same bits the Float32 store would have held).
public final class SampleStore {
    /// How each value is held.
    public enum Element: Sendable { case uint8, float32 }

    /// (N, sampleShape...).
    public private(set) var shape: [Int]
    public let element: Element
    /// The UInt8 values (element .uint8), count * sampleSize of them.
    let bytes: UnsafeMutablePointer<UInt8>?
    /// The Float32 values (element .float32).
    let floats: Tensor?

    public var count: Int { shape[0] }
    public var sampleShape: [Int] { Array(shape.dropFirst()) }
    public var sampleSize: Int { shape.dropFirst().reduce(1, *) }
    /// Bytes the values take.
    public var byteCount: Int { count * sampleSize * (element == .uint8 ? 1 : 4) }

    /// A zero-filled store of `shape` (N, sampleShape...); `zeroed: false` leaves UInt8
    /// values unwritten (so their pages are not resident until written), for a store that
    /// is filled row by row.
    public init(shape: [Int], element: Element, zeroed: Bool = true) {
        precondition(shape.count >= 1 && shape.allSatisfy { $0 >= 0 }, "bad sample store shape \(shape)")
        self.shape = shape
        self.element = element
        switch element {
        case .uint8:
            let n = max(shape.reduce(1, *), 1)
            bytes = .allocate(capacity: n)
            if zeroed { bytes!.initialize(repeating: 0, count: n) }
            floats = nil
        case .float32:
            bytes = nil
            floats = Tensor(shape: shape)
        }
    }

    /// Float32 samples held by `tensor` (N, sampleShape...), not copied.
    public init(_ tensor: Tensor) {
        shape = tensor.shape
        element = .float32
        bytes = nil
        floats = tensor
    }

    deinit { bytes?.deallocate() }

    /// Samples of `values` (count * sampleSize Float32 values of `shape`): UInt8 when every
    /// value is a whole number in 0...255 with a positive sign (so that the batches hold
    /// the very same bits), Float32 otherwise.
    public static func compacting(_ values: UnsafePointer<Float>, shape: [Int]) -> SampleStore {
        let n = shape.reduce(1, *)
        let store = SampleStore(shape: shape, element: isByteValued(values, count: n) ? .uint8 : .float32)
        store.write(values, rows: 0..<shape[0])
        return store
    }

    /// True when each of the `count` values is a whole number in 0...255, +0 not -0.
    @inline(__always)
    static func isByteValued(_ values: UnsafePointer<Float>, count: Int) -> Bool {
        for i in 0..<count where !isByte(values[i]) { return false }
        return true
    }

    /// v is a whole number in 0...255 (and not -0): a byte gives back its very bits.
    @inline(__always)
    static func isByte(_ v: Float) -> Bool { Float(lowByte(v)).bitPattern == v.bitPattern }

    /// v's value as a byte when v is a whole number in 0...255: adding 2^23 puts the
    /// integer part in the low mantissa bits (round to nearest; no branch, no trap, so the
    /// loops that use it vectorize). For any other v (fractions, -0, negative, > 255, NaN,
    /// infinity) Float(lowByte(v)) differs from v in its bits.
    @inline(__always)
    static func lowByte(_ v: Float) -> UInt8 { UInt8(truncatingIfNeeded: (v + 0x1p23).bitPattern) }

    /// Writes rows `rows` as `write` does, in one pass that also checks the values: false
    /// (the rows written, but not exactly) when the store holds bytes and a value is not
    /// byte-valued.
    // values: (rows.count, sampleShape...) -> store rows
    public func writeIfExact(_ values: UnsafePointer<Float>, rows: Range<Int>) -> Bool {
        guard let bytes else {
            write(values, rows: rows)
            return true
        }
        let d = sampleSize, n = rows.count * d
        precondition(rows.upperBound <= count, "rows \(rows) outside \(count) samples")
        let to = bytes + rows.lowerBound * d
        var differ: UInt32 = 0
        for i in 0..<n {
            let v = values[i], u = SampleStore.lowByte(v)
            to[i] = u
            differ |= Float(u).bitPattern ^ v.bitPattern
        }
        return differ == 0
    }

    /// Writes raw values of rows `rows` (rows.count * sampleSize of them) into the store;
    /// for a UInt8 store they must be byte-valued (`isByteValued`).
    // values: (rows.count, sampleShape...) -> store rows
    public func write(_ values: UnsafePointer<Float>, rows: Range<Int>) {
        let d = sampleSize, n = rows.count * d, start = rows.lowerBound * d
        precondition(rows.upperBound <= count, "rows \(rows) outside \(count) samples")
        if let bytes {
            let to = bytes + start
            for i in 0..<n { to[i] = SampleStore.lowByte(values[i]) }
        } else {
            (floats!.data + start).update(from: values, count: n)
        }
    }

    /// Sample `i`'s raw values, as Float32, into `dst` (sampleSize values).
    @inline(__always)
    public func copy(_ i: Int, to dst: UnsafeMutablePointer<Float>) {
        let d = sampleSize
        if let bytes {
            let from = bytes + i * d
            for j in 0..<d { dst[j] = Float(from[j]) }
        } else {
            dst.update(from: floats!.data + i * d, count: d)
        }
    }

    /// Copies the raw samples at `indices` into `out` (n, sampleShape...), setting its batch
    /// size to n = indices.count. Allocates nothing.
    // store: (N, D), indices: (n) -> out: (n, D)
    public func gather(_ indices: UnsafeBufferPointer<Int32>, into out: Tensor) {
        out.setBatch(indices.count)
        let d = sampleSize
        precondition(out.sampleSize == d, "batch samples of \(out.sampleSize) values, store samples of \(d)")
        let to = out.data
        for (row, i) in indices.enumerated() {
            precondition(i >= 0 && Int(i) < count, "row \(i) outside \(count) samples")
            copy(Int(i), to: to + row * d)
        }
    }

    /// The samples at `indices`, in that order: a compact copy of the same element.
    public func subset(_ indices: [Int]) -> SampleStore {
        let d = sampleSize
        let out = SampleStore(shape: [indices.count] + sampleShape, element: element)
        if let bytes {
            for (row, i) in indices.enumerated() { (out.bytes! + row * d).update(from: bytes + i * d, count: d) }
        } else {
            for (row, i) in indices.enumerated() {
                (out.floats!.data + row * d).update(from: floats!.data + i * d, count: d)
            }
        }
        return out
    }

    /// Keeps the first `rows` samples (a store sized for at most so many, filled with fewer).
    func truncate(to rows: Int) {
        precondition(rows <= count, "cannot grow a sample store from \(count) to \(rows) samples")
        shape[0] = rows
        floats?.reshape(shape)
    }

    /// Reads the samples with a new sample shape of the same size (model.input_shape).
    public func reshape(sampleShape: [Int]) {
        precondition(sampleShape.reduce(1, *) == sampleSize, "sample shape \(sampleShape) for \(self.sampleShape)")
        shape = [count] + sampleShape
        floats?.reshape(shape)
    }

    /// Every sample as one Float32 tensor (N, sampleShape...): the store's own for Float32,
    /// a new one otherwise.
    public func floatTensor() -> Tensor {
        if let floats { return floats }
        let t = Tensor(shape: shape)
        let n = count * sampleSize
        for i in 0..<n { t.data[i] = Float(bytes![i]) }
        return t
    }

    /// Raw value `i` of all of them, row-major (for tests and messages).
    public subscript(i: Int) -> Float { bytes.map { Float($0[i]) } ?? floats!.data[i] }

    /// The raw values, as Float32 (copies; for tests).
    public var array: [Float] { floatTensor().array }
}
