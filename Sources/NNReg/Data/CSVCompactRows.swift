/// The data rows of a CSV read straight into compact samples (`SampleStore`), a block of
/// rows at a time: one byte a value while every value so far is a whole number 0...255,
/// Float32 from the first block that is not (the bytes so far converted once). Peak memory
/// is the store and one block, never a Float32 copy of the whole file.
enum CSVCompactRows {
    /// Rows per block: about 1 MiB of Float32.
    static func blockRows(width: Int) -> Int { max(1, (1 << 18) / max(width, 1)) }

    /// Reads the reader's remaining rows (at most `maxRows` kept rows of `width` matrix
    /// values; the split column into `split`), calling `release` with the text consumed
    /// after each block. Returns the kept rows as samples (rows, width); with `keep` false
    /// the rows are parsed and checked but not kept (no samples: a streamed CSV's index).
    static func read(
        _ reader: inout CSVRowReader, maxRows: Int, width: Int, split: UnsafeMutablePointer<Float>, keep: Bool = true,
        release: (UnsafePointer<UInt8>) -> Void
    ) throws -> SampleStore {
        let rowsPerBlock = blockRows(width: width)
        let block = UnsafeMutablePointer<Float>.allocate(capacity: max(rowsPerBlock * width, 1))
        defer { block.deallocate() }
        // Bytes for up to maxRows rows: pages never written are never resident.
        var store = SampleStore(shape: [keep ? maxRows : 0, width], element: .uint8, zeroed: false)
        while true {
            let first = reader.count
            try reader.read(into: block, split: split, firstRow: first, limit: rowsPerBlock)
            let n = (reader.count - first) * width, at = first * width
            if keep && n > 0 && !store.writeIfExact(block, rows: first..<reader.count) {
                // The first value that needs Float32: convert what is held so far, once.
                let wide = SampleStore(shape: [maxRows, width], element: .float32)
                for i in 0..<at { wide.floats!.data[i] = Float(store.bytes![i]) }
                store = wide
                store.write(block, rows: first..<reader.count)
            }
            release(reader.cursor.p)
            if reader.cursor.p >= reader.cursor.end { break }
        }
        store.truncate(to: keep ? reader.count : 0)
        return store
    }
}
